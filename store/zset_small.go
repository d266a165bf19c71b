package store

import "bytes"

// A small sorted set is an encListpack payload of type TypeZSet: after the
// 4-byte header, its items in (score, member) order, each as a zbig leaf's
// (zset_big.go): 8 bytes score (float64 bits, little endian), uvarint(len)
// member. Redis's listpack keeps the same order, so replies walk it as
// Redis walks its own.

// zview reads a sorted set through either encoding: small payload p, or
// the large set z.
type zview struct {
	p []byte
	z *zbig
}

func (v zview) card() int {
	if v.z != nil {
		return v.z.n
	}
	return smallCount(v.p)
}

// lower returns the rank of the first element where f holds (f monotone),
// card() if none.
func (v zview) lower(f func(float64, []byte) bool) int {
	if v.z != nil {
		return v.z.lower(f)
	}
	r := 0
	for o := collHeader; o < len(v.p); r++ {
		s, m, e := zitem(v.p, o)
		if f(s, m) {
			return r
		}
		o = e
	}
	return r
}

// each calls fn for the elements from rank r on, ascending, or down from
// it when rev, until fn returns false.
func (v zview) each(r int, rev bool, fn func(float64, []byte) bool) {
	if v.z != nil {
		v.z.each(r, rev, fn)
		return
	}
	if r < 0 || r >= smallCount(v.p) {
		return
	}
	if !rev {
		i := 0
		for o := collHeader; o < len(v.p); i++ {
			s, m, e := zitem(v.p, o)
			if i >= r && !fn(s, m) {
				return
			}
			o = e
		}
		return
	}
	var buf [256]int
	offs := buf[:0]
	for o := collHeader; o < len(v.p) && len(offs) <= r; {
		offs = append(offs, o)
		_, _, o = zitem(v.p, o)
	}
	for i := r; i >= 0; i-- {
		s, m, _ := zitem(v.p, offs[i])
		if !fn(s, m) {
			return
		}
	}
}

// find returns member m's score and rank.
func (v zview) find(m []byte) (score float64, rank int, ok bool) {
	if v.z != nil {
		_, s, r, ok := v.z.locate(m, fieldHash(m))
		return s, r, ok
	}
	s, _, _, r, ok := zsmallFind(v.p, m)
	return s, r, ok
}

// zsmallFind finds member m in small payload p: its score, item offsets
// and rank.
func zsmallFind(p, m []byte) (s float64, off, end, rank int, ok bool) {
	for o := collHeader; o < len(p); rank++ {
		s2, m2, e := zitem(p, o)
		if bytes.Equal(m2, m) {
			return s2, o, e, rank, true
		}
		o = e
	}
	return 0, 0, 0, 0, false
}

// zsmallPut writes to dst small payload p with the item at [off, end)
// removed (none when off < 0) and (s, m) inserted in order (none when
// ins is false). dst must not overlap p.
func zsmallPut(dst, p []byte, off, end int, ins bool, s float64, m []byte) []byte {
	s = posZero(s)
	b := append(dst, p[:collHeader]...)
	n := smallCount(p)
	if off >= 0 {
		n--
	}
	for o := collHeader; o < len(p); {
		s2, m2, e := zitem(p, o)
		if o == off {
			o = e
			continue
		}
		if ins && zcmp(s2, m2, s, m) > 0 {
			b = appendZItem(b, s, m)
			ins = false
			n++
		}
		b = append(b, p[o:e]...)
		o = e
	}
	if ins {
		b = appendZItem(b, s, m)
		n++
	}
	setSmallCount(b, n)
	return b
}

// zsmallCut writes to dst small payload p without the items of ranks
// [lo, hi).
func zsmallCut(dst, p []byte, lo, hi int) []byte {
	b := append(dst, p[:collHeader]...)
	r := 0
	for o := collHeader; o < len(p); r++ {
		_, _, e := zitem(p, o)
		if r < lo || r >= hi {
			b = append(b, p[o:e]...)
		}
		o = e
	}
	setSmallCount(b, smallCount(p)-(hi-lo))
	return b
}

// zbigFromSmall builds a large set holding small payload p's elements.
func zbigFromSmall(p []byte) *zbig {
	z := newZBig()
	z.resize(max(16, smallCount(p)*2))
	for o := collHeader; o < len(p); {
		s, m, e := zitem(p, o)
		z.add(m, s)
		o = e
	}
	return z
}

// zsmallFits reports whether a small set of n members, the longest
// maxLen bytes, stays small under lim.
func zsmallFits(n, maxLen int, lim *CollLimits) bool {
	return n <= min(lim.ZSetMaxListpackEntries, maxSmall) && maxLen <= lim.ZSetMaxListpackValue
}
