package store

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestNewOptions(t *testing.T) {
	for _, n := range []int{-1, 3, 6, 100, MaxShards * 2} {
		if _, err := New(Options{Shards: n}); err == nil {
			t.Errorf("New(Shards: %d) succeeded, want an error", n)
		}
	}
	for _, n := range []int{1, 2, 64, MaxShards} {
		s, err := New(Options{Shards: n})
		if err != nil {
			t.Fatalf("New(Shards: %d): %v", n, err)
		}
		if s.Shards() != n {
			t.Errorf("Shards() = %d, want %d", s.Shards(), n)
		}
	}
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Shards() != DefaultShards {
		t.Errorf("default Shards() = %d, want %d", s.Shards(), DefaultShards)
	}
	if now := s.Now(); now < startMs {
		t.Errorf("default clock reads %d", now)
	}
	// The default hash spreads keys; ShardOf stays in range.
	for i := range 1000 {
		if sh := s.ShardOf(fmt.Appendf(nil, "k%d", i)); sh < 0 || sh >= s.Shards() {
			t.Fatalf("ShardOf out of range: %d", sh)
		}
	}
}

func TestGetSetOverwrite(t *testing.T) {
	s, _ := newTestStore(t, Options{})
	mustMiss(t, s, "a")
	set(s, "a", "hello", 0)
	mustGet(t, s, "a", "hello")
	set(s, "a", "world", 0) // same size: in place
	mustGet(t, s, "a", "world")
	set(s, "a", strings.Repeat("x", 300), 0) // bigger: moves
	mustGet(t, s, "a", strings.Repeat("x", 300))
	set(s, "a", strings.Repeat("y", 200), 0) // smaller, fits in place
	mustGet(t, s, "a", strings.Repeat("y", 200))
	set(s, "a", "z", 0) // much smaller: moves to a tight copy
	mustGet(t, s, "a", "z")
	set(s, "a", "", 0)
	mustGet(t, s, "a", "")
	set(s, "", "empty key", 0)
	mustGet(t, s, "", "empty key")
	bin := string([]byte{0, 1, 2, 255, 0})
	set(s, bin, bin, 0)
	mustGet(t, s, bin, bin)
	if n := s.DBSize(); n != 3 {
		t.Fatalf("DBSize = %d, want 3", n)
	}
	checkInvariants(t, s)

	// Exists and Lookup agree with Get.
	withTx(s, []byte("a"), false, func(tx Tx) {
		if !tx.Exists([]byte("a")) || tx.Exists([]byte("nope")) {
			t.Error("Exists wrong")
		}
	})
	if v, at, ok := lookup(s, "a"); !ok || v != "" || at != 0 {
		t.Errorf("Lookup = %q %d %v", v, at, ok)
	}
	if _, _, ok := lookup(s, "nope"); ok {
		t.Error("Lookup of a missing key succeeded")
	}
}

func TestSetDoesNotAliasCaller(t *testing.T) {
	s, _ := newTestStore(t, Options{})
	k, v := []byte("key"), []byte("value")
	withTx(s, k, true, func(tx Tx) { tx.Set(k, v, 0) })
	k[0], v[0] = 'X', 'X'
	mustGet(t, s, "key", "value")
	mustMiss(t, s, "Xey")
}

func TestSizesAroundChunkBoundaries(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 1})
	r := rand.New(rand.NewPCG(1, 2))
	const key = "k"
	// Value sizes that put the entry right at the own-buffer thresholds of
	// small and full-size chunks and at the chunk sizes, and far beyond.
	base := headerSize + len(key)
	var sizes []int
	for _, edge := range []int{smallChunkSize / 4, smallChunkSize, bigEntry, maxChunkSize} {
		for d := -2; d <= 2; d++ {
			sizes = append(sizes, edge+d-base)
		}
	}
	sizes = append(sizes, 0, 1, 100, 100<<10, 1<<20, 3<<20+7)
	model := map[string]string{}
	// Each size alone, after small entries that leave the tail part-filled.
	for i, n := range sizes {
		set(s, fmt.Sprint("small", i), randValue(r, 500), 0)
		v := randValue(r, n)
		k := fmt.Sprint("big", i)
		set(s, k, v, 0)
		model[k] = v
		mustGet(t, s, k, v)
	}
	for i := range sizes {
		model[fmt.Sprint("small", i)], _ = get(s, fmt.Sprint("small", i))
	}
	checkModel(t, s, model)
	// One key cycling through every size, in both directions.
	rev := slices.Clone(sizes)
	slices.Reverse(rev)
	for _, order := range [][]int{sizes, rev} {
		for _, n := range order {
			v := randValue(r, n)
			set(s, key, v, 0)
			model[key] = v
			mustGet(t, s, key, v)
			checkInvariants(t, s)
		}
	}
	checkModel(t, s, model)
	// Deleting everything gives back all chunks but the tail's.
	for k := range model {
		if !del(s, k) {
			t.Fatalf("Delete(%q) = false", k)
		}
	}
	live, arena := s.UsedBytes()
	if live != 0 || arena > 2*maxChunkSize {
		t.Fatalf("after deleting all: live %d arena %d", live, arena)
	}
	checkInvariants(t, s)
}

func TestUsedBytes(t *testing.T) {
	s, _ := newTestStore(t, Options{Shards: 1})
	set(s, "abc", "12345", 0)
	live, arena := s.UsedBytes()
	if live != headerSize+3+5 || arena != smallChunkSize {
		t.Fatalf("UsedBytes = %d, %d", live, arena)
	}
	if used := s.Used(); used != smallChunkSize+minIndexSlots*8 {
		t.Fatalf("Used = %d", used)
	}
	set(s, "big", strings.Repeat("b", 1<<20), 0)
	live, arena = s.UsedBytes()
	big := int64(align8(headerSize + 3 + 1<<20))
	if want := headerSize + 3 + 5 + big; live != want {
		t.Fatalf("live = %d, want %d", live, want)
	}
	if arena != smallChunkSize+big {
		t.Fatalf("arena = %d", arena)
	}
	del(s, "big")
	if _, arena = s.UsedBytes(); arena != smallChunkSize {
		t.Fatalf("arena after deleting the big value = %d, want one chunk", arena)
	}
	st := s.Stats()
	if len(st) != 1 || st[0].Keys != 1 || st[0].LiveBytes != headerSize+8 || st[0].Arena != smallChunkSize {
		t.Fatalf("Stats = %+v", st)
	}
}

func TestDelete(t *testing.T) {
	s, c := newTestStore(t, Options{})
	if del(s, "a") {
		t.Fatal("Delete of a missing key = true")
	}
	set(s, "a", "1", 0)
	set(s, "b", "2", 0)
	if !del(s, "a") {
		t.Fatal("Delete(a) = false")
	}
	if del(s, "a") {
		t.Fatal("second Delete(a) = true")
	}
	mustMiss(t, s, "a")
	mustGet(t, s, "b", "2")
	if n := s.DBSize(); n != 1 {
		t.Fatalf("DBSize = %d", n)
	}
	// Deleting an expired key reports false but removes it.
	set(s, "e", "x", c.now()+10)
	c.advance(10)
	if del(s, "e") {
		t.Fatal("Delete of an expired key = true")
	}
	if n := s.DBSize(); n != 1 {
		t.Fatalf("DBSize = %d after deleting an expired key", n)
	}
	if s.ExpiredKeys() != 1 {
		t.Fatalf("ExpiredKeys = %d", s.ExpiredKeys())
	}
	set(s, "a", "again", 0)
	mustGet(t, s, "a", "again")
	checkInvariants(t, s)
}

func TestLazyExpiry(t *testing.T) {
	s, c := newTestStore(t, Options{})
	now := c.now()
	set(s, "t", "v", now+100)
	set(s, "p", "v", 0)
	if keys, exp := s.Keyspace(); keys != 2 || exp != 1 {
		t.Fatalf("Keyspace = %d, %d", keys, exp)
	}
	if v, at, ok := lookup(s, "t"); !ok || v != "v" || at != now+100 {
		t.Fatalf("Lookup = %q %d %v", v, at, ok)
	}
	c.advance(99)
	mustGet(t, s, "t", "v")
	c.advance(1) // expireAt <= now: gone
	mustMiss(t, s, "t")
	withTx(s, []byte("t"), false, func(tx Tx) {
		if tx.Exists([]byte("t")) {
			t.Error("Exists on expired key")
		}
		if _, _, ok := tx.Lookup([]byte("t")); ok {
			t.Error("Lookup on expired key")
		}
	})
	// Lazy: still counted until reclaimed, as Redis's DBSIZE.
	if keys, exp := s.Keyspace(); keys != 2 || exp != 1 {
		t.Fatalf("Keyspace before reclaim = %d, %d", keys, exp)
	}
	// Invisible to Keys, Scan, RandomKey.
	var all []string
	s.Tx().Keys(func(k []byte) { all = append(all, string(k)) })
	if !slices.Equal(all, []string{"p"}) {
		t.Fatalf("Keys = %q", all)
	}
	all = nil
	for cur := uint64(0); ; {
		cur = s.Tx().Scan(cur, 10, func(k []byte) { all = append(all, string(k)) })
		if cur == 0 {
			break
		}
	}
	if !slices.Equal(all, []string{"p"}) {
		t.Fatalf("Scan = %q", all)
	}
	for range 20 {
		if k, ok := s.Tx().RandomKey(); !ok || string(k) != "p" {
			t.Fatalf("RandomKey = %q %v", k, ok)
		}
	}
	// SetExpire on an expired key fails; Set over it revives the key
	// without TTL.
	if setExpire(s, "t", now+1e6) {
		t.Fatal("SetExpire on an expired key = true")
	}
	set(s, "t", "new", 0)
	mustGet(t, s, "t", "new")
	if keys, exp := s.Keyspace(); keys != 2 || exp != 0 {
		t.Fatalf("Keyspace after overwrite = %d, %d", keys, exp)
	}
	// Overwriting an expired key counts as its expiry, as in Redis's
	// expired_keys; overwriting a live one does not.
	if n := s.ExpiredKeys(); n != 1 {
		t.Fatalf("ExpiredKeys = %d after overwriting an expired key, want 1", n)
	}
	set(s, "t", "newer", 0)
	if n := s.ExpiredKeys(); n != 1 {
		t.Fatalf("ExpiredKeys = %d after overwriting a live key, want 1", n)
	}
	checkInvariants(t, s)
}

func TestSetExpire(t *testing.T) {
	s, c := newTestStore(t, Options{})
	now := c.now()
	if setExpire(s, "missing", now+10) {
		t.Fatal("SetExpire on a missing key = true")
	}
	set(s, "k", "v", 0)
	if !setExpire(s, "k", now+10) {
		t.Fatal("SetExpire = false")
	}
	if _, at, _ := lookup(s, "k"); at != now+10 {
		t.Fatalf("expireAt = %d", at)
	}
	if _, exp := s.Keyspace(); exp != 1 {
		t.Fatalf("TTL keys = %d", exp)
	}
	setExpire(s, "k", now+20) // change
	if _, exp := s.Keyspace(); exp != 1 {
		t.Fatalf("TTL keys after change = %d", exp)
	}
	setExpire(s, "k", 0) // persist
	if _, exp := s.Keyspace(); exp != 0 {
		t.Fatalf("TTL keys after persist = %d", exp)
	}
	c.advance(100)
	mustGet(t, s, "k", "v")
	// An expiry at or before now deletes the key.
	if !setExpire(s, "k", c.now()) {
		t.Fatal("SetExpire(now) = false")
	}
	mustMiss(t, s, "k")
	if keys, exp := s.Keyspace(); keys != 0 || exp != 0 {
		t.Fatalf("Keyspace = %d, %d", keys, exp)
	}
	set(s, "k2", "v", c.now()+5)
	if !setExpire(s, "k2", 1) {
		t.Fatal("SetExpire(past) = false")
	}
	if keys, exp := s.Keyspace(); keys != 0 || exp != 0 {
		t.Fatalf("Keyspace = %d, %d", keys, exp)
	}
	// Set replaces the TTL.
	set(s, "k3", "v", c.now()+5)
	set(s, "k3", "v", 0)
	c.advance(10)
	mustGet(t, s, "k3", "v")
	set(s, "k3", "v", c.now()+5)
	set(s, "k3", strings.Repeat("w", 1000), c.now()+50) // moves, keeps the new TTL
	if _, at, _ := lookup(s, "k3"); at != c.now()+50 {
		t.Fatalf("expireAt after moving overwrite = %d", at)
	}
	if _, exp := s.Keyspace(); exp != 1 {
		t.Fatalf("TTL keys = %d", exp)
	}
	checkInvariants(t, s)
}

func TestAppend(t *testing.T) {
	s, c := newTestStore(t, Options{Shards: 1})
	if n := appendTo(s, "a", "x"); n != 1 {
		t.Fatalf("Append to missing = %d", n)
	}
	want := "x"
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 3000 {
		d := randValue(r, r.IntN(40))
		if i%500 == 0 {
			d = randValue(r, 20000) // crosses bigEntry
		}
		want += d
		if n := appendTo(s, "a", d); n != len(want) {
			t.Fatalf("Append #%d = %d, want %d", i, n, len(want))
		}
		set(s, fmt.Sprint("other", i%50), randValue(r, r.IntN(300)), 0) // interleave moves
	}
	mustGet(t, s, "a", want)
	// Growth is geometric: the capacity is at most twice the length.
	withTx(s, []byte("a"), false, func(tx Tx) {
		e, _, _ := s.shards[0].lookup([]byte("a"), s.hash([]byte("a")), tx.Now())
		if e.valCap() > 2*e.valLen() {
			t.Errorf("valCap %d for valLen %d", e.valCap(), e.valLen())
		}
	})
	// Empty append creates an empty string, as Redis.
	if n := appendTo(s, "empty", ""); n != 0 {
		t.Fatalf("Append empty = %d", n)
	}
	mustGet(t, s, "empty", "")
	// Append keeps the TTL of a live key...
	set(s, "t", "ab", c.now()+100)
	appendTo(s, "t", strings.Repeat("c", 500))
	if v, at, ok := lookup(s, "t"); !ok || at != c.now()+100 || v != "ab"+strings.Repeat("c", 500) {
		t.Fatalf("Lookup after Append = %.10q %d %v", v, at, ok)
	}
	// ...and starts afresh, without TTL, on an expired one.
	c.advance(100)
	if n := appendTo(s, "t", "new"); n != 3 {
		t.Fatalf("Append to expired key = %d", n)
	}
	if v, at, ok := lookup(s, "t"); !ok || at != 0 || v != "new" {
		t.Fatalf("Lookup = %q %d %v", v, at, ok)
	}
	if s.ExpiredKeys() != 1 {
		t.Fatalf("ExpiredKeys = %d", s.ExpiredKeys())
	}
	// Appending after an in-place shrink must not resurrect old bytes.
	set(s, "s", "0123456789", 0)
	set(s, "s", "ab", 0)
	appendTo(s, "s", "c")
	mustGet(t, s, "s", "abc")
	checkInvariants(t, s)
}

func TestSetRange(t *testing.T) {
	s, c := newTestStore(t, Options{Shards: 1})
	if n := setRange(s, "k", 5, "abc"); n != 8 {
		t.Fatalf("SetRange on missing = %d", n)
	}
	mustGet(t, s, "k", "\x00\x00\x00\x00\x00abc")
	if n := setRange(s, "k", 1, "ZZ"); n != 8 {
		t.Fatalf("SetRange inside = %d", n)
	}
	mustGet(t, s, "k", "\x00ZZ\x00\x00abc")
	if n := setRange(s, "k", 10, "end"); n != 13 {
		t.Fatalf("SetRange past end = %d", n)
	}
	mustGet(t, s, "k", "\x00ZZ\x00\x00abc\x00\x00end")
	// Padding after an in-place shrink is zeros, not the old bytes.
	set(s, "p", strings.Repeat("X", 100), 0)
	set(s, "p", strings.Repeat("Y", 60), 0)
	setRange(s, "p", 80, "E")
	mustGet(t, s, "p", strings.Repeat("Y", 60)+strings.Repeat("\x00", 20)+"E")
	// Growth far beyond a chunk.
	setRange(s, "p", 1<<20, "tail")
	v, _ := get(s, "p")
	if len(v) != 1<<20+4 || v[:60] != strings.Repeat("Y", 60) || v[1<<20:] != "tail" || strings.Trim(v[81:1<<20], "\x00") != "" {
		t.Fatalf("after big SetRange: len %d", len(v))
	}
	// TTL kept on a live key; expired key starts afresh.
	set(s, "t", "hello", c.now()+50)
	setRange(s, "t", 0, "J")
	if v, at, _ := lookup(s, "t"); v != "Jello" || at != c.now()+50 {
		t.Fatalf("Lookup = %q %d", v, at)
	}
	c.advance(50)
	if n := setRange(s, "t", 2, "x"); n != 3 {
		t.Fatalf("SetRange on expired = %d", n)
	}
	if v, at, _ := lookup(s, "t"); v != "\x00\x00x" || at != 0 {
		t.Fatalf("Lookup = %q %d", v, at)
	}
	checkInvariants(t, s)
}

// Redis's SETRANGE with an empty value changes nothing: it neither creates
// the key nor pads an existing value, and returns the current length.
func TestSetRangeEmpty(t *testing.T) {
	s, _ := newTestStore(t, Options{})
	if n := setRange(s, "missing", 10, ""); n != 0 {
		t.Fatalf("SetRange(missing, 10, \"\") = %d, want 0", n)
	}
	mustMiss(t, s, "missing")
	if s.DBSize() != 0 {
		t.Fatalf("DBSize = %d", s.DBSize())
	}
	set(s, "k", "abc", 0)
	if n := setRange(s, "k", 10, ""); n != 3 {
		t.Fatalf("SetRange(k, 10, \"\") = %d, want 3", n)
	}
	mustGet(t, s, "k", "abc")
	checkInvariants(t, s)
}

func TestFlush(t *testing.T) {
	s, c := newTestStore(t, Options{})
	for i := range 1000 {
		set(s, fmt.Sprint("k", i), strings.Repeat("v", i), c.now()+int64(i%2)*1000)
	}
	set(s, "huge", strings.Repeat("h", 200<<10), 0)
	s.Tx().Flush()
	if keys, exp := s.Keyspace(); keys != 0 || exp != 0 {
		t.Fatalf("Keyspace after Flush = %d, %d", keys, exp)
	}
	if live, arena := s.UsedBytes(); live != 0 || arena != 0 {
		t.Fatalf("UsedBytes after Flush = %d, %d", live, arena)
	}
	mustMiss(t, s, "k5")
	mustMiss(t, s, "huge")
	if _, ok := s.Tx().RandomKey(); ok {
		t.Fatal("RandomKey after Flush found a key")
	}
	if cur := s.Tx().Scan(0, 10, func([]byte) { t.Fatal("Scan after Flush found a key") }); cur != 0 {
		t.Fatalf("Scan cursor = %d", cur)
	}
	set(s, "k5", "again", 0)
	mustGet(t, s, "k5", "again")
	checkInvariants(t, s)
	// Flush through TxAll under LockAll.
	s.LockAll(true)
	s.TxAll().Flush()
	s.UnlockAll(true)
	if s.DBSize() != 0 {
		t.Fatal("TxAll().Flush left keys")
	}
	checkInvariants(t, s)
}

func TestKeys(t *testing.T) {
	s, c := newTestStore(t, Options{Shards: 8})
	want := map[string]bool{}
	for i := range 500 {
		k := fmt.Sprint("key:", i)
		set(s, k, strings.Repeat("x", i%300), 0)
		want[k] = true
	}
	set(s, "gone", "x", c.now()+1)
	set(s, "deleted", "x", 0)
	del(s, "deleted")
	c.advance(1)
	got := map[string]bool{}
	s.Tx().Keys(func(k []byte) { got[string(k)] = true })
	if len(got) != len(want) {
		t.Fatalf("Keys returned %d, want %d", len(got), len(want))
	}
	for k := range want {
		if !got[k] {
			t.Fatalf("Keys missed %q", k)
		}
	}
	// Under LockAll with TxAll, no locks are taken (would deadlock otherwise).
	s.LockAll(true)
	n := 0
	s.TxAll().Keys(func([]byte) { n++ })
	s.UnlockAll(true)
	if n != 500 {
		t.Fatalf("TxAll Keys = %d", n)
	}
}

func TestRandomKey(t *testing.T) {
	s, c := newTestStore(t, Options{Shards: 16})
	if _, ok := s.Tx().RandomKey(); ok {
		t.Fatal("RandomKey on empty store")
	}
	keys := map[string]bool{}
	for i := range 50 {
		k := fmt.Sprint("k", i)
		set(s, k, "v", 0)
		keys[k] = true
	}
	for i := range 200 {
		set(s, fmt.Sprint("exp", i), "v", c.now()+1)
	}
	c.advance(1)
	seen := map[string]bool{}
	for range 2000 {
		k, ok := s.Tx().RandomKey()
		if !ok || !keys[string(k)] {
			t.Fatalf("RandomKey = %q %v", k, ok)
		}
		seen[string(k)] = true
	}
	if len(seen) < 25 {
		t.Fatalf("RandomKey returned only %d distinct keys of 50", len(seen))
	}
	// The returned key is a copy.
	k, _ := s.Tx().RandomKey()
	saved := string(k)
	k[0] = 'Z'
	mustGet(t, s, saved, "v")
	// A key whose hash collides with every other is found too.
	s2, _ := newTestStore(t, Options{Shards: 1, Hash: constHash})
	set(s2, "a", "1", 0)
	set(s2, "b", "2", 0)
	del(s2, "a")
	if k, ok := s2.Tx().RandomKey(); !ok || string(k) != "b" {
		t.Fatalf("RandomKey with only a key whose hash collides = %q %v", k, ok)
	}
}

func TestTxNowIsFixed(t *testing.T) {
	s, c := newTestStore(t, Options{})
	set(s, "k", "v", c.now()+5)
	s.LockAll(true)
	defer s.UnlockAll(true)
	tx := s.TxAll()
	c.advance(10)
	if _, ok := tx.Get([]byte("k")); !ok {
		t.Fatal("a Tx must see the instant it was made at")
	}
	if tx.Now() != c.now()-10 {
		t.Fatalf("Tx.Now = %d", tx.Now())
	}
	if _, ok := s.TxAll().Get([]byte("k")); ok {
		t.Fatal("a new Tx sees the key expired")
	}
}

func TestGetAliasesUntilWrite(t *testing.T) {
	s, _ := newTestStore(t, Options{})
	set(s, "k", "value", 0)
	withTx(s, []byte("k"), true, func(tx Tx) {
		v, _ := tx.Get([]byte("k"))
		if !bytes.Equal(v, []byte("value")) {
			t.Fatalf("Get = %q", v)
		}
	})
}

func TestMemoryUsage(t *testing.T) {
	s, c := newTestStore(t, Options{})
	set(s, "abc", "12345", c.now()+10)
	withTx(s, []byte("abc"), false, func(tx Tx) {
		if n, ok := tx.MemoryUsage([]byte("abc")); !ok || n != headerSize+3+5+minIndexSlots*8 {
			t.Fatalf("MemoryUsage = %d %v", n, ok)
		}
		if _, ok := tx.MemoryUsage([]byte("nope")); ok {
			t.Fatal("MemoryUsage of a missing key")
		}
	})
	c.advance(10)
	withTx(s, []byte("abc"), false, func(tx Tx) {
		if _, ok := tx.MemoryUsage([]byte("abc")); ok {
			t.Fatal("MemoryUsage of an expired key")
		}
	})
}

// Keys of 64 KiB and more keep their length outside the 16-bit field; far
// expiry times are kept as the latest the header holds.
func TestLongKeysAndFarExpiry(t *testing.T) {
	s, c := newTestStore(t, Options{Shards: 2})
	model := map[string]string{}
	for _, n := range []int{longKey - 1, longKey, longKey + 1, 200 << 10} {
		k := strings.Repeat("k", n-1) + "!"
		set(s, k, "v", 0)
		appendTo(s, k, strings.Repeat("a", 100))
		model[k] = "v" + strings.Repeat("a", 100)
		mustGet(t, s, k, model[k])
	}
	checkModel(t, s, model)
	set(s, "far", "v", 1<<60)
	if _, at, ok := lookup(s, "far"); !ok || at != math.MaxInt64 {
		t.Fatalf("far expiry = %d %v, want the largest", at, ok)
	}
	setExpire(s, "far", c.now()+1000)
	if _, at, _ := lookup(s, "far"); at != c.now()+1000 {
		t.Fatalf("expiry = %d", at)
	}
	checkInvariants(t, s)
}
