package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

type mval struct {
	v  string
	at int64
}

func (m mval) live(now int64) bool { return m.at == 0 || m.at > now }

// workloadSize draws mostly small values, some of a few KiB, a few around
// bigEntry and rarely one larger than a chunk.
func workloadSize(r *rand.Rand) int {
	switch p := r.IntN(1000); {
	case p < 700:
		return r.IntN(200)
	case p < 900:
		return 200 + r.IntN(3000)
	case p < 985:
		return 3000 + r.IntN(bigEntry+1000-3000)
	default:
		return bigEntry + r.IntN(100<<10)
	}
}

// TestModel runs a long randomized workload (set, overwrite with a
// different size, delete, append, setrange, expire, clock steps and active
// expiry) against a plain map, checking every key, DBSize, Keys, the
// internal invariants and that the arena stays bounded.
func TestModel(t *testing.T) {
	cases := []struct {
		name  string
		o     Options
		keys  int
		ops   int
		check int
	}{
		{"shards=1", Options{Shards: 1}, 1500, 60000, 10000},
		{"shards=4", Options{Shards: 4}, 3000, 60000, 20000},
		{"shards=2/weakhash", Options{Shards: 2, Hash: weakHash(64)}, 800, 40000, 10000},
		{"shards=1/consthash", Options{Shards: 1, Hash: constHash}, 300, 30000, 10000},
	}
	for i := range cases {
		if testing.Short() || servertest.Race {
			cases[i].ops /= 4
		}
	}
	for ci, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newTestStore(t, tc.o)
			r := rand.New(rand.NewPCG(uint64(ci), 99))
			model := map[string]mval{}
			check := func() {
				t.Helper()
				now := c.now()
				// Drop what active expiry reclaimed from the model.
				for k, m := range model {
					if !m.live(now) {
						sh := s.shards[s.ShardOf([]byte(k))]
						sh.lock(false)
						_, ok := sh.find([]byte(k), sh.hash([]byte(k)))
						sh.unlock(false)
						if !ok {
							delete(model, k)
						}
					}
				}
				liveModel := map[string]string{}
				ttl := 0
				for k, m := range model {
					if m.live(now) {
						mustGet(t, s, k, m.v)
						liveModel[k] = m.v
					} else {
						mustMiss(t, s, k)
					}
					if m.at != 0 {
						ttl++
					}
				}
				if keys, exp := s.Keyspace(); keys != int64(len(model)) || exp != int64(ttl) {
					t.Fatalf("Keyspace = %d, %d; model %d, %d", keys, exp, len(model), ttl)
				}
				n := 0
				s.Tx().Keys(func(k []byte) {
					n++
					if _, ok := liveModel[string(k)]; !ok {
						t.Fatalf("Keys returned %q, not live in the model", k)
					}
				})
				if n != len(liveModel) {
					t.Fatalf("Keys returned %d, model has %d live", n, len(liveModel))
				}
				checkInvariants(t, s)
				live, arena := s.UsedBytes()
				if bound := 2*live + int64(s.Shards())*maxChunkSize; arena > bound {
					t.Fatalf("arena %d > 2*live %d + shards*chunk", arena, live)
				}
			}
			for op := range tc.ops {
				k := fmt.Sprint("k", r.IntN(tc.keys))
				now := c.now()
				m, exists := model[k]
				if exists && !m.live(now) {
					// Every write path below treats an expired key as absent.
					exists = false
				}
				switch p := r.IntN(100); {
				case p < 55:
					v := randValue(r, workloadSize(r))
					var at int64
					if r.IntN(10) == 0 {
						at = now + 1 + r.Int64N(5000)
					}
					set(s, k, v, at)
					model[k] = mval{v, at}
				case p < 65:
					got := del(s, k)
					if got != exists {
						t.Fatalf("op %d: Delete(%s) = %v, want %v", op, k, got, exists)
					}
					delete(model, k)
				case p < 75:
					d := randValue(r, r.IntN(400))
					n := appendTo(s, k, d)
					if exists {
						m.v += d
					} else {
						m = mval{v: d}
					}
					model[k] = m
					if n != len(m.v) {
						t.Fatalf("op %d: Append = %d, want %d", op, n, len(m.v))
					}
				case p < 82:
					off := r.IntN(3000)
					d := randValue(r, 1+r.IntN(300))
					n := setRange(s, k, off, d)
					old := ""
					if exists {
						old = m.v
					} else {
						m = mval{}
					}
					if len(old) < off+len(d) {
						old += strings.Repeat("\x00", off+len(d)-len(old))
					}
					m.v = old[:off] + d + old[off+len(d):]
					model[k] = m
					if n != len(m.v) {
						t.Fatalf("op %d: SetRange = %d, want %d", op, n, len(m.v))
					}
				case p < 88:
					var at int64
					switch r.IntN(3) {
					case 0:
						at = now - r.Int64N(10) // deletes
					case 1:
						at = now + 1 + r.Int64N(3000)
					}
					got := setExpire(s, k, at)
					if got != exists {
						t.Fatalf("op %d: SetExpire(%s) = %v, want %v", op, k, got, exists)
					}
					if exists {
						if at != 0 && at <= now {
							delete(model, k)
						} else {
							m.at = at
							model[k] = m
						}
					}
				case p < 98:
					if exists {
						mustGet(t, s, k, m.v)
					} else {
						mustMiss(t, s, k)
					}
				case p < 99:
					c.advance(r.Int64N(200))
				default:
					s.ExpireCycle(r.IntN(s.Shards()), time.Second)
				}
				if (op+1)%tc.check == 0 {
					check()
				}
			}
			check()
			// Delete everything: the arena must come back down.
			for k := range model {
				del(s, k)
			}
			if live, arena := s.UsedBytes(); live != 0 || arena > int64(s.Shards())*maxChunkSize {
				t.Fatalf("after deleting every key: live %d, arena %d", live, arena)
			}
			checkInvariants(t, s)
		})
	}
}

// A hot key rewritten with changing sizes fills chunks with its dead
// copies; the cold keys written in between must not pin those chunks.
func TestCompactionHotKey(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 1})
	r := rand.New(rand.NewPCG(5, 6))
	model := map[string]string{}
	for i := range 30000 {
		v := randValue(r, 100+900*(i%2))
		set(s, "hot", v, 0)
		model["hot"] = v
		if i%100 == 0 {
			k := fmt.Sprint("cold", i)
			set(s, k, "c", 0)
			model[k] = "c"
		}
	}
	live, arena := s.UsedBytes()
	if bound := 2*live + maxChunkSize; arena > bound {
		t.Fatalf("arena %d bytes for %d live bytes (bound %d)", arena, live, bound)
	}
	checkModel(t, s, model)
}

// Keys deleted soon after they were written die while their chunk is
// still the tail; the chunk must still be compacted once it is sealed,
// not pinned for ever by the few keys that stay.
func TestCompactionShortLivedKeys(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 1})
	model := map[string]string{}
	for i := range 20000 {
		k := fmt.Sprint("k", i)
		v := strings.Repeat("v", 300)
		set(s, k, v, 0)
		model[k] = v
		if i%10 != 0 {
			del(s, k)
			delete(model, k)
		}
	}
	live, arena := s.UsedBytes()
	if bound := 2*live + maxChunkSize; arena > bound {
		t.Fatalf("arena %d bytes for %d live bytes (bound %d)", arena, live, bound)
	}
	checkModel(t, s, model)
}

// Large values interleaved with small ones seal the tail chunk early; the
// wasted space must be reclaimed.
func TestCompactionBigInterleaved(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 1})
	r := rand.New(rand.NewPCG(7, 8))
	model := map[string]string{}
	for i := range 400 {
		k := fmt.Sprint("small", i)
		model[k] = randValue(r, 50)
		set(s, k, model[k], 0)
		v := randValue(r, bigEntry+r.IntN(1000))
		set(s, "big", v, 0)
		model["big"] = v
	}
	live, arena := s.UsedBytes()
	if bound := 2*live + maxChunkSize; arena > bound {
		t.Fatalf("arena %d bytes for %d live bytes (bound %d)", arena, live, bound)
	}
	checkModel(t, s, model)
}

// The same value rewritten in place never allocates.
func TestOverwriteInPlaceNoGrowth(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 1})
	set(s, "k", strings.Repeat("a", 100), 0)
	_, arena := s.UsedBytes()
	seq := s.shards[0].nextSeq
	for i := range 10000 {
		set(s, "k", strings.Repeat(string(rune('a'+i%26)), 60+i%41), 0)
	}
	if _, a := s.UsedBytes(); a != arena || s.shards[0].nextSeq != seq {
		t.Fatalf("in-place overwrites grew the arena: %d -> %d", arena, a)
	}
	mustGet(t, s, "k", strings.Repeat(string(rune('a'+9999%26)), 60+9999%41))
}
