package store

// allocator is a shard's chunks: byte buffers that hold its entries and
// no pointers, so the garbage collector never scans them. Entries are
// appended to one of two logs, each a FIFO of chunks with a tail being
// filled: logMain, and logSmall where S3-FIFO puts new keys (see evict.go);
// other policies use logMain only. An entry overwritten or deleted stays
// in place as dead space until its chunk is compacted (its live entries
// moved to a tail) or, once all dead, released.
type allocator struct {
	chunks []chunk  // by slot; a released slot has a nil buf
	free   []uint32 // released slots, for reuse

	tails   [2]int32      // slot each log appends to, -1 if none
	queues  [2][]chunkRef // each log's chunks, oldest first; stale refs are skipped
	logSize [2]int64      // bytes of chunk buffers in each log
	nextSeq uint32
	// sealed lists chunks that alloc sealed (stopped appending to) since
	// the last settle, which checks whether they need compacting.
	sealed []chunkRef

	compacting bool // drain is emptying a chunk
	crowded    bool // close to maxChunks chunk slots; counted in memory.crowded
}

const (
	logMain  = 0
	logSmall = 1
)

// chunk is one block of entries. buf's length is the bytes used, its
// capacity the chunk's size.
type chunk struct {
	buf  []byte
	dead uint32 // bytes of entries that nothing points to any more
	seq  uint32 // creation order within the shard; never reused
	log  uint8  // the log (logMain or logSmall) the chunk belongs to
}

// chunkRef names a chunk by slot and sequence, so that a reference to a
// chunk released since (and its slot reused) can be told apart.
type chunkRef struct{ slot, seq uint32 }

// newAllocator returns an allocator with no chunks.
func newAllocator() allocator { return allocator{tails: [2]int32{-1, -1}, nextSeq: 1} }

const (
	// maxChunkSize is the size of an ordinary chunk; offsets inside one
	// fit in offBits once divided by 8.
	maxChunkSize = 64 << 10
	// smallChunkSize is used while a shard holds little, so that the
	// part-filled tail chunk of each of many small shards wastes less.
	smallChunkSize = 16 << 10
	// smallShard is the arena size below which a shard uses small chunks.
	smallShard = 1 << 20
	// minChunkSize is the smallest chunk, for shards whose share of
	// maxmemory is small.
	minChunkSize = 1 << 10
)

// crowdedMargin is how many chunk slots a shard keeps in reserve once it
// refuses writes: more than the biggest request (1 GiB of query buffer)
// can fill with entries of their own.
const crowdedMargin = 1 << 18

// nextChunkSize is the size of the shard's next chunk: full-size once the
// shard holds a MiB, smaller before, so that the part-filled tail chunks
// of many small shards waste less; and, under maxmemory, at most a 32nd of
// the shard's share of it, so that eviction, which frees whole chunks
// under S3-FIFO, is fine-grained and a shard's tails fit in its share. An
// entry larger than a quarter of a chunk gets a buffer of its own, which
// bounds the space wasted at the end of a chunk.
func (s *shard) nextChunkSize() int {
	size := maxChunkSize
	if s.arena.Load() < smallShard {
		size = smallChunkSize
	}
	if m := s.memory.max.Load(); m > 0 {
		for size > minChunkSize && int64(size)*32 > m/s.memory.shards.Load() {
			size /= 2
		}
	}
	return size
}

// entryAt returns the entry at l.
func (s *shard) entryAt(l loc) entry {
	b := s.chunks[l.slot()].buf[l.off():]
	return entry(b[:entry(b).size()])
}

// isTail reports whether slot is a log's tail, still being filled.
func (s *shard) isTail(slot uint32) bool {
	return int32(slot) == s.tails[logMain] || int32(slot) == s.tails[logSmall]
}

// alloc reserves n bytes (a multiple of 8) at the end of a log's tail
// chunk, opening a new chunk when it does not fit. An entry bigger than a
// quarter of a chunk gets a buffer of its own instead, which leaves the
// tail as it was.
func (s *shard) alloc(n int, log uint8) (loc, []byte) {
	t := s.tails[log]
	if t >= 0 {
		c := &s.chunks[t]
		if n <= cap(c.buf)-len(c.buf) {
			off := len(c.buf)
			c.buf = c.buf[:off+n]
			return makeLoc(uint32(t), uint32(off)), c.buf[off : off+n]
		}
	}
	size := s.nextChunkSize()
	if n > size/4 {
		s.addMem(int64(n))
		slot := s.open(make([]byte, n), log)
		return makeLoc(slot, 0), s.chunks[slot].buf
	}
	if t >= 0 {
		s.seal(log)
	}
	buf := s.memory.pool.get(size)
	s.addMem(int64(size))
	slot := s.open(buf[:n], log)
	s.tails[log] = int32(slot)
	return makeLoc(slot, 0), buf[:n]
}

// open puts buf in a chunk slot at the end of a log.
func (s *shard) open(buf []byte, log uint8) uint32 {
	s.arena.Add(int64(cap(buf)))
	s.logSize[log] += int64(cap(buf))
	var slot uint32
	if k := len(s.free); k > 0 {
		slot = s.free[k-1]
		s.free = s.free[:k-1]
	} else {
		if len(s.chunks) >= maxChunks {
			// Store.Admit refuses writes long before this; reaching it
			// means a bug, not a full cache.
			panic("store: shard out of chunk slots")
		}
		slot = uint32(len(s.chunks))
		s.chunks = append(s.chunks, chunk{})
	}
	s.chunks[slot] = chunk{buf: buf, seq: s.nextSeq, log: log}
	if !s.crowded && len(s.chunks)-len(s.free) >= maxChunks-crowdedMargin {
		s.crowded = true
		s.memory.crowded.Add(1)
	}
	s.queues[log] = append(s.queues[log], chunkRef{slot, s.nextSeq})
	s.nextSeq++
	return slot
}

// seal stops appending to a log's tail: its unused end counts as dead
// space. While it was the tail it could not be compacted, however much of
// it died; it can be now, but not here, as our caller may hold locations
// in it: settle does it once the operation is over.
func (s *shard) seal(log uint8) {
	t := s.tails[log]
	c := &s.chunks[t]
	c.dead += uint32(cap(c.buf) - len(c.buf))
	ref := chunkRef{uint32(t), c.seq}
	s.tails[log] = -1
	if c.dead >= uint32(cap(c.buf)) {
		s.release(ref.slot)
		return
	}
	s.sealed = append(s.sealed, ref)
}

// kill marks the entry at l dead; the space comes back when its chunk is
// compacted or released.
func (s *shard) kill(l loc, e entry) {
	n := e.size()
	s.liveBytes.Add(-int64(n))
	c := &s.chunks[l.slot()]
	c.dead += n
	s.maybeCompact(l.slot(), 4)
}

// maybeCompact releases a chunk that is all dead, and moves the live
// entries out of one whose dead share reached 1/frac, unless it is a tail
// still being filled. Writes compact at a quarter; eviction, which needs
// the space back, at less.
func (s *shard) maybeCompact(slot uint32, frac uint32) bool {
	c := &s.chunks[slot]
	size := uint32(cap(c.buf))
	if c.dead >= size {
		s.release(slot)
		return true
	}
	if s.isTail(slot) || s.compacting || c.dead < size/frac {
		return false
	}
	log := c.log
	s.drain(slot, func(e entry, key []byte, h uint64) { s.move(e, key, h, log) })
	return true
}

// drain calls fn for every live entry of the chunk at slot, with its key
// and hash, then releases the chunk; fn moves each entry (move) or drops
// it. Compaction does not start meanwhile: the chunk is being emptied.
func (s *shard) drain(slot uint32, fn func(e entry, key []byte, h uint64)) {
	s.compacting = true
	buf := s.chunks[slot].buf
	for off := uint32(0); off < uint32(len(buf)); {
		e := entry(buf[off:])
		e = e[:e.size()]
		here := makeLoc(slot, off)
		off += uint32(len(e))
		key := e.key()
		h := s.hash(key)
		if l, ok := s.find(key, h); ok && l == here {
			fn(e, key, h)
		}
	}
	s.compacting = false
	s.release(slot)
}

// move copies key's live entry e to the tail of a log and points the
// index at the copy, which it returns.
func (s *shard) move(e entry, key []byte, h uint64, log uint8) entry {
	nl, nb := s.alloc(len(e), log)
	copy(nb, e)
	s.point(key, h, nl)
	return entry(nb)
}

// settle compacts the chunks sealed during the operation just finished
// that qualify. Every write through a Tx ends with it, when no entry or
// location is held any more; compaction it starts may seal more chunks,
// which it then settles too.
func (s *shard) settle() {
	for len(s.sealed) > 0 {
		ref := s.sealed[len(s.sealed)-1]
		s.sealed = s.sealed[:len(s.sealed)-1]
		if s.current(ref) {
			s.maybeCompact(ref.slot, 4)
		}
	}
}

// current reports whether ref still names a chunk in use.
func (s *shard) current(ref chunkRef) bool {
	c := &s.chunks[ref.slot]
	return c.buf != nil && c.seq == ref.seq
}

// release gives the chunk at slot back to the pool and frees its slot.
func (s *shard) release(slot uint32) {
	c := &s.chunks[slot]
	s.arena.Add(-int64(cap(c.buf)))
	s.logSize[c.log] -= int64(cap(c.buf))
	s.addMem(-int64(cap(c.buf)))
	s.memory.pool.put(c.buf, s.memory.used.Load())
	if int32(slot) == s.tails[c.log] {
		s.tails[c.log] = -1
	}
	*c = chunk{}
	s.free = append(s.free, slot)
	if s.crowded && len(s.chunks)-len(s.free) < maxChunks-crowdedMargin-1024 {
		s.crowded = false
		s.memory.crowded.Add(-1)
	}
}

// oldest returns the oldest chunk of a log, false if it has none.
func (s *shard) oldest(log uint8) (uint32, bool) {
	q := s.queues[log]
	for len(q) > 0 && !s.current(q[0]) {
		q = q[1:]
	}
	s.queues[log] = q
	if len(q) == 0 {
		return 0, false
	}
	return q[0].slot, true
}

// dropChunks forgets every chunk, for flush, which accounts for their
// memory.
func (s *shard) dropChunks() {
	if s.crowded {
		s.crowded = false
		s.memory.crowded.Add(-1)
	}
	s.chunks, s.free, s.sealed = nil, nil, s.sealed[:0]
	s.tails = [2]int32{-1, -1}
	s.queues = [2][]chunkRef{}
	s.logSize = [2]int64{}
	s.arena.Store(0)
}
