package store

import (
	"context"
	"time"
)

// Active expiry, modelled on Redis's: every cycle each shard samples keys
// that carry a TTL, removes those that expired, and samples again while
// more than a quarter of a sample had expired, within a CPU budget. Lazy
// expiry (an expired key is never returned) keeps reads correct; this
// keeps memory from filling with keys nobody reads again.
const (
	expireSample      = 20                     // TTL keys per sample
	expireCycleEvery  = 100 * time.Millisecond // Redis's hz 10
	expireCycleBudget = 25 * time.Millisecond  // a quarter of a core, as Redis
	expireAcceptStale = 25                     // percent expired that stops a shard's loop
)

// RunExpiry runs the active expiry cycle until ctx ends.
func (s *Store) RunExpiry(ctx context.Context) {
	t := time.NewTicker(expireCycleEvery)
	defer t.Stop()
	next := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			next = s.ExpireCycle(next, expireCycleBudget)
		}
	}
}

// ExpireCycle runs one active expiry cycle starting at shard first, for at
// most budget, and returns the shard the next cycle should start at. The
// shards are those of every store in the group (NewShared), in the
// order the stores were created.
func (s *Store) ExpireCycle(first int, budget time.Duration) int {
	deadline := time.Now().Add(budget)
	all := s.memory.allShards()
	n := len(all)
	for i := range n {
		idx := (first + i) % n
		sh := all[idx]
		if sh.ttlKeys.Load() == 0 && sh.fieldTTLKeys.Load() == 0 {
			continue
		}
		sh.lock(true)
		for {
			sampled, expired := sh.expireSome(s.now(), expireSample)
			if sampled == 0 || expired*100 <= sampled*expireAcceptStale || time.Now().After(deadline) {
				break
			}
		}
		sh.settle()
		sh.unlock(true)
		if time.Now().After(deadline) {
			return (idx + 1) % n
		}
	}
	return first
}

// expireSome walks the index from where the last call stopped until it
// has seen want entries with a TTL (or walked a bounded number of slots),
// removing the expired ones.
func (s *shard) expireSome(now int64, want int) (sampled, expired int) {
	for walked := 0; sampled < want && walked < want*20 && s.idx.used > 0; walked++ {
		slots := s.idx.slots
		if s.expiryPos >= len(slots) {
			s.expiryPos = 0
		}
		v := slots[s.expiryPos]
		if v == 0 {
			s.expiryPos++
			continue
		}
		l := loc(v)
		e := s.entryAt(l)
		if e.isColl() && !e.expired(now) && s.hasFieldTTLs(e.value()) {
			// A hash with field expiries: reclaim some of its fields.
			sampled++
			gone, n := s.reapFields(l, e, now)
			if n > 0 {
				expired++
			}
			if !gone {
				s.expiryPos++
			}
			continue
		}
		if e.expireAt() == 0 {
			s.expiryPos++
			continue
		}
		sampled++
		if !e.expired(now) {
			s.expiryPos++
			continue
		}
		// Removing shifts a later entry into this slot; look at it next.
		expired++
		s.expired.Add(1)
		key := e.key()
		s.remove(key, s.hash(key), l, Expired)
	}
	return sampled, expired
}
