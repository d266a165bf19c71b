package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

func scanAll(s *Store, count int) (keys []string, calls int) {
	for cur := uint64(0); ; {
		cur = s.Tx().Scan(cur, count, func(k []byte) { keys = append(keys, string(k)) })
		calls++
		if cur == 0 {
			return keys, calls
		}
	}
}

func TestScanQuiet(t *testing.T) {
	for _, shards := range []int{1, 4, 64} {
		s, _ := newTestStore(t, Options{Shards: shards})
		if keys, calls := scanAll(s, 10); len(keys) != 0 || calls != 1 {
			t.Fatalf("Scan of an empty store: %d keys in %d calls", len(keys), calls)
		}
		want := map[string]bool{}
		for i := range 2000 {
			k := fmt.Sprint("key:", i)
			set(s, k, strings.Repeat("x", i%500), 0)
			want[k] = true
		}
		for _, count := range []int{1, 3, 10, 1000, 5000} {
			got := map[string]int{}
			for cur := uint64(0); ; {
				n := 0
				cur = s.Tx().Scan(cur, count, func(k []byte) { got[string(k)]++; n++ })
				// COUNT is a hint: a call returns whole probe runs, as
				// Redis returns whole hash buckets.
				if n > count+256 {
					t.Fatalf("Scan returned %d keys for count %d", n, count)
				}
				if cur == 0 {
					break
				}
			}
			// Nothing moved: every key exactly once.
			if len(got) != len(want) {
				t.Fatalf("shards=%d count=%d: %d keys, want %d", shards, count, len(got), len(want))
			}
			for k, n := range got {
				if !want[k] || n != 1 {
					t.Fatalf("key %q returned %d times", k, n)
				}
			}
		}
	}
}

// TestScanGuarantee interleaves Scan calls with writes that relocate,
// compact, delete and insert, and with bursts that grow and shrink the
// index tables: every key present for the whole iteration must be
// returned, and nothing that never existed.
func TestScanGuarantee(t *testing.T) {
	cases := []struct {
		name string
		o    Options
	}{
		{"shards=1", Options{Shards: 1}},
		{"shards=4", Options{Shards: 4}},
		{"shards=2/weakhash", Options{Shards: 2, Hash: weakHash(16)}},
	}
	for ci, tc := range cases {
		for _, count := range []int{1, 5, 20} {
			t.Run(fmt.Sprintf("%s/count=%d", tc.name, count), func(t *testing.T) {
				s, _ := newTestStore(t, tc.o)
				r := rand.New(rand.NewPCG(uint64(ci), uint64(count)))
				stable, churn, burst := 2000, 2000, 3000
				if servertest.Race && tc.o.Hash != nil {
					// Every lookup walks the one long probe run, which
					// the race detector slows most; fewer keys fill it.
					stable, churn, burst = 500, 500, 750
				}
				for i := range stable {
					set(s, fmt.Sprint("s:", i), randValue(r, r.IntN(400)), 0)
				}
				for i := range churn {
					set(s, fmt.Sprint("c:", i), randValue(r, r.IntN(400)), 0)
				}
				resizes := func() (n int) {
					for _, sh := range s.shards {
						n += sh.idx.resizes
					}
					return n
				}
				resizesBefore := resizes()
				before := map[string]int{}
				for i := range stable {
					k := fmt.Sprint("s:", i)
					before[k] = slotOf(s, k)
				}
				seen := map[string]bool{}
				calls, bursts := 0, 0
				for cur := uint64(0); ; {
					cur = s.Tx().Scan(cur, count, func(k []byte) {
						key := string(k)
						if !strings.HasPrefix(key, "s:") && !strings.HasPrefix(key, "c:") && !strings.HasPrefix(key, "b:") {
							t.Fatalf("Scan returned %q", key)
						}
						seen[key] = true
					})
					calls++
					if cur == 0 {
						break
					}
					if calls > 100000 {
						t.Fatal("Scan does not finish")
					}
					// Every so often a burst of keys comes or goes, which
					// grows or shrinks the index tables.
					if calls%(200/count) == 0 {
						bursts++
						for i := range burst {
							if k := fmt.Sprint("b:", i); bursts%2 == 1 {
								set(s, k, "x", 0)
							} else {
								del(s, k)
							}
						}
					}
					// Writes between calls, about one per 8 keys returned:
					// stable keys change size (and so move in the arena);
					// churn keys come and go, which shifts stable keys'
					// index slots back.
					if calls%max(1, 16/count) != 0 {
						continue
					}
					for range max(1, count/8) {
						set(s, fmt.Sprint("s:", r.IntN(stable)), randValue(r, r.IntN(300)), 0)
						k := fmt.Sprint("c:", r.IntN(churn))
						if r.IntN(3) == 0 {
							del(s, k)
						} else {
							set(s, k, randValue(r, r.IntN(4000)), 0)
						}
					}
				}
				for i := range stable {
					if k := fmt.Sprint("s:", i); !seen[k] {
						t.Fatalf("Scan missed %q, present for the whole iteration (%d calls)", k, calls)
					}
				}
				moved := 0
				for i := range stable {
					if k := fmt.Sprint("s:", i); slotOf(s, k) != before[k] {
						moved++
					}
				}
				n := resizes() - resizesBefore
				// With a weak hash every key shares one probe run, which
				// one call returns whole: nothing can move under it.
				if tc.o.Hash == nil && (moved < stable/16 || n < 1) {
					t.Fatalf("only %d of %d stable keys changed index slot and tables were resized %d times during the scan: the test is too weak", moved, stable, n)
				}
				t.Logf("%d calls, %d of %d stable keys changed index slot, %d table resizes", calls, moved, stable, n)
				checkInvariants(t, s)
			})
		}
	}
}

// TestScanConcurrent scans while other goroutines write, each through its
// shard's lock, as the server does. The writers stop after a fixed number
// of writes, so every scan finishes however the goroutines are scheduled.
func TestScanConcurrent(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 4})
	const stable, writers, writes = 500, 4, 3000
	for i := range stable {
		set(s, fmt.Sprint("s:", i), strings.Repeat("v", i%200), 0)
	}
	var wg sync.WaitGroup
	for g := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for i := range writes {
				set(s, fmt.Sprint("s:", r.IntN(stable)), randValue(r, r.IntN(600)), 0)
				k := fmt.Sprint("c:", g, ":", r.IntN(300))
				if i%3 == 0 {
					del(s, k)
				} else {
					set(s, k, randValue(r, r.IntN(1500)), 0)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for scans, finished := 0, false; scans < 3 || !finished; scans++ {
		select {
		case <-done:
			finished = true
		default:
		}
		seen := map[string]bool{}
		for cur := uint64(0); ; {
			cur = s.Tx().Scan(cur, 5, func(k []byte) { seen[string(k)] = true })
			if cur == 0 {
				break
			}
		}
		for i := range stable {
			if k := fmt.Sprint("s:", i); !seen[k] {
				t.Fatalf("Scan missed %q", k)
			}
		}
	}
	checkInvariants(t, s)
}

// A cursor is client input: any value must be safe, never a panic.
func TestScanBadCursor(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 2})
	r := rand.New(rand.NewPCG(1, 1))
	for i := range 3000 {
		set(s, fmt.Sprint("k", i), randValue(r, r.IntN(100)), 0)
	}
	set(s, "big", randValue(r, 100<<10), 0)
	if cur := s.Tx().Scan(uint64(5)<<48, 10, func([]byte) {}); cur != 0 {
		t.Fatalf("cursor past the last shard: got %d, want 0", cur)
	}
	if cur := s.Tx().Scan(^uint64(0), 10, func([]byte) {}); cur != 0 {
		t.Fatalf("cursor ^0: got %d, want 0", cur)
	}
	try := func(cur uint64) {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("Scan(%#x) panicked: %v", cur, p)
			}
		}()
		for n := 0; cur != 0 && n < 3; n++ {
			cur = s.Tx().Scan(cur, 10, func([]byte) {})
		}
	}
	for range 5000 {
		try(r.Uint64() & (1<<49 - 1))
	}
	for range 2000 {
		try(r.Uint64())
	}
}

// slotOf returns the position of key's index slot, to tell whether it moved.
func slotOf(s *Store, key string) int {
	sh := s.shards[s.ShardOf([]byte(key))]
	sh.lock(false)
	defer sh.unlock(false)
	i, _, _ := sh.findSlot([]byte(key), sh.hash([]byte(key)))
	return i
}

// locOf returns where key's entry is, to tell whether it moved.
func locOf(s *Store, key string) loc {
	sh := s.shards[s.ShardOf([]byte(key))]
	sh.lock(false)
	defer sh.unlock(false)
	l, _ := sh.find([]byte(key), sh.hash([]byte(key)))
	return l
}
