package store

// ghost remembers the hashes of keys recently evicted from S3-FIFO's small
// FIFO: a direct-mapped table of 16-bit tags, about one slot per key in the
// shard, so that 2 bytes a key buy the memory of roughly as many evicted
// keys as the shard holds. A newer key overwrites an older one's slot; a
// false match (1 in 65536) only admits a key to the main FIFO early.
type ghost struct {
	tags []uint16
}

func ghostSlot(h uint64, n int) int { return int(h>>16) & (n - 1) }
func ghostTag(h uint64) uint16      { return uint16(h>>48) | 1 }

func (g *ghost) add(h uint64) {
	if len(g.tags) > 0 {
		g.tags[ghostSlot(h, len(g.tags))] = ghostTag(h)
	}
}

// take reports whether h is remembered, and forgets it.
func (g *ghost) take(h uint64) bool {
	if len(g.tags) == 0 {
		return false
	}
	i := ghostSlot(h, len(g.tags))
	if g.tags[i] != ghostTag(h) {
		return false
	}
	g.tags[i] = 0
	return true
}

// fitGhost resizes the ghost table for a shard of keys keys when it is far off.
func (s *shard) fitGhost(keys int) {
	want := minIndexSlots
	for want < keys {
		want *= 2
	}
	if n := len(s.ghost.tags); n == want || (n > want && n <= 4*want) {
		return
	}
	s.addMem(int64(want-len(s.ghost.tags)) * 2)
	s.ghost.tags = make([]uint16, want)
}
