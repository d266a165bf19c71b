package script

import (
	"context"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/cachesrv/cachesrv/protocol/resp"
)

// Host runs what a script asks of the server. Its methods are called on
// the goroutine that runs the script.
type Host interface {
	// Call runs one command on the script's behalf (checks included:
	// unknown command, arity, noscript, writes in a read-only script,
	// undeclared keys) and returns its reply in RESP3 or RESP2 as asked.
	// The bytes need stay valid only until the next Call.
	Call(args [][]byte, resp3 bool) []byte
	// Log writes a redis.log line at a Redis log level (LOG_DEBUG=0 ...
	// LOG_WARNING=3).
	Log(level int, msg string)
	// Check is called every few thousand Lua instructions: a non-empty
	// result stops the script with that error (SCRIPT KILL, a memory
	// bound). It is also where the host notices a script running long.
	Check() string
}

// Call is one run of a script.
type Call struct {
	Host Host
	Keys [][]byte
	Argv [][]byte
	// Name is what error replies name the script by: its SHA1 for EVAL,
	// the function's name for FCALL.
	Name string
	// Source is the chunk name in error replies' "on @<source>:<line>".
	Source string

	// stop, once set (Stop), ends the script at its next instruction.
	stop atomic.Pointer[string]
}

// Stop ends the script at its next instruction with the error msg. Any
// goroutine may call it: a watchdog stops a script whose few
// instructions allocate fast (s = s .. s doubles a string each time,
// faster than checks every checkEvery instructions would notice).
func (c *Call) Stop(msg string) { c.stop.Store(&msg) }

// checkEvery is how many Lua instructions run between Host.Check calls:
// often enough that a killed script stops within microseconds, rarely
// enough that the check costs nothing measurable.
const checkEvery = 1 << 8

// firstCheck is the instruction of the first check, early: a loop that
// doubles a string reaches any size in a few dozen instructions, and the
// first check is what starts the host's memory watchdog.
const firstCheck = 16

// vm is one Lua state with Redis's script environment. A vm runs one
// script at a time; Engine keeps idle ones.
type vm struct {
	L      *lua.LState
	global *lua.LTable // the real globals, behind the read-only proxy scripts see
	call   *Call
	resp3  bool // redis.setresp(3)
	rand   rand48
	tick   tickCtx
	errfn  *lua.LFunction
	// errLine is the script line the last error was raised at, found by
	// errfn while the stack is still there.
	errLine int
	// fns caches the closures of scripts run on this vm: a closure per
	// call would be garbage per call.
	fns map[*lua.FunctionProto]*lua.LFunction
	// readonly holds the proxies rawset and setmetatable must refuse.
	readonly map[*lua.LTable]bool
	args     [][]byte // scratch for redis.call's arguments
	offs     []int
	argBuf   []byte
	// killedWith is set when Check stopped the script.
	killedWith string
	// redisRaw is the redis table behind its read-only proxy;
	// nonexistent raises the error for reading a missing global.
	redisRaw    *lua.LTable
	nonexistent *lua.LFunction
	// libs are the function libraries loaded in this VM, valid while
	// libGen is the engine's.
	libs   map[*Library]*libInstance
	libGen int64
}

func (e *Engine) getVM() *vm {
	var v *vm
	select {
	case v = <-e.vms:
	default:
		e.built.Add(1)
		v = newVM()
	}
	if gen := e.libGen.Load(); v.libGen != gen {
		// Scripts were flushed or libraries changed: closures of
		// scripts and instances of libraries that are gone go too.
		clear(v.libs)
		clear(v.fns)
		v.libGen = gen
	}
	return v
}

func (e *Engine) putVM(v *vm) {
	if len(v.fns) > 4*MaxEvalScripts {
		// A vm that ran many distinct scripts drops their closures
		// rather than keep every script of the past alive.
		clear(v.fns)
	}
	select {
	case e.vms <- v:
	default:
		v.L.Close()
	}
}

// Run runs s and writes its reply (or error) to out, converted as Redis
// converts a script's return value for the caller's protocol. It reports
// whether the reply is an error.
func (e *Engine) Run(s *Script, c *Call, out *resp.Writer) bool {
	return e.runProto(s.proto, c, out, func(v *vm, fn *lua.LFunction) {
		v.L.Push(fn)
	}, 0)
}

// runProto runs a compiled chunk (or, through push, whatever function
// push puts on the stack with nargs arguments).
func (e *Engine) runProto(proto *lua.FunctionProto, c *Call, out *resp.Writer, push func(*vm, *lua.LFunction), nargs int) bool {
	v := e.getVM()
	v.start(c)
	fn := v.fns[proto]
	if fn == nil && proto != nil {
		fn = v.L.NewFunctionFromProto(proto)
		v.fns[proto] = fn
	}
	push(v, fn)
	err := v.L.PCall(nargs, 1, v.errfn)
	failed := false
	if err != nil {
		failed = true
		v.writeError(err, out)
	} else {
		failed = v.writeReply(out, v.L.Get(-1), 0)
		v.L.Pop(1)
	}
	v.finish()
	e.putVM(v)
	return failed
}

// start prepares the vm for one call: the KEYS and ARGV globals, the
// protocol (RESP2 until redis.setresp), the random generator (reset per
// call: the same script gives the same numbers every time, what Redis's
// math.random gives the first script after a restart).
func (v *vm) start(c *Call) {
	v.call = c
	v.resp3 = false
	v.rand.seed(defaultSeed)
	v.errLine = 0
	v.killedWith = ""
	v.tick.n = 0
	v.global.RawSetString("KEYS", v.stringTable(c.Keys))
	v.global.RawSetString("ARGV", v.stringTable(c.Argv))
	v.L.SetTop(0)
}

// startFunction prepares the vm for an FCALL: as start, but functions
// see no KEYS and ARGV globals (they get keys and args as arguments).
func (v *vm) startFunction(c *Call) {
	v.call = c
	v.resp3 = false
	v.rand.seed(defaultSeed)
	v.errLine = 0
	v.killedWith = ""
	v.tick.n = 0
	v.L.SetTop(0)
}

func (v *vm) finish() {
	v.call = nil
	v.L.SetTop(0)
	v.global.RawSetString("KEYS", lua.LNil)
	v.global.RawSetString("ARGV", lua.LNil)
}

func (v *vm) stringTable(items [][]byte) *lua.LTable {
	t := v.L.CreateTable(len(items), 0)
	for _, it := range items {
		t.Append(lua.LString(it))
	}
	return t
}

// tickCtx is the context the vm runs under. gopher-lua asks a context's
// Done at every instruction, which makes Done an instruction counter:
// every checkEvery instructions it asks the host whether to stop.
type tickCtx struct {
	v *vm
	n uint32
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (t *tickCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (t *tickCtx) Value(any) any               { return nil }
func (t *tickCtx) Err() error                  { return context.Canceled }

func (t *tickCtx) Done() <-chan struct{} {
	v := t.v
	if v.killedWith != "" {
		return closedChan
	}
	if v.call != nil {
		if msg := v.call.stop.Load(); msg != nil {
			v.killedWith = *msg
			return closedChan
		}
	}
	t.n++
	if (t.n%checkEvery == 0 || t.n == firstCheck) && v.call != nil {
		if msg := v.call.Host.Check(); msg != "" {
			v.killedWith = msg
			return closedChan
		}
	}
	return nil
}

// errorHandler runs where an error was raised, before the stack unwinds:
// it notes the script line (the "on @user_script:N." of the reply).
func (v *vm) errorHandler(L *lua.LState) int {
	for level := 0; ; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if _, err := L.GetInfo("l", dbg, lua.LNil); err == nil && dbg.CurrentLine > 0 {
			v.errLine = dbg.CurrentLine
			break
		}
	}
	L.Push(L.Get(1))
	return 1
}
