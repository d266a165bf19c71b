package protocol

import (
	"encoding/binary"
	"hash/crc64"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cachesrv/cachesrv/protocol/glob"
	"github.com/cachesrv/cachesrv/protocol/script"
	"github.com/cachesrv/cachesrv/store"
)

// Redis 7 functions: libraries loaded with FUNCTION LOAD, whose functions
// FCALL runs like EVALSHA runs a script (same locking: the shards of the
// declared keys), read-only when the function has the no-writes flag.

func init() {
	sc := []string{"slow", "scripting"}
	wr := []string{"write", "slow", "scripting"}
	fcall := func(name string, flags cmdFlags, ro bool) *command {
		return &command{name: name, arity: -3, flags: flags | flagNoScript | flagStale | flagSkipMonitor | flagNoMandatoryKeys | flagMovableKeys,
			keys: scriptKeys, acl: sc, run: func(c *client, args [][]byte, tx store.Tx) { c.fcallCommand(args, tx, ro) }}
	}
	register(
		fcall("fcall", 0, false),
		fcall("fcall_ro", flagReadonly, true),
		&command{name: "function", arity: -2, acl: []string{"slow"}, subs: subcommands(
			&command{name: "load", arity: -3, flags: flagWrite | flagDenyOOM | flagNoScript, acl: wr, run: cmdFunctionLoad},
			&command{name: "delete", arity: 3, flags: flagWrite | flagNoScript, acl: wr, run: cmdFunctionDelete},
			&command{name: "flush", arity: -2, flags: flagWrite | flagNoScript, acl: wr, run: cmdFunctionFlush},
			&command{name: "list", arity: -2, flags: flagNoScript, acl: sc, run: cmdFunctionList},
			&command{name: "dump", arity: 2, flags: flagNoScript, acl: sc, run: cmdFunctionDump},
			&command{name: "restore", arity: -3, flags: flagWrite | flagDenyOOM | flagNoScript, acl: wr, run: cmdFunctionRestore},
			&command{name: "stats", arity: 2, flags: flagNoScript | flagAllowBusy, acl: sc, run: cmdFunctionStats},
			&command{name: "kill", arity: 2, flags: flagNoScript | flagAllowBusy, acl: sc, run: cmdFunctionKill},
			&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: sc, run: cmdFunctionHelp},
		)},
	)
}

// functionRegistry is the server's libraries and their functions by name.
type functionRegistry struct {
	mu    sync.RWMutex
	libs  map[string]*script.Library
	funcs map[string]*script.Function
}

func (s *scripting) functions() *functionRegistry {
	s.get()
	s.fnOnce.Do(func() {
		s.fns = &functionRegistry{libs: make(map[string]*script.Library), funcs: make(map[string]*script.Function)}
	})
	return s.fns
}

func (r *functionRegistry) lookup(name string) *script.Function {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.funcs[name]
}

// add registers libs, replacing same-named ones when replace is set; it
// checks every clash first, so that on error nothing changed.
func (r *functionRegistry) add(libs []*script.Library, replace bool) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, lib := range libs {
		old := r.libs[lib.Name]
		if old != nil && !replace {
			return "ERR Library '" + lib.Name + "' already exists"
		}
		for _, f := range lib.Functions {
			if have := r.funcs[f.Name]; have != nil && have.Lib.Name != lib.Name {
				return "ERR Function " + f.Name + " already exists"
			}
		}
	}
	for _, lib := range libs {
		if old := r.libs[lib.Name]; old != nil {
			r.removeLocked(old)
		}
		r.libs[lib.Name] = lib
		for _, f := range lib.Functions {
			r.funcs[f.Name] = f
		}
	}
	return ""
}

func (r *functionRegistry) removeLocked(lib *script.Library) {
	delete(r.libs, lib.Name)
	for _, f := range lib.Functions {
		delete(r.funcs, f.Name)
	}
}

// sorted returns the libraries in name order.
func (r *functionRegistry) sorted() []*script.Library {
	r.mu.RLock()
	defer r.mu.RUnlock()
	libs := make([]*script.Library, 0, len(r.libs))
	for _, l := range r.libs {
		libs = append(libs, l)
	}
	slices.SortFunc(libs, func(a, b *script.Library) int { return strings.Compare(a.Name, b.Name) })
	return libs
}

func (c *client) fcallCommand(args [][]byte, tx store.Tx, ro bool) {
	eng := c.srv.scripting.get()
	n, ok := c.numKeysArg(args)
	if !ok {
		return
	}
	f := c.srv.scripting.functions().lookup(string(args[1]))
	if f == nil {
		c.errorReply("ERR Function not found")
		return
	}
	if ro && !f.NoWrites {
		c.errorReply("ERR Can not execute a script with write flag using *_ro command.")
		return
	}
	h := c.scriptState()
	keys := args[3 : 3+n]
	h.call = script.Call{Host: h, Keys: keys, Argv: args[3+n:], Name: f.Name, Source: "user_function"}
	defer func() { h.call = script.Call{} }()
	c.runLocked(h, args, keys, tx, ro || f.NoWrites, true, func() bool { return eng.RunFunction(f, &h.call, c.Writer) })
}

func cmdFunctionLoad(c *client, args [][]byte, _ store.Tx) {
	replace := false
	if len(args) == 4 {
		if !strings.EqualFold(string(args[2]), "replace") {
			c.errorReply("ERR Unknown option given: " + string(args[2]))
			return
		}
		replace = true
	} else if len(args) > 4 {
		c.errorReply(errSyntax)
		return
	}
	sc := &c.srv.scripting
	lib, msg := sc.get().LoadLibrary(args[len(args)-1])
	if lib == nil {
		c.errorReply(msg)
		return
	}
	if msg := sc.functions().add([]*script.Library{lib}, replace); msg != "" {
		c.errorReply(msg)
		return
	}
	sc.engine.LibrariesChanged()
	c.broadcastScriptCommand(args)
	c.WriteBulkString(lib.Name)
}

func cmdFunctionDelete(c *client, args [][]byte, _ store.Tx) {
	r := c.srv.scripting.functions()
	r.mu.Lock()
	lib := r.libs[string(args[2])]
	if lib != nil {
		r.removeLocked(lib)
	}
	r.mu.Unlock()
	if lib == nil {
		c.errorReply("ERR Library not found")
		return
	}
	c.srv.scripting.engine.LibrariesChanged()
	c.broadcastScriptCommand(args)
	c.WriteString("OK")
}

func cmdFunctionFlush(c *client, args [][]byte, _ store.Tx) {
	if len(args) > 3 || (len(args) == 3 && !strings.EqualFold(string(args[2]), "sync") && !strings.EqualFold(string(args[2]), "async")) {
		c.errorReply("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	c.srv.scripting.functions().flush()
	c.srv.scripting.engine.LibrariesChanged()
	c.broadcastScriptCommand(args)
	c.WriteString("OK")
}

func (r *functionRegistry) flush() {
	r.mu.Lock()
	r.libs = make(map[string]*script.Library)
	r.funcs = make(map[string]*script.Function)
	r.mu.Unlock()
}

func cmdFunctionList(c *client, args [][]byte, _ store.Tx) {
	withCode := false
	var pattern []byte
	for i := 2; i < len(args); i++ {
		switch {
		case strings.EqualFold(string(args[i]), "withcode") && !withCode:
			withCode = true
		case strings.EqualFold(string(args[i]), "libraryname") && pattern == nil:
			if i+1 >= len(args) {
				c.errorReply("ERR library name argument was not given")
				return
			}
			pattern = args[i+1]
			i++
		default:
			c.errorReply("ERR Unknown argument " + string(args[i]))
			return
		}
	}
	var libs []*script.Library
	for _, l := range c.srv.scripting.functions().sorted() {
		if pattern == nil || glob.Match(pattern, []byte(l.Name)) {
			libs = append(libs, l)
		}
	}
	c.WriteArray(len(libs))
	for _, l := range libs {
		fields := 3
		if withCode {
			fields = 4
		}
		c.WriteMap(fields)
		c.WriteBulkString("library_name")
		c.WriteBulkString(l.Name)
		c.WriteBulkString("engine")
		c.WriteBulkString("LUA")
		c.WriteBulkString("functions")
		c.WriteArray(len(l.Functions))
		for _, f := range l.Functions {
			c.WriteMap(3)
			c.WriteBulkString("name")
			c.WriteBulkString(f.Name)
			c.WriteBulkString("description")
			if f.Description == nil {
				c.WriteNull()
			} else {
				c.WriteBulkString(*f.Description)
			}
			c.WriteBulkString("flags")
			c.WriteSet(len(f.Flags))
			for _, fl := range f.Flags {
				c.WriteString(fl)
			}
		}
		if withCode {
			c.WriteBulkString("library_code")
			c.WriteBulkString(l.Code)
		}
	}
}

func cmdFunctionStats(c *client, _ [][]byte, _ store.Tx) {
	sc := &c.srv.scripting
	r := sc.functions()
	r.mu.RLock()
	libs, funcs := len(r.libs), len(r.funcs)
	r.mu.RUnlock()
	c.WriteMap(2)
	c.WriteBulkString("running_script")
	if run, name := sc.runningFunction(); run != nil {
		c.WriteMap(3)
		c.WriteBulkString("name")
		c.WriteBulkString(name)
		c.WriteBulkString("command")
		c.WriteArray(len(run.argv))
		for _, a := range run.argv {
			c.WriteBulkString(a)
		}
		c.WriteBulkString("duration_ms")
		c.WriteInt64(time.Since(run.start).Milliseconds())
	} else {
		c.WriteNull()
	}
	c.WriteBulkString("engines")
	c.WriteMap(1)
	c.WriteBulkString("LUA")
	c.WriteMap(2)
	c.WriteBulkString("libraries_count")
	c.WriteInt(libs)
	c.WriteBulkString("functions_count")
	c.WriteInt(funcs)
}

// runningFunction returns a copy of a function running past
// busy-reply-threshold, if any (FUNCTION STATS shows only those: the
// others finish before a client could see them).
func (s *scripting) runningFunction() (*runningCopy, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for r := range s.long {
		if r.function && len(r.args) > 1 {
			cp := &runningCopy{start: r.start}
			for _, a := range r.args {
				cp.argv = append(cp.argv, string(a))
			}
			return cp, cp.argv[1]
		}
	}
	return nil, ""
}

type runningCopy struct {
	start time.Time
	argv  []string
}

func cmdFunctionKill(c *client, _ [][]byte, _ store.Tx) {
	c.srv.scripting.get()
	writeStatusOrError(c, c.srv.scripting.kill(true))
}

func cmdFunctionHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "FUNCTION",
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
		"KILL",
		"    Kill the current running function.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
	)
}

// FUNCTION DUMP's payload is Redis's: for each library the RDB function
// opcode (245) and its code as an RDB string, then the RDB version (10,
// Redis 7.0's) and a CRC64 (Jones) of all before it, both little-endian.
// A dump made here restores on Redis 7, and one made by Redis restores
// here (its LZF-compressed strings included).
const (
	rdbOpcodeFunction2 = 245
	rdbVersion         = 10
)

var crc64Jones = crc64.MakeTable(0x95ac9329ac4bc9b5)

// redisCRC64 is Redis's crc64: Jones polynomial, reflected, no inversion
// (hash/crc64 inverts before and after, so invert around it).
func redisCRC64(b []byte) uint64 { return ^crc64.Update(^uint64(0), crc64Jones, b) }

func cmdFunctionDump(c *client, _ [][]byte, _ store.Tx) {
	var b []byte
	for _, l := range c.srv.scripting.functions().sorted() {
		b = append(b, rdbOpcodeFunction2)
		b = appendRDBString(b, l.Code)
	}
	b = binary.LittleEndian.AppendUint16(b, rdbVersion)
	b = binary.LittleEndian.AppendUint64(b, redisCRC64(b))
	c.WriteBulk(b)
}

func appendRDBString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 1<<6:
		b = append(b, byte(n))
	case n < 1<<14:
		b = append(b, byte(n>>8)|0x40, byte(n))
	case n <= 0xffffffff:
		b = binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 0x81), uint64(n))
	}
	return append(b, s...)
}

func cmdFunctionRestore(c *client, args [][]byte, _ store.Tx) {
	policy := "append"
	if len(args) == 4 {
		policy = strings.ToLower(string(args[3]))
		if policy != "append" && policy != "replace" && policy != "flush" {
			c.errorReply("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	} else if len(args) > 4 {
		c.errorReply(errSyntax)
		return
	}
	codes, msg := parseFunctionDump(args[2])
	if msg != "" {
		c.errorReply(msg)
		return
	}
	sc := &c.srv.scripting
	libs := make([]*script.Library, 0, len(codes))
	for _, code := range codes {
		lib, msg := sc.get().LoadLibrary(code)
		if lib == nil {
			c.errorReply(msg)
			return
		}
		libs = append(libs, lib)
	}
	r := sc.functions()
	if policy == "flush" {
		r.flush()
	}
	if msg := r.add(libs, policy == "replace"); msg != "" {
		c.errorReply(msg)
		return
	}
	sc.engine.LibrariesChanged()
	c.broadcastScriptCommand(args)
	c.WriteString("OK")
}

// parseFunctionDump checks a FUNCTION DUMP payload's footer and returns
// the libraries' code.
func parseFunctionDump(p []byte) ([][]byte, string) {
	const bad = "ERR DUMP payload version or checksum are wrong"
	if len(p) < 10 {
		return nil, bad
	}
	body, footer := p[:len(p)-8], p[len(p)-8:]
	if ver := binary.LittleEndian.Uint16(body[len(body)-2:]); ver > rdbVersion {
		return nil, bad
	}
	if crc := binary.LittleEndian.Uint64(footer); crc != 0 && crc != redisCRC64(body) {
		return nil, bad
	}
	body = body[:len(body)-2]
	var codes [][]byte
	for len(body) > 0 {
		if body[0] != rdbOpcodeFunction2 {
			return nil, "ERR given type is not a function"
		}
		code, rest, ok := readRDBString(body[1:])
		if !ok {
			return nil, "ERR Failed loading library"
		}
		codes = append(codes, code)
		body = rest
	}
	return codes, ""
}

// readRDBString reads an RDB string: length-prefixed, or LZF-compressed
// (what Redis writes for code longer than 20 bytes).
func readRDBString(b []byte) ([]byte, []byte, bool) {
	if len(b) == 0 {
		return nil, nil, false
	}
	readLen := func(b []byte) (int, []byte, bool, bool) {
		if len(b) == 0 {
			return 0, nil, false, false
		}
		switch b[0] >> 6 {
		case 0:
			return int(b[0] & 0x3f), b[1:], false, true
		case 1:
			if len(b) < 2 {
				return 0, nil, false, false
			}
			return int(b[0]&0x3f)<<8 | int(b[1]), b[2:], false, true
		case 2:
			if b[0] == 0x80 && len(b) >= 5 {
				return int(binary.BigEndian.Uint32(b[1:5])), b[5:], false, true
			}
			if b[0] == 0x81 && len(b) >= 9 {
				return int(binary.BigEndian.Uint64(b[1:9])), b[9:], false, true
			}
			return 0, nil, false, false
		}
		return int(b[0] & 0x3f), b[1:], true, true // encoded: 3 = LZF
	}
	n, rest, encoded, ok := readLen(b)
	if !ok {
		return nil, nil, false
	}
	if !encoded {
		if n > len(rest) {
			return nil, nil, false
		}
		return rest[:n], rest[n:], true
	}
	if n != 3 { // only LZF strings hold code
		return nil, nil, false
	}
	clen, rest, _, ok := readLen(rest)
	if !ok {
		return nil, nil, false
	}
	ulen, rest, _, ok := readLen(rest)
	if !ok || clen > len(rest) {
		return nil, nil, false
	}
	out, ok := lzfDecompress(rest[:clen], ulen)
	return out, rest[clen:], ok
}

// lzfDecompress is liblzf's decompressor, which Redis uses for RDB
// strings.
func lzfDecompress(in []byte, outLen int) ([]byte, bool) {
	out := make([]byte, 0, outLen)
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 32 {
			n := ctrl + 1
			if i+n > len(in) || len(out)+n > outLen {
				return nil, false
			}
			out = append(out, in[i:i+n]...)
			i += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if i >= len(in) {
				return nil, false
			}
			n += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, false
		}
		ref := len(out) - ((ctrl & 0x1f) << 8) - 1 - int(in[i])
		i++
		n += 2
		if ref < 0 || len(out)+n > outLen {
			return nil, false
		}
		for k := 0; k < n; k++ {
			out = append(out, out[ref+k])
		}
	}
	return out, len(out) == outLen
}
