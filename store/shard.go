package store

import (
	"bytes"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// shard is one lock and the entries it guards. Every method whose name
// starts with a lower-case letter expects the caller to hold the lock
// (read lock for the read-only ones).
type shard struct {
	mu sync.RWMutex
	lockStats

	id    int    // its index in the store
	hooks *hooks // the store's change hook

	hash   func([]byte) uint64
	memory *memory // the store's memory settings and usage, shared

	idx index // key -> entry
	allocator
	ghost ghost // S3-FIFO's record of keys recently evicted from logSmall

	// Counters read without the lock by Stats and DBSIZE; written under it.
	keys      atomic.Int64
	ttlKeys   atomic.Int64
	liveBytes atomic.Int64 // bytes of live entries, headers included
	arena     atomic.Int64 // bytes of chunk buffers held
	used      atomic.Int64 // what counts against maxmemory: arena, index, ghost

	expired atomic.Int64 // keys removed because their TTL passed
	evicted atomic.Int64 // keys removed to stay under maxmemory

	expiryPos int // index slot the active expiry cycle resumes at

	watches map[string][]*Watch // keys some client WATCHes; nil when none

	// Collections (coll.go): the large values too big for an entry, by
	// handle, and the handles free for reuse; the hashes whose fields
	// have expiries; scratch space for re-encoding small ones.
	big          []bigValue
	bigFree      []uint32
	fieldTTLKeys atomic.Int64
	scratch      []byte
	bufs         [2][]byte // PutMany's alternating buffers
}

func newShard(id int, hash func([]byte) uint64, mem *memory, h *hooks) *shard {
	return &shard{id: id, hash: hash, memory: mem, hooks: h, allocator: newAllocator()}
}

// has reports whether key has an entry, expired or not.
func (s *shard) has(key []byte) bool {
	_, ok := s.find(key, s.hash(key))
	return ok
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

// set stores val under key with the given expiry, in place when it fits.
// Replacing an expired entry counts as expiring it, as Redis counts it.
func (s *shard) set(key []byte, h uint64, val []byte, expireAt, now int64) {
	s.touch(key)
	if l, ok := s.find(key, h); ok {
		e := s.entryAt(l)
		if e.expired(now) {
			s.expired.Add(1)
		}
		if e.isColl() {
			s.forgetColl(e)
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

// adjustTTLCount keeps ttlKeys counting an entry whose expiry changes
// from oldAt to newAt.
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
func (s *shard) forget(key []byte, h uint64, e entry, why Change) {
	s.touchAs(key, why)
	if e.expireAt() != 0 {
		s.ttlKeys.Add(-1)
	}
	if e.isColl() {
		s.forgetColl(e)
	}
	s.keys.Add(-1)
	s.unpoint(key, h)
}

// remove deletes the entry at l for key, whose hash is h.
func (s *shard) remove(key []byte, h uint64, l loc, why Change) {
	e := s.entryAt(l)
	s.forget(key, h, e, why)
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
	why := Written
	if !live {
		s.expired.Add(1)
		why = Expired
	}
	s.remove(key, h, l, why)
	return live
}

// reap removes key if its entry has expired, so that a write sees it absent.
func (s *shard) reap(key []byte, h uint64, now int64) {
	if l, ok := s.find(key, h); ok && s.entryAt(l).expired(now) {
		s.expired.Add(1)
		s.remove(key, h, l, Expired)
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
		// As Redis 7.0, only a watched key that exists turns dirty.
		if key := []byte(k); s.has(key) {
			s.touch(key)
		}
	}
	s.addMem(-s.used.Load())
	s.dropChunks()
	s.idx = index{}
	s.ghost = ghost{}
	s.expiryPos = 0
	s.keys.Store(0)
	s.ttlKeys.Store(0)
	s.liveBytes.Store(0)
	s.big, s.bigFree = nil, nil
	s.fieldTTLKeys.Store(0)
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

// randomKey picks a live key: the first after a random index slot.
// Expired entries not yet reclaimed are skipped, however many there are:
// Redis answers nil only when no key is live.
func (s *shard) randomKey(now int64) ([]byte, bool) {
	n := len(s.idx.slots)
	if s.idx.used == 0 {
		return nil, false
	}
	start := rand.IntN(n)
	for i := range n {
		if v := s.idx.slots[(start+i)%n]; v != 0 {
			if e := s.entryAt(loc(v)); !e.expired(now) {
				return bytes.Clone(e.key()), true
			}
		}
	}
	return nil, false
}
