package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// listModel is what a list should hold.
type listModel map[string][][]byte

func listElem(r *rand.Rand) []byte {
	switch r.IntN(10) {
	case 0:
		return bytes.Repeat([]byte{byte('a' + r.IntN(3))}, 100+r.IntN(300)) // spans pages and varint widths
	case 1:
		return []byte{}
	}
	return []byte(fmt.Sprintf("e%d", r.IntN(8)))
}

func checkList(t *testing.T, s *Store, model listModel, key string) {
	t.Helper()
	want := model[key]
	withTx(s, []byte(key), false, func(tx Tx) {
		n, err := tx.ListLen([]byte(key))
		if err != nil || n != len(want) {
			t.Fatalf("%s: len %d %v, want %d", key, n, err, len(want))
		}
		if len(want) == 0 {
			if tx.Type([]byte(key)) != TypeNone {
				t.Fatalf("%s: empty list still exists", key)
			}
			return
		}
		if enc, _ := tx.Encoding([]byte(key)); enc != "quicklist" || tx.Type([]byte(key)) != TypeList {
			t.Fatalf("%s: encoding %q type %v", key, enc, tx.Type([]byte(key)))
		}
		var got [][]byte
		hn := -1
		tx.ListRange([]byte(key), 0, -1, func(n int) { hn = n }, func(e []byte) { got = append(got, bytes.Clone(e)) })
		if hn != len(want) || !slices.EqualFunc(got, want, bytes.Equal) {
			t.Fatalf("%s: range %d %q, want %q", key, hn, got, want)
		}
		for _, i := range []int{0, len(want) - 1, len(want) / 2, len(want) / 3} {
			e, ok, _ := tx.ListIndex([]byte(key), int64(i))
			if !ok || !bytes.Equal(e, want[i]) {
				t.Fatalf("%s: index %d = %q %v, want %q", key, i, e, ok, want[i])
			}
			e, ok, _ = tx.ListIndex([]byte(key), int64(i-len(want)))
			if !ok || !bytes.Equal(e, want[i]) {
				t.Fatalf("%s: index %d = %q, want %q", key, i-len(want), e, want[i])
			}
		}
		// Backwards walk (LPOS with a negative rank) finds the last one.
		probe := want[len(want)/2]
		last := -1
		for i, e := range want {
			if bytes.Equal(e, probe) {
				last = i
			}
		}
		got1 := -1
		tx.ListPos([]byte(key), probe, -1, 1, 0, func(i int) { got1 = i })
		if got1 != last {
			t.Fatalf("%s: LPOS RANK -1 of %q = %d, want %d", key, probe, got1, last)
		}
	})
}

// modelRange is LRANGE's normalisation applied to the model.
func modelRange(start, stop int64, n int) (int, int) { return rangeOf(start, stop, n) }

func TestListsAgainstModel(t *testing.T) {
	for _, size := range []int{-1, 3, 7, 0} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			s, _ := newTestStore(t, Options{Coll: CollLimits{ListMaxListpackSize: size}})
			r := rand.New(rand.NewPCG(uint64(size+10), 7))
			model := listModel{}
			keys := []string{"a", "b", "c"}
			for step := range 6000 {
				key := keys[r.IntN(len(keys))]
				want := model[key]
				switch op := r.IntN(12); op {
				case 0, 1: // push, several
					front := r.IntN(2) == 0
					var els [][]byte
					for range 1 + r.IntN(4) {
						els = append(els, listElem(r))
					}
					var n int
					collWrite(s, key, func(tx Tx) { n, _ = tx.ListPush([]byte(key), front, false, els...) })
					for _, e := range els {
						if front {
							want = append([][]byte{e}, want...)
						} else {
							want = append(want, e)
						}
					}
					if n != len(want) {
						t.Fatalf("step %d: push -> %d, want %d", step, n, len(want))
					}
				case 2: // pushx
					e := listElem(r)
					var n int
					collWrite(s, key, func(tx Tx) { n, _ = tx.ListPush([]byte(key), false, true, e) })
					if len(want) > 0 {
						want = append(want, e)
					}
					if n != len(want) {
						t.Fatalf("step %d: pushx -> %d, want %d", step, n, len(want))
					}
				case 3, 4: // pop count
					front := r.IntN(2) == 0
					count := 1 + r.IntN(5)
					var got [][]byte
					collWrite(s, key, func(tx Tx) {
						tx.ListPop([]byte(key), front, count, func(e []byte) { got = append(got, bytes.Clone(e)) })
					})
					var exp [][]byte
					for range min(count, len(want)) {
						if front {
							exp, want = append(exp, want[0]), want[1:]
						} else {
							exp, want = append(exp, want[len(want)-1]), want[:len(want)-1]
						}
					}
					if !slices.EqualFunc(got, exp, bytes.Equal) {
						t.Fatalf("step %d: pop %q, want %q", step, got, exp)
					}
				case 5: // set
					if len(want) == 0 {
						break
					}
					i := r.IntN(len(want))
					e := listElem(r)
					var err error
					collWrite(s, key, func(tx Tx) { err = tx.ListSet([]byte(key), int64(i-len(want)*r.IntN(2)), e) })
					if err != nil {
						t.Fatal(err)
					}
					want = slices.Clone(want)
					want[i] = e
				case 6: // trim
					start, stop := int64(r.IntN(5)-1), int64(r.IntN(len(want)+3)-2)
					collWrite(s, key, func(tx Tx) { tx.ListTrim([]byte(key), start, stop) })
					a, b := modelRange(start, stop, len(want))
					if b < a {
						want = nil
					} else {
						want = want[a : b+1]
					}
				case 7: // insert
					pivot, e, after := listElem(r), listElem(r), r.IntN(2) == 0
					var n int
					collWrite(s, key, func(tx Tx) { n, _ = tx.ListInsert([]byte(key), after, pivot, e) })
					at := slices.IndexFunc(want, func(x []byte) bool { return bytes.Equal(x, pivot) })
					exp := -1
					switch {
					case len(want) == 0:
						exp = 0
					case at >= 0:
						if after {
							at++
						}
						want = slices.Insert(slices.Clone(want), at, e)
						exp = len(want)
					}
					if n != exp {
						t.Fatalf("step %d: insert -> %d, want %d", step, n, exp)
					}
				case 8: // remove
					e := listElem(r)
					count := int64(r.IntN(5) - 2)
					var n int
					collWrite(s, key, func(tx Tx) { n, _, _ = tx.ListRemove([]byte(key), count, e) })
					var kept [][]byte
					removed := 0
					idx := make([]int, len(want))
					for i := range idx {
						idx[i] = i
					}
					if count < 0 {
						slices.Reverse(idx)
					}
					drop := map[int]bool{}
					for _, i := range idx {
						if bytes.Equal(want[i], e) && (count == 0 || removed < int(max(count, -count))) {
							drop[i] = true
							removed++
						}
					}
					for i, x := range want {
						if !drop[i] {
							kept = append(kept, x)
						}
					}
					want = kept
					if n != removed {
						t.Fatalf("step %d: lrem -> %d, want %d", step, n, removed)
					}
				case 9: // move
					dst := keys[r.IntN(len(keys))]
					sf, df := r.IntN(2) == 0, r.IntN(2) == 0
					var got []byte
					var ok bool
					s.Lock(s.sortedShards(key, dst), true)
					got, ok, _, _ = s.Tx().ListMove([]byte(key), []byte(dst), sf, df, nil)
					s.Unlock(s.sortedShards(key, dst), true)
					if ok != (len(want) > 0) {
						t.Fatalf("step %d: move ok %v", step, ok)
					}
					if ok {
						var e []byte
						if sf {
							e, want = want[0], want[1:]
						} else {
							e, want = want[len(want)-1], want[:len(want)-1]
						}
						if !bytes.Equal(got, e) {
							t.Fatalf("step %d: move got %q want %q", step, got, e)
						}
						model[key] = want
						dw := model[dst]
						if df {
							dw = append([][]byte{e}, dw...)
						} else {
							dw = append(slices.Clone(dw), e)
						}
						model[dst] = dw
						want = model[key]
						checkList(t, s, model, dst)
					}
				case 10: // LPOS with rank/count/maxlen
					e := listElem(r)
					rank := int64(r.IntN(5) - 2)
					if rank == 0 {
						rank = 1
					}
					count, maxlen := int64(r.IntN(3)), int64(r.IntN(6))
					var got []int
					withTx(s, []byte(key), false, func(tx Tx) {
						tx.ListPos([]byte(key), e, rank, count, maxlen, func(i int) { got = append(got, i) })
					})
					var exp []int
					idx := make([]int, len(want))
					for i := range idx {
						idx[i] = i
					}
					if rank < 0 {
						slices.Reverse(idx)
					}
					skip := max(rank, -rank) - 1
					for n, i := range idx {
						if maxlen > 0 && int64(n) >= maxlen {
							break
						}
						if bytes.Equal(want[i], e) {
							if skip > 0 {
								skip--
								continue
							}
							exp = append(exp, i)
							if count > 0 && int64(len(exp)) >= count {
								break
							}
						}
					}
					if !slices.Equal(got, exp) {
						t.Fatalf("step %d: lpos %q rank %d count %d maxlen %d = %v, want %v (%q)", step, e, rank, count, maxlen, got, exp, want)
					}
				case 11: // copy / rename / delete
					dst := keys[r.IntN(len(keys))]
					if dst == key {
						break
					}
					s.Lock(s.sortedShards(key, dst), true)
					tx := s.Tx()
					switch r.IntN(3) {
					case 0:
						if tx.Copy([]byte(key), []byte(dst)) {
							model[dst] = slices.Clone(want)
						}
					case 1:
						if tx.Rename([]byte(key), []byte(dst)) {
							model[dst] = want
							want = nil
						}
					default:
						tx.Delete([]byte(key))
						want = nil
					}
					s.Unlock(s.sortedShards(key, dst), true)
					checkList(t, s, model, dst)
				}
				model[key] = want
				checkList(t, s, model, key)
				if step%500 == 0 {
					checkInvariants(t, s)
				}
			}
			checkInvariants(t, s)
		})
	}
}

func (s *Store) sortedShards(a, b string) []int {
	x, y := s.ShardOf([]byte(a)), s.ShardOf([]byte(b))
	if x == y {
		return []int{x}
	}
	if x > y {
		x, y = y, x
	}
	return []int{x, y}
}

// A list past one page and back: the big form's end operations and the
// way back into the entry.
func TestListBigEnds(t *testing.T) {
	s, _ := newTestStore(t, Options{})
	key := []byte("q")
	var model [][]byte
	for i := range 5000 {
		e := []byte(fmt.Sprintf("%016d", i))
		withTx(s, key, true, func(tx Tx) { tx.ListPush(key, i%3 == 0, false, e) })
		if i%3 == 0 {
			model = append([][]byte{e}, model...)
		} else {
			model = append(model, e)
		}
	}
	withTx(s, key, false, func(tx Tx) {
		for _, i := range []int{0, 1, 2499, 2500, 4998, 4999} {
			e, ok, _ := tx.ListIndex(key, int64(i))
			if !ok || !bytes.Equal(e, model[i]) {
				t.Fatalf("index %d = %q, want %q", i, e, model[i])
			}
		}
	})
	checkInvariants(t, s)
	for len(model) > 0 {
		var got []byte
		withTx(s, key, true, func(tx Tx) {
			tx.ListPop(key, len(model)%2 == 0, 1, func(e []byte) { got = bytes.Clone(e) })
		})
		var e []byte
		if len(model)%2 == 0 {
			e, model = model[0], model[1:]
		} else {
			e, model = model[len(model)-1], model[:len(model)-1]
		}
		if !bytes.Equal(got, e) {
			t.Fatalf("pop %q, want %q", got, e)
		}
	}
	checkInvariants(t, s)
	if s.DBSize() != 0 {
		t.Fatal("emptied list left its key")
	}
}
