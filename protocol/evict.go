package protocol

import (
	"cmp"
	"slices"
)

// Client eviction (maxmemory-clients), as in Redis 7: when what all
// clients hold together reaches the limit, clients are closed, those
// holding the most first, until the total is under it again. Clients
// that ran CLIENT NO-EVICT on count toward the total but are never
// closed. The total is kept as a running sum of each client's share
// (memCounted), which the client's own goroutine brings up to date after
// each read and, while the limit is set, around each write (flush), so
// that checking it costs no lock and no walk over the clients; only
// going over the limit takes them. With the limit at 0 only changes of a
// query buffer's size, which are rare, touch the sum, so that setting a
// limit later finds the large buffers already counted.

// noteMem brings the client's share of Server.clientMem up to date with
// what it holds now and, when that growth takes the total to
// maxmemory-clients, evicts clients (this one too, if it is the
// largest, as Redis does).
func (c *client) noteMem() {
	t := c.mem.total()
	if c.killed.Load() { // closed (evicted or CLIENT KILL): it no longer counts
		t = 0
	}
	if t == c.memCounted.Load() {
		return
	}
	// Swap rather than Store: the evicting goroutine zeroes a victim's
	// share while it may still be running; every change goes through the
	// share, so the sum stays the sum of the shares whatever the order.
	d := t - c.memCounted.Swap(t)
	sum := c.srv.clientMem.Add(d)
	if d <= 0 {
		return
	}
	if lim := c.srv.cfg.ClientEvictionLimit(); lim > 0 && sum >= lim {
		c.srv.evictClients(lim)
	}
}

// evictClients closes the clients holding the most memory, skipping
// those with CLIENT NO-EVICT on, until what all clients hold is under
// lim. A victim's share leaves the total at once: its goroutine cleans
// up later, and counting it until then would evict more than needed.
func (s *Server) evictClients(lim int64) {
	s.evictMu.Lock()
	defer s.evictMu.Unlock()
	if s.clientMem.Load() < lim { // another goroutine evicted enough
		return
	}
	type candidate struct {
		c   *client
		mem int64
	}
	s.mu.Lock()
	cands := make([]candidate, 0, len(s.clients))
	for _, c := range s.clients {
		if !c.killed.Load() && !c.noEvict.Load() {
			cands = append(cands, candidate{c, c.mem.total()})
		}
	}
	s.mu.Unlock()
	slices.SortFunc(cands, func(a, b candidate) int { return cmp.Compare(b.mem, a.mem) })
	for _, v := range cands {
		if s.clientMem.Load() < lim {
			return
		}
		s.log.Info("Evicting client", "client", v.c.info())
		// Counted before the close, so that whoever sees the connection
		// closed sees it counted.
		s.stats.evictedClients.Add(1)
		v.c.kill()
		s.clientMem.Add(-v.c.memCounted.Swap(0))
	}
	if s.clientMem.Load() >= lim {
		s.log.Warn("Over client maxmemory after evicting all evictable clients")
	}
}
