package script

import (
	lua "github.com/yuin/gopher-lua"
)

// Registry and call-stack bounds of a VM: Lua's own data stack may grow
// to registryMax slots (a runaway recursion fails with "stack overflow"
// instead of eating memory), and calls nest at most callStackSize deep.
const (
	registrySize  = 1024
	registryMax   = 256 * 1024
	callStackSize = 512
)

// removedGlobals are what Redis 7 takes out of the base library: no file
// or module loading, no environment tricks, no printing to the server's
// standard output.
var removedGlobals = []string{
	"dofile", "loadfile", "getfenv", "setfenv", "module", "require", "newproxy",
	"print", "_printregs", "_GOPHER_LUA_VERSION",
}

// readonlyLibs are the library tables scripts see through read-only
// proxies, as Redis 7 makes every global table read-only.
var readonlyLibs = []string{"string", "math", "table", "coroutine", "redis", "bit", "cjson", "struct", "cmsgpack"}

// newVM builds a Lua state with Redis's script environment: the base,
// table, string, math and coroutine libraries, bit, cjson, struct and
// cmsgpack, the redis table; every global read-only, reading a global
// that does not exist an error.
func newVM() *vm {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:    true,
		RegistrySize:    registrySize,
		RegistryMaxSize: registryMax,
		CallStackSize:   callStackSize,
	})
	v := &vm{L: L, fns: make(map[*lua.FunctionProto]*lua.LFunction), readonly: make(map[*lua.LTable]bool)}
	v.tick.v = v
	for _, open := range []struct {
		name string
		fn   lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath}, {lua.CoroutineLibName, lua.OpenCoroutine}} {
		L.Push(L.NewFunction(open.fn))
		L.Push(lua.LString(open.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	v.global = g
	for _, name := range removedGlobals {
		g.RawSetString(name, lua.LNil)
	}
	v.patchBase()
	v.patchMath()
	v.patchString()
	v.patchCoroutine()
	v.redisRaw = v.redisLib()
	g.RawSetString("redis", v.redisRaw)
	g.RawSetString("bit", openBit(L))
	g.RawSetString("cjson", openCJSON(L))
	g.RawSetString("struct", openStruct(L))
	g.RawSetString("cmsgpack", openMsgpack(L))
	for _, name := range readonlyLibs {
		if t, ok := g.RawGetString(name).(*lua.LTable); ok {
			g.RawSetString(name, v.readonlyProxy(t))
		}
	}
	// Strings' methods ("x"):upper() find the string library through the
	// string metatable; that metatable is protected the same way.
	if mt, ok := L.GetMetatable(lua.LString("")).(*lua.LTable); ok {
		mt.RawSetString("__index", g.RawGetString("string"))
		mt.RawSetString("__metatable", v.readonlyProxy(L.NewTable()))
		v.readonly[mt] = true
	}

	// The globals themselves: reading a name that does not exist is an
	// error, and scripts see them through a proxy that refuses writes.
	gmt := L.NewTable()
	v.nonexistent = L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.ToString(2))
		return 0
	})
	gmt.RawSetString("__index", v.nonexistent)
	L.SetMetatable(g, gmt)
	proxy := v.readonlyProxy(g)
	g.RawSetString("_G", proxy)
	L.Env = proxy
	v.errfn = L.NewFunction(v.errorHandler)
	L.SetContext(&v.tick)
	return v
}

// readonlyProxy returns an empty table that reads through to t and
// refuses writes with Redis's "Attempt to modify a readonly table".
func (v *vm) readonlyProxy(t *lua.LTable) *lua.LTable {
	L := v.L
	p := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	}))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(p, mt)
	v.readonly[p] = true
	v.readonly[mt] = true
	return p
}

// errReadonly raises Redis's error for a write to a read-only table from
// a library function (no line: C functions have none in Lua 5.1).
func errReadonly(L *lua.LState) {
	L.Error(lua.LString("Attempt to modify a readonly table"), 0)
}

// patchBase wraps what could open the sandbox (rawset, setmetatable on
// the protected tables) and makes pcall hand scripts the message of an
// error table, as Redis 7 does (pcall(redis.call, ...) gives a string).
func (v *vm) patchBase() {
	L, g := v.L, v.global
	rawset := g.RawGetString("rawset").(*lua.LFunction)
	g.RawSetString("rawset", L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok && v.readonly[t] {
			errReadonly(L)
		}
		return v.callThrough(L, rawset)
	}))
	// error as Lua 5.1's: a message gets the position of the function
	// at level (1: the caller), none when that function is not Lua's
	// (pcall(error, "x") gives "x"); error() raises nil.
	g.RawSetString("error", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() == 0 {
			L.Error(lua.LNil, 0)
		}
		msg := L.Get(1)
		level := L.OptInt(2, 1)
		switch msg.(type) {
		case lua.LString, lua.LNumber:
			if level > 0 {
				if dbg, ok := L.GetStack(level); ok {
					if _, err := L.GetInfo("Sl", dbg, lua.LNil); err == nil && dbg.CurrentLine > 0 {
						msg = lua.LString(dbg.Source + ":" + itoa(dbg.CurrentLine) + ": " + msg.String())
					}
				}
			}
		}
		L.Error(msg, 0)
		return 0
	}))
	// tostring of a number prints it as Lua 5.1 does ("%.14g"), not in
	// Go's shortest form.
	tostr := g.RawGetString("tostring").(*lua.LFunction)
	g.RawSetString("tostring", L.NewFunction(func(L *lua.LState) int {
		if n, ok := L.Get(1).(lua.LNumber); ok && L.GetTop() == 1 {
			L.Push(lua.LString(luaNumberString(float64(n))))
			return 1
		}
		return v.callThrough(L, tostr)
	}))
	setmt := g.RawGetString("setmetatable").(*lua.LFunction)
	g.RawSetString("setmetatable", L.NewFunction(func(L *lua.LState) int {
		if t, ok := L.Get(1).(*lua.LTable); ok && v.readonly[t] {
			errReadonly(L)
		}
		return v.callThrough(L, setmt)
	}))
	g.RawSetString("pcall", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() < 1 {
			L.ArgError(1, "value expected")
		}
		nargs := L.GetTop() - 1
		base := 1
		err := L.PCall(nargs, lua.MultRet, nil)
		if v.killedWith != "" {
			L.Error(lua.LString(v.killedWith), 0)
		}
		if err != nil {
			var obj lua.LValue = lua.LString(err.Error())
			if ae, ok := err.(*lua.ApiError); ok {
				obj = ae.Object
			}
			if t, ok := obj.(*lua.LTable); ok {
				if s, ok := t.RawGetString("err").(lua.LString); ok {
					obj = s
				}
			}
			L.SetTop(0)
			L.Push(lua.LFalse)
			L.Push(obj)
			return 2
		}
		L.Insert(lua.LTrue, base)
		return L.GetTop()
	}))
}

// callThrough calls fn with the current arguments and returns its results.
func (v *vm) callThrough(L *lua.LState, fn *lua.LFunction) int {
	n := L.GetTop()
	L.Push(fn)
	L.Insert(fn, 1)
	L.SetTop(n + 1)
	L.Call(n, lua.MultRet)
	return L.GetTop()
}

// patchCoroutine runs coroutines under the vm's instruction counter too:
// a loop inside a coroutine must stop on SCRIPT KILL like any other.
func (v *vm) patchCoroutine() {
	L := v.L
	co, ok := v.global.RawGetString("coroutine").(*lua.LTable)
	if !ok {
		return
	}
	create := co.RawGetString("create").(*lua.LFunction)
	co.RawSetString("create", L.NewFunction(func(L *lua.LState) int {
		n := v.callThrough(L, create)
		if th, ok := L.Get(-1).(*lua.LState); ok {
			th.SetContext(&v.tick)
		}
		return n
	}))
	// wrap builds on the patched create.
	wrap, err := L.LoadString(`local create, resume, error, select = ...
return function(f)
  local co = create(f)
  local function ret(ok, ...)
    if not ok then error((...), 0) end
    return ...
  end
  return function(...) return ret(resume(co, ...)) end
end`)
	if err != nil {
		panic(err)
	}
	L.Push(wrap)
	L.Push(co.RawGetString("create"))
	L.Push(co.RawGetString("resume"))
	L.Push(v.global.RawGetString("error"))
	L.Push(v.global.RawGetString("select"))
	L.Call(4, 1)
	co.RawSetString("wrap", L.Get(-1))
	L.Pop(1)
}
