package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/bench/internal/benchtest"
	"github.com/cachesrv/cachesrv/bench/internal/reporttest"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// fakeServerEnv makes the test binary act as a cachesrv process, so that
// -compare's process handling (start, wait for PING, CPU from /proc,
// SIGTERM) is tested without building ./cmd/cachesrv.
const fakeServerEnv = "LOADGEN_TEST_FAKE_CACHESRV"

func TestMain(m *testing.M) {
	if os.Getenv(fakeServerEnv) == "1" {
		os.Exit(benchtest.StandIn(os.Args[1:], "loadgen test stand-in"))
	}
	os.Exit(m.Run())
}

func TestAgainstInProcessServer(t *testing.T) {
	srv, st := benchtest.NewServer()
	addr := servertest.Serve(t, srv)
	dir := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"-addr", addr, "-duration", "1200ms", "-warmup", "100ms", "-conns", "4",
		"-keys", "2000", "-pipeline", "16", "-ratio", "1:1", "-dist", "zipf", "-out", dir}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	if n := st.DBSize(); n != 2000 {
		t.Errorf("server holds %d keys after preload, want 2000", n)
	}
	header, rows := reporttest.Check(t, dir, "loadgen")
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	r := rows[0]
	if ops, _ := strconv.Atoi(r[reporttest.Column(t, header, "ops")]); ops == 0 {
		t.Errorf("no ops: %v", r)
	}
	if e := r[reporttest.Column(t, header, "errors")]; e != "0" {
		t.Errorf("%s error replies", e)
	}
	if p99, _ := strconv.Atoi(r[reporttest.Column(t, header, "p99_us")]); p99 <= 0 {
		t.Errorf("p99 %d", p99)
	}
	if !strings.Contains(errb.String(), "ops/s") || !strings.Contains(errb.String(), "preloaded") {
		t.Errorf("no progress on stderr:\n%s", errb.String())
	}
	if !strings.Contains(out.String(), "GET:SET 1:1 P16") {
		t.Errorf("no runs table:\n%s", out.String())
	}
}

func TestCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	exe := benchtest.StandInBinary(t, fakeServerEnv)
	servers := 1
	if servertest.HaveTool(t, "redis-server") {
		servers = 2
	}
	dir := t.TempDir()
	var out, errb bytes.Buffer
	args := []string{"-compare", "-bin", exe, "-duration", "300ms", "-warmup", "50ms", "-rounds", "2", "-conns", "2",
		"-keys", "500", "-pipeline", "4", "-ratio", "0:1", "-out", dir}
	if code := run(args, &out, &errb); code != 0 {
		t.Fatalf("exit %d\n%s", code, errb.String())
	}
	header, rows := reporttest.Check(t, dir, "loadgen-compare")
	if len(rows) != 2*servers {
		t.Fatalf("%d rows, want %d", len(rows), 2*servers)
	}
	cpu := reporttest.Column(t, header, "server_cpu_seconds")
	for _, r := range rows {
		if r[cpu] == "" {
			t.Errorf("no server CPU in %v", r)
		}
	}
	if servers == 2 && !strings.Contains(out.String(), "median ratio") {
		t.Errorf("no ratio table:\n%s", out.String())
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, a := range []string{"127.0.0.1:6379", "localhost:6379", "[::1]:6379"} {
		if err := checkLoopback(a); err != nil {
			t.Errorf("%s refused: %v", a, err)
		}
	}
	for _, a := range []string{"10.0.0.1:6379", "192.168.1.2:6379", "8.8.8.8:53"} {
		if err := checkLoopback(a); err == nil {
			t.Errorf("%s accepted", a)
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-addr", "10.1.2.3:6379", "-duration", "1s"}, &out, &errb); code != 2 {
		t.Errorf("exit %d for a non-loopback address", code)
	}
}
