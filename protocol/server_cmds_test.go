package protocol

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/redis/go-redis/v9"
)

// infoHeaders returns the "# Section" headers of an INFO reply, in order.
func infoHeaders(info string) []string {
	var out []string
	for _, l := range strings.Split(info, "\r\n") {
		if strings.HasPrefix(l, "# ") {
			out = append(out, l[2:])
		}
	}
	return out
}

// infoField returns the value of name: in an INFO reply.
func infoField(t testing.TB, info, name string) string {
	t.Helper()
	for _, l := range strings.Split(info, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && k == name {
			return v
		}
	}
	t.Fatalf("INFO has no %q field", name)
	return ""
}

func TestInfoSections(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	info := func(sections ...string) string {
		t.Helper()
		s, err := c.Info(ctx, sections...).Result()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	def := "Server Clients Memory Persistence Stats Replication CPU Modules Errorstats Cluster Keyspace" // as redis-server 7.0
	for _, args := range [][]string{nil, {"default"}, {"DEFAULT"}} {
		if got := strings.Join(infoHeaders(info(args...)), " "); got != def {
			t.Errorf("INFO %v sections = %q, want %q", args, got, def)
		}
	}
	full := "Server Clients Memory Persistence Stats Replication CPU Modules Commandstats Errorstats Latencystats Cluster Keyspace Shards"
	for _, sec := range []string{"all", "everything"} {
		if got := strings.Join(infoHeaders(info(sec)), " "); got != full {
			t.Errorf("INFO %s sections = %q, want %q", sec, got, full)
		}
	}
	if got := strings.Join(infoHeaders(info("clients", "SERVER")), " "); got != "Server Clients" {
		t.Errorf("INFO clients SERVER = %q", got)
	}
	if got := strings.Join(infoHeaders(info("default", "commandstats")), " "); got != "Server Clients Memory Persistence Stats Replication CPU Modules Commandstats Errorstats Cluster Keyspace" {
		t.Errorf("INFO default commandstats = %q", got)
	}
	if got := info("nosuchsection"); got != "" {
		t.Errorf("INFO nosuchsection = %q, want empty", got)
	}
	// Format: sections separated by a blank line, every line CRLF-ended.
	s := info("server", "clients")
	if !strings.HasPrefix(s, "# Server\r\n") || !strings.Contains(s, "\r\n\r\n# Clients\r\n") || !strings.HasSuffix(s, "\r\n") {
		t.Errorf("INFO server clients layout: %q", s)
	}
	if v := infoField(t, s, "redis_version"); !strings.HasPrefix(v, "7.") {
		t.Errorf("redis_version = %q", v)
	}
	if v := infoField(t, s, "connected_clients"); v != "1" {
		t.Errorf("connected_clients = %q", v)
	}
	if v := infoField(t, s, "maxclients"); v != "10000" {
		t.Errorf("maxclients = %q", v)
	}
	// go-redis parses INFO into sections.
	m, err := c.InfoMap(ctx, "server").Result()
	if err != nil || m["Server"]["redis_mode"] != "standalone" {
		t.Fatalf("InfoMap = %v, %v", m, err)
	}
}

func TestInfoKeyspace(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	if got := c.Info(ctx, "keyspace").Val(); got != "# Keyspace\r\n" {
		t.Fatalf("empty keyspace = %q", got)
	}
	c.Set(ctx, "a", "1", 0)
	c.Set(ctx, "b", "2", time.Hour)
	c.Set(ctx, "c", "3", 0)
	c.Expire(ctx, "c", time.Hour)
	c.Set(ctx, "d", "4", 0)
	c.Del(ctx, "d")
	got := c.Info(ctx, "keyspace").Val()
	if want := "# Keyspace\r\ndb0:keys=3,expires=2,avg_ttl="; !strings.HasPrefix(got, want) {
		t.Fatalf("INFO keyspace = %q, want prefix %q", got, want)
	}
	c.Persist(ctx, "b")
	if got := c.Info(ctx, "keyspace").Val(); !strings.Contains(got, "db0:keys=3,expires=1,") {
		t.Fatalf("after PERSIST: %q", got)
	}
	m, err := c.InfoMap(ctx, "keyspace").Result()
	if err != nil || !strings.HasPrefix(m["Keyspace"]["db0"], "keys=3,expires=1") {
		t.Fatalf("InfoMap keyspace = %v, %v", m, err)
	}
}

func TestInfoCommandstatsAndResetstat(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.expectReply("+OK\r\n", "CONFIG", "RESETSTAT")
	for i := 0; i < 3; i++ {
		r.do("GET", "k")
	}
	r.do("SET", "k", "v")
	r.do("SET", "k", "v", "EX", "abc") // fails
	r.do("GET")                        // rejected: wrong arity
	r.do("CLIENT", "ID")
	stats := bulkValue(t, r.do("INFO", "commandstats"))
	for _, want := range []string{
		"cmdstat_get:calls=3,",
		"cmdstat_set:calls=2,",
		"cmdstat_client|id:calls=1,",
		"cmdstat_config|resetstat:calls=1,",
	} {
		if !strings.Contains(stats, want) {
			t.Errorf("INFO commandstats lacks %q:\n%s", want, stats)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(stats), "\r\n")[1:] {
		name, fields, _ := strings.Cut(line, ":")
		switch name {
		case "cmdstat_get":
			if !strings.HasSuffix(fields, ",rejected_calls=1,failed_calls=0") {
				t.Errorf("get: %s", fields)
			}
		case "cmdstat_set":
			if !strings.HasSuffix(fields, ",rejected_calls=0,failed_calls=1") {
				t.Errorf("set: %s", fields)
			}
		}
		if !strings.Contains(fields, ",usec=") || !strings.Contains(fields, ",usec_per_call=") {
			t.Errorf("%s: %s", name, fields)
		}
	}
	if strings.Contains(stats, "cmdstat_info:") {
		t.Errorf("INFO counted before it ran:\n%s", stats)
	}

	// RESETSTAT clears the counters; only itself is counted afterwards.
	r.expectReply("+OK\r\n", "CONFIG", "RESETSTAT")
	stats = bulkValue(t, r.do("INFO", "commandstats"))
	if want := "# Commandstats\r\ncmdstat_config|resetstat:calls=1,"; !strings.HasPrefix(stats, want) || strings.Count(stats, "\r\n") != 2 {
		t.Errorf("after RESETSTAT: %q", stats)
	}
	st := bulkValue(t, r.do("INFO", "stats"))
	if got := infoField(t, st, "total_commands_processed"); got != "2" {
		t.Errorf("total_commands_processed after RESETSTAT = %s, want 2", got)
	}
	if got := infoField(t, st, "keyspace_misses"); got != "0" {
		t.Errorf("keyspace_misses after RESETSTAT = %s", got)
	}
}

// TestInfoNetBytes: total_net_input_bytes and total_net_output_bytes count
// the bytes of commands read and of replies written, as Redis's do
// (redis_exporter's redis_net_input_bytes_total and _output_).
func TestInfoNetBytes(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	// RESETSTAT zeroes the counters after reading itself, before its
	// reply (5 bytes) is written.
	r.expectReply("+OK\r\n", "CONFIG", "RESETSTAT")
	r.expectReply("+OK\r\n", "SET", "k", "v") // 27 bytes in, 5 out
	r.expectReply("$1\r\nv\r\n", "GET", "k")  // 20 in, 7 out
	// INFO (25 bytes in) reads the counters before its own reply is written.
	st := bulkValue(t, r.do("INFO", "stats"))
	if got, want := infoField(t, st, "total_net_input_bytes"), strconv.Itoa(27+20+25); got != want {
		t.Errorf("total_net_input_bytes = %s, want %s", got, want)
	}
	if got, want := infoField(t, st, "total_net_output_bytes"), strconv.Itoa(5+5+7); got != want {
		t.Errorf("total_net_output_bytes = %s, want %s", got, want)
	}
}

func TestCommandCountMatchesCommand(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	count := r.do("COMMAND", "COUNT")
	all := parseArrayReply(t, r.do("COMMAND"))
	if count != ":"+strconv.Itoa(len(all))+"\r\n" {
		t.Fatalf("COMMAND COUNT = %q, COMMAND has %d entries", count, len(all))
	}
	if len(all) < 50 {
		t.Fatalf("COMMAND has only %d entries", len(all))
	}
	// go-redis parses COMMAND (it does so for cluster routing).
	c := ts.client(t)
	cmds, err := c.Command(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(cmds) != len(all) {
		t.Fatalf("go-redis Command: %d entries, want %d", len(cmds), len(all))
	}
	get := cmds["get"]
	if get == nil || get.Arity != 2 || get.FirstKeyPos != 1 || get.LastKeyPos != 1 || get.StepCount != 1 || !get.ReadOnly {
		t.Fatalf("go-redis get = %+v", get)
	}
	if n, err := c.CommandList(ctx, nil).Result(); err != nil || len(n) <= len(all) {
		t.Fatalf("COMMAND LIST = %d names, %v; want more than the %d commands (subcommands too)", len(n), err, len(all))
	}
}

func TestCommandInfo(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	get := "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n" +
		"*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*0\r\n*0\r\n"
	r.expectReply("*1\r\n"+get, "COMMAND", "INFO", "get")
	r.expectReply("*1\r\n"+get, "COMMAND", "INFO", "GET")
	// An unknown name gets a null (bulk) in its place, as in Redis 7.
	r.expectReply("*2\r\n"+get+"$-1\r\n", "COMMAND", "INFO", "get", "nosuchcommand")
	r.expectReply("*1\r\n$-1\r\n", "COMMAND", "INFO", "nosuchcommand")

	c := ts.client(t)
	v, err := c.Do(ctx, "COMMAND", "INFO", "mset", "client|kill", "client").Slice()
	if err != nil || len(v) != 3 {
		t.Fatalf("COMMAND INFO = %v, %v", v, err)
	}
	mset := v[0].([]any)
	if mset[0] != "mset" || mset[1] != int64(-3) || mset[3] != int64(1) || mset[4] != int64(-1) || mset[5] != int64(2) {
		t.Errorf("mset = %v", mset)
	}
	kill := v[1].([]any)
	if kill[0] != "client|kill" || kill[1] != int64(-3) {
		t.Errorf("client|kill = %v", kill)
	}
	client := v[2].([]any)
	subs := client[9].([]any)
	if len(subs) < 8 {
		t.Errorf("client has %d subcommands: %v", len(subs), subs)
	}
	for _, s := range subs {
		if name := s.([]any)[0].(string); !strings.HasPrefix(name, "client|") {
			t.Errorf("client subcommand %q", name)
		}
	}
}

func TestCommandDocs(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	v, err := c.Do(ctx, "COMMAND", "DOCS", "set", "nosuchcommand").Slice()
	if err != nil || len(v) != 2 || v[0] != "set" {
		t.Fatalf("COMMAND DOCS set = %v, %v", v, err)
	}
	doc := helloFields(t, v[1])
	if doc["group"] != "string" || doc["since"] != "1.0.0" || doc["summary"] == "" {
		t.Errorf("set docs = %v", doc)
	}
	args, ok := doc["arguments"].([]any)
	if !ok || len(args) != 5 {
		t.Fatalf("set arguments = %#v", doc["arguments"])
	}
	first := helloFields(t, args[0])
	if first["name"] != "key" || first["type"] != "key" {
		t.Errorf("set first argument = %v", first)
	}
	// Without names: every command, subcommands nested in their container.
	all, err := c.Do(ctx, "COMMAND", "DOCS").Slice()
	if err != nil {
		t.Fatal(err)
	}
	count, _ := c.Do(ctx, "COMMAND", "COUNT").Int()
	if len(all) != 2*count {
		t.Fatalf("COMMAND DOCS has %d entries, want %d", len(all)/2, count)
	}
	for i := 0; i < len(all); i += 2 {
		if all[i] != "client" {
			continue
		}
		subs, _ := helloFields(t, all[i+1])["subcommands"].([]any)
		if len(subs) < 16 || subs[0] != "client|caching" {
			t.Errorf("client subcommands = %v", subs)
		}
	}
	r := ts.raw(t)
	r.expectReply("*0\r\n", "COMMAND", "DOCS", "nosuchcommand")
}

func TestCommandList(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	list := func(filter *redis.FilterBy) []string {
		t.Helper()
		names, err := c.CommandList(ctx, filter).Result()
		if err != nil {
			t.Fatal(err)
		}
		return names
	}
	all := list(nil)
	for _, want := range []string{"get", "set", "client", "client|kill", "command|docs", "config|set", "multi"} {
		if !contains(all, want) {
			t.Errorf("COMMAND LIST lacks %q", want)
		}
	}
	clients := list(&redis.FilterBy{Pattern: "client*"})
	if len(clients) < 9 || !contains(clients, "client") {
		t.Errorf("PATTERN client* = %q", clients)
	}
	for _, n := range clients {
		if !strings.HasPrefix(n, "client") {
			t.Errorf("PATTERN client* matched %q", n)
		}
	}
	if got := list(&redis.FilterBy{Pattern: "?et"}); !contains(got, "get") || !contains(got, "set") || len(got) != 2 {
		t.Errorf("PATTERN ?et = %q", got)
	}
	conn := list(&redis.FilterBy{ACLCat: "connection"})
	if !contains(conn, "ping") || !contains(conn, "client|setname") || contains(conn, "get") {
		t.Errorf("ACLCAT connection = %q", conn)
	}
	if got := list(&redis.FilterBy{ACLCat: "string"}); !contains(got, "get") || contains(got, "ping") {
		t.Errorf("ACLCAT string = %q", got)
	}
	if got := list(&redis.FilterBy{Module: "foo"}); len(got) != 0 {
		t.Errorf("MODULE foo = %q", got)
	}
	r := ts.raw(t)
	r.expectReply(errReply("ERR syntax error"), "COMMAND", "LIST", "FILTERBY")
	r.expectReply(errReply("ERR syntax error"), "COMMAND", "LIST", "FILTERBY", "foo", "bar")
	r.expectReply(errReply("ERR syntax error"), "COMMAND", "LIST", "FILTERBY", "PATTERN")
	r.expectReply(errReply("ERR unknown subcommand 'FOO'. Try COMMAND HELP."), "COMMAND", "FOO")
	help := parseArrayReply(t, r.do("COMMAND", "HELP"))
	for _, l := range help {
		if !strings.HasPrefix(l, "+") {
			t.Fatalf("COMMAND HELP line %q is not a status reply", l)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestConfigGet(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	get := func(pattern string) map[string]string {
		t.Helper()
		m, err := c.ConfigGet(ctx, pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := get("maxclients"); len(m) != 1 || m["maxclients"] != "10000" {
		t.Errorf("maxclients = %v", m)
	}
	if m := get("MAXCLIENTS"); m["maxclients"] != "10000" {
		t.Errorf("MAXCLIENTS = %v", m)
	}
	if m := get("max*"); m["maxclients"] != "10000" || m["maxmemory"] != "0" || m["maxmemory-policy"] != "allkeys-s3fifo" || m["maxmemory-samples"] != "5" || m["maxmemory-clients"] != "0" || len(m) != 5 {
		t.Errorf("max* = %v", m)
	}
	if m := get("*max-*-len"); len(m) != 1 || m["proto-max-bulk-len"] != strconv.Itoa(512<<20) {
		t.Errorf("*max-*-len = %v", m)
	}
	if m := get("timeout"); m["timeout"] != "0" {
		t.Errorf("timeout = %v", m)
	}
	// Directives redis-benchmark and other tools read.
	if m := get("save"); len(m) != 1 || m["save"] != "" {
		t.Errorf("save = %v", m)
	}
	if m := get("appendonly"); len(m) != 1 || m["appendonly"] != "no" {
		t.Errorf("appendonly = %v", m)
	}
	all := get("*")
	for _, name := range []string{"maxclients", "timeout", "port", "bind", "requirepass", "save", "appendonly", "databases"} {
		if _, ok := all[name]; !ok {
			t.Errorf("CONFIG GET * lacks %q", name)
		}
	}
	if m := get("nosuch*"); len(m) != 0 {
		t.Errorf("nosuch* = %v", m)
	}
	// Several patterns at once; a name matched twice is listed once.
	r := ts.raw(t)
	got := parseArrayReply(t, r.do("CONFIG", "GET", "timeout", "maxclients", "time*"))
	if len(got) != 4 {
		t.Errorf("CONFIG GET timeout maxclients time* = %q", got)
	}
	r.expectReply(errReply("ERR wrong number of arguments for 'config|get' command"), "CONFIG", "GET")
	r.expectReply(errReply("ERR unknown subcommand 'FOO'. Try CONFIG HELP."), "CONFIG", "FOO")
	for _, l := range parseArrayReply(t, r.do("CONFIG", "HELP")) {
		if !strings.HasPrefix(l, "+") {
			t.Fatalf("CONFIG HELP line %q is not a status reply", l)
		}
	}
}

func TestConfigSet(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	getOne := func(name string) string {
		t.Helper()
		elems := parseArrayReply(t, r.do("CONFIG", "GET", name))
		if len(elems) != 2 {
			t.Fatalf("CONFIG GET %s = %q", name, elems)
		}
		return bulkValue(t, elems[1])
	}
	r.expectReply("+OK\r\n", "CONFIG", "SET", "maxclients", "50")
	r.expectReply("+OK\r\n", "CONFIG", "SET", "TIMEOUT", "300")
	if getOne("maxclients") != "50" || getOne("timeout") != "300" || ts.cfg.MaxClients.Load() != 50 || ts.cfg.Timeout.Load() != 300 {
		t.Fatalf("after CONFIG SET: maxclients=%s timeout=%s", getOne("maxclients"), getOne("timeout"))
	}
	r.expectReply("+OK\r\n", "CONFIG", "SET", "maxclients", "60", "timeout", "0")
	if getOne("maxclients") != "60" || getOne("timeout") != "0" {
		t.Fatal("multi-pair CONFIG SET not applied")
	}
	r.expectReply("+OK\r\n", "CONFIG", "SET", "proto-max-bulk-len", "2mb")
	if got := getOne("proto-max-bulk-len"); got != strconv.Itoa(2<<20) {
		t.Errorf("proto-max-bulk-len = %s", got)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"port", "1234"}, "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"},
		{[]string{"PORT", "1234"}, "ERR CONFIG SET failed (possibly related to argument 'PORT') - can't set immutable config"},
		{[]string{"shards", "2"}, "ERR CONFIG SET failed (possibly related to argument 'shards') - can't set immutable config"},
		{[]string{"maxclients", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"},
		{[]string{"maxclients", "0"}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 4294967295 inclusive"},
		{[]string{"timeout", "-1"}, "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive"},
		{[]string{"proto-max-bulk-len", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be a memory value"},
		{[]string{"proto-max-bulk-len", "1"}, "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - argument must be between 1048576 and 9223372036854775807 inclusive"},
		{[]string{"nosuch", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"},
		// Atomic: one bad pair and nothing changes. Names are checked
		// before values, unknown names before everything else.
		{[]string{"timeout", "7", "maxclients", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"},
		{[]string{"timeout", "abc", "port", "1"}, "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"},
		{[]string{"port", "1", "nosuch", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"},
		{[]string{"timeout", "7", "nosuch", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"},
		{[]string{"timeout", "7", "TIMEOUT", "8"}, "ERR CONFIG SET failed (possibly related to argument 'TIMEOUT') - duplicate parameter"},
		{[]string{"timeout"}, "ERR wrong number of arguments for 'config|set' command"},
		{[]string{"timeout", "1", "maxclients"}, "ERR wrong number of arguments for 'config|set' command"},
	} {
		r.expectReply(errReply(tc.want), append([]string{"CONFIG", "SET"}, tc.args...)...)
	}
	if getOne("maxclients") != "60" || getOne("timeout") != "0" || getOne("port") != strconv.Itoa(ts.cfg.Port) {
		t.Fatalf("a failed CONFIG SET changed something: maxclients=%s timeout=%s", getOne("maxclients"), getOne("timeout"))
	}

	// requirepass set at run time applies to new connections.
	r.expectReply("+OK\r\n", "CONFIG", "SET", "requirepass", "pw")
	ts.raw(t).expectReply(errReply("NOAUTH Authentication required."), "PING")
	r.expectReply("+PONG\r\n", "PING") // already-authenticated connections stay so
	r.expectReply("+OK\r\n", "CONFIG", "SET", "requirepass", "")

	c := ts.client(t)
	if err := c.ConfigSet(ctx, "maxclients", "70").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "port", "1").Err(); err == nil || !strings.Contains(err.Error(), "can't set immutable config") {
		t.Fatalf("go-redis CONFIG SET port: %v", err)
	}
}

func TestConfigRewriteAndResetstat(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.expectReply(errReply("ERR The server is running without a config file"), "CONFIG", "REWRITE")
	r.expectReply(errReply("ERR wrong number of arguments for 'config|resetstat' command"), "CONFIG", "RESETSTAT", "x")
	c := ts.client(t)
	c.Get(ctx, "missing")
	if err := c.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if v := infoField(t, c.Info(ctx, "stats").Val(), "keyspace_misses"); v != "0" {
		t.Errorf("keyspace_misses after RESETSTAT = %s", v)
	}
}

func TestTime(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	before := time.Now()
	got, err := c.Time(ctx).Result()
	after := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if got.Before(before.Add(-time.Second)) || got.After(after.Add(time.Second)) {
		t.Fatalf("TIME = %v, want between %v and %v", got, before, after)
	}
	r := ts.raw(t)
	elems := parseArrayReply(t, r.do("TIME"))
	if len(elems) != 2 {
		t.Fatalf("TIME = %q", elems)
	}
	if us, err := strconv.Atoi(bulkValue(t, elems[1])); err != nil || us < 0 || us >= 1e6 {
		t.Fatalf("TIME microseconds = %q", elems[1])
	}
	r.expectReply(errReply("ERR wrong number of arguments for 'time' command"), "TIME", "x")
}

func TestMemoryUsage(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	c.Set(ctx, "small", "v", 0)
	c.Set(ctx, "large", strings.Repeat("x", 10000), 0)
	small, err := c.MemoryUsage(ctx, "small").Result()
	if err != nil || small <= int64(len("small")+1) {
		t.Fatalf("MEMORY USAGE small = %d, %v", small, err)
	}
	large, err := c.MemoryUsage(ctx, "large", 5).Result()
	if err != nil || large < 10000 || large > 10000*2 {
		t.Fatalf("MEMORY USAGE large = %d, %v", large, err)
	}
	if err := c.MemoryUsage(ctx, "missing").Err(); err != redis.Nil {
		t.Fatalf("MEMORY USAGE missing: %v, want nil", err)
	}
	r := ts.raw(t)
	r.expectReply("$-1\r\n", "MEMORY", "USAGE", "missing")
	r.expectReply(errReply("ERR syntax error"), "MEMORY", "USAGE", "small", "foo")
	r.expectReply(errReply("ERR value is not an integer or out of range"), "MEMORY", "USAGE", "small", "SAMPLES", "x")
	r.expectReply(errReply("ERR wrong number of arguments for 'memory|usage' command"), "MEMORY", "USAGE")
	r.expectReply(errReply("ERR unknown subcommand 'doctorx'. Try MEMORY HELP."), "MEMORY", "doctorx")
	for _, l := range parseArrayReply(t, r.do("MEMORY", "HELP")) {
		if !strings.HasPrefix(l, "+") {
			t.Fatalf("MEMORY HELP line %q is not a status reply", l)
		}
	}
}

func TestMaxClients(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.MaxClients.Store(2) })
	a, b := ts.raw(t), ts.raw(t)
	a.expectReply("+PONG\r\n", "PING")
	b.expectReply("+PONG\r\n", "PING")
	third := ts.raw(t)
	if got := third.line(); got != "-ERR max number of clients reached" {
		t.Fatalf("third connection got %q", got)
	}
	if !third.closed() {
		t.Fatal("third connection left open")
	}
	a.expectReply("+PONG\r\n", "PING")
	if got := infoField(t, bulkValue(t, a.do("INFO", "stats")), "rejected_connections"); got != "1" {
		t.Errorf("rejected_connections = %s", got)
	}
	// A freed slot can be taken again.
	b.conn.Close()
	waitClients(t, ts, 1)
	d := ts.raw(t)
	d.expectReply("+PONG\r\n", "PING")
	// Raising the limit at run time lets more in.
	a.expectReply("+OK\r\n", "CONFIG", "SET", "maxclients", "3")
	e := ts.raw(t)
	e.expectReply("+PONG\r\n", "PING")
}

// TestIdleTimeout is the one test that waits in real time: CONFIG SET
// timeout 1 must close idle clients, both those already waiting for input
// and new ones, while a busy client stays. How soon after the second is
// up they go depends on the machine's load, so only closed() bounds it.
func TestIdleTimeout(t *testing.T) {
	ts := startServer(t)
	idleBefore := ts.raw(t)
	idleBefore.expectReply("+PONG\r\n", "PING")
	admin := ts.raw(t)
	admin.expectReply("+OK\r\n", "CONFIG", "SET", "timeout", "1")
	start := time.Now()
	idleAfter := ts.raw(t)
	idleAfter.expectReply("+PONG\r\n", "PING")

	busy := ts.raw(t)
	done := make(chan bool)
	go func() {
		for time.Since(start) < 1500*time.Millisecond {
			if _, err := busy.conn.Write([]byte(respCommand("PING"))); err != nil {
				done <- false
				return
			}
			busy.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			if reply, err := readRESP(busy.rd); err != nil || reply != "+PONG\r\n" {
				done <- false
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		done <- true
	}()

	for name, r := range map[string]*rawConn{"idle before CONFIG SET": idleBefore, "idle after CONFIG SET": idleAfter} {
		if !r.closed() {
			t.Errorf("%s: still open after %v", name, time.Since(start))
		}
	}
	if !<-done {
		t.Error("a busy client was closed")
	}

	// timeout 0 turns it off again, for clients already waiting for
	// input under the old timeout too. (admin went idle and is gone.)
	waiting, c := ts.raw(t), ts.raw(t)
	waiting.expectReply("+PONG\r\n", "PING")
	time.Sleep(100 * time.Millisecond) // let it block in its next read
	c.expectReply("+OK\r\n", "CONFIG", "SET", "timeout", "0")
	time.Sleep(1200 * time.Millisecond)
	waiting.expectReply("+PONG\r\n", "PING")
	c.expectReply("+PONG\r\n", "PING")
}

// portOf returns the port of a host:port address.
func portOf(t testing.TB, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return port
}
