package store

import "math/rand/v2"

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

// DefaultPolicy is the server's default policy. The zero Policy is
// NoEviction, Redis's default.
const DefaultPolicy = AllKeysS3FIFO

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
	if s.memory.policy() != AllKeysS3FIFO {
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
		why := Evicted
		f := e.freq()
		switch {
		case e.expired(now):
			s.expired.Add(1)
			why = Expired
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
		s.forget(key, h, e, why)
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
		s.remove(key, s.hash(key), l, Evicted)
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
