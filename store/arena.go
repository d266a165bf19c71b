package store

import "encoding/binary"

// Entry layout inside a chunk (little endian):
//
//	[0:8)   expireAt  int64, Unix milliseconds, 0 = no expiry
//	[8:12)  keyLen    uint32
//	[12:16) valLen    uint32
//	[16:20) valCap    uint32, bytes reserved for the value (>= valLen)
//	[20:24) meta      uint32, eviction bookkeeping (see meta.go); readers
//	                  update it atomically under the read lock
//	[24:)   key, then valCap bytes of value space
//
// valCap > valLen lets APPEND and SETRANGE grow a value in place, the way
// Redis's sds strings preallocate, so repeated appends stay amortised O(1).
// Every entry's size is a multiple of 8 (valCap absorbs the padding), so
// entries start 8-aligned: locations count in 8-byte units and the meta
// word can be updated atomically.
const headerSize = 24

const (
	// chunkSize is the size of an ordinary chunk; offsets inside one fit
	// in offBits once divided by 8.
	chunkSize = 64 << 10
	// smallChunkSize is used while a shard holds little, so that the
	// part-filled tail chunk of each of many small shards wastes less.
	smallChunkSize = 16 << 10
	// smallShard is the arena size below which a shard uses small chunks.
	smallShard = 1 << 20
)

// minChunkSize is the smallest chunk, for shards whose share of
// maxmemory is small.
const minChunkSize = 1 << 10

// chunkSize is the size of the shard's next chunk: full-size once the
// shard holds a MiB, smaller before, so that the part-filled tail chunks
// of many small shards waste less; and, under maxmemory, at most a 32nd of
// the shard's share of it, so that eviction, which frees whole chunks
// under S3-FIFO, is fine-grained and a shard's tails fit in its share. An
// entry larger than a quarter of a chunk gets a buffer of its own, which
// bounds the space wasted at the end of a chunk.
func (s *shard) chunkSize() int {
	size := chunkSize
	if s.arena.Load() < smallShard {
		size = smallChunkSize
	}
	if m := s.lim.max.Load(); m > 0 {
		for size > minChunkSize && int64(size)*32 > m/int64(s.lim.shards) {
			size /= 2
		}
	}
	return size
}

// loc is an entry's location, never 0: the chunk slot plus one in the high
// bits, the offset in 8-byte units in the low offBits. 32 bits, so that an
// index slot holds a location and a 32-bit hash fingerprint.
type loc uint32

const (
	offBits = 13 // chunkSize/8 offsets
	// maxChunks bounds a shard's chunk slots; see Store.Admit.
	maxChunks = 1<<(32-offBits) - 2
)

func makeLoc(slot, off uint32) loc { return loc((slot+1)<<offBits | off>>3) }
func (l loc) slot() uint32         { return uint32(l>>offBits) - 1 }
func (l loc) off() uint32          { return uint32(l&(1<<offBits-1)) << 3 }

// align8 rounds n up to a multiple of 8.
func align8(n int) int { return (n + 7) &^ 7 }

// capFor is the value capacity that gives an entry with a key of keyLen
// bytes room for want bytes of value and a size that is a multiple of 8.
func capFor(keyLen, want int) int {
	return align8(headerSize+keyLen+want) - headerSize - keyLen
}

// chunk is one block of entries. buf's length is the bytes used, its
// capacity the chunk's size.
type chunk struct {
	buf  []byte
	dead uint32 // bytes of entries that nothing points to any more
	seq  uint32 // creation order within the shard; never reused
	log  uint8  // the log (logMain or logSmall) the chunk belongs to
}

// entry is a decoded view of one entry; b aliases the chunk.
type entry []byte

func (e entry) expireAt() int64    { return int64(binary.LittleEndian.Uint64(e[0:8])) }
func (e entry) keyLen() uint32     { return binary.LittleEndian.Uint32(e[8:12]) }
func (e entry) valLen() uint32     { return binary.LittleEndian.Uint32(e[12:16]) }
func (e entry) valCap() uint32     { return binary.LittleEndian.Uint32(e[16:20]) }
func (e entry) size() uint32       { return headerSize + e.keyLen() + e.valCap() }
func (e entry) key() []byte        { return e[headerSize : headerSize+e.keyLen()] }
func (e entry) setExpire(at int64) { binary.LittleEndian.PutUint64(e[0:8], uint64(at)) }
func (e entry) setValLen(n uint32) { binary.LittleEndian.PutUint32(e[12:16], n) }

func (e entry) value() []byte {
	k := headerSize + e.keyLen()
	return e[k : k+e.valLen()]
}

// valueSpace is the whole reserved value area, valCap bytes.
func (e entry) valueSpace() []byte {
	k := headerSize + e.keyLen()
	return e[k : k+e.valCap()]
}

func (e entry) expired(now int64) bool {
	at := e.expireAt()
	return at != 0 && at <= now
}

// writeEntry encodes an entry into b, which must be exactly its size.
func writeEntry(b []byte, key, val []byte, valCap uint32, expireAt int64, meta uint32) {
	binary.LittleEndian.PutUint64(b[0:8], uint64(expireAt))
	binary.LittleEndian.PutUint32(b[8:12], uint32(len(key)))
	binary.LittleEndian.PutUint32(b[12:16], uint32(len(val)))
	binary.LittleEndian.PutUint32(b[16:20], valCap)
	binary.LittleEndian.PutUint32(b[20:24], meta)
	copy(b[headerSize:], key)
	v := b[headerSize+len(key):]
	n := copy(v, val)
	clear(v[n:])
}

// growCap is the value capacity reserved when a value grows through APPEND
// or SETRANGE: doubled below 1 MiB, plus 1 MiB above, as Redis's sds does.
func growCap(n int) int {
	const mb = 1 << 20
	if n < mb {
		return n * 2
	}
	return n + mb
}
