package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/bench/internal/reporttest"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

func TestMain(m *testing.M) { servertest.Main(m) }

// servers is cachesrv and, if installed, redis-server; without it the
// tests run cachesrv alone, unless CACHESRV_REQUIRE_REDIS_TOOLS=1.
func servers(t *testing.T) []string {
	t.Helper()
	if !servertest.HaveTool(t, "redis-server") {
		t.Log("redis-server not found: cachesrv only")
		return []string{cachesrvName}
	}
	return []string{cachesrvName, redisName}
}

// runQuick runs membench -quick with args and returns its exit status,
// stdout, stderr and output directory.
func runQuick(t *testing.T, names []string, args ...string) (code int, stdout, stderr, dir string) {
	t.Helper()
	dir = t.TempDir()
	var out, errb bytes.Buffer
	srv := strings.Join(names, ",")
	code = run(append([]string{"-quick", "-cachesrv-bin", servertest.Cachesrv(t), "-servers", srv, "-out", dir}, args...), &out, &errb)
	return code, out.String(), errb.String(), dir
}

func num(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return n
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%q: %v", s, err)
	}
	return f
}

func TestBytes(t *testing.T) {
	names := servers(t)
	code, out, errb, dir := runQuick(t, names, "-mode", "bytes")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errb)
	}
	header, rows := reporttest.Check(t, dir, "membench-bytes")
	if len(rows) != len(names) {
		t.Fatalf("%d rows, want %d", len(rows), len(names))
	}
	col := func(name string) int { return reporttest.Column(t, header, name) }
	for i, r := range rows {
		if r[col("server")] != names[i] {
			t.Errorf("row %d is %s, want %s", i, r[col("server")], names[i])
		}
		if n := num(t, r[col("dbsize")]); n != 20000 {
			t.Errorf("%s: DBSIZE %d, want 20000", names[i], n)
		}
		empty, loaded := num(t, r[col("rss_empty_bytes")]), num(t, r[col("rss_loaded_bytes")])
		if empty < 1<<20 || loaded <= empty {
			t.Errorf("%s: RSS %d empty, %d loaded", names[i], empty, loaded)
		}
		// A key holds a 100-byte value and a 9-byte name; nothing stores
		// that in less, nor needs 100 times as much.
		for _, c := range []string{"bytes_per_key_loaded", "bytes_per_key_settled"} {
			if b := atof(t, r[col(c)]); b <= 100+9 || b > 10000 {
				t.Errorf("%s: %s = %v", names[i], c, b)
			}
		}
		// Loading 20k keys grows cachesrv's heap past its first GC goals:
		// no cycle means no gctrace lines were found.
		if names[i] == cachesrvName && (r[col("gc_cycles")] == "" || num(t, r[col("gc_cycles")]) == 0) {
			t.Errorf("cachesrv: no GC cycles seen: %v", r)
		}
	}
	if !strings.Contains(out, "Memory for 20k keys (key:%d, 100 B values)") {
		t.Errorf("no table:\n%s", out)
	}
	if len(names) == 2 && !strings.Contains(out, "cachesrv / redis-server") {
		t.Errorf("no ratio table:\n%s", out)
	}
	if !strings.Contains(errb, "loaded 20k keys of 100 B into cachesrv") || !strings.Contains(errb, "[1/") {
		t.Errorf("no progress on stderr:\n%s", errb)
	}
}

func TestLatency(t *testing.T) {
	names := servers(t)
	code, out, errb, dir := runQuick(t, names, "-mode", "latency")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errb)
	}
	header, rows := reporttest.Check(t, dir, "membench-latency")
	if len(rows) != 2*len(names) {
		t.Fatalf("%d rows, want %d", len(rows), 2*len(names))
	}
	col := func(name string) int { return reporttest.Column(t, header, name) }
	for _, r := range rows {
		who := r[col("server")] + " " + r[col("keys")]
		if r[col("keys")] != r[col("dbsize")] {
			t.Errorf("%s: DBSIZE %s", who, r[col("dbsize")])
		}
		// 2000 GET/s for 2 s; on a busy machine a few may still be
		// queued when the window closes.
		if n := num(t, r[col("gets")]); n < 2000 || n > 4100 {
			t.Errorf("%s: %d GETs in 2 s at 2000/s", who, n)
		}
		if r[col("errors")] != "0" || r[col("misses")] != "0" {
			t.Errorf("%s: %s errors, %s misses", who, r[col("errors")], r[col("misses")])
		}
		for _, prefix := range []string{"", "svc_"} {
			var last int64
			for _, q := range []string{"p50_us", "p99_us", "p999_us", "max_us"} {
				v := num(t, r[col(prefix+q)])
				if v < last || v <= 0 {
					t.Errorf("%s: %s%s = %d after %d", who, prefix, q, v, last)
				}
				last = v
			}
		}
		// Counted from the scheduled time, latency is at least the
		// service time.
		if num(t, r[col("p50_us")]) < num(t, r[col("svc_p50_us")]) {
			t.Errorf("%s: p50 below the service p50", who)
		}
		hasGC := r[col("gc_load_cycles")] != "" && r[col("gc_steady_cycles")] != ""
		if hasGC != (r[col("server")] == cachesrvName) {
			t.Errorf("%s: GC columns %q %q", who, r[col("gc_load_cycles")], r[col("gc_steady_cycles")])
		}
	}
	if !strings.Contains(out, "p99.9 with 20k keys / with 1k keys") {
		t.Errorf("no p99.9 ratio table:\n%s", out)
	}
}

// TestChurn runs the churn mode. A cachesrv without --maxmemory must be
// reported as refusing it, with exit status 1, while redis-server still
// runs; one with it must run like redis-server.
func TestChurn(t *testing.T) {
	names := servers(t)
	help, _ := exec.Command(servertest.Cachesrv(t), "--help").CombinedOutput()
	hasMaxmemory := bytes.Contains(help, []byte("--maxmemory "))
	code, out, errb, dir := runQuick(t, names, "-mode", "churn")
	running := names
	if hasMaxmemory {
		if code != 0 {
			t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errb)
		}
	} else {
		if code != 1 {
			t.Fatalf("exit %d for a cachesrv without --maxmemory, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errb)
		}
		for _, want := range []string{"PROBLEM: churn, cachesrv: cachesrv exited at start", "flag provided but not defined: -maxmemory"} {
			if !strings.Contains(out, want) || !strings.Contains(errb, want) {
				t.Errorf("stdout or stderr lacks %q\nstdout:\n%s\nstderr:\n%s", want, out, errb)
			}
		}
		running = names[1:]
		if len(running) == 0 {
			return
		}
	}
	header, rows := reporttest.Check(t, dir, "membench-churn")
	col := func(name string) int { return reporttest.Column(t, header, name) }
	last := map[string][]string{}
	for _, r := range rows {
		s := r[col("server")]
		if p := last[s]; p != nil && atof(t, r[col("t_s")]) <= atof(t, p[col("t_s")]) {
			t.Errorf("%s: samples out of order: %v after %v", s, r, p)
		}
		last[s] = r
		if num(t, r[col("rss_bytes")]) < num(t, r[col("base_rss_bytes")])/2 {
			t.Errorf("%s: RSS below half the base: %v", s, r)
		}
		if r[col("maxmemory_bytes")] != "16777216" {
			t.Errorf("%s: maxmemory %s, want 16mb", s, r[col("maxmemory_bytes")])
		}
	}
	for _, s := range running {
		r := last[s]
		if r == nil {
			t.Fatalf("no samples for %s", s)
		}
		// 3 s of writes as fast as it goes, of 64..1024-byte values into
		// 16 MiB: the server must have evicted (or refused) some.
		if num(t, r[col("sets")]) < 20000 {
			t.Errorf("%s: only %s SETs", s, r[col("sets")])
		}
		if num(t, r[col("evicted_keys")]) == 0 && num(t, r[col("errors")]) == 0 {
			t.Errorf("%s: nothing evicted or refused: %v", s, r)
		}
		if used := num(t, r[col("used_memory_bytes")]); used <= 0 || used > 2*16<<20 {
			t.Errorf("%s: used_memory %d with maxmemory 16 MiB", s, used)
		}
	}
	if !strings.Contains(out, "RSS under 3s of SETs with random TTLs, maxmemory 16mb") {
		t.Errorf("no table:\n%s", out)
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-mode", "rss"}, {"-servers", "memcached"}, {"-maxmemory", "lots"}, {"-maxmemory", "0"},
		{"-sizes", "0"}, {"-rate", "0"}, {"-churn-value-min", "100", "-churn-value-max", "10"}, {"-ttl-min", "0s"},
	} {
		var out, errb bytes.Buffer
		if code := run(append(args, "-out", t.TempDir(), "-cachesrv-bin", "/nonexistent"), &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
}

func TestGCTrace(t *testing.T) {
	// Real gctrace output: cachesrv under redis-benchmark SETs, between
	// two of its log lines, and a small allocating program whose last
	// cycle is runtime.GC().
	path := filepath.Join("testdata", "gctrace-cachesrv.log")
	all, err := gcTraceFile(path, []int64{1 << 40})
	if err != nil {
		t.Fatal(err)
	}
	s := all[0]
	if s.cycles != 5 || s.maxPause.Milliseconds() != 29 || s.maxHeapLive != 37 || s.maxGoal != 45 {
		t.Errorf("stats %+v", s)
	}
	// 0.85+0.019, 0.86+0.019, 0.42+0.019, 29+0.16, 21+0.003 ms
	if got, want := s.totalPause.Microseconds(), int64(850+19+860+19+420+19+29000+160+21000+3); got != want {
		t.Errorf("total pause %dµs, want %d", got, want)
	}

	// Split at the start of the "gc 4" line: 3 cycles, then 2.
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cut := int64(bytes.Index(data, []byte("gc 4 ")))
	ph := gcTrace(bytes.NewReader(data), []int64{cut, int64(len(data))})
	if ph[0].cycles != 3 || ph[1].cycles != 2 || ph[0].maxPause.Microseconds() != 860 || ph[1].maxPause.Milliseconds() != 29 {
		t.Errorf("phases %+v", ph)
	}
	// A bound inside a line gives the line to the phase it started in.
	ph = gcTrace(bytes.NewReader(data), []int64{cut + 5, int64(len(data))})
	if ph[0].cycles != 4 || ph[1].cycles != 1 {
		t.Errorf("bound inside a line: phases %+v", ph)
	}

	f, err := os.Open(filepath.Join("testdata", "gctrace-alloc.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cycles []gcCycle
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		c, ok := parseGCLine(sc.Text())
		if !ok {
			t.Fatalf("not parsed: %q", sc.Text())
		}
		cycles = append(cycles, c)
	}
	if len(cycles) != 13 {
		t.Fatalf("%d cycles, want 13", len(cycles))
	}
	c := cycles[2] // gc 3 @0.012s 2%: 0.029+75+0.28 ms clock, ..., 8->9->8 MB, 9 MB goal
	if c.n != 3 || c.at.Milliseconds() != 12 || c.stw1.Microseconds() != 29 || c.mark.Milliseconds() != 75 ||
		c.stw2.Microseconds() != 280 || c.heapStart != 8 || c.heapLive != 8 || c.goal != 9 || c.forced {
		t.Errorf("gc 3: %+v", c)
	}
	if !cycles[12].forced || cycles[11].forced {
		t.Errorf("forced: %v %v", cycles[11].forced, cycles[12].forced)
	}
	for _, l := range []string{"", "gc", "gc 1 @0.1s", `time=2026-11-27 level=INFO msg="gc 1 @0.518s 0%: x"`} {
		if _, ok := parseGCLine(l); ok {
			t.Errorf("parsed %q", l)
		}
	}
}

func TestParseMemory(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "12345": 12345, "256mb": 256 << 20, "256MB": 256 << 20, "1gb": 1 << 30, "100m": 100e6,
		"2k": 2000, "2kb": 2048, "3g": 3e9, "512b": 512,
	} {
		if got, err := parseMemory(in); err != nil || got != want {
			t.Errorf("parseMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "mb", "-1mb", "1.5gb", "10tb", "99999999999gb"} {
		if got, err := parseMemory(in); err == nil {
			t.Errorf("parseMemory(%q) = %d, want an error", in, got)
		}
	}
}

func TestRejectionReason(t *testing.T) {
	// What redis-server 7.0 and cachesrv print for a flag they refuse.
	redisPolicy := "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 4\n>>> 'maxmemory-policy \"bogus\"'\n" +
		"argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction\n"
	redisUnknown := "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'bogusflag \"1\"'\nBad directive or wrong number of arguments\n"
	cachesrvUnknown := "flag provided but not defined: -maxmemory\nUsage: cachesrv [flags]\n\nA sharded in-memory cache server speaking the Redis protocol.\n"
	cachesrvBad := "invalid value \"3\" for flag -shards: must be a power of two between 1 and 65536, got \"3\"\nUsage: cachesrv [flags]\n"
	for log, want := range map[string]string{
		redisPolicy:     `'maxmemory-policy "bogus"': argument(s) must be one of the following: volatile-lru`,
		redisUnknown:    `'bogusflag "1"': Bad directive or wrong number of arguments`,
		cachesrvUnknown: "flag provided but not defined: -maxmemory",
		cachesrvBad:     `invalid value "3" for flag -shards`,
		"":              "no message",
	} {
		if got := rejectionReason(log); !strings.HasPrefix(got, want) {
			t.Errorf("rejectionReason(%q) = %q, want it to start with %q", log, got, want)
		}
	}
}

func TestAppendKey(t *testing.T) {
	got := string(resp.AppendCommand(appendKey(nil, 0), []byte("SET"), appendKey(nil, 1234567), []byte("vv")))
	if want := "key:0*3\r\n$3\r\nSET\r\n$11\r\nkey:1234567\r\n$2\r\nvv\r\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
