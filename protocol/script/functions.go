package script

import (
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/cachesrv/cachesrv/protocol/resp"
)

// Library is a Redis 7 function library: its code, compiled once, and the
// functions its loading registered. Each VM loads its own instance the
// first time it runs one of them (closures belong to one Lua state).
type Library struct {
	Name      string
	Code      string
	Functions []*Function // in registration order
	proto     *lua.FunctionProto
}

// Function is one function of a library.
type Function struct {
	Name        string
	Description *string // nil: none given
	Flags       []string
	NoWrites    bool
	Lib         *Library
	index       int // position in Lib.Functions
}

// functionFlags are the flags redis.register_function accepts.
var functionFlags = map[string]bool{
	"no-writes": true, "allow-oom": true, "allow-stale": true, "no-cluster": true, "allow-cross-slot-keys": true,
}

// LoadTimeout bounds a library's loading code, as Redis does.
const LoadTimeout = 500 * time.Millisecond

// libInstance is a library loaded in one VM: its callbacks by function
// index.
type libInstance struct {
	callbacks []*lua.LFunction
}

// ParseLibrary checks code's "#!lua name=<name>" header and returns the
// library name and the code Lua compiles (the header line blanked, so
// line numbers stay the user's). The error is Redis's reply text.
func ParseLibrary(code []byte) (name, body, errMsg string) {
	s := string(code)
	if !strings.HasPrefix(s, "#!") {
		return "", "", "ERR Missing library metadata"
	}
	header, rest, _ := strings.Cut(s, "\n")
	parts := strings.Fields(header[2:])
	if len(parts) == 0 || parts[0] != "lua" {
		engine := ""
		if len(parts) > 0 {
			engine = parts[0]
		}
		return "", "", "ERR Engine '" + engine + "' not found"
	}
	for _, p := range parts[1:] {
		v, ok := strings.CutPrefix(p, "name=")
		if !ok {
			return "", "", "ERR Invalid metadata value given: " + p
		}
		name = v
	}
	if name == "" {
		return "", "", "ERR Library name was not given"
	}
	if !validFunctionName(name) {
		return "", "", "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	}
	return name, "\n" + rest, ""
}

func validFunctionName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// LoadLibrary compiles and runs a library's code to learn its functions,
// returning the library or Redis's error text. It does not register it
// anywhere: the caller's registry does, checking name clashes.
func (e *Engine) LoadLibrary(code []byte) (*Library, string) {
	name, body, msg := ParseLibrary(code)
	if msg != "" {
		return nil, msg
	}
	proto, cerr := compile([]byte(body), "user_function")
	if cerr != "" {
		return nil, "ERR Error compiling function: " + cerr
	}
	lib := &Library{Name: name, Code: string(code), proto: proto}
	v := e.getVM()
	defer e.putVM(v)
	if _, msg := v.loadLibrary(lib, true); msg != "" {
		return nil, "ERR Error registering functions: " + msg
	}
	if len(lib.Functions) == 0 {
		return nil, "ERR No functions registered"
	}
	return lib, ""
}

// loadHost stops a library's loading code after LoadTimeout.
type loadHost struct{ deadline time.Time }

func (h loadHost) Call([][]byte, bool) []byte { return []byte("-ERR not allowed while loading\r\n") }
func (h loadHost) Log(int, string)            {}
func (h loadHost) Check() string {
	if time.Now().After(h.deadline) {
		return "ERR FUNCTION LOAD timeout"
	}
	return ""
}

// loadLibrary runs lib's code in v with the loading environment (only
// the redis table, with register_function), then switches the library's
// globals to the run-time ones. With discover, registrations fill
// lib.Functions; otherwise they are matched to it by name.
func (v *vm) loadLibrary(lib *Library, discover bool) (*libInstance, string) {
	L := v.L
	inst := &libInstance{}
	var loadErr string
	loader := L.NewTable()
	loaderRedis := L.NewTable()
	for _, k := range []string{"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING", "REDIS_VERSION", "REDIS_VERSION_NUM"} {
		loaderRedis.RawSetString(k, v.redisRaw.RawGetString(k))
	}
	loaderRedis.RawSetString("log", v.redisRaw.RawGetString("log"))
	loaderRedis.RawSetString("register_function", L.NewFunction(func(L *lua.LState) int {
		f, msg := registerArgs(L)
		if msg != "" {
			raiseErr(L, msg)
		}
		for _, have := range lib.Functions[:len(inst.callbacks)] {
			if discover && have.Name == f.Name {
				raiseErr(L, "ERR Function already exists in the library")
			}
		}
		if discover {
			f.Lib, f.index = lib, len(lib.Functions)
			lib.Functions = append(lib.Functions, f.Function)
		}
		inst.callbacks = append(inst.callbacks, f.callback)
		return 0
	}))
	nonexistent := L.NewTable()
	nonexistent.RawSetString("__index", v.nonexistent)
	L.SetMetatable(loaderRedis, nonexistent)
	L.SetMetatable(loader, nonexistent)
	loader.RawSetString("redis", v.readonlyProxy(loaderRedis))

	// The library's globals: during loading they read through to loader,
	// afterwards to the VM's (its redis table, without KEYS and ARGV).
	env := L.NewTable()
	mt := L.NewTable()
	mt.RawSetString("__index", loader)
	mt.RawSetString("__newindex", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Attempt to modify a readonly table")
		return 0
	}))
	mt.RawSetString("__metatable", lua.LFalse)
	L.SetMetatable(env, mt)
	v.readonly[env] = true

	// gopher-lua gives every closure the state's Env when it is made, so
	// Env is the library's for the whole of its loading.
	saved := L.Env
	L.Env = env
	fn := L.NewFunctionFromProto(lib.proto)
	c := &Call{Host: loadHost{deadline: time.Now().Add(LoadTimeout)}, Name: lib.Name, Source: "user_function"}
	v.call = c
	v.killedWith = ""
	L.Push(fn)
	if err := L.PCall(0, 0, v.errfn); err != nil {
		loadErr = v.errorText(err)
	}
	L.Env = saved
	v.call = nil
	L.SetTop(0)
	if loadErr != "" {
		return nil, loadErr
	}
	if !discover && len(inst.callbacks) != len(lib.Functions) {
		return nil, "ERR library registered different functions on this VM"
	}
	mt.RawSetString("__index", L.Env)
	if v.libs == nil {
		v.libs = make(map[*Library]*libInstance)
	}
	v.libs[lib] = inst
	return inst, ""
}

// registeredFunction is what register_function was given.
type registeredFunction struct {
	*Function
	callback *lua.LFunction
}

// registerArgs reads redis.register_function's arguments: (name,
// callback) or a table of named arguments.
func registerArgs(L *lua.LState) (registeredFunction, string) {
	f := registeredFunction{Function: &Function{}}
	switch L.GetTop() {
	case 2:
		name, ok := L.Get(1).(lua.LString)
		if !ok {
			if n, isNum := L.Get(1).(lua.LNumber); isNum {
				name, ok = lua.LString(n.String()), true
			}
		}
		if !ok {
			return f, "ERR first argument to redis.register_function must be a string"
		}
		cb, ok := L.Get(2).(*lua.LFunction)
		if !ok {
			return f, "ERR second argument to redis.register_function must be a function"
		}
		f.Name, f.callback = string(name), cb
	case 1:
		t, ok := L.Get(1).(*lua.LTable)
		if !ok {
			return f, "ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments)."
		}
		var msg string
		t.ForEach(func(k, val lua.LValue) {
			if msg != "" {
				return
			}
			ks, _ := k.(lua.LString)
			switch string(ks) {
			case "function_name":
				s, ok := val.(lua.LString)
				if !ok {
					msg = "ERR function_name argument given to redis.register_function must be a string"
				}
				f.Name = string(s)
			case "description":
				s := lua.LVAsString(val)
				f.Description = &s
			case "callback":
				cb, ok := val.(*lua.LFunction)
				if !ok {
					msg = "ERR callback argument given to redis.register_function must be a function"
				}
				f.callback = cb
			case "flags":
				ft, ok := val.(*lua.LTable)
				if !ok {
					msg = "ERR flags argument to redis.register_function must be a table representing function flags"
					return
				}
				ft.ForEach(func(_, fl lua.LValue) {
					s, ok := fl.(lua.LString)
					if msg == "" && (!ok || !functionFlags[string(s)]) {
						msg = "ERR unknown flag given"
					}
					f.Flags = append(f.Flags, string(s))
					if s == "no-writes" {
						f.NoWrites = true
					}
				})
			default:
				msg = "ERR unknown argument given to redis.register_function"
			}
		})
		if msg != "" {
			return f, msg
		}
		if f.Name == "" {
			return f, "ERR redis.register_function must get a function name argument"
		}
		if f.callback == nil {
			return f, "ERR redis.register_function must get a callback argument"
		}
	default:
		return f, "ERR wrong number of arguments to redis.register_function"
	}
	if !validFunctionName(f.Name) {
		// Redis's text names libraries here too.
		return f, "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	}
	return f, ""
}

// RunFunction runs f with keys and args (FCALL) and writes its reply to
// out, reporting whether it is an error.
func (e *Engine) RunFunction(f *Function, c *Call, out *resp.Writer) bool {
	v := e.getVM()
	inst := v.libs[f.Lib]
	if inst == nil {
		var msg string
		if inst, msg = v.loadLibrary(f.Lib, false); msg != "" {
			e.putVM(v)
			out.WriteError(msg)
			return true
		}
	}
	v.startFunction(c)
	L := v.L
	L.Push(inst.callbacks[f.index])
	L.Push(v.stringTable(c.Keys))
	L.Push(v.stringTable(c.Argv))
	failed := false
	if err := L.PCall(2, 1, v.errfn); err != nil {
		failed = true
		v.writeError(err, out)
	} else {
		failed = v.writeReply(out, L.Get(-1), 0)
	}
	v.finish()
	e.putVM(v)
	return failed
}
