package script

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/cachesrv/cachesrv/protocol/resp"
)

// maxReplyDepth is how deep a returned table may nest before the reply
// says so, as Redis does when Lua's C stack runs out (a table that
// contains itself would otherwise recurse forever).
const maxReplyDepth = 7995

// writeReply converts a script's return value into a reply, as Redis's
// luaReplyToRedisReply does, and reports whether it is an error reply.
func (v *vm) writeReply(out *resp.Writer, lv lua.LValue, depth int) bool {
	if depth >= maxReplyDepth {
		out.WriteError("ERR reached lua stack limit")
		return true
	}
	switch x := lv.(type) {
	case lua.LString:
		out.WriteBulkString(string(x))
	case lua.LBool:
		if v.resp3 {
			out.WriteBool(bool(x))
		} else if x {
			out.WriteInt(1)
		} else {
			out.WriteNull()
		}
	case lua.LNumber:
		out.WriteInt64(toInt64(float64(x)))
	case *lua.LTable:
		return v.writeTable(out, x, depth)
	default:
		out.WriteNull()
	}
	return false
}

func (v *vm) writeTable(out *resp.Writer, t *lua.LTable, depth int) bool {
	if s, ok := t.RawGetString("err").(lua.LString); ok {
		out.WriteError(oneLine(string(s)))
		return true
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		out.WriteString(oneLine(string(s)))
		return false
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		out.WriteDouble(float64(d))
		return false
	}
	if s, ok := t.RawGetString("big_number").(lua.LString); ok {
		if out.RESP3() {
			out.WriteRaw([]byte("(" + oneLine(string(s)) + "\r\n"))
		} else {
			out.WriteBulkString(string(s))
		}
		return false
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		n := 0
		m.ForEach(func(lua.LValue, lua.LValue) { n++ })
		out.WriteMap(n)
		m.ForEach(func(k, val lua.LValue) {
			v.writeReply(out, k, depth+1)
			v.writeReply(out, val, depth+1)
		})
		return false
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		n := 0
		s.ForEach(func(lua.LValue, lua.LValue) { n++ })
		out.WriteSet(n)
		s.ForEach(func(k, _ lua.LValue) { v.writeReply(out, k, depth+1) })
		return false
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	out.WriteArray(n)
	for i := 1; i <= n; i++ {
		v.writeReply(out, t.RawGetInt(i), depth+1)
	}
	return false
}

// toInt64 is C's (long long) cast of a Lua number as Redis's x86-64
// build does it: truncation toward zero, and the minimum integer for
// what does not fit (NaN, infinities, |x| >= 2^63).
func toInt64(f float64) int64 {
	if math.IsNaN(f) || f >= 9.223372036854775807e18 || f < -9.223372036854775808e18 {
		return math.MinInt64
	}
	return int64(f)
}

// oneLine makes a status or error text a single line, as Redis does
// (CR and LF become spaces).
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// fromReply converts one RESP reply into the Lua value redis.call returns,
// by Redis's table: integer -> number, bulk -> string, nil bulk or array
// -> false, array -> table, status -> {ok=...}, error -> {err=...}; in
// RESP3 also null -> nil, boolean -> boolean, double -> {double=...},
// map -> {map={...}}, set -> {set={k=true}}, big number ->
// {big_number=...}, verbatim -> {verbatim_string={format=, string=}}.
// It returns the rest of b and whether the reply is an error.
func (v *vm) fromReply(b []byte) (lua.LValue, []byte, bool) {
	if len(b) < 3 {
		return lua.LFalse, nil, false
	}
	kind := b[0]
	end := indexCRLF(b)
	line := string(b[1:end])
	rest := b[end+2:]
	L := v.L
	switch kind {
	case '+':
		t := L.CreateTable(0, 1)
		t.RawSetString("ok", lua.LString(line))
		return t, rest, false
	case '-':
		t := L.CreateTable(0, 1)
		t.RawSetString("err", lua.LString(line))
		return t, rest, true
	case ':':
		n, _ := strconv.ParseInt(line, 10, 64)
		return lua.LNumber(n), rest, false
	case '$', '=':
		n, _ := strconv.Atoi(line)
		if n < 0 {
			return lua.LFalse, rest, false
		}
		body := string(rest[:n])
		rest = rest[n+2:]
		if kind == '=' {
			t, inner := L.CreateTable(0, 1), L.CreateTable(0, 2)
			if len(body) >= 4 {
				inner.RawSetString("format", lua.LString(body[:3]))
				body = body[4:]
			}
			inner.RawSetString("string", lua.LString(body))
			t.RawSetString("verbatim_string", inner)
			return t, rest, false
		}
		return lua.LString(body), rest, false
	case '_':
		return lua.LNil, rest, false
	case '#':
		return lua.LBool(line == "t"), rest, false
	case ',':
		t := L.CreateTable(0, 1)
		t.RawSetString("double", lua.LNumber(parseDouble(line)))
		return t, rest, false
	case '(':
		t := L.CreateTable(0, 1)
		t.RawSetString("big_number", lua.LString(line))
		return t, rest, false
	case '*', '~', '%', '>':
		n, _ := strconv.Atoi(line)
		if n < 0 {
			return lua.LFalse, rest, false
		}
		switch kind {
		case '%':
			m := L.CreateTable(0, n)
			for i := 0; i < n; i++ {
				var k, val lua.LValue
				k, rest, _ = v.fromReply(rest)
				val, rest, _ = v.fromReply(rest)
				m.RawSet(k, val)
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("map", m)
			return t, rest, false
		case '~':
			s := L.CreateTable(0, n)
			for i := 0; i < n; i++ {
				var k lua.LValue
				k, rest, _ = v.fromReply(rest)
				s.RawSet(k, lua.LTrue)
			}
			t := L.CreateTable(0, 1)
			t.RawSetString("set", s)
			return t, rest, false
		}
		t := L.CreateTable(n, 0)
		for i := 1; i <= n; i++ {
			var e lua.LValue
			e, rest, _ = v.fromReply(rest)
			t.RawSetInt(i, e)
		}
		return t, rest, false
	}
	return lua.LFalse, rest, false
}

func parseDouble(s string) float64 {
	switch s {
	case "inf":
		return math.Inf(1)
	case "-inf":
		return math.Inf(-1)
	case "nan":
		return math.NaN()
	}
	f, _ := strconv.ParseFloat(s, 64)
	return f
}

func indexCRLF(b []byte) int {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' {
			return i
		}
	}
	return len(b) - 2
}

// appendArg appends a redis.call argument as Redis 7 converts it: a
// string as it is, a number as "%.17g" (so 0.1 is sent as
// 0.10000000000000001, and 3 as 3).
func appendArg(dst []byte, lv lua.LValue) ([]byte, bool) {
	switch x := lv.(type) {
	case lua.LString:
		return append(dst, x...), true
	case lua.LNumber:
		f := float64(x)
		if f == math.Trunc(f) && math.Abs(f) < 1e15 && !(f == 0 && math.Signbit(f)) {
			return strconv.AppendInt(dst, int64(f), 10), true
		}
		return resp.AppendDouble(dst, f), true
	}
	return dst, false
}

// writeError writes the reply of a script that raised an error, in
// Redis 7's form: "<error> script: <name>, on @<source>:<line>.", where
// a Lua error string gets the ERR code and an error table ({err=...},
// what redis.call raises) keeps its own.
func (v *vm) writeError(err error, out *resp.Writer) {
	msg := v.errorText(err)
	line := v.errLine
	if line <= 0 {
		line = 1
	}
	out.WriteError(oneLine(msg) + " script: " + v.call.Name + ", on @" + v.call.Source + ":" + strconv.Itoa(line) + ".")
}

// errorText is the message of a script's error: a Lua error string gets
// the ERR code, an error table ({err=...}) keeps its own.
func (v *vm) errorText(err error) string {
	var msg string
	if v.killedWith != "" {
		msg = v.killedWith
	} else {
		var obj lua.LValue = lua.LString(err.Error())
		if ae, ok := err.(*lua.ApiError); ok {
			obj = ae.Object
		}
		switch x := obj.(type) {
		case *lua.LTable:
			if s, ok := x.RawGetString("err").(lua.LString); ok {
				msg = string(s)
			} else {
				msg = "ERR " + x.String()
			}
		case *lua.LNilType:
			msg = "ERR nil"
		default:
			msg = "ERR " + obj.String()
		}
	}
	return msg
}
