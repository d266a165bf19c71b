package protocol

import (
	"cmp"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cachesrv/cachesrv/store"
)

func init() {
	adminSlow := []string{"admin", "slow", "dangerous"}
	cmdSlow := []string{"slow", "connection"}
	register(
		&command{name: "info", arity: -1, flags: flagLoading | flagStale, acl: []string{"slow", "dangerous"}, run: cmdInfo},
		&command{name: "time", arity: 1, flags: flagLoading | flagStale | flagFast, acl: []string{"fast"}, run: cmdTime},
		&command{name: "command", arity: -1, flags: flagLoading | flagStale, acl: cmdSlow, run: cmdCommand, subs: subcommands(
			&command{name: "count", arity: 2, flags: flagLoading | flagStale, acl: cmdSlow, run: cmdCommandCount},
			&command{name: "docs", arity: -2, flags: flagLoading | flagStale, acl: cmdSlow, run: cmdCommandDocs},
			&command{name: "info", arity: -2, flags: flagLoading | flagStale, acl: cmdSlow, run: cmdCommandInfo},
			&command{name: "list", arity: -2, flags: flagLoading | flagStale, acl: cmdSlow, run: cmdCommandList},
			&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: cmdSlow, run: cmdCommandHelp},
		)},
		&command{name: "config", arity: -2, acl: []string{"slow"}, subs: subcommands(
			&command{name: "get", arity: -3, flags: flagAdmin | flagNoScript | flagLoading | flagStale, acl: adminSlow, run: cmdConfigGet},
			&command{name: "set", arity: -4, flags: flagAdmin | flagNoScript | flagLoading | flagStale, acl: adminSlow, run: cmdConfigSet},
			&command{name: "resetstat", arity: 2, flags: flagAdmin | flagNoScript | flagLoading | flagStale, acl: adminSlow, run: cmdConfigResetStat},
			&command{name: "rewrite", arity: 2, flags: flagAdmin | flagNoScript | flagLoading | flagStale, acl: adminSlow, run: cmdConfigRewrite},
			&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: []string{"slow"}, run: cmdConfigHelp},
		)},
		&command{name: "memory", arity: -2, acl: []string{"slow"}, subs: subcommands(
			&command{name: "usage", arity: -3, flags: flagReadonly, firstKey: 2, lastKey: 2, keyStep: 1, acl: []string{"read", "slow"}, run: cmdMemoryUsage},
			&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: []string{"slow"}, run: cmdMemoryHelp},
		)},
	)
}

func cmdTime(c *client, _ [][]byte, _ store.Tx) {
	now := time.Now()
	c.WriteArray(2)
	c.WriteBulkString(strconv.FormatInt(now.Unix(), 10))
	c.WriteBulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

// --- INFO ---

// infoSections lists INFO's sections in Redis's order; the default ones
// are what a bare INFO returns.
var infoSections = []struct {
	name, title string
	isDefault   bool
	render      func(s *Server, b *strings.Builder)
}{
	{"server", "Server", true, infoServer},
	{"clients", "Clients", true, infoClients},
	{"memory", "Memory", true, infoMemory},
	{"persistence", "Persistence", true, infoPersistence},
	{"stats", "Stats", true, infoStats},
	{"replication", "Replication", true, infoReplication},
	{"cpu", "CPU", true, infoCPU},
	{"commandstats", "Commandstats", false, infoCommandStats},
	{"latencystats", "Latencystats", false, infoLatencyStats},
	{"cluster", "Cluster", true, infoCluster},
	{"keyspace", "Keyspace", true, infoKeyspace},
	{"shards", "Shards", false, infoShards},
}

func cmdInfo(c *client, args [][]byte, _ store.Tx) {
	want := map[string]bool{}
	for _, a := range args[1:] {
		want[strings.ToLower(string(a))] = true
	}
	all := want["all"] || want["everything"]
	def := len(want) == 0 || want["default"]
	var b strings.Builder
	for _, sec := range infoSections {
		if !(all || want[sec.name] || (def && sec.isDefault)) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		fmt.Fprintf(&b, "# %s\r\n", sec.title)
		sec.render(c.srv, &b)
	}
	c.WriteBulkString(b.String())
}

func field(b *strings.Builder, name string, v any) { fmt.Fprintf(b, "%s:%v\r\n", name, v) }

func infoServer(s *Server, b *strings.Builder) {
	up := time.Since(s.started)
	exe, _ := os.Executable()
	field(b, "redis_version", redisVersion)
	field(b, "cachesrv_version", Version)
	field(b, "redis_mode", "standalone")
	field(b, "os", runtime.GOOS+" "+runtime.GOARCH)
	field(b, "arch_bits", strconv.IntSize)
	field(b, "go_version", runtime.Version())
	field(b, "process_id", os.Getpid())
	field(b, "tcp_port", s.cfg.Port)
	field(b, "server_time_usec", time.Now().UnixMicro())
	field(b, "uptime_in_seconds", int64(up.Seconds()))
	field(b, "uptime_in_days", int64(up.Hours()/24))
	field(b, "hz", 10)
	field(b, "executable", exe)
	field(b, "shards", s.store.Shards())
}

func infoClients(s *Server, b *strings.Builder) {
	field(b, "connected_clients", s.ClientCount())
	field(b, "maxclients", s.cfg.MaxClients.Load())
	field(b, "blocked_clients", 0)
}

// goMemory reads the Go runtime's memory figures without stopping the
// world (runtime.ReadMemStats would).
func goMemory() (heapObjects, total, released uint64, gcCycles uint64) {
	samples := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
	}
	metrics.Read(samples)
	return samples[0].Value.Uint64(), samples[1].Value.Uint64(), samples[2].Value.Uint64(), samples[3].Value.Uint64()
}

// rss returns the resident set size from /proc, 0 where unavailable.
func rss() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

// infoMemory reports used_memory as what maxmemory limits: the store's
// own account of its chunks, index and ghost tables (see store.Used), kept
// as memory is taken and given back. The Go runtime's total is
// used_memory_go; the difference is connection buffers and the runtime.
func infoMemory(s *Server, b *strings.Builder) {
	heap, total, released, cycles := goMemory()
	used := s.store.Used()
	live, arena := s.store.UsedBytes()
	r := rss()
	maxmem := s.store.MaxMemory()
	field(b, "used_memory", used)
	field(b, "used_memory_human", humanBytes(used))
	field(b, "used_memory_rss", r)
	field(b, "used_memory_rss_human", humanBytes(r))
	field(b, "used_memory_dataset", live)
	field(b, "used_memory_go", int64(total-released))
	field(b, "store_arena_bytes", arena)
	field(b, "go_heap_objects_bytes", heap)
	field(b, "go_gc_cycles", cycles)
	field(b, "maxmemory", maxmem)
	field(b, "maxmemory_human", humanBytes(maxmem))
	field(b, "maxmemory_policy", s.store.Policy().String())
	if used > 0 {
		field(b, "mem_fragmentation_ratio", fmt.Sprintf("%.2f", float64(r)/float64(used)))
	}
	field(b, "mem_allocator", "go")
}

func infoPersistence(_ *Server, b *strings.Builder) {
	field(b, "loading", 0)
	field(b, "rdb_changes_since_last_save", 0)
	field(b, "aof_enabled", 0)
}

func infoStats(s *Server, b *strings.Builder) {
	st := &s.stats
	field(b, "total_connections_received", st.connectionsReceived.Load())
	field(b, "total_commands_processed", st.commandsProcessed.Load())
	field(b, "rejected_connections", st.rejectedConns.Load())
	field(b, "expired_keys", s.store.ExpiredKeys())
	field(b, "evicted_keys", s.store.EvictedKeys())
	field(b, "keyspace_hits", st.hits.Load())
	field(b, "keyspace_misses", st.misses.Load())
}

func infoReplication(_ *Server, b *strings.Builder) {
	field(b, "role", "master")
	field(b, "connected_slaves", 0)
}

func infoCPU(_ *Server, b *strings.Builder) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		field(b, "used_cpu_sys", fmt.Sprintf("%.6f", float64(ru.Stime.Sec)+float64(ru.Stime.Usec)/1e6))
		field(b, "used_cpu_user", fmt.Sprintf("%.6f", float64(ru.Utime.Sec)+float64(ru.Utime.Usec)/1e6))
	}
}

func infoCluster(s *Server, b *strings.Builder) {
	if s.cl != nil {
		field(b, "cluster_enabled", 1)
	} else {
		field(b, "cluster_enabled", 0)
	}
}

func infoKeyspace(s *Server, b *strings.Builder) {
	if keys, expires := s.store.Keyspace(); keys > 0 {
		fmt.Fprintf(b, "db0:keys=%d,expires=%d,avg_ttl=0\r\n", keys, expires)
	}
}

func infoCommandStats(_ *Server, b *strings.Builder) {
	eachCommand(func(cmd *command) {
		calls, rejected := cmd.stats.calls.Load(), cmd.stats.rejected.Load()
		if calls == 0 && rejected == 0 {
			return
		}
		usec := cmd.stats.nanos.Load() / 1000
		perCall := 0.0
		if calls > 0 {
			perCall = float64(usec) / float64(calls)
		}
		fmt.Fprintf(b, "cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d\r\n",
			cmd.fullName, calls, usec, perCall, rejected, cmd.stats.failed.Load())
	})
}

// latencyPercentiles are the quantiles INFO latencystats reports, with
// their labels; Redis's latency-tracking-info-percentiles default.
var latencyPercentiles = []struct {
	label string
	q     float64
}{{"p50", 0.50}, {"p99", 0.99}, {"p99.9", 0.999}}

// infoLatencyStats writes Redis 7's latencystats lines, one per command
// with timed calls, estimated from its latency histogram. Calls made while
// latency-tracking was off are not in the histogram, as in Redis.
func infoLatencyStats(s *Server, b *strings.Builder) {
	for _, cs := range s.CommandStats() {
		var timed uint64
		for _, n := range cs.Buckets {
			timed += n
		}
		if timed == 0 {
			continue
		}
		fmt.Fprintf(b, "latency_percentiles_usec_%s:", cs.Name)
		for i, p := range latencyPercentiles {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(b, "%s=%.3f", p.label, float64(cs.Quantile(p.q))/float64(time.Microsecond))
		}
		b.WriteString("\r\n")
	}
}

// shardTopN is how many shards INFO shards lists by wait time.
const shardTopN = 5

// infoShards summarises lock contention over the shards since start:
// totals, the spread of keys, and the shards that waited longest (the
// full table is CACHESRV.SHARDS).
func infoShards(s *Server, b *strings.Builder) {
	stats := s.store.Stats()
	var acq, contended uint64
	var wait, maxWait time.Duration
	keysMin, keysMax := int64(-1), int64(0)
	for _, st := range stats {
		acq += st.LockAcquisitions
		contended += st.LockContended
		wait += st.LockWait
		maxWait = max(maxWait, st.LockMaxWait)
		if keysMin < 0 || st.Keys < keysMin {
			keysMin = st.Keys
		}
		keysMax = max(keysMax, st.Keys)
	}
	field(b, "shards", len(stats))
	field(b, "shard_keys_min", max(keysMin, 0))
	field(b, "shard_keys_max", keysMax)
	field(b, "lock_acquisitions", acq)
	field(b, "lock_contended", contended)
	field(b, "lock_contended_pct", fmt.Sprintf("%.2f", pct(contended, acq)))
	field(b, "lock_wait_usec", wait.Microseconds())
	field(b, "lock_max_wait_usec", maxWait.Microseconds())
	order := make([]int, 0, len(stats))
	for i, st := range stats {
		if st.LockWait > 0 {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(x, y int) int {
		if c := cmp.Compare(stats[y].LockWait, stats[x].LockWait); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	for rank, i := range order[:min(len(order), shardTopN)] {
		st := stats[i]
		fmt.Fprintf(b, "top_wait_%d:shard=%d,wait_usec=%d,contended=%d,acquisitions=%d,contended_pct=%.2f,max_wait_usec=%d,keys=%d\r\n",
			rank+1, i, st.LockWait.Microseconds(), st.LockContended, st.LockAcquisitions,
			pct(st.LockContended, st.LockAcquisitions), st.LockMaxWait.Microseconds(), st.Keys)
	}
}

// pct is part as a percentage of whole, 0 when whole is.
func pct(part, whole uint64) float64 {
	if whole == 0 {
		return 0
	}
	return 100 * float64(part) / float64(whole)
}

// eachCommand visits every command and subcommand, in name order.
func eachCommand(fn func(*command)) {
	for _, cmd := range commandList {
		fn(cmd)
		for _, sub := range sortedSubs(cmd) {
			fn(sub)
		}
	}
}

func sortedSubs(cmd *command) []*command {
	subs := make([]*command, 0, len(cmd.subs))
	for _, s := range cmd.subs {
		subs = append(subs, s)
	}
	slices.SortFunc(subs, func(a, b *command) int { return strings.Compare(a.name, b.name) })
	return subs
}

// --- COMMAND ---

func cmdCommand(c *client, args [][]byte, _ store.Tx) {
	c.WriteArray(len(commandList))
	for _, cmd := range commandList {
		c.writeCommandInfo(cmd)
	}
}

func cmdCommandCount(c *client, _ [][]byte, _ store.Tx) { c.WriteInt(len(commandList)) }

// writeCommandInfo writes Redis 7's ten-element COMMAND INFO entry.
func (c *client) writeCommandInfo(cmd *command) {
	c.WriteArray(10)
	c.WriteBulkString(cmd.fullName)
	c.WriteInt(cmd.arity)
	var flags []string
	for _, f := range flagNames {
		if cmd.flags&f.flag != 0 {
			flags = append(flags, f.name)
		}
	}
	c.WriteArray(len(flags))
	for _, f := range flags {
		c.WriteString(f)
	}
	c.WriteInt(cmd.firstKey)
	c.WriteInt(cmd.lastKey)
	c.WriteInt(cmd.keyStep)
	c.WriteArray(len(cmd.acl))
	for _, a := range cmd.acl {
		c.WriteString("@" + a)
	}
	c.WriteArray(0) // tips
	c.WriteArray(0) // key specifications: the legacy positions above say it
	subs := sortedSubs(cmd)
	c.WriteArray(len(subs))
	for _, sub := range subs {
		c.writeCommandInfo(sub)
	}
}

// findCommand resolves "get" or "client|setname".
func findCommand(name string) *command {
	name = strings.ToLower(name)
	parent, sub, isSub := strings.Cut(name, "|")
	cmd := commands[parent]
	if cmd == nil || !isSub {
		return cmd
	}
	return cmd.subs[sub]
}

func cmdCommandInfo(c *client, args [][]byte, _ store.Tx) {
	names := args[2:]
	if len(names) == 0 {
		cmdCommand(c, args, store.Tx{})
		return
	}
	c.WriteArray(len(names))
	for _, n := range names {
		if cmd := findCommand(string(n)); cmd != nil {
			c.writeCommandInfo(cmd)
		} else {
			c.WriteNull()
		}
	}
}

func cmdCommandList(c *client, args [][]byte, _ store.Tx) {
	var filter func(*command) bool
	if len(args) > 2 {
		if len(args) != 5 || !strings.EqualFold(string(args[2]), "filterby") {
			c.errorReply(errSyntax)
			return
		}
		val := args[4]
		switch strings.ToLower(string(args[3])) {
		case "aclcat":
			cat := strings.ToLower(string(val))
			filter = func(cmd *command) bool { return slices.Contains(cmd.acl, cat) }
		case "pattern":
			filter = func(cmd *command) bool { return globMatch(val, []byte(cmd.fullName)) }
		case "module":
			filter = func(*command) bool { return false }
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	var names []string
	eachCommand(func(cmd *command) {
		if filter == nil || filter(cmd) {
			names = append(names, cmd.fullName)
		}
	})
	c.writeStringArray(names)
}

// cmdCommandDocs answers COMMAND DOCS in Redis 7's shape (maps as flat
// arrays in RESP2); redis-cli builds its argument hints from it.
func cmdCommandDocs(c *client, args [][]byte, _ store.Tx) {
	var cmds []*command
	if len(args) == 2 {
		cmds = commandList
	} else {
		for _, n := range args[2:] {
			if cmd := findCommand(string(n)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.WriteArray(2 * len(cmds))
	for _, cmd := range cmds {
		c.WriteBulkString(cmd.fullName)
		c.writeDoc(cmd)
	}
}

func (c *client) writeDoc(cmd *command) {
	d := docs[cmd.fullName]
	n := 4
	if len(d.args) > 0 {
		n++
	}
	if len(cmd.subs) > 0 {
		n++
	}
	c.WriteArray(2 * n)
	c.WriteBulkString("summary")
	c.WriteBulkString(d.summary)
	c.WriteBulkString("since")
	c.WriteBulkString(d.since)
	c.WriteBulkString("group")
	c.WriteBulkString(d.group)
	c.WriteBulkString("complexity")
	c.WriteBulkString(d.complexity)
	if len(d.args) > 0 {
		c.WriteBulkString("arguments")
		c.writeArgDocs(d.args)
	}
	if len(cmd.subs) > 0 {
		c.WriteBulkString("subcommands")
		subs := sortedSubs(cmd)
		c.WriteArray(2 * len(subs))
		for _, sub := range subs {
			c.WriteBulkString(sub.fullName)
			c.writeDoc(sub)
		}
	}
}

func (c *client) writeArgDocs(args []argDoc) {
	c.WriteArray(len(args))
	for _, a := range args {
		var flags []string
		if a.optional {
			flags = append(flags, "optional")
		}
		if a.multiple {
			flags = append(flags, "multiple")
		}
		if a.multipleToken {
			flags = append(flags, "multiple_token")
		}
		n := 2
		for _, present := range []bool{a.display != "", a.token != "", len(flags) > 0, len(a.args) > 0} {
			if present {
				n++
			}
		}
		c.WriteArray(2 * n)
		c.WriteBulkString("name")
		c.WriteBulkString(a.name)
		c.WriteBulkString("type")
		c.WriteBulkString(a.typ)
		if a.display != "" {
			c.WriteBulkString("display_text")
			c.WriteBulkString(a.display)
		}
		if a.token != "" {
			c.WriteBulkString("token")
			c.WriteBulkString(a.token)
		}
		if len(flags) > 0 {
			c.WriteBulkString("flags")
			c.WriteArray(len(flags))
			for _, f := range flags {
				c.WriteString(f)
			}
		}
		if len(a.args) > 0 {
			c.WriteBulkString("arguments")
			c.writeArgDocs(a.args)
		}
	}
}

// writeHelp replies as Redis's addReplyHelp does: status lines (not bulk
// strings), a header naming the container, and HELP last.
func writeHelp(c *client, container string, lines ...string) {
	c.WriteArray(len(lines) + 3)
	c.WriteString(container + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.WriteString(l)
	}
	c.WriteString("HELP")
	c.WriteString("    Prints this help.")
}

func cmdCommandHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "COMMAND",
		"(no subcommand)", "    Return details about all commands.",
		"COUNT", "    Return the total number of commands in this server.",
		"LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]", "    Return a list of all commands in this server.",
		"INFO [<command-name> ...]", "    Return details about the given commands, or all of them.",
		"DOCS [<command-name> ...]", "    Return documentation details about the given commands, or all of them.",
	)
}

// --- CONFIG ---

func cmdConfigGet(c *client, args [][]byte, _ store.Tx) {
	var out []string
	seen := map[string]bool{}
	add := func(name, val string) {
		if !seen[name] {
			seen[name] = true
			out = append(out, name, val)
		}
	}
	for _, p := range args[2:] {
		pat := []byte(strings.ToLower(string(p)))
		for _, s := range Settings {
			if globMatch(pat, []byte(s.Name)) {
				add(s.Name, s.Get(c.srv.cfg))
			}
		}
		compat := make([]string, 0, len(compatSettings))
		for name := range compatSettings {
			compat = append(compat, name)
		}
		slices.Sort(compat)
		for _, name := range compat {
			if globMatch(pat, []byte(name)) {
				add(name, compatSettings[name])
			}
		}
	}
	c.writeStringArray(out)
}

// cmdConfigSet applies all the given settings or none, checking as Redis
// does: first every name (unknown, immutable, given twice), then every
// value, each tried on a scratch config before any is applied.
func cmdConfigSet(c *client, args [][]byte, _ store.Tx) {
	if len(args)%2 != 0 {
		c.errorReply(errWrongArgs("config|set"))
		return
	}
	var todo []*Setting
	unknown, errArg, errMsg := "", "", ""
	for i := 2; i < len(args); i += 2 {
		s := FindSetting(string(args[i]))
		switch {
		case s == nil:
			if unknown == "" {
				unknown = clip(args[i], 128)
			}
		case errMsg != "":
		case !s.Mutable:
			errArg, errMsg = clip(args[i], 128), "can't set immutable config"
		case slices.Contains(todo, s):
			errArg, errMsg = clip(args[i], 128), "duplicate parameter"
		}
		todo = append(todo, s)
	}
	if unknown != "" {
		c.errorReply("ERR Unknown option or number of arguments for CONFIG SET - '" + unknown + "'")
		return
	}
	if errMsg == "" {
		scratch := NewConfig()
		for i, s := range todo {
			if err := s.Set(scratch, string(args[3+2*i])); err != nil {
				errArg, errMsg = s.Name, err.Error()
				break
			}
		}
	}
	if errMsg != "" {
		c.errorReply("ERR CONFIG SET failed (possibly related to argument '" + errArg + "') - " + errMsg)
		return
	}
	for i, s := range todo {
		s.Set(c.srv.cfg, string(args[3+2*i]))
		if s.Name == "timeout" {
			c.srv.applyIdleTimeout()
		}
	}
	c.WriteString("OK")
}

// applyIdleTimeout makes a changed timeout reach clients already blocked
// waiting for input: their connections only look at the setting when a
// read begins. As in Redis, idleness counts from a client's last command,
// so one already idle for longer is closed at once.
func (s *Server) applyIdleTimeout() {
	t := time.Duration(s.cfg.Timeout.Load()) * time.Second
	for _, c := range s.clientsSorted() {
		if t > 0 {
			c.net.SetReadDeadline(time.Unix(0, c.lastAt.Load()).Add(t))
		} else {
			c.net.SetReadDeadline(time.Time{})
		}
	}
	if s.closing.Load() {
		// Shutdown wakes blocked readers with a deadline; do not undo that.
		for _, c := range s.clientsSorted() {
			c.net.SetReadDeadline(time.Now())
		}
	}
}

func cmdConfigResetStat(c *client, _ [][]byte, _ store.Tx) {
	st := &c.srv.stats
	st.commandsProcessed.Store(0)
	st.connectionsReceived.Store(0)
	st.rejectedConns.Store(0)
	st.hits.Store(0)
	st.misses.Store(0)
	eachCommand(func(cmd *command) {
		cmd.stats.reset()
	})
	c.WriteString("OK")
}

func cmdConfigRewrite(c *client, _ [][]byte, _ store.Tx) {
	c.errorReply("ERR The server is running without a config file")
}

func cmdConfigHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "CONFIG",
		"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>", "    Set the configuration <directive> to <value>.",
		"RESETSTAT", "    Reset statistics reported by the INFO command.",
		"REWRITE", "    Not supported: cachesrv is configured by flags and environment variables.",
	)
}

// --- MEMORY ---

func cmdMemoryUsage(c *client, args [][]byte, tx store.Tx) {
	if len(args) > 3 {
		if len(args) != 5 || !strings.EqualFold(string(args[3]), "samples") {
			c.errorReply(errSyntax)
			return
		}
		if _, ok := c.intArg(args[4]); !ok {
			return
		}
	}
	n, ok := tx.MemoryUsage(args[2])
	if !ok {
		c.WriteNull()
		return
	}
	c.WriteInt64(n)
}

func cmdMemoryHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "MEMORY",
		"USAGE <key> [SAMPLES <count>]", "    Return memory in bytes used by <key> and its value.",
	)
}
