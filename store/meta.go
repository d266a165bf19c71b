package store

import (
	"math/rand/v2"
	"sync/atomic"
)

// An entry's meta field (16 bits, the top of its first word) records how
// it has been used, for eviction, under the current policy:
//
//	LFU policies   a logarithmic access counter (bits 0-7) and the minute
//	               it was last decremented, mod 256 (bits 8-15)
//	S3-FIFO        the access count since the entry last moved, 0-3
//	               (bits 0-1), and the access time in seconds, mod 2^14
//	               (bits 2-15)
//	the others     the access time in seconds, mod 2^16 (the LRU
//	               policies evict by it; noeviction, random and
//	               volatile-ttl keep it for OBJECT IDLETIME, as Redis does)
//
// So OBJECT IDLETIME reads idle times modulo 18 hours (4.5 hours under
// S3-FIFO), where Redis's 24-bit clock wraps after 194 days.
//
// After a change of policy, entries written before it are read under the
// new one until they are next used, which makes the first evictions
// somewhat arbitrary. Readers hold only the shard's read lock, so they
// update the field atomically, and only when it changes: a key read a
// thousand times a second costs a load, not a store, once its count
// saturates.
const (
	lruMask   = 0xffff
	freqShift = 0
	freqMax   = 3
	s3Shift   = 2 // S3-FIFO's access clock, above the count
	s3Mask    = 0x3fff

	lfuInitVal     = 5  // Redis's LFU_INIT_VAL: new keys are not evicted at once
	lfuLogFactor   = 10 // Redis's default lfu-log-factor
	lfuDecayMinute = 1  // Redis's default lfu-decay-time, minutes
)

// meta reads the meta field.
func (e entry) meta() uint32 { return uint32(atomic.LoadUint64(e.word0()) >> 48) }

// setMeta sets the meta field, for a caller holding the write lock.
func (e entry) setMeta(m uint32) {
	w := atomic.LoadUint64(e.word0())
	atomic.StoreUint64(e.word0(), w&expireMask|uint64(m&0xffff)<<48)
}

// casMeta sets the meta field from old to m unless it changed meanwhile,
// for a reader holding the read lock.
func (e entry) casMeta(old, m uint32) {
	w := atomic.LoadUint64(e.word0())
	if uint32(w>>48) == old {
		atomic.CompareAndSwapUint64(e.word0(), w, w&expireMask|uint64(m&0xffff)<<48)
	}
}

func (e entry) freq() uint32 { return e.meta() >> freqShift & freqMax }

func lruClock(now int64) uint32 { return uint32(now/1000) & lruMask }

func lfuMinutes(now int64) uint32 { return uint32(now/60000) & 0xff }

// newMeta is the meta word of an entry written now.
func (s *shard) newMeta(now int64) uint16 {
	switch s.memory.policy() {
	case AllKeysLFU, VolatileLFU:
		return uint16(lfuMinutes(now)<<8 | lfuInitVal)
	case AllKeysS3FIFO:
		return uint16(lruClock(now) & s3Mask << s3Shift)
	default:
		return uint16(lruClock(now))
	}
}

// accessed records a read or write of e under the current policy.
func (s *shard) accessed(e entry, now int64) {
	p := s.memory.policy()
	switch p {
	case AllKeysS3FIFO:
		m := e.meta()
		n := m
		if m>>freqShift&freqMax < freqMax {
			n += 1 << freqShift
		}
		if c := lruClock(now) & s3Mask; n>>s3Shift != c {
			n = c<<s3Shift | n&(1<<s3Shift-1)
		}
		if n != m {
			e.casMeta(m, n)
		}
	case AllKeysLFU, VolatileLFU:
		m := e.meta()
		c := lfuIncr(lfuDecayed(m, now))
		if n := lfuMinutes(now)<<8 | c; n != m {
			e.casMeta(m, n)
		}
	default: // the LRU policies, noeviction, random, volatile-ttl
		m := e.meta()
		if c := lruClock(now); m != c {
			e.casMeta(m, c)
		}
	}
}

// idleSeconds is how long ago e was last used, read from its access clock
// under policy p; ok is false under the LFU policies, which keep none.
func idleSeconds(e entry, p Policy, now int64) (secs int64, ok bool) {
	switch p {
	case AllKeysLFU, VolatileLFU:
		return 0, false
	case AllKeysS3FIFO:
		return int64((lruClock(now) - e.meta()>>s3Shift) & s3Mask), true
	}
	return int64((lruClock(now) - e.meta()) & lruMask), true
}

// lfuDecayed is the entry's LFU counter after decaying it by one for every
// lfu-decay-time minutes since it was last decremented (Redis's
// LFUDecrAndReturn).
func lfuDecayed(m uint32, now int64) uint32 {
	counter := m & 0xff
	last := m >> 8 & 0xff
	elapsed := (lfuMinutes(now) - last) & 0xff
	if periods := elapsed / lfuDecayMinute; periods > 0 {
		if periods >= counter {
			return 0
		}
		return counter - periods
	}
	return counter
}

// lfuIncr increments a logarithmic counter with probability
// 1/((counter-init)*factor+1), as Redis's LFULogIncr does, so that 255
// stands for about a million accesses.
func lfuIncr(counter uint32) uint32 {
	if counter == 255 {
		return 255
	}
	base := float64(0)
	if counter > lfuInitVal {
		base = float64(counter - lfuInitVal)
	}
	if rand.Float64() < 1/(base*lfuLogFactor+1) {
		return counter + 1
	}
	return counter
}
