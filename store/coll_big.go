package store

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/cespare/xxhash/v2"
)

// bigColl is a large hash or set: the store's own layout applied to one
// collection, so that a hash of ten million fields is a few hundred
// pointer-free byte chunks and one integer table, which the garbage
// collector never looks inside.
//
// chunks hold the elements as records, appended (a record never spans
// two chunks; one over a quarter of the largest chunk gets one of its
// own):
//
//	[0]   flags: recDead (deleted or replaced), recTTL (an expiry follows)
//	      uvarint(len) field, then for a hash uvarint(len) value,
//	      then with recTTL the expiry, 8 bytes of Unix ms
//
// slots is an open-addressing table as the shard's index (index.go): each
// slot holds the field hash's top 32 bits and the record's reference plus
// one (chunk<<16 | offset), with the home slot monotonic in the
// fingerprint so that HSCAN and SSCAN walk it by fingerprint with a cursor
// that survives resizes. Replaced and deleted records stay as dead bytes
// until they are half of all, when the live ones are copied to new chunks.
// Chunks grow from 4 KiB to 64 KiB, so that growing never copies what is
// there and leaves no garbage behind.
type bigColl struct {
	index  // the store's own fingerprint table (index.go), over records
	chunks [][]byte
	tail   int   // chunk being filled, -1 if none
	total  int64 // bytes of records, live and dead
	dead   int64
	caps   int64 // capacity of the chunks
	ttls   int   // live records with an expiry
	hash   bool  // records carry values
	mem    int64 // what the shard has accounted for
	reap   int   // slot the active field expiry resumes at
}

const (
	recDead = 1
	recTTL  = 2

	bigChunkMin = 4 << 10
	bigChunkMax = 64 << 10
)

func fieldHash(b []byte) uint64 { return xxhash.Sum64(b) }

func newBig(hash bool) *bigColl { return &bigColl{hash: hash, tail: -1} }

func (b *bigColl) bytes() int64 { return b.caps + int64(len(b.slots))*8 }

// rec decodes the record at ref: the element and the record's size.
func (b *bigColl) rec(ref int) (Elem, int) {
	d := b.chunks[ref>>16]
	off := ref & 0xffff
	var el Elem
	p := off + 1
	n, k := binary.Uvarint(d[p:])
	p += k
	el.Field = d[p : p+int(n) : p+int(n)]
	p += int(n)
	if b.hash {
		n, k = binary.Uvarint(d[p:])
		p += k
		el.Value = d[p : p+int(n) : p+int(n)]
		p += int(n)
	}
	if d[off]&recTTL != 0 {
		el.ExpireAt = int64(binary.LittleEndian.Uint64(d[p:]))
		p += 8
	}
	return el, p - off
}

func uvarintLen(n int) int {
	k := 1
	for ; n >= 0x80; n >>= 7 {
		k++
	}
	return k
}

// room returns a chunk index with n free bytes at its end.
func (b *bigColl) room(n int) int {
	if n > bigChunkMax/4 {
		b.chunks = append(b.chunks, make([]byte, 0, n))
		b.caps += int64(n)
		return len(b.chunks) - 1
	}
	if b.tail >= 0 {
		if c := b.chunks[b.tail]; cap(c)-len(c) >= n {
			return b.tail
		}
	}
	size := bigChunkMin
	if b.tail >= 0 {
		size = min(bigChunkMax, 2*cap(b.chunks[b.tail]))
	}
	b.chunks = append(b.chunks, make([]byte, 0, size))
	b.caps += int64(size)
	b.tail = len(b.chunks) - 1
	return b.tail
}

// findSlot returns field's slot position and record offset, or the empty
// slot where it would go.
func (b *bigColl) findSlot(field []byte, h uint64) (pos, off int, ok bool) {
	fp := fingerprint(h)
	for i := b.home(fp); ; i = b.next(i) {
		v := b.slots[i]
		if v == 0 {
			return i, 0, false
		}
		if uint32(v>>32) == fp {
			r := int(uint32(v)) - 1
			if el, _ := b.rec(r); string(el.Field) == string(field) {
				return i, r, true
			}
		}
	}
}

// get returns field's element.
func (b *bigColl) get(field []byte) (Elem, bool) {
	_, off, ok := b.findSlot(field, fieldHash(field))
	if !ok {
		return Elem{}, false
	}
	el, _ := b.rec(off)
	return el, true
}

// appendRec appends el's record and returns its reference. el may alias
// the chunks: appending never moves what they hold.
func (b *bigColl) appendRec(el Elem) int {
	n := 1 + uvarintLen(len(el.Field)) + len(el.Field)
	if b.hash {
		n += uvarintLen(len(el.Value)) + len(el.Value)
	}
	flags := byte(0)
	if el.ExpireAt != 0 {
		flags = recTTL
		n += 8
		b.ttls++
	}
	ci := b.room(n)
	d := b.chunks[ci]
	off := len(d)
	d = append(d, flags)
	d = binary.AppendUvarint(d, uint64(len(el.Field)))
	d = append(d, el.Field...)
	if b.hash {
		d = binary.AppendUvarint(d, uint64(len(el.Value)))
		d = append(d, el.Value...)
	}
	if el.ExpireAt != 0 {
		d = binary.LittleEndian.AppendUint64(d, uint64(el.ExpireAt))
	}
	b.chunks[ci] = d
	b.total += int64(n)
	return ci<<16 | off
}

// killRec marks the record at ref dead.
func (b *bigColl) killRec(ref int) {
	el, n := b.rec(ref)
	if el.ExpireAt != 0 {
		b.ttls--
	}
	b.chunks[ref>>16][ref&0xffff] |= recDead
	b.dead += int64(n)
}

// put stores el, replacing the element with the same field; it reports
// whether the field is new. el may alias b's data.
func (b *bigColl) put(el Elem) bool {
	h := fieldHash(el.Field)
	if (b.used+1)*growDen > len(b.slots)*growNum {
		b.rebuild(max(minIndexSlots, len(b.slots)+len(b.slots)/4))
	}
	pos, old, found := b.findSlot(el.Field, h)
	ref := b.appendRec(el)
	if found {
		b.killRec(old)
	} else {
		b.used++
	}
	b.slots[pos] = uint64(fingerprint(h))<<32 | uint64(ref+1)
	b.maybeCompact()
	return !found
}

// setExpire changes field's expiry (0 removes it); false if it is absent.
func (b *bigColl) setExpire(field []byte, at int64) bool {
	_, off, ok := b.findSlot(field, fieldHash(field))
	if !ok {
		return false
	}
	el, n := b.rec(off)
	if el.ExpireAt != 0 && at != 0 {
		end := off&0xffff + n
		binary.LittleEndian.PutUint64(b.chunks[off>>16][end-8:], uint64(at))
		return true
	}
	if el.ExpireAt == 0 && at == 0 {
		return true
	}
	el.ExpireAt = at
	b.put(el)
	return true
}

// del removes field; false if it is absent.
func (b *bigColl) del(field []byte) bool {
	pos, off, ok := b.findSlot(field, fieldHash(field))
	if !ok {
		return false
	}
	b.killRec(off)
	b.unslot(pos)
	b.maybeCompact()
	return true
}

// unslot empties slot i (index.clear) and shrinks the table when it is
// mostly empty.
func (b *bigColl) unslot(i int) {
	if b.clear(i) {
		b.rebuild(len(b.slots) / 2)
	}
}

// maybeCompact copies the live records to new chunks once dead ones are
// half of all: amortised O(1) a write, as the arena's compaction.
func (b *bigColl) maybeCompact() {
	if b.dead < 4096 || b.dead*2 < b.total {
		return
	}
	old := b.chunks
	b.chunks, b.tail, b.total, b.dead, b.caps = nil, -1, 0, 0, 0
	ttls := b.ttls
	for i, v := range b.slots {
		if v == 0 {
			continue
		}
		r := int(uint32(v)) - 1
		d := old[r>>16]
		_, n := recIn(d, r&0xffff, b.hash)
		ci := b.room(n)
		c := b.chunks[ci]
		b.slots[i] = v&^0xffffffff | uint64(ci<<16|len(c)+1)
		b.chunks[ci] = append(c, d[r&0xffff:r&0xffff+n]...)
		b.total += int64(n)
	}
	b.ttls = ttls
}

// recIn is rec for a record in chunk d at off.
func recIn(d []byte, off int, hash bool) (Elem, int) {
	b := bigColl{chunks: [][]byte{d}, hash: hash}
	return b.rec(off)
}

// each calls fn for every element (expired ones too) in table order until
// fn returns false.
func (b *bigColl) each(fn func(Elem) bool) {
	for _, v := range b.slots {
		if v == 0 {
			continue
		}
		if el, _ := b.rec(int(uint32(v)) - 1); !fn(el) {
			return
		}
	}
}

// randomSlot returns a random occupied slot (the table is never empty
// and at least an eighth full).
func (b *bigColl) randomSlot() int {
	i := rand.IntN(len(b.slots))
	for b.slots[i] == 0 {
		i = b.next(i)
	}
	return i
}

func (b *bigColl) at(slot int) Elem {
	el, _ := b.rec(int(uint32(b.slots[slot])) - 1)
	return el
}

// scan is shard.scan for the collection's table: it calls fn for the
// elements whose fingerprint is in [lo, hi) and returns hi, scanEnd at the
// end, so that an element present for a whole HSCAN is returned once.
func (b *bigColl) scan(lo uint64, count int, fn func(Elem)) uint64 {
	n := len(b.slots)
	if n == 0 || lo >= scanEnd {
		return scanEnd
	}
	start := b.home(uint32(lo))
	hi := uint64(scanEnd)
	p, seen := start, 0
	for ; p < n; p++ {
		v := b.slots[p]
		if v == 0 {
			if seen >= count {
				hi = (uint64(p)<<32 + uint64(n) - 1) / uint64(n)
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
			el, _ := b.rec(int(uint32(v)) - 1)
			fn(el)
		}
	}
	for i := start; i < p; i++ {
		emit(b.slots[i])
	}
	if hi == scanEnd {
		for i := 0; i < start && b.slots[i] != 0; i++ {
			emit(b.slots[i])
		}
	}
	return hi
}

func (b *bigColl) accounted() *int64    { return &b.mem }
func (b *bigColl) cloneValue() bigValue { return b.clone() }

// clone returns a deep copy, for COPY.
func (b *bigColl) clone() *bigColl {
	c := *b
	c.slots = append([]uint64(nil), b.slots...)
	c.chunks = make([][]byte, len(b.chunks))
	for i, d := range b.chunks {
		c.chunks[i] = append(make([]byte, 0, cap(d)), d...)
	}
	c.mem = 0
	return &c
}
