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
// most budget, and returns the shard the next cycle should start at.
func (s *Store) ExpireCycle(first int, budget time.Duration) int {
	deadline := time.Now().Add(budget)
	n := len(s.shards)
	for i := range n {
		idx := (first + i) % n
		sh := s.shards[idx]
		if sh.ttlKeys.Load() == 0 {
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

// expireSome walks entries from the shard's expiry cursor until it has
// seen want entries with a TTL (or walked a bounded number of entries),
// removing the expired ones.
func (s *shard) expireSome(now int64, want int) (sampled, expired int) {
	cur := &s.expiryCursor
	walked, slotsVisited := 0, 0
	for sampled < want && walked < want*20 && slotsVisited <= len(s.chunks) {
		if int(cur.slot) >= len(s.chunks) {
			cur.slot, cur.off, cur.seq = 0, 0, 0
			slotsVisited++
			continue
		}
		c := &s.chunks[cur.slot]
		// Move on when the chunk is gone, was replaced under the cursor, or
		// has been walked to its end.
		if c.buf == nil || (cur.off != 0 && c.seq != cur.seq) || cur.off >= uint32(len(c.buf)) {
			cur.slot, cur.off = cur.slot+1, 0
			slotsVisited++
			continue
		}
		cur.seq = c.seq
		e := entry(c.buf[cur.off:])
		e = e[:e.size()]
		here := makeLoc(cur.slot, cur.off)
		cur.off += uint32(len(e))
		walked++
		if e.expireAt() == 0 {
			continue
		}
		key := e.key()
		h := s.hash(key)
		if l, ok := s.find(key, h); !ok || l != here {
			continue
		}
		sampled++
		if e.expired(now) {
			expired++
			s.expired.Add(1)
			s.remove(key, h, here)
		}
	}
	return sampled, expired
}
