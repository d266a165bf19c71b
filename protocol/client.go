package protocol

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/acl"
	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// client is one connection's state. Its fields are touched only by the
// connection's own goroutine, except those under mu, which CLIENT LIST and
// CLIENT KILL on other connections read.
type client struct {
	*resp.Writer // replies, flushed once per pipeline (or sooner: see pipeline.go)
	srv          *Server
	net          net.Conn
	id           int64
	// dbSlot is the selected database's (db.go); dbNum its number, which
	// other connections read (CLIENT LIST).
	dbSlot *dbSlot
	dbNum  atomic.Int32
	// dbsLocked: an EXEC holds every shard of lockedStores, each a
	// database's store, for commands that work on several (db.go).
	dbsLocked    bool
	lockedStores []*store.Store

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
	mem    clientMem
	// memCounted is the client's share of Server.clientMem (evict.go).
	memCounted atomic.Int64
	// noEvict (CLIENT NO-EVICT on) keeps maxmemory-clients from closing it.
	noEvict atomic.Bool
	// noTouch (CLIENT NO-TOUCH on): reads leave keys' access data alone.
	noTouch atomic.Bool

	// out carries pub/sub messages and invalidations (push.go); nil until
	// the client subscribes, tracks, or is another's REDIRECT target.
	out   atomic.Pointer[outbox]
	subs  subscriptions             // cmd_pubsub.go
	track atomic.Pointer[trackOpts] // CLIENT TRACKING state; nil when off (tracking.go)
	// caching is CLIENT CACHING's answer for the next command: 1 yes,
	// -1 no, 0 not given.
	caching int8
	// forwardingTracked: a tracked read is being split across nodes; its
	// keys are remembered already (trackForward).
	forwardingTracked bool
	// proto mirrors the reply writer's protocol for other goroutines
	// (a REDIRECT target's outbox); updated after each pipeline.
	proto atomic.Int32

	authed bool
	// user is who the connection runs as (ACL): default until AUTH or
	// HELLO AUTH. Other connections read it (CLIENT LIST, ACL DELUSER).
	user atomic.Pointer[acl.Ref]
	// peerLink marks another node's forwarding link: what arrives over it
	// runs here or fails, and is never forwarded. With a cluster secret a
	// link is one that proved it (CACHESRV.PEER AUTH); without one, one
	// named route.PeerLinkName.
	peerLink bool
	// readonly: READONLY was sent (redirect mode's reads from replicas);
	// execing: EXEC is running its queue (WAIT answers at once); repl:
	// what WAIT waits for (replication.go).
	readonly, execing bool
	repl              *clientRepl
	// peerChallenge is the challenge CACHESRV.PEER CHALLENGE gave, until
	// the one CACHESRV.PEER AUTH it allows.
	peerChallenge []byte
	quit          bool // QUIT ran: ignore the rest of the pipeline
	// protected: protected mode refuses this client unless it proves it
	// is a node of the cluster (admit, cmd_peer.go).
	protected bool
	stats     pipelineStats
	stripe    *statStripe // where stats go: Server.stats.stripes[id % statStripes]
	// For latency-tracking: when the pipeline arrived (monotonic, see
	// monoNow), and how long after that the last command ended.
	pipelineStart time.Duration
	elapsed       time.Duration
	failed        bool // the running command replied with an error

	multi      *multiState // non-nil between MULTI and EXEC/DISCARD
	watches    []*store.Watch
	shardsBuf  []int             // scratch for the shards a command locks
	keysBuf    [][]byte          // scratch for the keys a command routes by
	lastLookup lookupCache       // the last command name found (command.go)
	group      []groupItem       // scratch: a same-shard run of a pipeline
	remote     []route.RemoteCmd // scratch: a run of a pipeline bound for other nodes
	// pinned is the peer connection holding this client's WATCH of keys
	// another node owns, until EXEC, DISCARD or UNWATCH (tx_remote.go).
	pinned *route.Pinned

	// Proxy mode's split commands capture local replies here (RunLocal).
	capture    *resp.Writer
	captureBuf bytes.Buffer

	script *scriptCtx // the state of scripts this client runs (cmd_scripting.go)
	blk    blockState // BLPOP and the like (blocking.go)

	monitorScratch monitorScratch // what MONITOR lines of its commands are built with (cmd_monitor.go)
	reply          replyState     // CLIENT REPLY OFF / SKIP (cmd_connection_ops.go)
}

// clientMem is what a connection holds, as CLIENT LIST and INFO report
// it; the client's own goroutine updates it after each read and around
// each write.
type clientMem struct {
	qbuf, qbufFree atomic.Int64 // query buffer: bytes not yet handed over, free space
	rbs            atomic.Int64 // query buffer size
	omem           atomic.Int64 // replies buffered and not yet taken by the socket
	pushed         atomic.Int64 // pushes (pub/sub, invalidations) not yet written
	multi          atomic.Int64 // bytes of the commands queued in MULTI
}

// clientOverhead estimates what a connection costs besides its buffers:
// its goroutine's stack (8 KiB to start) and the client and reader
// structs.
const clientOverhead = 10 << 10

// total is the tot-mem of CLIENT LIST: everything the connection holds.
func (m *clientMem) total() int64 {
	return clientOverhead + m.rbs.Load() + m.omem.Load() + m.pushed.Load() + m.multi.Load()
}

// flush writes the buffered replies, showing them as omem while the socket
// takes them. With a normal-class client-output-buffer-limit set, replies
// past the hard limit close the client, and replies past the soft limit
// must be taken within its seconds, as Redis enforces for its clients.
func (c *client) flush() error {
	o := c.out.Load()
	if o == nil {
		return c.flushReplies()
	}
	// Replies first, then the pushes queued meanwhile: an invalidation
	// must not overtake the reply it makes stale (push.go).
	o.wmu.Lock()
	defer o.wmu.Unlock()
	if pending := o.take(); len(pending) > 0 {
		c.pushWriter().WriteRaw(pending) // one write for both
		o.recycle(pending)
	}
	if r := c.reply.real; r != nil { // CLIENT REPLY OFF: the pushes still go out (cmd_connection_ops.go)
		if err := r.Flush(); err != nil {
			return err
		}
	}
	return c.flushReplies()
}

// flushReplies writes the buffered replies; see flush.
func (c *client) flushReplies() error {
	n := int64(c.Buffered())
	if n == 0 {
		return c.Flush()
	}
	lim := c.srv.cfg.OutputBufferLimit(config.ClassNormal)
	if lim.Hard > 0 && n > lim.Hard {
		c.srv.log.Warn("client closed for overcoming of output buffer limits", "client", c.net.RemoteAddr().String(), "omem", n)
		c.srv.stats.outputLimitClosed.Add(1)
		c.net.Close()
	} else if lim.Soft > 0 && n > lim.Soft {
		c.net.SetWriteDeadline(time.Now().Add(lim.SoftTime))
		defer c.net.SetWriteDeadline(time.Time{})
	}
	c.mem.omem.Store(n)
	// Replies count toward maxmemory-clients only while it is set: this
	// runs once per pipeline, and the running total is shared.
	evict := c.srv.cfg.MaxMemoryClients.Load() != 0
	if evict {
		c.noteMem()
	}
	err := c.Flush() // omem > 0 meanwhile: CLIENT LIST's events=rw
	c.mem.omem.Store(0)
	if evict {
		c.noteMem()
	}
	return err
}

// multiState is a transaction being queued.
type multiState struct {
	queued  []queuedCmd
	aborted bool // a command failed to queue: EXEC answers EXECABORT
	// In a cluster in proxy mode, where the queued commands' keys live:
	// remote is the owner's address when another node, local that this
	// one; at most one of them (tx_remote.go).
	remote string
	local  bool
}

type queuedCmd struct {
	cmd  *command
	args [][]byte
}

// countingWriter counts the bytes written to a client's connection for
// INFO's total_net_output_bytes, into the client's own statistics (the
// client's goroutine is the only writer).
type countingWriter struct {
	w io.Writer
	n *int64
}

func (cw countingWriter) Write(p []byte) (int, error) {
	n, err := cw.w.Write(p)
	*cw.n += int64(n)
	return n, err
}

func newClient(s *Server, conn net.Conn) *client {
	now := time.Now()
	c := &client{
		srv:     s,
		net:     conn,
		id:      s.nextID.Add(1),
		created: now,
		authed:  s.defaultOpen(),
	}
	c.stripe = &s.stats.stripes[c.id%statStripes]
	c.proto.Store(2)
	c.selectDB(0)
	c.Writer = resp.NewWriter(countingWriter{conn, &c.stats.netOut})
	c.user.Store(s.users.Default())
	c.lastAt.Store(now.UnixNano())
	c.multiLen.Store(-1)
	return c
}

// release drops what the client holds in the store when it goes away.
func (c *client) release() {
	c.unwatchAll()
	c.unsubscribeAll()
	c.trackingOff()
	c.srv.tracking.clients.Delete(c.id)
	c.srv.ops.monitors.remove(c)
	if o := c.out.Load(); o != nil {
		o.close()
	}
}

func (c *client) unwatchAll() {
	for _, w := range c.watches {
		c.srv.store.Unwatch(w) // from whichever database's store holds it
	}
	c.watches = c.watches[:0]
	if c.pinned != nil { // WATCH on another node (tx_remote.go)
		c.pinned.Release(true)
		c.pinned = nil
	}
}

// kill closes the connection from another goroutine; the client's own
// goroutine notices on its next read and cleans up.
func (c *client) kill() {
	c.killed.Store(true)
	c.net.Close()
}

// info renders the client as one CLIENT LIST / CLIENT INFO line in Redis
// 7's format. argv-mem is 0 because arguments alias the query buffer
// (qbuf, rbs), and obl and oll are 0 because replies wait in one buffer,
// shown as omem while the socket has not taken them.
func (c *client) info() string {
	now := time.Now()
	flags, multi := "", int(c.multiLen.Load())
	if c.subs.total.Load() > 0 {
		flags = "P"
	}
	if multi >= 0 {
		flags += "x"
	}
	redir := int64(-1)
	if o := c.track.Load(); o != nil {
		flags += "t"
		if o.bcast {
			flags += "B"
		}
		redir = o.redirect
	}
	if c.noEvict.Load() {
		flags += "e"
	}
	if c.noTouch.Load() {
		flags += "T"
	}
	if c.srv.blocking.isBlocked(c.id) {
		flags += "b" // blocking.go
	}
	if c.srv.ops.monitors.monitoring(c) {
		flags += "O" // MONITOR (cmd_monitor.go)
	}
	if flags == "" {
		flags = "N"
	}
	cmd := "NULL"
	if lc := c.lastCmd.Load(); lc != nil {
		cmd = lc.fullName
	}
	c.mu.Lock()
	name, libName, libVer := c.name, c.libName, c.libVer
	c.mu.Unlock()
	events := "r"
	if c.mem.omem.Load() > 0 { // flushReplies is waiting for the socket
		events = "rw"
	}
	m := &c.mem
	return fmt.Sprintf("id=%d addr=%s laddr=%s fd=-1 name=%s age=%d idle=%d flags=%s db=%d %s multi=%d qbuf=%d qbuf-free=%d argv-mem=0 multi-mem=%d rbs=%d rbp=%d obl=0 oll=0 omem=%d tot-mem=%d events=%s cmd=%s user=%s redir=%d resp=%d lib-name=%s lib-ver=%s",
		c.id, c.net.RemoteAddr(), c.net.LocalAddr(), name,
		int(now.Sub(c.created).Seconds()), int((now.UnixNano()-c.lastAt.Load())/1e9),
		flags, c.dbNum.Load(), c.pubsubInfo(), multi, m.qbuf.Load(), m.qbufFree.Load(), m.multi.Load(), m.rbs.Load(), m.rbs.Load(),
		m.omem.Load(), m.total(), events, cmd, c.user.Load().Name(), redir, c.proto.Load(), libName, libVer)
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
