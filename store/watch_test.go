package store

import (
	"fmt"
	"testing"
)

func changed(s *Store, w *Watch) bool {
	s.LockShard(w.Shard(), true)
	defer s.UnlockShard(w.Shard(), true)
	return s.Tx().Changed(w)
}

func TestWatch(t *testing.T) {
	writes := []struct {
		name string
		fn   func(s *Store, c *clock)
	}{
		{"Set", func(s *Store, _ *clock) { set(s, "k", "new", 0) }},
		{"SetSameValue", func(s *Store, _ *clock) { set(s, "k", "old", 0) }},
		{"SetBigger", func(s *Store, _ *clock) { set(s, "k", fmt.Sprint(make([]byte, 500)), 0) }},
		{"Delete", func(s *Store, _ *clock) { del(s, "k") }},
		{"SetExpire", func(s *Store, c *clock) { setExpire(s, "k", c.now()+1000) }},
		{"SetExpirePast", func(s *Store, c *clock) { setExpire(s, "k", c.now()) }},
		{"Append", func(s *Store, _ *clock) { appendTo(s, "k", "x") }},
		{"SetRange", func(s *Store, _ *clock) { setRange(s, "k", 1, "x") }},
		{"Flush", func(s *Store, _ *clock) { s.Tx().Flush() }},
	}
	for _, w := range writes {
		t.Run(w.name, func(t *testing.T) {
			s, c := newTestStore(t, Options{Shards: 4, Hash: lenHash})
			set(s, "k", "old", 0)
			wa := s.Watch([]byte("k"))
			if changed(s, wa) {
				t.Fatal("Changed right after Watch")
			}
			// Writes to other keys, in the same shard (lenHash: "j" and
			// "k" share one) or not, leave the watch clean.
			set(s, "j", "x", 0)
			set(s, "other", "x", 0)
			del(s, "j")
			appendTo(s, "other", "y")
			if changed(s, wa) {
				t.Fatal("Changed after writes to other keys")
			}
			w.fn(s, c)
			if !changed(s, wa) {
				t.Fatalf("not Changed after %s", w.name)
			}
			s.Unwatch(wa)
		})
	}
}

func TestWatchMissingKey(t *testing.T) {
	s, _ := newTestStore(t, Options{})
	w := s.Watch([]byte("k"))
	if changed(s, w) {
		t.Fatal("Changed right after Watch")
	}
	del(s, "k") // deleting an absent key changes nothing
	if changed(s, w) {
		t.Fatal("Changed after deleting an absent key")
	}
	set(s, "k", "v", 0)
	if !changed(s, w) {
		t.Fatal("not Changed after the key was created")
	}
}

func TestWatchExpiry(t *testing.T) {
	s, c := newTestStore(t, Options{})
	set(s, "k", "v", c.now()+100)
	w := s.Watch([]byte("k"))
	c.advance(99)
	if changed(s, w) {
		t.Fatal("Changed before the TTL passed")
	}
	c.advance(1)
	if !changed(s, w) {
		t.Fatal("not Changed after the watched key's TTL passed")
	}
	// Reclaimed by the expiry cycle: also a change for a new watch made
	// on a key that then expires.
	set(s, "e", "v", c.now()+5)
	w2 := s.Watch([]byte("e"))
	c.advance(5)
	if !changed(s, w2) {
		t.Fatal("not Changed after TTL")
	}
}

func TestWatchByExpireCycle(t *testing.T) {
	s, c := newTestStore(t, Options{Shards: 1})
	set(s, "k", "v", 0)
	w := s.Watch([]byte("k"))
	setExpire(s, "k", c.now()+5)
	s.Unwatch(w)
	w = s.Watch([]byte("k")) // watches with the TTL known
	w2 := s.Watch([]byte("k"))
	c.advance(5)
	s.ExpireCycle(0, 0)
	if s.DBSize() != 0 {
		t.Fatal("ExpireCycle left the key")
	}
	if !changed(s, w) || !changed(s, w2) {
		t.Fatal("not Changed after active expiry")
	}
}

func TestUnwatch(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 1})
	w1 := s.Watch([]byte("k"))
	w2 := s.Watch([]byte("k"))
	s.Unwatch(w1)
	set(s, "k", "v", 0)
	if !changed(s, w2) {
		t.Fatal("remaining watch not Changed")
	}
	s.Unwatch(w2)
	if s.shards[0].watches != nil {
		t.Fatalf("watches left after Unwatch: %v", s.shards[0].watches)
	}
	// A dropped watch is not marked, and Unwatch twice is harmless.
	s.Unwatch(w2)
	w1.dirty.Store(false)
	set(s, "k", "v2", 0)
	if w1.dirty.Load() {
		t.Fatal("unwatched Watch marked dirty")
	}
}
