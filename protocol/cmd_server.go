package protocol

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cachesrv/cachesrv/store"
)

// Server commands: TIME, MEMORY, SHUTDOWN (LATENCY: cmd_latency.go).

func init() {
	register(
		&command{name: "time", arity: 1, flags: flagLoading | flagStale | flagFast, acl: []string{"fast"}, run: cmdTime},
		&command{name: "memory", arity: -2, acl: []string{"slow"}, subs: subcommands(
			&command{name: "usage", arity: -3, flags: flagReadonly, firstKey: 2, lastKey: 2, keyStep: 1, acl: []string{"read", "slow"}, run: cmdMemoryUsage},
			&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: []string{"slow"}, run: cmdMemoryHelp},
		)},
		&command{name: "shutdown", arity: -1,
			flags: flagAdmin | flagNoScript | flagLoading | flagStale | flagNoMulti | flagAllowBusy,
			acl:   []string{"admin", "slow", "dangerous"}, run: cmdShutdown},
	)
}

func cmdTime(c *client, _ [][]byte, _ store.Tx) {
	now := time.Now()
	c.WriteArray(2)
	c.WriteBulkString(strconv.FormatInt(now.Unix(), 10))
	c.WriteBulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

func cmdMemoryUsage(c *client, args [][]byte, tx store.Tx) {
	if len(args) > 3 {
		if len(args) != 5 || !strings.EqualFold(string(args[3]), "samples") {
			c.errorReply(errSyntax)
			return
		}
		if _, ok := c.intArg(args[4]); !ok {
			return
		}
	}
	n, ok := tx.MemoryUsage(args[2])
	if !ok {
		c.WriteNull()
		return
	}
	c.WriteInt64(n)
}

func cmdMemoryHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "MEMORY",
		"USAGE <key> [SAMPLES <count>]", "    Return memory in bytes used by <key> and its value.",
	)
}

// shutdownRequest is closed once by SHUTDOWN; main waits on it as it waits
// for SIGTERM.
type shutdownRequest struct {
	once sync.Once
	ch   chan struct{}
}

// ShutdownRequested is closed when a client runs SHUTDOWN; the caller of
// Serve then shuts down as it would on SIGTERM.
func (s *Server) ShutdownRequested() <-chan struct{} { return s.shutdownReq.ch }

// cmdShutdown accepts Redis's options; there is nothing to save, so SAVE
// and NOSAVE are the same. As in Redis, a successful SHUTDOWN sends no
// reply: the connection just closes.
func cmdShutdown(c *client, args [][]byte, _ store.Tx) {
	for _, a := range args[1:] {
		switch strings.ToUpper(string(a)) {
		case "NOSAVE", "SAVE", "NOW", "FORCE":
		case "ABORT":
			c.errorReply("ERR No shutdown in progress.")
			return
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	c.srv.log.Warn("SHUTDOWN requested by a client", "client", c.net.RemoteAddr().String())
	c.srv.shutdownReq.once.Do(func() { close(c.srv.shutdownReq.ch) })
	c.quit = true
}
