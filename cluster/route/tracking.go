package route

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/cachesrv/cachesrv/protocol/resp"
)

// Client-side caching through a proxy node. A client that tracks keys
// through node A reads keys that node B owns; B must tell A when they
// change, and A its client. A does it as any Redis client would:
//
//   - per peer, one listener connection, subscribed (RESP2) to
//     __redis__:invalidate on B;
//   - tracked reads go to B over connections of their own, which run
//     CLIENT TRACKING ON REDIRECT <the listener's ID> first, so that B
//     tracks each key read through them and sends its invalidations to
//     the listener;
//   - the listener hands each invalidated key to the Invalidator (A's own
//     tracking table, which knows which of its clients read the key), and
//     a null one (B was flushed), or the loss of the listener (B may have
//     sent what A did not hear), as nil: A's clients drop their caches.
//
// A remembers its client's interest before forwarding the read, so an
// invalidation that arrives on the listener while the reply is on its way
// is not lost; the client's connection writes it after the reply.

// Invalidator receives a key B invalidated, or nil for "everything".
type Invalidator func(key []byte)

// tracked is the tracking state of the links to one peer.
type tracked struct {
	addr string
	id   int64 // the listener's client ID on the peer
	conn net.Conn

	mu    sync.Mutex
	idle  [2][]*trackedConn // by protocol (RESP2, RESP3)
	dead  bool
	bcast net.Conn // CLIENT TRACKING ON BCAST to the listener (WatchAll)
}

type trackedConn struct {
	conn net.Conn
	rd   *bufio.Reader
}

// trackedPool holds the per-peer tracking state of a router.
type trackedPool struct {
	mu    sync.Mutex
	peers map[string]*tracked
	inv   Invalidator
}

// maxIdleTracked is how many idle tracked connections a peer keeps per
// protocol; more are dialed under load and closed after use.
const maxIdleTracked = 8

// OnInvalidate sets the function that hears peers' invalidations. Call it
// before the first ForwardTracked.
func (r *Router) OnInvalidate(fn Invalidator) {
	r.tracking.mu.Lock()
	r.tracking.inv = fn
	r.tracking.mu.Unlock()
}

// ForwardTracked is Forward for a read of a client that tracks keys: the
// owner tracks the keys it reads on this node's behalf (see above).
func (r *Router) ForwardTracked(addr string, args [][]byte, proto int) []byte {
	t, err := r.trackedPeer(addr)
	if err != nil {
		return TryAgain(err)
	}
	i := 0
	if proto == 3 {
		i = 1
	}
	tc, err := t.get(r, i)
	if err != nil {
		return TryAgain(err)
	}
	tc.conn.SetDeadline(time.Now().Add(forwardTimeout))
	if _, err := tc.conn.Write(resp.AppendCommand(nil, args...)); err != nil {
		tc.conn.Close()
		return TryAgain(err)
	}
	var reply []byte
	for {
		reply, err = resp.AppendReply(reply[:0], tc.rd)
		if err != nil {
			tc.conn.Close()
			return TryAgain(err)
		}
		if len(reply) == 0 || reply[0] != '>' {
			break // a push (tracking-redir-broken) is not the reply
		}
	}
	tc.conn.SetDeadline(time.Time{})
	t.put(tc, i)
	return reply
}

// TryAgain is the reply to a command whose forwarding failed: cluster
// clients retry on TRYAGAIN (the key's owner may have just changed).
func TryAgain(err error) []byte {
	return []byte("-TRYAGAIN forwarding to the key's owner failed: " + resp.Clip([]byte(err.Error()), 200) + "\r\n")
}

// trackedPeer returns the live tracking state for addr, starting its
// listener if there is none.
func (r *Router) trackedPeer(addr string) (*tracked, error) {
	p := &r.tracking
	p.mu.Lock()
	defer p.mu.Unlock()
	if t := p.peers[addr]; t != nil && !t.isDead() {
		return t, nil
	}
	conn, rd, err := dialPeer(addr, false, r.peers)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(forwardDial))
	id, err := subscribeInvalidations(conn, rd)
	if err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	t := &tracked{addr: addr, id: id, conn: conn}
	if p.peers == nil {
		p.peers = map[string]*tracked{}
	}
	p.peers[addr] = t
	go t.listen(rd, p.inv)
	return t, nil
}

// subscribeInvalidations makes conn the listener: it returns its client
// ID, and subscribes it to __redis__:invalidate.
func subscribeInvalidations(conn net.Conn, rd *bufio.Reader) (int64, error) {
	if _, err := conn.Write(append(resp.AppendCommand(nil, []byte("CLIENT"), []byte("ID")),
		resp.AppendCommand(nil, []byte("SUBSCRIBE"), []byte("__redis__:invalidate"))...)); err != nil {
		return 0, err
	}
	v, err := resp.ReadValue(rd)
	if err != nil {
		return 0, err
	}
	id, ok := v.(int64)
	if !ok {
		return 0, errors.New("peer answered CLIENT ID with " + resp.Clip([]byte(strconv.Quote(fmtValue(v))), 100))
	}
	if _, err := resp.ReadValue(rd); err != nil { // the subscribe confirmation
		return 0, err
	}
	return id, nil
}

func fmtValue(v any) string {
	if e, ok := v.(resp.Error); ok {
		return string(e)
	}
	return "an unexpected reply"
}

// listen reads invalidation messages until the connection fails; then
// everything the peer tracked for this node is forgotten, and the
// clients told to drop their caches.
func (t *tracked) listen(rd *bufio.Reader, inv Invalidator) {
	defer func() {
		t.mu.Lock()
		t.dead = true
		idle := t.idle
		t.idle = [2][]*trackedConn{}
		t.mu.Unlock()
		for _, l := range idle {
			for _, c := range l {
				c.conn.Close()
			}
		}
		t.conn.Close()
		if t.bcast != nil {
			t.bcast.Close()
		}
		if inv != nil {
			inv(nil)
		}
	}()
	for {
		v, err := resp.ReadValue(rd)
		if err != nil {
			return
		}
		msg, ok := v.([]any)
		if !ok || len(msg) != 3 || inv == nil {
			continue
		}
		switch keys := msg[2].(type) {
		case nil:
			inv(nil)
		case []any:
			for _, k := range keys {
				if s, ok := k.(string); ok {
					inv([]byte(s))
				}
			}
		}
	}
}

func (t *tracked) isDead() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.dead
}

// get returns an idle tracked connection or dials one.
func (t *tracked) get(r *Router, proto int) (*trackedConn, error) {
	t.mu.Lock()
	if n := len(t.idle[proto]); n > 0 {
		c := t.idle[proto][n-1]
		t.idle[proto] = t.idle[proto][:n-1]
		t.mu.Unlock()
		return c, nil
	}
	t.mu.Unlock()
	conn, rd, err := dialPeer(t.addr, proto == 1, r.peers)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(forwardDial))
	cmd := resp.AppendCommand(nil, []byte("CLIENT"), []byte("TRACKING"), []byte("ON"), []byte("REDIRECT"), []byte(strconv.FormatInt(t.id, 10)))
	if _, err := conn.Write(cmd); err != nil {
		conn.Close()
		return nil, err
	}
	v, err := resp.ReadValue(rd)
	if err != nil || v != "OK" {
		conn.Close()
		if err == nil {
			err = errors.New("peer refused CLIENT TRACKING: " + fmtValue(v))
		}
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return &trackedConn{conn: conn, rd: rd}, nil
}

// put returns a connection to the idle list, or closes it.
func (t *tracked) put(c *trackedConn, proto int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dead || len(t.idle[proto]) >= maxIdleTracked {
		c.conn.Close()
		return
	}
	t.idle[proto] = append(t.idle[proto], c)
}

// closeTracked closes every tracking connection (Router.Close).
func (p *trackedPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, t := range p.peers {
		t.conn.Close()
	}
	p.peers = nil
}

// Mode returns how the router treats keys owned elsewhere.
func (r *Router) Mode() Mode { return r.mode }

// ForwardTx runs cmds on the node at addr as one MULTI ... EXEC, over a
// connection of its own (a transaction's state is a connection's), and
// returns EXEC's elements, each a raw reply; or, when EXEC did not answer
// with an array (EXECABORT, a failed link), that reply and nil. tracked
// says the transaction reads keys for a client that tracks them (the
// connections are the tracked ones in any case: see ForwardTracked).
func (r *Router) ForwardTx(addr string, cmds [][][]byte, proto int, tracked bool) ([]byte, [][]byte) {
	p, err := r.Pin(addr, proto)
	if err != nil {
		return TryAgain(err), nil
	}
	defer p.Release(false)
	return p.Tx(cmds)
}

// Tx runs cmds as MULTI ... EXEC over the pinned connection (after the
// client's WATCH, if any): see ForwardTx.
func (p *Pinned) Tx(cmds [][][]byte) ([]byte, [][]byte) {
	if p.tc == nil {
		return TryAgain(errors.New("the connection to the keys' owner was lost")), nil
	}
	tc := p.tc
	req := resp.AppendCommand(nil, []byte("MULTI"))
	for _, c := range cmds {
		req = resp.AppendCommand(req, c...)
	}
	req = resp.AppendCommand(req, []byte("EXEC"))
	tc.conn.SetDeadline(time.Now().Add(forwardTimeout))
	fail := func(err error) ([]byte, [][]byte) {
		p.lost()
		return TryAgain(err), nil
	}
	if _, err := tc.conn.Write(req); err != nil {
		return fail(err)
	}
	// MULTI's OK and one QUEUED (or error) per command: EXEC's reply
	// tells whether they all queued.
	var (
		skip []byte
		err  error
	)
	for range len(cmds) + 1 {
		if skip, err = readReply(tc.rd, skip[:0]); err != nil {
			return fail(err)
		}
	}
	head, err := tc.rd.ReadSlice('\n')
	if err != nil {
		return fail(err)
	}
	if head[0] != '*' || len(head) < 4 || head[1] == '-' {
		// Not an array: the rest of the reply, if any, follows the line.
		out := append([]byte(nil), head...)
		if head[0] == '$' || head[0] == '!' {
			rest, err := readBulkTail(tc.rd, head)
			if err != nil {
				return fail(err)
			}
			out = append(out, rest...)
		}
		tc.conn.SetDeadline(time.Time{})
		return out, nil
	}
	n, err := strconv.Atoi(string(head[1 : len(head)-2]))
	if err != nil {
		return fail(err)
	}
	elems := make([][]byte, n)
	for j := range elems {
		if elems[j], err = readReply(tc.rd, nil); err != nil {
			return fail(err)
		}
	}
	tc.conn.SetDeadline(time.Time{})
	return nil, elems
}

// readReply reads one reply, skipping pushes.
func readReply(rd *bufio.Reader, dst []byte) ([]byte, error) {
	for {
		b, err := resp.AppendReply(dst, rd)
		if err != nil || len(b) == 0 || b[0] != '>' {
			return b, err
		}
	}
}

// readBulkTail reads the body of a bulk reply whose header line is head.
func readBulkTail(rd *bufio.Reader, head []byte) ([]byte, error) {
	n, err := strconv.Atoi(string(head[1 : len(head)-2]))
	if err != nil || n < 0 {
		return nil, err
	}
	buf := make([]byte, n+2)
	_, err = io.ReadFull(rd, buf)
	return buf, err
}

// WatchAll asks every other node to report every write to this node's
// listener there (CLIENT TRACKING ON BCAST, no prefix): a node whose
// clients track in BCAST mode must hear of changes to keys it does not
// own. It costs a message per write on each peer, so it is asked for only
// while such clients exist, and again after a membership change or a
// lost listener (the caller's job). Peers it cannot reach are skipped.
func (r *Router) WatchAll() {
	self := r.cl.ID()
	for _, m := range r.cl.Members() {
		if m.ID == self || m.RESPAddr == "" {
			continue
		}
		t, err := r.trackedPeer(m.RESPAddr)
		if err != nil {
			continue
		}
		t.watchAll(r)
	}
}

func (t *tracked) watchAll(r *Router) {
	t.mu.Lock()
	if t.bcast != nil || t.dead {
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	conn, rd, err := dialPeer(t.addr, false, r.peers)
	if err != nil {
		return
	}
	conn.SetDeadline(time.Now().Add(forwardDial))
	cmd := resp.AppendCommand(nil, []byte("CLIENT"), []byte("TRACKING"), []byte("ON"), []byte("BCAST"), []byte("REDIRECT"), []byte(strconv.FormatInt(t.id, 10)))
	if _, err := conn.Write(cmd); err != nil {
		conn.Close()
		return
	}
	if v, err := resp.ReadValue(rd); err != nil || v != "OK" {
		conn.Close()
		return
	}
	conn.SetDeadline(time.Time{})
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.bcast != nil || t.dead {
		conn.Close()
		return
	}
	t.bcast = conn
}

// Pinned is a peer connection held by one client between WATCH and EXEC
// (or DISCARD, UNWATCH): WATCH's state lives on the connection that will
// run the transaction, so the owner sees the client's WATCH when it
// happens and aborts EXEC if a watched key changed since.
type Pinned struct {
	Addr  string
	t     *tracked
	tc    *trackedConn
	proto int
}

// Pin takes a connection to the node at addr for one client's exclusive
// use, in the client's protocol.
func (r *Router) Pin(addr string, proto int) (*Pinned, error) {
	t, err := r.trackedPeer(addr)
	if err != nil {
		return nil, err
	}
	i := 0
	if proto == 3 {
		i = 1
	}
	tc, err := t.get(r, i)
	if err != nil {
		return nil, err
	}
	return &Pinned{Addr: addr, t: t, tc: tc, proto: i}, nil
}

// Do sends one command over the pinned connection and returns its reply;
// a failed link answers TRYAGAIN, and the connection is then useless
// (Release drops it).
func (p *Pinned) Do(args [][]byte) []byte {
	if p.tc == nil {
		return TryAgain(errors.New("the connection to the keys' owner was lost"))
	}
	p.tc.conn.SetDeadline(time.Now().Add(forwardTimeout))
	if _, err := p.tc.conn.Write(resp.AppendCommand(nil, args...)); err != nil {
		p.lost()
		return TryAgain(err)
	}
	reply, err := readReply(p.tc.rd, nil)
	if err != nil {
		p.lost()
		return TryAgain(err)
	}
	p.tc.conn.SetDeadline(time.Time{})
	return reply
}

func (p *Pinned) lost() {
	p.tc.conn.Close()
	p.tc = nil
}

// Release gives the connection back, after UNWATCH if unwatch (a
// transaction that ended without EXEC leaves its watches behind).
func (p *Pinned) Release(unwatch bool) {
	if p.tc == nil {
		return
	}
	if unwatch {
		if r := p.Do([][]byte{[]byte("UNWATCH")}); len(r) == 0 || r[0] != '+' {
			if p.tc != nil {
				p.lost()
			}
			return
		}
	}
	p.t.put(p.tc, p.proto)
	p.tc = nil
}
