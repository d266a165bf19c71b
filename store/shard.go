package store

import (
	"bytes"
	"cmp"
	"slices"
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

	index map[uint64]loc // key hash -> entry
	// collided holds the rare keys whose 64-bit hash equals that of a
	// different key already in index. Nil until the first collision.
	collided map[string]loc

	chunks  []chunk  // by slot; a released slot has a nil buf
	free    []uint32 // released slots, for reuse
	tail    int32    // slot new entries are appended to, -1 if none
	nextSeq uint32
	spare   []byte // one released chunk buffer kept for reuse
	// sealed lists chunks that alloc sealed (stopped appending to) since
	// the last settle, which checks whether they need compacting.
	sealed []chunkRef

	// Counters read without the lock by Stats and DBSIZE; written under it.
	keys      atomic.Int64
	ttlKeys   atomic.Int64
	liveBytes atomic.Int64 // bytes of live entries, headers included
	arena     atomic.Int64 // bytes of chunk buffers held

	expired atomic.Int64 // keys removed because their TTL passed

	expiryCursor struct{ slot, off, seq uint32 }

	watches map[string][]*Watch // keys some client WATCHes; nil when none

	compacting bool
}

// chunkRef names a chunk by slot and sequence, so that a reference to a
// chunk released since (and its slot reused) can be told apart.
type chunkRef struct{ slot, seq uint32 }

func newShard(hash func([]byte) uint64) *shard {
	return &shard{hash: hash, index: make(map[uint64]loc), tail: -1, nextSeq: 1}
}

func (s *shard) entryAt(l loc) entry {
	b := s.chunks[l.slot()].buf[l.off():]
	return entry(b[:entry(b).size()])
}

// find returns the location of key's entry, expired or not.
func (s *shard) find(key []byte, h uint64) (loc, bool) {
	if l, ok := s.index[h]; ok && bytes.Equal(s.entryAt(l).key(), key) {
		return l, true
	}
	if s.collided != nil {
		l, ok := s.collided[string(key)]
		return l, ok
	}
	return 0, false
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

// point makes key's index slot refer to l, adding the key if it is new.
func (s *shard) point(key []byte, h uint64, l loc) {
	if s.collided != nil {
		if _, ok := s.collided[string(key)]; ok {
			s.collided[string(key)] = l
			return
		}
	}
	if old, ok := s.index[h]; ok && !bytes.Equal(s.entryAt(old).key(), key) {
		if s.collided == nil {
			s.collided = make(map[string]loc)
		}
		s.collided[string(key)] = l
		return
	}
	s.index[h] = l
}

// unpoint removes key from the index.
func (s *shard) unpoint(key []byte, h uint64) {
	if l, ok := s.index[h]; ok && bytes.Equal(s.entryAt(l).key(), key) {
		delete(s.index, h)
		return
	}
	delete(s.collided, string(key))
	if len(s.collided) == 0 {
		s.collided = nil
	}
}

// alloc reserves n bytes at the end of the newest chunk, opening a new
// chunk when it does not fit. Entries only ever go to the newest chunk;
// SCAN cursors depend on that.
func (s *shard) alloc(n int) (loc, []byte) {
	if s.tail >= 0 {
		c := &s.chunks[s.tail]
		if n <= cap(c.buf)-len(c.buf) {
			off := len(c.buf)
			c.buf = c.buf[:off+n]
			return makeLoc(uint32(s.tail), uint32(off)), c.buf[off : off+n]
		}
		// Seal the tail: its unused end counts as dead space. While it was
		// the tail it could not be compacted, however much of it died; it
		// can be now, but not here, as our caller may hold locations in
		// it: settle does it once the operation is over.
		c.dead += uint32(cap(c.buf) - len(c.buf))
		ref := chunkRef{uint32(s.tail), c.seq}
		s.maybeCompact(ref.slot) // releases it if all dead
		if s.tail >= 0 {
			s.sealed = append(s.sealed, ref)
		}
	}
	var buf []byte
	switch {
	case n > bigEntry:
		buf = make([]byte, n)
	case s.spare != nil:
		buf, s.spare = s.spare, nil
	default:
		buf = make([]byte, chunkSize)
	}
	s.arena.Add(int64(cap(buf)))
	var slot uint32
	if k := len(s.free); k > 0 {
		slot = s.free[k-1]
		s.free = s.free[:k-1]
	} else {
		slot = uint32(len(s.chunks))
		s.chunks = append(s.chunks, chunk{})
	}
	s.chunks[slot] = chunk{buf: buf[:n], seq: s.nextSeq}
	s.nextSeq++
	s.tail = int32(slot)
	return makeLoc(slot, 0), buf[:n]
}

// kill marks the entry at l dead; the space comes back when its chunk is
// compacted or released.
func (s *shard) kill(l loc, e entry) {
	n := e.size()
	s.liveBytes.Add(-int64(n))
	c := &s.chunks[l.slot()]
	c.dead += n
	s.maybeCompact(l.slot())
}

// maybeCompact releases a chunk that is all dead, and moves the live
// entries out of one whose dead share passed a quarter, unless it is the
// tail that is still being filled.
func (s *shard) maybeCompact(slot uint32) {
	c := &s.chunks[slot]
	used := uint32(cap(c.buf))
	if c.dead >= used {
		s.release(slot)
		return
	}
	if int32(slot) == s.tail || s.compacting || c.dead < used/4 {
		return
	}
	s.compacting = true
	buf := c.buf
	for off := uint32(0); off < uint32(len(buf)); {
		e := entry(buf[off:])
		e = e[:e.size()]
		old := makeLoc(slot, off)
		off += uint32(len(e))
		key := e.key()
		h := s.hash(key)
		if l, ok := s.find(key, h); !ok || l != old {
			continue
		}
		nl, nb := s.alloc(len(e))
		copy(nb, e)
		s.point(key, h, nl)
	}
	s.compacting = false
	s.release(slot)
}

// settle compacts the chunks sealed during the operation just finished
// that qualify. Every write through a Tx ends with it, when no entry or
// location is held any more; compaction it starts may seal more chunks,
// which it then settles too.
func (s *shard) settle() {
	for len(s.sealed) > 0 {
		ref := s.sealed[len(s.sealed)-1]
		s.sealed = s.sealed[:len(s.sealed)-1]
		if c := &s.chunks[ref.slot]; c.buf != nil && c.seq == ref.seq {
			s.maybeCompact(ref.slot)
		}
	}
}

func (s *shard) release(slot uint32) {
	c := &s.chunks[slot]
	s.arena.Add(-int64(cap(c.buf)))
	if cap(c.buf) == chunkSize && s.spare == nil {
		s.spare = c.buf[:0]
	}
	*c = chunk{}
	s.free = append(s.free, slot)
	if int32(slot) == s.tail {
		s.tail = -1
	}
}

// insert writes a new entry for key, which must not have one.
func (s *shard) insert(key []byte, h uint64, val []byte, valCap int, expireAt int64) entry {
	n := headerSize + len(key) + valCap
	l, b := s.alloc(n)
	writeEntry(b, key, val, uint32(valCap), expireAt)
	s.point(key, h, l)
	s.keys.Add(1)
	s.liveBytes.Add(int64(n))
	if expireAt != 0 {
		s.ttlKeys.Add(1)
	}
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
			return
		}
		// Write the new copy before killing the old one: killing may
		// compact, and compaction must see a consistent index.
		nl, b := s.alloc(headerSize + len(key) + len(val))
		writeEntry(b, key, val, uint32(len(val)), expireAt)
		s.liveBytes.Add(int64(len(b)))
		s.point(key, h, nl)
		s.kill(l, e)
		return
	}
	s.insert(key, h, val, len(val), expireAt)
}

func (s *shard) adjustTTLCount(oldAt, newAt int64) {
	switch {
	case oldAt == 0 && newAt != 0:
		s.ttlKeys.Add(1)
	case oldAt != 0 && newAt == 0:
		s.ttlKeys.Add(-1)
	}
}

// remove deletes the entry at l for key, whose hash is h.
func (s *shard) remove(key []byte, h uint64, l loc) {
	e := s.entryAt(l)
	s.touch(key)
	if e.expireAt() != 0 {
		s.ttlKeys.Add(-1)
	}
	s.keys.Add(-1)
	s.unpoint(key, h)
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
	c := growCap(n)
	nl, b := s.alloc(headerSize + len(key) + c)
	writeEntry(b, key, e.value(), uint32(c), e.expireAt())
	s.liveBytes.Add(int64(len(b)))
	s.point(key, h, nl)
	s.kill(l, e)
	return entry(b)
}

// flush drops every entry.
func (s *shard) flush() {
	for k := range s.watches {
		s.touch([]byte(k))
	}
	s.index = make(map[uint64]loc)
	s.collided = nil
	s.chunks, s.free, s.tail, s.spare, s.sealed = nil, nil, -1, nil, s.sealed[:0]
	s.keys.Store(0)
	s.ttlKeys.Store(0)
	s.liveBytes.Store(0)
	s.arena.Store(0)
}

// walk calls fn for every live entry from position (seq, off) on, in
// (seq, off) order, until fn returns false; fn must not modify the shard.
// It returns the position after the last entry visited, and whether the
// shard was walked to its end.
func (s *shard) walk(seq, off uint32, now int64, fn func(e entry) bool) (uint32, uint32, bool) {
	for _, slot := range s.slotsFrom(seq) {
		c := &s.chunks[slot]
		if c.seq != seq {
			seq, off = c.seq, 0
		}
		for off < uint32(len(c.buf)) {
			e, ok := entryIn(c.buf, off)
			if !ok {
				break // a forged cursor, off any entry's start
			}
			here := makeLoc(slot, off)
			off += uint32(len(e))
			if l, ok := s.find(e.key(), s.hash(e.key())); !ok || l != here || e.expired(now) {
				continue
			}
			if !fn(e) {
				if off >= uint32(len(c.buf)) {
					return seq + 1, 0, false
				}
				return seq, off, false
			}
		}
		seq, off = seq+1, 0
	}
	return 0, 0, true
}

// entryIn returns the entry at off in buf, or false if none fits there.
// The offset of a SCAN cursor comes from the client: it may be anything,
// and decoding an entry at an arbitrary offset must not panic.
func entryIn(buf []byte, off uint32) (entry, bool) {
	if uint64(off)+headerSize > uint64(len(buf)) {
		return nil, false
	}
	e := entry(buf[off:])
	n := headerSize + uint64(e.keyLen()) + uint64(e.valCap())
	if n > uint64(len(e)) || e.valLen() > e.valCap() {
		return nil, false
	}
	return e[:n], true
}

// slotsFrom returns the slots of the chunks with seq >= seq, oldest first.
func (s *shard) slotsFrom(seq uint32) []uint32 {
	var slots []uint32
	for i := range s.chunks {
		if c := &s.chunks[i]; c.buf != nil && c.seq >= seq {
			slots = append(slots, uint32(i))
		}
	}
	slices.SortFunc(slots, func(a, b uint32) int { return cmp.Compare(s.chunks[a].seq, s.chunks[b].seq) })
	return slots
}
