package protocol

import (
	"context"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/cachesrv/cachesrv/store"
)

// shardEntries reads CACHESRV.SHARDS with go-redis into one map per shard,
// checking the reply's shape on the way: every entry a flat field/value
// array with shardFields in order, every value an integer.
func shardEntries(t *testing.T, ts *testServer) []map[string]int64 {
	t.Helper()
	rows, err := ts.client(t).Do(ctx, "CACHESRV.SHARDS").Slice()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]map[string]int64, len(rows))
	for i, r := range rows {
		kv, ok := r.([]any)
		if !ok || len(kv) != 2*len(shardFields) {
			t.Fatalf("entry %d = %#v", i, r)
		}
		out[i] = map[string]int64{}
		for j := 0; j < len(kv); j += 2 {
			name, _ := kv[j].(string)
			v, ok := kv[j+1].(int64)
			if name != shardFields[j/2] || !ok {
				t.Fatalf("entry %d field %d = %#v: %#v", i, j/2, kv[j], kv[j+1])
			}
			out[i][name] = v
		}
	}
	return out
}

func TestCachesrvShardsTable(t *testing.T) {
	ts := startServer(t) // 16 shards
	c := ts.client(t)
	for i := range 100 {
		c.Set(ctx, "key"+strconv.Itoa(i), strings.Repeat("v", i), 0)
	}
	for i := range 10 {
		c.Expire(ctx, "key"+strconv.Itoa(i), time.Hour)
	}
	rows := shardEntries(t, ts)
	if len(rows) != 16 {
		t.Fatalf("%d entries, want 16", len(rows))
	}
	var keys, expires, bytes int64
	for i, r := range rows {
		if r["shard"] != int64(i) {
			t.Errorf("entry %d says shard %d", i, r["shard"])
		}
		if r["bytes"] > r["arena_bytes"] || r["lock_contended"] > r["lock_acquisitions"] || r["lock_max_wait_usec"] > r["lock_wait_usec"] {
			t.Errorf("entry %d inconsistent: %v", i, r)
		}
		keys += r["keys"]
		expires += r["expires"]
		bytes += r["bytes"]
	}
	if keys != 100 || keys != c.DBSize(ctx).Val() || expires != 10 {
		t.Errorf("keys %d (DBSIZE %d), expires %d; want 100, 10", keys, c.DBSize(ctx).Val(), expires)
	}
	if live, _ := ts.store.UsedBytes(); bytes != live {
		t.Errorf("bytes sum %d, store live bytes %d", bytes, live)
	}
	var used int64
	for _, r := range rows {
		used += r["used_memory"]
	}
	if used != ts.store.Used() || used < bytes {
		t.Errorf("used_memory sum %d, store Used %d, live bytes %d", used, ts.store.Used(), bytes)
	}
	// Each key lives in the shard the store says.
	perShard := make([]int64, 16)
	for i := range 100 {
		perShard[ts.store.ShardOf([]byte("key"+strconv.Itoa(i)))]++
	}
	for i, r := range rows {
		if r["keys"] != perShard[i] {
			t.Errorf("shard %d: %d keys, want %d", i, r["keys"], perShard[i])
		}
	}

	// Expired keys are counted where they lived.
	k := "short-lived"
	c.Set(ctx, k, "v", time.Second)
	ts.advance(2 * time.Second)
	if c.Del(ctx, k).Val() != 0 {
		t.Fatal("DEL of an expired key removed a live one")
	}
	if got := shardEntries(t, ts)[ts.store.ShardOf([]byte(k))]["expired_keys"]; got != 1 {
		t.Errorf("expired_keys = %d, want 1", got)
	}

	r := ts.raw(t)
	r.expectReply(errReply("ERR wrong number of arguments for 'cachesrv.shards' command"), "CACHESRV.SHARDS", "extra")
	if got := r.do("cachesrv.shards"); !strings.HasPrefix(got, "*16\r\n*24\r\n$5\r\nshard\r\n:0\r\n$4\r\nkeys\r\n:") {
		t.Errorf("raw reply begins %q", got[:min(len(got), 60)])
	}
	// Inside MULTI it is queued and runs in EXEC like any command.
	r.expectReply("+OK\r\n", "MULTI")
	r.expectReply("+QUEUED\r\n", "CACHESRV.SHARDS")
	if got := r.do("EXEC"); !strings.HasPrefix(got, "*1\r\n*16\r\n*24\r\n") {
		t.Errorf("EXEC reply begins %q", got[:min(len(got), 40)])
	}
}

// lockWaiter are the frames of a goroutine waiting for a shard's lock
// (see servertest.WaitForGoroutines).
var lockWaiter = []string{"sync.(*RWMutex).Lock(", "store.(*shard).lock("}

// TestCachesrvShardsShowsContention holds one shard's lock from the test
// while clients write to it: the table must show that shard, and only
// that one, waiting.
func TestCachesrvShardsShowsContention(t *testing.T) {
	ts := startServer(t)
	const shard, writers = 5, 4
	var keys []string
	for i := 0; len(keys) < writers; i++ {
		if k := "k" + strconv.Itoa(i); ts.store.ShardOf([]byte(k)) == shard {
			keys = append(keys, k)
		}
	}
	before := shardEntries(t, ts)
	ts.store.LockShard(shard, true)
	var wg sync.WaitGroup
	for _, k := range keys {
		c := ts.client(t)
		c.Ping(ctx)
		wg.Go(func() { c.Set(ctx, k, "v", 0) })
	}
	// Every writer waits on the lock, for a millisecond at least, before
	// it is released: a sleep alone would only make that likely.
	servertest.WaitForGoroutines(t, writers, lockWaiter...)
	time.Sleep(time.Millisecond)
	ts.store.UnlockShard(shard, true)
	wg.Wait()
	after := shardEntries(t, ts)
	for i := range after {
		contended := after[i]["lock_contended"] - before[i]["lock_contended"]
		wait := after[i]["lock_wait_usec"] - before[i]["lock_wait_usec"]
		if i == shard && (contended < 1 || wait < 1 || after[i]["lock_max_wait_usec"] < 1) {
			t.Errorf("held shard %d: contended +%d, wait +%d µs", i, contended, wait)
		}
		if i != shard && contended != 0 {
			t.Errorf("shard %d, never held: contended +%d", i, contended)
		}
	}

	// INFO shards names it as the top waiter.
	info := ts.client(t).Info(ctx, "shards").Val()
	if top := infoField(t, info, "top_wait_1"); !strings.HasPrefix(top, "shard=5,wait_usec=") {
		t.Errorf("top_wait_1 = %q\n%s", top, info)
	}
	for _, f := range []string{"shards", "shard_keys_min", "shard_keys_max", "lock_acquisitions", "lock_contended", "lock_contended_pct", "lock_wait_usec", "lock_max_wait_usec"} {
		infoField(t, info, f)
	}
	if infoField(t, info, "shards") != "16" {
		t.Errorf("INFO shards: shards = %s", infoField(t, info, "shards"))
	}
}

func TestInfoLatencystatsFormat(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.expectReply("+OK\r\n", "CONFIG", "RESETSTAT")
	for range 50 {
		r.do("SET", "k", "v")
		r.do("GET", "k")
	}
	r.do("CLIENT", "ID")
	stats := bulkValue(t, r.do("INFO", "latencystats"))
	line := regexp.MustCompile(`^latency_percentiles_usec_[a-z.|]+:p50=\d+\.\d{3},p99=\d+\.\d{3},p99\.9=\d+\.\d{3}$`)
	lines := strings.Split(strings.TrimSuffix(stats, "\r\n"), "\r\n")
	if lines[0] != "# Latencystats" {
		t.Fatalf("INFO latencystats = %q", stats)
	}
	names := map[string]bool{}
	for _, l := range lines[1:] {
		if !line.MatchString(l) {
			t.Errorf("line %q is not Redis 7's latencystats format", l)
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(l, "latency_percentiles_usec_"), ":")
		names[name] = true
	}
	for _, want := range []string{"set", "get", "client|id", "config|resetstat"} {
		if !names[want] {
			t.Errorf("no latencystats for %s:\n%s", want, stats)
		}
	}
	// With latency-tracking off nothing is timed, so after RESETSTAT the
	// section is empty, as Redis's is.
	r.expectReply("+OK\r\n", "CONFIG", "SET", "latency-tracking", "no")
	r.expectReply("+OK\r\n", "CONFIG", "RESETSTAT")
	r.do("GET", "k")
	if got := bulkValue(t, r.do("INFO", "latencystats")); got != "# Latencystats\r\n" {
		t.Errorf("latency-tracking no: %q", got)
	}
	r.expectReply("+OK\r\n", "CONFIG", "SET", "latency-tracking", "yes")
}

func TestConfigMetricsSettings(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	m := ts.client(t).ConfigGet(ctx, "*").Val()
	if m["metrics-addr"] != "127.0.0.1:8379" || m["pprof"] != "no" {
		t.Errorf("CONFIG GET metrics-addr, pprof = %q, %q", m["metrics-addr"], m["pprof"])
	}
	r.expectReply(errReply("ERR CONFIG SET failed (possibly related to argument 'metrics-addr') - can't set immutable config"), "CONFIG", "SET", "metrics-addr", "")
	r.expectReply(errReply("ERR CONFIG SET failed (possibly related to argument 'pprof') - can't set immutable config"), "CONFIG", "SET", "pprof", "yes")
	cfg := config.New()
	for _, ok := range []string{"", "127.0.0.1:0", "[::1]:9121", ":9121", "localhost:9999"} {
		if err := config.FindSetting("metrics-addr").Set(cfg, ok); err != nil || cfg.MetricsAddr != ok {
			t.Errorf("metrics-addr %q: %v", ok, err)
		}
	}
	for _, bad := range []string{"9121", "127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000"} {
		if err := config.FindSetting("metrics-addr").Set(cfg, bad); err == nil {
			t.Errorf("metrics-addr %q accepted", bad)
		}
	}
	if err := config.FindSetting("pprof").Set(cfg, "YES"); err != nil || !cfg.Pprof {
		t.Errorf("pprof YES: %v", err)
	}
	if err := config.FindSetting("pprof").Set(cfg, "maybe"); err == nil || !cfg.Pprof {
		t.Errorf("pprof maybe: %v (and must leave the value alone)", err)
	}
}

// TestReady: not ready before Serve, ready while serving, not ready from
// the moment Shutdown begins.
func TestReady(t *testing.T) {
	cfg := config.New()
	cfg.Shards = 2
	st, _ := store.New(cfg.StoreOptions())
	srv := NewServer(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if srv.Ready() {
		t.Error("ready before Serve")
	}
	addr := servertest.Serve(t, srv)
	for deadline := time.Now().Add(5 * time.Second); !srv.Ready(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("not ready 5 s after Serve")
		}
	}
	// A connected client keeps shutdown draining for a moment; Ready is
	// false throughout.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("PING\r\n"))
	conn.Read(make([]byte, 16))
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(sctx) }()
	for deadline := time.Now().Add(5 * time.Second); srv.Ready(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("still ready 5 s after Shutdown began")
		}
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	if srv.Ready() {
		t.Error("ready after Shutdown")
	}
}

func TestCachesrvShardsInCommandTable(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	info, err := c.Do(ctx, "COMMAND", "INFO", "cachesrv.shards").Slice()
	if err != nil || len(info) != 1 {
		t.Fatalf("COMMAND INFO = %v, %v", info, err)
	}
	entry := info[0].([]any)
	if entry[0] != "cachesrv.shards" || entry[1] != int64(1) || entry[3] != int64(0) {
		t.Errorf("COMMAND INFO cachesrv.shards = %v", entry)
	}
	docs, err := c.Do(ctx, "COMMAND", "DOCS", "cachesrv.shards").Slice()
	if err != nil || len(docs) != 2 {
		t.Fatalf("COMMAND DOCS = %v, %v", docs, err)
	}
	if d := helloFields(t, docs[1]); d["group"] != "server" || !strings.Contains(d["summary"].(string), "shard") {
		t.Errorf("docs = %v", d)
	}
}
