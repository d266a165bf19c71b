package rdb

import (
	"encoding/binary"
	"strconv"
)

// Length encodings: the top two bits of the first byte.
const (
	len6   = 0    // 00xxxxxx
	len14  = 1    // 01xxxxxx xxxxxxxx
	len32  = 0x80 // 10000000 + 4 bytes big-endian
	len64  = 0x81 // 10000001 + 8 bytes big-endian
	encVal = 3    // 11xxxxxx: a special encoding follows
)

// The special string encodings.
const (
	encInt8 = iota
	encInt16
	encInt32
	encLZF
)

// AppendLength appends n in RDB's length encoding.
func AppendLength(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|len14<<6, byte(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, len32), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, len64), n)
}

// ReadLength reads a length; special reports a special encoding instead
// (n is then its number).
func ReadLength(b []byte) (n uint64, special bool, rest []byte, err error) {
	if len(b) == 0 {
		return 0, false, nil, ErrBadFormat
	}
	switch b[0] >> 6 {
	case len6:
		return uint64(b[0] & 0x3f), false, b[1:], nil
	case len14:
		if len(b) < 2 {
			return 0, false, nil, ErrBadFormat
		}
		return uint64(b[0]&0x3f)<<8 | uint64(b[1]), false, b[2:], nil
	case encVal:
		return uint64(b[0] & 0x3f), true, b[1:], nil
	}
	switch b[0] {
	case len32:
		if len(b) < 5 {
			return 0, false, nil, ErrBadFormat
		}
		return uint64(binary.BigEndian.Uint32(b[1:])), false, b[5:], nil
	case len64:
		if len(b) < 9 {
			return 0, false, nil, ErrBadFormat
		}
		return binary.BigEndian.Uint64(b[1:]), false, b[9:], nil
	}
	return 0, false, nil, ErrBadFormat
}

// AppendString appends s as Redis writes a string: as an integer when it
// is the canonical form of one that fits 32 bits, else raw with its
// length (never LZF-compressed: RESTORE takes both).
func AppendString(b, s []byte) []byte {
	if len(s) > 0 && len(s) <= 11 {
		if v, err := strconv.ParseInt(string(s), 10, 64); err == nil && strconv.FormatInt(v, 10) == string(s) {
			switch {
			case v >= -1<<7 && v < 1<<7:
				return append(b, encVal<<6|encInt8, byte(int8(v)))
			case v >= -1<<15 && v < 1<<15:
				return binary.LittleEndian.AppendUint16(append(b, encVal<<6|encInt16), uint16(int16(v)))
			case v >= -1<<31 && v < 1<<31:
				return binary.LittleEndian.AppendUint32(append(b, encVal<<6|encInt32), uint32(int32(v)))
			}
		}
	}
	b = AppendLength(b, uint64(len(s)))
	return append(b, s...)
}

// maxString bounds a decoded string (Redis's proto-max-bulk-len default):
// a forged length must not make the reader allocate without limit.
const maxString = 512 << 20

// ReadString reads a string in any of Redis's encodings: raw, integer,
// or LZF-compressed.
func ReadString(b []byte) (s []byte, rest []byte, err error) {
	n, special, b, err := ReadLength(b)
	if err != nil {
		return nil, nil, err
	}
	if !special {
		if n > uint64(len(b)) {
			return nil, nil, ErrBadFormat
		}
		return b[:n], b[n:], nil
	}
	switch n {
	case encInt8:
		if len(b) < 1 {
			return nil, nil, ErrBadFormat
		}
		return strconv.AppendInt(nil, int64(int8(b[0])), 10), b[1:], nil
	case encInt16:
		if len(b) < 2 {
			return nil, nil, ErrBadFormat
		}
		return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(b))), 10), b[2:], nil
	case encInt32:
		if len(b) < 4 {
			return nil, nil, ErrBadFormat
		}
		return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(b))), 10), b[4:], nil
	case encLZF:
		clen, _, b, err := ReadLength(b)
		if err != nil {
			return nil, nil, err
		}
		ulen, _, b, err := ReadLength(b)
		if err != nil || clen > uint64(len(b)) || ulen > maxString {
			return nil, nil, ErrBadFormat
		}
		out, err := lzfDecompress(b[:clen], int(ulen))
		if err != nil {
			return nil, nil, err
		}
		return out, b[clen:], nil
	}
	return nil, nil, ErrBadFormat
}
