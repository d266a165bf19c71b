package store

import "encoding/binary"

// A list's elements are packed one after the other, the same way in a
// small list's payload (after the 4-byte header) and in each page of a
// large one (list_big.go):
//
//	uvarint(len) bytes backlen(len)
//
// where backlen is the uvarint's bytes in reverse order, so that the
// element before an offset can be found walking backwards, as Redis's
// listpack does with its backlen. A 16-byte element takes 18 bytes.

// elemSize is the packed size of an element of n bytes.
func elemSize(n int) int { return 2*uvarintLen(n) + n }

// appendElem appends e's packed form to b.
func appendElem(b, e []byte) []byte {
	var tmp [binary.MaxVarintLen64]byte
	k := binary.PutUvarint(tmp[:], uint64(len(e)))
	b = append(b, tmp[:k]...)
	b = append(b, e...)
	for i := k - 1; i >= 0; i-- {
		b = append(b, tmp[i])
	}
	return b
}

// elemAt decodes the element packed at off in b: its bytes (aliasing b)
// and the offset of the next one.
func elemAt(b []byte, off int) ([]byte, int) {
	n, k := binary.Uvarint(b[off:])
	start := off + k
	end := start + int(n)
	return b[start:end:end], end + k
}

// elemBefore decodes the element that ends at end in b: its bytes and
// the offset where its packed form starts.
func elemBefore(b []byte, end int) ([]byte, int) {
	var n uint64
	k := 0
	for shift := 0; ; shift += 7 {
		c := b[end-1-k]
		k++
		n |= uint64(c&0x7f) << shift
		if c&0x80 == 0 {
			break
		}
	}
	stop := end - k
	start := stop - int(n)
	return b[start:stop:stop], start - k
}

// listLimits are a list's bounds from list-max-listpack-size: the most
// bytes and elements a small list, or one page of a large one, holds.
func listLimits(l *CollLimits) (maxBytes, maxCount int) {
	v := l.ListMaxListpackSize
	switch {
	case v == 0:
		v = -2
	case v > 0:
		// A count, with Redis's safety limit on a node's size.
		return 8 << 10, min(v, maxSmall)
	}
	level := min(-v, 5)
	return 4 << 10 << (level - 1), maxSmall
}
