package protocol

// Blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP (cmd_list*.go)
// and the sorted sets' BZPOPMIN, BZPOPMAX, BZMPOP use this file, with
// Redis's semantics (blocked.c).
//
// How a blocking command's handler uses it. Register the command with
// flagBlocking (dispatch runs it alone, never in a same-shard group, and
// forwards it in proxy mode by polling: see forwardBlocking). The handler
// runs under its keys' shard locks, like any other:
//
//	func cmdBLPOP(c *client, args [][]byte, tx store.Tx) {
//		timeout, ok := c.blockTimeout(args[len(args)-1]) // Redis's errors
//		if !ok {
//			return
//		}
//		for _, key := range args[1 : len(args)-1] {
//			... pop from key as LPOP would and reply; return
//			// a key of another type: WRONGTYPE, except on a re-run
//			// (c.blockRerun()), where Redis skips it
//		}
//		if c.block(args[1:len(args)-1], timeout) {
//			return // the client waits; the handler runs again later
//		}
//		c.WriteNullArray() // the command's timeout reply
//	}
//
// c.block registers the client as waiting on the keys and returns true,
// or returns false when the command must not block: inside MULTI/EXEC or
// a script (where blocking commands answer at once, as in Redis), on a
// peer link, when the timeout has passed, or after CLIENT UNBLOCK ...
// TIMEOUT. The handler then writes its timeout reply.
//
// Once the handler returns and the dispatcher has released the shard
// locks, the client's own goroutine waits (waitBlocked): no goroutine per
// blocked client or key, and no lock held. When a key it waits on becomes
// ready, or the timeout passes, it runs the handler again, under the
// locks as before; a handler that again finds nothing calls c.block
// again, and the client keeps its place in each key's line.
//
// Writers need do nothing: every write through the store calls the
// store's change hook (storeChanged), which marks a key some client waits
// on as ready, whatever its type (a key "ready" is simply one written
// since). After each command, with its locks released, the writing
// connection wakes the first waiter of each ready key (wakeReady); a push
// inside MULTI/EXEC or a script thus wakes waiters after the transaction
// or script, whose locks the woken client needs to look. A woken client
// that is served writes its own pop, which marks the key ready again and
// wakes the next in line: clients blocked on a key are served in the
// order they blocked, one element each, for as long as there are
// elements.
//
// While blocked, the client's goroutine reads its socket (into a side
// buffer that the next read returns first): that is how it notices a
// disconnect, and how a wake-up reaches it (the waker sets a read
// deadline in the past). A client that disconnects while blocked leaves
// no trace: its goroutine returns and its place in every line is given
// up.

import (
	"errors"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/store"
)

// blocking is the server's registry of blocked clients.
type blocking struct {
	mu     sync.Mutex
	queues map[blockKey][]*waiter // key -> the clients waiting on it, in the order they blocked
	byID   map[int64]*waiter      // client id -> its waiter (CLIENT UNBLOCK)
	ready  []blockKey             // keys written since, with waiters, to wake
	marked map[blockKey]bool      // the keys in ready

	hasReady atomic.Bool
	keys     atomic.Int64 // keys with waiters: the change hook's fast path
	clients  atomic.Int64 // blocked clients (INFO blocked_clients)
}

// blockKey is a key in a database.
type blockKey struct {
	db  int
	key string
}

// unblockMode is what woke a waiter besides its keys.
type unblockMode uint8

const (
	unblockNone    unblockMode = iota
	unblockTimeout             // CLIENT UNBLOCK id [TIMEOUT]
	unblockError               // CLIENT UNBLOCK id ERROR
)

// waiter is one blocked client. Its fields are guarded by blocking.mu.
type waiter struct {
	c         *client
	db        int // the database of keys
	keys      []string
	signalled bool // woken since it last looked
	unblock   unblockMode
}

// blockState is a client's side of blocking: touched only by its own
// goroutine.
type blockState struct {
	allowed  bool      // a top-level run of a blocking command: c.block may register
	asked    bool      // the handler called c.block and it registered
	rerun    bool      // the handler runs again after a wake-up
	expired  bool      // the timeout passed (or CLIENT UNBLOCK TIMEOUT): block no more
	started  bool      // the deadline below is set
	deadline time.Time // zero: no timeout
	w        *waiter   // registered, until the command is done
	// pending holds bytes the client sent while blocked, which the next
	// read returns first (connReader).
	pending []byte
}

// blockTimeout parses a blocking command's timeout, seconds as a double
// (0 = forever), with Redis's errors. The result is in milliseconds,
// truncated as Redis does (so a timeout under a millisecond is forever).
func (c *client) blockTimeout(arg []byte) (int64, bool) {
	str := string(arg)
	if h := strings.TrimLeft(str, "+-"); len(str)-len(h) <= 1 && len(h) > 2 && h[0] == '0' && h[1]|0x20 == 'x' && !strings.ContainsAny(h, "pP") {
		str += "p0" // strtold's hexadecimal form, which Go wants with an exponent
	}
	f, err := strconv.ParseFloat(str, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || len(arg) == 0 || arg[0] == ' ' || math.IsNaN(f) {
		c.errorReply("ERR timeout is not a float or out of range")
		return 0, false
	}
	if errors.Is(err, strconv.ErrRange) && !math.IsInf(f, 0) {
		f = 0 // underflow
	}
	ms := f * 1000
	if ms >= math.MaxInt64 || ms < math.MinInt64 || math.IsInf(ms, 0) {
		// Redis converts to a long long with the processor's result for
		// values out of range: the most negative one.
		c.errorReply("ERR timeout is negative")
		return 0, false
	}
	t := int64(ms)
	if t < 0 {
		c.errorReply("ERR timeout is negative")
		return 0, false
	}
	if t > 0 && t > math.MaxInt64-time.Now().UnixMilli() {
		c.errorReply("ERR timeout is out of range")
		return 0, false
	}
	return t, true
}

// block registers c as waiting on keys for at most timeout milliseconds
// (0 = forever, counted from the command's first run) and reports
// whether it did; false means the handler writes its timeout reply now.
// See the top of this file.
func (c *client) block(keys [][]byte, timeout int64) bool {
	b := &c.blk
	if !b.allowed || b.expired || c.peerLink {
		return false
	}
	if !b.started {
		b.started = true
		if timeout > 0 && timeout < 1<<40 { // longer (35 years) waits as forever: a Duration overflows
			b.deadline = time.Now().Add(time.Duration(timeout) * time.Millisecond)
		}
	}
	b.asked = true
	if b.w == nil {
		b.w = c.srv.blocking.register(c, keys)
	}
	return true
}

// blockRerun reports whether the handler runs again after a wake-up:
// keys of another type are then skipped, not WRONGTYPE, as Redis serves
// a blocked client only from a key of the right type.
func (c *client) blockRerun() bool { return c.blk.rerun }

// register puts c at the end of the line of each of its keys.
func (r *blocking) register(c *client, keys [][]byte) *waiter {
	w := &waiter{c: c, db: int(c.dbNum.Load()), keys: make([]string, 0, len(keys))}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.queues == nil {
		r.queues = make(map[blockKey][]*waiter)
		r.byID = make(map[int64]*waiter)
		r.marked = make(map[blockKey]bool)
	}
	for _, k := range keys {
		ks := string(k)
		if slicesContains(w.keys, ks) {
			continue // BLPOP k k
		}
		w.keys = append(w.keys, ks)
		bk := blockKey{w.db, ks}
		q := r.queues[bk]
		if len(q) == 0 {
			r.keys.Add(1)
		}
		r.queues[bk] = append(q, w)
	}
	r.byID[c.id] = w
	r.clients.Add(1)
	return w
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// unregister takes w out of every line, and wakes the new first waiter
// of each: whatever made w leave (served, timed out, gone), a wake-up it
// absorbed for another of its keys must not be lost. A waiter woken for
// nothing looks, finds nothing and waits on in its place.
func (r *blocking) unregister(w *waiter) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ks := range w.keys {
		k := blockKey{w.db, ks}
		q := r.queues[k]
		for i, x := range q {
			if x == w {
				q = append(q[:i], q[i+1:]...)
				break
			}
		}
		if len(q) == 0 {
			delete(r.queues, k)
			r.keys.Add(-1)
		} else {
			r.queues[k] = q
			r.wakeHeadLocked(k)
		}
	}
	if r.byID[w.c.id] == w {
		delete(r.byID, w.c.id)
	}
	r.clients.Add(-1)
}

// keyChanged is called by the store's change hook, under the key's shard
// lock, for every write: a key with waiters becomes ready.
func (r *blocking) keyChanged(db int, key []byte) {
	if r.keys.Load() == 0 {
		return
	}
	r.mu.Lock()
	r.markLocked(blockKey{db, string(key)})
	r.mu.Unlock()
}

// markLocked makes k ready if it has waiters.
func (r *blocking) markLocked(k blockKey) {
	if _, waited := r.queues[k]; waited && !r.marked[k] {
		r.marked[k] = true
		r.ready = append(r.ready, k)
		r.hasReady.Store(true)
	}
}

// dbsChanged makes every key with waiters in databases a and b ready:
// after SWAPDB, as Redis, the clients blocked there look again.
func (r *blocking) dbsChanged(a, b int) {
	if r.keys.Load() == 0 {
		return
	}
	r.mu.Lock()
	for k := range r.queues {
		if k.db == a || k.db == b {
			r.markLocked(k)
		}
	}
	r.mu.Unlock()
}

// wakeReady wakes the first waiter of each ready key. Connections call it
// after each command, with no shard lock held.
func (r *blocking) wakeReady() {
	if !r.hasReady.Load() {
		return
	}
	r.mu.Lock()
	for _, k := range r.ready {
		delete(r.marked, k)
		r.wakeHeadLocked(k)
	}
	clear(r.ready)
	r.ready = r.ready[:0]
	r.hasReady.Store(false)
	r.mu.Unlock()
}

// wakeHeadLocked wakes the first waiter in key's line (it may already be
// awake: then it will look again anyway).
func (r *blocking) wakeHeadLocked(key blockKey) {
	if q := r.queues[key]; len(q) > 0 {
		q[0].wakeLocked()
	}
}

// wakeLocked makes the waiter's goroutine stop waiting: the read it waits
// in gets a deadline in the past.
func (w *waiter) wakeLocked() {
	if !w.signalled {
		w.signalled = true
		w.c.net.SetReadDeadline(time.Unix(1, 0))
	}
}

// unblockClient is CLIENT UNBLOCK: it reports whether the client was
// blocked.
func (r *blocking) unblockClient(id int64, mode unblockMode) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	w := r.byID[id]
	if w == nil || w.unblock != unblockNone {
		return false
	}
	w.unblock = mode
	w.signalled = false // force the wake-up through
	w.wakeLocked()
	return true
}

// isBlocked reports whether the client is blocked, for CLIENT LIST.
func (r *blocking) isBlocked(id int64) bool {
	if r.clients.Load() == 0 {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byID[id] != nil
}

// wakeReason is why a blocked client's wait ended.
type wakeReason uint8

const (
	wakeReady   wakeReason = iota // a key it waits on was written
	wakeTimeout                   // its timeout passed, or CLIENT UNBLOCK TIMEOUT
	wakeError                     // CLIENT UNBLOCK ERROR
	wakeGone                      // the connection closed (or the server shuts down)
)

// callBlocking runs a blocking command at the top level: it may block,
// and then waits and runs it again until it is served, times out, or the
// client goes.
func (c *client) callBlocking(cmd *command, args [][]byte) {
	b := &c.blk
	*b = blockState{allowed: true, pending: b.pending}
	c.call(cmd, args)
	for b.asked {
		b.asked = false
		if c.flush() != nil { // the replies before it go out first
			c.quit = true
			break
		}
		reason := c.awaitWake()
		if reason == wakeGone {
			c.quit = true
			break
		}
		if reason == wakeError {
			c.errorReply("UNBLOCKED client unblocked via CLIENT UNBLOCK")
			break
		}
		b.expired = reason == wakeTimeout
		b.rerun = true
		c.call(cmd, args)
	}
	if b.w != nil {
		c.srv.blocking.unregister(b.w)
		c.endWait()
	}
	*b = blockState{pending: b.pending}
	// What it popped marks the key ready again: the next in line looks
	// (dispatch wakes it).
}

// awaitWake waits, reading the socket, until the client is woken, its
// deadline passes, or it goes.
func (c *client) awaitWake() wakeReason {
	r, b := &c.srv.blocking, &c.blk
	for {
		c.net.SetReadDeadline(b.deadline) // zero: none
		// After the deadline is set: Shutdown sets closing, then a
		// deadline in the past, which this one must not undo.
		if c.srv.closing.Load() || c.killed.Load() {
			return wakeGone
		}
		r.mu.Lock()
		signalled, mode := b.w.signalled, b.w.unblock
		b.w.signalled = false
		r.mu.Unlock()
		switch {
		case mode == unblockError:
			return wakeError
		case mode == unblockTimeout:
			return wakeTimeout
		case signalled:
			return wakeReady
		}
		if !b.deadline.IsZero() && !time.Now().Before(b.deadline) {
			return wakeTimeout
		}
		if len(b.pending) == cap(b.pending) {
			if int64(len(b.pending)) >= c.srv.cfg.ClientQueryBufferLimit.Load() {
				return wakeGone // as Redis closes a client past client-query-buffer-limit
			}
			b.pending = append(b.pending, make([]byte, 16<<10)...)[:len(b.pending)]
		}
		n, err := c.net.Read(b.pending[len(b.pending):cap(b.pending)])
		if n > 0 {
			b.pending = b.pending[:len(b.pending)+n]
			c.stats.netIn += int64(n)
		}
		if err != nil && !isReadTimeout(err) {
			return wakeGone
		}
	}
}

// endWait clears the wake-up deadline once the client is no longer
// registered (no waker can set it again).
func (c *client) endWait() { c.net.SetReadDeadline(time.Time{}) }

func isReadTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// blockedClients is INFO's blocked_clients.
func (s *Server) blockedClients() int64 { return s.blocking.clients.Load() }

// blockingKeyChanged is the change hook's part for blocking.
func (s *Server) blockingKeyChanged(db int, key []byte, why store.Change) {
	if why == store.Written {
		s.blocking.keyChanged(db, key)
	}
}
