package store

import "encoding/binary"

// Hash field expiry (Redis 7.4's HEXPIRE family). An expired field is
// never returned: reads compare each field's expiry with the command's
// clock. Writes to a small hash first drop its expired fields; the active
// expiry cycle (expire.go) visits the hashes that have fields with an
// expiry, counted in shard.fieldTTLKeys, and removes expired ones, a
// bounded number of table slots per visit for a hashtable, so that the
// CPU it takes stays within the cycle's budget. A hash whose last field
// expires is deleted.

// FieldsExpired is the change the hook hears when fields of a hash
// expired and were removed (Redis's "hexpired" event); when that leaves
// the hash empty, the hook then hears EmptiedByExpiry for its deletion
// (Redis's "del").
const (
	FieldsExpired   = Evicted + 1
	EmptiedByExpiry = Evicted + 2
)

func putExpiry(b []byte, at int64) { binary.LittleEndian.PutUint64(b, uint64(at)) }

// purgeSmall drops the expired fields of key's small hash e (at l) before
// a write, and deletes the key if none is left (returning nil).
func (s *shard) purgeSmall(key []byte, h uint64, l loc, e entry, now int64) (entry, loc) {
	p := e.value()
	if collEnc(p) != encListpackEx {
		return e, l
	}
	ne, gone, n := s.dropExpiredSmall(key, h, l, e, now)
	switch {
	case gone:
		return nil, 0
	case n > 0:
		// Rewritten, perhaps elsewhere: the caller writes through the
		// new location.
		l, _ = s.find(key, h)
	}
	return ne, l
}

// dropExpiredSmall removes the expired fields of a small hash, and the
// key when none is left; it reports how many fields it removed. The
// returned entry (and its location, which the index gives) is the
// rewritten one.
func (s *shard) dropExpiredSmall(key []byte, h uint64, l loc, e entry, now int64) (entry, bool, int) {
	p := e.value()
	expired := 0
	smallEach(p, func(el Elem, _, _ int) bool {
		if !el.live(now) {
			expired++
		}
		return true
	})
	if expired == 0 {
		return e, false, 0
	}
	s.touchAs(key, FieldsExpired)
	if expired == smallCount(p) {
		s.remove(key, h, l, EmptiedByExpiry)
		return nil, true, expired
	}
	b := append(s.scratch[:0], p[:collHeader]...)
	n := 0
	smallEach(p, func(el Elem, _, _ int) bool {
		if el.live(now) {
			b = appendSmallElem(b, TypeHash, encListpackEx, el)
			n++
		}
		return true
	})
	setSmallCount(b, n)
	s.scratch = b
	return s.writeColl(key, h, l, e, b), false, expired
}

// reapSlots is how many table slots of a hashtable one visit of the active
// expiry cycle examines.
const reapSlots = 64

// reapFields removes expired fields of the collection entry e at l, which
// has fields with an expiry: all of a small hash's, those in the next
// reapSlots slots of a hashtable's. It reports whether the key went and
// how many fields were removed.
func (s *shard) reapFields(l loc, e entry, now int64) (gone bool, n int) {
	key := append([]byte(nil), e.key()...) // e may move
	h := s.hash(key)
	p := e.value()
	if collEnc(p) != encHashtable {
		_, gone, n = s.dropExpiredSmall(key, h, l, e, now)
		return gone, n
	}
	b := s.bigOf(p)
	i := b.reap
	for k := 0; k < reapSlots && b.used > 0; k++ {
		if i >= len(b.slots) {
			i = 0
		}
		v := b.slots[i]
		if v == 0 {
			i++
			continue
		}
		off := int(uint32(v)) - 1
		if el, _ := b.rec(off); el.live(now) {
			i++
			continue
		}
		// unslot shifts a later slot into i: look at i again.
		b.killRec(off)
		b.unslot(i)
		n++
	}
	b.reap = i
	if n == 0 {
		return false, 0
	}
	b.maybeCompact()
	s.touchAs(key, FieldsExpired)
	if b.ttls == 0 {
		s.fieldTTLKeys.Add(-1)
	}
	if b.used == 0 {
		s.remove(key, h, l, EmptiedByExpiry)
		return true, n
	}
	s.account(b)
	return false, n
}
