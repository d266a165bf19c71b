package store

import "encoding/binary"

// Entry layout inside a chunk (little endian):
//
//	[0:8)   expireAt  int64, Unix milliseconds, 0 = no expiry
//	[8:12)  keyLen    uint32
//	[12:16) valLen    uint32
//	[16:20) valCap    uint32, bytes reserved for the value (>= valLen)
//	[20:24) meta      uint32, reserved for eviction bookkeeping
//	[24:)   key, then valCap bytes of value space
//
// valCap > valLen lets APPEND and SETRANGE grow a value in place, the way
// Redis's sds strings preallocate, so repeated appends stay amortised O(1).
const headerSize = 24

const (
	// chunkSize is the size of an ordinary chunk. Entry offsets inside one
	// fit in 16 bits, which SCAN cursors rely on.
	chunkSize = 64 << 10
	// bigEntry is the entry size from which an entry gets a chunk of its
	// own instead of sharing one; it bounds the space wasted at the end of
	// a chunk to a quarter of it.
	bigEntry = chunkSize / 4
)

// loc is an entry's location: chunk slot in the high 32 bits, byte offset
// in the low 32.
type loc uint64

func makeLoc(slot, off uint32) loc { return loc(uint64(slot)<<32 | uint64(off)) }
func (l loc) slot() uint32         { return uint32(l >> 32) }
func (l loc) off() uint32          { return uint32(l) }

// chunk is one block of entries. buf's length is the bytes used, its
// capacity the chunk's size.
type chunk struct {
	buf  []byte
	dead uint32 // bytes of entries that nothing points to any more
	seq  uint32 // creation order within the shard; never reused
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
func writeEntry(b []byte, key, val []byte, valCap uint32, expireAt int64) {
	binary.LittleEndian.PutUint64(b[0:8], uint64(expireAt))
	binary.LittleEndian.PutUint32(b[8:12], uint32(len(key)))
	binary.LittleEndian.PutUint32(b[12:16], uint32(len(val)))
	binary.LittleEndian.PutUint32(b[16:20], valCap)
	binary.LittleEndian.PutUint32(b[20:24], 0)
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
