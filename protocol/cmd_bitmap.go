package protocol

import (
	"encoding/binary"
	"math"
	"math/bits"
	"strings"

	"github.com/cachesrv/cachesrv/store"
)

// Strings as bitmaps, Redis 7.0's: SETBIT, GETBIT, BITCOUNT, BITPOS,
// BITOP, BITFIELD and BITFIELD_RO. A bitmap is a string value; bit 0 is
// the most significant bit of the first byte. Writes edit the value in
// place (store.Tx.EditString), growing it with zero bytes as needed.

func init() {
	bm := func(name string, arity int, flags cmdFlags, first, last int, acl []string, run handler) *command {
		return &command{name: name, arity: arity, flags: flags, firstKey: first, lastKey: last, keyStep: 1, acl: acl, run: run}
	}
	register(
		bm("setbit", 4, flagWrite|flagDenyOOM, 1, 1, []string{"write", "bitmap", "slow"}, cmdSetBit),
		bm("getbit", 3, flagReadonly|flagFast, 1, 1, []string{"read", "bitmap", "fast"}, cmdGetBit),
		bm("bitcount", -2, flagReadonly, 1, 1, []string{"read", "bitmap", "slow"}, cmdBitCount),
		bm("bitpos", -3, flagReadonly, 1, 1, []string{"read", "bitmap", "slow"}, cmdBitPos),
		bm("bitop", -4, flagWrite|flagDenyOOM, 2, -1, []string{"write", "bitmap", "slow"}, cmdBitOp),
		bm("bitfield", -2, flagWrite|flagDenyOOM, 1, 1, []string{"write", "bitmap", "slow"}, func(c *client, args [][]byte, tx store.Tx) { bitfield(c, args, tx, false) }),
		bm("bitfield_ro", -2, flagReadonly|flagFast, 1, 1, []string{"read", "bitmap", "fast"}, func(c *client, args [][]byte, tx store.Tx) { bitfield(c, args, tx, true) }),
	)
}

const (
	errBitOffset = "ERR bit offset is not an integer or out of range"
	errBitValue  = "ERR bit is not an integer or out of range"
	errBitType   = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)

// bitOffset parses a bit offset as Redis's getBitOffsetFromArgument: a
// non-negative integer whose byte is within proto-max-bulk-len; with
// hashBits > 0 (BITFIELD), "#n" means n*hashBits (wrapping on overflow,
// as Redis's multiplication does, which the range check then refuses).
func (c *client) bitOffset(b []byte, hashBits int) (uint64, bool) {
	hash := hashBits > 0 && len(b) > 0 && b[0] == '#'
	if hash {
		b = b[1:]
	}
	n, ok := parseInt(b)
	if hash {
		n *= int64(hashBits)
	}
	if !ok || n < 0 || n>>3 >= c.srv.cfg.ProtoMaxBulkLen.Load() {
		c.errorReply(errBitOffset)
		return 0, false
	}
	return uint64(n), true
}

func cmdSetBit(c *client, args [][]byte, tx store.Tx) {
	off, ok := c.bitOffset(args[2], 0)
	if !ok {
		return
	}
	on, ok := parseInt(args[3])
	if !ok || on&^1 != 0 {
		c.errorReply(errBitValue)
		return
	}
	byt, mask := int(off>>3), byte(1)<<(7-off&7)
	var old byte
	written := false
	_, err := tx.EditString(args[1], byt+1, true, func(v []byte, oldLen int) ([]byte, bool) {
		old = v[byt] & mask
		v[byt] &^= mask
		if on == 1 {
			v[byt] |= mask
		}
		// As Redis 7.0.15: a write when the string grew or the bit
		// changed, not otherwise.
		written = oldLen != len(v) || (old != 0) != (on == 1)
		return v, written
	})
	if c.wrongType(err) {
		return
	}
	if written {
		c.notify(notifyString, "setbit", args[1])
	}
	c.WriteInt(boolInt(old != 0))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func cmdGetBit(c *client, args [][]byte, tx store.Tx) {
	off, ok := c.bitOffset(args[2], 0)
	if !ok {
		return
	}
	v, _, wrong := c.readString(tx, args[1])
	if wrong {
		c.errorReply(store.ErrWrongType.Error())
		return
	}
	c.WriteInt(getBit(v, off))
}

// readString is GetString counting the lookup in keyspace_hits and
// keyspace_misses as Redis's lookupKeyRead does (a key of another type
// counts as a hit).
func (c *client) readString(tx store.Tx, key []byte) (v []byte, found, wrong bool) {
	v, found, wrong = tx.GetString(key)
	c.lookedUp(found || wrong)
	return v, found, wrong
}

func getBit(v []byte, off uint64) int {
	if off>>3 >= uint64(len(v)) {
		return 0
	}
	return int(v[off>>3]>>(7-off&7)) & 1
}

// bitRange parses BITCOUNT's and BITPOS's start and end (end given when
// endArg > 0) and BYTE|BIT unit (at unitArg, if present) as Redis 7.0
// does, over a value of n bytes, and returns the range as bits, first
// and last inclusive; empty when first > last. ok is false when it
// replied with an error.
func (c *client) bitRange(args [][]byte, startArg, endArg, unitArg int, n int64, bitcount bool) (first, last int64, empty, ok bool) {
	start, ok := c.intArg(args[startArg])
	if !ok {
		return 0, 0, false, false
	}
	// BITCOUNT parses its end before the unit, BITPOS after.
	var end int64
	if bitcount {
		if end, ok = c.intArg(args[endArg]); !ok {
			return 0, 0, false, false
		}
	}
	isBit := false
	if unitArg < len(args) {
		switch strings.ToLower(string(args[unitArg])) {
		case "bit":
			isBit = true
		case "byte":
		default:
			c.errorReply(errSyntax)
			return 0, 0, false, false
		}
	}
	total := n
	if isBit {
		total = n * 8
	}
	switch {
	case bitcount:
	case endArg > 0:
		if end, ok = c.intArg(args[endArg]); !ok {
			return 0, 0, false, false
		}
	default:
		end = total - 1
	}
	if bitcount && start < 0 && end < 0 && start > end {
		return 0, 0, true, true
	}
	if start < 0 {
		start = max(total+start, 0)
	}
	if end < 0 {
		end = max(total+end, 0)
	}
	end = min(end, total-1)
	if start > end {
		return 0, 0, true, true
	}
	if isBit {
		return start, end, false, true
	}
	return start * 8, end*8 + 7, false, true
}

func cmdBitCount(c *client, args [][]byte, tx store.Tx) {
	// Redis 7.0 looks the key up before it parses the range: a missing
	// key is 0 whatever the other arguments.
	v, found, wrong := c.readString(tx, args[1])
	if wrong {
		c.errorReply(store.ErrWrongType.Error())
		return
	}
	if !found {
		c.WriteInt(0)
		return
	}
	switch len(args) {
	case 2:
		c.WriteInt(popcount(v))
	case 4, 5:
		first, last, empty, ok := c.bitRange(args, 2, 3, 4, int64(len(v)), true)
		if !ok {
			return
		}
		if empty {
			c.WriteInt(0)
			return
		}
		c.WriteInt(countBits(v, first, last))
	default:
		c.errorReply(errSyntax)
	}
}

// popcount counts the set bits of b, eight bytes at a time.
func popcount(b []byte) int {
	n := 0
	for len(b) >= 32 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b)) + bits.OnesCount64(binary.LittleEndian.Uint64(b[8:])) +
			bits.OnesCount64(binary.LittleEndian.Uint64(b[16:])) + bits.OnesCount64(binary.LittleEndian.Uint64(b[24:]))
		b = b[32:]
	}
	for len(b) >= 8 {
		n += bits.OnesCount64(binary.LittleEndian.Uint64(b))
		b = b[8:]
	}
	for _, x := range b {
		n += bits.OnesCount8(x)
	}
	return n
}

// countBits counts the set bits of v from bit first to bit last,
// inclusive (both within v).
func countBits(v []byte, first, last int64) int {
	fb, lb := first>>3, last>>3
	n := popcount(v[fb : lb+1])
	n -= bits.OnesCount8(v[fb] &^ (0xff >> (first & 7)))
	n -= bits.OnesCount8(v[lb] & (0xff >> (last&7 + 1)))
	return n
}

// findBit returns the position of the first bit equal to bit from first
// to last inclusive (both within v), or -1.
func findBit(v []byte, first, last int64, bit int) int64 {
	var flip byte
	var flip64 uint64
	if bit == 0 {
		flip, flip64 = 0xff, math.MaxUint64
	}
	fb, lb := first>>3, last>>3
	for i := fb; i <= lb; {
		if i != fb && i+8 <= lb {
			if w := binary.BigEndian.Uint64(v[i:]) ^ flip64; w != 0 {
				return i*8 + int64(bits.LeadingZeros64(w))
			}
			i += 8
			continue
		}
		x := v[i] ^ flip
		if i == fb {
			x &= 0xff >> (first & 7)
		}
		if i == lb {
			x &^= 0xff >> (last&7 + 1)
		}
		if x != 0 {
			return i*8 + int64(bits.LeadingZeros8(x))
		}
		i++
	}
	return -1
}

func cmdBitPos(c *client, args [][]byte, tx store.Tx) {
	bit, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.errorReply("ERR The bit argument must be 1 or 0.")
		return
	}
	v, found, wrong := c.readString(tx, args[1])
	if !found && !wrong {
		// A missing key is an endless run of zeros.
		c.WriteInt(-int(bit))
		return
	}
	if wrong {
		c.errorReply(store.ErrWrongType.Error())
		return
	}
	first, last, empty := int64(0), int64(len(v))*8-1, len(v) == 0
	endGiven := false
	switch len(args) {
	case 3:
	case 4, 5, 6:
		endArg := 0
		if len(args) >= 5 {
			endArg, endGiven = 4, true
		}
		// Redis parses the unit before the end.
		unitArg := 5
		if len(args) < 6 {
			unitArg = len(args)
		}
		if first, last, empty, ok = c.bitRange(args, 3, endArg, unitArg, int64(len(v)), false); !ok {
			return
		}
	default:
		c.errorReply(errSyntax)
		return
	}
	if empty {
		c.WriteInt(-1)
		return
	}
	pos := findBit(v, first, last, int(bit))
	if pos < 0 && bit == 0 && !endGiven {
		// Looking for a clear bit with no end given: the string counts
		// as padded with zeros on the right.
		pos = (last>>3 + 1) * 8
	}
	c.WriteInt64(pos)
}

func cmdBitOp(c *client, args [][]byte, tx store.Tx) {
	var op byte
	switch strings.ToLower(string(args[1])) {
	case "and":
		op = '&'
	case "or":
		op = '|'
	case "xor":
		op = '^'
	case "not":
		op = '~'
	default:
		c.errorReply(errSyntax)
		return
	}
	if op == '~' && len(args) != 4 {
		c.errorReply("ERR BITOP NOT must be called with a single source key.")
		return
	}
	srcs := make([][]byte, 0, len(args)-3)
	maxLen := 0
	for _, k := range args[3:] {
		v, _, wrong := c.readString(tx, k)
		if wrong {
			c.errorReply(store.ErrWrongType.Error())
			return
		}
		srcs = append(srcs, v)
		maxLen = max(maxLen, len(v))
	}
	dest := args[2]
	if maxLen == 0 {
		if tx.Delete(dest) {
			c.notify(notifyGeneric, "del", dest)
		}
		c.WriteInt(0)
		return
	}
	res := make([]byte, maxLen)
	copy(res, srcs[0])
	switch op {
	case '~':
		for i := range res {
			res[i] = ^res[i]
		}
	case '&':
		for _, s := range srcs[1:] {
			n := len(s)
			for i := range s {
				res[i] &= s[i]
			}
			clear(res[n:]) // past its end a source is zeros
		}
	case '|':
		for _, s := range srcs[1:] {
			for i := range s {
				res[i] |= s[i]
			}
		}
	case '^':
		for _, s := range srcs[1:] {
			for i := range s {
				res[i] ^= s[i]
			}
		}
	}
	tx.Set(dest, res, 0)
	c.notify(notifyString, "set", dest)
	c.WriteInt(maxLen)
}

// BITFIELD.

const (
	bfGet = iota
	bfSet
	bfIncrBy
)

const (
	owWrap = iota
	owSat
	owFail
)

type bfOp struct {
	offset uint64
	val    int64
	op, ow int
	bits   int
	signed bool
}

// bitfieldType parses "i<bits>" (1..64) or "u<bits>" (1..63).
func bitfieldType(b []byte) (signed bool, nbits int, ok bool) {
	if len(b) == 0 || (b[0] != 'i' && b[0] != 'u') {
		return false, 0, false
	}
	n, ok := parseInt(b[1:])
	signed = b[0] == 'i'
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, int(n), true
}

func bitfield(c *client, args [][]byte, tx store.Tx, ro bool) {
	var ops []bfOp
	ow := owWrap
	readonly := true
	var highest uint64
	for j := 2; j < len(args); j++ {
		rem := len(args) - j - 1
		var op int
		switch sub := strings.ToLower(string(args[j])); {
		case sub == "get" && rem >= 2:
			op = bfGet
		case sub == "set" && rem >= 3:
			op = bfSet
		case sub == "incrby" && rem >= 3:
			op = bfIncrBy
		case sub == "overflow" && rem >= 1:
			j++
			switch strings.ToLower(string(args[j])) {
			case "wrap":
				ow = owWrap
			case "sat":
				ow = owSat
			case "fail":
				ow = owFail
			default:
				c.errorReply("ERR Invalid OVERFLOW type specified")
				return
			}
			continue
		default:
			c.errorReply(errSyntax)
			return
		}
		signed, nbits, ok := bitfieldType(args[j+1])
		if !ok {
			c.errorReply(errBitType)
			return
		}
		off, ok := c.bitOffset(args[j+2], nbits)
		if !ok {
			return
		}
		var val int64
		if op != bfGet {
			readonly = false
			highest = max(highest, off+uint64(nbits)-1)
			if val, ok = c.intArg(args[j+3]); !ok {
				return
			}
			j++
		}
		ops = append(ops, bfOp{offset: off, val: val, op: op, ow: ow, bits: nbits, signed: signed})
		j += 2
	}
	if readonly {
		v, _, wrong := c.readString(tx, args[1])
		if wrong {
			c.errorReply(store.ErrWrongType.Error())
			return
		}
		c.WriteArray(len(ops))
		for _, o := range ops {
			c.WriteInt64(o.get(v))
		}
		return
	}
	if ro {
		c.errorReply("ERR BITFIELD_RO only supports the GET subcommand")
		return
	}
	changes := 0
	_, err := tx.EditString(args[1], int(highest>>3)+1, true, func(v []byte, _ int) ([]byte, bool) {
		c.WriteArray(len(ops))
		for _, o := range ops {
			if o.op == bfGet {
				c.WriteInt64(o.get(v))
				continue
			}
			if r, ok := o.write(v); ok {
				c.WriteInt64(r)
				changes++
			} else {
				c.WriteNull()
			}
		}
		return v, changes > 0
	})
	if c.wrongType(err) {
		return
	}
	if changes > 0 {
		c.notify(notifyString, "setbit", args[1])
	}
}

// getBits reads an unsigned field of n bits at bit offset off, MSB
// first; bits past the end of v read as zero.
func getBits(v []byte, off uint64, n int) uint64 {
	var x uint64
	for i := 0; i < n; i++ {
		p := off + uint64(i)
		b := uint64(0)
		if p>>3 < uint64(len(v)) {
			b = uint64(v[p>>3]>>(7-p&7)) & 1
		}
		x = x<<1 | b
	}
	return x
}

// setBits writes the low n bits of x at bit offset off (within v).
func setBits(v []byte, off uint64, n int, x uint64) {
	for i := 0; i < n; i++ {
		p := off + uint64(i)
		m := byte(1) << (7 - p&7)
		if x>>(n-1-i)&1 != 0 {
			v[p>>3] |= m
		} else {
			v[p>>3] &^= m
		}
	}
}

func (o bfOp) get(v []byte) int64 {
	x := getBits(v, o.offset, o.bits)
	if o.signed && o.bits < 64 && x&(1<<(o.bits-1)) != 0 {
		x |= math.MaxUint64 << o.bits
	}
	return int64(x)
}

// write runs a SET or INCRBY, returning its reply (the old value for
// SET, the new one for INCRBY) and false when OVERFLOW FAIL refused it.
func (o bfOp) write(v []byte) (int64, bool) {
	old := o.get(v)
	var nv, reply int64
	var over int
	if o.signed {
		if o.op == bfIncrBy {
			var w int64
			over, w = signedOverflow(old, o.val, o.bits, o.ow)
			nv = old + o.val
			if over != 0 {
				nv = w
			}
			reply = nv
		} else {
			var w int64
			over, w = signedOverflow(o.val, 0, o.bits, o.ow)
			nv = o.val
			if over != 0 {
				nv = w
			}
			reply = old
		}
	} else {
		uold := uint64(old)
		var unv uint64
		if o.op == bfIncrBy {
			var w uint64
			over, w = unsignedOverflow(uold, o.val, o.bits, o.ow)
			unv = uold + uint64(o.val)
			if over != 0 {
				unv = w
			}
			reply = int64(unv)
		} else {
			var w uint64
			over, w = unsignedOverflow(uint64(o.val), 0, o.bits, o.ow)
			unv = uint64(o.val)
			if over != 0 {
				unv = w
			}
			reply = old
		}
		nv = int64(unv)
	}
	if over != 0 && o.ow == owFail {
		return 0, false
	}
	setBits(v, o.offset, o.bits, uint64(nv))
	return reply, true
}

// unsignedOverflow is Redis's checkUnsignedBitfieldOverflow: 1 for an
// overflow up, -1 down, 0 none, and the value to store instead (wrapped
// or saturated) for WRAP and SAT.
func unsignedOverflow(value uint64, incr int64, nbits int, ow int) (int, uint64) {
	maxv := uint64(1)<<nbits - 1
	maxIncr := int64(maxv - value)
	minIncr := -int64(value)
	wrap := func() uint64 { return (value + uint64(incr)) &^ (math.MaxUint64 << nbits) }
	switch {
	case value > maxv || (incr > 0 && incr > maxIncr):
		switch ow {
		case owWrap:
			return 1, wrap()
		case owSat:
			return 1, maxv
		}
		return 1, 0
	case incr < 0 && incr < minIncr:
		switch ow {
		case owWrap:
			return -1, wrap()
		case owSat:
			return -1, 0
		}
		return -1, 0
	}
	return 0, 0
}

// signedOverflow is Redis's checkSignedBitfieldOverflow, with C's
// wrapping arithmetic.
func signedOverflow(value, incr int64, nbits int, ow int) (int, int64) {
	maxv := int64(math.MaxInt64)
	if nbits != 64 {
		maxv = int64(1)<<(nbits-1) - 1
	}
	minv := -maxv - 1
	maxIncr := int64(uint64(maxv) - uint64(value))
	minIncr := minv - value
	wrap := func() int64 {
		c := uint64(value) + uint64(incr)
		if nbits < 64 {
			mask := uint64(math.MaxUint64) << nbits
			if c&(1<<(nbits-1)) != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		return int64(c)
	}
	switch {
	case value > maxv || (nbits != 64 && incr > maxIncr) || (value >= 0 && incr > 0 && incr > maxIncr):
		switch ow {
		case owWrap:
			return 1, wrap()
		case owSat:
			return 1, maxv
		}
		return 1, 0
	case value < minv || (nbits != 64 && incr < minIncr) || (value < 0 && incr < 0 && incr < minIncr):
		switch ow {
		case owWrap:
			return -1, wrap()
		case owSat:
			return -1, minv
		}
		return -1, 0
	}
	return 0, 0
}
