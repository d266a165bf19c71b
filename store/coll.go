package store

import (
	"bytes"
	"math/rand/v2"
	"sync/atomic"
)

// CollLimits are the thresholds past which a small collection, kept
// compactly inside its entry, becomes a hashtable: Redis's settings of the
// same names, with the same defaults.
type CollLimits struct {
	HashMaxListpackEntries int // hash-max-listpack-entries
	HashMaxListpackValue   int // hash-max-listpack-value
	SetMaxIntsetEntries    int // set-max-intset-entries
	SetMaxListpackEntries  int // set-max-listpack-entries
	SetMaxListpackValue    int // set-max-listpack-value
	ZSetMaxListpackEntries int // zset-max-listpack-entries
	ZSetMaxListpackValue   int // zset-max-listpack-value
	ListMaxListpackSize    int // list-max-listpack-size (0: the default, -2); see list.go
}

// DefaultCollLimits are Redis 7's defaults.
var DefaultCollLimits = CollLimits{
	HashMaxListpackEntries: 128, HashMaxListpackValue: 64,
	SetMaxIntsetEntries: 512, SetMaxListpackEntries: 128, SetMaxListpackValue: 64,
	ZSetMaxListpackEntries: 128, ZSetMaxListpackValue: 64,
}

// collLimits holds the store's CollLimits; nil means the defaults.
type collLimits struct{ p atomic.Pointer[CollLimits] }

func (c *collLimits) get() *CollLimits {
	if l := c.p.Load(); l != nil {
		return l
	}
	return &DefaultCollLimits
}

// SetCollLimits changes the encoding thresholds; collections already
// converted stay as they are, as in Redis.
func (s *Store) SetCollLimits(l CollLimits) { s.memory.coll.p.Store(&l) }

// CollLimits returns the encoding thresholds.
func (s *Store) CollLimits() CollLimits { return *s.memory.coll.get() }

// PutMode says how Put treats a field that exists.
type PutMode uint8

const (
	PutReplace PutMode = iota // replace its value and drop its expiry (HSET)
	PutNX                     // leave it (HSETNX)
	PutKeepTTL                // replace its value, keep its expiry (HINCRBY)
)

// openColl finds key's live entry for a command on a collection of type
// typ: nil if the key is missing, ErrWrongType if it holds another type.
func (t Tx) openColl(key []byte, typ Type) (*shard, uint64, loc, entry, error) {
	sh, h := t.hashed(key)
	e, l, ok := sh.lookup(key, h, t.now)
	if !ok {
		return sh, h, 0, nil, nil
	}
	if e.typ() != typ {
		return sh, h, 0, nil, ErrWrongType
	}
	return sh, h, l, e, nil
}

// collLen is a collection's element count, expired fields not yet
// reclaimed included (as Redis's HLEN counts them).
func (s *shard) collLen(p []byte) int {
	if collEnc(p) == encHashtable {
		return s.bigOf(p).used
	}
	return smallCount(p)
}

// Len returns the number of elements of key's collection, 0 if missing.
func (t Tx) Len(key []byte, typ Type) (int, error) {
	sh, _, _, e, err := t.openColl(key, typ)
	if e == nil {
		return 0, err
	}
	return sh.collLen(e.value()), nil
}

// LiveLen is Len without the fields that expired but were not yet
// reclaimed: what HGETALL replies with. It costs a walk only for a hash
// with field expiries.
func (t Tx) LiveLen(key []byte, typ Type) (int, error) {
	sh, _, _, e, err := t.openColl(key, typ)
	if e == nil {
		return 0, err
	}
	p := e.value()
	if !sh.hasFieldTTLs(p) {
		return sh.collLen(p), nil
	}
	n := 0
	sh.collEach(p, t.now, func(Elem) bool { n++; return true })
	return n, nil
}

// Elem returns field's live element in key's collection.
func (t Tx) Elem(key []byte, typ Type, field []byte) (Elem, bool, error) {
	sh, _, _, e, err := t.openColl(key, typ)
	if e == nil {
		return Elem{}, false, err
	}
	t.accessed(sh, e)
	el, ok := sh.collGet(e.value(), field)
	if !ok || !el.live(t.now) {
		return Elem{}, false, nil
	}
	return el, true, nil
}

func (s *shard) collGet(p, field []byte) (Elem, bool) {
	if collEnc(p) == encHashtable {
		return s.bigOf(p).get(field)
	}
	el, _, _, ok := smallFind(p, field)
	return el, ok
}

// Elems calls fn for every live element of key's collection, in the
// collection's order (insertion order for the small encodings, ascending
// for an intset), until fn returns false; it reports whether key exists.
// An intset member's Field is decoded into scratch space, valid only
// during the call.
func (t Tx) Elems(key []byte, typ Type, fn func(Elem) bool) (bool, error) {
	sh, _, _, e, err := t.openColl(key, typ)
	if e == nil {
		return false, err
	}
	t.accessed(sh, e)
	sh.collEach(e.value(), t.now, fn)
	return true, nil
}

func (s *shard) collEach(p []byte, now int64, fn func(Elem) bool) {
	if collEnc(p) == encHashtable {
		s.bigOf(p).each(func(el Elem) bool { return !el.live(now) || fn(el) })
		return
	}
	smallEach(p, func(el Elem, _, _ int) bool { return !el.live(now) || fn(el) })
}

// ScanElems continues an HSCAN or SSCAN of key from cursor, calling fn for
// about count live elements, and returns the next cursor (0 at the end).
// A small collection is returned whole at once, as Redis does with its
// listpacks and intsets; a hashtable is walked by field-hash fingerprint,
// so an element present for the whole scan is returned exactly once.
func (t Tx) ScanElems(key []byte, typ Type, cursor uint64, count int, fn func(Elem)) (uint64, error) {
	sh, _, _, e, err := t.openColl(key, typ)
	if e == nil {
		return 0, err
	}
	p := e.value()
	if collEnc(p) != encHashtable {
		sh.collEach(p, t.now, func(el Elem) bool { fn(el); return true })
		return 0, nil
	}
	next := sh.bigOf(p).scan(cursor, count, func(el Elem) {
		if el.live(t.now) {
			fn(el)
		}
	})
	if next >= scanEnd {
		return 0, nil
	}
	return next, nil
}

// RandomElems calls fn with random live elements of key's collection, as
// HRANDFIELD and SRANDMEMBER choose them: for count > 0, distinct ones, the
// whole collection in its order when count reaches its size; for
// count < 0, -count elements that may repeat. It reports whether key
// exists.
func (t Tx) RandomElems(key []byte, typ Type, count int64, fn func(Elem)) (bool, error) {
	sh, _, _, e, err := t.openColl(key, typ)
	if e == nil {
		return false, err
	}
	p := e.value()
	var b *bigColl
	if collEnc(p) == encHashtable {
		b = sh.bigOf(p)
	}
	if count == 0 {
		return true, nil
	}
	// A big collection without expiring fields is sampled by slot;
	// anything else is gathered first (at most a few hundred elements, or
	// a hash with field expiries, whose expired fields must not be drawn).
	if b != nil && b.ttls == 0 {
		n := int64(b.used)
		switch {
		case count < 0:
			for range -count {
				fn(b.at(b.randomSlot()))
			}
		case count >= n:
			b.each(func(el Elem) bool { fn(el); return true })
		case count*3 > n:
			slots := make([]int, 0, n)
			for i, v := range b.slots {
				if v != 0 {
					slots = append(slots, i)
				}
			}
			for i := range count {
				j := i + rand.Int64N(n-i)
				slots[i], slots[j] = slots[j], slots[i]
				fn(b.at(slots[i]))
			}
		default:
			seen := make(map[int]struct{}, count)
			for int64(len(seen)) < count {
				i := b.randomSlot()
				if _, dup := seen[i]; !dup {
					seen[i] = struct{}{}
					fn(b.at(i))
				}
			}
		}
		return true, nil
	}
	var all []Elem
	sh.collEach(p, t.now, func(el Elem) bool {
		if collEnc(p) == encIntset {
			el.Field = bytes.Clone(el.Field) // decoded into a scratch buffer
		}
		all = append(all, el)
		return true
	})
	n := int64(len(all))
	switch {
	case n == 0:
	case count < 0:
		for range -count {
			fn(all[rand.Int64N(n)])
		}
	case count >= n:
		for _, el := range all {
			fn(el)
		}
	default:
		for i := range count {
			j := i + rand.Int64N(n-i)
			all[i], all[j] = all[j], all[i]
			fn(all[i])
		}
	}
	return true, nil
}

// Remove deletes field from key's collection, and the key with its last
// element; it reports whether the (live) field existed.
func (t Tx) Remove(key []byte, typ Type, field []byte) (bool, error) {
	sh, h, l, e, err := t.openColl(key, typ)
	if e == nil {
		return false, err
	}
	defer sh.settle()
	if e, l = sh.purgeSmall(key, h, l, e, t.now); e == nil {
		return false, nil
	}
	p := e.value()
	if collEnc(p) == encHashtable {
		b := sh.bigOf(p)
		old, found := b.get(field)
		if !found {
			return false, nil
		}
		before := b.ttls > 0
		b.del(field)
		sh.ttlMode(before, b.ttls > 0)
		if b.used == 0 {
			sh.remove(key, h, l, Written)
			return old.live(t.now), nil
		}
		sh.account(b)
		sh.touch(key)
		return old.live(t.now), nil
	}
	_, off, end, found := smallFind(p, field)
	if !found {
		return false, nil
	}
	if smallCount(p) == 1 {
		sh.remove(key, h, l, Written)
		return true, nil
	}
	sh.touch(key)
	sh.scratch = smallSplice(sh.scratch[:0], p, collEnc(p), off, end, nil)
	sh.writeColl(key, h, l, e, sh.scratch)
	return true, nil
}

// SetElemExpire sets the expiry of field in key's hash (0 removes it); it
// reports whether the live field exists. The caller deletes the field
// instead when the time has passed.
func (t Tx) SetElemExpire(key, field []byte, at int64) (bool, error) {
	sh, h, l, e, err := t.openColl(key, TypeHash)
	if e == nil {
		return false, err
	}
	defer sh.settle()
	p := e.value()
	if collEnc(p) == encHashtable {
		b := sh.bigOf(p)
		if el, ok := b.get(field); !ok || !el.live(t.now) {
			return false, nil
		}
		before := b.ttls > 0
		b.setExpire(field, at)
		sh.account(b)
		sh.ttlMode(before, b.ttls > 0)
		sh.touch(key)
		return true, nil
	}
	el, off, end, ok := smallFind(p, field)
	if !ok || !el.live(t.now) {
		return false, nil
	}
	sh.touch(key)
	if collEnc(p) == encListpackEx {
		putExpiry(p[end-8:], at) // in place: the entry's own bytes
		return true, nil
	}
	if at == 0 {
		return true, nil
	}
	el.ExpireAt = at
	sh.fieldTTLKeys.Add(1)
	sh.scratch = smallSplice(sh.scratch[:0], p, encListpackEx, off, end, &el)
	sh.writeColl(key, h, l, e, sh.scratch)
	return true, nil
}

// smallSplice re-encodes small payload p in enc (listpack or listpackex)
// into dst, which must not overlap p: the element at [off, end) replaced by
// repl, or removed when repl is nil, or repl appended when off < 0.
func smallSplice(dst, p []byte, enc uint8, off, end int, repl *Elem) []byte {
	typ := Type(p[0])
	if collEnc(p) == encIntset && repl == nil {
		// Deleting from an intset keeps it one.
		b := append(dst, p[:off]...)
		b = append(b, p[end:]...)
		setSmallCount(b, smallCount(p)-1)
		return b
	}
	b := append(dst, byte(typ), enc, 0, 0)
	n := 0
	smallEach(p, func(el Elem, o, _ int) bool {
		if o == off {
			if repl == nil {
				return true
			}
			el = *repl
		}
		b = appendSmallElem(b, typ, enc, el)
		n++
		return true
	})
	if off < 0 && repl != nil {
		b = appendSmallElem(b, typ, enc, *repl)
		n++
	}
	setSmallCount(b, n)
	return b
}

// bigPayload is the payload of an entry whose collection lives in the
// shard's table of large values under handle, with encoding enc
// (encHashtable, encSkiplist, encQuicklist).
func (s *shard) bigPayload(typ Type, enc uint8, handle uint32) []byte {
	b := append(s.scratch[:0], byte(typ), enc, 0, 0)
	b = append(b, byte(handle), byte(handle>>8), byte(handle>>16), byte(handle>>24))
	s.scratch = b
	return b
}

// writeColl replaces the payload of key's collection entry e (at l) with p,
// in place when it fits, and returns the entry, which may have moved: l is
// then stale, and a second write in the same operation must find the
// key's location again (purgeSmall does), or it kills a live chunk's
// bytes.
func (s *shard) writeColl(key []byte, h uint64, l loc, e entry, p []byte) entry {
	if uint32(len(p)) <= e.valCap() && e.valCap() <= 2*uint32(len(p))+16 {
		copy(e.valueSpace(), p)
		e.setCollLen(len(p))
		return e
	}
	ne := s.relocate(key, h, l, e, p, len(p), e.expireAt())
	ne.setCollLen(len(p))
	return ne
}

func (e entry) setCollLen(n int) { e.setValLen(uint32(n) | collBit) }

// bigValue is a collection too big for its entry: a hash's or set's
// hashtable (bigColl), and the large forms of sorted sets and lists. Each
// keeps its elements in pointer-free memory of its own; the shard holds
// one pointer per large collection, none per element.
type bigValue interface {
	// bytes is the memory it holds now.
	bytes() int64
	// accounted is what the shard's memory count holds of it, kept by
	// account and detachBig.
	accounted() *int64
	// cloneValue returns a deep copy, with nothing accounted, for COPY.
	cloneValue() bigValue
}

// isBigEnc reports whether a payload of encoding enc refers to the shard's
// table of large values by handle instead of holding its elements.
func isBigEnc(enc uint8) bool {
	return enc == encHashtable || enc == encSkiplist || enc == encQuicklist
}

// Collections too big for the entry live in the shard's table of
// bigValue, referred to by handle. bigOf is the hashtable of a hash or set
// (nil if the handle was detached, as Rename does).
func (s *shard) bigOf(p []byte) *bigColl {
	b, _ := s.big[bigHandle(p)].(*bigColl)
	return b
}

// bigValueOf is the large value payload p refers to.
func (s *shard) bigValueOf(p []byte) bigValue { return s.big[bigHandle(p)] }

func (s *shard) addBig(b bigValue) uint32 {
	if n := len(s.bigFree); n > 0 {
		h := s.bigFree[n-1]
		s.bigFree = s.bigFree[:n-1]
		s.big[h] = b
		return h
	}
	s.big = append(s.big, b)
	return uint32(len(s.big) - 1)
}

// detachBig takes the collection with the given handle out of the shard
// (its memory with it) and frees the handle. Dropping the last reference
// is all a delete costs: the collector frees a pointer-free slice without
// reading it, so deleting a hash of millions of fields does not stall the
// shard (Redis's lazyfree, for free).
func (s *shard) detachBig(handle uint32) bigValue {
	b := s.big[handle]
	s.big[handle] = nil
	s.bigFree = append(s.bigFree, handle)
	if b != nil {
		m := b.accounted()
		s.addMem(-*m)
		*m = 0
	}
	return b
}

// account brings the shard's memory count up to date with b's size.
func (s *shard) account(b bigValue) {
	m := b.accounted()
	if d := b.bytes() - *m; d != 0 {
		*m += d
		s.addMem(d)
	}
}

// ttlMode keeps fieldTTLKeys, the hashes the active expiry cycle visits
// for their fields, counting a hashtable whose fields with an expiry went
// from some (before) to none or back.
func (s *shard) ttlMode(before, after bool) {
	switch {
	case !before && after:
		s.fieldTTLKeys.Add(1)
	case before && !after:
		s.fieldTTLKeys.Add(-1)
	}
}

// hasFieldTTLs reports whether the active expiry cycle visits collection
// payload p for its fields.
func (s *shard) hasFieldTTLs(p []byte) bool {
	switch collEnc(p) {
	case encListpackEx:
		return true
	case encHashtable:
		b := s.bigOf(p)
		return b != nil && b.ttls > 0 // nil: detached by Rename
	}
	return false
}

// forgetColl releases what collection entry e holds beyond its bytes,
// when the key goes (deleted, expired, evicted or overwritten).
func (s *shard) forgetColl(e entry) {
	p := e.value()
	if s.hasFieldTTLs(p) {
		s.fieldTTLKeys.Add(-1)
	}
	if h := bigHandle(p); isBigEnc(collEnc(p)) && s.big[h] != nil {
		s.detachBig(h)
	}
}

// collBytes is what a collection holds outside its entry.
func (s *shard) collBytes(e entry) int64 {
	if !e.isColl() || !isBigEnc(collEnc(e.value())) {
		return 0
	}
	if b := s.bigValueOf(e.value()); b != nil {
		return b.bytes()
	}
	return 0
}
