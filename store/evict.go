package store

import (
	"errors"
	"math/rand/v2"
	"sync/atomic"
)

// Policy is what the store drops when it holds more than maxmemory: Redis's
// policies, plus S3-FIFO.
type Policy int32

const (
	NoEviction Policy = iota
	AllKeysLRU
	AllKeysLFU
	AllKeysRandom
	VolatileLRU
	VolatileLFU
	VolatileRandom
	VolatileTTL
	// AllKeysS3FIFO is S3-FIFO (Yang et al., "FIFO queues are all you need
	// for cache eviction", SOSP 2023), kept per shard: new keys enter a
	// small FIFO holding about a tenth of the shard; those read twice
	// before they reach its end move to the main FIFO, the others are
	// dropped and remembered in a ghost table, and a key that returns
	// while remembered goes straight to the main FIFO, where an entry read
	// since it last moved goes round again. Both FIFOs are logs of chunks,
	// so eviction frees a whole chunk at a time and leaves no holes.
	AllKeysS3FIFO
)

var policyNames = [...]string{
	NoEviction:     "noeviction",
	AllKeysLRU:     "allkeys-lru",
	AllKeysLFU:     "allkeys-lfu",
	AllKeysRandom:  "allkeys-random",
	VolatileLRU:    "volatile-lru",
	VolatileLFU:    "volatile-lfu",
	VolatileRandom: "volatile-random",
	VolatileTTL:    "volatile-ttl",
	AllKeysS3FIFO:  "allkeys-s3fifo",
}

func (p Policy) String() string { return policyNames[p] }

// PolicyNames lists the policies' names, in declaration order.
func PolicyNames() []string { return policyNames[:] }

// ParsePolicy returns the policy with the given name.
func ParsePolicy(name string) (Policy, bool) {
	for p, n := range policyNames {
		if n == name {
			return Policy(p), true
		}
	}
	return 0, false
}

func (p Policy) volatile() bool { return p >= VolatileLRU && p <= VolatileTTL }

// DefaultPolicy is the policy of a store whose options name none.
const DefaultPolicy = AllKeysS3FIFO

// DefaultSamples is Redis's default maxmemory-samples.
const DefaultSamples = 5

// ErrOOM is what a write gets when the store is over maxmemory and its
// policy cannot (or may not) free anything: Redis's own wording.
var ErrOOM = errors.New("OOM command not allowed when used memory > 'maxmemory'.")

// limits is the store-wide memory state every shard shares.
type limits struct {
	// Read on every GET (pol) and write: kept apart from used, which
	// every chunk taken or released writes, so that reads do not miss
	// the cache line each time.
	max     atomic.Int64 // maxmemory in bytes, 0 = unlimited
	pol     atomic.Int32
	samples atomic.Int32
	shards  int
	// crowded counts shards close to maxChunks chunk slots, which can
	// only happen with few shards and hundreds of thousands of values
	// over 4 KiB in each; writes are refused while any is.
	crowded atomic.Int32
	_       [64]byte

	used atomic.Int64 // sum of the shards' mem
	next atomic.Uint32

	pool chunkPool
}

func (l *limits) policy() Policy { return Policy(l.pol.Load()) }

// SetMaxMemory sets the limit in bytes; 0 removes it.
func (s *Store) SetMaxMemory(n int64) { s.lim.max.Store(max(n, 0)) }

// MaxMemory returns the limit in bytes, 0 if there is none.
func (s *Store) MaxMemory() int64 { return s.lim.max.Load() }

// SetPolicy sets the eviction policy.
func (s *Store) SetPolicy(p Policy) { s.lim.pol.Store(int32(p)) }

// Policy returns the eviction policy.
func (s *Store) Policy() Policy { return s.lim.policy() }

// SetSamples sets how many keys the sampling policies (LRU, LFU, TTL)
// compare to pick each victim, as Redis's maxmemory-samples.
func (s *Store) SetSamples(n int) { s.lim.samples.Store(int32(max(n, 1))) }

// Samples returns the maxmemory-samples setting.
func (s *Store) Samples() int { return int(s.lim.samples.Load()) }

// Used returns the bytes that count against maxmemory: the shards' chunk
// buffers (live entries, dead ones not yet reclaimed and the unused ends of
// tail chunks), index tables and ghost tables. It is kept as the memory is
// taken and given back, so reading it is one atomic load.
func (s *Store) Used() int64 { return s.lim.used.Load() }

// EvictedKeys returns how many keys were dropped to stay under maxmemory.
func (s *Store) EvictedKeys() int64 {
	var n int64
	for _, sh := range s.shards {
		n += sh.evicted.Load()
	}
	return n
}

// OverLimit reports whether the store holds more than maxmemory, or
// cannot take more for want of chunk slots: whether writes must go
// through Admit.
func (s *Store) OverLimit() bool {
	m := s.lim.max.Load()
	return (m > 0 && s.lim.used.Load() > m) || s.lim.crowded.Load() > 0
}

// Admit is called before a command that may add data, with no shard lock
// held: over maxmemory, it evicts under the policy until the store is back
// under it, and returns ErrOOM if it may not (noeviction) or cannot (a
// volatile policy with no keys that have a TTL). As in Redis, a write that
// is admitted may then take the store somewhat over the limit; the next
// one brings it back.
//
// shard is the shard the command writes to, or -1 if it is not one: that
// shard evicts first, so that each shard's policy sees its own writes and
// the chunk an eviction frees is the one the write reuses.
func (s *Store) Admit(shard int) error {
	if s.lim.crowded.Load() > 0 {
		return ErrOOM
	}
	m := s.lim.max.Load()
	if m <= 0 || s.lim.used.Load() <= m {
		return nil
	}
	p := s.lim.policy()
	if p == NoEviction {
		return ErrOOM
	}
	// After the writer's shard, shards take turns, so that concurrent
	// writers evict from different shards in parallel.
	n := len(s.shards)
	for fruitless := 0; s.lim.used.Load() > m; shard = -1 {
		if shard < 0 {
			shard = int(s.lim.next.Add(1)) & (n - 1)
		}
		sh := s.shards[shard]
		sh.lock(true)
		ok := sh.evict(p, s.now(), int(s.lim.samples.Load()))
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

// evict frees some memory of the shard under policy p and reports whether
// it found anything to free.
func (s *shard) evict(p Policy, now int64, samples int) bool {
	if p == AllKeysS3FIFO {
		return s.evictFIFO(now)
	}
	return s.evictSampled(p, now, samples)
}

// insertLog is the log a new key goes to: S3-FIFO's small FIFO, or its
// main FIFO when the ghost table remembers the key as recently evicted.
func (s *shard) insertLog(h uint64) uint8 {
	if s.lim.policy() != AllKeysS3FIFO {
		return logMain
	}
	if s.ghost.take(h) {
		return logMain
	}
	return logSmall
}

// evictFIFO evicts the oldest chunk of the small FIFO when it holds a
// tenth of the shard or more, else of the main FIFO (S3-FIFO).
func (s *shard) evictFIFO(now int64) bool {
	small, main := s.logSize[logSmall], s.logSize[logMain]
	log := uint8(logMain)
	if small > 0 && (small*10 >= small+main || main == 0) {
		log = logSmall
	}
	slot, ok := s.oldest(log)
	if !ok {
		return false
	}
	s.evictChunk(slot, now)
	return true
}

// promoteReads is how many reads an entry needs while in the small FIFO to
// move to the main one, as in the paper's Algorithm 1 (freq > 1). With one
// read instead, bench/hitratio's shifting-popularity trace did no better
// than Redis's allkeys-lru (71.2% both), and the other traces up to 0.8
// points better than with two.
const promoteReads = 2

// evictChunk empties one chunk and releases it. From the small FIFO, an
// entry read promoteReads times since it was written moves to the main
// FIFO and the others are dropped into the ghost table; from the main
// FIFO, an entry read since it last moved goes round again with its count
// lowered, and the others are dropped. Expired entries are dropped as
// expired.
func (s *shard) evictChunk(slot uint32, now int64) {
	c := &s.chunks[slot]
	if s.isTail(slot) {
		s.seal(c.log)
		if c.buf == nil { // seal released it: all dead
			return
		}
	}
	log := c.log
	s.fitGhost(int(s.keys.Load()))
	s.drain(slot, func(e entry, key []byte, h uint64) {
		f := e.freq()
		switch {
		case e.expired(now):
			s.expired.Add(1)
		case f >= promoteReads || (f > 0 && log == logMain):
			if log == logMain {
				f--
			} else {
				f = 0
			}
			s.move(e, key, h, logMain).setMeta(e.meta()&^(freqMax<<freqShift) | f<<freqShift)
			return
		default:
			s.evicted.Add(1)
			if log == logSmall {
				s.ghost.add(h)
			}
		}
		s.forget(key, h, e)
		s.liveBytes.Add(-int64(len(e)))
	})
}

// Pressure compaction: the sampling policies free entries one by one,
// scattered over the chunks, and the arena gets the space back only when
// a chunk is compacted. While evicting, a shard whose dead space reaches
// 1/pressureFrac of its arena compacts its most-dead chunk.
const pressureFrac = 16

// evictSampled drops up to evictBatch victims chosen by sampling, as
// Redis's approximated LRU, LFU and TTL policies do, compacting as it goes.
func (s *shard) evictSampled(p Policy, now int64, samples int) bool {
	const evictBatch = 16
	progress := false
	for range evictBatch {
		if s.compactDeadest() {
			return true
		}
		if p.volatile() && s.ttlKeys.Load() == 0 {
			return progress
		}
		l, ok := s.victim(p, now, samples)
		if !ok {
			return progress
		}
		e := s.entryAt(l)
		key := e.key()
		if e.expired(now) {
			s.expired.Add(1)
		} else {
			s.evicted.Add(1)
		}
		s.remove(key, s.hash(key), l)
		progress = true
	}
	return progress
}

// compactDeadest compacts the chunk with the most dead space if the
// shard's dead space has reached 1/pressureFrac of its arena.
func (s *shard) compactDeadest() bool {
	arena := s.arena.Load()
	dead := arena - s.liveBytes.Load()
	for _, t := range s.tails {
		if t >= 0 {
			c := &s.chunks[t]
			dead -= int64(cap(c.buf) - len(c.buf))
		}
	}
	if arena == 0 || dead*pressureFrac < arena {
		return false
	}
	best, most := uint32(0), uint32(0)
	for i := range s.chunks {
		if c := &s.chunks[i]; c.buf != nil && c.dead > most && !s.isTail(uint32(i)) {
			best, most = uint32(i), c.dead
		}
	}
	return most > 0 && s.maybeCompact(best, 1<<30)
}

// victim samples entries at random index slots and returns the best one
// to evict under p; for the volatile policies, only entries with a TTL.
func (s *shard) victim(p Policy, now int64, samples int) (loc, bool) {
	slots := s.idx.slots
	if s.idx.used == 0 {
		return 0, false
	}
	var best loc
	var bestScore int64
	found := 0
	clock := lruClock(now)
	// Random slots first; when keys with a TTL are too rare for that to
	// find any, the volatile policies walk on from a random slot instead,
	// as Redis samples its dict of keys with a TTL.
	walk := -1
	for tries := 0; found < samples; tries++ {
		var i int
		switch {
		case tries < samples*8:
			i = rand.IntN(len(slots))
			for slots[i] == 0 {
				i = s.idx.next(i)
			}
		case !p.volatile() || found > 0 || tries-samples*8 > len(slots):
			return best, found > 0
		default:
			if walk < 0 {
				walk = rand.IntN(len(slots))
			}
			walk = s.idx.next(walk)
			if i = walk; slots[i] == 0 {
				continue
			}
		}
		l := loc(slots[i])
		e := s.entryAt(l)
		if p.volatile() && e.expireAt() == 0 {
			continue
		}
		found++
		var score int64 // higher is a better victim
		switch p {
		case AllKeysLRU, VolatileLRU:
			score = int64((clock - e.meta()) & lruMask)
		case AllKeysLFU, VolatileLFU:
			score = 255 - int64(lfuDecayed(e.meta(), now))
		case VolatileTTL:
			score = -e.expireAt()
		case AllKeysRandom, VolatileRandom:
			return l, true
		}
		if e.expired(now) {
			return l, true
		}
		if found == 1 || score > bestScore {
			best, bestScore = l, score
		}
	}
	return best, found > 0
}

// ghost remembers the hashes of keys recently evicted from S3-FIFO's small
// FIFO: a direct-mapped table of 16-bit tags, about one slot per key in the
// shard, so that 2 bytes a key buy the memory of roughly as many evicted
// keys as the shard holds. A newer key overwrites an older one's slot; a
// false match (1 in 65536) only admits a key to the main FIFO early.
type ghost struct {
	tags []uint16
}

func ghostSlot(h uint64, n int) int { return int(h>>16) & (n - 1) }
func ghostTag(h uint64) uint16      { return uint16(h>>48) | 1 }

func (g *ghost) add(h uint64) {
	if len(g.tags) > 0 {
		g.tags[ghostSlot(h, len(g.tags))] = ghostTag(h)
	}
}

// take reports whether h is remembered, and forgets it.
func (g *ghost) take(h uint64) bool {
	if len(g.tags) == 0 {
		return false
	}
	i := ghostSlot(h, len(g.tags))
	if g.tags[i] != ghostTag(h) {
		return false
	}
	g.tags[i] = 0
	return true
}

// fitGhost resizes the ghost table for a shard of keys keys when it is far off.
func (s *shard) fitGhost(keys int) {
	want := minIndexSlots
	for want < keys {
		want *= 2
	}
	if n := len(s.ghost.tags); n == want || (n > want && n <= 4*want) {
		return
	}
	s.addMem(int64(want-len(s.ghost.tags)) * 2)
	s.ghost.tags = make([]uint16, want)
}
