package protocol

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/script"
	"github.com/cachesrv/cachesrv/store"
)

// Scripts run with the locks of the shards of the keys they declare
// (KEYS, numkeys), write locks unless the script is read-only, taken in
// the store's order before the first instruction and held to the last:
// the script is atomic with respect to every command on those keys,
// while commands on other shards go on. A command the script calls on a
// key it did not declare is refused (its shard is not locked, so it could
// not be atomic), unless lua-undeclared-keys is all-shards-lock, which
// runs every script under every shard's lock.

func init() {
	script.RedisVersion = redisVersion
	sc := []string{"slow", "scripting"}
	eval := func(name string, flags cmdFlags, run handler) *command {
		return &command{name: name, arity: -3, flags: flags | flagNoScript | flagStale | flagSkipMonitor | flagNoMandatoryKeys | flagMovableKeys,
			keys: scriptKeys, acl: sc, run: run}
	}
	register(
		eval("eval", 0, func(c *client, args [][]byte, tx store.Tx) { c.evalCommand(args, tx, false, false) }),
		eval("evalsha", 0, func(c *client, args [][]byte, tx store.Tx) { c.evalCommand(args, tx, true, false) }),
		eval("eval_ro", flagReadonly, func(c *client, args [][]byte, tx store.Tx) { c.evalCommand(args, tx, false, true) }),
		eval("evalsha_ro", flagReadonly, func(c *client, args [][]byte, tx store.Tx) { c.evalCommand(args, tx, true, true) }),
		&command{name: "script", arity: -2, acl: []string{"slow"}, subs: subcommands(
			&command{name: "load", arity: 3, flags: flagNoScript | flagStale, acl: sc, run: cmdScriptLoad},
			&command{name: "exists", arity: -3, flags: flagNoScript, acl: sc, run: cmdScriptExists},
			&command{name: "flush", arity: -2, flags: flagNoScript, acl: sc, run: cmdScriptFlush},
			&command{name: "kill", arity: 2, flags: flagNoScript | flagAllowBusy, acl: sc, run: cmdScriptKill},
			&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: sc, run: cmdScriptHelp},
		)},
	)
}

// scriptKeys is the keys function of EVAL-like commands: numkeys keys
// after the script (or function name) and numkeys. A bad numkeys has no
// keys; the handler then replies with the error.
func scriptKeys(args [][]byte, fn func(key []byte)) {
	n, ok := scriptNumKeys(args)
	if !ok {
		return
	}
	for _, k := range args[3 : 3+n] {
		fn(k)
	}
}

func scriptNumKeys(args [][]byte) (int, bool) {
	if len(args) < 3 {
		return 0, false
	}
	n, err := strconv.ParseInt(string(args[2]), 10, 64)
	if err != nil || n < 0 || n > int64(len(args)-3) {
		return 0, false
	}
	return int(n), true
}

// numKeysArg checks numkeys with Redis's errors.
func (c *client) numKeysArg(args [][]byte) (int, bool) {
	n, err := strconv.ParseInt(string(args[2]), 10, 64)
	switch {
	case err != nil:
		c.errorReply("ERR value is not an integer or out of range")
	case n < 0:
		c.errorReply("ERR Number of keys can't be negative")
	case n > int64(len(args)-3):
		c.errorReply("ERR Number of keys can't be greater than number of args")
	default:
		return int(n), true
	}
	return 0, false
}

// scripting is the server's script state: the engine (script cache and
// VM pool) and the scripts running past busy-reply-threshold.
type scripting struct {
	once   sync.Once
	engine *script.Engine
	// busy counts runs past busy-reply-threshold: dispatch reads it on
	// every command (one atomic load) and looks further only when set.
	busy atomic.Int32
	mem  memWatch // lua-memory-limit for scripts past their first check
	mu   sync.Mutex
	long map[*scriptRun]struct{} // the busy runs

	fnOnce sync.Once
	fns    *functionRegistry // cmd_function.go
}

func (s *scripting) get() *script.Engine {
	s.once.Do(func() {
		s.engine = script.NewEngine(4 * runtime.GOMAXPROCS(0))
		s.long = make(map[*scriptRun]struct{})
	})
	return s.engine
}

// scriptRun is one script (or function) running: what SCRIPT KILL,
// FUNCTION KILL and the -BUSY check need to know about it.
type scriptRun struct {
	start    time.Time
	function bool  // FCALL: FUNCTION KILL stops it, SCRIPT KILL does not
	shards   []int // the shards it holds, sorted; nil with all
	all      bool
	marked   bool        // counted in scripting.busy
	wrote    atomic.Bool // it called a write command: no longer killable
	kill     atomic.Bool
	heapBase uint64   // the heap when it started (lua-memory-limit)
	args     [][]byte // the command (FUNCTION STATS), valid while it runs
}

// scriptCtx is a client's script machinery, kept between calls: the
// host the engine calls back, the writer that captures the replies of
// the commands a script calls.
type scriptCtx struct {
	c        *client
	tx       store.Tx
	keys     [][]byte
	readOnly bool
	all      bool // every shard locked: any key may be used
	run      scriptRun
	call     script.Call
	buf      bytes.Buffer
	w        *resp.Writer
	// home is the store the script's locks were taken in, homeTx the Tx
	// on them; dbs the other databases a SELECT in the script locked
	// (db.go).
	home   *store.Store
	homeTx store.Tx
	dbs    []scriptDB
}

func (c *client) scriptState() *scriptCtx {
	if c.script == nil {
		h := &scriptCtx{c: c}
		h.w = resp.NewWriter(&h.buf)
		c.script = h
	}
	return c.script
}

// evalCommand is EVAL, EVALSHA and their read-only variants.
func (c *client) evalCommand(args [][]byte, tx store.Tx, bySHA, readOnly bool) {
	eng := c.srv.scripting.get()
	n, ok := c.numKeysArg(args)
	if !ok {
		return
	}
	var s *script.Script
	if bySHA {
		if s = eng.Lookup(args[1]); s == nil {
			c.errorReply("NOSCRIPT No matching script. Please use EVAL.")
			return
		}
	} else {
		var msg string
		if s, msg = eng.Load(args[1], true); s == nil {
			c.errorReply(msg)
			return
		}
	}
	if readOnly && s.Shebang && !s.NoWrites {
		c.errorReply("ERR Can not execute a script with write flag using *_ro command.")
		return
	}
	readOnly = readOnly || s.NoWrites
	h := c.scriptState()
	if h.call.Host != nil {
		// A script calling EVAL is refused (noscript) before this.
		c.errorReply("ERR a script is already running on this connection")
		return
	}
	keys := args[3 : 3+n]
	h.call = script.Call{Host: h, Keys: keys, Argv: args[3+n:], Name: s.SHA, Source: "user_script"}
	defer func() { h.call = script.Call{} }()
	c.runLocked(h, args, keys, tx, readOnly, false, func() bool { return eng.Run(s, &h.call, c.Writer) })
}

// runLocked runs a script under the locks of its keys' shards (or of
// every shard with lua-undeclared-keys all-shards-lock). Inside EXEC the
// transaction already holds its commands' shards, script keys included.
func (c *client) runLocked(h *scriptCtx, args, keys [][]byte, tx store.Tx, readOnly, function bool, run func() bool) {
	st := c.db()
	sc := &c.srv.scripting
	write := !readOnly
	h.keys, h.readOnly = keys, readOnly
	h.all = c.srv.cfg.Scripting.AllShardsLock.Load()
	h.run = scriptRun{start: time.Now(), function: function, all: h.all, args: args}
	if write && c.multi == nil && st.OverLimit() {
		// Eviction takes shard locks, so it runs before the script holds
		// its own; what it cannot free makes the script's writes fail.
		st.Admit(-1)
	}
	switch {
	case c.multi != nil:
		h.all = false
		h.tx = tx
	case h.all:
		st.LockAll(write)
		defer st.UnlockAll(write)
		h.tx = st.TxAll()
	default:
		shards := c.shardsBuf[:0]
		for _, k := range keys {
			shards = append(shards, st.ShardOf(k))
		}
		shards = sortedUnique(shards)
		c.shardsBuf = shards
		h.run.shards = shards
		st.Lock(shards, write)
		defer st.Unlock(shards, write)
		for _, i := range shards {
			st.CountOps(i, write, 1) // a script counts once per shard it locks
		}
		h.tx = st.Tx()
	}
	h.home, h.homeTx = st, h.tx
	defer h.endSelects(write, c.dbSlot, int(c.dbNum.Load()))
	defer sc.unmark(&h.run)
	defer func() {
		if h.run.heapBase != 0 {
			sc.mem.remove(&h.call) // before h.call is reused
		}
	}()
	if run() {
		c.failed = true
	}
}

// Call runs one command for the script (script.Host).
func (h *scriptCtx) Call(args [][]byte, resp3 bool) []byte {
	c := h.c
	h.buf.Reset()
	cmd := lookup(commands, args[0])
	if cmd != nil && cmd.subs != nil && len(args) >= 2 {
		cmd = lookup(cmd.subs, args[1])
	}
	switch {
	case cmd == nil:
		return h.fail("ERR Unknown Redis command called from script")
	case !cmd.arityOK(len(args)):
		return h.fail("ERR Wrong number of args calling Redis command from script")
	case cmd.flags&flagNoScript != 0:
		return h.fail("ERR This Redis command is not allowed from script")
	case h.readOnly && cmd.flags&flagWrite != 0:
		return h.fail("ERR Write commands are not allowed from read-only scripts.")
	case cmd.flags&flagKeyspace != 0 && !h.all:
		return h.fail("ERR '" + cmd.fullName + "' works over the whole keyspace: a script may call it only with lua-undeclared-keys all-shards-lock")
	}
	if u := c.user.Load().Load(); !u.Unrestricted() && !c.provenPeer() {
		// The script runs as its caller: each command it calls is
		// checked against the caller's ACL rules, as in Redis.
		if reason, object := aclCheck(u, cmd, args); reason != "" {
			c.aclLog(reason, object, c.user.Load().Name())
			if reason == "command" {
				return h.fail("ERR The user executing the script can't run this command or subcommand")
			}
			return h.fail("ERR The user executing the script can't access at least one of the keys mentioned in the command")
		}
	}
	if c.srv.router != nil && cmd.flags&flagChannels == 0 {
		// Declared keys were routed here; a key a script reaches
		// otherwise (all-shards-lock) may live on another node.
		if d := c.routeUnderLocks(cmd, args); d.Kind != route.Local {
			return h.fail("ERR Script attempted to access a non local key in a cluster node")
		}
	}
	if !h.all {
		if bad := h.undeclaredKey(cmd, args); bad != nil {
			return h.fail("ERR Script attempted to access key '" + resp.Clip(bad, 128) + "' that it did not declare in KEYS: pass every key a script touches as a key, or set lua-undeclared-keys all-shards-lock")
		}
	}
	if cmd.flags&flagDenyOOM != 0 && c.srv.store.OverLimit() {
		return h.fail(store.ErrOOM.Error())
	}
	if cmd.name == "select" {
		// As in Redis 7, the script's SELECT is its own: the caller's
		// database is restored when the script ends (endSelects).
		if n, ok := parseInt(args[1]); ok && n >= 0 && n < int64(len(c.srv.dbs.slots)) && int(n) != int(c.dbNum.Load()) && c.srv.router == nil {
			if err := h.selectDB(int(n)); err != "" {
				return h.fail(err)
			}
		}
	}
	if cmd.flags&flagWrite != 0 {
		h.run.wrote.Store(true)
	}
	if resp3 {
		h.w.SetProto(3)
	} else {
		h.w.SetProto(2)
	}
	saved, failed := c.Writer, c.failed
	c.Writer = h.w
	c.run(cmd, args, h.tx)
	c.Writer, c.failed = saved, failed
	h.w.Flush()
	return h.buf.Bytes()
}

func (h *scriptCtx) fail(msg string) []byte {
	h.buf.WriteString("-")
	h.buf.WriteString(msg)
	h.buf.WriteString("\r\n")
	return h.buf.Bytes()
}

// undeclaredKey returns the first of cmd's keys that the script did not
// declare, or nil. Positional keys are walked without a closure (this
// runs for every command a script calls).
func (h *scriptCtx) undeclaredKey(cmd *command, args [][]byte) []byte {
	if cmd.keys != nil {
		var bad []byte
		cmd.keyPositions(args, func(key []byte) {
			if bad == nil && !h.declared(key) {
				bad = key
			}
		})
		return bad
	}
	if cmd.firstKey == 0 || cmd.flags&flagChannels != 0 {
		return nil // shard channels are routed like keys but are not keys
	}
	last := cmd.lastKey
	if last < 0 {
		last += len(args)
	}
	for i := cmd.firstKey; i <= last && i < len(args); i += cmd.keyStep {
		if !h.declared(args[i]) {
			return args[i]
		}
	}
	return nil
}

// declared reports whether key is one of the script's KEYS.
func (h *scriptCtx) declared(key []byte) bool {
	for _, k := range h.keys {
		if bytes.Equal(k, key) {
			return true
		}
	}
	return false
}

// Log writes redis.log's line to the server log.
func (h *scriptCtx) Log(level int, msg string) {
	l := h.c.srv.log
	switch level {
	case 0:
		l.Debug(msg, "source", "script")
	case 3:
		l.Warn(msg, "source", "script")
	default:
		l.Info(msg, "source", "script")
	}
}

// Check is called every thousand-odd Lua instructions: it stops a killed
// script or one past lua-memory-limit, and counts a script past
// busy-reply-threshold as busy.
func (h *scriptCtx) Check() string {
	r := &h.run
	if r.kill.Load() {
		return "ERR Script killed by user with SCRIPT KILL..."
	}
	if h.c.srv.closing.Load() {
		// SHUTDOWN stops running scripts, written or not, as Redis's
		// SHUTDOWN NOSAVE does: the data goes with the process anyway.
		return "ERR Script killed by SHUTDOWN"
	}
	cfg := &h.c.srv.cfg.Scripting
	if !r.marked && time.Since(r.start) >= time.Duration(cfg.BusyReplyThreshold.Load())*time.Millisecond {
		h.c.srv.scripting.mark(r)
	}
	if limit := cfg.MemoryLimit.Load(); limit > 0 && r.heapBase == 0 {
		// Taken at the first check, not at the start: most scripts end
		// before their first check and never pay for reading the heap.
		r.heapBase = heapInUse()
		h.c.srv.scripting.mem.add(&h.call, r.heapBase, limit)
	} else if limit > 0 {
		if grown := int64(heapInUse()) - int64(r.heapBase); grown > limit {
			return "ERR Script used more memory than lua-memory-limit (" + strconv.FormatInt(limit, 10) + " bytes) allows"
		}
	}
	return ""
}

// scriptMemoryPoll is how often a long script's memory watchdog reads
// the heap.
const scriptMemoryPoll = time.Millisecond

// memWatch is one goroutine, started at the first long script, that
// reads the heap every scriptMemoryPoll while scripts run and stops those
// past lua-memory-limit. The checks every few hundred instructions miss a
// script whose single instructions allocate a lot (each s = s .. s
// doubles a string); polling by time bounds the overshoot to what a
// millisecond of copying adds, plus the concatenation under way. One
// shared goroutine, not one per script: a script that runs a few dozen
// instructions (EVALSHA of three commands) pays a map insert and delete.
type memWatch struct {
	mu   sync.Mutex
	runs map[*script.Call]memWatched
	wake chan struct{}
}

type memWatched struct {
	base  uint64
	limit int64
}

func (w *memWatch) add(call *script.Call, base uint64, limit int64) {
	w.mu.Lock()
	if w.runs == nil {
		w.runs, w.wake = map[*script.Call]memWatched{}, make(chan struct{}, 1)
		go w.loop()
	}
	w.runs[call] = memWatched{base, limit}
	w.mu.Unlock()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// remove stops watching call; once it returns the watcher no longer
// touches it.
func (w *memWatch) remove(call *script.Call) {
	w.mu.Lock()
	delete(w.runs, call)
	w.mu.Unlock()
}

func (w *memWatch) loop() {
	for {
		w.mu.Lock()
		n := len(w.runs)
		w.mu.Unlock()
		if n == 0 {
			<-w.wake
			continue
		}
		time.Sleep(scriptMemoryPoll)
		heap := int64(heapInUse())
		w.mu.Lock()
		for call, m := range w.runs {
			if heap-int64(m.base) > m.limit {
				call.Stop("ERR Script used more memory than lua-memory-limit (" + strconv.FormatInt(m.limit, 10) + " bytes) allows")
				delete(w.runs, call)
			}
		}
		w.mu.Unlock()
	}
}

func (s *scripting) mark(r *scriptRun) {
	s.mu.Lock()
	s.long[r] = struct{}{}
	r.marked = true
	s.mu.Unlock()
	s.busy.Add(1)
}

func (s *scripting) unmark(r *scriptRun) {
	if !r.marked {
		return
	}
	s.mu.Lock()
	delete(s.long, r)
	r.marked = false
	s.mu.Unlock()
	s.busy.Add(-1)
}

// busyError is the -BUSY reply: Redis names FUNCTION KILL when the long
// runner is a function.
func (s *scripting) busyError() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for r := range s.long {
		if r.function {
			return "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
		}
	}
	return "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
}

// busyRefuses reports whether cmd must get -BUSY while a script runs
// long: when it would wait for the script's locks (a key in a shard the
// script holds, or the whole keyspace), and is not one of the commands
// Redis allows then (allow_busy). Commands on other shards, and those
// that touch no key, go on: unlike Redis, one long script does not stop
// the server.
func (c *client) busyRefuses(cmd *command, args [][]byte) bool {
	if cmd.flags&flagAllowBusy != 0 || (cmd.name == "shutdown") {
		return false
	}
	s := &c.srv.scripting
	s.mu.Lock()
	defer s.mu.Unlock()
	keyspace := cmd.flags&flagKeyspace != 0 || cmd.name == "exec"
	for r := range s.long {
		if r.all || keyspace {
			if keyspace || cmd.keys != nil || cmd.firstKey != 0 {
				return true
			}
			continue
		}
		refused := false
		cmd.keyPositions(args, func(key []byte) {
			if _, found := slicesBinarySearch(r.shards, c.srv.store.ShardOf(key)); found {
				refused = true
			}
		})
		if refused {
			return true
		}
	}
	return false
}

func slicesBinarySearch(s []int, x int) (int, bool) {
	lo, hi := 0, len(s)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case s[m] == x:
			return m, true
		case s[m] < x:
			lo = m + 1
		default:
			hi = m
		}
	}
	return lo, false
}

// kill asks the busy runs of the given kind to stop: NOTBUSY when none
// is busy, UNKILLABLE when one has written (stopping it would leave a
// half-done write), -BUSY naming the other KILL when only the other kind
// is busy.
func (s *scripting) kill(function bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var targets []*scriptRun
	other := false
	for r := range s.long {
		if r.function == function {
			targets = append(targets, r)
		} else {
			other = true
		}
	}
	if len(targets) == 0 {
		if other && function {
			return "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
		}
		if other {
			return "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
		}
		return "-NOTBUSY No scripts in execution right now."
	}
	for _, r := range targets {
		if r.wrote.Load() {
			return "-UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
		}
	}
	for _, r := range targets {
		r.kill.Store(true)
	}
	return "+OK"
}

func cmdScriptKill(c *client, _ [][]byte, _ store.Tx) {
	c.srv.scripting.get()
	writeStatusOrError(c, c.srv.scripting.kill(false))
}

func writeStatusOrError(c *client, r string) {
	if strings.HasPrefix(r, "-") {
		c.errorReply(r[1:])
		return
	}
	c.WriteString(r[1:])
}

func cmdScriptLoad(c *client, args [][]byte, _ store.Tx) {
	s, msg := c.srv.scripting.get().Load(args[2], false)
	if s == nil {
		c.errorReply(msg)
		return
	}
	c.broadcastScriptCommand(args)
	c.WriteBulkString(s.SHA)
}

func cmdScriptExists(c *client, args [][]byte, _ store.Tx) {
	eng := c.srv.scripting.get()
	c.WriteArray(len(args) - 2)
	for _, sha := range args[2:] {
		if eng.Exists(sha) {
			c.WriteInt(1)
		} else {
			c.WriteInt(0)
		}
	}
}

func cmdScriptFlush(c *client, args [][]byte, _ store.Tx) {
	if len(args) > 3 || (len(args) == 3 && !strings.EqualFold(string(args[2]), "sync") && !strings.EqualFold(string(args[2]), "async")) {
		c.errorReply("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	c.srv.scripting.get().Flush()
	c.broadcastScriptCommand(args)
	c.WriteString("OK")
}

func cmdScriptHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "SCRIPT",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
	)
}

// heapInUse is the bytes of live and not yet swept heap objects, the
// measure lua-memory-limit bounds: read at every check of a running
// script (runtime/metrics, no stop-the-world: 0.24 µs measured, so
// about 1 ns per Lua instruction).
func heapInUse() uint64 {
	return readHeapObjects()
}

// infoScriptMemory writes INFO memory's scripting fields, Redis 7.0's
// names: the VMs (idle ones held by the pool; running ones are counted
// as VMBytes each), EVAL scripts' and libraries' code.
func infoScriptMemory(s *Server, b *strings.Builder) {
	sc := &s.scripting
	eng := sc.get()
	built, idle := eng.VMs()
	n, bodies, evicted := eng.Stats()
	vm := int64(idle) * script.VMBytes
	var libBytes int64
	var funcs int
	for _, l := range sc.functions().sorted() {
		libBytes += int64(len(l.Code))
		funcs += len(l.Functions)
	}
	field(b, "used_memory_lua", vm)
	field(b, "used_memory_vm_eval", vm)
	field(b, "used_memory_lua_human", humanBytes(vm))
	field(b, "used_memory_scripts_eval", bodies)
	field(b, "number_of_cached_scripts", n)
	field(b, "number_of_functions", funcs)
	field(b, "used_memory_functions", libBytes)
	field(b, "used_memory_scripts", bodies+libBytes)
	field(b, "used_memory_scripts_human", humanBytes(bodies+libBytes))
	field(b, "lua_vms_built", built)
	field(b, "lua_vms_idle", idle)
	field(b, "evicted_scripts", evicted)
}
