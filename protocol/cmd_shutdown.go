package protocol

import (
	"strings"
	"sync"

	"github.com/cachesrv/cachesrv/store"
)

func init() {
	register(&command{name: "shutdown", arity: -1,
		flags: flagAdmin | flagNoScript | flagLoading | flagStale | flagNoMulti | flagAllowBusy,
		acl:   []string{"admin", "slow", "dangerous"}, run: cmdShutdown})
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
