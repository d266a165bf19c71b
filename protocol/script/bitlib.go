package script

import (
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// openBit is LuaBitOp's bit library as Redis bundles it: 32-bit
// operations on numbers, results signed.
func openBit(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	un := func(name string, f func(int32) int32) {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			L.Push(lua.LNumber(f(toBit(L, 1))))
			return 1
		}))
	}
	fold := func(name string, f func(a, b int32) int32) {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			r := toBit(L, 1)
			for i := 2; i <= L.GetTop(); i++ {
				r = f(r, toBit(L, i))
			}
			L.Push(lua.LNumber(r))
			return 1
		}))
	}
	shift := func(name string, f func(a int32, n uint) int32) {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			a, n := toBit(L, 1), uint(toBit(L, 2))&31
			L.Push(lua.LNumber(f(a, n)))
			return 1
		}))
	}
	un("tobit", func(a int32) int32 { return a })
	un("bnot", func(a int32) int32 { return ^a })
	un("bswap", func(a int32) int32 {
		u := uint32(a)
		return int32(u>>24 | (u>>8)&0xff00 | (u&0xff00)<<8 | u<<24)
	})
	fold("band", func(a, b int32) int32 { return a & b })
	fold("bor", func(a, b int32) int32 { return a | b })
	fold("bxor", func(a, b int32) int32 { return a ^ b })
	shift("lshift", func(a int32, n uint) int32 { return int32(uint32(a) << n) })
	shift("rshift", func(a int32, n uint) int32 { return int32(uint32(a) >> n) })
	shift("arshift", func(a int32, n uint) int32 { return a >> n })
	shift("rol", func(a int32, n uint) int32 { u := uint32(a); return int32(u<<n | u>>((32-n)&31)) })
	shift("ror", func(a int32, n uint) int32 { u := uint32(a); return int32(u>>n | u<<((32-n)&31)) })
	t.RawSetString("tohex", L.NewFunction(func(L *lua.LState) int {
		b := uint32(toBit(L, 1))
		n := int32(8)
		if L.GetTop() >= 2 && L.Get(2) != lua.LNil {
			n = toBit(L, 2)
		}
		digits := "0123456789abcdef"
		if n < 0 {
			n = -n
			digits = "0123456789ABCDEF"
		}
		if n > 8 {
			n = 8
		}
		var sb strings.Builder
		for i := n - 1; i >= 0; i-- {
			sb.WriteByte(digits[(b>>(4*uint(i)))&15])
		}
		L.Push(lua.LString(sb.String()))
		return 1
	}))
	return t
}

// toBit normalizes argument i to a 32-bit integer as LuaBitOp does:
// rounded to the nearest integer, reduced modulo 2^32.
func toBit(L *lua.LState, i int) int32 {
	f := float64(L.CheckNumber(i))
	f = math.RoundToEven(f)
	if math.Abs(f) >= 1<<63 || math.IsNaN(f) || math.IsInf(f, 0) {
		f = math.Mod(f, 1<<32)
		if math.IsNaN(f) {
			return 0
		}
	}
	return int32(uint32(int64(f)))
}
