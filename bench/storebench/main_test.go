package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/bench/internal/reporttest"
)

func TestQuick(t *testing.T) {
	header, rows, out, errb := reporttest.Quick(t, "storebench", run)
	// 2 shard counts + 2 baselines, 2 distributions, 2 mixes, 2 goroutine counts.
	if len(rows) != 4*2*2*2 {
		t.Fatalf("%d rows, want 32", len(rows))
	}
	impl, ops := reporttest.Column(t, header, "impl"), reporttest.Column(t, header, "ops")
	wait := reporttest.Column(t, header, "lock_wait_share")
	for _, r := range rows {
		if n, err := strconv.ParseUint(r[ops], 10, 64); err != nil || n == 0 {
			t.Errorf("row %v: no ops", r)
		}
		hasStats := r[impl] != "sync.Map"
		if (r[wait] != "") != hasStats {
			t.Errorf("row %v: lock_wait_share %q", r, r[wait])
		}
	}
	for _, want := range []string{"Throughput, ops/s", "store 16 shards", "sync.Map", "RWMutex map", "wrote "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errb, "[32/32") {
		t.Errorf("no progress on stderr:\n%s", errb)
	}
}

func TestBadFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-shards", "3", "-quick=false", "-goroutines", "1", "-out", t.TempDir()}, &out, &errb); code == 0 {
		t.Fatal("shard count 3 accepted")
	}
	if code := run([]string{"-goroutines", "x"}, &out, &errb); code != 2 {
		t.Fatalf("exit %d for a bad list", code)
	}
}
