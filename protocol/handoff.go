package protocol

import (
	"bufio"
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

// Hand-off: when a slot changes owner on a planned change (a node joins,
// leaves gracefully, or restarts under the same --node-id), its keys
// move with it, with their TTLs, while clients keep being served.
//
// The scheme, for a slot s moving from A to B:
//
//   - Ownership flips at once with the new table. B serves s from the
//     moment its table says so; A, once its own table says so, forwards
//     s's commands to B like any non-owner. Every write to s therefore
//     lands on B only: A never takes a write for s after its flip, so
//     nothing written during the move is left behind on A, and there is
//     never a second copy of s being written that would have to be merged.
//   - B marks s "importing from A" before its new table takes over
//     (cluster.OnTableChanging). While it is, a command on B whose key of
//     s is missing first fetches the key from A (CACHESRV.PEER FETCH: the
//     value in DUMP's format and its PTTL) and restores it, then runs: a
//     read sees A's value, and a write (HSET of one field, APPEND, INCR)
//     applies to it instead of to a fresh key.
//   - B records, per importing slot, the keys its own commands write or
//     delete (through the store's change hook, under the key's shard
//     lock). A copy from A never overwrites, and never resurrects, such a
//     key: B's write is the newer one.
//   - A streams every key it holds in slots it no longer owns to their
//     owner, in batches (CACHESRV.PEER HANDOFF), one pass over each
//     shard that picks the keys of all the lost slots, the shard's lock
//     held for one small part of the walk at a time. B restores each key
//     unless its own commands touched it, replacing a copy it fetched
//     earlier (the stream is read after A's flip, so it is at least as
//     new). Once B has acknowledged a batch, A deletes its copies.
//   - When A's pass is over it tells B (CACHESRV.PEER HANDOFFDONE) for
//     the slots it lost to B, and B stops importing them.
//
// Writes are not lost because only B ever takes them, and B's record of
// what it wrote keeps the older copies in flight from A from undoing
// them. The exception is the short time the two tables disagree (gossip
// spreads a change in well under a second on a LAN): a write that A
// takes for s after B has fetched that key, but before A's own table
// flips, reaches B with A's stream, unless B wrote the key in between.
//
// A slot whose previous owner failed (not a graceful leave) is not
// imported: its keys are gone with the node. A node that joins starts
// with a table of its own only; it takes the table without itself as the
// one before, which is what the others had. Imports end with the old
// owner's HANDOFFDONE, when a fetch from it fails (it is gone), or after
// handoffImportMaxAge.
type handoff struct {
	srv    *Server
	cl     *cluster.Cluster
	router *route.Router

	imports   [cluster.NumSlots]atomic.Pointer[importSrc]
	importing atomic.Int32 // slots with an import: the hot paths' test

	shards   []handoffShard // per store shard, guarded by its lock
	recorded atomic.Bool    // some shard has a touched map (age clears them)
	// dirty says this node may hold keys of slots it does not own: it
	// lost slots, or a pass left keys behind. Without it a table change
	// costs no pass over the keys.
	dirty atomic.Bool

	mu      sync.Mutex
	pending map[int]bool // slots lost whose new owner has not heard HANDOFFDONE

	kick  chan struct{} // capacity 1: a table change to act on
	done  chan struct{} // closed by close
	close sync.Once

	// gen counts table changes; swept is the last change whose keys were
	// all handed over (LeaveCluster waits for it).
	gen, swept atomic.Int64

	stats handoffStats

	// beforeBatch, when set (tests), runs before each batch is sent, so a
	// test can hold the stream at a point of its choosing.
	beforeBatch atomic.Pointer[func()]
}

// importSrc is where an importing slot's keys come from.
type importSrc struct {
	id, addr string
	join     bool // found from the table without this node: it had just joined
	since    time.Time
}

// handoffShard is hand-off's state for one store shard, read and written
// only under that shard's lock.
type handoffShard struct {
	// touched are the keys of importing slots written here since the
	// import began: a copy from the old owner must not undo them.
	touched map[string]struct{}
	// restoring is set while hand-off itself writes: its writes are not
	// the node's own.
	restoring bool
}

// HandoffStats are hand-off's counters, for metrics.
type HandoffStats struct {
	KeysSent, BytesSent int64 // keys (and their serialized bytes) handed to new owners and acknowledged
	KeysReceived        int64 // keys restored from an old owner's stream
	KeysFetched         int64 // keys fetched from an old owner on a miss
	Skipped             int64 // keys dropped: of a type hand-off cannot serialize, or refused over maxmemory
	Conflicts           int64 // copies from an old owner not applied: this node had written the key since
	SlotsPending        int   // slots lost whose new owner has not been told the hand-off is done
	SlotsImporting      int   // slots this node is importing
}

type handoffStats struct {
	keysSent, bytesSent, received, fetched, skipped, conflicts atomic.Int64
}

const (
	// handoffScanCount is how many keys of a shard one part of the walk
	// visits under the shard's read lock.
	handoffScanCount = 256
	// handoffBatchBytes closes a batch early once its values reach it.
	handoffBatchBytes = 1 << 20
	// handoffInFlight is how many batches may await their owner's answer.
	handoffInFlight = 2
	// handoffRetryAfter is the pause before a pass that failed is tried again
	// (a new owner whose table has not flipped yet answers TRYAGAIN).
	handoffRetryAfter = 100 * time.Millisecond
	// handoffImportMaxAge ends an import whose old owner never said it
	// was done.
	handoffImportMaxAge = 2 * time.Minute
)

func newHandoff(s *Server, cl *cluster.Cluster) *handoff {
	h := &handoff{srv: s, cl: cl, router: s.router, shards: make([]handoffShard, s.store.Shards()),
		pending: map[int]bool{}, kick: make(chan struct{}, 1), done: make(chan struct{})}
	go h.run()
	// Start joined before the server was made a node: the hooks see that
	// join too.
	cl.OnTableChanges(h.tableChanging, func(_, _ *cluster.Table) {
		h.gen.Add(1)
		select {
		case h.kick <- struct{}{}:
		default:
		}
	})
	return h
}

func (h *handoff) stop() {
	if h != nil {
		h.close.Do(func() { close(h.done) })
	}
}

// Stats returns hand-off's counters.
func (h *handoff) Stats() HandoffStats {
	if h == nil {
		return HandoffStats{}
	}
	h.mu.Lock()
	pending := len(h.pending)
	h.mu.Unlock()
	return HandoffStats{
		KeysSent: h.stats.keysSent.Load(), BytesSent: h.stats.bytesSent.Load(),
		KeysReceived: h.stats.received.Load(), KeysFetched: h.stats.fetched.Load(),
		Skipped: h.stats.skipped.Load(), Conflicts: h.stats.conflicts.Load(),
		SlotsPending: pending, SlotsImporting: int(h.importing.Load()),
	}
}

// HandoffStats returns the hand-off counters of a cluster node (zero on a
// single node).
func (s *Server) HandoffStats() HandoffStats { return s.handoff.Stats() }

// tableChanging runs before next takes over from prev: it marks the
// slots this node gains as importing from their previous owner, ends the
// imports of slots it no longer owns, and notes the slots it loses.
func (h *handoff) tableChanging(prev, next *cluster.Table) {
	self := h.cl.ID()
	now := time.Now()
	// A node that has just joined had a table of its own only: the table
	// the others had is next without it.
	var joinBase, rejoin *cluster.Table
	if prev.Len() == 1 && prev.Index(self) == 0 && next.Len() > 1 {
		joinBase = next.Without(self)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range cluster.NumSlots {
		cur := h.imports[s].Load()
		if !next.Local(s) {
			if cur != nil {
				h.imports[s].Store(nil)
				h.importing.Add(-1)
			}
			if prev.Local(s) && next.Owner(s) >= 0 {
				h.pending[s] = true
				h.dirty.Store(true)
			}
			continue
		}
		delete(h.pending, s) // ours again
		base, join := prev, false
		switch {
		case joinBase != nil:
			base, join = joinBase, true
		case cur != nil && cur.join:
			// Joined a moment ago and still learning members: the best
			// guess of the previous owner is the table without this node.
			if rejoin == nil {
				rejoin = next.Without(self)
			}
			base, join = rejoin, true
		case prev.Local(s):
			continue // ours before, or already importing
		}
		o := base.Owner(s)
		if o < 0 {
			continue
		}
		id := base.Nodes()[o]
		if id == self || cur != nil && cur.id == id {
			continue
		}
		if next.Index(id) < 0 && !h.cl.LeftGracefully(id) {
			// It failed: nothing to ask for.
			if cur != nil {
				h.imports[s].Store(nil)
				h.importing.Add(-1)
			}
			continue
		}
		if cur == nil {
			h.importing.Add(1)
		}
		h.imports[s].Store(&importSrc{id: id, addr: base.Addr(o), join: join, since: now})
	}
}

// keyChanged is the store change hook's part for hand-off (under the
// key's shard lock): a key of an importing slot that this node writes or
// deletes is recorded, so that no copy from the old owner undoes it.
func (h *handoff) keyChanged(shard int, key []byte, why store.Change) {
	if h == nil || h.importing.Load() == 0 || why != store.Written {
		return
	}
	sh := &h.shards[shard]
	if sh.restoring || h.imports[cluster.Slot(key)].Load() == nil {
		return
	}
	if sh.touched == nil {
		sh.touched = make(map[string]struct{})
		h.recorded.Store(true)
	}
	sh.touched[string(key)] = struct{}{}
}

// active reports whether some slot is importing: the one test the
// command path pays otherwise.
func (h *handoff) active() bool { return h != nil && h.importing.Load() > 0 }

// prefetch makes sure that each of keys in an importing slot is here
// before a command runs on it: missing, and not written here since the
// import began, it is fetched from the old owner and restored.
func (h *handoff) prefetch(keys [][]byte) {
	for _, key := range keys {
		if src := h.imports[cluster.Slot(key)].Load(); src != nil {
			h.fetch(src, key)
		}
	}
}

func (h *handoff) fetch(src *importSrc, key []byte) {
	st := h.srv.store
	i := st.ShardOf(key)
	st.LockShard(i, false)
	_, touched := h.shards[i].touched[string(key)]
	have := touched || st.Tx().Exists(key)
	st.UnlockShard(i, false)
	if have {
		return
	}
	// Over the bulk link, whose commands never wait on another node: on
	// the shared link the FETCH could queue behind a command the old
	// owner is forwarding here, which waits for this very command.
	reply := h.router.ForwardBulk(src.addr, [][]byte{[]byte(route.PeerCommand), []byte("FETCH"), key})
	v, err := resp.ReadValue(bufio.NewReader(bytes.NewReader(reply)))
	switch v := v.(type) {
	case nil:
		if err == nil {
			return // not there either
		}
	case []any:
		pttl, ok1 := v[0].(int64)
		payload, ok2 := v[1].(string)
		if len(v) == 2 && ok1 && ok2 {
			if ok, _ := h.restore(key, pttl, []byte(payload), false); ok {
				h.stats.fetched.Add(1)
			}
			return
		}
	}
	// The old owner is gone, or answers nonsense: stop asking it.
	h.srv.log.Warn("hand-off: cannot fetch from the old owner; ending the imports from it",
		"node", src.id, "addr", src.addr, "reply", resp.Clip(reply, 200))
	h.endImports(src.id, nil)
}

// restore writes a key from the old owner, unless this node has written
// it since the import began; an existing key is replaced only if replace
// (a streamed copy, at least as new as a fetched one).
func (h *handoff) restore(key []byte, pttl int64, payload []byte, replace bool) (bool, error) {
	typ, body, err := rdb.Open(payload)
	if err != nil {
		return false, err
	}
	put, err := decodeValue(typ, body)
	if err != nil {
		return false, err
	}
	st := h.srv.store
	i := st.ShardOf(key)
	st.LockShard(i, true)
	defer st.UnlockShard(i, true)
	sh := &h.shards[i]
	if _, ok := sh.touched[string(key)]; ok {
		h.stats.conflicts.Add(1)
		return false, nil
	}
	tx := st.Tx()
	exists := tx.Exists(key)
	if exists && !replace {
		return false, nil
	}
	sh.restoring = true
	defer func() { sh.restoring = false }()
	if exists {
		tx.Delete(key)
	}
	put(tx, key)
	if pttl > 0 {
		tx.SetExpire(key, tx.Now()+pttl)
	}
	return true, nil
}

// endImports ends the imports from node id: of every slot, or of slots
// only.
func (h *handoff) endImports(id string, slots []int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	end := func(s int) {
		if src := h.imports[s].Load(); src != nil && src.id == id {
			h.imports[s].Store(nil)
			h.importing.Add(-1)
			n++
		}
	}
	if slots == nil {
		for s := range cluster.NumSlots {
			end(s)
		}
	} else {
		for _, s := range slots {
			end(s)
		}
	}
	return n
}

// run acts on table changes: it hands over the keys of lost slots,
// retrying a pass that failed, and ages out imports.
func (h *handoff) run() {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	retry := false
	for {
		var wait <-chan time.Time
		if retry {
			wait = time.After(handoffRetryAfter)
		}
		select {
		case <-h.done:
			return
		case <-tick.C:
			h.age()
			continue
		case <-h.kick:
		case <-wait:
		}
		gen := h.gen.Load()
		retry = !h.sweep()
		if !retry {
			h.swept.Store(gen)
		}
	}
}

// age ends imports older than handoffImportMaxAge and forgets the
// writes recorded for slots no longer importing.
func (h *handoff) age() {
	if h.importing.Load() > 0 {
		h.mu.Lock()
		for s := range cluster.NumSlots {
			if src := h.imports[s].Load(); src != nil && time.Since(src.since) > handoffImportMaxAge {
				h.imports[s].Store(nil)
				h.importing.Add(-1)
			}
		}
		h.mu.Unlock()
	}
	if !h.recorded.Load() {
		return
	}
	if h.importing.Load() == 0 {
		h.recorded.Store(false)
	}
	st := h.srv.store
	for i := range h.shards {
		st.LockShard(i, true)
		sh := &h.shards[i]
		if h.importing.Load() == 0 {
			sh.touched = nil
		} else {
			for k := range sh.touched {
				if h.imports[cluster.Slot(k)].Load() == nil {
					delete(sh.touched, k)
				}
			}
		}
		st.UnlockShard(i, true)
	}
}

// batch is keys bound for one new owner.
type handoffBatch struct {
	addr  string
	args  [][]byte
	keys  [][]byte
	bytes int
}

// sweep hands every key this node holds in a slot it does not own to the
// slot's owner, then tells the owners of the slots it lost that it is
// done. It reports whether everything went.
func (h *handoff) sweep() (ok bool) {
	if !h.dirty.Swap(false) {
		return h.sendDone(h.cl.Table())
	}
	defer func() {
		if !ok {
			h.dirty.Store(true)
		}
	}()
	t := h.cl.Table()
	if t.Len() == 0 {
		return true
	}
	var lost [cluster.NumSlots]bool
	anyLost := false
	h.mu.Lock()
	for s := range cluster.NumSlots {
		// A replica's copies stay (replication.go); they are handed
		// over only when the slot was this node's own until now.
		if !t.Local(s) && t.Owner(s) >= 0 && (!t.LocalReplica(s) || h.pending[s]) {
			lost[s], anyLost = true, true
		}
	}
	h.mu.Unlock()
	if !anyLost {
		return true
	}
	start := time.Now()
	sent0, bytes0 := h.stats.keysSent.Load(), h.stats.bytesSent.Load()
	self := []byte(h.cl.ID())
	st := h.srv.store
	var failed, gone atomic.Bool
	var wg sync.WaitGroup
	sem := make(chan struct{}, handoffInFlight)
	send := func(shard int, b *handoffBatch) {
		if f := h.beforeBatch.Load(); f != nil {
			(*f)()
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			switch h.sendBatch(shard, b) {
			case handoffRetry:
				failed.Store(true)
			case handoffGone:
				gone.Store(true)
			}
		}()
	}
	var drop [][]byte // keys of types hand-off cannot serialize
	for i := range st.Shards() {
		batches := map[int]*handoffBatch{}
		cursor := uint64(0)
		for done := false; !done; {
			select {
			case <-h.done:
				wg.Wait()
				return false
			default:
			}
			cursor, done = st.ScanShard(i, cursor, handoffScanCount, func(k []byte) bool { return lost[cluster.Slot(k)] },
				func(tx store.Tx, k []byte) {
					payload, ok := dumpValue(tx, k)
					if !ok {
						drop = append(drop, bytes.Clone(k))
						return
					}
					pttl := int64(-1)
					if _, at, _ := tx.Lookup(k); at != 0 {
						pttl = max(at-tx.Now(), 1)
					}
					owner := t.Owner(cluster.Slot(k))
					b := batches[owner]
					if b == nil {
						b = &handoffBatch{addr: t.Addr(owner), args: [][]byte{[]byte(route.PeerCommand), []byte("HANDOFF"), self}}
						batches[owner] = b
					}
					key := bytes.Clone(k)
					b.keys = append(b.keys, key)
					b.args = append(b.args, key, strconv.AppendInt(nil, pttl, 10), payload)
					b.bytes += len(key) + len(payload)
				})
			for owner, b := range batches {
				if done || b.bytes >= handoffBatchBytes || len(b.keys) >= handoffScanCount {
					delete(batches, owner)
					send(i, b)
				}
			}
		}
		if len(drop) > 0 {
			h.stats.skipped.Add(int64(len(drop)))
			h.srv.log.Warn("hand-off: keys of a type that cannot be serialized were dropped", "keys", len(drop))
			st.LockShard(i, true)
			tx := st.Tx()
			for _, k := range drop {
				tx.Delete(k)
			}
			st.UnlockShard(i, true)
			drop = drop[:0]
		}
	}
	wg.Wait()
	if failed.Load() {
		return false
	}
	if gone.Load() {
		h.dirty.Store(true) // the keys left behind go at the next change
		h.srv.log.Warn("hand-off: a new owner cannot be reached, or is leaving too; its keys stay here until the next change",
			"keys_here", st.DBSize())
	}
	if !h.sendDone(t) {
		return false
	}
	if n := h.stats.keysSent.Load() - sent0; n > 0 {
		h.srv.log.Info("hand-off: keys of lost slots handed to their new owners", "keys", n,
			"bytes", h.stats.bytesSent.Load()-bytes0, "took", time.Since(start).Round(time.Millisecond))
	}
	return true
}

// What became of a batch.
type handoffResult int

const (
	handoffSent  handoffResult = iota
	handoffRetry               // the owner's table has not flipped yet: try again
	handoffGone                // the owner cannot be reached, or is leaving too
)

// errNotOwner and errLeaving are a new owner's refusals of a batch.
const (
	errNotOwner = "TRYAGAIN this node does not own the slot of "
	errLeaving  = "LEAVING this node is leaving the cluster too"
)

// refusal classifies a peer's error reply to a hand-off command: only a
// node whose table is a moment behind is worth asking again.
func refusal(reply []byte) handoffResult {
	if bytes.HasPrefix(reply, []byte("-"+errNotOwner)) {
		return handoffRetry
	}
	return handoffGone
}

// sendBatch sends one batch and, once the new owner has it, deletes the
// keys here.
func (h *handoff) sendBatch(shard int, b *handoffBatch) handoffResult {
	reply := h.router.ForwardBulk(b.addr, b.args)
	if len(reply) == 0 || reply[0] != ':' {
		h.srv.log.Debug("hand-off: batch refused", "owner", b.addr, "reply", resp.Clip(reply, 200))
		return refusal(reply)
	}
	st := h.srv.store
	t := h.cl.Table()
	st.LockShard(shard, true)
	tx := st.Tx()
	for _, k := range b.keys {
		if s := cluster.Slot(k); !t.Local(s) && !t.LocalReplica(s) {
			tx.Delete(k)
		}
	}
	st.UnlockShard(shard, true)
	h.stats.keysSent.Add(int64(len(b.keys)))
	h.stats.bytesSent.Add(int64(b.bytes))
	return handoffSent
}

// sendDone tells the owner of each slot this node lost, by table t, that
// its keys have all been handed over.
func (h *handoff) sendDone(t *cluster.Table) bool {
	h.mu.Lock()
	byOwner := map[int][]int{}
	for s := range h.pending {
		switch o := t.Owner(s); {
		case t.Local(s) || o < 0:
			delete(h.pending, s)
		default:
			byOwner[o] = append(byOwner[o], s)
		}
	}
	h.mu.Unlock()
	ok := true
	for o, slots := range byOwner {
		slices.Sort(slots)
		args := [][]byte{[]byte(route.PeerCommand), []byte("HANDOFFDONE"), []byte(h.cl.ID())}
		for _, r := range slotRanges(slots) {
			args = append(args, []byte(r))
		}
		reply := h.router.ForwardBulk(t.Addr(o), args)
		if (len(reply) == 0 || reply[0] != ':') && refusal(reply) == handoffRetry {
			h.srv.log.Debug("hand-off: done refused, will retry", "owner", t.Addr(o), "reply", resp.Clip(reply, 200))
			ok = false
			continue
		}
		h.mu.Lock()
		for _, s := range slots {
			delete(h.pending, s)
		}
		h.mu.Unlock()
	}
	return ok
}

// slotRanges writes sorted slots as "first-last" runs.
func slotRanges(slots []int) []string {
	var out []string
	for i := 0; i < len(slots); {
		j := i
		for j+1 < len(slots) && slots[j+1] == slots[j]+1 {
			j++
		}
		out = append(out, fmt.Sprintf("%d-%d", slots[i], slots[j]))
		i = j + 1
	}
	return out
}

// LeaveCluster leaves the cluster gracefully: it announces the leave
// (the others move this node's slots at once), takes itself off its own
// table, so that its clients' commands go to the new owners, and hands
// every key to the new owner of its slot, waiting at most timeout in all.
// The node's listeners stay up throughout: its clients keep being served
// and the new owners fetch from it the keys they miss. Progress goes to
// the log every second. A single node returns at once.
func (s *Server) LeaveCluster(timeout time.Duration) error {
	cl := s.Cluster()
	if cl == nil {
		return nil
	}
	start := time.Now()
	deadline := start.Add(timeout)
	h := s.handoff
	before := h.gen.Load()
	// Leaving may already rebuild the table without this node (memberlist
	// reports the node's own leave); Depart makes sure of it.
	err := cl.Leave(min(5*time.Second, timeout))
	cl.Depart()
	gen := h.gen.Load()
	if gen == before { // nothing moved: this node owned no slot
		return err
	}
	s.log.Info("hand-off: handing this node's keys to the new owners of its slots", "keys", s.store.DBSize(), "timeout", timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	lastLog := start
	for h.swept.Load() < gen {
		if time.Now().After(deadline) {
			st := h.Stats()
			s.log.Warn("hand-off: cluster-leave-timeout reached; the keys not handed over are lost",
				"keys_left", s.store.DBSize(), "keys_sent", st.KeysSent, "slots_pending", st.SlotsPending)
			return err
		}
		select {
		case <-tick.C:
		case <-h.done:
			s.log.Warn("hand-off: the server shut down first; the keys not handed over are lost", "keys_left", s.store.DBSize())
			return err
		}
		if time.Since(lastLog) >= time.Second {
			lastLog = time.Now()
			st := h.Stats()
			s.log.Info("hand-off: in progress", "keys_sent", st.KeysSent, "bytes_sent", st.BytesSent,
				"keys_left", s.store.DBSize(), "slots_pending", st.SlotsPending)
		}
	}
	st := h.Stats()
	s.log.Info("hand-off: done", "keys_sent", st.KeysSent, "bytes_sent", st.BytesSent, "skipped", st.Skipped,
		"took", time.Since(start).Round(time.Millisecond))
	return err
}

// The peer side: CACHESRV.PEER FETCH, HANDOFF and HANDOFFDONE, accepted
// from another node's link only.
func init() {
	flags := flagNoScript | flagLoading | flagStale | flagNoMulti
	acl := []string{"admin", "slow", "dangerous"}
	addSubcommands("cachesrv.peer",
		&command{name: "fetch", arity: 3, flags: flags, acl: acl, run: cmdPeerFetch},
		&command{name: "handoff", arity: -3, flags: flags | flagWrite, acl: acl, run: cmdPeerHandoff},
		&command{name: "handoffdone", arity: -3, flags: flags, acl: acl, run: cmdPeerHandoffDone},
	)
	docs["cachesrv.peer|fetch"] = cmdDoc{summary: "Returns a key's value in DUMP's format and its PTTL, for a node importing the key's slot from this one.",
		since: "0.3.0", group: "cluster", complexity: "O(N) where N is the size of the value", args: []argDoc{{name: "key", typ: "string"}}}
	docs["cachesrv.peer|handoff"] = cmdDoc{summary: "Restores keys a node hands over to this one, the new owner of their slots, unless this node wrote them since.",
		since: "0.3.0", group: "cluster", complexity: "O(N) where N is the size of the values", args: []argDoc{
			{name: "node-id", typ: "string"},
			{name: "data", typ: "block", multiple: true, args: []argDoc{{name: "key", typ: "string"}, {name: "pttl", typ: "integer"}, {name: "serialized-value", typ: "string"}}}}}
	docs["cachesrv.peer|handoffdone"] = cmdDoc{summary: "Tells this node that a node has handed over all its keys of the given slots.",
		since: "0.3.0", group: "cluster", complexity: "O(N) where N is the number of slots", args: []argDoc{
			{name: "node-id", typ: "string"}, {name: "range", typ: "string", multiple: true}}}
}

const errPeerOnly = "ERR this CACHESRV.PEER subcommand is only accepted from another node's link"

func cmdPeerFetch(c *client, args [][]byte, _ store.Tx) {
	if !c.peerLink || c.srv.handoff == nil {
		c.errorReply(errPeerOnly)
		return
	}
	key := args[2]
	st := c.srv.store
	i := st.ShardOf(key)
	st.LockShard(i, false)
	tx := st.Tx()
	var payload []byte
	pttl, ok := int64(-1), false
	if tx.Exists(key) {
		if payload, ok = dumpValue(tx, key); ok {
			if _, at, _ := tx.Lookup(key); at != 0 {
				pttl = max(at-tx.Now(), 1)
			}
		}
	}
	st.UnlockShard(i, false)
	if !ok {
		c.WriteNullArray()
		return
	}
	c.WriteArray(2)
	c.WriteInt64(pttl)
	c.WriteBulk(payload)
}

func cmdPeerHandoff(c *client, args [][]byte, _ store.Tx) {
	h := c.srv.handoff
	if !c.peerLink || h == nil {
		c.errorReply(errPeerOnly)
		return
	}
	if (len(args)-3)%3 != 0 {
		c.errorReply(errWrongArgs("cachesrv.peer|handoff"))
		return
	}
	t := h.cl.Table()
	if t.Index(h.cl.ID()) < 0 {
		c.errorReply(errLeaving) // the sender gives up on this node
		return
	}
	for j := 3; j < len(args); j += 3 {
		if !t.Local(cluster.Slot(args[j])) {
			// This node's table has not flipped yet (or has moved on):
			// the sender retries.
			c.errorReply(errNotOwner + string(resp.Clip(args[j], 64)))
			return
		}
	}
	n := 0
	for j := 3; j < len(args); j += 3 {
		key := args[j]
		if h.imports[cluster.Slot(key)].Load() == nil {
			// Not importing (any more): a copy from elsewhere could undo
			// a write this node no longer keeps track of.
			h.stats.conflicts.Add(1)
			continue
		}
		pttl, err := strconv.ParseInt(string(args[j+1]), 10, 64)
		if err != nil {
			c.errorReply(errNotInteger)
			return
		}
		// A streamed key is a write like RESTORE: over maxmemory it makes
		// room under the eviction policy, or, with noeviction (or nothing
		// a volatile policy may evict), is refused and dropped, as Redis
		// refuses new data there. (A key fetched on a miss is restored
		// regardless: a command, a read perhaps, is waiting for it.)
		if st := h.srv.store; st.OverLimit() {
			if err := st.Admit(st.ShardOf(key)); err != nil {
				h.stats.skipped.Add(1)
				continue
			}
		}
		ok, err := h.restore(key, pttl, args[j+2], true)
		if err != nil {
			h.stats.skipped.Add(1)
			continue
		}
		if ok {
			n++
			h.stats.received.Add(1)
		}
	}
	c.WriteInt(n)
}

func cmdPeerHandoffDone(c *client, args [][]byte, _ store.Tx) {
	h := c.srv.handoff
	if !c.peerLink || h == nil {
		c.errorReply(errPeerOnly)
		return
	}
	var slots []int
	for _, r := range args[3:] {
		lo, hi, ok := strings.Cut(string(r), "-")
		a, err1 := strconv.Atoi(lo)
		b, err2 := strconv.Atoi(hi)
		if !ok || err1 != nil || err2 != nil || a < 0 || b < a || b >= cluster.NumSlots {
			c.errorReply("ERR Invalid slot range " + string(resp.Clip(r, 64)))
			return
		}
		for s := a; s <= b; s++ {
			slots = append(slots, s)
		}
	}
	c.WriteInt(h.endImports(string(args[2]), slots))
}
