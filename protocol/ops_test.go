package protocol

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/redis/go-redis/v9"
)

// slowlogEntry is one SLOWLOG GET entry as go-redis returns it.
func slowlogEntries(t *testing.T, c *redis.Client, count int) [][]any {
	t.Helper()
	v, err := c.Do(ctx, "SLOWLOG", "GET", count).Slice()
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]any, len(v))
	for i, e := range v {
		out[i] = e.([]any)
	}
	return out
}

func entryArgs(e []any) []string {
	var out []string
	for _, a := range e[3].([]any) {
		out = append(out, a.(string))
	}
	return out
}

// TestSlowlog: entries as Redis 7 makes them (id, time, microseconds,
// arguments trimmed to 32 and 128 bytes, passwords redacted, address,
// name), newest first, bounded by slowlog-max-len, EXEC (skip_slowlog)
// left out but the commands it runs logged, -1 turning it off.
func TestSlowlog(t *testing.T) {
	ts := startServer(t)
	c := oneConn(t, ts)
	if n, err := c.Do(ctx, "SLOWLOG", "LEN").Int(); err != nil || n != 0 {
		t.Fatalf("SLOWLOG LEN at start = %d, %v", n, err)
	}
	must(t, c.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err())
	must(t, c.Do(ctx, "SLOWLOG", "RESET").Err())
	must(t, c.Do(ctx, "CLIENT", "SETNAME", "ops").Err())
	del := []any{"DEL"}
	for i := range 40 {
		del = append(del, fmt.Sprint(i))
	}
	must(t, c.Do(ctx, del...).Err())
	must(t, c.Set(ctx, "k", strings.Repeat("a", 200), 0).Err())
	// A failed AUTH makes go-redis drop its connection: these go on one
	// of their own, with no name.
	raw := ts.raw(t)
	raw.send("*3\r\n$4\r\nAUTH\r\n$6\r\nnobody\r\n$6\r\nsecret\r\n")
	raw.line()
	raw.send("*5\r\n$5\r\nHELLO\r\n$1\r\n2\r\n$4\r\nAUTH\r\n$6\r\nnobody\r\n$6\r\nsecret\r\n")
	raw.line()
	multiExec(t, c)

	entries := slowlogEntries(t, c, -1)
	var got [][]string
	for i, e := range entries {
		if len(e) != 6 {
			t.Fatalf("entry %d has %d fields: %v", i, len(e), e)
		}
		if i > 0 && e[0].(int64) >= entries[i-1][0].(int64) {
			t.Errorf("ids not newest first: %v then %v", entries[i-1][0], e[0])
		}
		if at := e[1].(int64); at < time.Now().Add(-time.Minute).Unix() || at > time.Now().Add(time.Minute).Unix() {
			t.Errorf("entry %d time %d", i, at)
		}
		if e[2].(int64) < 0 {
			t.Errorf("entry %d duration %d", i, e[2])
		}
		// The name is the client's after the command: none before SETNAME
		// and on the connection that tried AUTH.
		if name := e[5].(string); name != "ops" && i < len(entries)-1 && !strings.Contains(fmt.Sprint(e[3]), "redacted") {
			t.Errorf("entry %d client name %q", i, e[5])
		}
		if !strings.HasPrefix(e[4].(string), "127.0.0.1:") {
			t.Errorf("entry %d client address %q", i, e[4])
		}
		got = append(got, entryArgs(e))
	}
	delWant := []string{"DEL"}
	for i := range 30 {
		delWant = append(delWant, fmt.Sprint(i))
	}
	delWant = append(delWant, "... (10 more arguments)")
	want := [][]string{
		{"INCR", "n"}, {"MULTI"}, // EXEC is not logged; what it ran is
		{"HELLO", "2", "AUTH", "(redacted)", "(redacted)"},
		{"AUTH", "(redacted)", "(redacted)"},
		{"set", "k", strings.Repeat("a", 128) + "... (72 more bytes)"},
		delWant,
		{"CLIENT", "SETNAME", "ops"},
		{"SLOWLOG", "RESET"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("SLOWLOG GET -1:\n got %q\nwant %q", got, want)
	}
	if e := slowlogEntries(t, c, 2); len(e) != 2 || fmt.Sprint(entryArgs(e[0])) != "[SLOWLOG GET -1]" {
		t.Errorf("SLOWLOG GET 2 = %v", e)
	}
	if e := slowlogEntries(t, c, 0); len(e) != 0 {
		t.Errorf("SLOWLOG GET 0 = %v", e)
	}

	must(t, c.ConfigSet(ctx, "slowlog-max-len", "3").Err())
	if n, _ := c.Do(ctx, "SLOWLOG", "LEN").Int(); n != 3 {
		t.Errorf("SLOWLOG LEN after slowlog-max-len 3 = %d", n)
	}
	must(t, c.ConfigSet(ctx, "slowlog-log-slower-than", "-1").Err())
	must(t, c.Do(ctx, "SLOWLOG", "RESET").Err())
	c.Ping(ctx)
	if n, _ := c.Do(ctx, "SLOWLOG", "LEN").Int(); n != 0 {
		t.Errorf("SLOWLOG LEN with slowlog-log-slower-than -1 = %d", n)
	}
}

// TestSlowlogMeasuresWithoutLatencyTracking: a slow command is logged
// with its duration even when latency-tracking is off, and a fast one is
// not logged under a high threshold.
func TestSlowlogMeasuresWithoutLatencyTracking(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.LatencyTracking.Store(false) })
	c := ts.client(t)
	must(t, c.ConfigSet(ctx, "slowlog-log-slower-than", "1000").Err())
	// DEBUG SLEEP takes at least its time however loaded the machine,
	// and not much more (a busy loop in Lua took over go-redis's read
	// timeout under -race on a loaded machine).
	must(t, c.Do(ctx, "DEBUG", "SLEEP", "0.005").Err())
	entries := slowlogEntries(t, c, 10)
	if len(entries) != 1 || !strings.EqualFold(entryArgs(entries[0])[0], "debug") {
		t.Fatalf("SLOWLOG GET after a slow command: %v", entries)
	}
	if us := entries[0][2].(int64); us < 1000 {
		t.Errorf("logged duration %d µs, threshold 1000", us)
	}
	must(t, c.ConfigSet(ctx, "slowlog-log-slower-than", "10000000").Err())
	must(t, c.Do(ctx, "SLOWLOG", "RESET").Err())
	c.Ping(ctx)
	if n, _ := c.Do(ctx, "SLOWLOG", "LEN").Int(); n != 0 {
		t.Errorf("a PING under a 10 s threshold was logged (%d entries)", n)
	}
}

// monitorLineRE is a MONITOR line: time, [db address], arguments.
var monitorLineRE = regexp.MustCompile(`^\+\d+\.\d{6} \[0 (127\.0\.0\.1:\d+|lua)\] (.*)$`)

// monitorArgs reads MONITOR lines until one whose arguments start with
// prefix, and returns those arguments as shown.
func monitorArgs(t *testing.T, m *rawConn, prefix string) string {
	t.Helper()
	for {
		line := m.line()
		g := monitorLineRE.FindStringSubmatch(line)
		if g == nil {
			t.Fatalf("not a MONITOR line: %q", line)
		}
		if strings.HasPrefix(g[2], prefix) {
			return g[1] + " " + g[2]
		}
	}
}

// TestMonitor: every command that runs is streamed as Redis shows it,
// arguments quoted as sdscatrepr does, passwords redacted, a
// transaction's commands before its EXEC, EVAL ahead of its script's
// calls ("lua"), administrative commands not shown; in RESP3 too.
func TestMonitor(t *testing.T) {
	ts := startServer(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			m := ts.raw(t)
			if proto == 3 {
				m.send("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
				for !strings.HasPrefix(m.line(), "*0") { // the map's last value: modules
				}
			}
			m.send("*1\r\n$7\r\nMONITOR\r\n")
			if l := m.line(); l != "+OK" {
				t.Fatalf("MONITOR: %q", l)
			}
			m.send("*1\r\n$7\r\nMONITOR\r\n") // a second one is ignored, without a reply
			c := oneConn(t, ts)
			if list := ts.client(t).ClientList(ctx).Val(); !strings.Contains(list, " flags=O ") {
				t.Errorf("CLIENT LIST shows no monitor (flags=O):\n%s", list)
			}
			must(t, c.Set(ctx, "a b", "x\ny\"\\\x01\xff\t", 0).Err())
			must(t, c.ConfigGet(ctx, "maxmemory").Err()) // admin: not shown
			raw := ts.raw(t)
			raw.send("*3\r\n$4\r\nAUTH\r\n$6\r\nnobody\r\n$6\r\nsecret\r\n")
			raw.line()
			multiExec(t, c)
			if err := c.Eval(ctx, "return redis.call('get', KEYS[1])", []string{"k"}).Err(); err != redis.Nil {
				t.Fatal(err)
			}
			must(t, c.Ping(ctx).Err())

			for i, want := range []string{
				`"set" "a b" "x\ny\"\\\x01\xff\t"`,
				`"AUTH" "(redacted)" "(redacted)"`,
				`"MULTI"`, `"INCR" "n"`, `"EXEC"`,
				`"eval" "return redis.call('get', KEYS[1])" "1" "k"`,
				`lua "get" "k"`,
				`"ping"`,
			} {
				prefix := ""
				if i == 0 {
					prefix = `"set"` // skip the client's connection setup
				}
				got := monitorArgs(t, m, prefix)
				if from, args, _ := strings.Cut(got, " "); from != "lua" {
					got = args
				}
				if got != want {
					t.Errorf("MONITOR line %q, want %q", got, want)
				}
			}
		})
	}
}

// TestMonitorSlowReaderIsClosed: a monitor that does not read never
// holds up the commands it watches; past client-output-buffer-limit's
// pubsub class it is closed.
func TestMonitorSlowReaderIsClosed(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	must(t, c.ConfigSet(ctx, "client-output-buffer-limit", "pubsub 1mb 0 0").Err())
	m := ts.raw(t)
	m.send("*1\r\n$7\r\nMONITOR\r\n")
	if l := m.line(); l != "+OK" {
		t.Fatalf("MONITOR: %q", l)
	}
	value := strings.Repeat("v", 100<<10)
	for i := range 400 { // 40 MB of lines, more than any socket buffer
		must(t, c.Set(ctx, fmt.Sprint("k", i), value, 0).Err())
	}
	// Past what the socket holds, the connection ends (EOF or reset).
	m.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, m.rd); isTimeout(err) {
		t.Fatal("the monitor that never read is still open")
	}
}

// TestLatencyMonitor: a command over latency-monitor-threshold is a
// "command" event in LATEST, HISTORY, GRAPH and DOCTOR; RESET forgets it.
func TestLatencyMonitor(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	doctor, _ := c.Do(ctx, "LATENCY", "DOCTOR").Text()
	if !strings.HasPrefix(doctor, "I'm sorry, Dave, I can't do that. Latency monitoring is disabled") {
		t.Errorf("LATENCY DOCTOR while off: %q", doctor)
	}
	must(t, c.ConfigSet(ctx, "latency-monitor-threshold", "1").Err())
	must(t, c.Do(ctx, "DEBUG", "SLEEP", "0.005").Err()) // at least 5 ms, however loaded the machine
	latest, err := c.Do(ctx, "LATENCY", "LATEST").Slice()
	if err != nil || len(latest) != 1 {
		t.Fatalf("LATENCY LATEST = %v, %v", latest, err)
	}
	e := latest[0].([]any)
	if e[0] != "command" || e[2].(int64) < 1 || e[3].(int64) < e[2].(int64) {
		t.Errorf("LATENCY LATEST entry %v", e)
	}
	hist, _ := c.Do(ctx, "LATENCY", "HISTORY", "command").Slice()
	if len(hist) != 1 || hist[0].([]any)[0] != e[1] {
		t.Errorf("LATENCY HISTORY command = %v", hist)
	}
	graph, _ := c.Do(ctx, "LATENCY", "GRAPH", "command").Text()
	if !strings.HasPrefix(graph, fmt.Sprintf("command - high %d ms, low %d ms (all time high %d ms)\n%s\n", e[2], e[2], e[3], strings.Repeat("-", 80))) {
		t.Errorf("LATENCY GRAPH command = %q", graph)
	}
	doctor, _ = c.Do(ctx, "LATENCY", "DOCTOR").Text()
	if !strings.Contains(doctor, "1. command: 1 latency spikes") {
		t.Errorf("LATENCY DOCTOR = %q", doctor)
	}
	if n, _ := c.Do(ctx, "LATENCY", "RESET", "nosuch", "command").Int(); n != 1 {
		t.Errorf("LATENCY RESET nosuch command = %d", n)
	}
	if err := c.Do(ctx, "LATENCY", "GRAPH", "command").Err(); err == nil || err.Error() != "ERR No samples available for event 'command'" {
		t.Errorf("LATENCY GRAPH after RESET: %v", err)
	}
}

// TestLatencyGraphAsRedis: the graph redis-server 7.0 drew for samples of
// 66, 34 and 17 ms taken 3, 2 and 1 s earlier.
func TestLatencyGraphAsRedis(t *testing.T) {
	got := latencyGraph("command", []latencySample{{997, 66}, {998, 34}, {999, 17}}, 66, 1000)
	want := "command - high 66 ms, low 17 ms (all time high 66 ms)\n" + strings.Repeat("-", 80) + "\n" +
		"#  \n|  \n|o \n||_\n   \n321\nsss\n"
	if got != want {
		t.Errorf("graph:\n%s\nwant:\n%s", got, want)
	}
}

// TestLatencyHistogram: Redis 7's shape, calls and a cumulative
// distribution keyed by Redis's bucket labels, for the commands named
// (all with none); commands not run and unknown names left out.
func TestLatencyHistogram(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	before := commands["set"].stats.timed() // the command table is the process's
	for range 5 {
		must(t, c.Set(ctx, "k", "v", 0).Err())
	}
	v, err := c.Do(ctx, "LATENCY", "HISTOGRAM", "set", "get", "nosuch").Slice()
	if err != nil || len(v) != 4 || v[0] != "set" || v[2] != "get" { // a map, flat in RESP2
		t.Fatalf("LATENCY HISTOGRAM set get nosuch = %v, %v", v, err)
	}
	h := v[1].([]any)
	calls := h[1].(int64)
	if h[0] != "calls" || calls < int64(before)+5 || h[2] != "histogram_usec" {
		t.Fatalf("set's histogram: %v", h)
	}
	buckets := h[3].([]any)
	labels := map[int64]bool{1: true, 2: true, 4: true, 8: true, 16: true, 33: true, 66: true, 132: true, 264: true, 528: true, 1056: true, 2113: true, 4227: true}
	last := int64(0)
	for i := 0; i < len(buckets); i += 2 {
		if l := buckets[i].(int64); l < 8454 && !labels[l] {
			t.Errorf("bucket label %d is not one of Redis's", l)
		}
		if n := buckets[i+1].(int64); n <= last {
			t.Errorf("counts not cumulative: %v", buckets)
		} else {
			last = n
		}
	}
	if last != calls {
		t.Errorf("cumulative count ends at %d, want the %d calls", last, calls)
	}
}

// oneConn is a go-redis client on one connection, so that a test sees
// every command on the same address and client name.
func oneConn(t *testing.T, ts *testServer) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, MaxRetries: -1, PoolSize: 1})
	t.Cleanup(func() { c.Close() })
	return c
}

// multiExec runs MULTI, INCR n, EXEC on c's one connection (go-redis's
// TxPipeline may take another).
func multiExec(t *testing.T, c *redis.Client) {
	t.Helper()
	must(t, c.Do(ctx, "MULTI").Err())
	must(t, c.Do(ctx, "INCR", "n").Err())
	must(t, c.Do(ctx, "EXEC").Err())
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
