package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/protocol/resp"
)

// setup is one server with one eviction policy.
type setup struct {
	kind   *serverKind
	policy string
}

func (s setup) String() string { return s.kind.name + " " + s.policy }

// runResult is one trace replayed against one setup in a fresh process.
type runResult struct {
	trace, server, policy string
	round                 int // 1..-rounds
	ok                    bool
	status                string // "ok", "rejected: ...", "failed: ..."
	notes                 []string

	st *replayStats

	// From the server at the end of the run (-1: not reported).
	keysHeld         int64 // DBSIZE
	evicted          int64 // INFO stats evicted_keys
	ksHits, ksMisses int64 // INFO stats keyspace_hits, keyspace_misses
	usedEmpty        int64 // INFO memory used_memory right after start
	used, usedRSS    int64 // INFO memory used_memory, used_memory_rss
	rss, peakRSS     int64 // /proc/PID/status VmRSS, VmHWM
	reportedMax      int64 // INFO memory maxmemory
	reportedPolicy   string
}

// serverHitRatio is keyspace_hits / (hits + misses) as the server counts
// them: the repeats within a batch that the client counts as hits are
// misses here.
func (r *runResult) serverHitRatio() float64 {
	if r.ksHits < 0 || r.ksMisses < 0 || r.ksHits+r.ksMisses == 0 {
		return -1
	}
	return ratio(r.ksHits, r.ksHits+r.ksMisses)
}

func (r *runResult) summary() string {
	if !r.ok {
		return r.status
	}
	s := fmt.Sprintf("hit %s (server %s), %s keys held, %s evicted, used_memory %s, RSS %s, %s ops/s",
		report.Pct(r.st.hitRatio()), pctOrDash(r.serverHitRatio()), count(r.keysHeld), count(r.evicted),
		bytesOrDash(r.used), bytesOrDash(r.rss), report.SI(r.st.opsPerSec()))
	for _, n := range r.notes {
		s += "; " + n
	}
	return s
}

// runOne starts a fresh server for s, replays t against it, reads its
// counters and stops it.
func runOne(cfg *config, t *trace, s setup, value []byte, dir string, cur *current, prog *report.Progress) *runResult {
	r := &runResult{trace: t.name, server: s.kind.name, policy: s.policy, keysHeld: -1, evicted: -1, ksHits: -1, ksMisses: -1,
		usedEmpty: -1, used: -1, usedRSS: -1, rss: -1, peakRSS: -1, reportedMax: -1}
	srv, err := start(s.kind, memoryArgs(cfg.maxmemory, s.policy, cfg.samples), dir, t.name+"-"+s.kind.name+"-"+s.policy)
	if err != nil {
		var rej *errRejected
		if errors.As(err, &rej) {
			r.status = rej.Error()
		} else {
			r.status = "failed to start: " + firstLine(err.Error())
		}
		return r
	}
	cur.set(srv)
	defer func() {
		srv.stop()
		cur.set(nil)
	}()
	c, err := resp.Dial(srv.addr, "", adminTimeout)
	if err != nil {
		r.status = "failed: " + err.Error()
		return r
	}
	defer c.Close()
	if mem, err := c.Info("memory"); err == nil {
		r.usedEmpty = resp.InfoInt(mem, "used_memory")
		r.reportedMax, r.reportedPolicy = resp.InfoInt(mem, "maxmemory"), mem["maxmemory_policy"]
	}
	if cfg.maxmemory > 0 && (r.reportedMax != cfg.maxmemory || r.reportedPolicy != s.policy) {
		n := fmt.Sprintf("server reports maxmemory %d, policy %q", r.reportedMax, r.reportedPolicy)
		r.notes = append(r.notes, n)
		prog.Note("warning: %s %s: %s, not %d and %q", t.name, s, n, cfg.maxmemory, s.policy)
	}
	if n, err := c.DBSize(); err == nil && n != 0 {
		r.notes = append(r.notes, fmt.Sprintf("not empty at start: %d keys", n))
	}

	label := t.name + " " + s.String()
	st, err := replay(c, t, cfg.batch, value, func(done int, st *replayStats) {
		prog.Note("%s: %s/%s requests, hit ratio so far %s", label, report.SI(float64(done)),
			report.SI(float64(len(t.keys))), report.Pct(st.hitRatio()))
	})
	r.st = st
	if err != nil {
		r.status = "failed: " + err.Error()
		if srv.exited() {
			r.status += "; server exited (" + srv.p.ExitState() + "): " + logTail(srv.logPath)
		}
		return r
	}
	if st.getErrors+st.setErrors > 0 {
		r.notes = append(r.notes, fmt.Sprintf("%d GET and %d SET error replies, first: %s", st.getErrors, st.setErrors, st.firstErr))
	}
	r.rss, r.peakRSS = rss(srv.p.Pid())
	if stats, err := c.Info("stats"); err == nil {
		r.evicted, r.ksHits, r.ksMisses = resp.InfoInt(stats, "evicted_keys"), resp.InfoInt(stats, "keyspace_hits"), resp.InfoInt(stats, "keyspace_misses")
	}
	if mem, err := c.Info("memory"); err == nil {
		r.used, r.usedRSS = resp.InfoInt(mem, "used_memory"), resp.InfoInt(mem, "used_memory_rss")
	}
	if n, err := c.DBSize(); err == nil {
		r.keysHeld = n
	}
	r.ok, r.status = true, "ok"
	return r
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// logTail is the last two non-empty lines of a log, for a server that
// died during a run.
func logTail(path string) string {
	data, _ := os.ReadFile(path)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	if len(lines) > 2 {
		lines = lines[len(lines)-2:]
	}
	return string(bytes.Join(lines, []byte(" | ")))
}

func pctOrDash(f float64) string {
	if f < 0 {
		return "-"
	}
	return report.Pct(f)
}

func count(n int64) string {
	if n < 0 {
		return "-"
	}
	return report.SI(float64(n))
}

func bytesOrDash(b int64) string {
	if b < 0 {
		return "-"
	}
	return mib(b)
}
