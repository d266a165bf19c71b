package script

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// RedisVersion is what redis.REDIS_VERSION says; the protocol package
// sets it to the version the server reports in INFO.
var RedisVersion = "7.0.0"

// raiseErr raises a Redis error table ({err=msg}), the form Redis's own
// library functions raise: the script's reply shows msg as it is, with no
// Lua position in front.
func raiseErr(L *lua.LState, msg string) {
	t := L.CreateTable(0, 1)
	t.RawSetString("err", lua.LString(msg))
	L.Error(t, 0)
}

// redisLib builds the redis table.
func (v *vm) redisLib() *lua.LTable {
	L := v.L
	t := L.NewTable()
	fn := func(name string, f lua.LGFunction) { t.RawSetString(name, L.NewFunction(f)) }
	fn("call", func(L *lua.LState) int { return v.redisCall(L, true) })
	fn("pcall", func(L *lua.LState) int { return v.redisCall(L, false) })
	fn("error_reply", redisErrorReply)
	fn("status_reply", func(L *lua.LState) int {
		if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
			raiseErr(L, "ERR wrong number or type of arguments")
		}
		r := L.CreateTable(0, 1)
		r.RawSetString("ok", L.Get(1))
		L.Push(r)
		return 1
	})
	fn("sha1hex", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			raiseErr(L, "ERR wrong number of arguments")
		}
		s, _ := appendArg(nil, L.Get(1))
		L.Push(lua.LString(SHA1Hex(s)))
		return 1
	})
	fn("log", func(L *lua.LState) int {
		n := L.GetTop()
		if n < 2 {
			raiseErr(L, "ERR redis.log() requires two arguments or more.")
		}
		lv, ok := L.Get(1).(lua.LNumber)
		if !ok {
			raiseErr(L, "ERR First argument must be a number (log level).")
		}
		level := int(lv)
		if level < 0 || level > 3 {
			raiseErr(L, "ERR Invalid debug level.")
		}
		var b strings.Builder
		for i := 2; i <= n; i++ {
			if i > 2 {
				b.WriteByte(' ')
			}
			s, _ := appendArg(nil, L.Get(i))
			b.Write(s)
		}
		v.call.Host.Log(level, b.String())
		return 0
	})
	fn("setresp", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			raiseErr(L, "ERR redis.setresp() requires one argument.")
		}
		n := L.CheckInt(1)
		if n != 2 && n != 3 {
			raiseErr(L, "ERR RESP version must be 2 or 3.")
		}
		v.resp3 = n == 3
		return 0
	})
	// Effects replication is all there is since Redis 7: these remain
	// for old scripts and do nothing.
	fn("set_repl", func(L *lua.LState) int {
		if L.GetTop() != 1 {
			raiseErr(L, "ERR redis.set_repl() requires one argument.")
		}
		if n := L.CheckInt(1); n < 0 || n > 3 {
			raiseErr(L, "ERR Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.")
		}
		return 0
	})
	fn("replicate_commands", func(L *lua.LState) int { L.Push(lua.LTrue); return 1 })
	fn("breakpoint", func(L *lua.LState) int { L.Push(lua.LFalse); return 1 })
	fn("debug", func(L *lua.LState) int { return 0 })
	fn("acl_check_cmd", func(L *lua.LState) int {
		if L.GetTop() < 1 {
			raiseErr(L, "ERR Please specify at least one argument for this redis lib call")
		}
		L.Push(lua.LTrue)
		return 1
	})
	for name, n := range map[string]int{"LOG_DEBUG": 0, "LOG_VERBOSE": 1, "LOG_NOTICE": 2, "LOG_WARNING": 3,
		"REPL_NONE": 0, "REPL_AOF": 1, "REPL_SLAVE": 2, "REPL_REPLICA": 2, "REPL_ALL": 3} {
		t.RawSetString(name, lua.LNumber(n))
	}
	t.RawSetString("REDIS_VERSION", lua.LString(RedisVersion))
	t.RawSetString("REDIS_VERSION_NUM", lua.LNumber(versionNum(RedisVersion)))
	return t
}

// versionNum is 0x00MMmmpp, as redis.REDIS_VERSION_NUM.
func versionNum(v string) int {
	n := 0
	for _, part := range strings.SplitN(v, ".", 3) {
		p, _ := strconv.Atoi(part)
		n = n<<8 | p
	}
	return n
}

// redisErrorReply is redis.error_reply: a message without an error code
// gets ERR; "-CODE msg" and "CODE msg" keep theirs.
func redisErrorReply(L *lua.LState) int {
	if L.GetTop() != 1 || L.Get(1).Type() != lua.LTString {
		raiseErr(L, "ERR wrong number or type of arguments")
	}
	s := L.ToString(1)
	if !strings.HasPrefix(s, "-") {
		s = "-" + s
	}
	code, msg := "ERR", s[1:]
	if sp := strings.IndexByte(s, ' '); sp >= 0 {
		code, msg = s[1:sp], s[sp+1:]
	}
	msg = strings.Trim(msg, "\r\n")
	r := L.CreateTable(0, 1)
	r.RawSetString("err", lua.LString(code+" "+msg))
	L.Push(r)
	return 1
}

// redisCall is redis.call (raise true) and redis.pcall: the arguments
// become a command, the Host runs it, its reply becomes Lua values. An
// error reply is raised by call and returned by pcall.
func (v *vm) redisCall(L *lua.LState, raise bool) int {
	n := L.GetTop()
	fail := func(msg string) int {
		t := L.CreateTable(0, 1)
		t.RawSetString("err", lua.LString(msg))
		if raise {
			L.Error(t, 0)
		}
		L.Push(t)
		return 1
	}
	if n == 0 {
		return fail("ERR Please specify at least one argument for this redis lib call")
	}
	buf := v.argBuf[:0]
	offs := v.offs[:0]
	for i := 1; i <= n; i++ {
		var ok bool
		if buf, ok = appendArg(buf, L.Get(i)); !ok {
			v.argBuf, v.offs = buf, offs
			return fail("ERR Lua redis lib command arguments must be strings or integers")
		}
		offs = append(offs, len(buf))
	}
	args := v.args[:0]
	start := 0
	for _, end := range offs {
		args = append(args, buf[start:end:end])
		start = end
	}
	v.argBuf, v.offs, v.args = buf, offs, args
	reply := v.call.Host.Call(args, v.resp3)
	val, _, isErr := v.fromReply(reply)
	if isErr && raise {
		L.Error(val, 0)
	}
	L.Push(val)
	return 1
}
