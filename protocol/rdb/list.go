package rdb

// Lists: Redis 7.0 writes a list as RDB_TYPE_LIST_QUICKLIST_2, a sequence
// of nodes each holding a listpack of elements (PACKED) or one large
// element (PLAIN). It still reads the generic RDB_TYPE_LIST (a count,
// then each element), which is what AppendList writes: no listpack
// encoder is needed, and every Redis version reads it.
const (
	TypeList           = 1
	TypeListQuicklist2 = 18

	quicklistPlain  = 1
	quicklistPacked = 2
)

// AppendList appends a list as RDB_TYPE_LIST.
func AppendList(b []byte, elems [][]byte) []byte {
	b = append(b, TypeList)
	b = AppendLength(b, uint64(len(elems)))
	for _, e := range elems {
		b = AppendString(b, e)
	}
	return b
}

// ReadList decodes a list of either encoding into its elements, in order.
// The elements alias body where they can.
func ReadList(typ byte, body []byte) ([][]byte, error) {
	n, _, rest, err := ReadLength(body)
	if err != nil || n > maxElems {
		return nil, ErrBadFormat
	}
	var out [][]byte
	switch typ {
	case TypeList:
		out = make([][]byte, 0, n)
		for range n {
			var e []byte
			if e, rest, err = ReadString(rest); err != nil {
				return nil, err
			}
			out = append(out, e)
		}
	case TypeListQuicklist2:
		for range n {
			container, _, r, err := ReadLength(rest)
			if err != nil {
				return nil, ErrBadFormat
			}
			node, r, err := ReadString(r)
			if err != nil {
				return nil, err
			}
			rest = r
			switch container {
			case quicklistPlain:
				out = append(out, node)
			case quicklistPacked:
				elems, err := readListpack(node)
				if err != nil || len(elems) == 0 {
					return nil, ErrBadFormat
				}
				out = append(out, elems...)
			default:
				return nil, ErrBadFormat
			}
			if len(out) > maxElems {
				return nil, ErrBadFormat
			}
		}
	default:
		return nil, ErrBadFormat
	}
	return out, trailing(rest)
}
