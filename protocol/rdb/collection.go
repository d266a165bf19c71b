package rdb

import (
	"encoding/binary"
	"strconv"
)

// AppendHash appends a hash as RDB_TYPE_HASH: the field count, then
// each field and value, the generic encoding every Redis version reads.
func AppendHash(b []byte, pairs [][2][]byte) []byte {
	b = append(b, TypeHash)
	b = AppendLength(b, uint64(len(pairs)))
	for _, p := range pairs {
		b = AppendString(b, p[0])
		b = AppendString(b, p[1])
	}
	return b
}

// AppendSet appends a set as RDB_TYPE_SET: the count, then each member.
func AppendSet(b []byte, members [][]byte) []byte {
	b = append(b, TypeSet)
	b = AppendLength(b, uint64(len(members)))
	for _, m := range members {
		b = AppendString(b, m)
	}
	return b
}

// maxElems bounds the element count a payload may announce before its
// elements are read: a forged count must not make the reader allocate.
const maxElems = 1 << 24

// ReadHash decodes a hash of any encoding Redis 7.0 writes (generic,
// listpack, ziplist is not read) into field/value pairs.
func ReadHash(typ byte, body []byte) ([][2][]byte, error) {
	switch typ {
	case TypeHash:
		n, _, rest, err := ReadLength(body)
		if err != nil || n > maxElems {
			return nil, ErrBadFormat
		}
		pairs := make([][2][]byte, 0, n)
		for range n {
			var f, v []byte
			if f, rest, err = ReadString(rest); err != nil {
				return nil, err
			}
			if v, rest, err = ReadString(rest); err != nil {
				return nil, err
			}
			pairs = append(pairs, [2][]byte{f, v})
		}
		return pairs, trailing(rest)
	case TypeHashListpack:
		lp, rest, err := ReadString(body)
		if err != nil {
			return nil, err
		}
		elems, err := readListpack(lp)
		if err != nil || len(elems)%2 != 0 || trailing(rest) != nil {
			return nil, ErrBadFormat
		}
		pairs := make([][2][]byte, 0, len(elems)/2)
		for i := 0; i < len(elems); i += 2 {
			pairs = append(pairs, [2][]byte{elems[i], elems[i+1]})
		}
		return pairs, nil
	}
	return nil, ErrBadFormat
}

// ReadSet decodes a set of any encoding Redis writes: generic, intset,
// listpack (Redis 7.2).
func ReadSet(typ byte, body []byte) ([][]byte, error) {
	switch typ {
	case TypeSet:
		n, _, rest, err := ReadLength(body)
		if err != nil || n > maxElems {
			return nil, ErrBadFormat
		}
		out := make([][]byte, 0, n)
		for range n {
			var m []byte
			if m, rest, err = ReadString(rest); err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, trailing(rest)
	case TypeSetIntset:
		is, rest, err := ReadString(body)
		if err != nil || trailing(rest) != nil {
			return nil, ErrBadFormat
		}
		return readIntset(is)
	case TypeSetListpack:
		lp, rest, err := ReadString(body)
		if err != nil || trailing(rest) != nil {
			return nil, ErrBadFormat
		}
		return readListpack(lp)
	}
	return nil, ErrBadFormat
}

func trailing(rest []byte) error {
	if len(rest) != 0 {
		return ErrBadFormat
	}
	return nil
}

// readIntset decodes an intset: encoding (2, 4 or 8 bytes a member),
// count, then the members, little-endian.
func readIntset(b []byte) ([][]byte, error) {
	if len(b) < 8 {
		return nil, ErrBadFormat
	}
	width := int(binary.LittleEndian.Uint32(b))
	n := int(binary.LittleEndian.Uint32(b[4:]))
	b = b[8:]
	if (width != 2 && width != 4 && width != 8) || n < 0 || n*width != len(b) {
		return nil, ErrBadFormat
	}
	out := make([][]byte, n)
	for i := range n {
		var v int64
		switch width {
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(b[i*2:])))
		case 4:
			v = int64(int32(binary.LittleEndian.Uint32(b[i*4:])))
		default:
			v = int64(binary.LittleEndian.Uint64(b[i*8:]))
		}
		out[i] = strconv.AppendInt(nil, v, 10)
	}
	return out, nil
}

// readListpack decodes a listpack's elements (Redis's listpack.c format:
// total bytes, count, entries each followed by its back-length, 0xFF).
func readListpack(b []byte) ([][]byte, error) {
	if len(b) < 7 || int(binary.LittleEndian.Uint32(b)) != len(b) || b[len(b)-1] != 0xff {
		return nil, ErrBadFormat
	}
	var out [][]byte
	p := b[6 : len(b)-1]
	for len(p) > 0 {
		el, size, err := listpackEntry(p)
		if err != nil {
			return nil, err
		}
		back := backLen(size)
		if size+back > len(p) {
			return nil, ErrBadFormat
		}
		out = append(out, el)
		p = p[size+back:]
	}
	return out, nil
}

// listpackEntry decodes one entry and returns its value and its size
// without the back-length.
func listpackEntry(p []byte) ([]byte, int, error) {
	h := p[0]
	need := func(n int) bool { return len(p) >= n }
	integer := func(v int64, size int) ([]byte, int, error) { return strconv.AppendInt(nil, v, 10), size, nil }
	switch {
	case h&0x80 == 0: // 7-bit unsigned integer
		return integer(int64(h), 1)
	case h&0xc0 == 0x80: // string up to 63 bytes
		n := int(h & 0x3f)
		if !need(1 + n) {
			return nil, 0, ErrBadFormat
		}
		return p[1 : 1+n], 1 + n, nil
	case h&0xe0 == 0xc0: // 13-bit signed integer
		if !need(2) {
			return nil, 0, ErrBadFormat
		}
		v := int64(h&0x1f)<<8 | int64(p[1])
		if v >= 1<<12 {
			v -= 1 << 13
		}
		return integer(v, 2)
	case h&0xf0 == 0xe0: // string up to 4095 bytes
		if !need(2) {
			return nil, 0, ErrBadFormat
		}
		n := int(h&0x0f)<<8 | int(p[1])
		if !need(2 + n) {
			return nil, 0, ErrBadFormat
		}
		return p[2 : 2+n], 2 + n, nil
	}
	switch h {
	case 0xf0: // 32-bit length string
		if !need(5) {
			return nil, 0, ErrBadFormat
		}
		n := int(binary.LittleEndian.Uint32(p[1:]))
		if n < 0 || !need(5+n) {
			return nil, 0, ErrBadFormat
		}
		return p[5 : 5+n], 5 + n, nil
	case 0xf1:
		if !need(3) {
			return nil, 0, ErrBadFormat
		}
		return integer(int64(int16(binary.LittleEndian.Uint16(p[1:]))), 3)
	case 0xf2:
		if !need(4) {
			return nil, 0, ErrBadFormat
		}
		v := int64(p[1]) | int64(p[2])<<8 | int64(int8(p[3]))<<16
		return integer(v, 4)
	case 0xf3:
		if !need(5) {
			return nil, 0, ErrBadFormat
		}
		return integer(int64(int32(binary.LittleEndian.Uint32(p[1:]))), 5)
	case 0xf4:
		if !need(9) {
			return nil, 0, ErrBadFormat
		}
		return integer(int64(binary.LittleEndian.Uint64(p[1:])), 9)
	}
	return nil, 0, ErrBadFormat
}

// backLen is how many bytes encode an entry's length after it.
func backLen(size int) int {
	switch {
	case size < 1<<7:
		return 1
	case size < 1<<14:
		return 2
	case size < 1<<21:
		return 3
	case size < 1<<28:
		return 4
	}
	return 5
}
