package store

import "slices"

// quicklist is a large list: a deque of pages, each a pointer-free byte
// buffer holding many packed elements (list_pack.go) in buf[lo:hi], so
// the collector sees one pointer per page and none per element. Pushes
// and pops at either end are O(1) amortised: a page pushed at the front
// fills from its end, one pushed at the back from its start. Finding an
// index walks the page counts from the nearer end, then one page.
type quicklist struct {
	pages []page // live pages are pages[off:]
	off   int
	count int   // elements
	used  int64 // bytes of packed elements
	caps  int64 // bytes of page buffers
	mem   int64 // accounted (bigValue)
	// spare is the buffer of the last end page that emptied, kept for the
	// next new page: a queue whose end goes back and forth over a page
	// boundary does not allocate a page each time.
	spare []byte
}

type page struct {
	buf    []byte
	lo, hi int32
	n      int32
}

func (p *page) data() []byte { return p.buf[p.lo:p.hi] }

// pageOverhead is what a page costs besides its buffer: its slot.
const pageOverhead = 40

func (q *quicklist) bytes() int64 {
	return q.caps + int64(cap(q.pages))*pageOverhead + 64
}
func (q *quicklist) accounted() *int64 { return &q.mem }

func (q *quicklist) cloneValue() bigValue {
	c := &quicklist{count: q.count, used: q.used}
	c.pages = make([]page, 0, len(q.live()))
	for _, p := range q.live() {
		np := page{buf: make([]byte, len(p.buf)), lo: p.lo, hi: p.hi, n: p.n}
		copy(np.buf[p.lo:p.hi], p.data())
		c.pages = append(c.pages, np)
		c.caps += int64(len(np.buf))
	}
	return c
}

func (q *quicklist) live() []page { return q.pages[q.off:] }

// newPage returns an empty page with room for at least need bytes.
func (q *quicklist) newPage(need, pageBytes int) page {
	n := max(need, pageBytes)
	if len(q.spare) == n {
		b := q.spare
		q.spare = nil
		return page{buf: b} // its bytes are still counted in caps
	}
	q.caps += int64(n)
	return page{buf: make([]byte, n)}
}

// pushBack appends e.
func (q *quicklist) pushBack(e []byte, pageBytes, pageCount int) {
	sz := elemSize(len(e))
	live := q.live()
	if len(live) > 0 {
		p := &q.pages[len(q.pages)-1]
		if int(p.n) < pageCount && len(p.buf)-int(p.hi-p.lo) >= sz {
			if int(p.hi)+sz > len(p.buf) { // room only at the front: shift
				copy(p.buf, p.data())
				p.hi -= p.lo
				p.lo = 0
			}
			appendElem(p.buf[p.hi:p.hi], e)
			p.hi += int32(sz)
			p.n++
			q.count++
			q.used += int64(sz)
			return
		}
	}
	np := q.newPage(sz, pageBytes)
	appendElem(np.buf[:0], e)
	np.hi, np.n = int32(sz), 1
	q.pages = append(q.pages, np)
	q.count++
	q.used += int64(sz)
}

// pushFront prepends e.
func (q *quicklist) pushFront(e []byte, pageBytes, pageCount int) {
	sz := elemSize(len(e))
	if len(q.live()) > 0 {
		p := &q.pages[q.off]
		if int(p.n) < pageCount && len(p.buf) >= int(p.hi-p.lo)+sz {
			if int(p.lo) < sz { // room only at the back: shift
				d := int32(len(p.buf)) - p.hi
				copy(p.buf[p.lo+d:], p.data())
				p.lo += d
				p.hi += d
			}
			appendElem(p.buf[int(p.lo)-sz:int(p.lo)-sz], e)
			p.lo -= int32(sz)
			p.n++
			q.count++
			q.used += int64(sz)
			return
		}
	}
	np := q.newPage(sz, pageBytes)
	appendElem(np.buf[len(np.buf)-sz:len(np.buf)-sz], e)
	np.lo, np.hi, np.n = int32(len(np.buf)-sz), int32(len(np.buf)), 1
	if q.off == 0 {
		// Room at the front of the page slots, amortised like append.
		grown := make([]page, len(q.pages)+max(4, len(q.pages)), cap(q.pages)+max(4, len(q.pages)))
		q.off = len(grown) - len(q.pages)
		copy(grown[q.off:], q.pages)
		q.pages = grown
	}
	q.off--
	q.pages[q.off] = np
	q.count++
	q.used += int64(sz)
}

// popFront removes the first element and returns it; it aliases the
// page, valid until the list is written again.
func (q *quicklist) popFront() []byte {
	p := &q.pages[q.off]
	e, next := elemAt(p.buf, int(p.lo))
	q.used -= int64(next - int(p.lo))
	p.lo = int32(next)
	p.n--
	q.count--
	if p.n == 0 {
		q.retire(p.buf)
		q.pages[q.off] = page{}
		q.off++
		q.compactSlots()
	}
	return e
}

// popBack removes the last element and returns it (see popFront).
func (q *quicklist) popBack() []byte {
	p := &q.pages[len(q.pages)-1]
	e, start := elemBefore(p.buf, int(p.hi))
	q.used -= int64(int(p.hi) - start)
	p.hi = int32(start)
	p.n--
	q.count--
	if p.n == 0 {
		q.retire(p.buf)
		q.pages[len(q.pages)-1] = page{}
		q.pages = q.pages[:len(q.pages)-1]
		q.compactSlots()
	}
	return e
}

// retire lets an emptied page's buffer go, keeping it as the spare.
func (q *quicklist) retire(b []byte) {
	if q.spare == nil {
		q.spare = b
		return
	}
	q.caps -= int64(len(b))
}

// compactSlots gives back page slots once most are unused.
func (q *quicklist) compactSlots() {
	n := len(q.pages) - q.off
	if n == 0 {
		q.pages, q.off = q.pages[:0], 0
		return
	}
	if cap(q.pages) > 64 && n*4 < cap(q.pages) {
		q.pages = slices.Clone(q.pages[q.off:])
		q.off = 0
	}
}

// locate finds the element at index i (0 <= i < count): its page (an
// index into live()) and offset in the page's buffer, walking from the
// nearer end.
func (q *quicklist) locate(i int) (int, int) {
	live := q.live()
	if i < q.count/2 {
		for pi := range live {
			p := &live[pi]
			if i < int(p.n) {
				off := int(p.lo)
				for range i {
					_, off = elemAt(p.buf, off)
				}
				return pi, off
			}
			i -= int(p.n)
		}
	}
	j := q.count - 1 - i // index from the end
	for pi := len(live) - 1; pi >= 0; pi-- {
		p := &live[pi]
		if j < int(p.n) {
			end := int(p.hi)
			var start int
			for range j + 1 {
				_, start = elemBefore(p.buf, end)
				end = start
			}
			return pi, start
		}
		j -= int(p.n)
	}
	panic("quicklist: index out of range")
}

// each calls fn for the elements from index from on, forwards, until fn
// returns false.
func (q *quicklist) each(from int, fn func(i int, e []byte) bool) {
	if from >= q.count {
		return
	}
	pi, off := q.locate(from)
	live := q.live()
	i := from
	for ; pi < len(live); pi++ {
		p := &live[pi]
		if off < 0 {
			off = int(p.lo)
		}
		for off < int(p.hi) {
			var e []byte
			e, off = elemAt(p.buf, off)
			if !fn(i, e) {
				return
			}
			i++
		}
		off = -1
	}
}

// eachRev calls fn for the elements from index from down to 0, until fn
// returns false.
func (q *quicklist) eachRev(from int, fn func(i int, e []byte) bool) {
	if from < 0 {
		return
	}
	pi, off := q.locate(from)
	live := q.live()
	_, end := elemAt(live[pi].buf, off)
	i := from
	for ; pi >= 0; pi-- {
		p := &live[pi]
		if end < 0 {
			end = int(p.hi)
		}
		for end > int(p.lo) {
			var e []byte
			e, end = elemBefore(p.buf, end)
			if !fn(i, e) {
				return
			}
			i--
		}
		end = -1
	}
}

// rewritePage replaces live page pi with the packed elements in data (n
// of them), split over as many pages as the limits call for; none when
// data is empty.
func (q *quicklist) rewritePage(pi int, data []byte, n int, pageBytes, pageCount int) {
	old := &q.pages[q.off+pi]
	q.used += int64(len(data)) - int64(old.hi-old.lo)
	q.count += n - int(old.n)
	var out []page
	var cur page
	have := false
	for off := 0; off < len(data); {
		_, next := elemAt(data, off)
		sz := next - off
		if !have || int(cur.n) >= pageCount || int(cur.hi)+sz > len(cur.buf) {
			if have {
				out = append(out, cur)
			}
			cur, have = q.newPage(sz, pageBytes), true
		}
		copy(cur.buf[cur.hi:], data[off:next])
		cur.hi += int32(sz)
		cur.n++
		off = next
	}
	if have {
		out = append(out, cur)
	}
	q.caps -= int64(len(old.buf))
	q.pages = slices.Replace(q.pages, q.off+pi, q.off+pi+1, out...)
}

// set replaces the element at index i with e.
func (q *quicklist) set(i int, e []byte, pageBytes, pageCount int) {
	pi, off := q.locate(i)
	p := &q.live()[pi]
	old, next := elemAt(p.buf, off)
	if len(old) == len(e) {
		copy(old, e)
		return
	}
	data := make([]byte, 0, int(p.hi-p.lo)+elemSize(len(e)))
	data = append(data, p.buf[p.lo:off]...)
	data = appendElem(data, e)
	data = append(data, p.buf[next:p.hi]...)
	q.rewritePage(pi, data, int(p.n), pageBytes, pageCount)
}

// insert puts e before index i (0 <= i < count), or after it.
func (q *quicklist) insert(i int, after bool, e []byte, pageBytes, pageCount int) {
	pi, off := q.locate(i)
	p := &q.live()[pi]
	if after {
		_, off = elemAt(p.buf, off)
	}
	data := make([]byte, 0, int(p.hi-p.lo)+elemSize(len(e)))
	data = append(data, p.buf[p.lo:off]...)
	data = appendElem(data, e)
	data = append(data, p.buf[off:p.hi]...)
	q.rewritePage(pi, data, int(p.n)+1, pageBytes, pageCount)
}

// dropFront removes the first k elements (k <= count).
func (q *quicklist) dropFront(k int) {
	for k > 0 {
		p := &q.pages[q.off]
		if k < int(p.n) {
			for range k {
				q.popFront()
			}
			return
		}
		k -= int(p.n)
		q.count -= int(p.n)
		q.used -= int64(p.hi - p.lo)
		q.caps -= int64(len(p.buf))
		q.pages[q.off] = page{}
		q.off++
	}
	q.compactSlots()
}

// dropBack removes the last k elements (k <= count).
func (q *quicklist) dropBack(k int) {
	for k > 0 {
		p := &q.pages[len(q.pages)-1]
		if k < int(p.n) {
			for range k {
				q.popBack()
			}
			return
		}
		k -= int(p.n)
		q.count -= int(p.n)
		q.used -= int64(p.hi - p.lo)
		q.caps -= int64(len(p.buf))
		q.pages[len(q.pages)-1] = page{}
		q.pages = q.pages[:len(q.pages)-1]
	}
	q.compactSlots()
}

// remove deletes up to limit elements equal to e (all when limit is 0),
// from the front, or from the back when fromBack, and returns how many.
func (q *quicklist) remove(e []byte, limit int, fromBack bool, pageBytes, pageCount int) int {
	removed := 0
	visit := func(pi int) {
		p := &q.live()[pi]
		// Find the page's matches first: most pages have none.
		var offs []int
		for off := int(p.lo); off < int(p.hi); {
			x, next := elemAt(p.buf, off)
			if string(x) == string(e) {
				offs = append(offs, off)
			}
			off = next
		}
		if len(offs) == 0 {
			return
		}
		if limit > 0 && len(offs) > limit-removed {
			if fromBack {
				offs = offs[len(offs)-(limit-removed):]
			} else {
				offs = offs[:limit-removed]
			}
		}
		data := make([]byte, 0, p.hi-p.lo)
		from := int(p.lo)
		for _, o := range offs {
			data = append(data, p.buf[from:o]...)
			_, from = elemAt(p.buf, o)
		}
		data = append(data, p.buf[from:p.hi]...)
		removed += len(offs)
		q.rewritePage(pi, data, int(p.n)-len(offs), pageBytes, pageCount)
	}
	if fromBack {
		for pi := len(q.live()) - 1; pi >= 0 && (limit == 0 || removed < limit); pi-- {
			visit(pi)
		}
	} else {
		for pi := 0; pi < len(q.live()) && (limit == 0 || removed < limit); {
			before := len(q.live())
			visit(pi)
			// A page rewritten may have gone (all removed) or split.
			pi += 1 + len(q.live()) - before
		}
	}
	q.compactSlots()
	return removed
}

// appendAll appends every packed element to b, in order.
func (q *quicklist) appendAll(b []byte) []byte {
	for _, p := range q.live() {
		b = append(b, p.data()...)
	}
	return b
}

// quicklistFrom builds a large list from packed elements.
func quicklistFrom(data []byte, n, pageBytes, pageCount int) *quicklist {
	q := &quicklist{}
	q.pages = append(q.pages, page{n: 0})
	q.rewritePage(0, data, n, pageBytes, pageCount)
	return q
}
