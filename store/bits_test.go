package store

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestEditStringAgainstModel drives EditString with random in-place
// edits, growths, shrinks and replacements (the shapes SETBIT, BITFIELD
// and PFADD produce) mixed with SET, DEL and expiries, on small chunks so
// that relocation and compaction happen, and checks values, expiries,
// change-hook calls and the store's invariants against a model.
func TestEditStringAgainstModel(t *testing.T) {
	s, clk := newTestStore(t, Options{Shards: 2})
	var hooked map[string]int
	s.SetChangeHook(func(_ int, key []byte, c Change) {
		if hooked != nil && c == Written {
			hooked[string(key)]++
		}
	})
	r := rand.New(rand.NewPCG(5, 6))
	model := map[string][]byte{}
	ttl := map[string]int64{}
	for i := range 20000 {
		key := "k" + strconv.Itoa(r.IntN(40))
		kb := []byte(key)
		hooked = map[string]int{}
		switch op := r.IntN(20); {
		case op == 0:
			set(s, key, "v"+strconv.Itoa(i), 0)
			model[key] = []byte("v" + strconv.Itoa(i))
			delete(ttl, key)
		case op == 1:
			del(s, key)
			delete(model, key)
			delete(ttl, key)
		case op == 2:
			if _, ok := model[key]; ok {
				at := clk.now() + 1000000
				setExpire(s, key, at)
				ttl[key] = at
			}
		default:
			minLen := r.IntN(300)
			if r.IntN(50) == 0 {
				minLen = 20000 + r.IntN(20000) // past a chunk
			}
			create := r.IntN(4) != 0
			mode := r.IntN(5)
			pos := r.Int()
			var existed bool
			var err error
			withTx(s, kb, true, func(tx Tx) {
				existed, err = tx.EditString(kb, minLen, create, func(v []byte, oldLen int) ([]byte, bool) {
					ex := oldLen >= 0
					want, had := model[key]
					if had && oldLen != len(want) {
						t.Fatalf("op %d: oldLen %d, want %d", i, oldLen, len(want))
					}
					if ex != had {
						t.Fatalf("op %d: existed %v, model %v", i, ex, had)
					}
					padded := append(bytes.Clone(want), make([]byte, max(0, minLen-len(want)))...)
					if !bytes.Equal(v, padded) {
						t.Fatalf("op %d: %s value %d bytes, want %d", i, key, len(v), len(padded))
					}
					switch mode {
					case 0: // read only
						model[key] = padded
						return v, false
					case 1: // flip one byte in place
						if len(v) == 0 {
							model[key] = padded
							return v, false
						}
						v[pos%len(v)] ^= 0xff
						model[key] = bytes.Clone(v)
						return v, true
					case 2: // grow within capacity if possible, else a new slice
						nv := append(v, byte(i), byte(i>>8), 7)
						model[key] = bytes.Clone(nv)
						return nv, true
					case 3: // shrink
						nv := v[:len(v)/2]
						model[key] = bytes.Clone(nv)
						return nv, true
					default: // replace with a bigger value
						nv := bytes.Repeat([]byte{byte(i)}, len(v)+100+pos%3000)
						model[key] = bytes.Clone(nv)
						return nv, true
					}
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			_, had := model[key]
			if !create && !existed && had {
				t.Fatalf("op %d: fn called for a missing key without create", i)
			}
			wrote := (!existed && create) || mode != 0 && had
			if wrote && hooked[key] == 0 {
				t.Fatalf("op %d: %s changed without the hook hearing", i, key)
			}
		}
		if i%1000 == 0 {
			for k, v := range model {
				mustGet(t, s, k, string(v))
				if _, at, _ := lookup(s, k); at != ttl[k] {
					t.Fatalf("%s: expiry %d, want %d", k, at, ttl[k])
				}
			}
			checkInvariants(t, s)
		}
	}
	m := map[string]string{}
	for k, v := range model {
		m[k] = string(v)
	}
	checkModel(t, s, m)
}

func TestEditStringWrongTypeAndWatch(t *testing.T) {
	s, _ := newTestStore(t, Options{})
	key := []byte("h")
	withTx(s, key, true, func(tx Tx) {
		tx.PutMany(key, TypeHash, PutKeepTTL, Elem{Field: []byte("f"), Value: []byte("v")})
		called := false
		if _, err := tx.EditString(key, 10, true, func(v []byte, _ int) ([]byte, bool) { called = true; return v, true }); err != ErrWrongType || called {
			t.Fatal("EditString on a hash", err, called)
		}
	})
	w := s.Watch([]byte("s"))
	defer s.Unwatch(w)
	withTx(s, []byte("s"), true, func(tx Tx) {
		tx.EditString([]byte("s"), 0, false, func(v []byte, _ int) ([]byte, bool) { t.Fatal("called"); return v, false })
		if tx.Changed(w) {
			t.Fatal("a missing key's no-op edit dirtied the watch")
		}
		tx.EditString([]byte("s"), 4, true, func(v []byte, _ int) ([]byte, bool) { return v, false })
		if !tx.Changed(w) {
			t.Fatal("creating the key did not dirty the watch")
		}
		if v, ok := tx.Get([]byte("s")); !ok || string(v) != "\x00\x00\x00\x00" {
			t.Fatalf("%q", v)
		}
	})
}

func BenchmarkEditStringInPlace(b *testing.B) {
	s, _ := newTestStore(b, Options{})
	key := []byte("bitmap")
	withTx(s, key, true, func(tx Tx) { tx.Set(key, make([]byte, 1<<20), 0) })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		withTx(s, key, true, func(tx Tx) {
			tx.EditString(key, 0, true, func(v []byte, _ int) ([]byte, bool) { v[i&(1<<20-1)] ^= 1; return v, true })
		})
	}
}
