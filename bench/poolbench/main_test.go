package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/bench/internal/reporttest"
)

func TestQuick(t *testing.T) {
	header, rows, out, _ := reporttest.Quick(t, "poolbench", run)
	if len(rows) != 3*3 { // 3 tasks x workers 1,2,4
		t.Fatalf("%d rows, want 9", len(rows))
	}
	tasks := reporttest.Column(t, header, "tasks")
	for _, r := range rows {
		if n, err := strconv.Atoi(r[tasks]); err != nil || n == 0 {
			t.Errorf("row %v: no tasks done", r)
		}
	}
	if !strings.Contains(out, "Smallest pool within 5%") {
		t.Errorf("no summary table:\n%s", out)
	}
}

func TestUnknownTask(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-quick", "-tasks", "nap", "-out", t.TempDir()}, &out, &errb); code == 0 {
		t.Fatal("unknown task accepted")
	}
}
