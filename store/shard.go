package store

import (
	"sync"
	"sync/atomic"
)

// shard is one lock and the entries it guards. Every method whose name
// starts with a lower-case letter expects the caller to hold the lock
// (read lock for the read-only ones).
type shard struct {
	mu sync.RWMutex
	lockStats

	hash func([]byte) uint64
	lim  *limits // the store's memory limit, policy and usage, shared

	idx index // key -> entry

	chunks []chunk  // by slot; a released slot has a nil buf
	free   []uint32 // released slots, for reuse
	// Entries are appended to one of two logs, each a FIFO of chunks with
	// a tail being filled: logMain, and logSmall where S3-FIFO puts new
	// keys (see evict.go). Other policies use logMain only.
	tails   [2]int32      // slot each log appends to, -1 if none
	queues  [2][]chunkRef // each log's chunks, oldest first; stale refs are skipped
	logSize [2]int64      // bytes of chunk buffers in each log
	nextSeq uint32
	// sealed lists chunks that alloc sealed (stopped appending to) since
	// the last settle, which checks whether they need compacting.
	sealed []chunkRef

	ghost ghost // S3-FIFO's record of keys recently evicted from logSmall

	// Counters read without the lock by Stats and DBSIZE; written under it.
	keys      atomic.Int64
	ttlKeys   atomic.Int64
	liveBytes atomic.Int64 // bytes of live entries, headers included
	arena     atomic.Int64 // bytes of chunk buffers held
	mem       atomic.Int64 // what counts against maxmemory: arena, index, ghost

	expired atomic.Int64 // keys removed because their TTL passed
	evicted atomic.Int64 // keys removed to stay under maxmemory

	expiryPos int // index slot the active expiry cycle resumes at

	watches map[string][]*Watch // keys some client WATCHes; nil when none

	compacting bool
	crowded    bool // counted in lim.crowded
}

const (
	logMain  = 0
	logSmall = 1
)

// chunkRef names a chunk by slot and sequence, so that a reference to a
// chunk released since (and its slot reused) can be told apart.
type chunkRef struct{ slot, seq uint32 }

func newShard(hash func([]byte) uint64, lim *limits) *shard {
	return &shard{hash: hash, lim: lim, tails: [2]int32{-1, -1}, nextSeq: 1}
}

// addMem accounts d more bytes against maxmemory.
func (s *shard) addMem(d int64) {
	s.mem.Add(d)
	s.lim.used.Add(d)
}

func (s *shard) entryAt(l loc) entry {
	b := s.chunks[l.slot()].buf[l.off():]
	return entry(b[:entry(b).size()])
}

// lookup returns key's live (unexpired) entry; h is the key's hash.
func (s *shard) lookup(key []byte, h uint64, now int64) (entry, loc, bool) {
	l, ok := s.find(key, h)
	if !ok {
		return nil, 0, false
	}
	e := s.entryAt(l)
	if e.expired(now) {
		return nil, 0, false
	}
	return e, l, true
}

// isTail reports whether slot is a log's tail, still being filled.
func (s *shard) isTail(slot uint32) bool {
	return int32(slot) == s.tails[logMain] || int32(slot) == s.tails[logSmall]
}

// alloc reserves n bytes (a multiple of 8) at the end of a log's tail
// chunk, opening a new chunk when it does not fit. An entry bigger than a
// quarter of a chunk gets a buffer of its own instead, which leaves the
// tail as it was.
func (s *shard) alloc(n int, log uint8) (loc, []byte) {
	t := s.tails[log]
	if t >= 0 {
		c := &s.chunks[t]
		if n <= cap(c.buf)-len(c.buf) {
			off := len(c.buf)
			c.buf = c.buf[:off+n]
			return makeLoc(uint32(t), uint32(off)), c.buf[off : off+n]
		}
	}
	size := s.chunkSize()
	if n > size/4 {
		s.addMem(int64(n))
		slot := s.open(make([]byte, n), log)
		return makeLoc(slot, 0), s.chunks[slot].buf
	}
	if t >= 0 {
		s.seal(log)
	}
	buf := s.lim.pool.get(size)
	s.addMem(int64(size))
	slot := s.open(buf[:n], log)
	s.tails[log] = int32(slot)
	return makeLoc(slot, 0), buf[:n]
}

// open puts buf in a chunk slot at the end of a log.
func (s *shard) open(buf []byte, log uint8) uint32 {
	s.arena.Add(int64(cap(buf)))
	s.logSize[log] += int64(cap(buf))
	var slot uint32
	if k := len(s.free); k > 0 {
		slot = s.free[k-1]
		s.free = s.free[:k-1]
	} else {
		if len(s.chunks) >= maxChunks {
			// Store.Admit refuses writes long before this; reaching it
			// means a bug, not a full cache.
			panic("store: shard out of chunk slots")
		}
		slot = uint32(len(s.chunks))
		s.chunks = append(s.chunks, chunk{})
	}
	s.chunks[slot] = chunk{buf: buf, seq: s.nextSeq, log: log}
	if !s.crowded && len(s.chunks)-len(s.free) >= maxChunks-crowdedMargin {
		s.crowded = true
		s.lim.crowded.Add(1)
	}
	s.queues[log] = append(s.queues[log], chunkRef{slot, s.nextSeq})
	s.nextSeq++
	return slot
}

// seal stops appending to a log's tail: its unused end counts as dead
// space. While it was the tail it could not be compacted, however much of
// it died; it can be now, but not here, as our caller may hold locations
// in it: settle does it once the operation is over.
func (s *shard) seal(log uint8) {
	t := s.tails[log]
	c := &s.chunks[t]
	c.dead += uint32(cap(c.buf) - len(c.buf))
	ref := chunkRef{uint32(t), c.seq}
	s.tails[log] = -1
	if c.dead >= uint32(cap(c.buf)) {
		s.release(ref.slot)
		return
	}
	s.sealed = append(s.sealed, ref)
}

// kill marks the entry at l dead; the space comes back when its chunk is
// compacted or released.
func (s *shard) kill(l loc, e entry) {
	n := e.size()
	s.liveBytes.Add(-int64(n))
	c := &s.chunks[l.slot()]
	c.dead += n
	s.maybeCompact(l.slot(), 4)
}

// maybeCompact releases a chunk that is all dead, and moves the live
// entries out of one whose dead share reached 1/frac, unless it is a tail
// still being filled. Writes compact at a quarter; eviction, which needs
// the space back, at less.
func (s *shard) maybeCompact(slot uint32, frac uint32) bool {
	c := &s.chunks[slot]
	size := uint32(cap(c.buf))
	if c.dead >= size {
		s.release(slot)
		return true
	}
	if s.isTail(slot) || s.compacting || c.dead < size/frac {
		return false
	}
	log := c.log
	s.drain(slot, func(e entry, key []byte, h uint64) { s.move(e, key, h, log) })
	return true
}

// drain calls fn for every live entry of the chunk at slot, with its key
// and hash, then releases the chunk; fn moves each entry (move) or drops
// it. Compaction does not start meanwhile: the chunk is being emptied.
func (s *shard) drain(slot uint32, fn func(e entry, key []byte, h uint64)) {
	s.compacting = true
	buf := s.chunks[slot].buf
	for off := uint32(0); off < uint32(len(buf)); {
		e := entry(buf[off:])
		e = e[:e.size()]
		here := makeLoc(slot, off)
		off += uint32(len(e))
		key := e.key()
		h := s.hash(key)
		if l, ok := s.find(key, h); ok && l == here {
			fn(e, key, h)
		}
	}
	s.compacting = false
	s.release(slot)
}

// move copies key's live entry e to the tail of a log and points the
// index at the copy, which it returns.
func (s *shard) move(e entry, key []byte, h uint64, log uint8) entry {
	nl, nb := s.alloc(len(e), log)
	copy(nb, e)
	s.point(key, h, nl)
	return entry(nb)
}

// settle compacts the chunks sealed during the operation just finished
// that qualify. Every write through a Tx ends with it, when no entry or
// location is held any more; compaction it starts may seal more chunks,
// which it then settles too.
func (s *shard) settle() {
	for len(s.sealed) > 0 {
		ref := s.sealed[len(s.sealed)-1]
		s.sealed = s.sealed[:len(s.sealed)-1]
		if s.current(ref) {
			s.maybeCompact(ref.slot, 4)
		}
	}
}

// current reports whether ref still names a chunk in use.
func (s *shard) current(ref chunkRef) bool {
	c := &s.chunks[ref.slot]
	return c.buf != nil && c.seq == ref.seq
}

func (s *shard) release(slot uint32) {
	c := &s.chunks[slot]
	s.arena.Add(-int64(cap(c.buf)))
	s.logSize[c.log] -= int64(cap(c.buf))
	s.addMem(-int64(cap(c.buf)))
	s.lim.pool.put(c.buf, s.lim.used.Load())
	if int32(slot) == s.tails[c.log] {
		s.tails[c.log] = -1
	}
	*c = chunk{}
	s.free = append(s.free, slot)
	if s.crowded && len(s.chunks)-len(s.free) < maxChunks-crowdedMargin-1024 {
		s.crowded = false
		s.lim.crowded.Add(-1)
	}
}

// crowdedMargin is how many chunk slots a shard keeps in reserve once it
// refuses writes: more than the biggest request (1 GiB of query buffer)
// can fill with entries of their own.
const crowdedMargin = 1 << 18

// oldest returns the oldest chunk of a log, false if it has none.
func (s *shard) oldest(log uint8) (uint32, bool) {
	q := s.queues[log]
	for len(q) > 0 && !s.current(q[0]) {
		q = q[1:]
	}
	s.queues[log] = q
	if len(q) == 0 {
		return 0, false
	}
	return q[0].slot, true
}

// insert writes a new entry for key, which must not have one.
func (s *shard) insert(key []byte, h uint64, val []byte, valCap int, expireAt, now int64) entry {
	n := align8(entrySize(len(key), valCap))
	l, b := s.alloc(n, s.insertLog(h))
	writeEntry(b, key, val, expireAt, s.newMeta(now))
	s.point(key, h, l)
	s.keys.Add(1)
	s.liveBytes.Add(int64(n))
	if expireAt != 0 {
		s.ttlKeys.Add(1)
	}
	return entry(b)
}

// relocate writes a new copy of key's entry e (at l) with value val in
// valCap bytes of space, in the same log, and kills the old copy.
func (s *shard) relocate(key []byte, h uint64, l loc, e entry, val []byte, valCap int, expireAt int64) entry {
	nl, b := s.alloc(align8(entrySize(len(key), valCap)), s.chunks[l.slot()].log)
	writeEntry(b, key, val, expireAt, uint16(e.meta()))
	s.liveBytes.Add(int64(len(b)))
	// Point at the new copy before killing the old one: killing may
	// compact, and compaction must see a consistent index.
	s.point(key, h, nl)
	s.kill(l, e)
	return entry(b)
}

// set stores val under key with the given expiry, in place when it fits.
// Replacing an expired entry counts as expiring it, as Redis counts it.
func (s *shard) set(key []byte, h uint64, val []byte, expireAt, now int64) {
	s.touch(key)
	if l, ok := s.find(key, h); ok {
		e := s.entryAt(l)
		if e.expired(now) {
			s.expired.Add(1)
		}
		s.adjustTTLCount(e.expireAt(), expireAt)
		if uint32(len(val)) <= e.valCap() && e.valCap() <= 2*uint32(len(val))+16 {
			e.setExpire(expireAt)
			e.setValLen(uint32(len(val)))
			copy(e.valueSpace(), val)
			s.accessed(e, now)
			return
		}
		s.relocate(key, h, l, e, val, len(val), expireAt)
		return
	}
	s.insert(key, h, val, len(val), expireAt, now)
}

func (s *shard) adjustTTLCount(oldAt, newAt int64) {
	switch {
	case oldAt == 0 && newAt != 0:
		s.ttlKeys.Add(1)
	case oldAt != 0 && newAt == 0:
		s.ttlKeys.Add(-1)
	}
}

// forget does the bookkeeping of removing key's entry e, except for the
// space, which the caller gives back.
func (s *shard) forget(key []byte, h uint64, e entry) {
	s.touch(key)
	if e.expireAt() != 0 {
		s.ttlKeys.Add(-1)
	}
	s.keys.Add(-1)
	s.unpoint(key, h)
}

// remove deletes the entry at l for key, whose hash is h.
func (s *shard) remove(key []byte, h uint64, l loc) {
	e := s.entryAt(l)
	s.forget(key, h, e)
	s.kill(l, e)
}

// delete removes key if it is live; an expired entry is removed too but
// reported as absent.
func (s *shard) delete(key []byte, h uint64, now int64) bool {
	l, ok := s.find(key, h)
	if !ok {
		return false
	}
	live := !s.entryAt(l).expired(now)
	if !live {
		s.expired.Add(1)
	}
	s.remove(key, h, l)
	return live
}

// reap removes key if its entry has expired, so that a write sees it absent.
func (s *shard) reap(key []byte, h uint64, now int64) {
	if l, ok := s.find(key, h); ok && s.entryAt(l).expired(now) {
		s.expired.Add(1)
		s.remove(key, h, l)
	}
}

// resize gives key's live entry e, at l, room for n bytes of value,
// keeping its contents and expiry, moving the entry if needed.
func (s *shard) resize(key []byte, h uint64, l loc, e entry, n int) entry {
	if uint32(n) <= e.valCap() {
		return e
	}
	return s.relocate(key, h, l, e, e.value(), growCap(n), e.expireAt())
}

// flush drops every entry.
func (s *shard) flush() {
	for k := range s.watches {
		s.touch([]byte(k))
	}
	s.addMem(-s.mem.Load())
	if s.crowded {
		s.crowded = false
		s.lim.crowded.Add(-1)
	}
	s.idx = index{}
	s.ghost = ghost{}
	s.chunks, s.free, s.sealed = nil, nil, s.sealed[:0]
	s.tails = [2]int32{-1, -1}
	s.queues = [2][]chunkRef{}
	s.logSize = [2]int64{}
	s.expiryPos = 0
	s.keys.Store(0)
	s.ttlKeys.Store(0)
	s.liveBytes.Store(0)
	s.arena.Store(0)
}

// each calls fn for every live entry, in index order, until fn returns
// false; fn must not modify the shard.
func (s *shard) each(now int64, fn func(e entry) bool) {
	for _, v := range s.idx.slots {
		if v == 0 {
			continue
		}
		if e := s.entryAt(loc(v)); !e.expired(now) && !fn(e) {
			return
		}
	}
}
