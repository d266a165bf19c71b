package store

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
)

// zrangeSel selects the members a ZREMRANGEBY* command removes.
type zrangeSel struct {
	score       *ZScoreRange
	lex         *ZLexRange
	rank        bool
	start, stop int
}

// zopen finds key's sorted set: its entry (nil if missing) and a view.
func (t Tx) zopen(key []byte) (*shard, uint64, loc, entry, zview, error) {
	sh, h, l, e, err := t.openColl(key, TypeZSet)
	if e == nil {
		return sh, h, l, nil, zview{}, err
	}
	return sh, h, l, e, sh.zviewOf(e.value()), nil
}

func (s *shard) zviewOf(p []byte) zview {
	if collEnc(p) == encSkiplist {
		z, _ := s.big[bigHandle(p)].(*zbig)
		return zview{z: z}
	}
	return zview{p: p}
}

// zread opens key's sorted set for a read.
func (t Tx) zread(key []byte) (zview, bool, error) {
	sh, _, _, e, v, err := t.zopen(key)
	if e == nil {
		return v, false, err
	}
	t.accessed(sh, e)
	return v, true, nil
}

// zwriter applies changes to one sorted set: a small payload re-encoded
// into the shard's two buffers in turn, turned large when it passes the
// limits, and written back (or the key deleted) by done.
type zwriter struct {
	t    Tx
	sh   *shard
	key  []byte
	h    uint64
	l    loc
	e    entry // nil for a new key
	cur  []byte
	buf  int
	z    *zbig
	lim  *CollLimits
	dirt bool
}

func (t Tx) zwrite(sh *shard, key []byte, h uint64, l loc, e entry) zwriter {
	w := zwriter{t: t, sh: sh, key: key, h: h, l: l, e: e, lim: sh.memory.coll.get()}
	if e != nil {
		v := sh.zviewOf(e.value())
		w.cur, w.z = v.p, v.z
	}
	return w
}

// create starts an empty set for a missing key, in the encoding Redis 7.0
// picks from the first member's length.
func (w *zwriter) create(first []byte) {
	w.sh.reap(w.key, w.h, w.t.now)
	if w.lim.ZSetMaxListpackEntries == 0 || len(first) > w.lim.ZSetMaxListpackValue {
		w.z = newZBig()
		return
	}
	w.cur = append(w.sh.bufs[w.buf][:0], byte(TypeZSet), encListpack, 0, 0)
	w.sh.bufs[w.buf] = w.cur
	w.buf = 1 - w.buf
}

func (w *zwriter) view() zview { return zview{p: w.cur, z: w.z} }

// set gives member m score s; found and off/end say where m was in a
// small set.
func (w *zwriter) set(m []byte, s float64, found bool, off, end int) {
	w.dirt = true
	if w.z != nil {
		w.z.add(m, s)
		return
	}
	n := smallCount(w.cur)
	if !found {
		if !zsmallFits(n+1, len(m), w.lim) {
			w.z = zbigFromSmall(w.cur)
			w.cur = nil
			w.z.add(m, s)
			return
		}
		off = -1
	}
	np := zsmallPut(w.sh.bufs[w.buf][:0], w.cur, off, end, true, s, m)
	w.sh.bufs[w.buf] = np
	w.cur, w.buf = np, 1-w.buf
}

// lookup returns m's score and, in a small set, its item's offsets.
func (w *zwriter) lookup(m []byte) (s float64, off, end int, ok bool) {
	if w.z != nil {
		s, ok = w.z.score(m)
		return s, 0, 0, ok
	}
	if w.cur == nil {
		return 0, 0, 0, false
	}
	s, off, end, _, ok = zsmallFind(w.cur, m)
	return
}

// drop removes member m; false if absent.
func (w *zwriter) drop(m []byte) bool {
	if w.z != nil {
		if !w.z.drop(m) {
			return false
		}
		w.dirt = true
		return true
	}
	_, off, end, _, ok := zsmallFind(w.cur, m)
	if !ok {
		return false
	}
	np := zsmallPut(w.sh.bufs[w.buf][:0], w.cur, off, end, false, 0, nil)
	w.sh.bufs[w.buf] = np
	w.cur, w.buf = np, 1-w.buf
	w.dirt = true
	return true
}

// cut removes the members of ranks [lo, hi).
func (w *zwriter) cut(lo, hi int) {
	if lo >= hi {
		return
	}
	w.dirt = true
	if w.z != nil {
		if lo == 0 && hi == w.z.n {
			// All of it: done deletes the key, dropping the tree whole.
			w.z = newZBig()
			return
		}
		for i := lo; i < hi; i++ {
			w.z.dropAt(lo)
		}
		return
	}
	np := zsmallCut(w.sh.bufs[w.buf][:0], w.cur, lo, hi)
	w.sh.bufs[w.buf] = np
	w.cur, w.buf = np, 1-w.buf
}

// done writes the set back: the entry rewritten, created or deleted.
func (w *zwriter) done() {
	sh := w.sh
	if !w.dirt {
		return
	}
	n := w.view().card()
	if n == 0 {
		if w.e != nil {
			sh.remove(w.key, w.h, w.l, Written)
		}
		return
	}
	sh.touch(w.key)
	var p []byte
	switch {
	case w.z == nil:
		p = w.cur
	case w.e != nil && collEnc(w.e.value()) == encSkiplist:
		sh.account(w.z)
		return
	default:
		p = sh.bigPayload(TypeZSet, encSkiplist, sh.addBig(w.z))
		sh.account(w.z)
	}
	if w.e == nil {
		ne := sh.insert(w.key, w.h, p, len(p), 0, w.t.now)
		ne.setCollLen(len(p))
	} else {
		sh.writeColl(w.key, w.h, w.l, w.e, p)
	}
}

// zdecide says whether a member with score old (when exists) takes score
// s under flags.
func zdecide(exists bool, old, s float64, flags ZFlags) bool {
	if !exists {
		return flags&ZXX == 0
	}
	switch {
	case flags&ZNX != 0:
		return false
	case flags&ZGT != 0 && s <= old, flags&ZLT != 0 && s >= old:
		return false
	}
	return s != old
}

func (t Tx) zadd(key []byte, flags ZFlags, members []ZMember) (added, updated int, err error) {
	sh, h, l, e, err := t.openColl(key, TypeZSet)
	if err != nil || len(members) == 0 {
		return 0, 0, err
	}
	defer sh.settle()
	w := t.zwrite(sh, key, h, l, e)
	if e == nil {
		if flags&ZXX != 0 {
			return 0, 0, nil
		}
		w.create(members[0].Member)
	}
	for _, zm := range members {
		old, off, end, ok := w.lookup(zm.Member)
		if !zdecide(ok, old, zm.Score, flags) {
			continue
		}
		w.set(zm.Member, zm.Score, ok, off, end)
		if ok {
			updated++
		} else {
			added++
		}
	}
	w.done()
	return added, updated, nil
}

func (t Tx) zincr(key []byte, flags ZFlags, member []byte, incr float64) (float64, bool, bool, error) {
	sh, h, l, e, err := t.openColl(key, TypeZSet)
	if err != nil {
		return 0, false, false, err
	}
	defer sh.settle()
	w := t.zwrite(sh, key, h, l, e)
	if e == nil {
		if flags&ZXX != 0 {
			return 0, false, false, nil
		}
		w.create(member)
	}
	old, off, end, ok := w.lookup(member)
	s := incr
	if ok {
		if flags&ZNX != 0 {
			return 0, false, false, nil
		}
		s = old + incr
		if math.IsNaN(s) {
			return 0, false, false, ErrNaN
		}
		if flags&ZGT != 0 && s <= old || flags&ZLT != 0 && s >= old {
			return 0, false, false, nil
		}
	} else if flags&ZXX != 0 {
		return 0, false, false, nil
	}
	changed := !ok || s != old
	if changed {
		w.set(member, s, ok, off, end)
	}
	w.done()
	return s, changed, true, nil
}

func (t Tx) zscore(key, member []byte) (float64, bool, error) {
	v, ok, err := t.zread(key)
	if !ok {
		return 0, false, err
	}
	s, _, found := v.find(member)
	return s, found, nil
}

func (t Tx) zrem(key []byte, members [][]byte) (int, error) {
	sh, h, l, e, err := t.openColl(key, TypeZSet)
	if e == nil {
		return 0, err
	}
	defer sh.settle()
	w := t.zwrite(sh, key, h, l, e)
	n := 0
	for _, m := range members {
		if w.drop(m) {
			n++
		}
	}
	w.done()
	return n, nil
}

func (t Tx) zcard(key []byte) (int, error) {
	_, _, _, e, v, err := t.zopen(key)
	if e == nil {
		return 0, err
	}
	return v.card(), nil
}

func (t Tx) zrank(key, member []byte, rev bool) (int, float64, bool, error) {
	v, ok, err := t.zread(key)
	if !ok {
		return 0, 0, false, err
	}
	s, r, found := v.find(member)
	if !found {
		return 0, 0, false, nil
	}
	if rev {
		r = v.card() - 1 - r
	}
	return r, s, true, nil
}

// scoreBounds returns the ranks [lo, hi) of the members with a score in r.
func (v zview) scoreBounds(r ZScoreRange) (int, int) {
	lo := v.lower(func(s float64, _ []byte) bool {
		if r.MinEx {
			return s > r.Min
		}
		return s >= r.Min
	})
	hi := v.lower(func(s float64, _ []byte) bool {
		if r.MaxEx {
			return s >= r.Max
		}
		return s > r.Max
	})
	return lo, max(lo, hi)
}

// lexBounds returns the ranks [lo, hi) of the members in r.
func (v zview) lexBounds(r ZLexRange) (int, int) {
	after := func(b ZLexBound, orEqual bool) func(float64, []byte) bool {
		return func(_ float64, m []byte) bool {
			switch b.Inf {
			case -1:
				return true
			case 1:
				return false
			}
			c := bytes.Compare(m, b.Value)
			return c > 0 || c == 0 && orEqual
		}
	}
	lo := v.lower(after(r.Min, !r.Min.Ex))
	hi := v.lower(after(r.Max, r.Max.Ex))
	if r.Max.Inf == -1 || r.Min.Inf == 1 {
		return lo, lo
	}
	return lo, max(lo, hi)
}

func (t Tx) zcount(key []byte, r ZScoreRange) (int, error) {
	v, ok, err := t.zread(key)
	if !ok {
		return 0, err
	}
	lo, hi := v.scoreBounds(r)
	return hi - lo, nil
}

func (t Tx) zlexcount(key []byte, r ZLexRange) (int, error) {
	v, ok, err := t.zread(key)
	if !ok {
		return 0, err
	}
	lo, hi := v.lexBounds(r)
	return hi - lo, nil
}

// emitRanks calls fn for the members of ranks [lo, hi) after offset of
// them, at most limit (all when negative), ascending or descending.
func (v zview) emitRanks(lo, hi int, rev bool, offset, limit int, fn func(ZMember) bool) {
	if offset < 0 {
		return
	}
	n := hi - lo - offset
	if limit >= 0 {
		n = min(n, limit)
	}
	if n <= 0 {
		return
	}
	start := lo + offset
	if rev {
		start = hi - 1 - offset
	}
	v.each(start, rev, func(s float64, m []byte) bool {
		if !fn(ZMember{Member: m, Score: s}) {
			return false
		}
		n--
		return n > 0
	})
}

func (t Tx) zrangeScore(key []byte, r ZScoreRange, rev bool, offset, limit int, fn func(ZMember) bool) (bool, error) {
	v, ok, err := t.zread(key)
	if !ok {
		return false, err
	}
	lo, hi := v.scoreBounds(r)
	v.emitRanks(lo, hi, rev, offset, limit, fn)
	return true, nil
}

func (t Tx) zrangeLex(key []byte, r ZLexRange, rev bool, offset, limit int, fn func(ZMember) bool) (bool, error) {
	v, ok, err := t.zread(key)
	if !ok {
		return false, err
	}
	lo, hi := v.lexBounds(r)
	v.emitRanks(lo, hi, rev, offset, limit, fn)
	return true, nil
}

// rankBounds normalises ZRANGE's start and stop to ranks [lo, hi) of a
// set of n, as Redis clamps them.
func rankBounds(start, stop, n int) (int, int) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	start = max(start, 0)
	if start > stop || start >= n {
		return 0, 0
	}
	stop = min(stop, n-1)
	return start, stop + 1
}

func (t Tx) zrangeRank(key []byte, start, stop int, rev bool, fn func(ZMember) bool) (bool, error) {
	v, ok, err := t.zread(key)
	if !ok {
		return false, err
	}
	n := v.card()
	lo, hi := rankBounds(start, stop, n)
	if rev {
		lo, hi = n-hi, n-lo
	}
	v.emitRanks(lo, hi, rev, 0, -1, fn)
	return true, nil
}

func (t Tx) zremRange(key []byte, sel zrangeSel) (int, error) {
	sh, h, l, e, err := t.openColl(key, TypeZSet)
	if e == nil {
		return 0, err
	}
	defer sh.settle()
	w := t.zwrite(sh, key, h, l, e)
	v := w.view()
	var lo, hi int
	switch {
	case sel.score != nil:
		lo, hi = v.scoreBounds(*sel.score)
	case sel.lex != nil:
		lo, hi = v.lexBounds(*sel.lex)
	default:
		lo, hi = rankBounds(sel.start, sel.stop, v.card())
	}
	w.cut(lo, hi)
	w.done()
	return hi - lo, nil
}

func (t Tx) zpop(key []byte, max bool, count int, fn func(ZMember)) (int, error) {
	sh, h, l, e, err := t.openColl(key, TypeZSet)
	if e == nil || count <= 0 {
		return 0, err
	}
	defer sh.settle()
	w := t.zwrite(sh, key, h, l, e)
	v := w.view()
	n := min(count, v.card())
	lo, start := 0, 0
	if max {
		lo, start = v.card()-n, v.card()-1
	}
	if w.z != nil && n == w.z.n {
		// All of it: fn sees every member, then the tree goes whole.
		v.each(start, max, func(s float64, m []byte) bool {
			fn(ZMember{Member: m, Score: s})
			return true
		})
		w.cut(0, n)
	} else if w.z != nil {
		// One at a time: fn sees each member before it goes.
		for i := 0; i < n; i++ {
			r := start
			if max {
				r = w.z.n - 1
			}
			s, m := w.z.at(r)
			fn(ZMember{Member: m, Score: s})
			w.z.dropAt(r)
		}
		w.dirt = n > 0
	} else {
		k := 0
		v.each(start, max, func(s float64, m []byte) bool {
			fn(ZMember{Member: m, Score: s})
			k++
			return k < n
		})
		w.cut(lo, lo+n)
	}
	w.done()
	return n, nil
}

func (t Tx) zstore(key []byte, members []ZMember) int {
	sh, h := t.hashed(key)
	defer sh.settle()
	ms := slices.Clone(members)
	slices.SortStableFunc(ms, func(a, b ZMember) int { return bytes.Compare(a.Member, b.Member) })
	k := 0
	for i := range ms {
		if k > 0 && bytes.Equal(ms[k-1].Member, ms[i].Member) {
			ms[k-1] = ms[i] // a later duplicate wins
			continue
		}
		ms[k] = ms[i]
		k++
	}
	ms = ms[:k]
	slices.SortFunc(ms, func(a, b ZMember) int { return zcmp(a.Score, a.Member, b.Score, b.Member) })
	maxLen := 0
	for _, zm := range ms {
		maxLen = max(maxLen, len(zm.Member))
	}
	// Built before the old value goes: members may alias it.
	var p []byte
	var z *zbig
	if zsmallFits(len(ms), maxLen, sh.memory.coll.get()) {
		p = append(make([]byte, 0, collHeader+len(ms)*10), byte(TypeZSet), encListpack, 0, 0)
		for _, zm := range ms {
			p = appendZItem(p, posZero(zm.Score), zm.Member)
		}
		setSmallCount(p, len(ms))
	} else {
		z = newZBig()
		z.resize(max(16, len(ms)*4/3+1))
		for _, zm := range ms {
			z.insert(zm.Score, zm.Member)
			z.addSlot(fieldHash(zm.Member), zm.Score)
		}
	}
	sh.delete(key, h, t.now)
	sh.touch(key)
	if len(ms) == 0 {
		return 0
	}
	if z != nil {
		p = sh.bigPayload(TypeZSet, encSkiplist, sh.addBig(z))
		sh.account(z)
	}
	ne := sh.insert(key, h, p, len(p), 0, t.now)
	ne.setCollLen(len(p))
	return len(ms)
}

func (t Tx) zrand(key []byte, count int64, fn func(ZMember)) (bool, error) {
	v, ok, err := t.zread(key)
	if !ok || count == 0 {
		return ok, err
	}
	n := int64(v.card())
	emit := func(r int64) {
		v.each(int(r), false, func(s float64, m []byte) bool {
			fn(ZMember{Member: m, Score: s})
			return false
		})
	}
	switch {
	case count < 0:
		for range -count {
			emit(rand.Int64N(n))
		}
	case count >= n:
		// The whole set, from the highest score, as Redis 7.0 replies.
		v.each(int(n-1), true, func(s float64, m []byte) bool {
			fn(ZMember{Member: m, Score: s})
			return true
		})
	case count*3 > n:
		ranks := make([]int32, n)
		for i := range ranks {
			ranks[i] = int32(i)
		}
		for i := range count {
			j := i + rand.Int64N(n-i)
			ranks[i], ranks[j] = ranks[j], ranks[i]
			emit(int64(ranks[i]))
		}
	default:
		seen := make(map[int64]struct{}, count)
		for int64(len(seen)) < count {
			r := rand.Int64N(n)
			if _, dup := seen[r]; !dup {
				seen[r] = struct{}{}
				emit(r)
			}
		}
	}
	return true, nil
}

// zscanKey maps a score to a ZSCAN cursor, preserving order; never 0.
func zscanKey(s float64) uint64 {
	if s == 0 {
		s = 0 // -0 is 0
	}
	b := math.Float64bits(s)
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

func (t Tx) zscan(key []byte, cursor uint64, count int, fn func(ZMember)) (uint64, error) {
	v, ok, err := t.zread(key)
	if !ok {
		return 0, err
	}
	if v.z == nil {
		v.each(0, false, func(s float64, m []byte) bool { fn(ZMember{Member: m, Score: s}); return true })
		return 0, nil
	}
	start := 0
	if cursor != 0 {
		start = v.lower(func(s float64, _ []byte) bool { return zscanKey(s) >= cursor })
	}
	next, k, last := uint64(0), 0, 0.0
	v.each(start, false, func(s float64, m []byte) bool {
		if k >= count && s != last {
			next = zscanKey(s)
			return false
		}
		fn(ZMember{Member: m, Score: s})
		k, last = k+1, s
		return true
	})
	return next, nil
}

// posZero turns -0 into 0, as a listpack keeps it (Redis's stores "0").
func posZero(s float64) float64 {
	if s == 0 {
		return 0
	}
	return s
}
