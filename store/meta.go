package store

import (
	"math/rand/v2"
	"sync/atomic"
	"unsafe"
)

// An entry's meta word records how it has been used, for eviction:
//
//	bits 0-23   Redis's 24-bit lru field: for the LRU policies the access
//	            time in seconds (mod 2^24); for the LFU policies a
//	            logarithmic access counter (bits 0-7) and the minute it was
//	            last decremented (bits 8-23)
//	bits 24-25  S3-FIFO's access count since the entry last moved, 0-3
//
// Readers hold only the shard's read lock, so they update it atomically,
// and only when it changes: a key read a thousand times a second costs a
// load, not a store, once its count saturates.
const (
	lruMask   = 1<<24 - 1
	freqShift = 24
	freqMax   = 3

	lfuInitVal     = 5  // Redis's LFU_INIT_VAL: new keys are not evicted at once
	lfuLogFactor   = 10 // Redis's default lfu-log-factor
	lfuDecayMinute = 1  // Redis's default lfu-decay-time, minutes
)

func (e entry) metaPtr() *uint32 { return (*uint32)(unsafe.Pointer(&e[20])) }

// meta reads the meta word; callers that may race with readers updating it
// hold the write lock, which excludes them.
func (e entry) meta() uint32 { return atomic.LoadUint32(e.metaPtr()) }

func (e entry) setMeta(m uint32) { atomic.StoreUint32(e.metaPtr(), m) }

func (e entry) freq() uint32 { return e.meta() >> freqShift & freqMax }

func lruClock(now int64) uint32 { return uint32(now/1000) & lruMask }

func lfuMinutes(now int64) uint32 { return uint32(now/60000) & 0xffff }

// newMeta is the meta word of an entry written now.
func (s *shard) newMeta(now int64) uint32 {
	switch s.lim.policy() {
	case AllKeysLFU, VolatileLFU:
		return lfuMinutes(now)<<8 | lfuInitVal
	default:
		return lruClock(now)
	}
}

// accessed records a read or write of e under the current policy.
func (s *shard) accessed(e entry, now int64) {
	p := s.lim.policy()
	switch p {
	case AllKeysS3FIFO:
		m := e.meta()
		if m>>freqShift&freqMax < freqMax {
			atomic.CompareAndSwapUint32(e.metaPtr(), m, m+1<<freqShift)
		}
	case AllKeysLRU, VolatileLRU:
		m := e.meta()
		if c := lruClock(now); m&lruMask != c {
			atomic.CompareAndSwapUint32(e.metaPtr(), m, m&^lruMask|c)
		}
	case AllKeysLFU, VolatileLFU:
		m := e.meta()
		c := lfuIncr(lfuDecayed(m, now))
		if n := m&^lruMask | lfuMinutes(now)<<8 | c; n != m {
			atomic.CompareAndSwapUint32(e.metaPtr(), m, n)
		}
	}
}

// lfuDecayed is the entry's LFU counter after decaying it by one for every
// lfu-decay-time minutes since it was last decremented (Redis's
// LFUDecrAndReturn).
func lfuDecayed(m uint32, now int64) uint32 {
	counter := m & 0xff
	last := m >> 8 & 0xffff
	elapsed := (lfuMinutes(now) - last) & 0xffff
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
