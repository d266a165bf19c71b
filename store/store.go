package store

import (
	"fmt"
	"math/bits"
	"time"

	"github.com/cespare/xxhash/v2"
)

// MaxShards bounds the shard count; SCAN cursors carry the shard in 16 bits.
const MaxShards = 1 << 16

// Options configures a Store. The zero value of each field means its default.
type Options struct {
	// Shards is the number of shards, a power of two (default 256).
	Shards int
	// Now returns the current time in Unix milliseconds (default: the
	// system clock). Tests substitute a controllable clock.
	Now func() int64
	// Hash replaces xxhash for the key hash; only tests that force
	// collisions set it.
	Hash func([]byte) uint64
	// MaxMemory is the limit in bytes on Used (0 = none), Policy what is
	// evicted to stay under it (the zero value is NoEviction, as in Redis;
	// the server's default is DefaultPolicy), and Samples how many keys
	// the sampling policies compare per victim (default DefaultSamples).
	// All three can be changed at run time.
	MaxMemory int64
	Policy    Policy
	Samples   int
}

// Store is the sharded keyspace. Its methods that take no Tx are safe for
// concurrent use and lock what they need themselves.
type Store struct {
	shards []*shard
	mask   uint64
	hash   func([]byte) uint64
	now    func() int64
	lim    limits
}

// DefaultShards is the shard count used when Options.Shards is zero.
const DefaultShards = 256

// New returns an empty store.
func New(o Options) (*Store, error) {
	if o.Shards == 0 {
		o.Shards = DefaultShards
	}
	if o.Shards < 1 || o.Shards > MaxShards || bits.OnesCount(uint(o.Shards)) != 1 {
		return nil, fmt.Errorf("shards must be a power of two between 1 and %d, got %d", MaxShards, o.Shards)
	}
	if o.Now == nil {
		o.Now = func() int64 { return time.Now().UnixMilli() }
	}
	if o.Hash == nil {
		o.Hash = xxhash.Sum64
	}
	if o.Samples == 0 {
		o.Samples = DefaultSamples
	}
	if o.Policy < 0 || int(o.Policy) >= len(policyNames) {
		return nil, fmt.Errorf("unknown eviction policy %d", o.Policy)
	}
	s := &Store{shards: make([]*shard, o.Shards), mask: uint64(o.Shards - 1), hash: o.Hash, now: o.Now}
	s.lim.shards = o.Shards
	s.SetMaxMemory(o.MaxMemory)
	s.SetPolicy(o.Policy)
	s.SetSamples(o.Samples)
	for i := range s.shards {
		s.shards[i] = newShard(o.Hash, &s.lim)
	}
	return s, nil
}

// Shards returns the number of shards.
func (s *Store) Shards() int { return len(s.shards) }

// ShardOf returns the index of the shard that holds key.
func (s *Store) ShardOf(key []byte) int { return int(s.hash(key) & s.mask) }

// Now returns the store's clock, Unix milliseconds.
func (s *Store) Now() int64 { return s.now() }

// Lock takes the locks of the given shards, which must be sorted in
// ascending order without repeats: one fixed order for every caller is
// what keeps multi-shard transactions free of deadlock. Read-only callers
// pass write=false and share the lock.
func (s *Store) Lock(shards []int, write bool) {
	for _, i := range shards {
		s.shards[i].lock(write)
	}
}

// Unlock releases what Lock took.
func (s *Store) Unlock(shards []int, write bool) {
	for _, i := range shards {
		s.shards[i].unlock(write)
	}
}

// LockShard and UnlockShard are Lock and Unlock for a single shard.
func (s *Store) LockShard(i int, write bool)   { s.shards[i].lock(write) }
func (s *Store) UnlockShard(i int, write bool) { s.shards[i].unlock(write) }

// LockAll takes every shard's lock, in order.
func (s *Store) LockAll(write bool) {
	for _, sh := range s.shards {
		sh.lock(write)
	}
}

// UnlockAll releases what LockAll took.
func (s *Store) UnlockAll(write bool) {
	for _, sh := range s.shards {
		sh.unlock(write)
	}
}

// Tx returns a transaction handle for keys whose shards the caller has
// locked; it reads the clock once, so everything done through it sees the
// same instant, as a Redis command does.
func (s *Store) Tx() Tx { return Tx{s: s, now: s.now()} }

// TxAll is Tx for a caller holding every shard's lock (LockAll): the
// keyspace-wide methods then take no locks of their own.
func (s *Store) TxAll() Tx { return Tx{s: s, now: s.now(), all: true} }

// DBSize returns the number of keys, including expired ones not yet
// reclaimed (as Redis's DBSIZE does).
func (s *Store) DBSize() int64 {
	var n int64
	for _, sh := range s.shards {
		n += sh.keys.Load()
	}
	return n
}

// Keyspace returns the number of keys and of keys with an expiry.
func (s *Store) Keyspace() (keys, expires int64) {
	for _, sh := range s.shards {
		keys += sh.keys.Load()
		expires += sh.ttlKeys.Load()
	}
	return keys, expires
}

// UsedBytes returns the bytes of live entries and the bytes of arena
// chunks holding them (live plus not yet reclaimed).
func (s *Store) UsedBytes() (live, arena int64) {
	for _, sh := range s.shards {
		live += sh.liveBytes.Load()
		arena += sh.arena.Load()
	}
	return live, arena
}

// ExpiredKeys returns how many keys have been removed because their TTL
// passed, by access or by the active expiry cycle.
func (s *Store) ExpiredKeys() int64 {
	var n int64
	for _, sh := range s.shards {
		n += sh.expired.Load()
	}
	return n
}
