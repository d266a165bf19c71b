package store

import (
	"encoding/binary"
	"math"
	"sync/atomic"
	"unsafe"
)

// Entry layout inside a chunk (little endian), 16 bytes of header:
//
//	[0:8)   expireAt (low 48 bits: Unix milliseconds, 0 = no expiry) and
//	        meta (high 16 bits: eviction bookkeeping, see meta.go). Readers
//	        update meta atomically under the read lock, so the word is
//	        always read and written atomically.
//	[8:12)  valLen    uint32; its top bit marks a collection (typed.go)
//	[12:14) keyLen    uint16; 0xffff marks a long key, whose length is a
//	                  uint32 at [16:20), the key then starting at 20
//	[14:16) size      uint16, the entry's size in 8-byte units; 0 for an
//	                  entry over 512 KiB, which fills a buffer of its own
//	[16:)   key, then the value space: the rest of the entry
//
// The value space beyond valLen lets APPEND and SETRANGE grow a value in
// place, the way Redis's sds strings preallocate, so repeated appends stay
// amortised O(1). Every entry's size is a multiple of 8, so entries start
// 8-aligned: locations count in 8-byte units and the first word can be
// updated atomically.
const (
	headerSize = 16
	longKey    = 0xffff
	maxExpire  = 1<<48 - 1
	expireMask = 1<<48 - 1
)

// keyOff is where the key starts in an entry whose key has keyLen bytes.
func keyOff(keyLen int) int {
	if keyLen >= longKey {
		return headerSize + 4
	}
	return headerSize
}

// entrySize is the size of an entry with a key of keyLen bytes and valCap
// bytes of value space.
func entrySize(keyLen, valCap int) int { return keyOff(keyLen) + keyLen + valCap }

// loc is an entry's location, never 0: the chunk slot plus one in the high
// bits, the offset in 8-byte units in the low offBits. 32 bits, so that an
// index slot holds a location and a 32-bit hash fingerprint.
type loc uint32

const (
	offBits = 13 // maxChunkSize/8 offsets
	// maxChunks bounds a shard's chunk slots; see Store.Admit.
	maxChunks = 1<<(32-offBits) - 2
)

func makeLoc(slot, off uint32) loc { return loc((slot+1)<<offBits | off>>3) }
func (l loc) slot() uint32         { return uint32(l>>offBits) - 1 }
func (l loc) off() uint32          { return uint32(l&(1<<offBits-1)) << 3 }

// align8 rounds n up to a multiple of 8.
func align8(n int) int { return (n + 7) &^ 7 }

// entry is one entry's bytes, aliasing its chunk.
type entry []byte

func (e entry) word0() *uint64 { return (*uint64)(unsafe.Pointer(&e[0])) }

// expireAt is the expiry time. Times past what 48 bits hold (the year
// 10889) are kept as that limit, which reads back as math.MaxInt64: the
// "never" that PEXPIREAT 9223372036854775807 asks for.
func (e entry) expireAt() int64 {
	at := int64(atomic.LoadUint64(e.word0()) & expireMask)
	if at == maxExpire {
		return math.MaxInt64
	}
	return at
}
func (e entry) valLen() uint32 { return binary.LittleEndian.Uint32(e[8:12]) &^ collBit }

// collBit, the top bit of valLen, marks an entry holding a collection
// (typed.go) rather than a string: string values are at most 512 MiB, so
// the bit is free, and a string's header is unchanged.
const collBit = 1 << 31

// isColl reports whether the entry holds a collection.
func (e entry) isColl() bool { return e[11]&0x80 != 0 }

func (e entry) keyLen() uint32 {
	if n := binary.LittleEndian.Uint16(e[12:14]); n != longKey {
		return uint32(n)
	}
	return binary.LittleEndian.Uint32(e[16:20])
}

func (e entry) keyOff() uint32 { return uint32(keyOff(int(e.keyLen()))) }

// size is the entry's size. An entry in a buffer of its own may have no
// size recorded: it is the rest of the buffer.
func (e entry) size() uint32 {
	if n := binary.LittleEndian.Uint16(e[14:16]); n != 0 {
		return uint32(n) * 8
	}
	return uint32(len(e))
}

func (e entry) valCap() uint32 { return e.size() - e.keyOff() - e.keyLen() }

func (e entry) key() []byte {
	k := e.keyOff()
	return e[k : k+e.keyLen()]
}

// setExpire changes the expiry; the caller holds the write lock, so no
// reader is updating meta meanwhile.
func (e entry) setExpire(at int64) {
	w := atomic.LoadUint64(e.word0())
	atomic.StoreUint64(e.word0(), w&^expireMask|uint64(min(at, maxExpire)))
}

func (e entry) setValLen(n uint32) { binary.LittleEndian.PutUint32(e[8:12], n) }

func (e entry) value() []byte {
	k := e.keyOff() + e.keyLen()
	return e[k : k+e.valLen()]
}

// valueSpace is the whole reserved value area, valCap bytes.
func (e entry) valueSpace() []byte {
	k := e.keyOff() + e.keyLen()
	return e[k:e.size()]
}

func (e entry) expired(now int64) bool {
	at := e.expireAt()
	return at != 0 && at <= now
}

// writeEntry encodes an entry into b, whose length is its size (a
// multiple of 8, at least entrySize(len(key), len(val))).
func writeEntry(b []byte, key, val []byte, expireAt int64, meta uint16) {
	binary.LittleEndian.PutUint64(b[0:8], uint64(meta)<<48|uint64(min(expireAt, maxExpire)))
	binary.LittleEndian.PutUint32(b[8:12], uint32(len(val)))
	if len(key) >= longKey {
		binary.LittleEndian.PutUint16(b[12:14], longKey)
		binary.LittleEndian.PutUint32(b[16:20], uint32(len(key)))
	} else {
		binary.LittleEndian.PutUint16(b[12:14], uint16(len(key)))
	}
	size := uint16(0)
	if len(b)/8 <= 0xffff {
		size = uint16(len(b) / 8)
	}
	binary.LittleEndian.PutUint16(b[14:16], size)
	k := keyOff(len(key))
	copy(b[k:], key)
	v := b[k+len(key):]
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
