package main

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/bench/internal/benchtest"
	"github.com/cachesrv/cachesrv/bench/internal/reporttest"
)

// fakeServerEnv makes the test binary act as a cachesrv process (the real
// protocol and store, in-process), so the test does not build
// ./cmd/cachesrv.
const fakeServerEnv = "RBCOMPARE_TEST_FAKE_CACHESRV"

func TestMain(m *testing.M) {
	if os.Getenv(fakeServerEnv) == "1" {
		os.Exit(benchtest.StandIn(os.Args[1:], "rbcompare test stand-in"))
	}
	os.Exit(m.Run())
}

// TestCompareRuns runs the whole comparison, small, against the stand-in
// and a real redis-server with the real redis-benchmark, both
// placements, and checks the tables and files it writes.
func TestCompareRuns(t *testing.T) {
	for _, b := range []string{"redis-server", "redis-benchmark", "taskset"} {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s not installed", b)
		}
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"-bin", os.Args[0], "-cachesrv-env", fakeServerEnv + "=1", "-tests", "get",
		"-pipeline", "1,4", "-rounds", "1", "-n1", "1000", "-n", "2000", "-c", "5", "-out", dir}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	for _, want := range []string{"colocated, P=1", "colocated, P=4", "pinned, P=1", "pinned, P=4"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks a table %q:\n%s", want, out.String())
		}
	}
	header, rows := reporttest.Check(t, dir, "rbcompare")
	if len(header) != 11 || header[3] != "server" {
		t.Fatalf("CSV header %v", header)
	}
	// 2 placements x 2 pipelines x 1 test x 2 servers x 1 round.
	if len(rows) != 8 {
		t.Fatalf("CSV has %d rows, want 8", len(rows))
	}
	for _, r := range rows {
		if r[5] == "0" || r[10] == "0" {
			t.Errorf("row %v: no throughput or requests", r)
		}
	}
}

func TestParseCSVSkipsTheFillingLPUSH(t *testing.T) {
	out := []byte(`"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"LPUSH (needed to benchmark LRANGE)","22222.22","0.150","0.048","0.143","0.231","0.319","1.143"
"LRANGE_100 (first 100 elements)","15748.03","0.218","0.088","0.199","0.383","0.463","1.063"
`)
	s, err := parseCSV(out, "lrange_100")
	if err != nil {
		t.Fatal(err)
	}
	if s.rps != 15748.03 || s.p50 != 0.199 || s.p99 != 0.463 {
		t.Errorf("parsed %+v", s)
	}
	if _, err := parseCSV(out, "get"); err == nil {
		t.Error("no GET row, yet no error")
	}
}
