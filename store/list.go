package store

import "errors"

// Lists (Redis's list type). A small list lives inside its entry: the
// payload's header ([TypeList, encListpack, count]) followed by its packed
// elements (list_pack.go), while it holds at most list-max-listpack-size's
// bytes (8 KiB by default) or elements. A larger one is a quicklist
// (list_big.go) in the shard's table of large values, and goes back into
// its entry once it shrinks to half that. OBJECT ENCODING says "quicklist"
// for both, as Redis 7.0 does for every list.
//
// Every method takes the key of a list: a key of another type is
// ErrWrongType, a missing key an empty list (lists are never empty: the
// last element's removal deletes the key). Elements handed to a callback
// or returned alias the store's memory: valid until the next write made
// through any Tx.

// ErrNoSuchKey and ErrIndexOutOfRange are LSET's errors.
var (
	ErrNoSuchKey       = errors.New("ERR no such key")
	ErrIndexOutOfRange = errors.New("ERR index out of range")
)

// listView reads a list, small or large.
type listView struct {
	small []byte // a small list's packed elements
	q     *quicklist
	n     int
}

func (s *shard) listOf(p []byte) listView {
	if collEnc(p) == encQuicklist {
		q := s.big[bigHandle(p)].(*quicklist)
		return listView{q: q, n: q.count}
	}
	return listView{small: p[collHeader:], n: smallCount(p)}
}

// each calls fn for the elements from index from on, until it returns
// false.
func (v listView) each(from int, fn func(i int, e []byte) bool) {
	if v.q != nil {
		v.q.each(from, fn)
		return
	}
	for i, off := 0, 0; off < len(v.small); i++ {
		var e []byte
		e, off = elemAt(v.small, off)
		if i >= from && !fn(i, e) {
			return
		}
	}
}

// eachRev calls fn for the elements from index from down to 0, until it
// returns false.
func (v listView) eachRev(from int, fn func(i int, e []byte) bool) {
	if v.q != nil {
		v.q.eachRev(from, fn)
		return
	}
	for i, end := v.n-1, len(v.small); end > 0; i-- {
		var e []byte
		e, end = elemBefore(v.small, end)
		if i <= from && !fn(i, e) {
			return
		}
	}
}

// at is the element at index i (0 <= i < n).
func (v listView) at(i int) []byte {
	var out []byte
	if i < v.n/2 {
		v.each(i, func(_ int, e []byte) bool { out = e; return false })
	} else {
		v.eachRev(i, func(_ int, e []byte) bool { out = e; return false })
	}
	return out
}

// listOp is one write to key's list.
type listOp struct {
	t                   Tx
	sh                  *shard
	key                 []byte
	h                   uint64
	l                   loc
	e                   entry // nil: the key is missing
	pageBytes, pageSize int
}

func (t Tx) openList(key []byte) (listOp, error) {
	sh, h, l, e, err := t.openColl(key, TypeList)
	o := listOp{t: t, sh: sh, key: key, h: h, l: l, e: e}
	o.pageBytes, o.pageSize = listLimits(sh.memory.coll.get())
	return o, err
}

func (o *listOp) view() listView { return o.sh.listOf(o.e.value()) }

func (o *listOp) big() *quicklist {
	if p := o.e.value(); collEnc(p) == encQuicklist {
		return o.sh.big[bigHandle(p)].(*quicklist)
	}
	return nil
}

// startPayload begins a small list's payload in the shard's scratch
// space.
func (o *listOp) startPayload() []byte {
	return append(o.sh.scratch[:0], byte(TypeList), encListpack, 0, 0)
}

// commitSmall writes the list's new contents, payload (header and n
// packed elements, not aliasing the entry), as a small list if it fits,
// as a quicklist if not, and deletes the key if it is empty.
func (o *listOp) commitSmall(payload []byte, n int) {
	sh := o.sh
	if n == 0 {
		if o.e != nil {
			sh.remove(o.key, o.h, o.l, Written)
		}
		return
	}
	sh.touch(o.key)
	if len(payload)-collHeader <= o.pageBytes && n <= o.pageSize {
		setSmallCount(payload, n)
		sh.scratch = payload
		o.write(payload)
		return
	}
	q := quicklistFrom(payload[collHeader:], n, o.pageBytes, o.pageSize)
	sh.scratch = payload
	if o.e != nil && collEnc(o.e.value()) == encQuicklist {
		sh.detachBig(bigHandle(o.e.value()))
	}
	o.write(sh.bigPayload(TypeList, encQuicklist, sh.addBig(q)))
	sh.account(q)
}

// write puts payload p in the key's entry, creating it if needed.
func (o *listOp) write(p []byte) {
	sh := o.sh
	if o.e == nil {
		sh.reap(o.key, o.h, o.t.now)
		o.e = sh.insert(o.key, o.h, p, len(p), 0, o.t.now)
		o.e.setCollLen(len(p))
		o.l, _ = sh.find(o.key, o.h)
		return
	}
	o.e = sh.writeColl(o.key, o.h, o.l, o.e, p)
	o.l, _ = sh.find(o.key, o.h)
}

// commitBig settles a quicklist after a change: the key goes when it is
// empty, and the list back into its entry once it is small enough.
func (o *listOp) commitBig(q *quicklist) {
	sh := o.sh
	switch {
	case q.count == 0:
		sh.remove(o.key, o.h, o.l, Written)
	case q.used <= int64(o.pageBytes/2) && q.count <= o.pageSize/2:
		p := q.appendAll(o.startPayload())
		setSmallCount(p, q.count)
		sh.scratch = p
		sh.detachBig(bigHandle(o.e.value()))
		o.write(p)
	default:
		sh.account(q)
	}
}

// ListLen returns the length of key's list, 0 if missing.
func (t Tx) ListLen(key []byte) (int, error) {
	o, err := t.openList(key)
	if o.e == nil {
		return 0, err
	}
	return o.view().n, nil
}

// ListPush adds elems at the front (LPUSH: each in turn, so the last
// ends up first) or back of key's list, creating it unless existing is
// set (LPUSHX); it returns the new length (0 for a missing key with
// existing).
func (t Tx) ListPush(key []byte, front, existing bool, elems ...[]byte) (int, error) {
	o, err := t.openList(key)
	if err != nil || (o.e == nil && existing) || len(elems) == 0 {
		return 0, err
	}
	defer o.sh.settle()
	if q := o.bigOrNil(); q != nil {
		o.sh.touch(key)
		for _, e := range elems {
			if front {
				q.pushFront(e, o.pageBytes, o.pageSize)
			} else {
				q.pushBack(e, o.pageBytes, o.pageSize)
			}
		}
		o.sh.account(q)
		return q.count, nil
	}
	p, n := o.startPayload(), 0
	var old []byte
	if o.e != nil {
		old, n = o.e.value()[collHeader:], smallCount(o.e.value())
	}
	if front {
		for i := len(elems) - 1; i >= 0; i-- {
			p = appendElem(p, elems[i])
		}
		p = append(p, old...)
	} else {
		p = append(p, old...)
		for _, e := range elems {
			p = appendElem(p, e)
		}
	}
	n += len(elems)
	o.commitSmall(p, n)
	return n, nil
}

func (o *listOp) bigOrNil() *quicklist {
	if o.e == nil {
		return nil
	}
	return o.big()
}

// ListPop removes up to count elements from the front or back of key's
// list, calling fn with each in the order popped (before the list
// changes), and returns how many it popped (0: the key is missing) and
// how many are left.
func (t Tx) ListPop(key []byte, front bool, count int, fn func(e []byte)) (popped, left int, err error) {
	o, err := t.openList(key)
	if o.e == nil || count <= 0 {
		return 0, 0, err
	}
	defer o.sh.settle()
	o.sh.touch(key)
	if q := o.big(); q != nil {
		count = min(count, q.count)
		for range count {
			if front {
				fn(q.popFront())
			} else {
				fn(q.popBack())
			}
		}
		left = q.count
		o.commitBig(q)
		return count, left, nil
	}
	v := o.view()
	count = min(count, v.n)
	p := o.startPayload()
	if front {
		off := 0
		for range count {
			var e []byte
			e, off = elemAt(v.small, off)
			fn(e)
		}
		p = append(p, v.small[off:]...)
	} else {
		end := len(v.small)
		for range count {
			var e []byte
			e, end = elemBefore(v.small, end)
			fn(e)
		}
		p = append(p, v.small[:end]...)
	}
	o.commitSmall(p, v.n-count)
	return count, v.n - count, nil
}

// listIndex turns a Redis index (negative from the end) into one from
// the front, reporting whether it is in range.
func listIndex(i int64, n int) (int, bool) {
	if i < 0 {
		i += int64(n)
	}
	return int(i), i >= 0 && i < int64(n)
}

// ListIndex returns the element at index i of key's list (negative from
// the end), false if out of range or missing.
func (t Tx) ListIndex(key []byte, i int64) ([]byte, bool, error) {
	o, err := t.openList(key)
	if o.e == nil {
		return nil, false, err
	}
	t.accessed(o.sh, o.e)
	v := o.view()
	j, ok := listIndex(i, v.n)
	if !ok {
		return nil, false, nil
	}
	return v.at(j), true, nil
}

// ListSet replaces the element at index i of key's list.
func (t Tx) ListSet(key []byte, i int64, elem []byte) error {
	o, err := t.openList(key)
	if err != nil {
		return err
	}
	if o.e == nil {
		return ErrNoSuchKey
	}
	v := o.view()
	j, ok := listIndex(i, v.n)
	if !ok {
		return ErrIndexOutOfRange
	}
	defer o.sh.settle()
	o.sh.touch(key)
	if q := o.big(); q != nil {
		q.set(j, elem, o.pageBytes, o.pageSize)
		o.commitBig(q)
		return nil
	}
	p := o.startPayload()
	v.each(0, func(k int, e []byte) bool {
		if k == j {
			e = elem
		}
		p = appendElem(p, e)
		return true
	})
	o.commitSmall(p, v.n)
	return nil
}

// rangeOf normalises LRANGE/LTRIM indexes over n elements: the first and
// last index, empty when first > last.
func rangeOf(start, stop int64, n int) (int, int) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if stop < 0 {
		stop += ln
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= ln {
		return 0, -1
	}
	if stop >= ln {
		stop = ln - 1
	}
	return int(start), int(stop)
}

// ListRange calls head with the number of elements of key's list from
// start to stop (Redis's LRANGE indexes), then fn with each of them.
func (t Tx) ListRange(key []byte, start, stop int64, head func(n int), fn func(e []byte)) error {
	o, err := t.openList(key)
	if err != nil {
		return err
	}
	if o.e == nil {
		head(0)
		return nil
	}
	t.accessed(o.sh, o.e)
	v := o.view()
	a, b := rangeOf(start, stop, v.n)
	head(b - a + 1)
	if b < a {
		return nil
	}
	v.each(a, func(i int, e []byte) bool {
		fn(e)
		return i < b
	})
	return nil
}

// ListTrim keeps only the elements from start to stop (LTRIM's indexes)
// of key's list; it reports whether the key exists, and whether the trim
// deleted it.
func (t Tx) ListTrim(key []byte, start, stop int64) (exists, deleted bool, err error) {
	o, err := t.openList(key)
	if o.e == nil {
		return false, false, err
	}
	defer o.sh.settle()
	o.sh.touch(key)
	v := o.view()
	a, b := rangeOf(start, stop, v.n)
	if b < a {
		o.sh.remove(key, o.h, o.l, Written)
		return true, true, nil
	}
	if q := o.big(); q != nil {
		q.dropBack(v.n - 1 - b)
		q.dropFront(a)
		o.commitBig(q)
		return true, false, nil
	}
	from, to := 0, len(v.small)
	for range a {
		_, from = elemAt(v.small, from)
	}
	for range v.n - 1 - b {
		_, to = elemBefore(v.small, to)
	}
	p := append(o.startPayload(), v.small[from:to]...)
	o.commitSmall(p, b-a+1)
	return true, false, nil
}

// ListInsert puts elem before (or after) the first element equal to
// pivot in key's list and returns the new length: 0 if the key is
// missing, -1 if pivot is not there.
func (t Tx) ListInsert(key []byte, after bool, pivot, elem []byte) (int, error) {
	o, err := t.openList(key)
	if o.e == nil {
		return 0, err
	}
	v := o.view()
	at := -1
	v.each(0, func(i int, e []byte) bool {
		if string(e) == string(pivot) {
			at = i
			return false
		}
		return true
	})
	if at < 0 {
		return -1, nil
	}
	defer o.sh.settle()
	o.sh.touch(key)
	if q := o.big(); q != nil {
		q.insert(at, after, elem, o.pageBytes, o.pageSize)
		o.commitBig(q)
		return q.count, nil
	}
	p := o.startPayload()
	v.each(0, func(i int, e []byte) bool {
		if i == at && !after {
			p = appendElem(p, elem)
		}
		p = appendElem(p, e)
		if i == at && after {
			p = appendElem(p, elem)
		}
		return true
	})
	o.commitSmall(p, v.n+1)
	return v.n + 1, nil
}

// ListRemove removes elements equal to elem from key's list, as LREM:
// count > 0 the first count from the front, count < 0 the first -count
// from the back, 0 all. It returns how many it removed and how many are
// left.
func (t Tx) ListRemove(key []byte, count int64, elem []byte) (removed, left int, err error) {
	o, err := t.openList(key)
	if o.e == nil {
		return 0, 0, err
	}
	v := o.view()
	limit := 0
	if count != 0 {
		limit = int(min(max(count, -count), int64(v.n)))
	}
	if q := o.big(); q != nil {
		removed = q.remove(elem, limit, count < 0, o.pageBytes, o.pageSize)
		if removed > 0 {
			defer o.sh.settle()
			o.sh.touch(key)
			left = q.count
			o.commitBig(q)
		}
		return removed, v.n - removed, nil
	}
	// Small: mark which to drop, then copy the rest.
	drop := make(map[int]bool)
	match := func(i int, e []byte) bool {
		if string(e) == string(elem) {
			drop[i] = true
		}
		return limit == 0 || len(drop) < limit
	}
	if count < 0 {
		v.eachRev(v.n-1, match)
	} else {
		v.each(0, match)
	}
	if len(drop) == 0 {
		return 0, v.n, nil
	}
	defer o.sh.settle()
	o.sh.touch(key)
	p := o.startPayload()
	v.each(0, func(i int, e []byte) bool {
		if !drop[i] {
			p = appendElem(p, e)
		}
		return true
	})
	o.commitSmall(p, v.n-len(drop))
	return len(drop), v.n - len(drop), nil
}

// ListPos calls fn with the index of each element equal to elem in key's
// list, as LPOS: from the rank-th match (negative: counting from the
// back, scanning backwards), at most count of them (0: all), looking at
// no more than maxlen elements (0: all). It reports whether the key
// exists.
func (t Tx) ListPos(key []byte, elem []byte, rank, count, maxlen int64, fn func(i int)) (bool, error) {
	o, err := t.openList(key)
	if o.e == nil {
		return false, err
	}
	t.accessed(o.sh, o.e)
	v := o.view()
	seen, found := int64(0), int64(0)
	skip := max(rank, -rank) - 1
	visit := func(i int, e []byte) bool {
		seen++
		if string(e) == string(elem) {
			if skip > 0 {
				skip--
			} else {
				fn(i)
				found++
				if count > 0 && found >= count {
					return false
				}
			}
		}
		return maxlen == 0 || seen < maxlen
	}
	if rank < 0 {
		v.eachRev(v.n-1, visit)
	} else {
		v.each(0, visit)
	}
	return true, nil
}

// ListMove pops an element from the front or back of src and pushes it
// at the front or back of dst (LMOVE), returning it appended to buf;
// false if src is missing. A dst of another type is ErrWrongType, with
// nothing moved. It also returns how many elements src has left.
func (t Tx) ListMove(src, dst []byte, srcFront, dstFront bool, buf []byte) (elem []byte, ok bool, left int, err error) {
	so, err := t.openList(src)
	if o := so; o.e == nil || err != nil {
		return nil, false, 0, err
	}
	if string(src) != string(dst) {
		if _, err := t.openList(dst); err != nil {
			return nil, false, 0, err
		}
	} else if so.view().n == 1 {
		// Rotating a one-element list changes nothing but is a write.
		so.sh.touch(src)
		e := so.view().at(0)
		return append(buf, e...), true, 1, nil
	}
	start := len(buf)
	_, left, _ = t.ListPop(src, srcFront, 1, func(e []byte) { buf = append(buf, e...) })
	elem = buf[start:]
	if _, err := t.ListPush(dst, dstFront, false, elem); err != nil {
		return nil, false, 0, err
	}
	if string(src) == string(dst) {
		left++
	}
	return elem, true, left, nil
}
