package script

import (
	"math"

	lua "github.com/yuin/gopher-lua"
)

// rand48 is the generator behind Redis's math.random: the 48-bit linear
// congruence of POSIX's lrand48, so that a script draws the same numbers
// here as on Redis.
type rand48 struct{ x uint64 }

// defaultSeed is lrand48's state before any srand48 (Redis never seeds
// the scripting generator, so the first script after a start sees this).
const defaultSeed = 0x1234abcd330e

func (r *rand48) seed(x uint64) { r.x = x & (1<<48 - 1) }

// next is lrand48: the top 31 bits of the next state.
func (r *rand48) next() int32 {
	r.x = (0x5DEECE66D*r.x + 0xB) & (1<<48 - 1)
	return int32(r.x >> 17)
}

// patchMath replaces math.random and math.randomseed with Redis's
// deterministic versions; the rest of the library is gopher-lua's.
func (v *vm) patchMath() {
	L := v.L
	m := v.global.RawGetString("math").(*lua.LTable)
	m.RawSetString("random", L.NewFunction(func(L *lua.LState) int {
		const max = math.MaxInt32
		r := float64(v.rand.next()%max) / max
		switch L.GetTop() {
		case 0:
			L.Push(lua.LNumber(r))
		case 1:
			u := L.CheckInt(1)
			if u < 1 {
				L.ArgError(1, "interval is empty")
			}
			L.Push(lua.LNumber(math.Floor(r*float64(u)) + 1))
		case 2:
			l, u := L.CheckInt(1), L.CheckInt(2)
			if l > u {
				L.ArgError(2, "interval is empty")
			}
			L.Push(lua.LNumber(math.Floor(r*float64(u-l+1)) + float64(l)))
		default:
			L.RaiseError("wrong number of arguments")
		}
		return 1
	}))
	m.RawSetString("randomseed", L.NewFunction(func(L *lua.LState) int {
		seed := uint32(int32(L.CheckInt(1)))
		v.rand.seed(uint64(seed)<<16 | 0x330e)
		return 0
	}))
}

// MaxStringBytes bounds what string.rep may build: Lua would try to
// allocate whatever it is asked (string.rep("x", 1e10) takes a Redis
// server down), here it is an error.
var MaxStringBytes = 512 << 20

func (v *vm) patchString() {
	L := v.L
	s := v.global.RawGetString("string").(*lua.LTable)
	rep := s.RawGetString("rep").(*lua.LFunction)
	s.RawSetString("rep", L.NewFunction(func(L *lua.LState) int {
		str := L.CheckString(1)
		n := L.CheckInt(2)
		if n > 0 && len(str) > 0 && n > MaxStringBytes/len(str) {
			L.RaiseError("resulting string too large")
		}
		return v.callThrough(L, rep)
	}))
}
