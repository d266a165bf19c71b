// Package script runs Redis scripts: Lua 5.1 (gopher-lua) in the sandbox
// Redis gives EVAL scripts and functions, with Redis's conversions between
// Lua values and replies. It knows nothing of the store or the command
// table: the commands a script calls go through a Host, which the
// protocol package implements with its own dispatch.
package script

import (
	"container/list"
	"crypto/sha1"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// MaxEvalScripts bounds the scripts that EVAL adds to the cache, as Redis
// 7.4 does (500): an application that builds a new script body per call
// (with values inlined instead of passed in ARGV) must not grow the cache
// without end. Scripts loaded with SCRIPT LOAD are never evicted: clients
// count on EVALSHA finding them.
const MaxEvalScripts = 500

// Script is one compiled script, cached by the SHA1 of its body.
type Script struct {
	SHA   string // lower-case hex
	Body  string
	proto *lua.FunctionProto
	// eval: added by EVAL (evictable); elem is its place in the LRU list.
	eval bool
	elem *list.Element
	// Shebang: the script starts with Redis 7's "#!lua [flags=...]";
	// NoWrites: its flags include no-writes (it runs read-only, and
	// only such shebang scripts may run with EVAL_RO).
	Shebang, NoWrites bool
}

// Engine is the script cache and the pool of Lua VMs that run scripts.
type Engine struct {
	mu      sync.RWMutex
	scripts map[string]*Script
	evalLRU list.List // of *Script added by EVAL, least recently used first
	bodies  atomic.Int64
	evicted atomic.Int64

	// vms is a bounded free list rather than a sync.Pool: a VM costs
	// tens of microseconds to build, and a pool emptied at every GC
	// cycle would rebuild them under load.
	vms chan *vm
	// seq counts VMs built (tests and INFO).
	built atomic.Int64
	// libGen changes whenever the function libraries change or the
	// script cache is flushed, telling VMs to drop what they loaded.
	libGen atomic.Int64
}

// LibrariesChanged tells the VMs that function libraries were deleted or
// replaced.
func (e *Engine) LibrariesChanged() { e.libGen.Add(1) }

// NewEngine returns an empty engine that keeps up to maxIdle idle VMs.
func NewEngine(maxIdle int) *Engine {
	if maxIdle < 1 {
		maxIdle = 1
	}
	return &Engine{scripts: make(map[string]*Script), vms: make(chan *vm, maxIdle)}
}

// SHA1Hex returns the lower-case hex SHA1 of body, the name of a script.
func SHA1Hex(body []byte) string {
	sum := sha1.Sum(body)
	return hex.EncodeToString(sum[:])
}

// Lookup returns the cached script named sha (lower-case hex, as Redis
// compares it), or nil.
func (e *Engine) Lookup(sha []byte) *Script {
	var lower [40]byte
	if len(sha) == len(lower) {
		// Hex digits compared case-insensitively, without allocating.
		for i, ch := range sha {
			if 'A' <= ch && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			lower[i] = ch
		}
		sha = lower[:]
	}
	e.mu.RLock()
	s := e.scripts[string(sha)]
	evictable := s != nil && s.eval
	e.mu.RUnlock()
	if evictable {
		e.mu.Lock()
		if s.elem != nil {
			e.evalLRU.MoveToBack(s.elem)
		}
		e.mu.Unlock()
	}
	return s
}

// Load compiles body and caches it, or returns the cached script of the
// same body. fromEval marks a script EVAL added, which the cache may
// evict; SCRIPT LOAD of a cached EVAL script makes it permanent. A
// compile error comes back as Redis's error reply text.
func (e *Engine) Load(body []byte, fromEval bool) (*Script, string) {
	sha := SHA1Hex(body)
	e.mu.Lock()
	if s := e.scripts[sha]; s != nil {
		if s.elem != nil {
			if fromEval {
				e.evalLRU.MoveToBack(s.elem)
			} else {
				e.evalLRU.Remove(s.elem)
				s.elem, s.eval = nil, false
			}
		}
		e.mu.Unlock()
		return s, ""
	}
	e.mu.Unlock()
	code, shebang, noWrites, msg := parseShebang(body)
	if msg != "" {
		return nil, msg
	}
	proto, err := compile(code, "user_script")
	if err != "" {
		return nil, "ERR Error compiling script (new function): " + err
	}
	s := &Script{SHA: sha, Body: string(body), proto: proto, eval: fromEval, Shebang: shebang, NoWrites: noWrites}
	e.mu.Lock()
	defer e.mu.Unlock()
	if old := e.scripts[sha]; old != nil {
		return old, ""
	}
	e.scripts[sha] = s
	e.bodies.Add(int64(len(body)))
	if fromEval {
		s.elem = e.evalLRU.PushBack(s)
		for e.evalLRU.Len() > MaxEvalScripts {
			old := e.evalLRU.Remove(e.evalLRU.Front()).(*Script)
			old.elem = nil
			delete(e.scripts, old.SHA)
			e.bodies.Add(-int64(len(old.Body)))
			e.evicted.Add(1)
		}
	}
	return s, ""
}

// parseShebang reads Redis 7's optional first line of an EVAL script,
// "#!lua [flags=f1,f2]", and returns the code to compile (that line
// blanked, so line numbers stay the user's).
func parseShebang(body []byte) (code []byte, shebang, noWrites bool, errMsg string) {
	if len(body) < 2 || body[0] != '#' || body[1] != '!' {
		return body, false, false, ""
	}
	line, rest, _ := strings.Cut(string(body), "\n")
	parts := strings.Fields(line)
	if len(parts) == 0 || parts[0] != "#!lua" {
		first := line
		if len(parts) > 0 {
			first = parts[0]
		}
		return nil, false, false, "ERR Unexpected engine in script shebang: " + first
	}
	for _, opt := range parts[1:] {
		flags, ok := strings.CutPrefix(opt, "flags=")
		if !ok {
			return nil, false, false, "ERR Unknown lua shebang option: " + opt
		}
		for _, f := range strings.Split(flags, ",") {
			if f == "" {
				continue
			}
			if !functionFlags[f] {
				return nil, false, false, "ERR Unexpected flag in script shebang: " + f
			}
			noWrites = noWrites || f == "no-writes"
		}
	}
	return []byte("\n" + rest), true, noWrites, ""
}

// compile parses and compiles a chunk; the error text is what Lua's
// would say as far as gopher-lua's parser lets it ("name:line: ...").
func compile(body []byte, name string) (*lua.FunctionProto, string) {
	chunk, err := parse.Parse(strings.NewReader(string(body)), name)
	if err != nil {
		return nil, parseErrorText(err, name, body)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, err.Error()
	}
	// A chunk is a vararg function, and Lua 5.1's compatibility "arg"
	// table would be built at every call (2.5 KB of garbage per EVAL).
	// Redis runs the body as a plain function, which has no "arg".
	proto.IsVarArg &^= lua.VarArgNeedsArg
	clipProto(proto)
	return proto, ""
}

// clipProto trims the compiler's spare capacity from a function's
// slices (and its nested functions'): a cached script keeps its proto
// for as long as it is cached.
func clipProto(p *lua.FunctionProto) {
	p.Code = slices.Clone(p.Code)
	p.Constants = slices.Clone(p.Constants)
	p.DbgSourcePositions = slices.Clone(p.DbgSourcePositions)
	p.DbgLocals = slices.Clone(p.DbgLocals)
	p.DbgCalls = slices.Clone(p.DbgCalls)
	p.DbgUpvalues = slices.Clone(p.DbgUpvalues)
	p.FunctionPrototypes = slices.Clone(p.FunctionPrototypes)
	for _, child := range p.FunctionPrototypes {
		clipProto(child)
	}
}

// parseErrorText turns gopher-lua's "name line:1(column:8) near 'x':
// msg" into Lua's "name:1: msg near 'x'".
func parseErrorText(err error, name string, body []byte) string {
	if pe, ok := err.(*parse.Error); ok {
		tok, line := pe.Token, pe.Pos.Line
		if line <= 0 {
			// At the end of the chunk: Lua names the last line, and the
			// end itself as the token.
			line, tok = 1+strings.Count(string(body), "\n"), "<eof>"
		}
		if tok == "EOF" || tok == "" {
			tok = "<eof>"
		}
		msg := pe.Message
		if msg == "syntax error" || strings.HasPrefix(msg, "syntax error") {
			msg = "unexpected symbol"
		}
		return name + ":" + itoa(line) + ": " + msg + " near '" + tok + "'"
	}
	return err.Error()
}

// Exists reports whether a script named sha is cached.
func (e *Engine) Exists(sha []byte) bool {
	e.mu.Lock()
	_, ok := e.scripts[strings.ToLower(string(sha))]
	e.mu.Unlock()
	return ok
}

// Flush empties the cache (SCRIPT FLUSH). VMs hold no script state
// between calls, so they are kept.
func (e *Engine) Flush() {
	e.mu.Lock()
	e.scripts = make(map[string]*Script)
	e.evalLRU.Init()
	e.bodies.Store(0)
	e.mu.Unlock()
	e.libGen.Add(1)
}

// Stats returns the number of cached scripts, the bytes of their bodies
// and how many EVAL scripts the cache evicted.
func (e *Engine) Stats() (scripts int, bodyBytes, evicted int64) {
	e.mu.Lock()
	scripts = len(e.scripts)
	e.mu.Unlock()
	return scripts, e.bodies.Load(), e.evicted.Load()
}

// VMs returns how many VMs the engine has built and how many are idle.
func (e *Engine) VMs() (built int64, idle int) { return e.built.Load(), len(e.vms) }

// VMBytes is about what one VM holds on the heap: its Lua state, stacks,
// libraries and sandbox (TestVMMemory measures 253 KiB on amd64).
const VMBytes = 256 << 10

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
