package main

import (
	"fmt"
	"log/slog"
	"math"

	"github.com/cachesrv/cachesrv/protocol/config"
)

// reservedFDs are the descriptors kept back from clients for everything
// else the process opens: listeners (RESP, HTTP, gossip), the runtime's
// poller, log and peer links. Redis's CONFIG_MIN_RESERVED_FDS.
const reservedFDs = 32

// fdPlan is what adjustOpenFilesLimit does with the descriptor limit.
type fdPlan struct {
	soft       uint64 // soft RLIMIT_NOFILE to ask for (== cur: leave it)
	maxclients int64  // clients that fit in soft once reservedFDs are kept
}

// planOpenFiles decides, as Redis's adjustOpenFilesLimit does, how many
// clients fit in the descriptor limit: the soft limit goes up to the hard
// one (as Go's runtime already does at start), and if maxclients +
// reservedFDs still do not fit, maxclients comes down to what does.
// Without that, the clients past the limit are accepted by the kernel but
// never by the server (accept fails with EMFILE) and wait, instead of
// getting the max-clients error. Unlike Redis running as root, it never
// raises the hard limit: that is the operator's ceiling (ulimit -Hn,
// systemd's LimitNOFILE, the container's). An error means not even the
// reserve fits.
func planOpenFiles(maxclients int64, cur, hard uint64) (fdPlan, error) {
	p := fdPlan{soft: max(cur, hard), maxclients: maxclients}
	need := uint64(maxclients) + reservedFDs
	if p.soft >= need {
		return p, nil
	}
	if p.soft <= reservedFDs {
		return p, fmt.Errorf("the open files limit (ulimit -n) of %d is not enough for the server to start: raise it to at least %d", p.soft, need)
	}
	p.maxclients = int64(min(p.soft-reservedFDs, math.MaxInt64))
	return p, nil
}

// adjustOpenFilesLimit raises the process's soft descriptor limit to the
// hard one, and lowers cfg's maxclients to fit it with a warning (see
// planOpenFiles); CONFIG SET maxclients is then held to what fits too, as
// Redis holds it. Without the limits (a platform with no rlimit) it
// leaves all that alone.
func adjustOpenFilesLimit(cfg *config.Config, log *slog.Logger) error {
	cur, hard, err := openFilesLimit()
	if err != nil {
		log.Warn("cannot read the open files limit; maxclients is not checked against it", "err", err)
		return nil
	}
	want := cfg.MaxClients.Load()
	p, err := planOpenFiles(want, cur, hard)
	if err != nil {
		return err
	}
	if p.soft > cur {
		if err := setOpenFilesLimit(p.soft, hard); err != nil {
			log.Warn("cannot raise the open files limit", "from", cur, "to", p.soft, "err", err)
			if p, err = planOpenFiles(want, cur, cur); err != nil {
				return err
			}
		} else {
			log.Info("increased the open files limit", "from", cur, "to", p.soft)
		}
	}
	cfg.MaxClientsFit.Store(int64(min(p.soft-reservedFDs, math.MaxInt64)))
	if p.maxclients < want {
		cfg.MaxClients.Store(p.maxclients)
		log.Warn("maxclients reduced to fit the open files limit; if you need more clients, raise 'ulimit -n' (the hard limit)",
			"requested", want, "needs_fds", uint64(want)+reservedFDs, "open_files_limit", p.soft, "maxclients", p.maxclients)
	}
	return nil
}
