package store

import "math/rand/v2"

// Tx operates on the keyspace on behalf of a caller that holds the locks
// of the shards its keys fall in (see Store.Lock). The read-only methods
// need only the read lock.
//
// A value slice returned by Get or Lookup aliases the store's memory: it
// is valid until the next write made through any Tx, and must be copied
// (for example into a reply) before then.
type Tx struct {
	s       *Store
	now     int64
	all     bool // every shard is locked; keyspace-wide methods take no locks
	noTouch bool // reads leave keys' access metadata alone (NoTouch)
}

// NoTouch returns t for a caller whose reads must not count as uses of
// the keys (Redis 7.2's CLIENT NO-TOUCH): the LRU clock and LFU counter
// that eviction and OBJECT IDLETIME / FREQ read stay as they were.
func (t Tx) NoTouch() Tx {
	t.noTouch = true
	return t
}

// accessed records a use of e, unless t is NoTouch.
func (t Tx) accessed(sh *shard, e entry) {
	if !t.noTouch {
		sh.accessed(e, t.now)
	}
}

// hashed returns key's shard and hash: every method hashes its key once
// and hands the hash down.
func (t Tx) hashed(key []byte) (*shard, uint64) {
	h := t.s.hash(key)
	return t.s.shards[h&t.s.mask], h
}

// All reports whether the caller holds every shard's lock (TxAll), so
// that any key may be read or written through this Tx.
func (t Tx) All() bool { return t.all }

// Now returns the instant this Tx operates at, Unix milliseconds.
func (t Tx) Now() int64 { return t.now }

// Get returns key's value if the key exists and has not expired.
func (t Tx) Get(key []byte) ([]byte, bool) {
	sh, h := t.hashed(key)
	e, _, ok := sh.lookup(key, h, t.now)
	if !ok || e.isColl() {
		return nil, false
	}
	t.accessed(sh, e)
	return e.value(), true
}

// Lookup returns key's value and absolute expiry (0 = none), for a key
// of any type: a collection's value is its encoding, to be read only
// through the collection methods (use Type).
func (t Tx) Lookup(key []byte) (val []byte, expireAt int64, ok bool) {
	sh, h := t.hashed(key)
	e, _, ok := sh.lookup(key, h, t.now)
	if !ok {
		return nil, 0, false
	}
	t.accessed(sh, e)
	return e.value(), e.expireAt(), true
}

// Exists reports whether key exists and has not expired.
func (t Tx) Exists(key []byte) bool {
	sh, h := t.hashed(key)
	_, _, ok := sh.lookup(key, h, t.now)
	return ok
}

// Touch reports whether key exists and has not expired, and records a
// use of it, NoTouch or not (TOUCH).
func (t Tx) Touch(key []byte) bool {
	sh, h := t.hashed(key)
	e, _, ok := sh.lookup(key, h, t.now)
	if ok {
		sh.accessed(e, t.now)
	}
	return ok
}

// Set stores val under key, replacing any value, with the given absolute
// expiry in Unix milliseconds (0 = none).
func (t Tx) Set(key, val []byte, expireAt int64) {
	sh, h := t.hashed(key)
	sh.set(key, h, val, expireAt, t.now)
	sh.settle()
}

// Delete removes key and reports whether it existed.
func (t Tx) Delete(key []byte) bool {
	sh, h := t.hashed(key)
	ok := sh.delete(key, h, t.now)
	sh.settle()
	return ok
}

// SetExpire changes the expiry of an existing key (0 removes it) and
// reports whether the key exists. An expiry at or before now deletes the
// key, as Redis does.
func (t Tx) SetExpire(key []byte, expireAt int64) bool {
	sh, h := t.hashed(key)
	e, l, ok := sh.lookup(key, h, t.now)
	if !ok {
		return false
	}
	if expireAt != 0 && expireAt <= t.now {
		sh.remove(key, h, l, Written)
		sh.settle()
		return true
	}
	sh.touch(key)
	sh.adjustTTLCount(e.expireAt(), expireAt)
	e.setExpire(expireAt)
	return true
}

// Append appends data to key's value, creating the key if needed, and
// returns the new length. The value's space grows geometrically, so
// repeated appends are amortised O(1).
func (t Tx) Append(key, data []byte) int {
	sh, h := t.hashed(key)
	e, l, ok := sh.lookup(key, h, t.now)
	if !ok {
		sh.reap(key, h, t.now)
		sh.touch(key)
		sh.insert(key, h, data, len(data), 0, t.now)
		sh.settle()
		return len(data)
	}
	old := int(e.valLen())
	return t.writeAt(sh, key, h, l, e, old, data, old+len(data))
}

// SetRange overwrites key's value from offset on with data, zero-padding
// as needed and creating the key if needed, and returns the new length.
// Empty data changes nothing (it neither creates nor pads), as in Redis.
// The caller checks offset+len(data) against its size limit.
func (t Tx) SetRange(key []byte, offset int, data []byte) int {
	sh, h := t.hashed(key)
	e, l, ok := sh.lookup(key, h, t.now)
	switch {
	case len(data) == 0 && !ok:
		return 0
	case len(data) == 0:
		return int(e.valLen())
	case !ok:
		sh.reap(key, h, t.now)
		sh.touch(key)
		e = sh.insert(key, h, nil, offset+len(data), 0, t.now)
		e.setValLen(uint32(offset + len(data)))
		copy(e.valueSpace()[offset:], data)
		sh.settle()
		return offset + len(data)
	}
	return t.writeAt(sh, key, h, l, e, offset, data, max(int(e.valLen()), offset+len(data)))
}

// writeAt grows key's live entry e (at l) to n bytes of value and copies
// data at offset.
func (t Tx) writeAt(sh *shard, key []byte, h uint64, l loc, e entry, offset int, data []byte, n int) int {
	sh.touch(key)
	e = sh.resize(key, h, l, e, n)
	old := int(e.valLen())
	space := e.valueSpace()
	if offset > old {
		clear(space[old:offset])
	}
	copy(space[offset:], data)
	e.setValLen(uint32(n))
	sh.settle()
	return n
}

// Keys calls fn with every live key.
// The key slice is only valid during the call.
func (t Tx) Keys(fn func(key []byte)) {
	for i, sh := range t.s.shards {
		t.lockShard(i, false)
		sh.each(t.now, func(e entry) bool { fn(e.key()); return true })
		t.unlockShard(i, false)
	}
}

// Scan continues a SCAN from cursor (0 starts one), calling fn for about
// count live keys, and returns the cursor to pass next, 0 when done. A key
// that exists for the whole iteration is returned exactly once.
//
// The cursor packs the shard (16 bits) and the key-hash fingerprint to go
// on from (see shard.scan), so it stays valid however the shards' tables
// grow or shrink in between.
func (t Tx) Scan(cursor uint64, count int, fn func(key []byte)) uint64 {
	shardIdx := int(cursor >> 48)
	lo := cursor & (1<<48 - 1)
	seen := 0
	for shardIdx < len(t.s.shards) {
		t.lockShard(shardIdx, false)
		hi := t.s.shards[shardIdx].scan(lo, count-seen, t.now, func(e entry) {
			fn(e.key())
			seen++
		})
		t.unlockShard(shardIdx, false)
		if hi < scanEnd {
			return uint64(shardIdx)<<48 | hi
		}
		shardIdx, lo = shardIdx+1, 0
		if seen >= count && shardIdx < len(t.s.shards) {
			return uint64(shardIdx) << 48
		}
	}
	return 0
}

// RandomKey returns a random live key, or false if there is none.
func (t Tx) RandomKey() ([]byte, bool) {
	n := len(t.s.shards)
	start := rand.IntN(n)
	for i := range n {
		idx := (start + i) % n
		t.lockShard(idx, false)
		key, ok := t.s.shards[idx].randomKey(t.now)
		t.unlockShard(idx, false)
		if ok {
			return key, true
		}
	}
	return nil, false
}

// Flush removes every key.
func (t Tx) Flush() {
	if !t.all {
		t.s.LockAll(true)
		defer t.s.UnlockAll(true)
	}
	for _, sh := range t.s.shards {
		sh.flush()
	}
	t.s.memory.pool.drop()
}

func (t Tx) lockShard(i int, write bool) {
	if !t.all {
		t.s.shards[i].lock(write)
	}
}

func (t Tx) unlockShard(i int, write bool) {
	if !t.all {
		t.s.shards[i].unlock(write)
	}
}
