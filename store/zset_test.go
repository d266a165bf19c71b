package store

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// zmodel is a sorted set as a map; sorted gives its order.
type zmodel map[string]float64

func (m zmodel) sorted() []ZMember {
	out := make([]ZMember, 0, len(m))
	for k, s := range m {
		out = append(out, ZMember{Member: []byte(k), Score: s})
	}
	slices.SortFunc(out, func(a, b ZMember) int { return zcmp(a.Score, a.Member, b.Score, b.Member) })
	return out
}

func inScore(s float64, r ZScoreRange) bool {
	return (s > r.Min || !r.MinEx && s == r.Min) && (s < r.Max || !r.MaxEx && s == r.Max)
}

func inLex(m []byte, r ZLexRange) bool {
	okMin := r.Min.Inf == -1 || r.Min.Inf == 0 && (bytes.Compare(m, r.Min.Value) > 0 || !r.Min.Ex && bytes.Equal(m, r.Min.Value))
	okMax := r.Max.Inf == 1 || r.Max.Inf == 0 && (bytes.Compare(m, r.Max.Value) < 0 || !r.Max.Ex && bytes.Equal(m, r.Max.Value))
	return okMin && okMax
}

func collect(fn func(func(ZMember) bool)) []ZMember {
	var out []ZMember
	fn(func(zm ZMember) bool {
		out = append(out, ZMember{Member: bytes.Clone(zm.Member), Score: zm.Score})
		return true
	})
	return out
}

func sameZ(t *testing.T, what string, got, want []ZMember) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d members, want %d\ngot  %v\nwant %v", what, len(got), len(want), zstr(got), zstr(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].Member, want[i].Member) || got[i].Score != want[i].Score {
			t.Fatalf("%s: [%d] = %s %v, want %s %v", what, i, got[i].Member, got[i].Score, want[i].Member, want[i].Score)
		}
	}
}

func zstr(ms []ZMember) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s:%v ", m.Member, m.Score)
	}
	return b.String()
}

func window(all []ZMember, rev bool, offset, limit int) []ZMember {
	all = slices.Clone(all)
	if rev {
		slices.Reverse(all)
	}
	if offset < 0 || offset >= len(all) {
		return nil
	}
	all = all[offset:]
	if limit >= 0 && limit < len(all) {
		all = all[:limit]
	}
	return all
}

// checkZ compares key's sorted set with the model through every read.
func checkZ(t *testing.T, s *Store, key string, m zmodel, lexOnly bool, rng *rand.Rand) {
	t.Helper()
	k := []byte(key)
	want := m.sorted()
	withTx(s, k, false, func(tx Tx) {
		n, err := tx.ZCard(k)
		if err != nil || n != len(m) {
			t.Fatalf("%s: card %d %v, want %d", key, n, err, len(m))
		}
		if len(m) == 0 {
			if tx.Type(k) != TypeNone {
				t.Fatalf("%s: empty set left a key", key)
			}
			return
		}
		sameZ(t, key+" all", collect(func(f func(ZMember) bool) { tx.ZRangeByRank(k, 0, -1, false, f) }), want)
		rev := slices.Clone(want)
		slices.Reverse(rev)
		sameZ(t, key+" rev", collect(func(f func(ZMember) bool) { tx.ZRangeByRank(k, 0, -1, true, f) }), rev)
		for i, zm := range want {
			sc, ok, _ := tx.ZScore(k, zm.Member)
			if !ok || sc != zm.Score {
				t.Fatalf("%s: score(%s) %v %v, want %v", key, zm.Member, sc, ok, zm.Score)
			}
			if i%7 == 0 || len(want) < 50 {
				r, _, ok, _ := tx.ZRank(k, zm.Member, false)
				rr, _, _, _ := tx.ZRank(k, zm.Member, true)
				if !ok || r != i || rr != len(want)-1-i {
					t.Fatalf("%s: rank(%s) %d/%d, want %d", key, zm.Member, r, rr, i)
				}
			}
		}
		if _, ok, _ := tx.ZScore(k, []byte("absent!")); ok {
			t.Fatalf("%s: absent member found", key)
		}
		for range 4 {
			start, stop := rng.IntN(len(want)*2+2)-len(want)-1, rng.IntN(len(want)*2+2)-len(want)-1
			lo, hi := rankBounds(start, stop, len(want))
			sameZ(t, fmt.Sprintf("%s rank %d %d", key, start, stop),
				collect(func(f func(ZMember) bool) { tx.ZRangeByRank(k, start, stop, false, f) }), want[lo:hi])
			r := ZScoreRange{Min: float64(rng.IntN(30) - 5), Max: float64(rng.IntN(30) - 5), MinEx: rng.IntN(2) == 0, MaxEx: rng.IntN(2) == 0}
			if rng.IntN(5) == 0 {
				r.Min = math.Inf(-1)
			}
			if rng.IntN(5) == 0 {
				r.Max = math.Inf(1)
			}
			var in []ZMember
			for _, zm := range want {
				if inScore(zm.Score, r) {
					in = append(in, zm)
				}
			}
			if c, _ := tx.ZCount(k, r); c != len(in) {
				t.Fatalf("%s: count %+v = %d, want %d", key, r, c, len(in))
			}
			rv, off, lim := rng.IntN(2) == 0, rng.IntN(5)-1, rng.IntN(8)-1
			sameZ(t, fmt.Sprintf("%s score %+v %v %d %d", key, r, rv, off, lim),
				collect(func(f func(ZMember) bool) { tx.ZRangeByScore(k, r, rv, off, lim, f) }), window(in, rv, off, lim))
			if lexOnly {
				b := func() ZLexBound {
					switch rng.IntN(6) {
					case 0:
						return ZLexBound{Inf: -1}
					case 1:
						return ZLexBound{Inf: 1}
					}
					return ZLexBound{Value: []byte(fmt.Sprint(rng.IntN(40))), Ex: rng.IntN(2) == 0}
				}
				lr := ZLexRange{Min: b(), Max: b()}
				var lin []ZMember
				for _, zm := range want {
					if inLex(zm.Member, lr) {
						lin = append(lin, zm)
					}
				}
				if c, _ := tx.ZLexCount(k, lr); c != len(lin) {
					t.Fatalf("%s: lexcount %+v = %d, want %d", key, lr, c, len(lin))
				}
				sameZ(t, fmt.Sprintf("%s lex %+v %v %d %d", key, lr, rv, off, lim),
					collect(func(f func(ZMember) bool) { tx.ZRangeByLex(k, lr, rv, off, lim, f) }), window(lin, rv, off, lim))
			}
		}
		// A full scan returns every member.
		seen := map[string]int{}
		for cur := uint64(0); ; {
			cur, _ = tx.ZScan(k, cur, 5, func(zm ZMember) { seen[string(zm.Member)]++ })
			if cur == 0 {
				break
			}
		}
		for mb := range m {
			if seen[mb] != 1 {
				t.Fatalf("%s: scan returned %q %d times", key, mb, seen[mb])
			}
		}
		got := map[string]bool{}
		tx.ZRandMembers(k, 3, func(zm ZMember) { got[string(zm.Member)] = true })
		if len(got) != min(3, len(m)) {
			t.Fatalf("%s: randmember 3 gave %d distinct", key, len(got))
		}
	})
}

func TestZSetAgainstModel(t *testing.T) {
	for _, entries := range []int{4, 16, 128} {
		t.Run(fmt.Sprint(entries), func(t *testing.T) {
			s, _ := newTestStore(t, Options{})
			lim := DefaultCollLimits
			lim.ZSetMaxListpackEntries, lim.ZSetMaxListpackValue = entries, 12
			s.SetCollLimits(lim)
			rng := rand.New(rand.NewPCG(uint64(entries), 7))
			keys := []string{"a", "b", "lex"}
			model := map[string]zmodel{"a": {}, "b": {}, "lex": {}}
			member := func() []byte {
				if rng.IntN(40) == 0 {
					return []byte(strings.Repeat("long", 5) + fmt.Sprint(rng.IntN(10)))
				}
				return []byte(fmt.Sprint(rng.IntN(40)))
			}
			score := func() float64 {
				if rng.IntN(30) == 0 {
					return math.Inf(rng.IntN(2)*2 - 1)
				}
				return float64(rng.IntN(24)-2) / 2
			}
			for step := range 3000 {
				key := keys[rng.IntN(len(keys))]
				m := model[key]
				lexOnly := key == "lex"
				k := []byte(key)
				switch op := rng.IntN(12); op {
				case 0, 1, 2, 3:
					var zs []ZMember
					for range rng.IntN(5) + 1 {
						sc := score()
						if lexOnly {
							sc = 0
						}
						zs = append(zs, ZMember{Member: member(), Score: sc})
					}
					flags := []ZFlags{0, 0, ZNX, ZXX, ZGT, ZLT, ZXX | ZGT, ZLT}[rng.IntN(8)]
					wa, wu := 0, 0
					for _, zm := range zs {
						old, ok := m[string(zm.Member)]
						if !zdecide(ok, old, zm.Score, flags) {
							continue
						}
						m[string(zm.Member)] = zm.Score
						if ok {
							wu++
						} else {
							wa++
						}
					}
					collWrite(s, key, func(tx Tx) {
						a, u, err := tx.ZAdd(k, flags, zs...)
						if err != nil || a != wa || u != wu {
							t.Fatalf("step %d: zadd %v = %d %d %v, want %d %d", step, zs, a, u, err, wa, wu)
						}
					})
				case 4:
					if lexOnly {
						continue
					}
					mb, inc := member(), score()
					old, ok := m[string(mb)]
					ns := old + inc
					collWrite(s, key, func(tx Tx) {
						got, _, applied, err := tx.ZIncr(k, 0, mb, inc)
						if math.IsNaN(ns) {
							if err != ErrNaN {
								t.Fatalf("step %d: want NaN error, got %v", step, err)
							}
							return
						}
						if err != nil || !applied || got != ns {
							t.Fatalf("step %d: zincr = %v %v %v, want %v", step, got, applied, err, ns)
						}
					})
					if !math.IsNaN(ns) {
						m[string(mb)] = ns
					}
					_ = ok
				case 5:
					var rm [][]byte
					want := 0
					for range rng.IntN(4) + 1 {
						mb := member()
						rm = append(rm, mb)
						if _, ok := m[string(mb)]; ok {
							want++
							delete(m, string(mb))
						}
					}
					collWrite(s, key, func(tx Tx) {
						if n, _ := tx.ZRem(k, rm...); n != want {
							t.Fatalf("step %d: zrem = %d, want %d", step, n, want)
						}
					})
				case 6:
					all := m.sorted()
					if rng.IntN(3) > 0 && len(all) < 10 {
						continue // keep sets growing past the thresholds
					}
					start, stop := rng.IntN(10)-3, rng.IntN(10)-3
					lo, hi := rankBounds(start, stop, len(all))
					for _, zm := range all[lo:hi] {
						delete(m, string(zm.Member))
					}
					collWrite(s, key, func(tx Tx) {
						if n, _ := tx.ZRemRangeByRank(k, start, stop); n != hi-lo {
							t.Fatalf("step %d: zremrangebyrank = %d, want %d", step, n, hi-lo)
						}
					})
				case 7:
					r := ZScoreRange{Min: score(), Max: score(), MinEx: rng.IntN(2) == 0}
					want := 0
					for mb, sc := range m {
						if inScore(sc, r) {
							want++
							delete(m, mb)
						}
					}
					collWrite(s, key, func(tx Tx) {
						if n, _ := tx.ZRemRangeByScore(k, r); n != want {
							t.Fatalf("step %d: zremrangebyscore = %d, want %d", step, n, want)
						}
					})
				case 8:
					if !lexOnly {
						continue
					}
					lr := ZLexRange{Min: ZLexBound{Value: []byte(fmt.Sprint(rng.IntN(40)))}, Max: ZLexBound{Value: []byte(fmt.Sprint(rng.IntN(40))), Ex: true}}
					want := 0
					for mb := range m {
						if inLex([]byte(mb), lr) {
							want++
							delete(m, mb)
						}
					}
					collWrite(s, key, func(tx Tx) {
						if n, _ := tx.ZRemRangeByLex(k, lr); n != want {
							t.Fatalf("step %d: zremrangebylex = %d, want %d", step, n, want)
						}
					})
				case 9:
					max, count := rng.IntN(2) == 0, rng.IntN(3)+1
					all := m.sorted()
					if max {
						slices.Reverse(all)
					}
					all = all[:min(count, len(all))]
					for _, zm := range all {
						delete(m, string(zm.Member))
					}
					collWrite(s, key, func(tx Tx) {
						var got []ZMember
						tx.ZPop(k, max, count, func(zm ZMember) { got = append(got, ZMember{bytes.Clone(zm.Member), zm.Score}) })
						sameZ(t, fmt.Sprintf("step %d zpop", step), got, all)
					})
				case 10:
					if lexOnly {
						continue
					}
					// Store the union of a and b into key, the way ZUNIONSTORE does.
					var src []ZMember
					collWrite(s, "a", func(tx Tx) {
						tx.ZRangeByRank([]byte("a"), 0, -1, false, func(zm ZMember) bool { src = append(src, zm); return true })
						tx.ZRangeByRank([]byte("b"), 0, -1, false, func(zm ZMember) bool { src = append(src, zm); return true })
						tx.ZStore(k, src)
					})
					nm := zmodel{}
					for _, zm := range model["a"].sorted() {
						nm[string(zm.Member)] = zm.Score
					}
					for _, zm := range model["b"].sorted() {
						nm[string(zm.Member)] = zm.Score
					}
					model[key] = nm
					m = nm
				case 11:
					other := "b"
					if key == "b" {
						other = "a"
					}
					if lexOnly {
						continue
					}
					collWrite(s, key, func(tx Tx) {
						if rng.IntN(2) == 0 {
							tx.Copy(k, []byte(other))
						} else {
							tx.Rename(k, []byte(other))
							model[key] = zmodel{}
						}
					})
					nm := zmodel{}
					for mb, sc := range m {
						nm[mb] = sc
					}
					if len(m) == 0 {
						continue // Copy and Rename of a missing key change nothing
					}
					model[other] = nm
				}
				checkZ(t, s, key, model[key], lexOnly, rng)
				// The encoding follows Redis's rules: small until a limit is passed.
				withTx(s, k, false, func(tx Tx) {
					if e := enc(tx, key); len(model[key]) > entries && e != "skiplist" {
						t.Fatalf("step %d: %s has %d members as %s", step, key, len(model[key]), e)
					}
				})
			}
			for _, key := range keys {
				checkZ(t, s, key, model[key], key == "lex", rng)
			}
		})
	}
}

// TestZBigAgainstModel drives the B+tree and member table directly, with
// enough members for a tree of several levels and merges as it shrinks.
func TestZBigAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	z := newZBig()
	m := zmodel{}
	check := func() {
		t.Helper()
		checkTree(t, z)
		want := m.sorted()
		i := 0
		z.each(0, false, func(s float64, mb []byte) bool {
			if !bytes.Equal(mb, want[i].Member) || s != want[i].Score {
				t.Fatalf("[%d] = %s %v, want %s %v", i, mb, s, want[i].Member, want[i].Score)
			}
			i++
			return true
		})
		if i != len(want) || z.n != len(want) || z.used != len(want) {
			t.Fatalf("walked %d, n %d used %d, want %d", i, z.n, z.used, len(want))
		}
	}
	key := func() string {
		switch rng.IntN(200) {
		case 0:
			return strings.Repeat("x", 3000) + fmt.Sprint(rng.IntN(5)) // larger than a page
		case 1:
			return ""
		}
		return fmt.Sprintf("member:%06d", rng.IntN(12000))
	}
	for round := range 3 {
		for range 8000 {
			mb := key()
			s := float64(rng.IntN(1000))
			if round == 1 {
				s = float64(len(m)) // ascending appends
			}
			z.add([]byte(mb), s)
			m[mb] = s
		}
		check()
		if z.height < 2 {
			t.Fatalf("round %d: a tree of height %d tests too little", round, z.height)
		}
		for i := range 8000 {
			switch rng.IntN(3) {
			case 0:
				mb := key()
				_, ok := m[mb]
				if z.drop([]byte(mb)) != ok {
					t.Fatalf("drop %q: want %v", mb, ok)
				}
				delete(m, mb)
			case 1:
				if z.n > 0 {
					r := rng.IntN(z.n)
					_, mb := z.at(r)
					delete(m, string(mb))
					z.dropAt(r)
				}
			case 2:
				mb := key()
				s := float64(rng.IntN(1000))
				z.add([]byte(mb), s)
				m[mb] = s
			}
			if i%2000 == 0 {
				check()
			}
		}
		check()
		c := z.cloneValue().(*zbig)
		for mb, s := range m {
			if got, ok := c.score([]byte(mb)); !ok || got != s {
				t.Fatalf("clone: score(%q) = %v %v, want %v", mb, got, ok, s)
			}
		}
	}
	for mb := range m {
		z.drop([]byte(mb))
	}
	if z.n != 0 || z.used != 0 || z.height != 0 {
		t.Fatalf("emptied tree: n %d used %d height %d", z.n, z.used, z.height)
	}
}

// checkTree verifies the tree's invariants: subtree counts, key order,
// separators as lower bounds, leaf links.
func checkTree(t *testing.T, z *zbig) {
	t.Helper()
	var leaves []uint32
	var walk func(id uint32, h int, lo, hi []byte) int
	walk = func(id uint32, h int, lo, hi []byte) int {
		p := z.pages[id]
		if h == 0 {
			leaves = append(leaves, id)
			n := 0
			for o := zLeafHdr; o < len(p); n++ {
				s, m, e := zitem(p, o)
				if lo != nil {
					ls, lm, _ := zitem(lo, 0)
					if zcmp(s, m, ls, lm) < 0 {
						t.Fatalf("leaf %d item below its separator", id)
					}
				}
				if hi != nil {
					hs, hm, _ := zitem(hi, 0)
					if zcmp(s, m, hs, hm) >= 0 {
						t.Fatalf("leaf %d item at or above the next separator", id)
					}
				}
				o = e
			}
			if n != pageCount(p) || n == 0 {
				t.Fatalf("leaf %d: %d items, header %d", id, n, pageCount(p))
			}
			return n
		}
		total, i := 0, 0
		for o := zInHdr; o < len(p); o, i = inNext(p, o), i+1 {
			sep, next := lo, hi
			if i > 0 {
				sep = p[o+8 : inNext(p, o)]
			}
			if e := inNext(p, o); e < len(p) {
				next = p[e+8 : inNext(p, e)]
			}
			c := walk(inChild(p, o), h-1, sep, next)
			if c != inCount(p, o) {
				t.Fatalf("page %d child %d: count %d, holds %d", id, i, inCount(p, o), c)
			}
			total += c
		}
		return total
	}
	if n := walk(z.root, z.height, nil, nil); n != z.n {
		t.Fatalf("tree holds %d, n %d", n, z.n)
	}
	for i, id := range leaves {
		want := uint32(zNone)
		if i+1 < len(leaves) {
			want = leaves[i+1]
		}
		if z.next(id) != want {
			t.Fatalf("leaf %d: next %d, want %d", id, z.next(id), want)
		}
	}
}
