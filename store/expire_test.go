package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestExpireCycleReclaims(t *testing.T) {
	for _, shards := range []int{1, 8} {
		t.Run(fmt.Sprint("shards=", shards), func(t *testing.T) {
			s, c := newTestStore(t, Options{Shards: shards})
			const nTTL, nKeep = 20000, 1000
			for i := range nTTL {
				set(s, fmt.Sprint("t", i), strings.Repeat("x", 100), c.now()+1000)
			}
			model := map[string]string{}
			for i := range nKeep {
				k := fmt.Sprint("p", i)
				model[k] = strings.Repeat("y", 100)
				set(s, k, model[k], 0)
				// Some keys with a TTL far away are sampled but must stay.
				if i%10 == 0 {
					setExpire(s, k, c.now()+1e9)
				}
			}
			_, arenaBefore := s.UsedBytes()
			// Nothing expired yet: a cycle removes nothing.
			s.ExpireCycle(0, time.Second)
			if n := s.DBSize(); n != nTTL+nKeep || s.ExpiredKeys() != 0 {
				t.Fatalf("before the TTL: DBSize %d, ExpiredKeys %d", n, s.ExpiredKeys())
			}
			c.advance(1000)
			next := 0
			for i := 0; s.DBSize() > nKeep; i++ {
				if i > 10000 {
					t.Fatalf("ExpireCycle stalled at DBSize %d", s.DBSize())
				}
				next = s.ExpireCycle(next, time.Second)
			}
			keys, exp := s.Keyspace()
			if keys != nKeep || exp != nKeep/10 {
				t.Fatalf("Keyspace = %d, %d", keys, exp)
			}
			if s.ExpiredKeys() != nTTL {
				t.Fatalf("ExpiredKeys = %d, want %d", s.ExpiredKeys(), nTTL)
			}
			live, arena := s.UsedBytes()
			if arena >= arenaBefore/4 || arena > 2*live+int64(shards)*maxChunkSize {
				t.Fatalf("arena %d (was %d) for %d live bytes", arena, arenaBefore, live)
			}
			checkModel(t, s, model)
			var sum int64
			for _, st := range s.Stats() {
				sum += st.Expired
			}
			if sum != nTTL {
				t.Fatalf("Stats Expired sum = %d", sum)
			}
		})
	}
}

func TestExpireCycleSkipsShardsWithoutTTL(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 4})
	for i := range 100 {
		set(s, fmt.Sprint("k", i), "v", 0)
	}
	before := s.Stats()
	if next := s.ExpireCycle(2, time.Second); next != 2 {
		t.Fatalf("ExpireCycle returned %d, want 2 (the start) when it finishes in budget", next)
	}
	for i, st := range s.Stats() {
		if st.LockAcquisitions != before[i].LockAcquisitions {
			t.Fatalf("shard %d without TTL keys was locked", i)
		}
	}
}

func TestRunExpiry(t *testing.T) {
	s, c := newTestStore(t, Options{Shards: 2})
	for i := range 500 {
		set(s, fmt.Sprint("k", i), "v", c.now()+10)
	}
	c.advance(10)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.RunExpiry(ctx); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for s.DBSize() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("RunExpiry left %d keys", s.DBSize())
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	checkInvariants(t, s)
}
