package store

import (
	"fmt"
	"strings"
	"testing"
)

// With a hash that returns len(key), "aa" and "bb" collide; with constHash
// every key does.
func TestCollisionBasics(t *testing.T) {
	for _, o := range []Options{{Shards: 1, Hash: lenHash}, {Shards: 4, Hash: lenHash}, {Shards: 1, Hash: constHash}} {
		s, _ := newTestStore(t, o)
		set(s, "aa", "first", 0)
		set(s, "bb", "second", 0)
		set(s, "cc", "third", 0)
		mustGet(t, s, "aa", "first")
		mustGet(t, s, "bb", "second")
		mustGet(t, s, "cc", "third")
		mustMiss(t, s, "dd") // same hash, absent
		if s.DBSize() != 3 {
			t.Fatalf("DBSize = %d", s.DBSize())
		}
		// Overwrite each: same size (in place), bigger (moves), smaller.
		for _, k := range []string{"aa", "bb", "cc"} {
			set(s, k, strings.ToUpper(k)+"xyz", 0)
			set(s, k, strings.Repeat(k, 500), 0)
			set(s, k, k, 0)
		}
		for _, k := range []string{"aa", "bb", "cc"} {
			mustGet(t, s, k, k)
		}
		if s.DBSize() != 3 {
			t.Fatalf("DBSize = %d", s.DBSize())
		}
		checkInvariants(t, s)
	}
}

func TestCollisionDeleteOrders(t *testing.T) {
	for _, order := range [][]string{{"aa", "bb"}, {"bb", "aa"}} {
		t.Run(strings.Join(order, ","), func(t *testing.T) {
			s, _ := newTestStore(t, Options{Shards: 1, Hash: lenHash})
			set(s, "aa", "A", 0) // at its home slot
			set(s, "bb", "B", 0) // same fingerprint, the next slot
			if !del(s, order[0]) {
				t.Fatalf("Delete(%s) = false", order[0])
			}
			mustMiss(t, s, order[0])
			mustGet(t, s, order[1], strings.ToUpper(order[1][:1]))
			checkInvariants(t, s)
			// Re-insert the deleted key, overwrite the survivor.
			set(s, order[0], "again", 0)
			set(s, order[1], strings.Repeat("z", 300), 0)
			mustGet(t, s, order[0], "again")
			mustGet(t, s, order[1], strings.Repeat("z", 300))
			checkInvariants(t, s)
			if !del(s, order[1]) {
				t.Fatalf("Delete(%s) = false", order[1])
			}
			mustMiss(t, s, order[1])
			mustGet(t, s, order[0], "again")
			if !del(s, order[0]) {
				t.Fatalf("Delete(%s) = false", order[0])
			}
			mustMiss(t, s, "aa")
			mustMiss(t, s, "bb")
			if s.DBSize() != 0 {
				t.Fatalf("DBSize = %d", s.DBSize())
			}
			checkInvariants(t, s)
			// And once more from empty, in the other order.
			set(s, order[1], "1", 0)
			set(s, order[0], "0", 0)
			mustGet(t, s, order[1], "1")
			mustGet(t, s, order[0], "0")
			checkInvariants(t, s)
		})
	}
}

func TestCollisionAppendSetRangeExpire(t *testing.T) {
	s, c := newTestStore(t, Options{Shards: 1, Hash: constHash})
	set(s, "x", "1", 0)
	appendTo(s, "y", "ab")
	appendTo(s, "y", strings.Repeat("c", 1000))
	setRange(s, "z", 3, "q")
	mustGet(t, s, "x", "1")
	mustGet(t, s, "y", "ab"+strings.Repeat("c", 1000))
	mustGet(t, s, "z", "\x00\x00\x00q")
	setExpire(s, "y", c.now()+10)
	c.advance(10)
	mustMiss(t, s, "y")
	mustGet(t, s, "x", "1")
	appendTo(s, "y", "new")
	mustGet(t, s, "y", "new")
	if s.DBSize() != 3 {
		t.Fatalf("DBSize = %d", s.DBSize())
	}
	checkInvariants(t, s)
}

// Compaction moves colliding entries and must update the right map.
func TestCollisionCompaction(t *testing.T) {
	for _, o := range []Options{{Shards: 1, Hash: constHash}, {Shards: 1, Hash: weakHash(8)}} {
		s, _ := newTestStore(t, o)
		model := map[string]string{}
		// Several chunks of colliding keys.
		for i := range 600 {
			k := fmt.Sprint("key", i)
			v := strings.Repeat(string(rune('a'+i%26)), 200+i%50)
			set(s, k, v, 0)
			model[k] = v
		}
		seq := s.shards[0].nextSeq
		// Kill most of every chunk: the survivors must be moved.
		for i := range 600 {
			if i%5 != 0 {
				k := fmt.Sprint("key", i)
				del(s, k)
				delete(model, k)
			}
		}
		if s.shards[0].nextSeq == seq {
			t.Fatal("no chunk was compacted")
		}
		checkModel(t, s, model)
		// Re-insert and overwrite so that moved keys move again.
		for i := range 600 {
			k := fmt.Sprint("key", i)
			v := strings.Repeat("R", i%700)
			set(s, k, v, 0)
			model[k] = v
		}
		checkModel(t, s, model)
	}
}
