package protocol

import (
	"bytes"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// client is one connection's state. Its fields are touched only by the
// connection's own goroutine, except those under mu, which CLIENT LIST and
// CLIENT KILL on other connections read.
type client struct {
	resp.Writer // replies, flushed once per pipeline
	srv         *Server
	net         net.Conn
	id          int64

	created time.Time

	mu      sync.Mutex // guards name, libName, libVer
	name    string
	libName string
	libVer  string

	// Read by other connections' CLIENT LIST; updated once per pipeline.
	lastCmd  atomic.Pointer[command]
	lastAt   atomic.Int64 // Unix nanoseconds
	multiLen atomic.Int32 // commands queued in MULTI, -1 outside one
	// killed is set by CLIENT KILL: the client is gone for CLIENT LIST and
	// KILL at once, though its goroutine notices only on its next read.
	killed atomic.Bool

	authed bool
	// peerLink marks another node's forwarding link (route.PeerLinkName):
	// what arrives over it runs here or fails, and is never forwarded.
	peerLink bool
	quit     bool // QUIT ran: ignore the rest of the pipeline
	stats    pipelineStats
	// For latency-tracking: when the pipeline arrived, and how long after
	// that the last command ended.
	pipelineStart time.Time
	elapsed       time.Duration
	failed        bool // the running command replied with an error

	multi     *multiState // non-nil between MULTI and EXEC/DISCARD
	watches   []*store.Watch
	shardsBuf []int             // scratch for the shards a command locks
	keysBuf   [][]byte          // scratch for the keys a command routes by
	group     []groupItem       // scratch: a same-shard run of a pipeline
	remote    []route.RemoteCmd // scratch: a run of a pipeline bound for other nodes

	// Proxy mode's split commands capture local replies here (RunLocal).
	capture    resp.Writer
	captureBuf bytes.Buffer
}

// multiState is a transaction being queued.
type multiState struct {
	queued  []queuedCmd
	aborted bool // a command failed to queue: EXEC answers EXECABORT
}

type queuedCmd struct {
	cmd  *command
	args [][]byte
}

func newClient(s *Server, conn net.Conn) *client {
	now := time.Now()
	c := &client{
		Writer:  resp.NewWriter(conn),
		srv:     s,
		net:     conn,
		id:      s.nextID.Add(1),
		created: now,
		authed:  s.cfg.Requirepass() == "",
	}
	c.lastAt.Store(now.UnixNano())
	c.multiLen.Store(-1)
	return c
}

// release drops what the client holds in the store when it goes away.
func (c *client) release() {
	c.unwatchAll()
}

func (c *client) unwatchAll() {
	for _, w := range c.watches {
		c.srv.store.Unwatch(w)
	}
	c.watches = c.watches[:0]
}

// kill closes the connection from another goroutine; the client's own
// goroutine notices on its next read and cleans up.
func (c *client) kill() {
	c.killed.Store(true)
	c.net.Close()
}

// info renders the client as one CLIENT LIST / CLIENT INFO line, with the
// fields of Redis's format that cachesrv tracks.
func (c *client) info() string {
	now := time.Now()
	flags, multi := "N", int(c.multiLen.Load())
	if multi >= 0 {
		flags = "x"
	}
	cmd := "NULL"
	if lc := c.lastCmd.Load(); lc != nil {
		cmd = lc.fullName
	}
	c.mu.Lock()
	name, libName, libVer := c.name, c.libName, c.libVer
	c.mu.Unlock()
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=-1 name=%s age=%d idle=%d flags=%s db=0 sub=0 psub=0 ssub=0 multi=%d cmd=%s user=default redir=-1 resp=2 lib-name=%s lib-ver=%s",
		c.id, c.net.RemoteAddr(), c.net.LocalAddr(), name,
		int(now.Sub(c.created).Seconds()), int((now.UnixNano()-c.lastAt.Load())/1e9),
		flags, multi, cmd, libName, libVer)
}

// validClientName reports whether s may be a client name: Redis refuses
// spaces, newlines and other characters outside '!'..'~'.
func validClientName(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < '!' || r > '~' })
}

// denyOOM reports whether the transaction queued a command that may add
// data, which makes its EXEC one too.
func (m *multiState) denyOOM() bool {
	for _, q := range m.queued {
		if q.cmd.flags&flagDenyOOM != 0 {
			return true
		}
	}
	return false
}
