package store

import (
	"bytes"
	"encoding/binary"
	"math"
)

// zbig is a large sorted set (encSkiplist): a B+tree over (score, member)
// whose nodes are pointer-free byte pages referred to by index, with the
// size of every subtree in its parent for O(log n) ranks, and a member
// table from each member's hash to its score. Nothing in it is per
// element for the garbage collector: one slice of pages and two integer
// slices, whatever the set's size.
//
// A leaf page is
//
//	[0:2)  item count, uint16
//	[2:6)  previous leaf, [6:10) next leaf (zNone at the ends)
//	       then the items, ascending: 8 bytes score (float64 bits, little
//	       endian), uvarint(len) member
//
// and an internal page is
//
//	[0:2)  item count
//	       then per child: [4] page, [4] elements under it, then the
//	       smallest key it held when it was split off (an item as a
//	       leaf's), a lower bound of its keys
//
// The first child's key is never read. Pages are zPage bytes (one item
// larger than that gets a page of its own size); they split in two when
// full (at the insertion point when it is the set's end, so that
// ascending inserts fill pages), and merge with a neighbour when under a
// quarter full. The member table is open addressing (linear probing,
// at most 80% full, grown by a quarter) over fingerprints (the hash's top
// 32 bits) and scores, 12 bytes a slot: a member's score
// is the slot's whose fingerprint matches and whose (score, member) the
// tree holds.
type zbig struct {
	pages  [][]byte
	free   []uint32
	root   uint32
	height int // levels above the leaves
	n      int
	caps   int64 // capacity of the pages

	fps  []uint32 // 0: empty slot
	scs  []uint64 // the score's bits
	used int

	mem int64
	// scratch for writes: the item being inserted, a page being split
	tmp, split []byte
	offs       []int
}

const (
	zPage    = 2048
	zLeafHdr = 10
	zInHdr   = 2
	zNone    = math.MaxUint32
)

func newZBig() *zbig {
	z := &zbig{}
	z.root = z.newPage(zLeafHdr, zPage)
	z.setLinks(z.root, zNone, zNone)
	return z
}

// ---- items and pages ----

// zitem decodes the item at off of page (or small payload) p: its score,
// member and end.
func zitem(p []byte, off int) (float64, []byte, int) {
	s := math.Float64frombits(binary.LittleEndian.Uint64(p[off:]))
	n, k := binary.Uvarint(p[off+8:])
	st := off + 8 + k
	e := st + int(n)
	return s, p[st:e:e], e
}

func appendZItem(b []byte, s float64, m []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s))
	b = binary.AppendUvarint(b, uint64(len(m)))
	return append(b, m...)
}

func zitemLen(m []byte) int { return 8 + uvarintLen(len(m)) + len(m) }

// zcmp orders (score, member) pairs as Redis does.
func zcmp(s1 float64, m1 []byte, s2 float64, m2 []byte) int {
	switch {
	case s1 < s2:
		return -1
	case s1 > s2:
		return 1
	}
	return bytes.Compare(m1, m2)
}

func (z *zbig) newPage(hdr, size int) uint32 {
	p := make([]byte, hdr, max(size, zPage))
	z.caps += int64(cap(p))
	if k := len(z.free); k > 0 {
		id := z.free[k-1]
		z.free = z.free[:k-1]
		z.pages[id] = p
		return id
	}
	z.pages = append(z.pages, p)
	return uint32(len(z.pages) - 1)
}

func (z *zbig) freePage(id uint32) {
	z.caps -= int64(cap(z.pages[id]))
	z.pages[id] = nil
	z.free = append(z.free, id)
}

func pageCount(p []byte) int          { return int(binary.LittleEndian.Uint16(p)) }
func setPageCount(p []byte, n int)    { binary.LittleEndian.PutUint16(p, uint16(n)) }
func (z *zbig) prev(id uint32) uint32 { return binary.LittleEndian.Uint32(z.pages[id][2:]) }
func (z *zbig) next(id uint32) uint32 { return binary.LittleEndian.Uint32(z.pages[id][6:]) }
func (z *zbig) setLinks(id, prev, next uint32) {
	p := z.pages[id]
	binary.LittleEndian.PutUint32(p[2:], prev)
	binary.LittleEndian.PutUint32(p[6:], next)
}
func (z *zbig) setPrev(id, v uint32) {
	if id != zNone {
		binary.LittleEndian.PutUint32(z.pages[id][2:], v)
	}
}
func (z *zbig) setNext(id, v uint32) {
	if id != zNone {
		binary.LittleEndian.PutUint32(z.pages[id][6:], v)
	}
}

// inner item accessors: child page, subtree count, key at off+8.
func inChild(p []byte, off int) uint32 { return binary.LittleEndian.Uint32(p[off:]) }
func inCount(p []byte, off int) int    { return int(binary.LittleEndian.Uint32(p[off+4:])) }
func addInCount(p []byte, off, d int) {
	binary.LittleEndian.PutUint32(p[off+4:], uint32(inCount(p, off)+d))
}

// inNext returns the end of the internal item at off.
func inNext(p []byte, off int) int { _, _, e := zitem(p, off+8); return e }

// pick returns the child of internal page p to descend into for the first
// key where f holds (f monotone: false then true): the last child whose
// key f does not hold, or the first. It returns the item's offset, index
// and the elements under the children before it.
func pick(p []byte, f func(float64, []byte) bool) (off, idx, before int) {
	off, idx = zInHdr, 0
	n := pageCount(p)
	o, acc := zInHdr, 0
	for i := 0; i < n; i++ {
		s, m, e := zitem(p, o+8)
		if i > 0 {
			if f(s, m) {
				break
			}
			off, idx, before = o, i, acc
		}
		acc += inCount(p, o)
		o = e
	}
	return off, idx, before
}

// ---- reads ----

// lower returns the rank of the first element where f holds (f monotone),
// z.n if none.
func (z *zbig) lower(f func(float64, []byte) bool) int {
	r, _, _ := z.seek(f)
	return r
}

// seek returns the rank of the first element where f holds (f monotone)
// and where it is: its leaf and offset, zNone past the end.
func (z *zbig) seek(f func(float64, []byte) bool) (int, uint32, int) {
	id, rank := z.root, 0
	for h := z.height; h > 0; h-- {
		p := z.pages[id]
		off, _, before := pick(p, f)
		rank += before
		id = inChild(p, off)
	}
	p := z.pages[id]
	for o := zLeafHdr; o < len(p); rank++ {
		s, m, e := zitem(p, o)
		if f(s, m) {
			return rank, id, o
		}
		o = e
	}
	// Not in this leaf: the next one's first element, if any (see pick).
	if id = z.next(id); id == zNone {
		return rank, zNone, 0
	}
	return rank, id, zLeafHdr
}

// geKey is f for the first element at or after (s, m).
func geKey(s float64, m []byte) func(float64, []byte) bool {
	return func(s2 float64, m2 []byte) bool { return zcmp(s2, m2, s, m) >= 0 }
}

// find returns the rank of (s, m) if the tree holds it.
func (z *zbig) find(s float64, m []byte) (int, bool) {
	r, id, o := z.seek(geKey(s, m))
	if id == zNone {
		return r, false
	}
	s2, m2, _ := zitem(z.pages[id], o)
	return r, s2 == s && bytes.Equal(m2, m)
}

// leafAt returns the leaf holding rank r and the index in it.
func (z *zbig) leafAt(r int) (uint32, int) {
	id := z.root
	for h := z.height; h > 0; h-- {
		p := z.pages[id]
		o := zInHdr
		for i := pageCount(p); i > 1; i-- {
			c := inCount(p, o)
			if r < c {
				break
			}
			r -= c
			o = inNext(p, o)
		}
		id = inChild(p, o)
	}
	return id, r
}

// at returns the element of rank r (< z.n).
func (z *zbig) at(r int) (float64, []byte) {
	id, i := z.leafAt(r)
	p := z.pages[id]
	o := zLeafHdr
	for ; i > 0; i-- {
		_, _, o = zitem(p, o)
	}
	s, m, _ := zitem(p, o)
	return s, m
}

// each calls fn for the elements from rank r on, ascending, or down from
// it when rev, until fn returns false or the set ends.
func (z *zbig) each(r int, rev bool, fn func(float64, []byte) bool) {
	if r < 0 || r >= z.n {
		return
	}
	id, i := z.leafAt(r)
	if !rev {
		p := z.pages[id]
		o := zLeafHdr
		for ; i > 0; i-- {
			_, _, o = zitem(p, o)
		}
		for {
			for o < len(p) {
				s, m, e := zitem(p, o)
				if !fn(s, m) {
					return
				}
				o = e
			}
			if id = z.next(id); id == zNone {
				return
			}
			p, o = z.pages[id], zLeafHdr
		}
	}
	var buf [256]int // a page holds fewer items (see put)
	for {
		p := z.pages[id]
		offs := buf[:0]
		for o := zLeafHdr; o < len(p); {
			offs = append(offs, o)
			_, _, o = zitem(p, o)
		}
		for ; i >= 0; i-- {
			s, m, _ := zitem(p, offs[i])
			if !fn(s, m) {
				return
			}
		}
		if id = z.prev(id); id == zNone {
			return
		}
		i = pageCount(z.pages[id]) - 1
	}
}

// ---- writes ----

// insert adds (s, m), which the tree does not hold.
func (z *zbig) insert(s float64, m []byte) {
	item := appendZItem(z.tmp[:0], s, m)
	z.tmp = item
	split, rid, rcount, rkey := z.ins(z.root, z.height, item, true, true)
	z.n++
	if !split {
		return
	}
	// A new root over the old one and its new sibling.
	old := z.root
	nr := z.newPage(zInHdr, 0)
	p := z.pages[nr]
	p = binary.LittleEndian.AppendUint32(p, old)
	p = binary.LittleEndian.AppendUint32(p, uint32(z.n-rcount))
	p = appendZItem(p, math.Inf(-1), nil)
	p = binary.LittleEndian.AppendUint32(p, rid)
	p = binary.LittleEndian.AppendUint32(p, uint32(rcount))
	p = append(p, rkey...)
	setPageCount(p, 2)
	z.pages[nr] = p
	z.root = nr
	z.height++
}

// ins inserts leaf item (a key) under page id of height h; leftmost and
// rightmost say whether the page is at its level's ends. When the page
// splits it returns the new right sibling, the elements under it and its
// smallest key.
func (z *zbig) ins(id uint32, h int, item []byte, leftmost, rightmost bool) (bool, uint32, int, []byte) {
	s, m, _ := zitem(item, 0)
	p := z.pages[id]
	if h == 0 {
		o, idx := zLeafHdr, 0
		for o < len(p) {
			s2, m2, e := zitem(p, o)
			if zcmp(s2, m2, s, m) > 0 {
				break
			}
			o, idx = e, idx+1
		}
		return z.put(id, zLeafHdr, o, idx, item, leftmost, rightmost)
	}
	after := func(s2 float64, m2 []byte) bool { return zcmp(s2, m2, s, m) > 0 }
	off, idx, _ := pick(p, after)
	if h == 1 && pageCount(p) > 1 && len(z.pages[inChild(p, off)])+len(item) > zPage {
		// A full leaf: share with a neighbour before splitting, which
		// keeps leaves fuller than splits alone (about 69%).
		ok := idx+1 < pageCount(p) && z.rebalance(id, off, inNext(p, off))
		if !ok && idx > 0 {
			prev := zInHdr
			for range idx - 1 {
				prev = inNext(p, prev)
			}
			ok = z.rebalance(id, prev, off)
		}
		if ok {
			p = z.pages[id]
			off, idx, _ = pick(p, after)
		}
	}
	addInCount(p, off, 1)
	last := idx == pageCount(p)-1
	split, rid, rcount, rkey := z.ins(inChild(p, off), h-1, item, leftmost && idx == 0, rightmost && last)
	if !split {
		return false, 0, 0, nil
	}
	p = z.pages[id]
	addInCount(p, off, -rcount)
	it := make([]byte, 8, 8+len(rkey))
	binary.LittleEndian.PutUint32(it, rid)
	binary.LittleEndian.PutUint32(it[4:], uint32(rcount))
	it = append(it, rkey...)
	return z.put(id, zInHdr, inNext(p, off), idx+1, it, leftmost, rightmost)
}

// put writes item at offset o (index idx) of page id, splitting the page
// when it is full, and returns as ins does.
func (z *zbig) put(id uint32, hdr, o, idx int, item []byte, leftmost, rightmost bool) (bool, uint32, int, []byte) {
	p := z.pages[id]
	n := pageCount(p)
	if n == 0 && len(p)+len(item) > cap(p) {
		// One item larger than a page: a page of its own size.
		np := make([]byte, len(p), len(p)+len(item))
		copy(np, p)
		z.caps += int64(cap(np) - cap(p))
		p = np
	}
	// Past zPage only for a page's first item: a page that once held a
	// large item does not fill with small ones, which keeps a page to a
	// few hundred items at most.
	if len(p)+len(item) <= cap(p) && (n == 0 || len(p)+len(item) <= zPage) {
		p = p[:len(p)+len(item)]
		copy(p[o+len(item):], p[o:])
		copy(p[o:], item)
		setPageCount(p, n+1)
		z.pages[id] = p
		return false, 0, 0, nil
	}
	// Split: the items with the new one, in order, cut in two.
	all := append(z.split[:0], p[hdr:o]...)
	all = append(all, item...)
	all = append(all, p[o:]...)
	z.split = all
	offs := z.offs[:0]
	for q := 0; q < len(all); {
		offs = append(offs, q)
		if hdr == zLeafHdr {
			_, _, q = zitem(all, q)
		} else {
			q = inNext(all, q)
		}
	}
	offs = append(offs, len(all))
	z.offs = offs
	k := 0
	switch {
	case rightmost && idx == n:
		k = n // the new item alone on the right
	case leftmost && idx == 0:
		k = 1 // alone on the left
	default:
		for k = 1; k < n && offs[k] < len(all)/2; k++ {
		}
	}
	left, right := all[:offs[k]], all[offs[k]:]
	rid := z.newPage(hdr, hdr+len(right))
	p = z.pages[id]
	if hdr+len(left) > cap(p) {
		z.caps -= int64(cap(p))
		np := make([]byte, hdr, max(zPage, hdr+len(left)))
		copy(np, p[:hdr])
		z.caps += int64(cap(np))
		p = np
	}
	p = append(p[:hdr], left...)
	setPageCount(p, k)
	z.pages[id] = p
	rp := append(z.pages[rid], right...)
	setPageCount(rp, n+1-k)
	z.pages[rid] = rp
	count := n + 1 - k
	if hdr == zLeafHdr {
		nx := z.next(id)
		z.setLinks(rid, id, nx)
		z.setPrev(nx, rid)
		z.setNext(id, rid)
	} else {
		count = 0
		for q := zInHdr; q < len(rp); q = inNext(rp, q) {
			count += inCount(rp, q)
		}
	}
	key := right
	if hdr != zLeafHdr {
		key = right[8:]
	}
	_, _, e := zitem(key, 0)
	return true, rid, count, append([]byte(nil), key[:e]...)
}

// rebalance evens out the adjacent leaves under internal page pid whose
// items are at aoff and boff, when together they fill under 7/4 of a
// page, and reports whether it moved anything. B's key in pid becomes its
// new first key.
func (z *zbig) rebalance(pid uint32, aoff, boff int) bool {
	p := z.pages[pid]
	a, b := inChild(p, aoff), inChild(p, boff)
	ap, bp := z.pages[a], z.pages[b]
	total := len(ap) + len(bp) - 2*zLeafHdr
	if total > zPage*7/4 {
		return false
	}
	all := append(z.split[:0], ap[zLeafHdr:]...)
	all = append(all, bp[zLeafHdr:]...)
	z.split = all
	offs := z.offs[:0]
	for q := 0; q < len(all); {
		offs = append(offs, q)
		_, _, q = zitem(all, q)
	}
	z.offs = offs
	n := len(offs)
	k := 1
	for k < n-1 && offs[k] < total/2 {
		k++
	}
	if k == pageCount(ap) || zLeafHdr+offs[k] > cap(ap) || zLeafHdr+total-offs[k] > cap(bp) {
		return false
	}
	e := len(all)
	if k+1 < n {
		e = offs[k+1]
	}
	key := all[offs[k]:e]
	oldEnd := inNext(p, boff)
	newLen := len(p) + len(key) - (oldEnd - boff - 8)
	if newLen > cap(p) || newLen > zPage && newLen > len(p) {
		return false
	}
	key = append([]byte(nil), key...)
	ap = append(ap[:zLeafHdr], all[:offs[k]]...)
	setPageCount(ap, k)
	bp = append(bp[:zLeafHdr], all[offs[k]:]...)
	setPageCount(bp, n-k)
	z.pages[a], z.pages[b] = ap, bp
	binary.LittleEndian.PutUint32(p[aoff+4:], uint32(k))
	binary.LittleEndian.PutUint32(p[boff+4:], uint32(n-k))
	old := len(p)
	if newLen > old {
		p = p[:newLen]
	}
	copy(p[boff+8+len(key):], p[oldEnd:old])
	copy(p[boff+8:], key)
	z.pages[pid] = p[:newLen]
	return true
}

// remove deletes (s, m), which the tree holds. m must not alias a page.
func (z *zbig) remove(s float64, m []byte) {
	z.del(z.root, z.height, s, m)
	z.n--
	if z.n == 0 {
		for i := range z.pages {
			if z.pages[i] != nil {
				z.freePage(uint32(i))
			}
		}
		z.pages, z.free, z.height = z.pages[:0], z.free[:0], 0
		z.root = z.newPage(zLeafHdr, zPage)
		z.setLinks(z.root, zNone, zNone)
		return
	}
	for z.height > 0 && pageCount(z.pages[z.root]) == 1 {
		old := z.root
		z.root = inChild(z.pages[old], zInHdr)
		z.freePage(old)
		z.height--
	}
}

func (z *zbig) del(id uint32, h int, s float64, m []byte) {
	p := z.pages[id]
	if h == 0 {
		for o := zLeafHdr; o < len(p); {
			s2, m2, e := zitem(p, o)
			if s2 == s && bytes.Equal(m2, m) {
				copy(p[o:], p[e:])
				p = p[:len(p)-(e-o)]
				setPageCount(p, pageCount(p)-1)
				z.pages[id] = p
				return
			}
			o = e
		}
		panic("zset: removing a missing element")
	}
	off, idx, _ := pick(p, func(s2 float64, m2 []byte) bool { return zcmp(s2, m2, s, m) > 0 })
	addInCount(p, off, -1)
	child := inChild(p, off)
	z.del(child, h-1, s, m)
	z.mend(id, h, off, idx)
}

// mend drops or merges child idx (item at off) of internal page id, of
// height h, after a removal under it.
func (z *zbig) mend(id uint32, h, off, idx int) {
	p := z.pages[id]
	child := inChild(p, off)
	hdr := zInHdr
	if h == 1 {
		hdr = zLeafHdr
	}
	cp := z.pages[child]
	if pageCount(cp) == 0 {
		if hdr == zLeafHdr {
			pv, nx := z.prev(child), z.next(child)
			z.setNext(pv, nx)
			z.setPrev(nx, pv)
		}
		z.freePage(child)
		z.cut(id, off, idx)
		return
	}
	if len(cp) >= zPage/4 || pageCount(p) < 2 {
		return
	}
	// Merge with the right neighbour, or the left one.
	loff, roff := off, inNext(p, off)
	if idx == pageCount(p)-1 {
		loff, roff = zInHdr, zInHdr
		for i := 0; i < idx-1; i++ {
			loff = inNext(p, loff)
		}
		roff = inNext(p, loff)
		idx--
	}
	l, r := inChild(p, loff), inChild(p, roff)
	lp, rp := z.pages[l], z.pages[r]
	if len(lp)+len(rp)-hdr > zPage*3/4 || len(lp)+len(rp)-hdr > cap(lp) {
		return
	}
	lp = append(lp, rp[hdr:]...)
	setPageCount(lp, pageCount(lp)+pageCount(rp))
	z.pages[l] = lp
	if hdr == zLeafHdr {
		nx := z.next(r)
		z.setNext(l, nx)
		z.setPrev(nx, l)
	}
	addInCount(p, loff, inCount(p, roff))
	z.freePage(r)
	z.cut(id, roff, idx+1)
}

// cut removes the internal item at off of page id.
func (z *zbig) cut(id uint32, off, _ int) {
	p := z.pages[id]
	e := inNext(p, off)
	copy(p[off:], p[e:])
	p = p[:len(p)-(e-off)]
	setPageCount(p, pageCount(p)-1)
	z.pages[id] = p
}

// ---- the member table ----

func zfp(h uint64) uint32 {
	if fp := uint32(h >> 32); fp != 0 {
		return fp
	}
	return 1
}

func (z *zbig) home(fp uint32) int { return int(uint64(fp) * uint64(len(z.fps)) >> 32) }

// lookup returns member m's slot and score, or the empty slot where it
// would go.
func (z *zbig) lookup(m []byte, h uint64) (int, float64, bool) {
	i, s, _, ok := z.locate(m, h)
	return i, s, ok
}

// locate is lookup that also returns m's rank.
func (z *zbig) locate(m []byte, h uint64) (slot int, s float64, rank int, ok bool) {
	if len(z.fps) == 0 {
		return -1, 0, 0, false
	}
	fp := zfp(h)
	for i := z.home(fp); ; {
		switch z.fps[i] {
		case 0:
			return i, 0, 0, false
		case fp:
			s := math.Float64frombits(z.scs[i])
			if r, ok := z.find(s, m); ok {
				return i, s, r, true
			}
		}
		if i++; i == len(z.fps) {
			i = 0
		}
	}
}

func (z *zbig) score(m []byte) (float64, bool) {
	_, s, ok := z.lookup(m, fieldHash(m))
	return s, ok
}

// addSlot records a new member's fingerprint and score.
func (z *zbig) addSlot(h uint64, s float64) {
	if (z.used+1)*5 > len(z.fps)*4 {
		z.resize(max(16, len(z.fps)+len(z.fps)/4))
	}
	z.place(zfp(h), math.Float64bits(s))
	z.used++
}

func (z *zbig) place(fp uint32, bits uint64) {
	i := z.home(fp)
	for z.fps[i] != 0 {
		if i++; i == len(z.fps) {
			i = 0
		}
	}
	z.fps[i], z.scs[i] = fp, bits
}

func (z *zbig) resize(n int) {
	fps, scs := z.fps, z.scs
	z.fps, z.scs = make([]uint32, n), make([]uint64, n)
	for i, fp := range fps {
		if fp != 0 {
			z.place(fp, scs[i])
		}
	}
}

// dropSlot empties slot i, shifting back the slots after it that would
// no longer be found (linear probing's deletion).
func (z *zbig) dropSlot(i int) {
	n := len(z.fps)
	j := i
	for {
		if j++; j == n {
			j = 0
		}
		if z.fps[j] == 0 {
			break
		}
		k := z.home(z.fps[j])
		// j's entry may move to i unless its home lies cyclically in (i, j].
		if (i <= j && (k <= i || k > j)) || (i > j && k <= i && k > j) {
			z.fps[i], z.scs[i] = z.fps[j], z.scs[j]
			i = j
		}
	}
	z.fps[i], z.scs[i] = 0, 0
	z.used--
	if n > 16 && z.used*8 < n {
		z.resize(max(16, z.used*2))
	}
}

// ---- set operations ----

// add inserts member m with score s, or moves it to s; it reports whether
// m is new.
func (z *zbig) add(m []byte, s float64) bool {
	h := fieldHash(m)
	i, old, ok := z.lookup(m, h)
	if ok {
		if old != s { // -0 is 0, as Redis compares them
			z.remove(old, m)
			z.insert(s, m)
			z.scs[i] = math.Float64bits(s)
		}
		return false
	}
	z.insert(s, m)
	z.addSlot(h, s)
	return true
}

// drop removes member m; false if absent. m must not alias a page.
func (z *zbig) drop(m []byte) bool {
	i, s, ok := z.lookup(m, fieldHash(m))
	if !ok {
		return false
	}
	z.remove(s, m)
	z.dropSlot(i)
	return true
}

// dropAt removes the element of rank r.
func (z *zbig) dropAt(r int) {
	s, m := z.at(r)
	m = append(z.tmp[:0], m...)
	z.tmp = m
	z.drop(m[:len(m):len(m)])
	_ = s
}

func (z *zbig) bytes() int64 {
	return z.caps + int64(len(z.pages))*24 + int64(len(z.fps))*12 + int64(cap(z.free))*4 + 128
}

func (z *zbig) accounted() *int64 { return &z.mem }

func (z *zbig) cloneValue() bigValue {
	c := &zbig{root: z.root, height: z.height, n: z.n, caps: z.caps, used: z.used}
	c.pages = make([][]byte, len(z.pages))
	for i, p := range z.pages {
		if p != nil {
			c.pages[i] = append(make([]byte, 0, cap(p)), p...)
		}
	}
	c.free = append([]uint32(nil), z.free...)
	c.fps = append([]uint32(nil), z.fps...)
	c.scs = append([]uint64(nil), z.scs...)
	return c
}
