package store

import (
	"fmt"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// Limits reads back what New and SetLimits were given, with Samples 0
// meaning DefaultSamples.
func TestLimitsRoundTrip(t *testing.T) {
	s, _ := newTestStore(t, Options{})
	if got, want := s.Limits(), (Limits{Policy: NoEviction, Samples: DefaultSamples}); got != want {
		t.Fatalf("New's Limits() = %+v, want %+v", got, want)
	}
	l := Limits{MaxMemory: 1 << 30, Policy: AllKeysLFU, Samples: 7}
	s.SetLimits(l)
	if got := s.Limits(); got != l {
		t.Fatalf("Limits() = %+v, want %+v", got, l)
	}
	s.SetLimits(Limits{Policy: VolatileTTL})
	if got, want := s.Limits(), (Limits{Policy: VolatileTTL, Samples: DefaultSamples}); got != want {
		t.Fatalf("Limits() = %+v, want %+v", got, want)
	}
	if _, err := New(Options{Limits: Limits{Policy: Policy(len(policyNames))}}); err == nil {
		t.Fatal("New accepted an unknown policy")
	}
}

// A limit lowered below what is used is enforced at once, in the
// background: SetLimits returns even when its caller holds every shard's
// lock, as CONFIG SET inside an EXEC may, and the store is under the new
// limit once the locks are released, without a write calling Admit.
func TestSetLimitsBelowUsedEvicts(t *testing.T) {
	for _, p := range []Policy{AllKeysS3FIFO, AllKeysLRU} {
		t.Run(p.String(), func(t *testing.T) {
			s, _ := newTestStore(t, Options{Shards: 4, Limits: Limits{Policy: p}})
			for i := range 20000 {
				set(s, fmt.Sprint("k", i), strings.Repeat("v", 100), 0)
			}
			limit := s.Used() / 2
			s.LockAll(true)
			s.SetLimits(Limits{MaxMemory: limit, Policy: p})
			s.UnlockAll(true)
			for deadline := time.Now().Add(10 * time.Second); s.Used() > limit; time.Sleep(time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("Used %d still over the new limit %d", s.Used(), limit)
				}
			}
			if s.EvictedKeys() == 0 {
				t.Fatal("nothing evicted")
			}
			checkInvariants(t, s)
		})
	}
}

// With GoMemoryLimit, the runtime's soft limit follows MaxMemory.
func TestGoMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	s, _ := newTestStore(t, Options{GoMemoryLimit: true, Limits: Limits{MaxMemory: 1 << 30}})
	if got, want := debug.SetMemoryLimit(-1), goMemoryLimit(1<<30); got != want {
		t.Fatalf("runtime memory limit %d after New, want %d", got, want)
	}
	s.SetLimits(Limits{})
	if got, want := debug.SetMemoryLimit(-1), goMemoryLimit(0); got != want {
		t.Fatalf("runtime memory limit %d with no maxmemory, want %d", got, want)
	}
}
