package protocol

import (
	"cmp"
	"fmt"
	"github.com/cachesrv/cachesrv/protocol/pubsub"
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

// INFO: the server's state in Redis's sections and field names.

func init() {
	register(&command{name: "info", arity: -1, flags: flagLoading | flagStale, acl: []string{"slow", "dangerous"}, run: cmdInfo})
}

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
	{"modules", "Modules", true, infoModules},
	{"commandstats", "Commandstats", false, infoCommandStats},
	{"errorstats", "Errorstats", true, infoErrorStats},
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
	c.WriteVerbatim("txt", b.String()) // RESP3: a verbatim string, as Redis's
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
	_, maxIn, maxOut := s.clientMemory()
	field(b, "connected_clients", s.ClientCount())
	field(b, "maxclients", s.cfg.MaxClients.Load())
	field(b, "client_recent_max_input_buffer", maxIn)
	field(b, "client_recent_max_output_buffer", maxOut)
	field(b, "blocked_clients", s.blockedClients())
	clients, _, _, _ := s.trackingInfo()
	field(b, "tracking_clients", clients)
}

// clientMemory returns what the connected clients hold in all (Redis's
// mem_clients_normal), and the largest query buffer and unsent replies
// among them (Redis keeps these as maxima over the last seconds; here
// they are of this instant).
func (s *Server) clientMemory() (total, maxIn, maxOut int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.clients {
		total += c.mem.total()
		maxIn = max(maxIn, c.mem.qbuf.Load())
		maxOut = max(maxOut, c.mem.omem.Load())
	}
	return total, maxIn, maxOut
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
	maxmem := s.store.Limits().MaxMemory
	field(b, "used_memory", used)
	field(b, "used_memory_human", humanBytes(used))
	field(b, "used_memory_rss", r)
	field(b, "used_memory_rss_human", humanBytes(r))
	field(b, "used_memory_dataset", live)
	clients, _, _ := s.clientMemory()
	field(b, "mem_clients_slaves", 0)
	field(b, "mem_clients_normal", clients)
	field(b, "mem_tracking_table", s.tracking.bytes())
	field(b, "used_memory_go", int64(total-released))
	field(b, "store_arena_bytes", arena)
	field(b, "go_heap_objects_bytes", heap)
	field(b, "go_gc_cycles", cycles)
	field(b, "maxmemory", maxmem)
	field(b, "maxmemory_human", humanBytes(maxmem))
	field(b, "maxmemory_policy", s.store.Limits().Policy.String())
	if used > 0 {
		field(b, "mem_fragmentation_ratio", fmt.Sprintf("%.2f", float64(r)/float64(used)))
	}
	field(b, "mem_allocator", "go")
	infoScriptMemory(s, b)
}

// infoPersistence gives Redis 7's fields for a server that never saves
// nor loads (rdb_last_save_time: the start, as Redis's before any save).
func infoPersistence(s *Server, b *strings.Builder) {
	for _, f := range []struct {
		name string
		v    any
	}{
		{"loading", 0}, {"async_loading", 0}, {"current_cow_peak", 0}, {"current_cow_size", 0},
		{"current_cow_size_age", 0}, {"current_fork_perc", "0.00"}, {"current_save_keys_processed", 0},
		{"current_save_keys_total", 0}, {"rdb_changes_since_last_save", 0}, {"rdb_bgsave_in_progress", 0},
		{"rdb_last_save_time", s.started.Unix()}, {"rdb_last_bgsave_status", "ok"}, {"rdb_last_bgsave_time_sec", -1},
		{"rdb_current_bgsave_time_sec", -1}, {"rdb_saves", 0}, {"rdb_last_cow_size", 0},
		{"rdb_last_load_keys_expired", 0}, {"rdb_last_load_keys_loaded", 0}, {"aof_enabled", 0},
		{"aof_rewrite_in_progress", 0}, {"aof_rewrite_scheduled", 0}, {"aof_last_rewrite_time_sec", -1},
		{"aof_current_rewrite_time_sec", -1}, {"aof_last_bgrewrite_status", "ok"}, {"aof_rewrites", 0},
		{"aof_rewrites_consecutive_failures", 0}, {"aof_last_write_status", "ok"}, {"aof_last_cow_size", 0},
		{"module_fork_in_progress", 0}, {"module_fork_last_cow_size", 0},
	} {
		field(b, f.name, f.v)
	}
}

func infoStats(s *Server, b *strings.Builder) {
	st := &s.stats
	tot := st.totals()
	field(b, "total_connections_received", st.connectionsReceived.Load())
	field(b, "total_commands_processed", tot.processed)
	field(b, "total_net_input_bytes", tot.netIn)
	field(b, "total_net_output_bytes", tot.netOut)
	field(b, "rejected_connections", st.rejectedConns.Load())
	field(b, "expired_keys", s.store.ExpiredKeys())
	field(b, "evicted_keys", s.store.EvictedKeys())
	field(b, "evicted_clients", st.evictedClients.Load())
	field(b, "keyspace_hits", tot.hits)
	field(b, "keyspace_misses", tot.misses)
	field(b, "pubsub_channels", s.pubsub.Len(pubsub.Channel))
	field(b, "pubsub_patterns", s.pubsub.Len(pubsub.Pattern))
	field(b, "pubsubshard_channels", s.pubsub.Len(pubsub.ShardChannel))
	_, keys, items, prefixes := s.trackingInfo()
	field(b, "tracking_total_keys", keys)
	field(b, "tracking_total_items", items)
	field(b, "tracking_total_prefixes", prefixes)
	field(b, "client_output_buffer_limit_disconnections", st.outputLimitClosed.Load())
	field(b, "unexpected_error_replies", 0)
	field(b, "total_error_replies", s.ops.errors.total.Load())
}

// infoReplication describes a Redis master without replicas (cachesrv
// has no replication): Redis 7's fields, offset 0, no backlog.
func infoReplication(s *Server, b *strings.Builder) {
	field(b, "role", "master")
	if s.repl != nil {
		infoReplicas(s, b) // replication.go
		return
	}
	field(b, "connected_slaves", 0)
	field(b, "master_failover_state", "no-failover")
	field(b, "master_replid", replicationID)
	field(b, "master_replid2", strings.Repeat("0", 40))
	field(b, "master_repl_offset", 0)
	field(b, "second_repl_offset", -1)
	field(b, "repl_backlog_active", 0)
	field(b, "repl_backlog_size", 1048576)
	field(b, "repl_backlog_first_byte_offset", 0)
	field(b, "repl_backlog_histlen", 0)
}

func infoCPU(_ *Server, b *strings.Builder) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		sys := fmt.Sprintf("%.6f", float64(ru.Stime.Sec)+float64(ru.Stime.Usec)/1e6)
		user := fmt.Sprintf("%.6f", float64(ru.Utime.Sec)+float64(ru.Utime.Usec)/1e6)
		field(b, "used_cpu_sys", sys)
		field(b, "used_cpu_user", user)
		// Redis 7's other fields: no child processes here, and no main
		// thread apart from the others (the process's figures).
		field(b, "used_cpu_sys_children", "0.000000")
		field(b, "used_cpu_user_children", "0.000000")
		field(b, "used_cpu_sys_main_thread", sys)
		field(b, "used_cpu_user_main_thread", user)
	}
}

func infoCluster(s *Server, b *strings.Builder) {
	if s.router != nil {
		field(b, "cluster_enabled", 1)
	} else {
		field(b, "cluster_enabled", 0)
	}
}

func infoKeyspace(s *Server, b *strings.Builder) {
	nums, stores := s.dbStores()
	for i, st := range stores {
		if keys, expires := st.Keyspace(); keys > 0 {
			fmt.Fprintf(b, "db%d:keys=%d,expires=%d,avg_ttl=0\r\n", nums[i], keys, expires)
		}
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
	stats := s.ShardStats()
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
