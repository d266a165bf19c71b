package store

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
)

// clock is a controllable Options.Now.
type clock struct{ ms atomic.Int64 }

const startMs = 1_700_000_000_000

func (c *clock) now() int64       { return c.ms.Load() }
func (c *clock) advance(ms int64) { c.ms.Add(ms) }
func newClock() *clock            { c := &clock{}; c.ms.Store(startMs); return c }

// bigEntry is the entry size above which an entry gets a buffer of its own
// in a shard that has grown to full-size chunks.
const bigEntry = maxChunkSize / 4

func lenHash(k []byte) uint64 { return uint64(len(k)) }
func constHash([]byte) uint64 { return 42 }
func weakHash(mod uint64) func([]byte) uint64 {
	return func(k []byte) uint64 { return uint64(crc32.ChecksumIEEE(k)) % mod }
}

func newTestStore(t testing.TB, o Options) (*Store, *clock) {
	t.Helper()
	c := newClock()
	if o.Now == nil {
		o.Now = c.now
	}
	if o.Shards == 0 {
		o.Shards = 4
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// withTx runs fn under key's shard lock, as the server does per command.
func withTx(s *Store, key []byte, write bool, fn func(Tx)) {
	i := s.ShardOf(key)
	s.LockShard(i, write)
	defer s.UnlockShard(i, write)
	fn(s.Tx())
}

func set(s *Store, key, val string, expireAt int64) {
	withTx(s, []byte(key), true, func(t Tx) { t.Set([]byte(key), []byte(val), expireAt) })
}

func get(s *Store, key string) (string, bool) {
	var v []byte
	var ok bool
	withTx(s, []byte(key), false, func(t Tx) {
		var b []byte
		b, ok = t.Get([]byte(key))
		v = bytes.Clone(b)
	})
	return string(v), ok
}

func del(s *Store, key string) bool {
	var ok bool
	withTx(s, []byte(key), true, func(t Tx) { ok = t.Delete([]byte(key)) })
	return ok
}

func appendTo(s *Store, key, data string) int {
	var n int
	withTx(s, []byte(key), true, func(t Tx) { n = t.Append([]byte(key), []byte(data)) })
	return n
}

func setRange(s *Store, key string, off int, data string) int {
	var n int
	withTx(s, []byte(key), true, func(t Tx) { n = t.SetRange([]byte(key), off, []byte(data)) })
	return n
}

func setExpire(s *Store, key string, at int64) bool {
	var ok bool
	withTx(s, []byte(key), true, func(t Tx) { ok = t.SetExpire([]byte(key), at) })
	return ok
}

func lookup(s *Store, key string) (val string, at int64, ok bool) {
	withTx(s, []byte(key), false, func(t Tx) {
		var b []byte
		b, at, ok = t.Lookup([]byte(key))
		val = string(b)
	})
	return
}

func mustGet(t testing.TB, s *Store, key, want string) {
	t.Helper()
	got, ok := get(s, key)
	if !ok {
		t.Fatalf("Get(%.40q): missing, want value of %d bytes", key, len(want))
	}
	if got != want {
		t.Fatalf("Get(%.40q) = %d bytes %.40q..., want %d bytes %.40q...", key, len(got), got, len(want), want)
	}
}

func mustMiss(t testing.TB, s *Store, key string) {
	t.Helper()
	if v, ok := get(s, key); ok {
		t.Fatalf("Get(%.40q) = %.40q, want missing", key, v)
	}
}

// pool is random text that randValue cuts values from: generating every
// value byte by byte is slow under the race detector.
var pool = func() string {
	r := rand.New(rand.NewPCG(0, 0))
	b := make([]byte, 1<<18)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}()

// randValue returns n bytes of random text.
func randValue(r *rand.Rand, n int) string {
	if n <= len(pool) {
		off := r.IntN(len(pool) - n + 1)
		return pool[off : off+n]
	}
	return strings.Repeat(pool, n/len(pool)) + pool[:n%len(pool)]
}

// checkInvariants verifies, under every shard's lock, that the arena, the
// index and the counters agree with each other:
//   - every chunk parses into whole entries up to its used length;
//   - every index slot carries its key's fingerprint, is reachable from
//     the key's home slot, and points at an entry with that key, in the
//     right shard, 8-aligned;
//   - a chunk's dead bytes are exactly what no location points to (plus the
//     unused end of a sealed chunk);
//   - keys, ttlKeys, liveBytes, arena, log sizes and mem match a recount;
//   - every hashtable the shard holds belongs to exactly one key, and
//     fieldTTLKeys counts the hashes with field expiries;
//   - every chunk is in its log's queue; tails are in their own log;
//   - no chunk other than a tail is left a quarter dead or more.
func checkInvariants(t testing.TB, s *Store) {
	t.Helper()
	s.LockAll(false)
	defer s.UnlockAll(false)
	for si, sh := range s.shards {
		if err := sh.check(s, si); err != nil {
			t.Fatalf("shard %d: %v", si, err)
		}
	}
}

func (s *shard) check(st *Store, si int) error {
	liveIn := make(map[uint32]uint32)
	var keys, ttl, live, fieldTTL, bigBytes int64
	bigRefs := map[uint32]int{}
	x := &s.idx
	used := 0
	for i, v := range x.slots {
		if v == 0 {
			continue
		}
		used++
		l := loc(v)
		if int(l.slot()) >= len(s.chunks) || s.chunks[l.slot()].buf == nil {
			return fmt.Errorf("index slot %d points at released chunk %d", i, l.slot())
		}
		c := &s.chunks[l.slot()]
		if uint64(l.off())+headerSize > uint64(len(c.buf)) {
			return fmt.Errorf("index slot %d points past the end of chunk %d", i, l.slot())
		}
		e := s.entryAt(l)
		key := e.key()
		h := s.hash(key)
		if uint32(v>>32) != fingerprint(h) {
			return fmt.Errorf("key %q: slot fingerprint %x, hash says %x", key, v>>32, fingerprint(h))
		}
		// No empty slot between the key's home and where it lies, or
		// lookups would miss it.
		for j := x.home(fingerprint(h)); j != i; j = x.next(j) {
			if x.slots[j] == 0 {
				return fmt.Errorf("key %q at slot %d, home %d, empty slot %d between", key, i, x.home(fingerprint(h)), j)
			}
		}
		if fl, ok := s.find(key, h); !ok || fl != l {
			return fmt.Errorf("key %q: find gives %v %v, index slot says %v", key, fl, ok, l)
		}
		if st.ShardOf(key) != si {
			return fmt.Errorf("key %q in shard %d, belongs in %d", key, si, st.ShardOf(key))
		}
		if e.valLen() > e.valCap() {
			return fmt.Errorf("key %q: valLen %d > valCap %d", key, e.valLen(), e.valCap())
		}
		if e.size()%8 != 0 || l.off()%8 != 0 {
			return fmt.Errorf("key %q: entry of %d bytes at offset %d is not 8-aligned", key, e.size(), l.off())
		}
		keys++
		live += int64(e.size())
		if e.expireAt() != 0 {
			ttl++
		}
		liveIn[l.slot()] += e.size()
		if e.isColl() {
			p := e.value()
			if s.hasFieldTTLs(p) {
				fieldTTL++
			}
			if isBigEnc(collEnc(p)) {
				h := bigHandle(p)
				if int(h) >= len(s.big) || s.big[h] == nil {
					return fmt.Errorf("key %q: hashtable handle %d is not held", key, h)
				}
				bigRefs[h]++
				bigBytes += s.big[h].bytes()
			}
		}
	}
	for h, b := range s.big {
		if (b != nil) != (bigRefs[uint32(h)] == 1) {
			return fmt.Errorf("hashtable %d: held %v, referred to by %d keys", h, b != nil, bigRefs[uint32(h)])
		}
	}
	if fieldTTL != s.fieldTTLKeys.Load() {
		return fmt.Errorf("fieldTTLKeys = %d, recount %d", s.fieldTTLKeys.Load(), fieldTTL)
	}
	if used != x.used {
		return fmt.Errorf("index used = %d, recount %d", x.used, used)
	}
	if len(x.slots) > minIndexSlots && used*8 < len(x.slots) {
		return fmt.Errorf("index of %d slots holds only %d keys and was not shrunk", len(x.slots), used)
	}
	var arena int64
	var logSize [2]int64
	for slot := range s.chunks {
		c := &s.chunks[slot]
		if c.buf == nil {
			continue
		}
		arena += int64(cap(c.buf))
		logSize[c.log] += int64(cap(c.buf))
		off := 0
		for off < len(c.buf) {
			if off+headerSize > len(c.buf) {
				return fmt.Errorf("slot %d: header at %d past end %d", slot, off, len(c.buf))
			}
			n := int(entry(c.buf[off:]).size())
			if off+n > len(c.buf) {
				return fmt.Errorf("slot %d: entry at %d of size %d past end %d", slot, off, n, len(c.buf))
			}
			off += n
		}
		wantDead := uint32(len(c.buf)) - liveIn[uint32(slot)]
		if !s.isTail(uint32(slot)) {
			wantDead = uint32(cap(c.buf)) - liveIn[uint32(slot)]
			if c.dead >= uint32(cap(c.buf))/4 {
				return fmt.Errorf("slot %d (not a tail) is %d/%d bytes dead and was not compacted", slot, c.dead, cap(c.buf))
			}
		}
		if c.dead != wantDead {
			return fmt.Errorf("slot %d: dead = %d, recount %d (len %d cap %d tail %v)", slot, c.dead, wantDead, len(c.buf), cap(c.buf), s.isTail(uint32(slot)))
		}
		inQueue := false
		for _, ref := range s.queues[c.log] {
			inQueue = inQueue || (ref.slot == uint32(slot) && ref.seq == c.seq)
		}
		if !inQueue {
			return fmt.Errorf("slot %d is missing from its log's queue", slot)
		}
	}
	for log, t := range s.tails {
		if t >= 0 && (s.chunks[t].buf == nil || s.chunks[t].log != uint8(log)) {
			return fmt.Errorf("tail %d of log %d is released or in another log", t, log)
		}
	}
	for _, f := range s.free {
		if s.chunks[f].buf != nil {
			return fmt.Errorf("free slot %d in use", f)
		}
	}
	mem := arena + x.bytes() + int64(len(s.ghost.tags))*2 + bigBytes
	switch {
	case keys != s.keys.Load():
		return fmt.Errorf("keys = %d, recount %d", s.keys.Load(), keys)
	case ttl != s.ttlKeys.Load():
		return fmt.Errorf("ttlKeys = %d, recount %d", s.ttlKeys.Load(), ttl)
	case live != s.liveBytes.Load():
		return fmt.Errorf("liveBytes = %d, recount %d", s.liveBytes.Load(), live)
	case arena != s.arena.Load():
		return fmt.Errorf("arena = %d, recount %d", s.arena.Load(), arena)
	case logSize != s.logSize:
		return fmt.Errorf("log sizes = %v, recount %v", s.logSize, logSize)
	case mem != s.used.Load():
		return fmt.Errorf("used = %d, recount %d", s.used.Load(), mem)
	}
	return nil
}

// checkModel verifies that the store holds exactly the model's keys and values.
func checkModel(t testing.TB, s *Store, model map[string]string) {
	t.Helper()
	for k, v := range model {
		mustGet(t, s, k, v)
	}
	if n := s.DBSize(); n != int64(len(model)) {
		t.Fatalf("DBSize = %d, model has %d keys", n, len(model))
	}
	got := map[string]bool{}
	s.Tx().Keys(func(k []byte) {
		if got[string(k)] {
			t.Errorf("Keys returned %q twice", k)
		}
		got[string(k)] = true
	})
	if len(got) != len(model) {
		t.Fatalf("Keys returned %d keys, model has %d", len(got), len(model))
	}
	checkInvariants(t, s)
}
