package main

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/bench/internal/benchtest"
	"github.com/cachesrv/cachesrv/bench/internal/reporttest"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// fakeServerEnv makes the test binary act as a cachesrv process without
// maxmemory support (as this branch's cachesrv): it accepts only the
// flags the bench always passes, so the bench's handling of a server
// that rejects --maxmemory is tested, and with -maxmemory 0 the whole
// replay runs against the real protocol server without building
// ./cmd/cachesrv.
const fakeServerEnv = "HITRATIO_TEST_FAKE_CACHESRV"

func TestMain(m *testing.M) {
	if os.Getenv(fakeServerEnv) == "1" {
		os.Exit(benchtest.StandIn(os.Args[1:], "hitratio test stand-in"))
	}
	os.Exit(m.Run())
}

// csvRows indexes the CSV rows by column name.
type csvRows struct {
	t      *testing.T
	header []string
	rows   [][]string
}

func (c csvRows) str(r []string, col string) string { return r[reporttest.Column(c.t, c.header, col)] }

func (c csvRows) num(r []string, col string) float64 {
	c.t.Helper()
	f, err := strconv.ParseFloat(c.str(r, col), 64)
	if err != nil {
		c.t.Fatalf("row %v, %s: %v", r, col, err)
	}
	return f
}

func (c csvRows) find(trace, server, policy string) []string {
	for _, r := range c.rows {
		if c.str(r, "trace") == trace && c.str(r, "server") == server && c.str(r, "policy") == policy {
			return r
		}
	}
	c.t.Fatalf("no row for %s %s %s", trace, server, policy)
	return nil
}

// TestQuickRedis runs the quick benchmark (a few seconds) against
// redis-server with its two default policies and checks that the hit
// ratios are plausible.
func TestQuickRedis(t *testing.T) {
	servertest.RequireTool(t, "redis-server")
	header, rows, out, errOut := reporttest.Quick(t, "hitratio", run, "-servers", "redis")
	c := csvRows{t, header, rows}
	if len(rows) != 4*2 {
		t.Fatalf("%d rows, want 4 traces x 2 policies\n%s", len(rows), out)
	}
	for _, r := range rows {
		if c.str(r, "status") != "ok" {
			t.Fatalf("run %v not ok", r)
		}
		hit := c.num(r, "hit_ratio")
		if hit <= 0 || hit >= 1 {
			t.Errorf("%v: hit ratio %v", r, hit)
		}
		// maxmemory held the server to a fraction of the 20k keys.
		if e, k := c.num(r, "evicted_keys"), c.num(r, "keys_held"); e <= 0 || k <= 0 || k >= 20_000 {
			t.Errorf("%v: %v evicted, %v keys held", r, e, k)
		}
		if c.num(r, "used_memory") > c.num(r, "maxmemory_bytes")*1.1 {
			t.Errorf("%v: used_memory over maxmemory", r)
		}
		if c.num(r, "sets") != c.num(r, "gets")-c.num(r, "hits") {
			t.Errorf("%v: a SET for every miss expected", r)
		}
	}
	z99, z07 := c.find("zipf-0.99", "redis", "allkeys-lru"), c.find("zipf-0.7", "redis", "allkeys-lru")
	if a, b := c.num(z99, "hit_ratio"), c.num(z07, "hit_ratio"); a <= b {
		t.Errorf("allkeys-lru: zipf-0.99 hit ratio %v not above zipf-0.7's %v", a, b)
	}
	if r := c.find("zipf-0.99", "redis", "allkeys-lru"); c.num(r, "hit_ratio_over_redis_lru") != 1 {
		t.Errorf("the reference's ratio to itself is %v", c.str(r, "hit_ratio_over_redis_lru"))
	}
	for _, want := range []string{"Traces", "Hit ratio, maxmemory", "Against redis allkeys-lru", "allkeys-lfu"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "[8/8") || !strings.Contains(errOut, "trace shift:") {
		t.Errorf("no progress on stderr:\n%s", errOut)
	}
}

// TestNoMaxmemory runs the replay end to end without eviction, against
// the cachesrv stand-in and (if installed) redis-server: every server
// must then hold every key it was sent, and the client's hits must be
// exactly the requests that were not a key's first, in every round.
func TestNoMaxmemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	exe := benchtest.StandInBinary(t, fakeServerEnv)
	const requests = 10000 // enough for every trace to repeat keys
	servers := "cachesrv"
	if servertest.HaveTool(t, "redis-server") {
		servers = "redis,cachesrv"
	}
	header, rows, out, _ := reporttest.Quick(t, "hitratio", run, "-maxmemory", "0", "-servers", servers,
		"-cachesrv-bin", exe, "-requests", strconv.Itoa(requests), "-batch", "16", "-rounds", "2")
	c := csvRows{t, header, rows}
	if len(rows) != 2*4*len(strings.Split(servers, ",")) {
		t.Fatalf("%d rows\n%s", len(rows), out)
	}
	held := map[string]float64{}
	rounds := map[string]int{}
	for _, r := range rows {
		if c.str(r, "status") != "ok" || c.str(r, "policy") != noPolicy {
			t.Fatalf("run %v", r)
		}
		gets, hits, keys := c.num(r, "gets"), c.num(r, "hits"), c.num(r, "keys_held")
		if gets != requests || hits != gets-keys || c.num(r, "evicted_keys") != 0 {
			t.Errorf("%v: %v GETs, %v hits, %v keys held: want hits = GETs - keys held, nothing evicted", r, gets, hits, keys)
		}
		if h, ok := held[c.str(r, "trace")]; ok && h != keys {
			t.Errorf("%v: %v keys held, another run held %v", r, keys, h)
		}
		held[c.str(r, "trace")] = keys
		rounds[c.str(r, "round")]++
	}
	if rounds["1"] != len(rows)/2 || rounds["2"] != len(rows)/2 {
		t.Errorf("runs per round: %v", rounds)
	}
	if strings.Contains(out, "Target:") {
		t.Errorf("a target verdict without maxmemory:\n%s", out)
	}
}

// TestRejectedFlag: a cachesrv that does not know --maxmemory is listed
// as rejected with its message, and the tool still writes its results.
func TestRejectedFlag(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	exe := benchtest.StandInBinary(t, fakeServerEnv)
	header, rows, out, _ := reporttest.Quick(t, "hitratio", run, "-servers", "cachesrv", "-cachesrv-bin", exe,
		"-traces", "zipf-0.99", "-policies", "allkeys-s3fifo,allkeys-lru")
	c := csvRows{t, header, rows}
	if len(rows) != 2 {
		t.Fatalf("%d rows\n%s", len(rows), out)
	}
	for _, r := range rows {
		if s := c.str(r, "status"); s != "rejected: flag provided but not defined: -maxmemory" {
			t.Errorf("status %q", s)
		}
	}
	if !strings.Contains(out, "rejected: flag provided but not defined: -maxmemory") {
		t.Errorf("stdout does not show the rejection:\n%s", out)
	}
}

// A key repeated within a batch after a miss counts as a hit, with one
// SET; the next replay of the same keys hits throughout.
func TestReplayCountsRepeatsInBatch(t *testing.T) {
	srv, _ := benchtest.NewServer()
	c, err := resp.Dial(servertest.Serve(t, srv), "", adminTimeout)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr := &trace{name: "t", universe: 10, keys: []uint32{5, 5, 6, 5, 6, 7, 5, 7, 12}}
	tr.finish()
	st, err := replay(c, tr, 4, []byte("value"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Batches 5 5 6 5 | 6 7 5 7 | 12: misses 5, 6 | 7 | 12; the repeats
	// of 5 in batch 1 and of 7 in batch 2 count as hits; 6 and 5 in
	// batch 2 hit on the server.
	if st.gets != 9 || st.sets != 4 || st.hits != 5 || st.dupHits != 3 || st.univGets != 8 || st.univHits != 5 {
		t.Errorf("%+v", *st)
	}
	if n, err := c.DBSize(); err != nil || n != 4 {
		t.Errorf("DBSIZE %d, %v", n, err)
	}
	st, err = replay(c, tr, 4, []byte("value"), nil)
	if err != nil || st.hits != 9 || st.sets != 0 || st.dupHits != 0 {
		t.Errorf("second replay: %+v, %v", st, err)
	}
	if tr.distinct != 4 || tr.scanReqs != 1 {
		t.Errorf("distinct %d, scan requests %d", tr.distinct, tr.scanReqs)
	}
}
