package store

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSharedStoresOneBudget: stores made by NewShared count against one
// maxmemory, and writes to one evict the other's keys; with a budget per
// store, filling b would leave a untouched and the total at twice the limit.
func TestSharedStoresOneBudget(t *testing.T) {
	const limit = 2 << 20
	a, _ := newTestStore(t, Options{Limits: Limits{MaxMemory: limit, Policy: AllKeysLRU}})
	b := a.NewShared()
	if a.ID() >= b.ID() {
		t.Fatalf("IDs not in creation order: %d, %d", a.ID(), b.ID())
	}
	val := []byte(strings.Repeat("v", 200))
	fill := func(s *Store, prefix string, n int) {
		for i := range n {
			key := []byte(fmt.Sprintf("%s:%d", prefix, i))
			if err := s.Admit(s.ShardOf(key)); err != nil {
				t.Fatal(err)
			}
			i := s.ShardOf(key)
			s.LockShard(i, true)
			s.Tx().Set(key, val, 0)
			s.UnlockShard(i, true)
		}
	}
	fill(a, "a", 6000) // ~1.5 MiB: under the limit
	if a.EvictedKeys() != 0 {
		t.Fatalf("evicted %d keys under the limit", a.EvictedKeys())
	}
	aKeys := a.DBSize()
	fill(b, "b", 30000) // ~7 MiB into b alone
	if used := a.Used(); used > limit+limit/4 {
		t.Fatalf("group uses %d bytes, limit %d", used, limit)
	}
	if a.Used() != b.Used() {
		t.Fatalf("Used differs between stores of a group: %d, %d", a.Used(), b.Used())
	}
	if a.DBSize() >= aKeys {
		t.Fatalf("filling b evicted nothing from a (%d keys, was %d)", a.DBSize(), aKeys)
	}
	if b.EvictedKeys() != a.EvictedKeys() || a.EvictedKeys() == 0 {
		t.Fatalf("EvictedKeys: a %d, b %d", a.EvictedKeys(), b.EvictedKeys())
	}
}

// TestSharedStoresExpiryCycle: one store's expiry cycle reclaims the
// other's expired keys.
func TestSharedStoresExpiryCycle(t *testing.T) {
	a, clk := newTestStore(t, Options{})
	b := a.NewShared()
	tx := b.TxAll()
	b.LockAll(true)
	for i := range 100 {
		tx.Set([]byte(fmt.Sprintf("k%d", i)), []byte("v"), clk.now()+10)
	}
	b.UnlockAll(true)
	clk.advance(20)
	a.ExpireCycle(0, time.Second)
	if n := b.DBSize(); n != 0 {
		t.Fatalf("b holds %d keys after a's expiry cycle", n)
	}
	if a.ExpiredKeys() != 100 {
		t.Fatalf("ExpiredKeys = %d, want 100", a.ExpiredKeys())
	}
}

// TestSwapWatches: a watch follows its database number across a swap;
// it turns dirty when its key exists in either store, and a later write
// in the store now holding its number dirties it.
func TestSwapWatches(t *testing.T) {
	a, _ := newTestStore(t, Options{})
	b := a.NewShared()
	set := func(s *Store, key string) {
		s.LockAll(true)
		s.TxAll().Set([]byte(key), []byte("v"), 0)
		s.UnlockAll(true)
	}
	set(b, "inb")
	wIn := a.Watch([]byte("inb"))        // exists in b only
	wAbsent := a.Watch([]byte("absent")) // in neither
	a.LockAll(true)
	b.LockAll(true)
	SwapWatches(a, b)
	b.UnlockAll(true)
	a.UnlockAll(true)
	if !wIn.dirty.Load() {
		t.Fatal("watch on a key existing in the other store is not dirty after the swap")
	}
	if wAbsent.dirty.Load() {
		t.Fatal("watch on a key in neither store turned dirty")
	}
	set(a, "absent") // a now holds the other number
	if wAbsent.dirty.Load() {
		t.Fatal("a write in the watch's old store dirtied it")
	}
	set(b, "absent") // b holds the watch's number now
	if !wAbsent.dirty.Load() {
		t.Fatal("a write under the watch's number did not dirty it")
	}
	a.Unwatch(wAbsent) // registered in b now
	a.Unwatch(wIn)
	for _, s := range []*Store{a, b} {
		for _, sh := range s.shards {
			if sh.watches != nil {
				t.Fatal("Unwatch left a watch registered")
			}
		}
	}
}
