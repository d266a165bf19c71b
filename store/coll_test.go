package store

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

// collModel is what a collection should hold: field -> value (sets: "").
type collModel map[string]map[string]string

func collWrite(s *Store, key string, fn func(Tx)) { withTx(s, []byte(key), true, fn) }

// checkColl compares every key of the model with the store, through every
// read method.
func checkColl(t *testing.T, s *Store, typ Type, model collModel) {
	t.Helper()
	for key, want := range model {
		withTx(s, []byte(key), false, func(tx Tx) {
			if len(want) == 0 {
				if got := tx.Type([]byte(key)); got != TypeNone {
					t.Fatalf("%s: type %v, want none", key, got)
				}
				return
			}
			if got := tx.Type([]byte(key)); got != typ {
				t.Fatalf("%s: type %v, want %v", key, got, typ)
			}
			n, err := tx.Len([]byte(key), typ)
			if err != nil || n != len(want) {
				t.Fatalf("%s: len %d %v, want %d", key, n, err, len(want))
			}
			got := map[string]string{}
			tx.Elems([]byte(key), typ, func(el Elem) bool {
				if _, dup := got[string(el.Field)]; dup {
					t.Fatalf("%s: field %q twice", key, el.Field)
				}
				got[string(el.Field)] = string(el.Value)
				return true
			})
			for f, v := range want {
				if g, ok := got[f]; !ok || g != v {
					t.Fatalf("%s: field %q = %q %v, want %q (encoding %v)", key, f, g, ok, v, enc(tx, key))
				}
				el, ok, _ := tx.Elem([]byte(key), typ, []byte(f))
				if !ok || string(el.Value) != v {
					t.Fatalf("%s: Elem(%q) = %q %v, want %q", key, f, el.Value, ok, v)
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%s: %d elements, want %d", key, len(got), len(want))
			}
			// A full scan returns each element once.
			seen := map[string]int{}
			for cur := uint64(0); ; {
				cur, _ = tx.ScanElems([]byte(key), typ, cur, 3, func(el Elem) { seen[string(el.Field)]++ })
				if cur == 0 {
					break
				}
			}
			for f := range want {
				if seen[f] != 1 {
					t.Fatalf("%s: scan returned %q %d times", key, f, seen[f])
				}
			}
		})
	}
}

func enc(tx Tx, key string) string { e, _ := tx.Encoding([]byte(key)); return e }

func TestCollectionsAgainstModel(t *testing.T) {
	for _, typ := range []Type{TypeHash, TypeSet} {
		t.Run(typ.String(), func(t *testing.T) {
			s, _ := newTestStore(t, Options{})
			s.SetCollLimits(CollLimits{HashMaxListpackEntries: 8, HashMaxListpackValue: 16,
				SetMaxIntsetEntries: 6, SetMaxListpackEntries: 8, SetMaxListpackValue: 16})
			r := rand.New(rand.NewPCG(1, 2))
			model := collModel{}
			for i := range 20000 {
				key := "k" + strconv.Itoa(r.IntN(30))
				if model[key] == nil {
					model[key] = map[string]string{}
				}
				var field string
				switch r.IntN(3) {
				case 0:
					field = strconv.Itoa(r.IntN(40) - 20) // intset material
				case 1:
					field = "f" + strconv.Itoa(r.IntN(40))
				default:
					field = fmt.Sprintf("long-field-%d-%s", r.IntN(10), "xxxxxxxxxxxxxxxxxx"[:r.IntN(18)])
				}
				val := ""
				if typ == TypeHash {
					val = "v" + strconv.Itoa(i)
				}
				switch op := r.IntN(10); {
				case op == 0:
					// Several at once, some repeated.
					els := []Elem{{Field: []byte(field), Value: []byte(val)}, {Field: []byte("f" + strconv.Itoa(r.IntN(40))), Value: []byte(val + "b")},
						{Field: []byte(strconv.Itoa(r.IntN(60))), Value: []byte(val + "c")}, {Field: []byte(field), Value: []byte(val + "d")}}
					collWrite(s, key, func(tx Tx) {
						want := 0
						for _, el := range els {
							if _, had := model[key][string(el.Field)]; !had {
								want++
							} else if typ == TypeSet {
								continue
							}
							if typ == TypeHash {
								model[key][string(el.Field)] = string(el.Value)
							} else {
								model[key][string(el.Field)] = ""
							}
						}
						added, _, err := tx.PutMany([]byte(key), typ, PutReplace, els...)
						if err != nil || added != want {
							t.Fatalf("op %d: PutMany added %d %v, want %d", i, added, err, want)
						}
					})
				case op < 6:
					collWrite(s, key, func(tx Tx) {
						added, _, err := tx.Put([]byte(key), typ, Elem{Field: []byte(field), Value: []byte(val)}, PutReplace)
						if err != nil {
							t.Fatal(err)
						}
						_, had := model[key][field]
						if added == had {
							t.Fatalf("op %d: Put(%s, %s) added=%v, model had=%v", i, key, field, added, had)
						}
						if typ == TypeSet && had {
							return
						}
						model[key][field] = val
					})
				case op < 9:
					collWrite(s, key, func(tx Tx) {
						ok, _ := tx.Remove([]byte(key), typ, []byte(field))
						if _, had := model[key][field]; ok != had {
							t.Fatalf("op %d: Remove(%s, %s)=%v, model had=%v", i, key, field, ok, had)
						}
						delete(model[key], field)
					})
				default:
					collWrite(s, key, func(tx Tx) {
						if tx.Delete([]byte(key)) != (len(model[key]) > 0) {
							t.Fatalf("op %d: Delete(%s) disagrees with the model", i, key)
						}
						model[key] = map[string]string{}
					})
				}
				if i%1000 == 0 {
					checkColl(t, s, typ, model)
					checkInvariants(t, s)
				}
			}
			checkColl(t, s, typ, model)
			encs := map[string]bool{}
			for key := range model {
				withTx(s, []byte(key), false, func(tx Tx) { encs[enc(tx, key)] = true })
			}
			t.Logf("encodings seen at the end: %v", slices.Sorted(func(yield func(string) bool) {
				for e := range encs {
					if !yield(e) {
						return
					}
				}
			}))
			// Deleting everything gives back every hashtable.
			for key := range model {
				collWrite(s, key, func(tx Tx) { tx.Delete([]byte(key)) })
			}
			for i, sh := range s.shards {
				for h, b := range sh.big {
					if b != nil {
						t.Errorf("shard %d: hashtable %d still held after every key went", i, h)
					}
				}
			}
		})
	}
}

func TestCollectionEncodings(t *testing.T) {
	s, _ := newTestStore(t, Options{})
	put := func(key string, typ Type, f, v string) {
		collWrite(s, key, func(tx Tx) {
			if _, _, err := tx.Put([]byte(key), typ, Elem{Field: []byte(f), Value: []byte(v)}, PutReplace); err != nil {
				t.Fatal(err)
			}
		})
	}
	wantEnc := func(key, want string) {
		t.Helper()
		withTx(s, []byte(key), false, func(tx Tx) {
			if got := enc(tx, key); got != want {
				t.Errorf("%s: encoding %q, want %q", key, got, want)
			}
		})
	}
	put("s", TypeSet, "1", "")
	wantEnc("s", "intset")
	put("s", TypeSet, "100000", "")
	put("s", TypeSet, "-5000000000", "")
	wantEnc("s", "intset")
	withTx(s, []byte("s"), false, func(tx Tx) {
		var got []string
		tx.Elems([]byte("s"), TypeSet, func(el Elem) bool { got = append(got, string(el.Field)); return true })
		if want := []string{"-5000000000", "1", "100000"}; !slices.Equal(got, want) {
			t.Errorf("intset order %v, want %v", got, want)
		}
	})
	put("s", TypeSet, "a", "")
	wantEnc("s", "listpack")
	for i := range 200 {
		put("s", TypeSet, strconv.Itoa(i), "")
	}
	wantEnc("s", "hashtable")
	put("h", TypeHash, "f", "v")
	wantEnc("h", "listpack")
	collWrite(s, "h", func(tx Tx) { tx.SetElemExpire([]byte("h"), []byte("f"), tx.Now()+1000) })
	wantEnc("h", "listpackex")
	put("h", TypeHash, "big", string(make([]byte, 65)))
	wantEnc("h", "hashtable")
	set(s, "str", "12", 0)
	wantEnc("str", "int")
	// WRONGTYPE both ways.
	collWrite(s, "str", func(tx Tx) {
		if _, _, err := tx.Put([]byte("str"), TypeHash, Elem{Field: []byte("f")}, PutReplace); err != ErrWrongType {
			t.Errorf("Put on a string: %v", err)
		}
		if _, ok := tx.Get([]byte("h")); ok {
			t.Error("Get of a hash succeeded")
		}
		if _, _, wrong := tx.GetString([]byte("h")); !wrong {
			t.Error("GetString of a hash not wrong")
		}
	})
}

func TestFieldExpiryReclaimed(t *testing.T) {
	s, clock := newTestStore(t, Options{Shards: 1})
	// A small hash, a big one, each with a field that outlives the rest.
	for _, n := range []int{5, 500} {
		key := "h" + strconv.Itoa(n)
		collWrite(s, key, func(tx Tx) {
			for i := range n {
				f := []byte(strconv.Itoa(i))
				tx.Put([]byte(key), TypeHash, Elem{Field: f, Value: []byte("v")}, PutReplace)
				tx.SetElemExpire([]byte(key), f, tx.Now()+1000)
			}
		})
	}
	if got := s.shards[0].fieldTTLKeys.Load(); got != 2 {
		t.Fatalf("fieldTTLKeys %d, want 2", got)
	}
	clock.advance(1001)
	withTx(s, []byte("h5"), false, func(tx Tx) {
		if _, ok, _ := tx.Elem([]byte("h5"), TypeHash, []byte("1")); ok {
			t.Error("expired field visible")
		}
	})
	for i := 0; i < 1000 && s.DBSize() > 0; i++ {
		s.ExpireCycle(0, 1<<30)
	}
	if n := s.DBSize(); n != 0 {
		t.Fatalf("%d keys left after their last fields expired", n)
	}
	if got := s.shards[0].fieldTTLKeys.Load(); got != 0 {
		t.Fatalf("fieldTTLKeys %d, want 0", got)
	}
	checkInvariants(t, s)
}

func TestRenameAndCopyCollections(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 8})
	for i := range 300 {
		collWrite(s, "a", func(tx Tx) {
			tx.Put([]byte("a"), TypeSet, Elem{Field: []byte("m" + strconv.Itoa(i))}, PutNX)
		})
	}
	s.LockAll(true)
	tx := s.TxAll()
	if !tx.Copy([]byte("a"), []byte("b")) || !tx.Rename([]byte("a"), []byte("c")) {
		t.Fatal("copy or rename failed")
	}
	for _, k := range []string{"b", "c"} {
		if n, _ := tx.Len([]byte(k), TypeSet); n != 300 {
			t.Errorf("%s has %d members, want 300", k, n)
		}
	}
	if tx.Exists([]byte("a")) {
		t.Error("a survived its rename")
	}
	tx.Remove([]byte("b"), TypeSet, []byte("m1"))
	if _, ok, _ := tx.Elem([]byte("c"), TypeSet, []byte("m1")); !ok {
		t.Error("the copy shares members with the original")
	}
	s.UnlockAll(true)
	used := s.Used()
	s.LockAll(true)
	s.TxAll().Delete([]byte("b"))
	s.TxAll().Delete([]byte("c"))
	s.UnlockAll(true)
	if s.Used() >= used {
		t.Errorf("Used %d after deleting two big sets, was %d", s.Used(), used)
	}
	checkInvariants(t, s)
}

// TestCollectionOverwrittenAndEvicted: SET over a hashtable and eviction
// of collections give their memory back, and the shards' hashtables stay
// exactly those the keys refer to.
func TestCollectionOverwrittenAndEvicted(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 2, Limits: Limits{MaxMemory: 2 << 20, Policy: AllKeysLRU}})
	bigSet := func(key string, n int) {
		collWrite(s, key, func(tx Tx) {
			for i := range n {
				tx.Put([]byte(key), TypeSet, Elem{Field: []byte(fmt.Sprintf("member-%08d", i))}, PutNX)
			}
		})
	}
	bigSet("a", 1000)
	set(s, "a", "now a string", 0)
	checkInvariants(t, s)
	for i := range 400 {
		if err := s.Admit(-1); err != nil {
			t.Fatal(err)
		}
		bigSet("k"+strconv.Itoa(i), 300)
	}
	checkInvariants(t, s)
	if used := s.Used(); used > 3<<20 {
		t.Errorf("Used %d with maxmemory 2 MiB", used)
	}
	if s.EvictedKeys() == 0 {
		t.Error("nothing evicted")
	}
}

// TestHashFieldExpiryModel mixes writes, field expiries, clock moves and
// expiry cycles on small and big hashes, against a model that knows when
// each field expires.
func TestHashFieldExpiryModel(t *testing.T) {
	s, clock := newTestStore(t, Options{Shards: 2})
	s.SetCollLimits(CollLimits{HashMaxListpackEntries: 24, HashMaxListpackValue: 64,
		SetMaxIntsetEntries: 6, SetMaxListpackEntries: 6, SetMaxListpackValue: 64})
	type field struct {
		val string
		at  int64
	}
	model := map[string]map[string]field{}
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 30000 {
		key := "h" + strconv.Itoa(r.IntN(12))
		f := "f" + strconv.Itoa(r.IntN(12))
		if model[key] == nil {
			model[key] = map[string]field{}
		}
		now := clock.now()
		for k, fl := range model[key] {
			if fl.at != 0 && fl.at <= now {
				delete(model[key], k)
			}
		}
		switch op := r.IntN(10); {
		case op < 4:
			v := fmt.Sprintf("value-%040d", i) // long: purging expired fields shrinks a hash a lot
			collWrite(s, key, func(tx Tx) {
				tx.PutMany([]byte(key), TypeHash, PutKeepTTL, Elem{Field: []byte(f), Value: []byte(v)},
					Elem{Field: []byte(f + "x"), Value: []byte(v)})
			})
			model[key][f] = field{v, model[key][f].at}
			model[key][f+"x"] = field{v, model[key][f+"x"].at}
		case op < 6:
			at := now + int64(1+r.IntN(50))
			collWrite(s, key, func(tx Tx) {
				ok, _ := tx.SetElemExpire([]byte(key), []byte(f), at)
				if _, had := model[key][f]; ok != had {
					t.Fatalf("op %d: SetElemExpire(%s, %s) = %v, model has it: %v", i, key, f, ok, had)
				}
			})
			if fl, had := model[key][f]; had {
				model[key][f] = field{fl.val, at}
			}
		case op < 7:
			collWrite(s, key, func(tx Tx) { tx.Remove([]byte(key), TypeHash, []byte(f)) })
			delete(model[key], f)
		case op < 9:
			clock.advance(int64(r.IntN(20)))
		default:
			s.ExpireCycle(0, time.Second)
		}
		if i%500 == 0 {
			checkInvariants(t, s)
			now := clock.now()
			for key, fields := range model {
				withTx(s, []byte(key), false, func(tx Tx) {
					got := map[string]string{}
					tx.Elems([]byte(key), TypeHash, func(el Elem) bool { got[string(el.Field)] = string(el.Value); return true })
					want := 0
					for k, fl := range fields {
						if fl.at != 0 && fl.at <= now {
							continue
						}
						want++
						if got[k] != fl.val {
							t.Fatalf("op %d: %s.%s = %q, want %q", i, key, k, got[k], fl.val)
						}
					}
					if len(got) != want {
						t.Fatalf("op %d: %s has %d live fields, want %d", i, key, len(got), want)
					}
				})
			}
		}
	}
}

// TestWriteAfterPurgeMovesEntry: a write to a small hash first drops its
// expired fields, which can move the entry; the write must then go
// through the entry's new location, or it kills a stale one (found by
// bench/collbench -churn: a shard's chunk released with live entries).
func TestWriteAfterPurgeMovesEntry(t *testing.T) {
	s, clock := newTestStore(t, Options{Shards: 1})
	key := []byte("h")
	long := string(make([]byte, 60))
	collWrite(s, "h", func(tx Tx) {
		for i := range 20 {
			f := []byte("f" + strconv.Itoa(i))
			tx.Put(key, TypeHash, Elem{Field: f, Value: []byte(long)}, PutReplace)
			if i > 1 {
				tx.SetElemExpire(key, f, tx.Now()+10)
			}
		}
	})
	clock.advance(20)
	sh := s.shards[0]
	collWrite(s, "h", func(tx Tx) {
		_, h := tx.hashed(key)
		e, l, _ := sh.lookup(key, h, tx.now)
		ne, nl := sh.purgeSmall(key, h, l, e, tx.now)
		if at, _ := sh.find(key, h); nl != at || ne.size() >= e.size() {
			t.Fatalf("purgeSmall returned location %v, the index has %v (entry %d bytes, was %d)", nl, at, ne.size(), e.size())
		}
		tx.PutMany(key, TypeHash, PutReplace, Elem{Field: []byte("a"), Value: []byte(long)}, Elem{Field: []byte("b"), Value: []byte(long)})
	})
	checkInvariants(t, s)
	withTx(s, key, false, func(tx Tx) {
		if n, _ := tx.LiveLen(key, TypeHash); n != 4 {
			t.Errorf("%d live fields, want 4", n)
		}
	})
}
