package store

import (
	"errors"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Limits are the store's memory settings.
type Limits struct {
	// MaxMemory is the limit in bytes on Used, 0 for none.
	MaxMemory int64
	// Policy is what is evicted to stay under MaxMemory. The zero value
	// is NoEviction, as in Redis; the server's default is DefaultPolicy.
	Policy Policy
	// Samples is how many keys the sampling policies (LRU, LFU, TTL)
	// compare to pick each victim, as Redis's maxmemory-samples; 0 means
	// DefaultSamples.
	Samples int
}

// DefaultSamples is Redis's default maxmemory-samples.
const DefaultSamples = 5

// memory is the store-wide memory state every shard shares: the settings
// and what is used.
type memory struct {
	// Read on every GET (pol) and write: kept apart from used, which
	// every chunk taken or released writes, so that reads do not miss
	// the cache line each time.
	max     atomic.Int64 // maxmemory in bytes, 0 = unlimited
	pol     atomic.Int32
	samples atomic.Int32
	shards  atomic.Int64 // shards in the group, for chunk sizing
	// crowded counts shards close to maxChunks chunk slots, which can
	// only happen with few shards and hundreds of thousands of values
	// over 4 KiB in each; writes are refused while any is.
	crowded atomic.Int32
	_       [64]byte

	used atomic.Int64 // sum of the shards' used
	next atomic.Uint32

	pool chunkPool
	coll collLimits // encoding thresholds of collections

	// The group: every store sharing this memory (Store.NewShared) and
	// their shards, which eviction and active expiry walk. Copied on
	// write: stores join rarely (a database's first use) and never leave.
	groupMu sync.Mutex
	all     atomic.Pointer[[]*shard]
}

// join adds s and its shards to the group.
func (m *memory) join(s *Store) {
	m.groupMu.Lock()
	defer m.groupMu.Unlock()
	var all []*shard
	if p := m.all.Load(); p != nil {
		all = append(all, *p...)
	}
	all = append(all, s.shards...)
	m.all.Store(&all)
	m.shards.Store(int64(len(all)))
}

// allShards returns the shards of every store in the group.
func (m *memory) allShards() []*shard { return *m.all.Load() }

func (m *memory) policy() Policy { return Policy(m.pol.Load()) }

// SetLimits changes the memory settings at run time. A limit lowered
// below what is used is enforced at once, as in Redis, not at the next
// write; in the background, since the caller (CONFIG SET inside an EXEC)
// may hold shard locks that eviction needs. Under noeviction the store
// just stays over the limit. With Options.GoMemoryLimit, it also sets the
// Go runtime's soft memory limit to match.
func (s *Store) SetLimits(l Limits) {
	s.limitsMu.Lock()
	defer s.limitsMu.Unlock()
	if l.Samples == 0 {
		l.Samples = DefaultSamples
	}
	s.memory.max.Store(max(l.MaxMemory, 0))
	s.memory.pol.Store(int32(l.Policy))
	s.memory.samples.Store(int32(max(l.Samples, 1)))
	if s.tieGoMemoryLimit {
		debug.SetMemoryLimit(goMemoryLimit(l.MaxMemory))
	}
	if l.MaxMemory > 0 && s.Used() > l.MaxMemory {
		go s.Admit(-1)
	}
}

// Limits returns the memory settings.
func (s *Store) Limits() Limits {
	return Limits{MaxMemory: s.memory.max.Load(), Policy: s.memory.policy(), Samples: int(s.memory.samples.Load())}
}

// goMemoryLimit is the Go runtime's soft memory limit for a maxmemory of
// max bytes (none for 0). The store keeps its own memory under max; the
// runtime limit makes the collector return garbage (chunks released by
// compaction or eviction, old index tables) before the heap grows far
// beyond that, where GOGC alone would let it reach twice the live heap.
// The twentieth and the 16 MiB are room for pooled chunks (at most a 64th
// of maxmemory and 1 MiB), connection buffers and the runtime. With more
// (a tenth and 64 MiB), bench/membench's churn run held 1.20x maxmemory of
// RSS: the runtime keeps freed spans up to its limit. A live heap above
// the limit (thousands of clients with big buffers) makes the collector
// run often, at no more than half the CPU; set GOMEMLIMIT to override.
func goMemoryLimit(max int64) int64 {
	if max <= 0 {
		return math.MaxInt64
	}
	return max + max/20 + 16<<20
}

// Used returns the bytes that count against maxmemory: the shards' chunk
// buffers (live entries, dead ones not yet reclaimed and the unused ends of
// tail chunks), index tables and ghost tables. It is kept as the memory is
// taken and given back, so reading it is one atomic load.
func (s *Store) Used() int64 { return s.memory.used.Load() }

// addMem accounts d more bytes against maxmemory.
func (s *shard) addMem(d int64) {
	s.used.Add(d)
	s.memory.used.Add(d)
}

// UsedBytes returns the bytes of live entries and the bytes of arena
// chunks holding them (live plus not yet reclaimed), in every store of
// the group.
func (s *Store) UsedBytes() (live, arena int64) {
	for _, sh := range s.memory.allShards() {
		live += sh.liveBytes.Load()
		arena += sh.arena.Load()
	}
	return live, arena
}

// MemoryUsage estimates the bytes key takes: its entry in the arena (header,
// key, reserved value space) plus its share of the shard's index table.
// False if it is missing.
func (t Tx) MemoryUsage(key []byte) (int64, bool) {
	sh, h := t.hashed(key)
	e, _, ok := sh.lookup(key, h, t.now)
	if !ok {
		return 0, false
	}
	return int64(e.size()) + sh.idx.bytes()/int64(sh.idx.used) + sh.collBytes(e), true
}

// ErrOOM is what a write gets when the store is over maxmemory and its
// policy cannot (or may not) free anything: Redis's own wording.
var ErrOOM = errors.New("OOM command not allowed when used memory > 'maxmemory'.")

// OverLimit reports whether the store holds more than maxmemory, or
// cannot take more for want of chunk slots: whether writes must go
// through Admit.
func (s *Store) OverLimit() bool {
	m := s.memory.max.Load()
	return (m > 0 && s.memory.used.Load() > m) || s.memory.crowded.Load() > 0
}

// Admit is called before a command that may add data, with no shard lock
// held: over maxmemory, it evicts under the policy until the store is back
// under it, and returns ErrOOM if it may not (noeviction) or cannot (a
// volatile policy with no keys that have a TTL). As in Redis, a write that
// is admitted may then take the store somewhat over the limit; the next
// one brings it back.
//
// shard is the shard of s the command writes to, or -1 if it is not one:
// that shard evicts first, so that each shard's policy sees its own writes
// and the chunk an eviction frees is the one the write reuses. The others
// are those of every store in the group (NewShared): a store sharing the
// budget can push out another's keys.
func (s *Store) Admit(shard int) error {
	if s.memory.crowded.Load() > 0 {
		return ErrOOM
	}
	m := s.memory.max.Load()
	if m <= 0 || s.memory.used.Load() <= m {
		return nil
	}
	p := s.memory.policy()
	if p == NoEviction {
		return ErrOOM
	}
	// After the writer's shard, shards take turns, so that concurrent
	// writers evict from different shards in parallel.
	all := s.memory.allShards()
	n := len(all)
	for fruitless := 0; s.memory.used.Load() > m; shard = -1 {
		sh := all[int(s.memory.next.Add(1)%uint32(n))]
		if shard >= 0 {
			sh = s.shards[shard]
		}
		sh.lock(true)
		ok := sh.evict(p, s.now(), int(s.memory.samples.Load()))
		sh.settle()
		sh.unlock(true)
		if ok {
			fruitless = 0
		} else if fruitless++; fruitless >= n {
			return ErrOOM
		}
	}
	return nil
}
