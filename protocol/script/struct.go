package script

import (
	"encoding/binary"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// struct is Roberto Ierusalimschy's struct library (0.2) as Redis bundles
// it: pack, unpack and size of binary records, with the sizes of Redis's
// 64-bit build (short 2, int 4, long and size_t 8) and its error texts.
const (
	structMaxIntSize = 32
	structMaxAlign   = 8
)

type structHeader struct {
	big   bool
	align int
}

func openStruct(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("pack", L.NewFunction(structPack))
	t.RawSetString("unpack", L.NewFunction(structUnpack))
	t.RawSetString("size", L.NewFunction(structSize))
	return t
}

func argError(L *lua.LState, n int, fn, msg string) {
	L.RaiseError("bad argument #%d to '%s' (%s)", n, fn, msg)
}

// getnum reads an optional decimal count at fmt[*i], df when absent.
func getnum(L *lua.LState, fmt string, i *int, df int) int {
	if *i >= len(fmt) || fmt[*i] < '0' || fmt[*i] > '9' {
		return df
	}
	a := 0
	for *i < len(fmt) && fmt[*i] >= '0' && fmt[*i] <= '9' {
		if a > (math.MaxInt32-9)/10 {
			L.RaiseError("integral size overflow")
		}
		a = a*10 + int(fmt[*i]-'0')
		*i++
	}
	return a
}

func optsize(L *lua.LState, opt byte, fmt string, i *int) int {
	switch opt {
	case 'B', 'b', 'x':
		return 1
	case 'H', 'h':
		return 2
	case 'L', 'l', 'T', 'd':
		return 8
	case 'f':
		return 4
	case 'c':
		return getnum(L, fmt, i, 1)
	case 'i', 'I':
		sz := getnum(L, fmt, i, 4)
		if sz > structMaxIntSize {
			L.RaiseError("integral size %d is larger than limit of %d", sz, structMaxIntSize)
		}
		return sz
	}
	return 0
}

func gettoalign(n int, h *structHeader, opt byte, size int) int {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > h.align {
		size = h.align
	}
	return (size - (n & (size - 1))) & (size - 1)
}

func controloptions(L *lua.LState, fn string, opt byte, fmt string, i *int, h *structHeader) {
	switch opt {
	case ' ':
	case '>':
		h.big = true
	case '<':
		h.big = false
	case '!':
		a := getnum(L, fmt, i, structMaxAlign)
		if a == 0 || a&(a-1) != 0 {
			L.RaiseError("alignment %d is not a power of 2", a)
		}
		h.align = a
	default:
		argError(L, 1, fn, "invalid format option '"+string(opt)+"'")
	}
}

func structPack(L *lua.LState) int {
	fmt := L.CheckString(1)
	h := structHeader{align: 1}
	arg := 2
	var b []byte
	for i := 0; i < len(fmt); {
		opt := fmt[i]
		i++
		size := optsize(L, opt, fmt, &i)
		for toalign := gettoalign(len(b), &h, opt, size); toalign > 0; toalign-- {
			b = append(b, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			n := float64(L.CheckNumber(arg))
			arg++
			var v uint64
			if n < 0 {
				v = uint64(int64(n))
			} else {
				v = uint64(n)
			}
			buf := make([]byte, size)
			for k := 0; k < size; k++ {
				pos := k
				if h.big {
					pos = size - 1 - k
				}
				buf[pos] = byte(v)
				v >>= 8
			}
			b = append(b, buf...)
		case 'x':
			b = append(b, 0)
		case 'f':
			u := math.Float32bits(float32(L.CheckNumber(arg)))
			arg++
			b = appendUint(b, uint64(u), 4, h.big)
		case 'd':
			u := math.Float64bits(float64(L.CheckNumber(arg)))
			arg++
			b = appendUint(b, u, 8, h.big)
		case 'c', 's':
			s := L.CheckString(arg)
			arg++
			if size == 0 {
				size = len(s)
			}
			if len(s) < size {
				argError(L, arg, "pack", "string too short")
			}
			b = append(b, s[:size]...)
			if opt == 's' {
				b = append(b, 0)
			}
		default:
			controloptions(L, "pack", opt, fmt, &i, &h)
		}
	}
	L.Push(lua.LString(b))
	return 1
}

func appendUint(b []byte, v uint64, size int, big bool) []byte {
	var buf [8]byte
	if big {
		binary.BigEndian.PutUint64(buf[:], v)
		return append(b, buf[8-size:]...)
	}
	binary.LittleEndian.PutUint64(buf[:], v)
	return append(b, buf[:size]...)
}

func structUnpack(L *lua.LState) int {
	fmt := L.CheckString(1)
	data := L.CheckString(2)
	pos := L.OptInt(3, 1) - 1
	if pos < 0 {
		argError(L, 3, "unpack", "offset must be 1 or greater")
	}
	h := structHeader{align: 1}
	n := 0
	for i := 0; i < len(fmt); {
		opt := fmt[i]
		i++
		size := optsize(L, opt, fmt, &i)
		pos += gettoalign(pos, &h, opt, size)
		if pos+size > len(data) {
			argError(L, 2, "unpack", "data string too short")
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			var v uint64
			for k := 0; k < size; k++ {
				idx := pos + k
				if !h.big {
					idx = pos + size - 1 - k
				}
				v = v<<8 | uint64(data[idx])
			}
			signed := opt == 'b' || opt == 'h' || opt == 'l' || opt == 'i'
			var f float64
			if signed && size <= 8 {
				shift := uint(64 - 8*size)
				f = float64(int64(v<<shift) >> shift)
			} else {
				f = float64(v)
			}
			L.Push(lua.LNumber(f))
			n++
		case 'x':
		case 'f':
			var u uint32
			if h.big {
				u = binary.BigEndian.Uint32([]byte(data[pos : pos+4]))
			} else {
				u = binary.LittleEndian.Uint32([]byte(data[pos : pos+4]))
			}
			L.Push(lua.LNumber(math.Float32frombits(u)))
			n++
		case 'd':
			var u uint64
			if h.big {
				u = binary.BigEndian.Uint64([]byte(data[pos : pos+8]))
			} else {
				u = binary.LittleEndian.Uint64([]byte(data[pos : pos+8]))
			}
			L.Push(lua.LNumber(math.Float64frombits(u)))
			n++
		case 'c':
			if size == 0 {
				prev, ok := L.Get(-1).(lua.LNumber)
				if n == 0 || !ok {
					L.RaiseError("format 'c0' needs a previous size")
				}
				size = int(prev)
				L.Pop(1)
				n--
				if size > len(data)-pos {
					argError(L, 2, "unpack", "data string too short")
				}
			}
			L.Push(lua.LString(data[pos : pos+size]))
			n++
		case 's':
			e := strings.IndexByte(data[pos:], 0)
			if e < 0 {
				L.RaiseError("unfinished string in data")
			}
			size = e + 1
			L.Push(lua.LString(data[pos : pos+e]))
			n++
		default:
			controloptions(L, "unpack", opt, fmt, &i, &h)
		}
		pos += size
	}
	L.Push(lua.LNumber(pos + 1))
	return n + 1
}

func structSize(L *lua.LState) int {
	fmt := L.CheckString(1)
	h := structHeader{align: 1}
	total := 0
	for i := 0; i < len(fmt); {
		opt := fmt[i]
		i++
		size := optsize(L, opt, fmt, &i)
		total += gettoalign(total, &h, opt, size)
		switch {
		case opt == 's':
			argError(L, 1, "size", "options 's' has no fixed size")
		case opt == 'c' && size == 0:
			argError(L, 1, "size", "options 'c0' has no fixed size")
		}
		if size == 0 && !strings.ContainsRune("bBhHlLTiIxfdc", rune(opt)) {
			controloptions(L, "size", opt, fmt, &i, &h)
		}
		total += size
	}
	L.Push(lua.LNumber(total))
	return 1
}
