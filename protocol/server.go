// Package protocol serves the Redis protocol over TCP: the connection loop
// (server.go), each connection's state (client.go), the command table
// (command.go) that drives dispatch, arity checks, COMMAND and INFO, and
// dispatch itself (dispatch.go, pipeline.go): every key command runs
// against the store under its shards' locks, or, in a cluster, where
// cluster/route sends it. Handlers live one file per command family
// (cmd_strings.go, cmd_keys.go, ...). Framing and reply encoding are in
// protocol/resp, settings in protocol/config.
//
// Numbered databases (db.go): each database is a store.Store of its own,
// made on first use with Store.NewShared so that all of them share
// database 0's memory state: one maxmemory budget, eviction that may take
// keys from any database, one active expiry cycle. That keeps 16 unused
// databases from costing 16 x 256 shards up front, keeps every store's
// code path as it was (no database number inside the store's keys or
// index), and makes SWAPDB an O(1) exchange of two pointers in the
// server's table. A client holds a pointer to its database's slot and
// loads the store from it per command (one pointer load on database 0's
// path; no lock, no map). Commands that touch two databases lock the
// stores in creation order, then by shard. A cluster node serves
// database 0 only, as Redis Cluster.
//
// The transport is one goroutine per connection on Go's netpoller: read
// whatever has arrived, run it, write every reply in one write. An event
// loop (epoll, as Redis; github.com/panjf2000/gnet/v2) was measured
// against it and not adopted, for now. At pipeline 1 a request's CPU is
// mostly the kernel's TCP path in both models (57-69%); what differs is
// the Go scheduler's share (parking and waking goroutines, idle threads
// spinning, futex and nanosleep): 16% with GOMAXPROCS=2, 6% with 1 (the
// default on 2 cores, cmd/cachesrv) and 6% for gnet (bench/README.md,
// "Where the time goes at pipeline 1"). A minimal server on each
// transport (bench/transportfloor) used 22.2 and 19.2 us of CPU per GET,
// redis-server 16.8 and cachesrv 20.2 with GOMAXPROCS=1 (bench/rbcompare,
// 2 cores). So an event loop would save roughly a tenth of the CPU at
// pipeline 1 and little at 16, and it would mean redesigning what now
// waits on its own goroutine - a blocked BLPOP, CLIENT PAUSE, a client
// behind a long script, a full output buffer, WAIT - as state machines,
// with pushes from other goroutines and TLS on top.
package protocol

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/acl"
	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/pubsub"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// Version is reported by INFO, HELLO and the start-up log line.
var Version = "0.1.0"

// redisVersion is the Redis version whose commands and replies we follow;
// clients read it from INFO and HELLO to decide which features to use.
const redisVersion = "7.0.0"

// Server is one cachesrv RESP endpoint.
type Server struct {
	cfg *config.Config
	// store is the store NewServer was given: database 0's until a SWAPDB
	// moves it, always the one whose memory every database's store shares
	// (so memory limits, usage and eviction go through it), and, on a
	// cluster node, where SWAPDB is refused, database 0 (db.go).
	store *store.Store
	dbs   databases // the numbered databases (db.go)
	log   *slog.Logger

	started time.Time
	nextID  atomic.Int64

	mu      sync.Mutex
	clients map[int64]*client

	closing atomic.Bool
	drained chan struct{} // closed when the last client is gone after shutdown began
	// listeners are those Serve accepts on (the RESP port, and the TLS
	// port when tls-port is set); Shutdown closes them all.
	listeners []net.Listener

	stats serverStats

	shutdownReq shutdownRequest

	// Connection buffers let go since the heap was last handed back to
	// the operating system, and whether that is under way (released).
	freed   atomic.Int64
	freeing atomic.Bool

	router  *route.Router // nil on a single node
	handoff *handoff      // moving keys with their slots (handoff.go); nil on a single node
	repl    *replication  // replicas of this node's slots (replication.go); nil without

	scripting scripting // Lua scripts and functions (cmd_scripting.go)

	pubsub   *pubsub.Hub // channels and patterns (cmd_pubsub.go)
	tracking *tracking   // client-side caching (tracking.go)

	users  *acl.Users // ACL users (cmd_acl.go)
	aclLog acl.Log

	// clientMem is what all clients hold, kept as a running total of
	// each client's memCounted for maxmemory-clients (evict.go);
	// evictMu lets one goroutine at a time evict.
	clientMem atomic.Int64
	evictMu   sync.Mutex

	ops ops // SLOWLOG, LATENCY's monitor, MONITOR (ops.go)

	blocking blocking // clients blocked by BLPOP and the like (blocking.go)
}

// cacheLine is the size of a CPU cache line on the machines we run on.
const cacheLine = 64

// serverStats are the counters INFO stats reports.
type serverStats struct {
	connectionsReceived atomic.Int64
	rejectedConns       atomic.Int64
	evictedClients      atomic.Int64 // closed for maxmemory-clients
	outputLimitClosed   atomic.Int64 // closed for client-output-buffer-limit
	// The counters every pipeline adds to are spread over stripes, one
	// cache line each, a client adding to the stripe its ID picks: one
	// shared set written by every connection made each pipeline move
	// those cache lines between cores (several cross-core transfers per
	// request at pipeline 1), and also the lines of the fields every
	// request reads next to them. Readers (INFO, metrics) add them up.
	_       [cacheLine]byte
	stripes [statStripes]statStripe
}

// statStripes is how many stripes serverStats has: enough that the
// connections of a busy server rarely share one.
const statStripes = 64

// statStripe is one stripe of serverStats's per-pipeline counters.
type statStripe struct {
	processed    atomic.Int64 // INFO total_commands_processed
	hits, misses atomic.Int64 // keyspace_hits, keyspace_misses
	netIn        atomic.Int64 // bytes read from clients (total_net_input_bytes)
	netOut       atomic.Int64 // bytes written to clients (total_net_output_bytes)
	_            [cacheLine - 5*8]byte
}

// counters lists the stripe's counters, in statTotals's order.
func (t *statStripe) counters() [5]*atomic.Int64 {
	return [5]*atomic.Int64{&t.processed, &t.hits, &t.misses, &t.netIn, &t.netOut}
}

// statTotals is serverStats's striped counters added up.
type statTotals struct{ processed, hits, misses, netIn, netOut int64 }

// totals adds up the stripes, in one pass.
func (s *serverStats) totals() statTotals {
	var n [5]int64
	for i := range s.stripes {
		for j, c := range s.stripes[i].counters() {
			n[j] += c.Load()
		}
	}
	return statTotals{n[0], n[1], n[2], n[3], n[4]}
}

// resetStripes zeroes the striped counters (CONFIG RESETSTAT).
func (s *serverStats) resetStripes() {
	for i := range s.stripes {
		for _, c := range s.stripes[i].counters() {
			c.Store(0)
		}
	}
}

// NewServer returns a server over st configured by cfg. The store takes
// its memory limits from its own options; CONFIG SET hands it changes.
func NewServer(cfg *config.Config, st *store.Store, log *slog.Logger) *Server {
	s := &Server{
		cfg:         cfg,
		store:       st,
		log:         log,
		started:     time.Now(),
		clients:     make(map[int64]*client),
		drained:     make(chan struct{}),
		shutdownReq: shutdownRequest{ch: make(chan struct{})},
		users:       newUsers(cfg),
		pubsub:      pubsub.NewHub(),
		tracking:    newTracking(st.Shards()),
	}
	s.initDatabases(st)
	return s
}

// Serve accepts clients on ln until Shutdown. It returns nil after a
// clean shutdown. It may run on several listeners at once (one per
// port, e.g. a tls.Listener for tls-port), all serving the same keyspace.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closing.Load() { // Shutdown has already closed the others
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.listeners = append(s.listeners, ln)
	s.mu.Unlock()
	var wg sync.WaitGroup
	defer wg.Wait()
	var backoff time.Duration // after temporary accept errors (accept.go)
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return nil
			}
			if !temporaryAcceptError(err) {
				return err
			}
			backoff = nextAcceptBackoff(backoff)
			s.log.Warn("cannot accept a client, retrying", "err", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		c := s.admit(conn)
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.serveConn(c)
		}()
	}
}

var errAlreadyShuttingDown = errors.New("already shutting down")

// Shutdown stops accepting clients, lets each finish the commands it has
// already sent, closes them, and returns when all are gone or ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	if !s.closing.CompareAndSwap(false, true) {
		return errAlreadyShuttingDown
	}
	s.mu.Lock()
	for _, ln := range s.listeners {
		ln.Close()
	}
	for _, c := range s.clients {
		// Wake a client blocked in read; one in the middle of a pipeline
		// finishes it and writes its replies first (serveConn reads no
		// more once closing is set).
		c.net.SetReadDeadline(time.Now())
	}
	empty := len(s.clients) == 0
	s.mu.Unlock()
	if empty {
		s.closeDrained()
	}
	if s.router != nil {
		defer s.router.Close()
	}
	s.handoff.stop()
	s.repl.stop()
	select {
	case <-s.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *Server) closeDrained() {
	select {
	case <-s.drained:
	default:
		close(s.drained)
	}
}

// admit registers a new connection as a client, or refuses it (shutting
// down, or maxclients reached, with Redis's error).
func (s *Server) admit(conn net.Conn) *client {
	s.stats.connectionsReceived.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		conn.Close()
		return nil
	}
	if int64(len(s.clients)) >= s.cfg.MaxClients.Load() {
		s.stats.rejectedConns.Add(1)
		conn.Write([]byte("-ERR max number of clients reached\r\n"))
		conn.Close()
		return nil
	}
	protected := s.protectedModeRefuses(conn) // protected.go
	if protected && (s.router == nil || !s.router.PeerAuth()) {
		s.stats.rejectedConns.Add(1)
		go refuseDenied(conn)
		return nil
	}
	c := newClient(s, conn)
	// In a cluster with a secret, a connection protected mode refuses may
	// still prove it is another node (CACHESRV.PEER): nodes forward to
	// each other's RESP port, which no password need guard. Anything else
	// it sends gets -DENIED (dispatch).
	c.protected = protected
	s.clients[c.id] = c
	c.memCounted.Store(c.mem.total())
	s.clientMem.Add(c.memCounted.Load())
	return c
}

// serveConn runs one client: read every command the client has sent,
// run them, write all their replies at once, repeat.
func (s *Server) serveConn(c *client) {
	cr := &connReader{c: c}
	rd := resp.NewReader(cr, s.cfg.RequestLimits())
	cr.rd = rd
	defer func() { s.drop(c, rd.Size()) }()
	for !c.quit {
		if s.closing.Load() {
			return
		}
		rd.Unauthenticated = !c.authed || c.protected
		cmds, err := rd.ReadPipeline()
		c.noteQueryBuffer(rd, 0)
		// The pipeline arrived with the last read; commands left from an
		// earlier read (one at a time before AUTH) start now.
		start := cr.lastRead
		if start <= c.pipelineStart {
			start = monoNow()
		}
		c.pipelineStart, c.elapsed = start, 0
		c.stats.flushNet(c.stripe) // the bytes so far, before INFO can run
		o := c.out.Load()
		if o != nil {
			o.begin() // pushes wait for this pipeline's replies (push.go)
		}
		c.runPipeline(cmds)
		c.stats.flush(c.stripe) // before the replies: a client that saw them sees them counted
		if perr, ok := err.(resp.ProtocolError); ok && perr != "" {
			c.WriteError("ERR Protocol error: " + string(perr))
			if c.flush() == nil {
				lingerClose(c.net)
			}
			return
		}
		ferr := c.flush()
		if o := c.out.Load(); o != nil {
			c.proto.Store(int32(c.Proto()))
			o.resp3.Store(c.RESP3())
			o.end()
		} else if c.RESP3() != (c.proto.Load() == 3) {
			c.proto.Store(int32(c.Proto()))
		}
		if ferr != nil || err != nil {
			return
		}
		if freed := rd.Shrink(); freed > 0 {
			c.noteQueryBuffer(rd, 0)
			s.released(freed)
		}
	}
}

// noteQueryBuffer publishes the query buffer's figures for CLIENT LIST,
// with arrived bytes the reader has not counted yet.
func (c *client) noteQueryBuffer(rd *resp.Reader, arrived int) {
	used, free := rd.Buffered()
	storeChanged(&c.mem.qbuf, int64(used+arrived))
	storeChanged(&c.mem.qbufFree, int64(free-arrived))
	storeChanged(&c.mem.rbs, int64(rd.Size()))
	c.noteMem()
}

// storeChanged stores x in v unless v holds it already. On x86 a load is
// a plain move and an atomic store a locked exchange, which waits for the
// core's store buffer to drain; the figures CLIENT LIST reads are stored
// on every read and most often have not changed.
func storeChanged(v *atomic.Int64, x int64) {
	if v.Load() != x {
		v.Store(x)
	}
}

// connReader is what a client's request reader reads from: its
// connection, with the idle deadline (--timeout) renewed before every
// read. Redis counts a client idle from the last bytes it sent, not from
// its last complete command, so a large value arriving slowly is not
// idleness.
type connReader struct {
	c        *client
	rd       *resp.Reader  // for the query buffer's figures
	timed    bool          // a read deadline is set
	lastRead time.Duration // when bytes last arrived (monoNow)
}

func (r *connReader) Read(p []byte) (int, error) {
	c, s := r.c, r.c.srv
	if b := &c.blk; len(b.pending) > 0 { // sent while the client was blocked (blocking.go)
		n := copy(p, b.pending)
		if b.pending = b.pending[n:]; len(b.pending) == 0 {
			b.pending = nil
		}
		return n, nil
	}
	if t := s.cfg.Timeout.Load(); t > 0 {
		c.net.SetReadDeadline(time.Now().Add(time.Duration(t) * time.Second))
		r.timed = true
	} else if r.timed {
		c.net.SetReadDeadline(time.Time{})
		r.timed = false
	}
	if s.closing.Load() { // lost a race with Shutdown's wake-up deadline
		return 0, net.ErrClosed
	}
	n, err := c.net.Read(p)
	if n > 0 {
		r.lastRead = monoNow() // also the pipeline's start (serveConn)
		c.lastAt.Store(monoWall + int64(r.lastRead))
		c.stats.netIn += int64(n)
		c.noteQueryBuffer(r.rd, n) // a command still arriving shows in CLIENT LIST
	}
	return n, err
}

// monoNow reads the monotonic clock, as time since the process started:
// one clock read, where time.Now makes two (the wall clock too). On the
// 2-core VM the benchmarks run on a read costs about 65 ns, and the
// request path needs one per read and one per command (BenchmarkRequestPath).
func monoNow() time.Duration { return time.Since(monoBase) }

var (
	monoBase = time.Now()
	// monoWall turns a monoNow reading into Unix nanoseconds, for what
	// only needs the wall clock to the second (CLIENT LIST's idle).
	monoWall = monoBase.UnixNano()
)

// freeOSAfter is how many bytes of connection buffers may be let go
// before the heap is handed back to the operating system at once: after
// a burst of large commands the runtime's scavenger would otherwise keep
// the memory for minutes.
const freeOSAfter = 64 << 20

// released notes that a connection let go of n bytes of buffers.
func (s *Server) released(n int) {
	if s.freed.Add(int64(n)) < freeOSAfter || !s.freeing.CompareAndSwap(false, true) {
		return
	}
	s.freed.Store(0)
	go func() {
		defer s.freeing.Store(false)
		debug.FreeOSMemory()
	}()
}

// lingerClose closes a connection whose client may still be sending, so
// that the error reply just written is not lost: closing a socket with
// unread input makes the kernel send a reset, and the client's kernel may
// then drop the reply before the client reads it. It stops sending, reads
// and discards what still arrives (bounded in time and bytes), then closes.
func lingerClose(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.CloseWrite()
		tc.SetReadDeadline(time.Now().Add(time.Second))
		io.CopyN(io.Discard, tc, 4<<20)
	}
	conn.Close()
}

// drop closes a client's connection and forgets it; its reader's buffer
// of bufSize bytes goes with it.
func (s *Server) drop(c *client, bufSize int) {
	c.net.Close()
	c.release()
	c.stats.flushNet(c.stripe)
	s.clientMem.Add(-c.memCounted.Swap(0))
	s.released(bufSize)
	s.mu.Lock()
	delete(s.clients, c.id)
	last := len(s.clients) == 0
	s.mu.Unlock()
	if last && s.closing.Load() {
		s.closeDrained()
	}
}

// ClientCount returns the number of connected clients.
func (s *Server) ClientCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// EnableCluster makes s a node of cl: keys are routed by cl's slot table,
// and keys owned elsewhere handled as mode says. Call it before Serve.
func (s *Server) EnableCluster(cl *cluster.Cluster, mode route.Mode) {
	s.router = route.New(cl, mode, s.cfg.Requirepass, s.cfg.TLS.PeerTLS())
	// Client-side caching across nodes: peers' invalidations of keys read
	// through this node, and a full flush when slots change owner, since
	// their new owners do not know what this node's clients cached.
	s.router.OnInvalidate(s.remoteInvalidation)
	cl.OnTableChange(func(_, _ *cluster.Table) {
		s.tracking.flushed()
		s.watchRemoteWrites() // new members too
	})
	s.handoff = newHandoff(s, cl)
	if cl.Table().ReplicaCount() > 0 {
		s.repl = newReplication(s, cl)
	}
}

// Cluster returns the cluster this server is a node of, nil on a single node.
func (s *Server) Cluster() *cluster.Cluster {
	if s.router == nil {
		return nil
	}
	return s.router.Cluster()
}

// ForwardStats returns, per peer, what proxy mode forwarded to it.
func (s *Server) ForwardStats() []route.PeerForwardStats {
	if s.router == nil {
		return nil
	}
	return s.router.ForwardStats()
}

// Ready reports whether the server is accepting clients: Serve has been
// called and Shutdown has not begun. A load balancer or Kubernetes probe
// reads it through /readyz, so that a node being drained stops getting new
// clients while its existing ones finish. A cluster node is not ready
// while it is down (cluster.Cluster.Down): started with seeds, none has
// answered yet and it has not bootstrapped a cluster of its own, so it
// answers key commands with -CLUSTERDOWN.
func (s *Server) Ready() bool {
	if s.closing.Load() {
		return false
	}
	if cl := s.Cluster(); cl != nil && cl.Down() {
		return false // CLUSTERDOWN until it joins or bootstraps a cluster
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.listeners) > 0
}
