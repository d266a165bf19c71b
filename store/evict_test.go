package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// admitSet is a write as the server makes it: Admit, then Set.
func admitSet(s *Store, key, val string, expireAt int64) error {
	if err := s.Admit(-1); err != nil {
		return err
	}
	set(s, key, val, expireAt)
	return nil
}

func TestParsePolicy(t *testing.T) {
	for i, name := range PolicyNames() {
		p, ok := ParsePolicy(name)
		if !ok || p != Policy(i) || p.String() != name {
			t.Fatalf("ParsePolicy(%q) = %v %v", name, p, ok)
		}
	}
	if _, ok := ParsePolicy("allkeys-lru "); ok {
		t.Fatal("ParsePolicy accepted a bad name")
	}
}

// TestEvictionStaysUnderLimit fills a store far past maxmemory under each
// evicting policy: after every admitted write the store is within one
// write of the limit, keys are evicted, and the accounting matches.
func TestEvictionStaysUnderLimit(t *testing.T) {
	const limit = 1 << 20
	for _, p := range []Policy{AllKeysS3FIFO, AllKeysLRU, AllKeysLFU, AllKeysRandom, VolatileLRU, VolatileLFU, VolatileRandom, VolatileTTL} {
		t.Run(p.String(), func(t *testing.T) {
			s, c := newTestStore(t, Options{Shards: 4, Limits: Limits{MaxMemory: limit, Policy: p}})
			r := rand.New(rand.NewPCG(1, uint64(p)))
			n := int64(40000)
			if servertest.Race {
				n = 20000 // still three times what the limit holds
			}
			for i := range n {
				if i%1000 == 0 {
					c.advance(1000)
				}
				if err := admitSet(s, fmt.Sprint("key:", i), randValue(r, 100), c.now()+3600_000); err != nil {
					t.Fatalf("write %d: %v", i, err)
				}
				if used := s.Used(); used > limit+64<<10 {
					t.Fatalf("write %d: used %d, limit %d", i, used, limit)
				}
				if i%5000 == 0 {
					checkInvariants(t, s)
				}
			}
			keys := s.DBSize()
			if s.EvictedKeys() == 0 || keys >= n || keys+s.EvictedKeys() != n {
				t.Fatalf("keys %d + evicted %d != %d written", keys, s.EvictedKeys(), n)
			}
			live, _ := s.UsedBytes()
			t.Logf("%s: %d keys held (%.0f%% of the limit live), %d evicted", p, keys, 100*float64(live)/limit, s.EvictedKeys())
			if live < limit/2 {
				t.Fatalf("only %d live bytes under a limit of %d", live, limit)
			}
			checkInvariants(t, s)
			s.Tx().Flush()
			if s.Used() != 0 {
				t.Fatalf("Used after FLUSH = %d", s.Used())
			}
		})
	}
}

func TestNoEvictionRefusesWrites(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 2, Limits: Limits{MaxMemory: 256 << 10, Policy: NoEviction}})
	var i int
	var err error
	for i = 0; i < 100000 && err == nil; i++ {
		err = admitSet(s, fmt.Sprint("k", i), strings.Repeat("v", 100), 0)
	}
	if !errors.Is(err, ErrOOM) || err.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
		t.Fatalf("after %d writes: %v", i, err)
	}
	if s.DBSize() != int64(i-1) || s.EvictedKeys() != 0 {
		t.Fatalf("noeviction lost keys: %d held, %d written, %d evicted", s.DBSize(), i-1, s.EvictedKeys())
	}
	// Deleting makes room again.
	for j := range i / 2 {
		del(s, fmt.Sprint("k", j))
	}
	if err := s.Admit(-1); err != nil {
		t.Fatalf("Admit after deleting half: %v", err)
	}
	// Raising the limit at run time does too.
	s.SetLimits(Limits{Policy: s.Limits().Policy})
	if err := admitSet(s, "more", "v", 0); err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, s)
}

// The volatile policies evict only keys with a TTL, and refuse writes once
// only keys without one are left.
func TestVolatileSparesKeysWithoutTTL(t *testing.T) {
	for _, p := range []Policy{VolatileLRU, VolatileLFU, VolatileRandom, VolatileTTL} {
		t.Run(p.String(), func(t *testing.T) {
			s, c := newTestStore(t, Options{Shards: 2, Limits: Limits{MaxMemory: 512 << 10, Policy: p}})
			var err error
			i := 0
			for ; i < 100000 && err == nil; i++ {
				var at int64
				if i%2 == 0 {
					at = c.now() + 3600_000
				}
				err = admitSet(s, fmt.Sprint("k", i), strings.Repeat("v", 100), at)
			}
			if !errors.Is(err, ErrOOM) {
				t.Fatalf("writes never refused: %v", err)
			}
			for j := 1; j < i-1; j += 2 {
				if _, ok := get(s, fmt.Sprint("k", j)); !ok {
					t.Fatalf("%s evicted k%d, which has no TTL", p, j)
				}
			}
			if _, ttl := s.Keyspace(); ttl != 0 {
				t.Fatalf("%d keys with a TTL left, yet writes refused", ttl)
			}
			checkInvariants(t, s)
		})
	}
}

func TestVolatileTTLEvictsSoonestFirst(t *testing.T) {
	s, c := newTestStore(t, Options{Shards: 1, Limits: Limits{MaxMemory: 512 << 10, Policy: VolatileTTL, Samples: 10}})
	// Keys expiring late, then keys expiring soon, then more writes.
	for i := range 1000 {
		set(s, fmt.Sprint("late", i), strings.Repeat("v", 100), c.now()+10_000_000)
	}
	for i := range 1000 {
		set(s, fmt.Sprint("soon", i), strings.Repeat("v", 100), c.now()+60_000)
	}
	for i := range 3000 {
		if err := admitSet(s, fmt.Sprint("new", i), strings.Repeat("v", 100), c.now()+5_000_000); err != nil {
			t.Fatal(err)
		}
	}
	late, soon := 0, 0
	for i := range 1000 {
		if _, ok := get(s, fmt.Sprint("late", i)); ok {
			late++
		}
		if _, ok := get(s, fmt.Sprint("soon", i)); ok {
			soon++
		}
	}
	if soon >= late/2 {
		t.Fatalf("volatile-ttl kept %d soon-expiring keys and %d late ones", soon, late)
	}
}

// hotSurvival writes a stream of new keys while reading a hot set, and
// returns the share of the hot set still held at the end.
func hotSurvival(t *testing.T, p Policy) float64 {
	s, c := newTestStore(t, Options{Shards: 4, Limits: Limits{MaxMemory: 1 << 20, Policy: p, Samples: 5}})
	const hot = 200
	r := rand.New(rand.NewPCG(3, 4))
	for i := range hot {
		set(s, fmt.Sprint("hot", i), strings.Repeat("h", 100), 0)
	}
	writes := 60000
	if servertest.Race {
		writes = 30000 // still turns the 1 MB over several times
	}
	for i := range writes {
		if i%200 == 0 {
			c.advance(1000) // LRU's clock counts seconds
		}
		get(s, fmt.Sprint("hot", r.IntN(hot)))
		if err := admitSet(s, fmt.Sprint("cold", i), strings.Repeat("c", 100), 0); err != nil {
			t.Fatal(err)
		}
	}
	held := 0
	for i := range hot {
		if _, ok := get(s, fmt.Sprint("hot", i)); ok {
			held++
		}
	}
	checkInvariants(t, s)
	return float64(held) / hot
}

// Keys read often survive a scan of keys read once, under the policies
// that track use; allkeys-random keeps about its share.
func TestEvictionKeepsHotKeys(t *testing.T) {
	for _, p := range []Policy{AllKeysS3FIFO, AllKeysLRU, AllKeysLFU} {
		if got := hotSurvival(t, p); got < 0.9 {
			t.Errorf("%s kept %.0f%% of the hot keys", p, 100*got)
		} else {
			t.Logf("%s kept %.0f%% of the hot keys", p, 100*got)
		}
	}
	if got := hotSurvival(t, AllKeysRandom); got > 0.5 {
		t.Errorf("allkeys-random kept %.0f%% of the hot keys: the test does not tell policies apart", 100*got)
	}
}

// S3-FIFO: a key evicted from the small FIFO and written again while the
// ghost table remembers it goes straight to the main FIFO.
func TestS3FIFOGhostAdmitsToMain(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 1, Limits: Limits{MaxMemory: 256 << 10, Policy: AllKeysS3FIFO}})
	for i := 0; ; i++ {
		if err := admitSet(s, fmt.Sprint("k", i), strings.Repeat("v", 100), 0); err != nil {
			t.Fatal(err)
		}
		if s.EvictedKeys() > 0 {
			break
		}
	}
	sh := s.shards[0]
	var victim string
	for i := 0; victim == ""; i++ {
		if _, ok := get(s, fmt.Sprint("k", i)); !ok {
			victim = fmt.Sprint("k", i)
		}
	}
	set(s, victim, "back", 0)
	l := locOf(s, victim)
	if log := sh.chunks[l.slot()].log; log != logMain {
		t.Fatalf("%s came back into log %d, want the main FIFO", victim, log)
	}
	set(s, "brand-new", "x", 0)
	if log := sh.chunks[locOf(s, "brand-new").slot()].log; log != logSmall {
		t.Fatalf("a new key went to log %d, want the small FIFO", log)
	}
}

// Changing the policy and the limit at run time takes effect at once.
func TestPolicyChangeAtRunTime(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 2, Limits: Limits{Policy: AllKeysS3FIFO}})
	for i := range 20000 {
		set(s, fmt.Sprint("k", i), strings.Repeat("v", 100), 0)
	}
	s.SetLimits(Limits{MaxMemory: s.Used() / 2, Policy: AllKeysLRU})
	if err := s.Admit(-1); err != nil {
		t.Fatal(err)
	}
	if s.Used() > s.Limits().MaxMemory {
		t.Fatalf("Used %d over the new limit %d", s.Used(), s.Limits().MaxMemory)
	}
	checkInvariants(t, s)
	s.SetLimits(Limits{MaxMemory: s.Used() / 2, Policy: AllKeysS3FIFO})
	if err := s.Admit(-1); err != nil {
		t.Fatal(err)
	}
	if s.Used() > s.Limits().MaxMemory {
		t.Fatalf("Used %d over the new limit %d", s.Used(), s.Limits().MaxMemory)
	}
	checkInvariants(t, s)
}

// TestChurnStaysBounded runs a write load with random sizes and TTLs,
// deletes and overwrites against a full store, as long as it takes to
// turn the keyspace over several times: used memory stays at the limit,
// the heap does not grow once the store is full (nothing leaks: chunk
// slots, FIFO queues, index and ghost tables are reused), and the
// accounting stays exact.
func TestChurnStaysBounded(t *testing.T) {
	const limit = 8 << 20
	for _, p := range []Policy{AllKeysS3FIFO, AllKeysLRU, VolatileTTL} {
		t.Run(p.String(), func(t *testing.T) {
			s, c := newTestStore(t, Options{Shards: 8, Limits: Limits{MaxMemory: limit, Policy: p}})
			r := rand.New(rand.NewPCG(7, uint64(p)))
			churn := func(ops int) {
				for i := range ops {
					c.advance(1)
					k := fmt.Sprint("key:", r.IntN(200000))
					switch x := r.IntN(20); {
					case x == 0:
						del(s, k)
					case x == 1:
						appendTo(s, k, randValue(r, r.IntN(300)))
					default:
						var at int64
						if r.IntN(2) == 0 || p == VolatileTTL {
							at = c.now() + 1 + r.Int64N(20000)
						}
						if err := admitSet(s, k, randValue(r, 10+r.IntN(2000)), at); err != nil {
							t.Fatal(err)
						}
					}
					if i%2000 == 0 {
						s.ExpireCycle(0, time.Millisecond)
						if used := s.Used(); used > limit+128<<10 {
							t.Fatalf("used %d over the limit %d", used, limit)
						}
					}
				}
			}
			heap := func() uint64 {
				var m runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&m)
				return m.HeapAlloc
			}
			fill, turn := 60000, 200000
			if servertest.Race {
				fill, turn = 20000, 40000
			}
			churn(fill) // fills the store and turns it over
			full := heap()
			churn(turn)
			after := heap()
			if after > full+2<<20 {
				t.Fatalf("heap grew from %d to %d bytes under churn at a fixed limit", full, after)
			}
			t.Logf("%s: heap %d -> %d bytes, %d keys, %d evicted, %d expired", p, full, after, s.DBSize(), s.EvictedKeys(), s.ExpiredKeys())
			if s.EvictedKeys() == 0 || s.ExpiredKeys() == 0 {
				t.Fatal("the churn neither evicted nor expired: the test is too weak")
			}
			checkInvariants(t, s)
		})
	}
}
