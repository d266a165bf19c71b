package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Sorted set encodings: RDB_TYPE_ZSET_2 (binary scores), which every Redis
// since 3.2 reads, and RDB_TYPE_ZSET_LISTPACK, which Redis 7 writes for a
// small sorted set.
const (
	TypeZSet2        = 5
	TypeZSetListpack = 17
)

// AppendZSet appends a sorted set as RDB_TYPE_ZSET_2: the count, then
// each member and its score as 8 little-endian bytes.
func AppendZSet(b []byte, members [][]byte, scores []float64) []byte {
	b = append(b, TypeZSet2)
	b = AppendLength(b, uint64(len(members)))
	for i, m := range members {
		b = AppendString(b, m)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(scores[i]))
	}
	return b
}

// ReadZSet decodes a sorted set written as RDB_TYPE_ZSET_2 or
// RDB_TYPE_ZSET_LISTPACK into members and scores. A NaN score is
// refused, as Redis refuses it.
func ReadZSet(typ byte, body []byte) ([][]byte, []float64, error) {
	switch typ {
	case TypeZSet2:
		n, _, rest, err := ReadLength(body)
		if err != nil || n > maxElems {
			return nil, nil, ErrBadFormat
		}
		members, scores := make([][]byte, 0, n), make([]float64, 0, n)
		for range n {
			var m []byte
			if m, rest, err = ReadString(rest); err != nil {
				return nil, nil, err
			}
			if len(rest) < 8 {
				return nil, nil, ErrBadFormat
			}
			s := math.Float64frombits(binary.LittleEndian.Uint64(rest))
			if math.IsNaN(s) {
				return nil, nil, ErrBadFormat
			}
			members, scores = append(members, m), append(scores, s)
			rest = rest[8:]
		}
		return members, scores, trailing(rest)
	case TypeZSetListpack:
		lp, rest, err := ReadString(body)
		if err != nil || trailing(rest) != nil {
			return nil, nil, ErrBadFormat
		}
		elems, err := readListpack(lp)
		if err != nil || len(elems)%2 != 0 {
			return nil, nil, ErrBadFormat
		}
		members, scores := make([][]byte, 0, len(elems)/2), make([]float64, 0, len(elems)/2)
		for i := 0; i < len(elems); i += 2 {
			s, err := strconv.ParseFloat(string(elems[i+1]), 64)
			if err != nil && !math.IsInf(s, 0) || math.IsNaN(s) {
				return nil, nil, ErrBadFormat
			}
			members, scores = append(members, elems[i]), append(scores, s)
		}
		return members, scores, nil
	}
	return nil, nil, ErrBadFormat
}
