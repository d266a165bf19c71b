package protocol

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/rdb"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// Replicas (--cluster-replicas R): each slot also lives on the next R
// distinct nodes clockwise on the ring (cluster/replicas.go), so that when
// its owner fails, the node the ring gives the slot to next, its first
// replica, already holds the keys.
//
// What is replicated is a key's state, not the command that changed it:
// the owner keeps, per replica node, an ordered queue of the keys its
// writes changed (a key already waiting is not queued twice), and a
// goroutine per replica sends them in batches (CACHESRV.PEER REPLICATE)
// with the value as DUMP serializes it and the absolute expiry time (or
// "gone" for a key deleted, expired or evicted), read when the batch is
// built. Why state: commands whose effect is not a function of their
// arguments (SPOP, SRANDMEMBER, INCRBYFLOAT's formatting, EXPIRE's
// relative times, scripts) need no rewriting, a replica never expires a
// key before its owner does (the time is absolute), and a key written
// many times while its replica is slow is sent once. What it costs: a
// write to one field of a large hash sends the whole hash, and keys
// reach a replica in the order they were first changed since the last
// batch, each with its newest value, so a replica's copy is not always a
// state the owner passed through as a whole (each key's value is one the
// owner had).
//
// A batch goes out after the previous one was acknowledged: the stream
// per replica is ordered and at most one batch is in flight. The
// acknowledged position is the stream's offset, which WAIT compares
// with the position each client's writes reached.
//
// A replica takes a batch only for slots its own table says it
// replicates from the sender (else TRYAGAIN, and the sender retries
// until the two tables agree, or drops keys no longer its to send). It
// never writes a slot it owns from a stream.
//
// When the replicas of a slot this node owns change (a node joined, a
// node failed and this node took its slots over, a replica left), the
// new replica gets every key of the slot: the stream walks the store as
// hand-off does and queues the slot's keys, a few hundred at a time.
// A node that no longer replicates a slot (and does not own it) drops
// its keys. A queue that grows past replMaxQueued (a replica that does
// not keep up or cannot be reached) is dropped and replaced by such a
// full walk.
type replication struct {
	srv    *Server
	cl     *cluster.Cluster
	router *route.Router

	set atomic.Pointer[replSet]

	mu      sync.Mutex
	streams map[string]*replStream // by replica node ID

	// drop are slots whose copies this node no longer keeps.
	dropMu sync.Mutex
	drop   map[int]bool

	// acked is closed and replaced whenever a stream's acknowledged
	// offset moves (WAIT waits on it).
	ackMu sync.Mutex
	acked chan struct{}

	done  chan struct{}
	close sync.Once
	kick  chan struct{}

	stats replStats

	// maxQueued is replMaxQueued; beforeBatch, when set, runs before each
	// batch is sent. Tests change them to drive a stream past its limit.
	maxQueued   atomic.Int64
	beforeBatch atomic.Pointer[func()]
}

// replSet is what the store's change hook consults: the table streams
// were set up for and the stream of each of its nodes (nil for nodes that
// replicate nothing of this node's).
type replSet struct {
	t       *cluster.Table
	streams []*replStream
}

type replStats struct {
	keysSent, bytesSent, batches, keysApplied, resyncs, dropped atomic.Int64
}

// ReplicationStats are the replication counters of a node, for metrics.
type ReplicationStats struct {
	KeysSent, BytesSent int64 // key states sent to replicas and acknowledged
	KeysApplied         int64 // key states received from owners and applied here
	FullSyncs           int64 // walks that queued every key of slots for a replica
	KeysDropped         int64 // copies dropped because this node no longer replicates their slot
	Peers               []ReplicaPeer
}

// ReplicaPeer is one replica this node streams to.
type ReplicaPeer struct {
	ID, Addr     string
	Sent, Acked  uint64 // stream offsets: key states queued, and acknowledged by the replica
	PendingKeys  int    // key states queued and not yet acknowledged
	PendingBytes int64  // bytes of the keys queued (their values are read when sent)
	Lag          time.Duration
	Syncing      bool // a full walk of some slots is under way
}

const (
	replBatchKeys  = 256
	replBatchBytes = 1 << 20
	replMaxQueued  = 1 << 20
	replRetry      = 100 * time.Millisecond
)

// replStream is the ordered stream of key states to one replica.
type replStream struct {
	id string
	r  *replication
	// maxQueued is replMaxQueued, or what a test set (replication.maxQueued).
	maxQueued int
	addr      atomic.Pointer[string]

	mu     sync.Mutex
	queue  []replEntry
	queued map[string]struct{}
	bytes  int64
	seq    uint64 // offset of the last entry queued
	sync   *replSync
	acked  atomic.Uint64
	head   atomic.Uint64 // = seq, readable without mu
	oldest atomic.Int64  // unix nanos of the oldest unacknowledged entry, 0 if none

	wake   chan struct{}
	closed chan struct{}
}

type replEntry struct {
	key   string
	seq   uint64
	at    int64 // unix nanos queued
	flush bool  // FLUSHALL/FLUSHDB here: the replica drops its copies of this node's slots
}

// replSync is a walk of the store queueing every key of slots for a new
// replica.
type replSync struct {
	slots  [cluster.NumSlots]bool
	shard  int
	cursor uint64
}

func newReplication(s *Server, cl *cluster.Cluster) *replication {
	r := &replication{srv: s, cl: cl, router: s.router, streams: map[string]*replStream{}, drop: map[int]bool{},
		acked: make(chan struct{}), done: make(chan struct{}), kick: make(chan struct{}, 1)}
	r.maxQueued.Store(replMaxQueued)
	t := cl.Table()
	r.set.Store(&replSet{t: t, streams: make([]*replStream, t.Len())})
	cl.OnTableChanges(r.tableChanging, func(_, _ *cluster.Table) {})
	go r.run()
	return r
}

func (r *replication) stop() {
	if r == nil {
		return
	}
	r.close.Do(func() {
		close(r.done)
		r.mu.Lock()
		for id, s := range r.streams {
			close(s.closed)
			delete(r.streams, id)
		}
		r.mu.Unlock()
	})
}

// tableChanging sets the streams up for next, before it takes over:
// a stream per node that replicates some slot this node owns, with a full
// walk of the slots it newly replicates from here; and it notes the slots
// this node no longer keeps copies of.
func (r *replication) tableChanging(prev, next *cluster.Table) {
	select {
	case <-r.done:
		return
	default:
	}
	newSlots := map[string][]int{}
	var reps, prevReps []int
	r.dropMu.Lock()
	for s := range cluster.NumSlots {
		if next.Local(s) {
			delete(r.drop, s)
			reps = next.Replicas(reps[:0], s)
			prevReps = prevReps[:0]
			if prev.Local(s) {
				prevReps = prev.Replicas(prevReps, s)
			}
			for _, i := range reps {
				id := next.Nodes()[i]
				if !containsNode(prev, prevReps, id) {
					newSlots[id] = append(newSlots[id], s)
				}
			}
			continue
		}
		if !next.LocalReplica(s) && (prev.Local(s) || prev.LocalReplica(s)) {
			// Lost as owner: hand-off sends the keys and deletes them.
			// Lost as a replica only: drop the copies here.
			if !prev.Local(s) {
				r.drop[s] = true
			}
		} else if next.LocalReplica(s) {
			delete(r.drop, s)
		}
	}
	r.dropMu.Unlock()

	r.mu.Lock()
	select {
	case <-r.done: // stopped meanwhile: start no stream
		r.mu.Unlock()
		return
	default:
	}
	set := &replSet{t: next, streams: make([]*replStream, next.Len())}
	used := map[string]bool{}
	for s := range cluster.NumSlots {
		if !next.Local(s) {
			continue
		}
		for _, i := range next.Replicas(reps[:0], s) {
			id := next.Nodes()[i]
			if set.streams[i] == nil {
				st := r.streams[id]
				if st == nil {
					st = &replStream{id: id, r: r, maxQueued: int(r.maxQueued.Load()), queued: map[string]struct{}{}, wake: make(chan struct{}, 1), closed: make(chan struct{})}
					r.streams[id] = st
					go r.runStream(st)
				}
				addr := next.Addr(i)
				st.addr.Store(&addr)
				set.streams[i] = st
				used[id] = true
			}
		}
	}
	for id, st := range r.streams {
		if !used[id] {
			close(st.closed)
			delete(r.streams, id)
		}
	}
	r.set.Store(set)
	for id, slots := range newSlots {
		st := r.streams[id]
		st.mu.Lock()
		if st.sync == nil {
			st.sync = &replSync{}
		} else {
			st.sync.shard, st.sync.cursor = 0, 0 // walk again for the new slots
		}
		for _, s := range slots {
			st.sync.slots[s] = true
		}
		st.mu.Unlock()
		r.stats.resyncs.Add(1)
		st.poke()
	}
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func containsNode(t *cluster.Table, idx []int, id string) bool {
	for _, i := range idx {
		if t.Nodes()[i] == id {
			return true
		}
	}
	return false
}

func (s *replStream) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// keyChanged is the store change hook's part for replication (under the
// key's shard lock): a key of a slot this node owns is queued for each
// of the slot's replicas.
func (r *replication) keyChanged(key []byte) {
	if r == nil {
		return
	}
	set := r.set.Load()
	slot := cluster.Slot(key)
	if !set.t.Local(slot) {
		return
	}
	var buf [8]int
	for _, i := range set.t.Replicas(buf[:0], slot) {
		if st := set.streams[i]; st != nil {
			st.push(key)
		}
	}
}

// push queues key unless it is already queued.
func (s *replStream) push(key []byte) {
	s.mu.Lock()
	if _, ok := s.queued[string(key)]; !ok {
		k := string(key)
		s.queued[k] = struct{}{}
		s.seq++
		now := time.Now().UnixNano()
		s.queue = append(s.queue, replEntry{key: k, seq: s.seq, at: now})
		s.bytes += int64(len(k))
		s.head.Store(s.seq)
		s.oldest.CompareAndSwap(0, now)
		if len(s.queue) > s.maxQueued && s.sync == nil {
			s.r.stats.resyncs.Add(1)
			// The replica does not keep up: start over with a walk of
			// every slot it replicates from here (set up by run).
			s.queue, s.queued, s.bytes = nil, map[string]struct{}{}, 0
			s.sync = &replSync{}
			s.sync.slots = [cluster.NumSlots]bool{}
			for i := range s.sync.slots {
				s.sync.slots[i] = true // filtered when sent
			}
		}
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// flushed queues, after a FLUSHALL or FLUSHDB here, a flush for every
// replica: in its place in the stream, it drops the replica's copies of
// this node's slots (the keys were not deleted one by one).
func (r *replication) flushed() {
	if r == nil {
		return
	}
	set := r.set.Load()
	for _, st := range set.streams {
		if st == nil {
			continue
		}
		st.mu.Lock()
		// What is queued, the flush deletes anyway: drop it, so that a
		// key written after the flush is queued again after it. Left
		// marked as queued, it would not be, and its one entry, before
		// the flush, would be sent and then deleted by the flush.
		kept := st.queue[:0]
		for _, e := range st.queue {
			if e.flush {
				kept = append(kept, e)
			}
		}
		clear(kept[len(kept):len(st.queue)])
		st.queue = kept
		clear(st.queued)
		st.bytes = 0
		st.seq++
		st.queue = append(st.queue, replEntry{seq: st.seq, at: time.Now().UnixNano(), flush: true})
		st.head.Store(st.seq)
		st.oldest.CompareAndSwap(0, time.Now().UnixNano())
		st.mu.Unlock()
		st.poke()
	}
}

// flushOwned deletes the keys of the slots this node owns, one shard at
// a time, and keeps its copies of other nodes' slots.
func (r *replication) flushOwned() {
	st := r.srv.store
	for i := range st.Shards() {
		var keys [][]byte
		for cursor, done := uint64(0), false; !done; {
			t := r.set.Load().t
			cursor, done = st.ScanShard(i, cursor, handoffScanCount, func(k []byte) bool { return t.Local(cluster.Slot(k)) },
				func(_ store.Tx, k []byte) { keys = append(keys, bytes.Clone(k)) })
		}
		st.LockShard(i, true)
		tx := st.Tx()
		for _, k := range keys {
			tx.Delete(k)
		}
		st.UnlockShard(i, true)
	}
}

// run drops the copies of slots this node no longer replicates.
func (r *replication) run() {
	for {
		select {
		case <-r.done:
			return
		case <-r.kick:
		}
		r.dropCopies()
	}
}

func (r *replication) dropCopies() {
	r.dropMu.Lock()
	if len(r.drop) == 0 {
		r.dropMu.Unlock()
		return
	}
	var drop [cluster.NumSlots]bool
	for s := range r.drop {
		drop[s] = true
	}
	clear(r.drop)
	r.dropMu.Unlock()
	st := r.srv.store
	for i := range st.Shards() {
		var keys [][]byte
		for cursor, done := uint64(0), false; !done; {
			cursor, done = st.ScanShard(i, cursor, handoffScanCount, func(k []byte) bool { return drop[cluster.Slot(k)] },
				func(_ store.Tx, k []byte) { keys = append(keys, bytes.Clone(k)) })
		}
		if len(keys) == 0 {
			continue
		}
		t := r.cl.Table()
		st.LockShard(i, true)
		tx := st.Tx()
		for _, k := range keys {
			if s := cluster.Slot(k); !t.Local(s) && !t.LocalReplica(s) {
				tx.Delete(k)
				r.stats.dropped.Add(1)
			}
		}
		st.UnlockShard(i, true)
	}
}

// take pops up to replBatchKeys entries, walking the store for a full
// sync first when the queue is short.
func (r *replication) take(s *replStream) []replEntry {
	for {
		s.mu.Lock()
		sync := s.sync
		if len(s.queue) >= replBatchKeys || sync == nil {
			n := min(len(s.queue), replBatchKeys)
			out := s.queue[:n:n]
			s.queue = s.queue[n:]
			for _, e := range out {
				if !e.flush {
					delete(s.queued, e.key)
					s.bytes -= int64(len(e.key))
				}
			}
			if len(s.queue) == 0 {
				s.queue = nil
			}
			s.mu.Unlock()
			return out
		}
		shard, cursor := sync.shard, sync.cursor
		slots := &sync.slots
		s.mu.Unlock()
		st := r.srv.store
		var keys [][]byte
		next, done := st.ScanShard(shard, cursor, handoffScanCount, func(k []byte) bool { return slots[cluster.Slot(k)] },
			func(_ store.Tx, k []byte) { keys = append(keys, bytes.Clone(k)) })
		for _, k := range keys {
			s.push(k)
		}
		s.mu.Lock()
		if s.sync == sync && sync.shard == shard && sync.cursor == cursor {
			sync.cursor = next
			if done {
				sync.shard, sync.cursor = shard+1, 0
				if sync.shard >= st.Shards() {
					s.sync = nil
				}
			}
		}
		s.mu.Unlock()
	}
}

// runStream sends s's key states to its replica, one batch at a time.
func (r *replication) runStream(s *replStream) {
	self := []byte(r.cl.ID())
	for {
		select {
		case <-s.closed:
			return
		case <-s.wake:
		}
		for {
			batch := r.take(s)
			if len(batch) == 0 {
				if s.acked.Load() >= s.head.Load() {
					s.oldest.Store(0)
				}
				break
			}
			if f := r.beforeBatch.Load(); f != nil {
				(*f)()
			}
			args, size := r.buildBatch(s, self, batch)
			failing, warned := time.Time{}, time.Time{}
			for !r.sendBatch(s, args) {
				// A replica that keeps refusing (a --cluster-replicas that
				// differs between nodes, tables that stay apart) or cannot
				// be reached says so in the log, every 30 s.
				if now := time.Now(); failing.IsZero() {
					failing = now
				} else if now.Sub(failing) > 10*time.Second && now.Sub(warned) > 30*time.Second {
					warned = now
					r.srv.log.Warn("replication: a replica has refused or missed every batch for a while; is --cluster-replicas the same on every node?",
						"replica", s.id, "addr", *s.addr.Load(), "for", now.Sub(failing).Round(time.Second))
				}
				select {
				case <-s.closed:
					return
				case <-time.After(replRetry):
				}
			}
			r.stats.keysSent.Add(int64(len(args)-3) / 3)
			r.stats.bytesSent.Add(size)
			r.stats.batches.Add(1)
			last := batch[len(batch)-1].seq
			if last > s.acked.Load() {
				s.acked.Store(last)
			}
			s.mu.Lock()
			if len(s.queue) > 0 {
				s.oldest.Store(s.queue[0].at)
			} else {
				s.oldest.Store(0)
			}
			s.mu.Unlock()
			r.notifyAcked()
		}
	}
}

// buildBatch reads the state of batch's keys: the value in DUMP's
// format and the absolute expiry in Unix milliseconds (0: none), or an
// empty value for a key that is gone. Keys this node no longer sends to
// s (the slot moved, or s stopped replicating it) are left out.
func (r *replication) buildBatch(s *replStream, self []byte, batch []replEntry) ([][]byte, int64) {
	set := r.set.Load()
	i := set.t.Index(s.id)
	st := r.srv.store
	args := [][]byte{[]byte(route.PeerCommand), []byte("REPLICATE"), self}
	var size int64
	for _, e := range batch {
		if e.flush {
			args = append(args, nil, []byte("-1"), nil)
			continue
		}
		key := []byte(e.key)
		slot := cluster.Slot(key)
		if !set.t.Local(slot) || !set.t.IsReplica(slot, i) {
			continue
		}
		sh := st.ShardOf(key)
		st.LockShard(sh, false)
		tx := st.Tx()
		var payload []byte
		at := int64(0)
		if tx.Exists(key) {
			var ok bool
			if payload, ok = dumpValue(tx, key); ok {
				_, at, _ = tx.Lookup(key)
			}
		}
		st.UnlockShard(sh, false)
		args = append(args, key, strconv.AppendInt(nil, at, 10), payload)
		size += int64(len(key) + len(payload))
	}
	return args, size
}

// sendBatch sends one batch and reports whether the replica took it.
func (r *replication) sendBatch(s *replStream, args [][]byte) bool {
	if len(args) == 3 {
		return true
	}
	reply := r.router.ForwardBulk(*s.addr.Load(), args)
	if len(reply) > 0 && reply[0] == ':' {
		return true
	}
	r.srv.log.Debug("replication: batch refused, will retry", "replica", s.id, "reply", resp.Clip(reply, 200))
	return false
}

func (r *replication) notifyAcked() {
	r.ackMu.Lock()
	close(r.acked)
	r.acked = make(chan struct{})
	r.ackMu.Unlock()
}

func (r *replication) ackedChan() <-chan struct{} {
	r.ackMu.Lock()
	defer r.ackMu.Unlock()
	return r.acked
}

// Stats returns replication's counters and the state of each stream.
func (r *replication) Stats() ReplicationStats {
	if r == nil {
		return ReplicationStats{}
	}
	out := ReplicationStats{KeysSent: r.stats.keysSent.Load(), BytesSent: r.stats.bytesSent.Load(),
		KeysApplied: r.stats.keysApplied.Load(), FullSyncs: r.stats.resyncs.Load(), KeysDropped: r.stats.dropped.Load()}
	r.mu.Lock()
	for _, s := range r.streams {
		p := ReplicaPeer{ID: s.id, Addr: *s.addr.Load(), Sent: s.head.Load(), Acked: s.acked.Load()}
		s.mu.Lock()
		p.PendingKeys = int(p.Sent - min(p.Acked, p.Sent))
		p.PendingBytes = s.bytes
		p.Syncing = s.sync != nil
		s.mu.Unlock()
		if o := s.oldest.Load(); o != 0 {
			p.Lag = time.Since(time.Unix(0, o))
		}
		out.Peers = append(out.Peers, p)
	}
	r.mu.Unlock()
	return out
}

// ReplicationStats returns the replication counters of a cluster node
// with replicas (zero otherwise).
func (s *Server) ReplicationStats() ReplicationStats { return s.repl.Stats() }

// clientRepl is what WAIT needs of a client's writes: per replica, the
// stream offset its last write there reached, and the distinct replica
// sets its writes went to.
type clientRepl struct {
	offsets map[string]uint64
	groups  map[string][]string
	// forwarded: a write was forwarded to its owner (proxy mode); its
	// replication is the owner's, which this node cannot see, so WAIT
	// answers 0 at once on this connection from then on.
	forwarded bool
}

func (c *client) forwardedWrite() {
	if c.repl == nil {
		c.repl = &clientRepl{offsets: map[string]uint64{}, groups: map[string][]string{}}
	}
	c.repl.forwarded = true
}

// noteWrite records, after a write command ran here, the offsets its
// keys' replicas' streams have reached.
func (r *replication) noteWrite(c *client, cmd *command, args [][]byte) {
	set := r.set.Load()
	if set.t.ReplicaCount() == 0 {
		return
	}
	var buf [8]int
	cmd.keyPositions(args, func(key []byte) {
		slot := cluster.Slot(key)
		if !set.t.Local(slot) {
			return
		}
		reps := set.t.Replicas(buf[:0], slot)
		if len(reps) == 0 {
			return
		}
		if c.repl == nil {
			c.repl = &clientRepl{offsets: map[string]uint64{}, groups: map[string][]string{}}
		}
		var ids []string
		for _, i := range reps {
			st := set.streams[i]
			if st == nil {
				continue
			}
			ids = append(ids, st.id)
			c.repl.offsets[st.id] = max(c.repl.offsets[st.id], st.head.Load())
		}
		g := strings.Join(ids, ",")
		if _, ok := c.repl.groups[g]; !ok && len(c.repl.groups) < 256 {
			c.repl.groups[g] = ids
		}
	})
}

// acks returns how many replicas acknowledged all of c's writes: the
// least, over the replica sets its writes went to, of the replicas that
// acknowledged the offset c's writes reached.
func (r *replication) acks(c *client) int {
	if c.repl != nil && c.repl.forwarded {
		return 0
	}
	if c.repl == nil || len(c.repl.groups) == 0 {
		return r.replicasOf()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	least := -1
	for _, ids := range c.repl.groups {
		n := 0
		for _, id := range ids {
			if s := r.streams[id]; s != nil && s.acked.Load() >= c.repl.offsets[id] {
				n++
			}
		}
		if least < 0 || n < least {
			least = n
		}
	}
	return max(least, 0)
}

// replicasOf is WAIT's answer for a client that wrote nothing here that
// has replicas: the number of replicas of this node's slots (every one
// has acknowledged all of none), as Redis answers with its connected
// replicas.
func (r *replication) replicasOf() int {
	set := r.set.Load()
	return min(set.t.ReplicaCount(), max(set.t.Len()-1, 0))
}

// replicaApply is the replica side of a batch: every key must be of a
// slot this node replicates from node (by its own table), else the batch
// is refused with TRYAGAIN and the sender retries.
func cmdPeerReplicate(c *client, args [][]byte, _ store.Tx) {
	r := c.srv.repl
	if !c.peerLink || c.srv.handoff == nil {
		c.errorReply(errPeerOnly)
		return
	}
	if (len(args)-3)%3 != 0 {
		c.errorReply(errWrongArgs("cachesrv.peer|replicate"))
		return
	}
	t := c.srv.Cluster().Table()
	from := t.Index(string(args[2]))
	self := t.Self()
	for j := 3; j < len(args); j += 3 {
		if string(args[j+1]) == "-1" && len(args[j]) == 0 {
			continue // a flush
		}
		slot := cluster.Slot(args[j])
		if from < 0 || self < 0 || t.Owner(slot) != from || !t.IsReplica(slot, self) {
			c.errorReply("TRYAGAIN this node does not replicate the slot of " + string(resp.Clip(args[j], 64)) + " from that node")
			return
		}
	}
	st := c.srv.store
	n := 0
	for j := 3; j < len(args); j += 3 {
		key, payload := args[j], args[j+2]
		at, err := strconv.ParseInt(string(args[j+1]), 10, 64)
		if err != nil {
			c.errorReply(errNotInteger)
			return
		}
		if at == -1 && len(key) == 0 {
			n += flushCopies(c.srv, from, self)
			continue
		}
		var put func(store.Tx, []byte)
		if len(payload) > 0 {
			typ, body, err := rdb.Open(payload)
			if err == nil {
				put, err = decodeValue(typ, body)
			}
			if err != nil {
				continue
			}
		}
		i := st.ShardOf(key)
		st.LockShard(i, true)
		tx := st.Tx()
		tx.Delete(key)
		if put != nil && (at == 0 || at > tx.Now()) {
			put(tx, key)
			if at > 0 {
				tx.SetExpire(key, at)
			}
		}
		st.UnlockShard(i, true)
		n++
	}
	if r != nil {
		r.stats.keysApplied.Add(int64(n))
	}
	c.WriteInt(n)
}

// flushCopies deletes this node's copies of the slots node from owns and
// this node replicates, by the table of the caller.
func flushCopies(s *Server, from, self int) int {
	t := s.Cluster().Table()
	st := s.store
	n := 0
	for i := range st.Shards() {
		var keys [][]byte
		for cursor, done := uint64(0), false; !done; {
			cursor, done = st.ScanShard(i, cursor, handoffScanCount, func(k []byte) bool {
				slot := cluster.Slot(k)
				return t.Owner(slot) == from && t.IsReplica(slot, self)
			}, func(_ store.Tx, k []byte) { keys = append(keys, bytes.Clone(k)) })
		}
		st.LockShard(i, true)
		tx := st.Tx()
		for _, k := range keys {
			if tx.Delete(k) {
				n++
			}
		}
		st.UnlockShard(i, true)
	}
	return n
}

// WAIT numreplicas timeout: blocks until numreplicas replicas have
// acknowledged every write this client made on this node, or timeout
// milliseconds (0: for ever) pass, and returns how many did. Inside
// MULTI it answers at once, as Redis does.
func cmdWait(c *client, args [][]byte, _ store.Tx) {
	want, ok := parseInt(args[1])
	if !ok {
		c.errorReply(errNotInteger)
		return
	}
	timeout, ok := parseInt(args[2])
	if !ok {
		c.errorReply("ERR timeout is not an integer or out of range")
		return
	}
	if timeout < 0 {
		c.errorReply("ERR timeout is negative")
		return
	}
	r := c.srv.repl
	if c.repl != nil && c.repl.forwarded {
		// Some of the client's writes ran on other nodes (proxy mode):
		// no replica here can be said to hold them. A cluster-aware
		// client sends WAIT to the node its writes went to. It stays
		// so for the connection: 0 never claims more than is known.
		c.WriteInt(0)
		return
	}
	count := func() int {
		if r == nil {
			return 0
		}
		return r.acks(c)
	}
	n := count()
	if int64(n) >= want || c.execing {
		c.WriteInt(n)
		return
	}
	var deadline <-chan time.Time
	if timeout > 0 {
		tm := time.NewTimer(time.Duration(min(timeout, 1<<40)) * time.Millisecond)
		defer tm.Stop()
		deadline = tm.C
	}
	var acked <-chan struct{}
	// The server shutting down ends the wait too (it is polled: a
	// shutdown closes no channel a client can select on).
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
wait:
	for {
		if r != nil {
			acked = r.ackedChan()
		}
		if n = count(); int64(n) >= want {
			break
		}
		select {
		case <-acked:
		case <-poll.C:
			if c.srv.closing.Load() {
				break wait
			}
		case <-deadline:
			n = count()
			break wait
		}
	}
	if c.repl != nil && r != nil && n >= r.replicasOf() {
		c.repl = nil // everything acknowledged everywhere: nothing left to wait for
	}
	c.WriteInt(n)
}

// READONLY and READWRITE: in redirect mode a READONLY client may read
// keys of the slots this node replicates (Redis Cluster's reads from
// replicas); anywhere else they only answer OK.
func cmdReadonly(c *client, _ [][]byte, _ store.Tx) {
	c.readonly = true
	c.WriteString("OK")
}

func cmdReadwrite(c *client, _ [][]byte, _ store.Tx) {
	c.readonly = false
	c.WriteString("OK")
}

func init() {
	register(&command{name: "wait", arity: 3, flags: flagNoScript, acl: []string{"slow", "connection"}, run: cmdWait})
	flags := flagNoScript | flagLoading | flagStale | flagNoMulti
	addSubcommands("cachesrv.peer",
		&command{name: "replicate", arity: -3, flags: flags | flagWrite, acl: []string{"admin", "slow", "dangerous"}, run: cmdPeerReplicate})
	docs["cachesrv.peer|replicate"] = cmdDoc{summary: "Applies the state of keys a slot's owner replicates to this node, one of the slot's replicas: each key's value in DUMP's format (empty: the key is gone) and its absolute expiry in Unix milliseconds (0: none).",
		since: "0.3.0", group: "cluster", complexity: "O(N) where N is the size of the values", args: []argDoc{
			{name: "node-id", typ: "string"},
			{name: "data", typ: "block", multiple: true, args: []argDoc{{name: "key", typ: "string"}, {name: "unix-time-milliseconds", typ: "integer"}, {name: "serialized-value", typ: "string"}}}}}
}

// infoReplicas is INFO replication on a node with --cluster-replicas.
// Every node is a master (of its own slots), so role stays master; the
// slaves listed are the nodes that replicate some of its slots, each
// with its stream: offset is the stream's acknowledged position in key
// states (not bytes, as in Redis), lag the age in seconds of its oldest
// unacknowledged key state, state online, or wait_bgsave while the
// node is being sent every key of slots it newly replicates.
// master_repl_offset is the sum of the streams' positions.
func infoReplicas(s *Server, b *strings.Builder) {
	st := s.repl.Stats()
	slices.SortFunc(st.Peers, func(a, b ReplicaPeer) int { return strings.Compare(a.ID, b.ID) })
	field(b, "connected_slaves", len(st.Peers))
	var offset uint64
	for i, p := range st.Peers {
		host, port := hostPort(p.Addr)
		state := "online"
		if p.Syncing {
			state = "wait_bgsave"
		}
		field(b, "slave"+strconv.Itoa(i), fmt.Sprintf("ip=%s,port=%d,state=%s,offset=%d,lag=%d", host, port, state, p.Acked, int64(p.Lag/time.Second)))
		offset += p.Sent
	}
	field(b, "master_failover_state", "no-failover")
	field(b, "master_replid", replicationID)
	field(b, "master_replid2", strings.Repeat("0", 40))
	field(b, "master_repl_offset", offset)
	field(b, "second_repl_offset", -1)
	field(b, "repl_backlog_active", 0)
	field(b, "repl_backlog_size", 1048576)
	field(b, "repl_backlog_first_byte_offset", 0)
	field(b, "repl_backlog_histlen", 0)
	field(b, "cachesrv_replicated_keys", st.KeysSent)
	field(b, "cachesrv_replica_applied_keys", st.KeysApplied)
}

// isCopy reports whether key is a replica's copy here: a key of a slot
// another node owns. Its expiry or eviction is not this node's to
// announce (the owner's keyspace notifications do).
func (r *replication) isCopy(key []byte) bool {
	return r != nil && !r.set.Load().t.Local(cluster.Slot(key))
}

// ownedFilter returns what keeps the keyspace-wide commands (KEYS, SCAN,
// RANDOMKEY, DBSIZE) to keys of slots this node owns when it also holds
// replicas' copies of other nodes' slots; they are the owners' to list.
// Without replicas every key passes.
func (s *Server) ownedFilter() func(key []byte) bool {
	if s.repl == nil {
		return func([]byte) bool { return true }
	}
	t := s.Cluster().Table()
	return func(key []byte) bool { return t.Local(cluster.Slot(key)) }
}
