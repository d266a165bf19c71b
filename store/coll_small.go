package store

import (
	"encoding/binary"
	"math"
	"strconv"
)

// A collection's value bytes (its payload) start with a 4-byte header:
//
//	[0]    its Type
//	[1]    its encoding (enc*)
//	[2:4)  element count, uint16, for the small encodings
//
// and go on with the elements, for the small encodings, which keep them
// inside the entry as Redis's listpack and intset keep them inside one
// allocation:
//
//	encListpack    hash: uvarint(len) field uvarint(len) value, in insertion order;
//	               set:  uvarint(len) member, in insertion order
//	encListpackEx  hash: as encListpack, each pair followed by its expiry,
//	               8 bytes of Unix ms (0 = none)
//	encIntset      set:  [4] the width (2, 4 or 8), then the members as
//	               little-endian signed integers of that width, ascending
//	encHashtable   [4:8) a handle into the shard's table of large
//	               collections (coll_big.go)
//	encSkiplist    [4:8) a handle: a large sorted set (zset_big.go, a
//	               B+tree of byte pages and a member table)
//	encQuicklist   [4:8) a handle: a large list
//
// The three refer to the table (isBigEnc). A small sorted set or list is
// encListpack with its own element layout, told apart by the type byte:
//
//	sorted set: 8 bytes score (float64 bits, little endian), uvarint(len)
//	            member, ordered by (score, member) (zset_small.go)
//
// A small collection turns into a hashtable past Redis's thresholds (the
// *-max-listpack-* and set-max-intset-entries settings, CollLimits); like
// Redis, it never turns back.
const (
	encListpack   = 1
	encListpackEx = 2
	encIntset     = 3
	encHashtable  = 4
	encSkiplist   = 5
	encQuicklist  = 6

	collHeader = 4
	// maxSmall is the most elements a small encoding counts in its 16
	// bits, whatever the settings say.
	maxSmall = math.MaxUint16
)

func collEnc(p []byte) uint8        { return p[1] }
func smallCount(p []byte) int       { return int(binary.LittleEndian.Uint16(p[2:4])) }
func setSmallCount(p []byte, n int) { binary.LittleEndian.PutUint16(p[2:4], uint16(n)) }
func bigHandle(p []byte) uint32     { return binary.LittleEndian.Uint32(p[4:8]) }

// Elem is one element of a collection: a hash's field and value, or a
// set's member (Field; Value nil). ExpireAt is a hash field's expiry,
// Unix ms, 0 for none. The slices alias the store's memory, as Get's do.
type Elem struct {
	Field, Value []byte
	ExpireAt     int64
}

// live reports whether the element has not expired at now.
func (el Elem) live(now int64) bool { return el.ExpireAt == 0 || el.ExpireAt > now }

// smallNext decodes the element of a listpack payload p at off and
// returns it with the offset of the next one. num is scratch space for an
// intset member's decimal form.
func smallNext(p []byte, off int, num *[24]byte) (Elem, int) {
	switch collEnc(p) {
	case encIntset:
		w := int(p[4])
		v := intsetAt(p, w, (off-5)/w)
		return Elem{Field: strconv.AppendInt(num[:0], v, 10)}, off + w
	}
	var el Elem
	n, k := binary.Uvarint(p[off:])
	off += k
	el.Field = p[off : off+int(n) : off+int(n)]
	off += int(n)
	if Type(p[0]) == TypeHash {
		n, k = binary.Uvarint(p[off:])
		off += k
		el.Value = p[off : off+int(n) : off+int(n)]
		off += int(n)
		if collEnc(p) == encListpackEx {
			el.ExpireAt = int64(binary.LittleEndian.Uint64(p[off:]))
			off += 8
		}
	}
	return el, off
}

// smallStart is the offset of a small payload's first element.
func smallStart(p []byte) int {
	if collEnc(p) == encIntset {
		return 5
	}
	return collHeader
}

// smallEach calls fn for every element of small payload p (expired ones
// too), with its offsets, until fn returns false.
func smallEach(p []byte, fn func(el Elem, off, end int) bool) {
	var num [24]byte
	for off := smallStart(p); off < len(p); {
		el, end := smallNext(p, off, &num)
		if !fn(el, off, end) {
			return
		}
		off = end
	}
}

// smallFind finds field in small payload p.
func smallFind(p []byte, field []byte) (el Elem, off, end int, ok bool) {
	if collEnc(p) == encIntset {
		v, isInt := parseIntMember(field)
		if !isInt {
			return Elem{}, 0, 0, false
		}
		w := int(p[4])
		i, found := intsetSearch(p, w, v)
		if !found {
			return Elem{}, 0, 0, false
		}
		off = 5 + i*w
		return Elem{Field: field}, off, off + w, true
	}
	smallEach(p, func(e Elem, o, n int) bool {
		if string(e.Field) == string(field) {
			el, off, end, ok = e, o, n, true
			return false
		}
		return true
	})
	return
}

// appendSmallElem appends el's encoding for a listpack payload of type
// typ and encoding enc.
func appendSmallElem(b []byte, typ Type, enc uint8, el Elem) []byte {
	b = binary.AppendUvarint(b, uint64(len(el.Field)))
	b = append(b, el.Field...)
	if typ == TypeHash {
		b = binary.AppendUvarint(b, uint64(len(el.Value)))
		b = append(b, el.Value...)
		if enc == encListpackEx {
			b = binary.LittleEndian.AppendUint64(b, uint64(el.ExpireAt))
		}
	}
	return b
}

// parseIntMember parses a set member as intset does: only the canonical
// decimal form of an int64 ("01", "+1" and " 1" are strings).
func parseIntMember(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, false
	}
	var buf [24]byte
	return v, string(strconv.AppendInt(buf[:0], v, 10)) == string(b)
}

func intWidth(v int64) int {
	switch {
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 2
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 4
	}
	return 8
}

func intsetAt(p []byte, w, i int) int64 {
	b := p[5+i*w:]
	switch w {
	case 2:
		return int64(int16(binary.LittleEndian.Uint16(b)))
	case 4:
		return int64(int32(binary.LittleEndian.Uint32(b)))
	}
	return int64(binary.LittleEndian.Uint64(b))
}

func appendInt(b []byte, w int, v int64) []byte {
	switch w {
	case 2:
		return binary.LittleEndian.AppendUint16(b, uint16(v))
	case 4:
		return binary.LittleEndian.AppendUint32(b, uint32(v))
	}
	return binary.LittleEndian.AppendUint64(b, uint64(v))
}

// intsetSearch finds v in an intset payload by binary search: its index,
// or where it would go.
func intsetSearch(p []byte, w int, v int64) (int, bool) {
	lo, hi := 0, smallCount(p)
	for lo < hi {
		m := (lo + hi) / 2
		if intsetAt(p, w, m) < v {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, lo < smallCount(p) && intsetAt(p, w, lo) == v
}

// intsetInsert returns intset payload p with v inserted (it is absent),
// built in b, widening every member if v needs it, as intset does.
func intsetInsert(b, p []byte, v int64) []byte {
	w := int(p[4])
	nw := max(w, intWidth(v))
	n := smallCount(p)
	i, _ := intsetSearch(p, w, v)
	b = append(b, p[:4]...)
	setSmallCount(b, n+1)
	b = append(b, byte(nw))
	for j := range n {
		if j == i {
			b = appendInt(b, nw, v)
		}
		b = appendInt(b, nw, intsetAt(p, w, j))
	}
	if i == n {
		b = appendInt(b, nw, v)
	}
	return b
}
