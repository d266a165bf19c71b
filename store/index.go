package store

import "bytes"

// index maps a shard's keys to their entries: an open-addressing table of
// uint64 slots with linear probing, so it holds no pointers and costs 8
// bytes a slot (a Go map[uint64]uint64 costs about 4x that per key).
//
// A slot holds fp<<32 | loc, where fp is the top 32 bits of the key's hash
// and loc (never 0) the entry's location; 0 marks an empty slot. Keys are
// compared in the arena only when the fingerprints match, so hash
// collisions need no special case. A key's home slot is fp*n/2^32 for a
// table of n slots: monotonic in the fingerprint, so the table is in
// fingerprint order but for the short runs that probing displaces, which
// is what lets SCAN walk it by fingerprint with a cursor that survives
// resizes (see scan). n need not be a power of two, so the table can grow
// by a quarter at a time: 11 bytes a key on average instead of the 13 that
// doubling costs, and no worst case of 16 right after a doubling.
type index struct {
	slots   []uint64
	used    int
	resizes int // for tests
}

const (
	minIndexSlots = 16
	// The table grows by a quarter when an insert would fill more than
	// 13/16 of it, and shrinks by half when deletes leave less than 1/8
	// used.
	growNum, growDen = 13, 16
)

func fingerprint(h uint64) uint32 { return uint32(h >> 32) }

func (x *index) home(fp uint32) int { return int(uint64(fp) * uint64(len(x.slots)) >> 32) }

// next is the slot after i, wrapping around.
func (x *index) next(i int) int {
	if i++; i == len(x.slots) {
		return 0
	}
	return i
}

// firstFP is the smallest fingerprint whose home is slot p or later.
func (x *index) firstFP(p int) uint64 {
	n := uint64(len(x.slots))
	return (uint64(p)<<32 + n - 1) / n
}

func (x *index) bytes() int64 { return int64(len(x.slots)) * 8 }

// findSlot returns the position of key's slot, or, when key is absent, of
// the empty slot where it would go (-1 if the table has no slots).
func (s *shard) findSlot(key []byte, h uint64) (pos int, l loc, ok bool) {
	x := &s.idx
	if len(x.slots) == 0 {
		return -1, 0, false
	}
	fp := fingerprint(h)
	for i := x.home(fp); ; i = x.next(i) {
		v := x.slots[i]
		if v == 0 {
			return i, 0, false
		}
		if uint32(v>>32) == fp && bytes.Equal(s.entryAt(loc(v)).key(), key) {
			return i, loc(v), true
		}
	}
}

// find returns the location of key's entry, expired or not.
func (s *shard) find(key []byte, h uint64) (loc, bool) {
	_, l, ok := s.findSlot(key, h)
	return l, ok
}

// point makes key's index slot refer to l, adding the key if it is new.
func (s *shard) point(key []byte, h uint64, l loc) {
	i, _, ok := s.findSlot(key, h)
	if !ok {
		if x := &s.idx; (x.used+1)*growDen > len(x.slots)*growNum {
			s.resizeIndex(max(minIndexSlots, len(x.slots)+len(x.slots)/4))
			i, _, _ = s.findSlot(key, h)
		}
		s.idx.used++
	}
	s.idx.slots[i] = uint64(fingerprint(h))<<32 | uint64(l)
}

// unpoint removes key from the index.
func (s *shard) unpoint(key []byte, h uint64) {
	if i, _, ok := s.findSlot(key, h); ok {
		s.unpointAt(i)
	}
}

// unpointAt empties slot i, shifting back the entries after it that
// probing had displaced, so that no tombstones are needed.
func (s *shard) unpointAt(i int) {
	if s.idx.clear(i) {
		s.resizeIndex(len(s.idx.slots) / 2)
	}
}

// clear empties slot i, shifting back the entries displaced past it so
// that every entry stays reachable from its home slot, and reports
// whether the table is now mostly empty and should shrink by half.
func (x *index) clear(i int) (shrink bool) {
	n := len(x.slots)
	dist := func(from, to int) int { // cyclic distance from slot from to slot to
		if d := to - from; d >= 0 {
			return d
		}
		return to - from + n
	}
	for j := x.next(i); ; j = x.next(j) {
		v := x.slots[j]
		if v == 0 {
			break
		}
		// v may move to i unless its home lies in the cyclic range (i, j].
		if h := x.home(uint32(v >> 32)); dist(h, j) >= dist(i, j) {
			x.slots[i] = v
			i = j
		}
	}
	x.slots[i] = 0
	x.used--
	return x.used*8 < len(x.slots) && len(x.slots) > minIndexSlots
}

// resizeIndex rebuilds the table with n slots.
func (s *shard) resizeIndex(n int) {
	old := len(s.idx.slots)
	s.idx.rebuild(n)
	s.addMem(int64(n-old) * 8)
}

// rebuild moves the entries to a new table of n slots.
func (x *index) rebuild(n int) {
	old := x.slots
	x.slots = make([]uint64, n)
	x.resizes++
	for _, v := range old {
		if v == 0 {
			continue
		}
		i := x.home(uint32(v >> 32))
		for x.slots[i] != 0 {
			i = x.next(i)
		}
		x.slots[i] = v
	}
}

// scanEnd is the cursor value after the last fingerprint.
const scanEnd = 1 << 32

// scan calls fn for the live entries whose fingerprint is in [lo, hi) and
// returns hi, chosen so that about count entries are visited; hi is
// scanEnd when the shard has been walked to its end.
//
// Every entry lies at or after its home slot with no empty slot between,
// so once the walk from lo's home reaches an empty slot at p, it has seen
// every entry whose home is before p, that is whose fingerprint is below
// p's first. Fingerprints never change and entries only move within the
// run of their home, so a key present for a whole SCAN is returned
// exactly once, however the table is resized in between.
func (s *shard) scan(lo uint64, count int, now int64, fn func(entry)) uint64 {
	x := &s.idx
	n := len(x.slots)
	if n == 0 || lo >= scanEnd {
		return scanEnd
	}
	start := x.home(uint32(lo))
	hi := uint64(scanEnd)
	p, seen := start, 0
	for ; p < n; p++ {
		v := x.slots[p]
		if v == 0 {
			if seen >= count {
				hi = x.firstFP(p)
				break
			}
			continue
		}
		if uint64(v>>32) >= lo {
			seen++
		}
	}
	emit := func(v uint64) {
		if fp := uint64(v >> 32); v != 0 && fp >= lo && fp < hi {
			if e := s.entryAt(loc(v)); !e.expired(now) {
				fn(e)
			}
		}
	}
	for i := start; i < p; i++ {
		emit(x.slots[i])
	}
	if hi == scanEnd {
		// The run that wrapped around the table's end, whose entries have
		// homes near the end.
		for i := 0; i < start && x.slots[i] != 0; i++ {
			emit(x.slots[i])
		}
	}
	return hi
}
