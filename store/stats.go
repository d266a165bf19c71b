package store

import (
	"sync/atomic"
	"time"
)

// lockStats counts one shard's lock traffic. The uncontended path costs a
// TryLock and an atomic add; only an acquisition that had to wait reads
// the clock.
type lockStats struct {
	acquisitions atomic.Uint64
	contended    atomic.Uint64
	waitNanos    atomic.Uint64
	maxWaitNanos atomic.Uint64
}

func (s *shard) lock(write bool) {
	if write {
		if !s.mu.TryLock() {
			t := time.Now()
			s.mu.Lock()
			s.waited(time.Since(t))
		}
	} else if !s.mu.TryRLock() {
		t := time.Now()
		s.mu.RLock()
		s.waited(time.Since(t))
	}
	s.acquisitions.Add(1)
}

func (s *shard) unlock(write bool) {
	if write {
		s.mu.Unlock()
	} else {
		s.mu.RUnlock()
	}
}

func (s *lockStats) waited(d time.Duration) {
	n := uint64(d)
	s.contended.Add(1)
	s.waitNanos.Add(n)
	for {
		m := s.maxWaitNanos.Load()
		if n <= m || s.maxWaitNanos.CompareAndSwap(m, n) {
			return
		}
	}
}

// ShardStats is a snapshot of one shard's counters.
type ShardStats struct {
	Keys, KeysWithTTL     int64
	LiveBytes, Arena      int64 // bytes of live entries; bytes of chunks held
	Expired, Evicted      int64
	Mem                   int64 // what counts against maxmemory: chunks, index, ghost
	LockAcquisitions      uint64
	LockContended         uint64
	LockWait, LockMaxWait time.Duration
}

// Stats returns a snapshot of every shard's counters, read without locks.
func (s *Store) Stats() []ShardStats {
	out := make([]ShardStats, len(s.shards))
	for i, sh := range s.shards {
		out[i] = ShardStats{
			Keys:             sh.keys.Load(),
			KeysWithTTL:      sh.ttlKeys.Load(),
			LiveBytes:        sh.liveBytes.Load(),
			Arena:            sh.arena.Load(),
			Expired:          sh.expired.Load(),
			Evicted:          sh.evicted.Load(),
			Mem:              sh.mem.Load(),
			LockAcquisitions: sh.acquisitions.Load(),
			LockContended:    sh.contended.Load(),
			LockWait:         time.Duration(sh.waitNanos.Load()),
			LockMaxWait:      time.Duration(sh.maxWaitNanos.Load()),
		}
	}
	return out
}
