package store

import (
	"fmt"
	"math/bits"
	"sync"
	"sync/atomic"
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
	// Limits are the memory settings, which SetLimits changes at run
	// time.
	Limits Limits
	// GoMemoryLimit ties the Go runtime's soft memory limit
	// (debug.SetMemoryLimit) to Limits.MaxMemory, now and at every
	// SetLimits. A process holding one store sets it unless the user set
	// GOMEMLIMIT.
	GoMemoryLimit bool
	// Coll are the encoding thresholds of collections; the zero value
	// means DefaultCollLimits. SetCollLimits changes them at run time.
	Coll CollLimits
}

// Store is the sharded keyspace. Its methods that take no Tx are safe for
// concurrent use and lock what they need themselves.
type Store struct {
	shards []*shard
	mask   uint64
	hash   func([]byte) uint64
	now    func() int64
	memory *memory // settings and usage, shared with every shard (and with the stores of a group: NewShared)
	hooks  hooks   // the change hook, shared with every shard
	id     uint64  // creation order (ID)

	limitsMu         sync.Mutex // serialises SetLimits
	tieGoMemoryLimit bool       // Options.GoMemoryLimit
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
	if p := o.Limits.Policy; p < 0 || int(p) >= len(policyNames) {
		return nil, fmt.Errorf("unknown eviction policy %d", p)
	}
	s := newStore(o.Shards, o.Hash, o.Now, &memory{})
	s.tieGoMemoryLimit = o.GoMemoryLimit
	s.SetLimits(o.Limits)
	if o.Coll != (CollLimits{}) {
		s.SetCollLimits(o.Coll)
	}
	return s, nil
}

// storeIDs numbers stores in creation order.
var storeIDs atomic.Uint64

// newStore returns an empty store whose shards use mem, and adds it to
// mem's group.
func newStore(shards int, hash func([]byte) uint64, now func() int64, mem *memory) *Store {
	s := &Store{shards: make([]*shard, shards), mask: uint64(shards - 1), hash: hash, now: now, memory: mem,
		id: storeIDs.Add(1)}
	for i := range s.shards {
		s.shards[i] = newShard(i, hash, mem, &s.hooks)
	}
	mem.join(s)
	return s
}

// NewShared returns a new, empty store with s's shard count, hash and
// clock that shares s's memory: one maxmemory budget (Used, OverLimit and
// Limits are the group's, SetLimits and SetCollLimits on any store apply
// to all), one eviction (Admit evicts from the shards of every store in
// the group, so that a store filling up pushes out another's keys under
// the policy, as Redis evicts across its databases), and one active
// expiry cycle (RunExpiry and ExpireCycle on any store cover all). Its
// change hook and its watches are its own. The server keeps one store
// per numbered database this way.
func (s *Store) NewShared() *Store {
	return newStore(len(s.shards), s.hash, s.now, s.memory)
}

// ID returns a number unique to the store, increasing in the order stores
// were created: a caller that locks shards of several stores at once
// takes them in this order (then by shard), so that such callers cannot
// deadlock one another.
func (s *Store) ID() uint64 { return s.id }

// Shards returns the number of shards.
func (s *Store) Shards() int { return len(s.shards) }

// ShardOf returns the index of the shard that holds key.
func (s *Store) ShardOf(key []byte) int { return int(s.hash(key) & s.mask) }

// Now returns the store's clock, Unix milliseconds.
func (s *Store) Now() int64 { return s.now() }

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

// ExpiredKeys returns how many keys have been removed because their TTL
// passed, by access or by the active expiry cycle, in every store of the
// group (NewShared).
func (s *Store) ExpiredKeys() int64 {
	var n int64
	for _, sh := range s.memory.allShards() {
		n += sh.expired.Load()
	}
	return n
}

// EvictedKeys returns how many keys were dropped to stay under maxmemory,
// in every store of the group.
func (s *Store) EvictedKeys() int64 {
	var n int64
	for _, sh := range s.memory.allShards() {
		n += sh.evicted.Load()
	}
	return n
}
