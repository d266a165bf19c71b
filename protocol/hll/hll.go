// Package hll is Redis's HyperLogLog, as pure functions over the string
// value that holds one, in Redis's own representation, so that the bytes
// a redis-server writes and the bytes this package writes can be moved
// from one to the other (GET on one, SET on the other) and give the same
// counts:
//
//   - a 16-byte header: "HYLL", the encoding (0 dense, 1 sparse), three
//     unused bytes, and the cached cardinality, 8 bytes little-endian,
//     whose top bit set means "not valid, recompute";
//   - 16384 registers of 6 bits each: packed in 12288 bytes (dense), or
//     run-length coded (sparse) with three opcodes, ZERO (00xxxxxx: 1 to
//     64 zero registers), XZERO (01xxxxxx yyyyyyyy: 1 to 16384 zero
//     registers) and VAL (1vvvvvxx: 1 to 4 registers of value 1 to 32);
//   - elements hashed with MurmurHash64A (seed 0xadc83b19): the low 14
//     bits pick the register, the count of trailing zeros of the rest,
//     plus one, is the value it keeps the maximum of;
//   - cardinality from Otmar Ertl's improved estimator, as Redis 5+.
//
// Functions that change an HLL take the value and return it: edited in
// place when its capacity allows (the caller's storage), else a new slice.
package hll

import (
	"encoding/binary"
	"errors"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

const (
	p            = 14
	Registers    = 1 << p // 16384
	q            = 64 - p // bits of the hash left to count zeros in
	regBits      = 6
	regMax       = 1<<regBits - 1
	HeaderSize   = 16
	DenseSize    = HeaderSize + (Registers*regBits+7)/8 // 12304
	EncDense     = 0
	EncSparse    = 1
	maxEncoding  = EncSparse
	seed         = 0xadc83b19
	sparseValMax = 32    // the largest value a VAL opcode holds
	sparseValLen = 4     // the longest run of one VAL opcode
	zeroMaxLen   = 64    // the longest run of one ZERO opcode
	xzeroMaxLen  = 16384 // the longest run of one XZERO opcode

	// DefaultSparseMaxBytes is hll-sparse-max-bytes's default: a sparse
	// HLL that would grow past it (header included) turns dense.
	DefaultSparseMaxBytes = 3000
)

// ErrCorrupt is Redis's reply for an HLL whose registers cannot be read.
var ErrCorrupt = errors.New("INVALIDOBJ Corrupted HLL object detected")

// ErrNotHLL is Redis's reply for a string that is not an HLL.
var ErrNotHLL = errors.New("WRONGTYPE Key is not a valid HyperLogLog string value.")

// New returns an empty HLL as Redis creates one: sparse, one XZERO
// opcode covering every register, cached cardinality 0 (valid).
func New() []byte {
	b := make([]byte, HeaderSize+2)
	copy(b, "HYLL")
	b[4] = EncSparse
	putXZero(b[HeaderSize:], Registers)
	return b
}

// Check reports whether b is an HLL Redis would accept: the magic, a
// known encoding, and a dense one of exactly the dense size.
func Check(b []byte) error {
	if len(b) < HeaderSize || string(b[:4]) != "HYLL" || b[4] > maxEncoding ||
		(b[4] == EncDense && len(b) != DenseSize) {
		return ErrNotHLL
	}
	return nil
}

// Encoding is PFDEBUG ENCODING's answer for a checked HLL.
func Encoding(b []byte) string {
	if b[4] == EncDense {
		return "dense"
	}
	return "sparse"
}

// IsSparse reports whether a checked HLL is sparse.
func IsSparse(b []byte) bool { return b[4] == EncSparse }

func invalidate(b []byte) { b[15] |= 0x80 }

// Cached returns the cached cardinality, if valid.
func Cached(b []byte) (uint64, bool) {
	if b[15]&0x80 != 0 {
		return 0, false
	}
	return binary.LittleEndian.Uint64(b[8:16]), true
}

// SetCached stores card as the cached cardinality.
func SetCached(b []byte, card uint64) { binary.LittleEndian.PutUint64(b[8:16], card) }

// Hash is Redis's MurmurHash64A, endian-neutral (little-endian reads).
func Hash(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ uint64(len(key))*m
	for len(key) >= 8 {
		k := binary.LittleEndian.Uint64(key)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		key = key[8:]
	}
	if n := len(key); n > 0 {
		for i := n - 1; i >= 0; i-- {
			h ^= uint64(key[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// patLen returns the register an element goes to and the value it
// offers: the length of the run of zeros in the hash's upper 50 bits,
// counted from the low end, plus one.
func patLen(ele []byte) (int, uint8) {
	h := Hash(ele, seed)
	idx := int(h & (Registers - 1))
	h >>= p
	h |= 1 << q // so the count stops at q+1
	return idx, uint8(bits.TrailingZeros64(h) + 1)
}

// --- dense registers ---

func getReg(regs []byte, i int) uint8 {
	pos := i * regBits
	byt, fb := pos>>3, uint(pos&7)
	v := uint(regs[byt]) >> fb
	if byt+1 < len(regs) {
		v |= uint(regs[byt+1]) << (8 - fb)
	}
	return uint8(v & regMax)
}

func setReg(regs []byte, i int, val uint8) {
	pos := i * regBits
	byt, fb := pos>>3, uint(pos&7)
	v := uint(val)
	regs[byt] &^= byte(regMax << fb)
	regs[byt] |= byte(v << fb)
	if byt+1 < len(regs) {
		regs[byt+1] &^= byte(regMax >> (8 - fb))
		regs[byt+1] |= byte(v >> (8 - fb))
	}
}

// denseSet raises register i to val; it reports whether it changed.
func denseSet(regs []byte, i int, val uint8) bool {
	if getReg(regs, i) < val {
		setReg(regs, i, val)
		return true
	}
	return false
}

// denseHisto adds the registers' values to histo, four registers (three
// bytes) at a time, into four separate counts: most registers hold the
// same few values, and one count array would make each increment wait
// for the one before.
func denseHisto(regs []byte, histo *[64]int) {
	var h [4][64]uint32
	for i := 0; i+3 <= len(regs); i += 3 {
		b0, b1, b2 := regs[i], regs[i+1], regs[i+2]
		h[0][b0&63]++
		h[1][(b0>>6|b1<<2)&63]++
		h[2][(b1>>4|b2<<4)&63]++
		h[3][b2>>2]++
	}
	for v := range histo {
		histo[v] += int(h[0][v] + h[1][v] + h[2][v] + h[3][v])
	}
}

// --- sparse opcodes ---

func isZero(c byte) bool  { return c&0xc0 == 0 }
func isXZero(c byte) bool { return c&0xc0 == 0x40 }
func valValue(c byte) int { return int(c>>2&0x1f) + 1 }
func valLen(c byte) int   { return int(c&3) + 1 }
func zeroLen(c byte) int  { return int(c&0x3f) + 1 }

// xzeroLen reads an XZERO opcode at s[i]; a truncated one reads its
// second byte as 0, as Redis reads the string's terminating NUL.
func xzeroLen(s []byte, i int) int {
	lo := 0
	if i+1 < len(s) {
		lo = int(s[i+1])
	}
	return (int(s[i]&0x3f)<<8 | lo) + 1
}

func putXZero(s []byte, n int) {
	n--
	s[0] = byte(n>>8) | 0x40
	s[1] = byte(n)
}

func zeroOp(n int) byte           { return byte(n - 1) }
func valOp(val, n int) byte       { return byte((val-1)<<2|(n-1)) | 0x80 }
func setVal(s []byte, val, n int) { s[0] = valOp(val, n) }

// sparseRuns calls fn for each run of the sparse opcodes in s: start
// register, length and value (0 for ZERO/XZERO). It stops when fn returns
// false, and returns the register count covered.
func sparseRuns(s []byte, fn func(start, n, val int) bool) int {
	idx := 0
	for i := 0; i < len(s); {
		var n, v int
		switch c := s[i]; {
		case isZero(c):
			n = zeroLen(c)
			i++
		case isXZero(c):
			n = xzeroLen(s, i)
			i += 2
		default:
			n, v = valLen(c), valValue(c)
			i++
		}
		if !fn(idx, n, v) {
			return idx
		}
		idx += n
	}
	return idx
}

// ToDense returns b converted to the dense encoding (b itself when it is
// dense already): header copied, cached cardinality included.
func ToDense(b []byte) ([]byte, error) {
	if b[4] == EncDense {
		return b, nil
	}
	d := make([]byte, DenseSize)
	copy(d, b[:HeaderSize])
	d[4] = EncDense
	regs := d[HeaderSize:]
	ok := true
	idx := sparseRuns(b[HeaderSize:], func(start, n, v int) bool {
		if v == 0 {
			return true
		}
		if start+n > Registers {
			ok = false
			return false
		}
		for i := start; i < start+n; i++ {
			setReg(regs, i, uint8(v))
		}
		return true
	})
	if !ok || idx != Registers {
		return nil, ErrCorrupt
	}
	return d, nil
}

// sparseSet raises register index of the sparse HLL b to count, as
// Redis's hllSparseSet: it edits the opcode that covers the register,
// splitting it, then merges adjacent VAL opcodes of the same value, and
// turns the HLL dense when count is too big for a VAL opcode or the
// string would grow past maxBytes.
func sparseSet(b []byte, index int, count uint8, maxBytes int) ([]byte, bool, error) {
	if count > sparseValMax {
		return promote(b, index, count)
	}
	const sp = HeaderSize
	end := len(b)
	// Find the opcode covering index.
	first, span, pos, prev := 0, 0, sp, -1
	for pos < end {
		oplen := 1
		c := b[pos]
		switch {
		case isZero(c):
			span = zeroLen(c)
		case isXZero(c):
			span = xzeroLen(b, pos)
			oplen = 2
		default:
			span = valLen(c)
		}
		if index <= first+span-1 {
			break
		}
		prev = pos
		pos += oplen
		first += span
	}
	if span == 0 || pos >= end {
		return b, false, ErrCorrupt
	}
	c := b[pos]
	next := pos + 1
	isZ, isX, isV := isZero(c), isXZero(c), !isZero(c) && !isXZero(c)
	runlen := 0
	switch {
	case isZ:
		runlen = zeroLen(c)
	case isX:
		runlen = xzeroLen(b, pos)
		next = pos + 2
	default:
		runlen = valLen(c)
	}
	cnt := int(count)
	switch {
	case isV && valValue(c) >= cnt:
		return b, false, nil
	case isV && runlen == 1, isZ && runlen == 1:
		setVal(b[pos:], cnt, 1)
	default:
		var seq [5]byte
		n := 0
		last := first + span - 1
		zeros := func(l int) {
			if l > zeroMaxLen {
				putXZero(seq[n:], l)
				n += 2
			} else {
				seq[n] = zeroOp(l)
				n++
			}
		}
		if isZ || isX {
			if index != first {
				zeros(index - first)
			}
			seq[n] = valOp(cnt, 1)
			n++
			if index != last {
				zeros(last - index)
			}
		} else {
			cur := valValue(c)
			if index != first {
				seq[n] = valOp(cur, index-first)
				n++
			}
			seq[n] = valOp(cnt, 1)
			n++
			if index != last {
				seq[n] = valOp(cur, last-index)
				n++
			}
		}
		oldlen := next - pos
		delta := n - oldlen
		if delta > 0 && len(b)+delta > maxBytes {
			return promote(b, index, count)
		}
		if delta > 0 {
			b = grow(b, delta)
		}
		if delta != 0 {
			copy(b[next+delta:], b[next:end])
		}
		b = b[:end+delta]
		copy(b[pos:], seq[:n])
		end += delta
	}
	// Merge adjacent VAL opcodes of the same value, scanning up to five
	// opcodes from the one before the edit.
	i := sp
	if prev >= 0 {
		i = prev
	}
	for scan := 5; i < end && scan > 0; {
		scan--
		c := b[i]
		if isXZero(c) {
			i += 2
			continue
		}
		if isZero(c) {
			i++
			continue
		}
		if i+1 < end && !isZero(b[i+1]) && !isXZero(b[i+1]) {
			v1, v2 := valValue(c), valValue(b[i+1])
			if l := valLen(c) + valLen(b[i+1]); v1 == v2 && l <= sparseValLen {
				setVal(b[i+1:], v1, l)
				copy(b[i:], b[i+1:end])
				end--
				b = b[:end]
				continue
			}
		}
		i++
	}
	invalidate(b)
	return b, true, nil
}

// grow extends b by n bytes, in place when its capacity allows.
func grow(b []byte, n int) []byte {
	if len(b)+n <= cap(b) {
		return b[:len(b)+n]
	}
	nb := make([]byte, len(b)+n, len(b)+n+len(b)/4+8)
	copy(nb, b)
	return nb
}

func promote(b []byte, index int, count uint8) ([]byte, bool, error) {
	d, err := ToDense(b)
	if err != nil {
		return b, false, err
	}
	denseSet(d[HeaderSize:], index, count)
	return d, true, nil
}

// Add adds ele to the checked HLL b, and reports whether a register
// changed (PFADD's 1); the cached cardinality is left for the caller to
// invalidate, as PFADD does once per command.
func Add(b, ele []byte, maxBytes int) ([]byte, bool, error) {
	idx, count := patLen(ele)
	if b[4] == EncDense {
		return b, denseSet(b[HeaderSize:], idx, count), nil
	}
	return sparseSet(b, idx, count, maxBytes)
}

// Invalidate marks the cached cardinality as stale.
func Invalidate(b []byte) { invalidate(b) }

// Max is a register array: the union of HLLs, one byte per register.
type Max [Registers]uint8

// MergeInto raises max to the registers of the checked HLL b.
func MergeInto(max *Max, b []byte) error {
	if b[4] == EncDense {
		// Four registers from each three bytes.
		regs := b[HeaderSize:]
		for i, j := 0, 0; i+3 <= len(regs); i, j = i+3, j+4 {
			b0, b1, b2 := regs[i], regs[i+1], regs[i+2]
			m := max[j : j+4 : j+4]
			m[0] = maxU8(m[0], b0&63)
			m[1] = maxU8(m[1], (b0>>6|b1<<2)&63)
			m[2] = maxU8(m[2], (b1>>4|b2<<4)&63)
			m[3] = maxU8(m[3], b2>>2)
		}
		return nil
	}
	ok := true
	idx := sparseRuns(b[HeaderSize:], func(start, n, v int) bool {
		if v == 0 {
			return true
		}
		if start+n > Registers {
			ok = false
			return false
		}
		for i := start; i < start+n; i++ {
			if uint8(v) > max[i] {
				max[i] = uint8(v)
			}
		}
		return true
	})
	if !ok || idx != Registers {
		return ErrCorrupt
	}
	return nil
}

// Store writes max's non-zero registers into the checked HLL b (dense
// first if dense is set, as PFMERGE does when a source is dense) and
// invalidates its cached cardinality.
func Store(b []byte, max *Max, dense bool, maxBytes int) ([]byte, error) {
	if dense {
		d, err := ToDense(b)
		if err != nil {
			return b, err
		}
		b = d
	}
	for i, v := range max {
		if v == 0 {
			continue
		}
		if b[4] == EncDense {
			denseSet(b[HeaderSize:], i, v)
		} else {
			// As in Redis, a failure here (a sparse HLL whose runs
			// do not reach the register) is ignored.
			b, _, _ = sparseSet(b, i, v, maxBytes)
		}
	}
	invalidate(b)
	return b, nil
}

// Count computes the cardinality of the checked HLL b from its
// registers (not the cache).
func Count(b []byte) (uint64, error) {
	var histo [64]int
	if b[4] == EncDense {
		denseHisto(b[HeaderSize:], &histo)
	} else {
		idx := sparseRuns(b[HeaderSize:], func(_, n, v int) bool {
			histo[v] += n
			return true
		})
		if idx != Registers {
			return 0, ErrCorrupt
		}
	}
	return estimate(&histo), nil
}

func maxU8(a, b uint8) uint8 {
	if b > a {
		return b
	}
	return a
}

// CountMax computes the cardinality of a register array.
func CountMax(max *Max) uint64 {
	var h [4][64]uint32
	for i := 0; i < len(max); i += 4 {
		m := max[i : i+4 : i+4]
		h[0][m[0]&63]++
		h[1][m[1]&63]++
		h[2][m[2]&63]++
		h[3][m[3]&63]++
	}
	var histo [64]int
	for v := range histo {
		histo[v] = int(h[0][v] + h[1][v] + h[2][v] + h[3][v])
	}
	return estimate(&histo)
}

// estimate is Ertl's improved raw estimator over the register histogram
// ("New cardinality estimation algorithms for HyperLogLog sketches",
// arXiv:1702.01284), computed in float64 operation by operation as Redis
// computes it in C doubles (explicit conversions keep the compiler from
// fusing a multiply and an add, which would round differently).
func estimate(histo *[64]int) uint64 {
	m := float64(Registers)
	z := m * tau((m-float64(histo[q+1]))/m)
	for j := q; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += float64(m * sigma(float64(histo[0])/m))
	const alphaInf = 0.721347520444481703680 // 0.5/ln(2)
	a := alphaInf
	return uint64(math.Round(float64(float64(a*m)*m) / z))
}

func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		zp := z
		z += float64(x * y)
		y += y
		if zp == z {
			return z
		}
	}
}

func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		zp := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if zp == z {
			return z / 3
		}
	}
}

// Decode is PFDEBUG DECODE's text for a sparse HLL: "z:n", "Z:n" and
// "v:value,n" for each opcode, space separated.
func Decode(b []byte) string {
	var sb strings.Builder
	s := b[HeaderSize:]
	for i := 0; i < len(s); {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		switch c := s[i]; {
		case isZero(c):
			sb.WriteString("z:" + strconv.Itoa(zeroLen(c)))
			i++
		case isXZero(c):
			sb.WriteString("Z:" + strconv.Itoa(xzeroLen(s, i)))
			i += 2
		default:
			sb.WriteString("v:" + strconv.Itoa(valValue(c)) + "," + strconv.Itoa(valLen(c)))
			i++
		}
	}
	return sb.String()
}

// DenseRegisters returns the registers of a dense HLL, one per byte.
func DenseRegisters(b []byte) []uint8 {
	out := make([]uint8, Registers)
	regs := b[HeaderSize:]
	for i := range out {
		out[i] = getReg(regs, i)
	}
	return out
}

// SelfTest is PFSELFTEST's check, a quick one: every dense register
// reads back what was written, and sparse and dense HLLs fed the same
// elements hold the same registers and count.
func SelfTest() error {
	regs := make([]byte, DenseSize-HeaderSize)
	x := uint64(0x9e3779b97f4a7c15)
	next := func() uint64 { x ^= x << 13; x ^= x >> 7; x ^= x << 17; return x }
	want := make([]uint8, Registers)
	for i := range want {
		want[i] = uint8(next() & regMax)
		setReg(regs, i, want[i])
	}
	for i := range want {
		if getReg(regs, i) != want[i] {
			return errors.New("TESTFAILED Register error at " + strconv.Itoa(i))
		}
	}
	s := New()
	d, _ := ToDense(New())
	var e [8]byte
	for i := 0; i < 5000; i++ {
		binary.LittleEndian.PutUint64(e[:], next())
		s, _, _ = Add(s, e[:], DefaultSparseMaxBytes)
		d, _, _ = Add(d, e[:], DefaultSparseMaxBytes)
	}
	sd, err := ToDense(s)
	if err != nil || string(sd[HeaderSize:]) != string(d[HeaderSize:]) {
		return errors.New("TESTFAILED sparse and dense registers differ")
	}
	c1, _ := Count(s)
	c2, _ := Count(d)
	if c1 != c2 || c1 < 4900 || c1 > 5100 {
		return errors.New("TESTFAILED bad count " + strconv.FormatUint(c1, 10))
	}
	return nil
}
