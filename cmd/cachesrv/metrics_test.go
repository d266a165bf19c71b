package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol"
	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/cachesrv/cachesrv/store"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/redis/go-redis/v9"
)

// TestMain keeps the tests that start the real binary (main_test.go) off
// the default metrics port, which another server on this machine, or a
// parallel test run, may hold: the variable is inherited by the child.
func TestMain(m *testing.M) {
	if _, ok := os.LookupEnv("CACHESRV_METRICS_ADDR"); !ok {
		os.Setenv("CACHESRV_METRICS_ADDR", "127.0.0.1:0")
	}
	servertest.Main(m) // removes the binary servertest.Cachesrv built
}

var bg = context.Background()

// node is a real cachesrv in this process: the RESP server and the
// metrics listener, each on a free loopback port, wired as run wires them.
type node struct {
	addr    string // RESP host:port
	httpURL string // http://host:port of the metrics listener
	port    string // RESP port alone
	cfg     *config.Config
	st      *store.Store
	srv     *protocol.Server
}

// startNode starts a node with the given shard count; configure may
// change the config first. Everything stops when the test ends.
func startNode(t testing.TB, shards int, configure ...func(*config.Config)) *node {
	t.Helper()
	cfg := config.New()
	cfg.Shards = shards
	cfg.MetricsAddr = "127.0.0.1:0"
	for _, f := range configure {
		f(cfg)
	}
	st, err := store.New(cfg.StoreOptions())
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := protocol.NewServer(cfg, st, log)
	httpSrv, hln, err := startHTTP(cfg.MetricsAddr, newHTTPHandler(newRegistry(st, srv), srv.Ready, cfg.Pprof, log), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { httpSrv.Close() })
	addr := servertest.Serve(t, srv)
	for deadline := time.Now().Add(5 * time.Second); !srv.Ready(); {
		if time.Now().After(deadline) {
			t.Fatal("server not ready after 5 s")
		}
		time.Sleep(time.Millisecond)
	}
	_, port, _ := net.SplitHostPort(addr)
	return &node{addr: addr, port: port, httpURL: "http://" + hln.Addr().String(), cfg: cfg, st: st, srv: srv}
}

// client returns a go-redis client, closed when the test ends.
func (n *node) client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: n.addr, Protocol: 2, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// get fetches path from the metrics listener.
func (n *node) get(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(n.httpURL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// scrape reads and parses /metrics.
func (n *node) scrape(t testing.TB) metrics {
	t.Helper()
	ms, err := n.tryScrape()
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// tryScrape is scrape for goroutines other than the test's.
func (n *node) tryScrape() (metrics, error) {
	resp, err := http.Get(n.httpURL + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 2000))
		return nil, fmt.Errorf("/metrics: %s: %s", resp.Status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parsing /metrics: %v", err)
	}
	return metrics(fams), nil
}

// metrics is one parsed scrape, by family name.
type metrics map[string]*dto.MetricFamily

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Untyped != nil:
		return m.Untyped.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return math.NaN()
}

// byLabel maps the value of label to the series' value, for family name.
func (ms metrics) byLabel(name, lbl string) map[string]float64 {
	out := map[string]float64{}
	if f := ms[name]; f != nil {
		for _, m := range f.GetMetric() {
			out[label(m, lbl)] = value(m)
		}
	}
	return out
}

// sum adds up every series of family name (0 if it is absent).
func (ms metrics) sum(name string) float64 {
	var s float64
	if f := ms[name]; f != nil {
		for _, m := range f.GetMetric() {
			s += value(m)
		}
	}
	return s
}

// sumWhere adds up the series of family name whose label lbl is val.
func (ms metrics) sumWhere(name, lbl, val string) float64 {
	var s float64
	if f := ms[name]; f != nil {
		for _, m := range f.GetMetric() {
			if label(m, lbl) == val {
				s += value(m)
			}
		}
	}
	return s
}

// one returns the value of a family with a single series, failing the test
// if it is missing.
func (ms metrics) one(t testing.TB, name string) float64 {
	t.Helper()
	f := ms[name]
	if f == nil || len(f.GetMetric()) != 1 {
		t.Fatalf("%s: want exactly one series, got %v", name, f)
	}
	return value(f.GetMetric()[0])
}

// histogram returns the histogram series for cmd.
func (ms metrics) histogram(cmd string) *dto.Histogram {
	if f := ms["cachesrv_command_duration_seconds"]; f != nil {
		for _, m := range f.GetMetric() {
			if label(m, "cmd") == cmd {
				return m.GetHistogram()
			}
		}
	}
	return nil
}

// parallel runs fn(w) for w in [0, n) concurrently and fails the test on
// the first error.
func parallel(t testing.TB, n int, fn func(w int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for w := range n {
		wg.Go(func() {
			if err := fn(w); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestMetricsMatchWhatWasDone runs a known concurrent load with go-redis
// and checks that /metrics counts exactly that: commands, hits, misses,
// lock acquisitions, keys (against DBSIZE), expired keys.
func TestMetricsMatchWhatWasDone(t *testing.T) {
	n := startNode(t, 16)
	const writers, perWriter, missesPer, expiring = 8, 300, 50, 20
	clients := make([]*redis.Client, writers)
	for w := range clients {
		clients[w] = n.client(t)
		if err := clients[w].Ping(bg).Err(); err != nil {
			t.Fatal(err)
		}
	}
	// Command statistics belong to the command table, shared by every
	// server in this process: compare before and after.
	before := n.scrape(t)
	parallel(t, writers, func(w int) error {
		c := clients[w]
		for i := range perWriter {
			if err := c.Set(bg, fmt.Sprintf("k:%d:%d", w, i), i, 0).Err(); err != nil {
				return err
			}
		}
		for i := range perWriter {
			if v, err := c.Get(bg, fmt.Sprintf("k:%d:%d", w, i)).Int(); err != nil || v != i {
				return fmt.Errorf("GET k:%d:%d = %d, %v", w, i, v, err)
			}
		}
		for i := range missesPer {
			if err := c.Get(bg, fmt.Sprintf("missing:%d:%d", w, i)).Err(); err != redis.Nil {
				return fmt.Errorf("GET missing: %v", err)
			}
		}
		return nil
	})
	after := n.scrape(t)

	delta := func(name, cmd string) float64 {
		return after.byLabel(name, "cmd")[cmd] - before.byLabel(name, "cmd")[cmd]
	}
	sets, gets := float64(writers*perWriter), float64(writers*(perWriter+missesPer))
	if got := delta("cachesrv_commands_total", "set"); got != sets {
		t.Errorf("commands_total{cmd=set} grew by %v, want %v", got, sets)
	}
	if got := delta("cachesrv_commands_total", "get"); got != gets {
		t.Errorf("commands_total{cmd=get} grew by %v, want %v", got, gets)
	}
	if got := delta("cachesrv_commands_failed_total", "set") + delta("cachesrv_commands_rejected_total", "set"); got != 0 {
		t.Errorf("set failed+rejected grew by %v", got)
	}
	// latency-tracking is on by default: every call is in the histogram.
	if got := delta("cachesrv_command_duration_seconds", "set"); got != sets {
		t.Errorf("command_duration_seconds_count{cmd=set} grew by %v, want %v", got, sets)
	}
	h := after.histogram("get")
	// The bounds are LatencyBucketBounds, then +Inf (which the text
	// format spells out and the parser keeps).
	if h == nil || h.GetSampleSum() <= 0 || len(h.GetBucket()) != len(protocol.LatencyBucketBounds)+1 {
		t.Fatalf("get histogram = %v", h)
	}
	for i, b := range h.GetBucket() {
		want := math.Inf(1)
		if i < len(protocol.LatencyBucketBounds) {
			want = protocol.LatencyBucketBounds[i].Seconds()
		}
		if b.GetUpperBound() != want {
			t.Errorf("bucket %d bound %v, want %v", i, b.GetUpperBound(), want)
		}
		if i > 0 && b.GetCumulativeCount() < h.GetBucket()[i-1].GetCumulativeCount() {
			t.Errorf("bucket %d not cumulative: %v", i, h.GetBucket())
		}
		if b.GetCumulativeCount() > h.GetSampleCount() {
			t.Errorf("bucket %d above the count", i)
		}
	}

	// Per-server counters: this server's alone, so exact.
	if got := after.one(t, "cachesrv_keyspace_hits_total"); got != sets {
		t.Errorf("keyspace_hits_total = %v, want %v", got, sets)
	}
	if got := after.one(t, "cachesrv_keyspace_misses_total"); got != float64(writers*missesPer) {
		t.Errorf("keyspace_misses_total = %v, want %v", got, writers*missesPer)
	}
	// Every command was a single-key one sent on its own: one lock
	// acquisition each.
	acqBefore, acqAfter := before.sum("cachesrv_shard_lock_acquisitions_total"), after.sum("cachesrv_shard_lock_acquisitions_total")
	if got := acqAfter - acqBefore; got != sets+gets {
		t.Errorf("lock acquisitions grew by %v, want %v (one per command)", got, sets+gets)
	}
	// And one operation each, of its kind, on its key's shard.
	if got := after.sumWhere("cachesrv_shard_ops_total", "kind", "write") - before.sumWhere("cachesrv_shard_ops_total", "kind", "write"); got != sets {
		t.Errorf("shard_ops_total{kind=write} grew by %v, want %v", got, sets)
	}
	if got := after.sumWhere("cachesrv_shard_ops_total", "kind", "read") - before.sumWhere("cachesrv_shard_ops_total", "kind", "read"); got != gets {
		t.Errorf("shard_ops_total{kind=read} grew by %v, want %v", got, gets)
	}
	if got := after.one(t, "cachesrv_connected_clients"); got < writers {
		t.Errorf("connected_clients = %v, want at least %d", got, writers)
	}

	// Keys: per shard, summed, equal DBSIZE; one series per shard.
	c := clients[0]
	dbsize := c.DBSize(bg).Val()
	keys := after.byLabel("cachesrv_shard_keys", "shard")
	if len(keys) != 16 || after.one(t, "cachesrv_shards") != 16 {
		t.Fatalf("shard_keys has %d series, want 16", len(keys))
	}
	var total float64
	for shard, k := range keys {
		if i, err := strconv.Atoi(shard); err != nil || i < 0 || i >= 16 {
			t.Errorf("shard label %q", shard)
		}
		total += k
	}
	if total != float64(dbsize) || dbsize != writers*perWriter {
		t.Errorf("sum of shard_keys = %v, DBSIZE = %d, want %d", total, dbsize, writers*perWriter)
	}
	if b := after.sum("cachesrv_shard_bytes"); b < float64(dbsize*int64(len("k:0:0"))) || b > after.one(t, "cachesrv_arena_bytes") {
		t.Errorf("shard_bytes = %v for %d keys (arena %v)", b, dbsize, after.one(t, "cachesrv_arena_bytes"))
	}

	// Expiry: keys with a 1 ms TTL, deleted after it passed, count as
	// expired (DEL finds them dead); nothing is ever evicted.
	for i := range expiring {
		c.Set(bg, fmt.Sprintf("ttl:%d", i), "v", time.Millisecond)
	}
	if got := n.scrape(t).one(t, "cachesrv_keys_expiring"); got != expiring {
		t.Errorf("keys_expiring = %v, want %d", got, expiring)
	}
	time.Sleep(20 * time.Millisecond)
	for i := range expiring {
		if got := c.Del(bg, fmt.Sprintf("ttl:%d", i)).Val(); got != 0 {
			t.Fatalf("DEL of an expired key = %d", got)
		}
	}
	final := n.scrape(t)
	if got := final.one(t, "cachesrv_expired_keys_total"); got != expiring {
		t.Errorf("expired_keys_total = %v, want %d", got, expiring)
	}
	if got := final.one(t, "cachesrv_evicted_keys_total"); got != 0 {
		t.Errorf("evicted_keys_total = %v", got)
	}
}

// TestMetricsSeriesExist checks every family the issue names is there,
// with the help and type Prometheus expects, plus build info and the Go
// and process collectors.
func TestMetricsSeriesExist(t *testing.T) {
	n := startNode(t, 4)
	c := n.client(t)
	c.Set(bg, "a", "1", 0)
	c.Get(bg, "a")
	ms := n.scrape(t)
	want := map[string]dto.MetricType{
		"cachesrv_shard_lock_wait_seconds_total": dto.MetricType_COUNTER,
		"cachesrv_shard_lock_contended_total":    dto.MetricType_COUNTER,
		"cachesrv_shard_lock_acquisitions_total": dto.MetricType_COUNTER,
		"cachesrv_shard_ops_total":               dto.MetricType_COUNTER,
		"cachesrv_shard_lock_max_wait_seconds":   dto.MetricType_GAUGE,
		"cachesrv_shard_keys":                    dto.MetricType_GAUGE,
		"cachesrv_keys_expiring":                 dto.MetricType_GAUGE,
		"cachesrv_shard_bytes":                   dto.MetricType_GAUGE,
		"cachesrv_arena_bytes":                   dto.MetricType_GAUGE,
		"cachesrv_shards":                        dto.MetricType_GAUGE,
		"cachesrv_commands_total":                dto.MetricType_COUNTER,
		"cachesrv_commands_failed_total":         dto.MetricType_COUNTER,
		"cachesrv_commands_rejected_total":       dto.MetricType_COUNTER,
		"cachesrv_command_duration_seconds":      dto.MetricType_HISTOGRAM,
		"cachesrv_commands_processed_total":      dto.MetricType_COUNTER,
		"cachesrv_connected_clients":             dto.MetricType_GAUGE,
		"cachesrv_maxclients":                    dto.MetricType_GAUGE,
		"cachesrv_connections_received_total":    dto.MetricType_COUNTER,
		"cachesrv_rejected_connections_total":    dto.MetricType_COUNTER,
		"cachesrv_keyspace_hits_total":           dto.MetricType_COUNTER,
		"cachesrv_keyspace_misses_total":         dto.MetricType_COUNTER,
		"cachesrv_expired_keys_total":            dto.MetricType_COUNTER,
		"cachesrv_evicted_keys_total":            dto.MetricType_COUNTER,
		"cachesrv_build_info":                    dto.MetricType_GAUGE,
		"go_goroutines":                          dto.MetricType_GAUGE,
		"go_gc_duration_seconds":                 dto.MetricType_SUMMARY,
		"process_cpu_seconds_total":              dto.MetricType_COUNTER,
		"process_resident_memory_bytes":          dto.MetricType_GAUGE,
	}
	for name, typ := range want {
		f := ms[name]
		if f == nil {
			t.Errorf("no %s", name)
			continue
		}
		if f.GetType() != typ || f.GetHelp() == "" {
			t.Errorf("%s: type %v help %q, want %v", name, f.GetType(), f.GetHelp(), typ)
		}
	}
	for _, name := range []string{"cachesrv_shard_lock_wait_seconds_total", "cachesrv_shard_keys", "cachesrv_shard_bytes"} {
		if got := len(ms.byLabel(name, "shard")); got != 4 {
			t.Errorf("%s: %d shard series, want 4", name, got)
		}
	}
	if got := value(ms["cachesrv_maxclients"].GetMetric()[0]); got <= 0 {
		t.Errorf("cachesrv_maxclients = %v, want the maxclients setting", got)
	}
	bi := ms["cachesrv_build_info"].GetMetric()[0]
	if label(bi, "version") != protocol.Version || !strings.HasPrefix(label(bi, "goversion"), "go") || value(bi) != 1 {
		t.Errorf("build_info = %v", bi)
	}
	// The per-command families carry the names INFO commandstats uses,
	// subcommands as container|sub.
	c.ClientID(bg)
	if _, ok := n.scrape(t).byLabel("cachesrv_commands_total", "cmd")["client|id"]; !ok {
		t.Error("no commands_total{cmd=\"client|id\"}")
	}
}

// TestMetricsConcurrentScrapes scrapes from several goroutines while
// clients write (the shard label pairs are shared between scrapes; the race
// detector watches), and checks every scrape parses and is whole.
func TestMetricsConcurrentScrapes(t *testing.T) {
	n := startNode(t, 64)
	c := n.client(t)
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	var load sync.WaitGroup
	load.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			c.Set(ctx, "k"+strconv.Itoa(i%1000), "v", 0)
		}
	})
	parallel(t, 4, func(int) error {
		for range 5 {
			ms, err := n.tryScrape()
			if err != nil {
				return err
			}
			if got := len(ms.byLabel("cachesrv_shard_lock_acquisitions_total", "shard")); got != 64 {
				return fmt.Errorf("%d shard series, want 64", got)
			}
		}
		return nil
	})
	cancel()
	load.Wait()
}

// TestMetricsCommandDurationNeedsLatencyTracking: with latency-tracking
// off, calls are counted but not timed, and the histogram says so.
func TestMetricsCommandDurationNeedsLatencyTracking(t *testing.T) {
	n := startNode(t, 4)
	c := n.client(t)
	if err := c.ConfigSet(bg, "latency-tracking", "no").Err(); err != nil {
		t.Fatal(err)
	}
	before := n.scrape(t)
	for i := range 10 {
		c.Incr(bg, "counter"+strconv.Itoa(i))
	}
	after := n.scrape(t)
	calls := after.byLabel("cachesrv_commands_total", "cmd")["incr"] - before.byLabel("cachesrv_commands_total", "cmd")["incr"]
	timed := after.byLabel("cachesrv_command_duration_seconds", "cmd")["incr"] - before.byLabel("cachesrv_command_duration_seconds", "cmd")["incr"]
	if calls != 10 || timed != 0 {
		t.Errorf("latency-tracking no: calls +%v, timed +%v; want +10, +0", calls, timed)
	}
	c.ConfigSet(bg, "latency-tracking", "yes")
	c.Incr(bg, "counter0")
	if got := n.scrape(t).byLabel("cachesrv_command_duration_seconds", "cmd")["incr"] - timed - before.byLabel("cachesrv_command_duration_seconds", "cmd")["incr"]; got != 1 {
		t.Errorf("after latency-tracking yes: timed +%v, want +1", got)
	}
}

// TestMetricsForcedContention holds the only shard's lock from the test
// while writers arrive: each of them must wait, and /metrics must show it
// (contended acquisitions, wait time at least roughly the hold).
func TestMetricsForcedContention(t *testing.T) {
	n := startNode(t, 1)
	const writers = 8
	clients := make([]*redis.Client, writers)
	for w := range clients {
		clients[w] = n.client(t)
		clients[w].Ping(bg)
	}
	before := n.scrape(t)
	const hold = 200 * time.Millisecond
	n.st.LockShard(0, true)
	var done atomic.Int32
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			clients[w].Set(bg, fmt.Sprintf("k%d", w), "v", 0)
			done.Add(1)
		})
	}
	// Every writer waits on the lock when the hold begins (a sleep alone
	// would only make that likely), so each waits the whole hold.
	servertest.WaitForGoroutines(t, writers, "sync.(*RWMutex).Lock(", "store.(*shard).lock(")
	time.Sleep(hold)
	if got := done.Load(); got != 0 {
		t.Fatalf("%d SETs finished while the shard was locked", got)
	}
	n.st.UnlockShard(0, true)
	wg.Wait()
	after := n.scrape(t)
	contended := after.byLabel("cachesrv_shard_lock_contended_total", "shard")["0"] - before.byLabel("cachesrv_shard_lock_contended_total", "shard")["0"]
	wait := after.byLabel("cachesrv_shard_lock_wait_seconds_total", "shard")["0"] - before.byLabel("cachesrv_shard_lock_wait_seconds_total", "shard")["0"]
	maxWait := after.byLabel("cachesrv_shard_lock_max_wait_seconds", "shard")["0"]
	if contended < 1 || wait <= 0 || maxWait <= 0 {
		t.Fatalf("after holding the lock: contended +%v, wait +%vs, max wait %vs", contended, wait, maxWait)
	}
	// At least the SET that arrived first waited for most of the hold.
	if maxWait < (hold / 4).Seconds() {
		t.Errorf("max wait %vs, the lock was held %v", maxWait, hold)
	}
	t.Logf("8 writers against a held lock: contended +%v, wait +%.3fs, max wait %.3fs", contended, wait, maxWait)
}

// contentionLoad runs the same write load on a node: writers clients,
// each sending rounds pipelines of pipe SETs to keys spread over the
// keyspace. It returns the growth of contended and of acquisitions summed
// over the shards, read from /metrics.
func contentionLoad(t testing.TB, n *node, writers, rounds, pipe int) (contended, acquisitions float64) {
	t.Helper()
	clients := make([]*redis.Client, writers)
	for w := range clients {
		clients[w] = n.client(t)
		clients[w].Ping(bg)
	}
	before := n.scrape(t)
	parallel(t, writers, func(w int) error {
		c := clients[w]
		for r := range rounds {
			p := c.Pipeline()
			for i := range pipe {
				p.Set(bg, fmt.Sprintf("key:%d", (w*7919+r*pipe+i)%10000), "some value of moderate size, 48 bytes long ....", 0)
			}
			if _, err := p.Exec(bg); err != nil {
				return err
			}
		}
		return nil
	})
	after := n.scrape(t)
	contended = after.sum("cachesrv_shard_lock_contended_total") - before.sum("cachesrv_shard_lock_contended_total")
	acquisitions = after.sum("cachesrv_shard_lock_acquisitions_total") - before.sum("cachesrv_shard_lock_acquisitions_total")
	return contended, acquisitions
}

// BenchmarkMetricsContentionByShards runs one write-heavy load against
// 1 shard and against 256 and reports the contended share of lock
// acquisitions as /metrics counts it. With one shard every writer queues
// on the same lock; with 256 two writers rarely want the same one, so the
// share falls. How far depends on how the writers happen to be scheduled,
// which is why this is a benchmark to read, not a test that asserts it.
// One op is one pipeline of 16 SETs from each of 16 writers.
//
//	go test -run '^$' -bench 'ContentionByShards' ./cmd/cachesrv
func BenchmarkMetricsContentionByShards(b *testing.B) {
	if runtime.GOMAXPROCS(0) < 2 {
		// Two writers can only collide on a lock if two run at once.
		b.Skip("lock contention needs GOMAXPROCS >= 2")
	}
	const writers, pipe = 16, 16
	for _, shards := range []int{1, 256} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			n := startNode(b, shards)
			b.ResetTimer()
			contended, acquisitions := contentionLoad(b, n, writers, b.N, pipe)
			b.StopTimer()
			b.ReportMetric(100*contended/acquisitions, "%contended")
		})
	}
}

// TestHealthAndReadiness: /healthz is 200 while the process lives;
// /readyz is 200 while serving and 503 once shutdown has begun; the
// profiler is there only when asked for.
func TestHealthAndReadiness(t *testing.T) {
	n := startNode(t, 4)
	if code, body := n.get(t, "/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, _ := n.get(t, "/readyz"); code != 200 {
		t.Errorf("/readyz while serving = %d", code)
	}
	if code, _ := n.get(t, "/debug/pprof/"); code != 404 {
		t.Errorf("/debug/pprof/ without --pprof = %d, want 404", code)
	}
	if code, _ := n.get(t, "/nosuchpath"); code != 404 {
		t.Errorf("/nosuchpath = %d", code)
	}

	// Keep a client connected, so that shutdown has someone to drain.
	c := n.client(t)
	c.Ping(bg)
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(bg, 5*time.Second)
		defer cancel()
		shut <- n.srv.Shutdown(ctx)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		code, body := n.get(t, "/readyz")
		if code == http.StatusServiceUnavailable {
			if !strings.Contains(body, "not ready") {
				t.Errorf("/readyz 503 body %q", body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d 5 s after shutdown began", code)
		}
		time.Sleep(time.Millisecond)
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
	if code, _ := n.get(t, "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz after shutdown = %d", code)
	}
	if code, _ := n.get(t, "/healthz"); code != 200 {
		t.Errorf("/healthz during shutdown = %d", code)
	}
	// Metrics stay readable to the end.
	if code, _ := n.get(t, "/metrics"); code != 200 {
		t.Errorf("/metrics after shutdown = %d", code)
	}

	p := startNode(t, 4, func(c *config.Config) { c.Pprof = true })
	if code, body := p.get(t, "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/ with --pprof = %d", code)
	}
	if code, body := p.get(t, "/debug/pprof/goroutine?debug=1"); code != 200 || !strings.Contains(body, "goroutine profile") {
		t.Errorf("/debug/pprof/goroutine = %d", code)
	}
}

// TestInfoSectionsMatchMetrics parses INFO latencystats and shards with
// go-redis and checks them against the load and against /metrics; and
// CACHESRV.SHARDS against both.
func TestInfoSectionsMatchMetrics(t *testing.T) {
	n := startNode(t, 8)
	const writers, perWriter = 4, 200
	clients := make([]*redis.Client, writers)
	for w := range clients {
		clients[w] = n.client(t)
	}
	parallel(t, writers, func(w int) error {
		for i := range perWriter {
			key := fmt.Sprintf("k:%d:%d", w, i)
			if err := clients[w].Set(bg, key, "v", 0).Err(); err != nil {
				return err
			}
			clients[w].Get(bg, key)
		}
		return nil
	})
	c := clients[0]
	info, err := c.InfoMap(bg, "latencystats", "shards", "keyspace").Result()
	if err != nil {
		t.Fatal(err)
	}
	ms := n.scrape(t) // neither INFO nor a scrape takes a shard lock

	lat := info["Latencystats"]
	for _, cmd := range []string{"set", "get"} {
		v, ok := lat["latency_percentiles_usec_"+cmd]
		if !ok {
			t.Fatalf("INFO latencystats has no %s: %v", cmd, lat)
		}
		var p50, p99, p999 float64
		if _, err := fmt.Sscanf(v, "p50=%f,p99=%f,p99.9=%f", &p50, &p99, &p999); err != nil {
			t.Fatalf("latency_percentiles_usec_%s = %q: %v", cmd, v, err)
		}
		if !(0 < p50 && p50 <= p99 && p99 <= p999) {
			t.Errorf("%s percentiles not ordered: %q", cmd, v)
		}
	}

	sh := info["Shards"]
	num := func(name string) float64 {
		t.Helper()
		f, err := strconv.ParseFloat(sh[name], 64)
		if err != nil {
			t.Fatalf("INFO shards %s = %q", name, sh[name])
		}
		return f
	}
	if num("shards") != 8 {
		t.Errorf("INFO shards: shards = %v", sh["shards"])
	}
	acq, contended := ms.sum("cachesrv_shard_lock_acquisitions_total"), ms.sum("cachesrv_shard_lock_contended_total")
	if num("lock_acquisitions") != acq || num("lock_contended") != contended {
		t.Errorf("INFO shards lock_acquisitions=%v lock_contended=%v; /metrics %v, %v", sh["lock_acquisitions"], sh["lock_contended"], acq, contended)
	}
	if acq < writers*perWriter*2 {
		t.Errorf("lock_acquisitions = %v, want at least %d", acq, writers*perWriter*2)
	}
	if want := 100 * contended / acq; math.Abs(num("lock_contended_pct")-want) > 0.006 {
		t.Errorf("lock_contended_pct = %v, want %.2f", sh["lock_contended_pct"], want)
	}
	if num("shard_keys_min") > num("shard_keys_max") || num("shard_keys_max") > writers*perWriter {
		t.Errorf("shard_keys_min/max = %v/%v", sh["shard_keys_min"], sh["shard_keys_max"])
	}
	// top_wait_N lines name shards in descending wait.
	waits := ms.byLabel("cachesrv_shard_lock_wait_seconds_total", "shard")
	prev := math.Inf(1)
	for i := 1; ; i++ {
		v, ok := sh["top_wait_"+strconv.Itoa(i)]
		if !ok {
			break
		}
		var shard, waitUsec int
		if _, err := fmt.Sscanf(v, "shard=%d,wait_usec=%d,", &shard, &waitUsec); err != nil {
			t.Fatalf("top_wait_%d = %q: %v", i, v, err)
		}
		if float64(waitUsec) > prev || math.Abs(float64(waitUsec)-waits[strconv.Itoa(shard)]*1e6) > 1 {
			t.Errorf("top_wait_%d = %q; metrics wait %vs", i, v, waits[strconv.Itoa(shard)])
		}
		prev = float64(waitUsec)
	}

	// CACHESRV.SHARDS: one entry per shard, the same numbers.
	rows, err := c.Do(bg, "CACHESRV.SHARDS").Slice()
	if err != nil || len(rows) != 8 {
		t.Fatalf("CACHESRV.SHARDS = %d rows, %v", len(rows), err)
	}
	metricKeys := ms.byLabel("cachesrv_shard_keys", "shard")
	metricAcq := ms.byLabel("cachesrv_shard_lock_acquisitions_total", "shard")
	var keys int64
	for i, r := range rows {
		kv := r.([]any)
		f := map[string]int64{}
		for j := 0; j < len(kv); j += 2 {
			f[kv[j].(string)] = kv[j+1].(int64)
		}
		if f["shard"] != int64(i) || float64(f["keys"]) != metricKeys[strconv.Itoa(i)] || float64(f["lock_acquisitions"]) != metricAcq[strconv.Itoa(i)] {
			t.Errorf("CACHESRV.SHARDS row %d = %v; metrics keys %v acquisitions %v", i, f, metricKeys[strconv.Itoa(i)], metricAcq[strconv.Itoa(i)])
		}
		keys += f["keys"]
	}
	if dbsize := c.DBSize(bg).Val(); keys != dbsize || keys != writers*perWriter {
		t.Errorf("CACHESRV.SHARDS keys sum %d, DBSIZE %d, want %d", keys, dbsize, writers*perWriter)
	}
}

// --- overhead benchmark ---

// BenchmarkMetricsOverhead measures what the metrics cost the data path:
// a P=16 pipelined SET/GET load over loopback, with latency-tracking on
// and off, and with a /metrics scrape every 100 ms or none. One op is one
// pipeline of 16 commands (8 SET, 8 GET) on one of 8 connections.
//
//	go test -run '^$' -bench 'MetricsOverhead$' -count 6 ./cmd/cachesrv | tee bench.txt
//	benchstat -col /tracking,/scrape bench.txt
//
// On a machine shared with other work the four configurations run at
// different moments and see different loads; BenchmarkMetricsOverheadInterleaved
// compares them within one run, slice by slice.
func BenchmarkMetricsOverhead(b *testing.B) {
	for _, tracking := range []string{"no", "yes"} {
		for _, scrape := range []string{"none", "100ms"} {
			b.Run("tracking="+tracking+"/scrape="+scrape, func(b *testing.B) {
				rig := newLoadRig(b)
				rig.n.cfg.LatencyTracking.Store(tracking == "yes")
				stop := make(chan struct{})
				var scraper sync.WaitGroup
				if scrape != "none" {
					scraper.Go(func() {
						tick := time.NewTicker(100 * time.Millisecond)
						defer tick.Stop()
						for {
							select {
							case <-stop:
								return
							case <-tick.C:
								rig.scrape(b)
							}
						}
					})
				}
				b.ResetTimer()
				elapsed := rig.run(b, b.N)
				b.StopTimer()
				close(stop)
				scraper.Wait()
				b.ReportMetric(float64(b.N*rig.pipe)/elapsed.Seconds(), "cmds/s")
			})
		}
	}
}

// BenchmarkMetricsOverheadInterleaved runs the same load as
// BenchmarkMetricsOverhead against one server, switching between the four
// configurations every slice of ~100 ms of work, in rounds ordered ABCD
// DCBA so that a drifting background load falls on all alike. Every slice
// of a scraping configuration contains exactly one scrape, run alongside
// the load: ~10 scrapes per second of its time. It reports each
// configuration's throughput over the run, and the cost of tracking, of
// scraping and of both against neither as the median over the rounds of
// each round's cost, so that a burst of other work on the machine during
// one slice moves one round's figure, not the result.
func BenchmarkMetricsOverheadInterleaved(b *testing.B) {
	rig := newLoadRig(b)
	type mode struct {
		name             string
		tracking, scrape bool
		pipelines        int
		elapsed          time.Duration
		round            time.Duration // this round's time, for slice pipelines
	}
	modes := []*mode{
		{name: "off"},
		{name: "tracking", tracking: true},
		{name: "scrape", scrape: true},
		{name: "on", tracking: true, scrape: true},
	}
	// Calibrate a slice to ~100 ms of work.
	rig.run(b, 200)
	probe := rig.run(b, 1000)
	slice := max(50, int(1000*(100*time.Millisecond)/probe))
	order := []int{0, 1, 2, 3, 3, 2, 1, 0}
	costs := make([][]float64, len(modes)) // per mode, per round: % below off
	b.ResetTimer()
	for done := 0; done < b.N; {
		for _, i := range order {
			m := modes[i]
			rig.n.cfg.LatencyTracking.Store(m.tracking)
			var scraped sync.WaitGroup
			start := time.Now()
			if m.scrape {
				scraped.Go(func() { rig.scrape(b) })
			}
			rig.run(b, slice)
			scraped.Wait()
			d := time.Since(start)
			m.elapsed += d
			m.round += d
			m.pipelines += slice
			done += slice
		}
		// Each mode ran 2 slices this round: its cost is its extra time.
		for i, m := range modes {
			costs[i] = append(costs[i], 100*(1-float64(modes[0].round)/float64(m.round)))
		}
		for _, m := range modes {
			m.round = 0
		}
	}
	b.StopTimer()
	for _, m := range modes {
		b.ReportMetric(float64(m.pipelines*rig.pipe)/m.elapsed.Seconds(), "cmds/s-"+m.name)
	}
	for i, m := range modes[1:] {
		b.ReportMetric(median(costs[i+1]), "%cost-"+m.name)
	}
}

// median returns the middle of xs (the mean of the two middle ones for an
// even count).
func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	slices.Sort(s)
	if len(s) == 0 {
		return math.NaN()
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// loadRig is a 256-shard node with eight loopback connections, each with
// 64 pre-encoded pipelines of 16 commands (SET and GET alternating over
// 100,000 keys), so that the client side costs little next to the server.
type loadRig struct {
	n         *node
	pipe      int
	conns     []net.Conn
	readers   []*bufio.Reader
	pipelines [][][]byte
	next      []int // per connection: the pipeline to send next
}

func newLoadRig(b *testing.B) *loadRig {
	const conns, pipe, keyspace = 8, 16, 100000
	r := &loadRig{n: startNode(b, 256), pipe: pipe, next: make([]int, conns)}
	rng := uint64(1)
	for range conns {
		var ps [][]byte
		for range 64 {
			var buf []byte
			for i := range pipe {
				rng = rng*6364136223846793005 + 1442695040888963407
				key := "key:" + strconv.Itoa(int(rng>>33)%keyspace)
				if i%2 == 0 {
					buf = fmt.Appendf(buf, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\nvalue-0123456789\r\n", len(key), key)
				} else {
					buf = fmt.Appendf(buf, "*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(key), key)
				}
			}
			ps = append(ps, buf)
		}
		r.pipelines = append(r.pipelines, ps)
		c, err := net.Dial("tcp", r.n.addr)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		r.conns = append(r.conns, c)
		r.readers = append(r.readers, bufio.NewReaderSize(c, 64<<10))
	}
	return r
}

// run sends count pipelines, shared out among the connections as they
// become free, each waiting for its replies before sending the next.
func (r *loadRig) run(b *testing.B, count int) time.Duration {
	var taken atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for c := range r.conns {
		wg.Go(func() {
			for taken.Add(1) <= int64(count) {
				p := r.pipelines[c][r.next[c]%len(r.pipelines[c])]
				r.next[c]++
				if _, err := r.conns[c].Write(p); err != nil {
					b.Error(err)
					return
				}
				if err := skipReplies(r.readers[c], r.pipe); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// scrape fetches /metrics once, as Prometheus would.
func (r *loadRig) scrape(b *testing.B) {
	resp, err := http.Get(r.n.httpURL + "/metrics")
	if err != nil {
		b.Error(err)
		return
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// skipReplies reads n simple, null or bulk replies.
func skipReplies(rd *bufio.Reader, n int) error {
	for range n {
		line, err := rd.ReadSlice('\n')
		if err != nil {
			return err
		}
		switch line[0] {
		case '+', ':':
		case '$':
			l, _ := strconv.Atoi(string(line[1 : len(line)-2]))
			if l >= 0 {
				if _, err := rd.Discard(l + 2); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("unexpected reply %q", line)
		}
	}
	return nil
}

// BenchmarkMetricsScrape is the cost of one /metrics scrape of a
// 256-shard server that has seen traffic on a dozen commands: what a
// scraper adds to the server's CPU, per scrape (the client's reading of
// the reply included).
func BenchmarkMetricsScrape(b *testing.B) {
	n := startNode(b, 256)
	c := n.client(b)
	for i := range 1000 {
		c.Set(bg, "k"+strconv.Itoa(i), "v", 0)
		c.Get(bg, "k"+strconv.Itoa(i))
	}
	for b.Loop() {
		resp, err := http.Get(n.httpURL + "/metrics")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
