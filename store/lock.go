package store

import (
	"sync/atomic"
	"time"
)

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

// CountOps counts n commands run on shard i under its read or write lock,
// for the per-shard operation counters. Callers count a run of commands
// under one acquisition at once, which keeps it to one atomic add per
// acquisition on the path every command takes.
func (s *Store) CountOps(i int, write bool, n int) {
	if write {
		s.shards[i].writes.Add(uint64(n))
	} else {
		s.shards[i].reads.Add(uint64(n))
	}
}

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

// lock takes the shard's lock, exclusive if write, shared if not.
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

// unlock releases what lock took.
func (s *shard) unlock(write bool) {
	if write {
		s.mu.Unlock()
	} else {
		s.mu.RUnlock()
	}
}

// lockStats counts one shard's lock traffic. The uncontended path costs a
// TryLock and an atomic add; only an acquisition that had to wait reads
// the clock.
type lockStats struct {
	acquisitions atomic.Uint64
	reads        atomic.Uint64 // commands run under the shard's read lock (CountOps)
	writes       atomic.Uint64 // and under its write lock
	contended    atomic.Uint64
	waitNanos    atomic.Uint64
	maxWaitNanos atomic.Uint64
}

// waited counts an acquisition that waited d.
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

// TryLock is Lock that does not wait: it takes every one of the given
// shards' locks and returns true, or takes none and returns false. A
// caller holding another store's locks uses it where taking these in the
// stores' order is not possible (a script's SELECT).
func (s *Store) TryLock(shards []int, write bool) bool {
	for k, i := range shards {
		if !s.shards[i].tryLock(write) {
			for _, j := range shards[:k] {
				s.shards[j].unlock(write)
			}
			return false
		}
	}
	return true
}

// TryLockAll is TryLock of every shard.
func (s *Store) TryLockAll(write bool) bool {
	for k, sh := range s.shards {
		if !sh.tryLock(write) {
			for _, x := range s.shards[:k] {
				x.unlock(write)
			}
			return false
		}
	}
	return true
}

func (s *shard) tryLock(write bool) bool {
	ok := false
	if write {
		ok = s.mu.TryLock()
	} else {
		ok = s.mu.TryRLock()
	}
	if ok {
		s.acquisitions.Add(1)
	}
	return ok
}
