package protocol

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// runTool runs a Redis program against the test server and returns its
// stdout and stderr.
func runTool(t *testing.T, limit time.Duration, stdin string, name string, args ...string) (string, string) {
	t.Helper()
	bin := servertest.RequireTool(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Stdin = strings.NewReader(stdin)
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v\nstdout:\n%s\nstderr:\n%s", name, args, err, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

func TestRedisCLI(t *testing.T) {
	servertest.RequireTool(t, "redis-cli")
	ts := startServer(t)
	port := portOf(t, ts.addr)
	cli := func(stdin string, args ...string) string {
		t.Helper()
		out, errOut := runTool(t, 10*time.Second, stdin, "redis-cli", append([]string{"-h", "127.0.0.1", "-p", port}, args...)...)
		if errOut != "" {
			t.Errorf("redis-cli %q wrote to stderr: %q", args, errOut)
		}
		return out
	}
	expect := func(want string, args ...string) {
		t.Helper()
		if got := cli("", args...); got != want {
			t.Errorf("redis-cli %s:\n got %q\nwant %q", strings.Join(args, " "), got, want)
		}
	}

	expect("OK\n", "set", "greeting", "hello", "ex", "60")
	expect("hello\n", "get", "greeting")
	if ttl, err := ts.client(t).TTL(ctx, "greeting").Result(); err != nil || ttl != time.Minute {
		t.Errorf("TTL greeting = %v, %v", ttl, err)
	}

	// The formatting redis-cli uses on a terminal, forced with --no-raw.
	expect("(integer) 1\n", "--no-raw", "incr", "counter")
	expect("(nil)\n", "--no-raw", "get", "missing")
	expect("\"hello\"\n", "--no-raw", "get", "greeting")
	expect("1) \"hello\"\n2) (nil)\n", "--no-raw", "mget", "greeting", "missing")
	expect("(empty array)\n", "--no-raw", "keys", "nomatch*")
	expect("(error) ERR syntax error\n", "--no-raw", "set", "k", "v", "badopt")
	expect("(error) ERR unknown command 'nosuch', with args beginning with: 'x' \n", "--no-raw", "nosuch", "x")
	expect("PONG\n", "--no-raw", "ping")
	expect("(integer) -2\n", "--no-raw", "ttl", "missing")

	// COMMAND DOCS, which redis-cli reads for its hints, renders whole.
	docs := cli("", "COMMAND", "DOCS", "get")
	for _, want := range []string{"get\n", "summary\n", "since\n1.0.0\n", "group\nstring\n", "arguments\n", "name\nkey\ntype\nkey\n"} {
		if !strings.Contains(docs, want) {
			t.Errorf("COMMAND DOCS get lacks %q:\n%s", want, docs)
		}
	}
	if docs := cli("", "--no-raw", "COMMAND", "DOCS", "set"); !strings.Contains(docs, "\"arguments\"") || !strings.Contains(docs, "\"KEEPTTL\"") {
		t.Errorf("COMMAND DOCS set:\n%s", docs)
	}

	// A session piped on stdin, as in `redis-cli < script`.
	session := "set a 1\nincr a\nincrby a 10\nget a\nmget a missing\nappend a x\nget a\nping\nexists a missing\ndel a\nget a\n"
	if got, want := cli(session), "OK\n2\n12\n12\n12\n\n3\n12x\nPONG\n1\n1\n\n"; got != want {
		t.Errorf("piped session:\n got %q\nwant %q", got, want)
	}
	// The same through a MULTI block, and errors in the stream.
	session = "multi\nset b 1\nincr b\nexec\nincr greeting\nget b\n"
	if got, want := cli(session), "OK\nQUEUED\nQUEUED\nOK\n2\nERR value is not an integer or out of range\n\n2\n"; got != want {
		t.Errorf("piped MULTI session:\n got %q\nwant %q", got, want)
	}
	// --pipe mode sends raw protocol and reports the replies it counted.
	var pipe strings.Builder
	for i := 0; i < 100; i++ {
		pipe.WriteString(respCommand("SET", "pipe:"+string(rune('a'+i%26))+strings.Repeat("x", i), "v"))
	}
	if out := cli(pipe.String(), "--pipe"); !strings.Contains(out, "errors: 0, replies: 100") {
		t.Errorf("--pipe: %q", out)
	}
	// --scan walks the whole keyspace.
	keys := strings.Fields(cli("", "--scan", "--pattern", "pipe:*"))
	if len(keys) != 100 {
		t.Errorf("--scan found %d pipe:* keys, want 100", len(keys))
	}
}

func TestRedisBenchmark(t *testing.T) {
	servertest.RequireTool(t, "redis-benchmark")
	ts := startServer(t)
	port := portOf(t, ts.addr)
	const requests = 2000 // per test
	out, errOut := runTool(t, 60*time.Second, "", "redis-benchmark",
		"-h", "127.0.0.1", "-p", port, "-t", "set,get,incr,mset", "-n", strconv.Itoa(requests), "-q")
	if errOut != "" {
		t.Errorf("redis-benchmark wrote to stderr:\n%s", errOut)
	}
	// With -q it prints one summary line per test, after progress lines
	// that it overwrites with \r.
	lines := map[string]string{}
	summary := regexp.MustCompile(`^([A-Z]+)(?: \(\d+ keys\))?: [0-9.]+ requests per second`)
	for _, l := range strings.FieldsFunc(out, func(r rune) bool { return r == '\n' || r == '\r' }) {
		if m := summary.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			lines[m[1]] = l
		}
	}
	for _, test := range []string{"SET", "GET", "INCR", "MSET"} {
		if _, ok := lines[test]; !ok {
			t.Errorf("no requests-per-second line for %s in:\n%s", test, out)
		}
	}
	if strings.Contains(strings.ToLower(out), "error") {
		t.Errorf("redis-benchmark output mentions an error:\n%s", out)
	}

	// What it wrote is there: without -r every key is the literal
	// placeholder name.
	c := ts.client(t)
	if n, err := c.Exists(ctx, "key:__rand_int__").Result(); err != nil || n != 1 {
		t.Errorf("EXISTS key:__rand_int__ = %d, %v", n, err)
	}
	if v, err := c.Get(ctx, "counter:__rand_int__").Result(); err != nil || v != strconv.Itoa(requests) {
		t.Errorf("GET counter:__rand_int__ = %q, %v; want %d (one INCR per request)", v, err, requests)
	}
	if v, err := c.Get(ctx, "key:__rand_int__").Result(); err != nil || len(v) != 3 {
		t.Errorf("GET key:__rand_int__ = %q, %v; want the 3-byte default payload", v, err)
	}
}
