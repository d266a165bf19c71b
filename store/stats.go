package store

import "time"

// ShardStats is a snapshot of one shard's counters.
type ShardStats struct {
	Keys, KeysWithTTL     int64
	LiveBytes, Arena      int64 // bytes of live entries; bytes of chunks held
	Expired, Evicted      int64
	Mem                   int64  // what counts against maxmemory: chunks, index, ghost
	Reads, Writes         uint64 // commands run on the shard (CountOps)
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
			Mem:              sh.used.Load(),
			Reads:            sh.reads.Load(),
			Writes:           sh.writes.Load(),
			LockAcquisitions: sh.acquisitions.Load(),
			LockContended:    sh.contended.Load(),
			LockWait:         time.Duration(sh.waitNanos.Load()),
			LockMaxWait:      time.Duration(sh.maxWaitNanos.Load()),
		}
	}
	return out
}

// Add adds o's counters to s, as for the same shard of two stores: sums,
// and the longer of the longest waits.
func (s *ShardStats) Add(o ShardStats) {
	s.Keys += o.Keys
	s.KeysWithTTL += o.KeysWithTTL
	s.LiveBytes += o.LiveBytes
	s.Arena += o.Arena
	s.Expired += o.Expired
	s.Evicted += o.Evicted
	s.Mem += o.Mem
	s.Reads += o.Reads
	s.Writes += o.Writes
	s.LockAcquisitions += o.LockAcquisitions
	s.LockContended += o.LockContended
	s.LockWait += o.LockWait
	s.LockMaxWait = max(s.LockMaxWait, o.LockMaxWait)
}
