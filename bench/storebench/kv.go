package main

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/workload"
	"github.com/cachesrv/cachesrv/store"
)

// kv is what a cell drives: the sharded store or a baseline. get copies
// the value out (a server must, before it writes the reply); set stores a
// copy of val.
type kv interface {
	get(key int, buf []byte) []byte
	set(key int, val []byte)
	// lockStats returns cumulative lock counters, ok=false when the
	// implementation has none to give (sync.Map).
	lockStats() (s lockStats, ok bool)
}

type lockStats struct {
	acquisitions, contended uint64
	wait                    time.Duration
}

func (a lockStats) sub(b lockStats) lockStats {
	return lockStats{a.acquisitions - b.acquisitions, a.contended - b.contended, a.wait - b.wait}
}

// storeKV drives store.Store as the server does: lock the key's shard,
// work through a Tx, copy the value out, unlock.
type storeKV struct {
	st   *store.Store
	keys [][]byte
}

func newStoreKV(shards, n int, val []byte) (*storeKV, error) {
	st, err := store.New(store.Options{Shards: shards})
	if err != nil {
		return nil, err
	}
	s := &storeKV{st: st, keys: make([][]byte, n)}
	for i := range s.keys {
		s.keys[i] = workload.AppendKey(nil, i)
		s.set(i, val)
	}
	return s, nil
}

func (s *storeKV) get(key int, buf []byte) []byte {
	k := s.keys[key]
	i := s.st.ShardOf(k)
	s.st.LockShard(i, false)
	v, _ := s.st.Tx().Get(k)
	buf = append(buf[:0], v...)
	s.st.UnlockShard(i, false)
	return buf
}

func (s *storeKV) set(key int, val []byte) {
	k := s.keys[key]
	i := s.st.ShardOf(k)
	s.st.LockShard(i, true)
	s.st.Tx().Set(k, val, 0)
	s.st.UnlockShard(i, true)
}

func (s *storeKV) lockStats() (lockStats, bool) {
	var t lockStats
	for _, sh := range s.st.Stats() {
		t.acquisitions += sh.LockAcquisitions
		t.contended += sh.LockContended
		t.wait += sh.LockWait
	}
	return t, true
}

// rwMapKV is the simplest cache: one map behind one RWMutex. Its lock
// is counted exactly as a store shard's is (try first, time only a wait),
// so its numbers compare with the store's at one shard.
type rwMapKV struct {
	mu   countedRWMutex
	m    map[string][]byte
	keys []string
}

func newRWMapKV(n int, val []byte) *rwMapKV {
	s := &rwMapKV{m: make(map[string][]byte, n), keys: make([]string, n)}
	for i := range s.keys {
		s.keys[i] = string(workload.AppendKey(nil, i))
		s.set(i, val)
	}
	return s
}

func (s *rwMapKV) get(key int, buf []byte) []byte {
	s.mu.rlock()
	buf = append(buf[:0], s.m[s.keys[key]]...)
	s.mu.mu.RUnlock()
	return buf
}

func (s *rwMapKV) set(key int, val []byte) {
	v := bytes.Clone(val) // outside the lock: readers may hold the old slice
	s.mu.lock()
	s.m[s.keys[key]] = v
	s.mu.mu.Unlock()
}

func (s *rwMapKV) lockStats() (lockStats, bool) {
	return lockStats{s.mu.acquisitions.Load(), s.mu.contended.Load(), time.Duration(s.mu.wait.Load())}, true
}

type countedRWMutex struct {
	mu                            sync.RWMutex
	acquisitions, contended, wait atomic.Uint64
}

func (m *countedRWMutex) lock() {
	if !m.mu.TryLock() {
		t := time.Now()
		m.mu.Lock()
		m.waited(time.Since(t))
	}
	m.acquisitions.Add(1)
}

func (m *countedRWMutex) rlock() {
	if !m.mu.TryRLock() {
		t := time.Now()
		m.mu.RLock()
		m.waited(time.Since(t))
	}
	m.acquisitions.Add(1)
}

func (m *countedRWMutex) waited(d time.Duration) {
	m.contended.Add(1)
	m.wait.Add(uint64(d))
}

// syncMapKV is sync.Map with immutable values: a write stores a fresh
// copy, so a reader can copy the old one without a lock.
type syncMapKV struct {
	m    sync.Map
	keys []string
}

func newSyncMapKV(n int, val []byte) *syncMapKV {
	s := &syncMapKV{keys: make([]string, n)}
	for i := range s.keys {
		s.keys[i] = string(workload.AppendKey(nil, i))
		s.set(i, val)
	}
	return s
}

func (s *syncMapKV) get(key int, buf []byte) []byte {
	v, _ := s.m.Load(s.keys[key])
	b, _ := v.([]byte)
	return append(buf[:0], b...)
}

func (s *syncMapKV) set(key int, val []byte) { s.m.Store(s.keys[key], bytes.Clone(val)) }

func (s *syncMapKV) lockStats() (lockStats, bool) { return lockStats{}, false }
