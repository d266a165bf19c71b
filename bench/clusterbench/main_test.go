package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/bench/internal/reporttest"
)

// TestQuick builds cachesrv, runs the quick benchmark against real
// 3-node clusters (proxy and redirect mode) and checks what it wrote and
// that every node process is gone afterwards. Eight clients instead of 50
// are enough for what it counts, and cost less under the race detector.
func TestQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cachesrv and starts two 3-node clusters")
	}
	dir := t.TempDir()
	bin, err := proc.BuildCachesrv(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-quick", "-clients", "8", "-bin", bin, "-out", dir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	header, rows := reporttest.Check(t, dir, "clusterbench")
	// Pipeline 16, GET and SET: proxy and direct on the proxy cluster,
	// direct on the redirect cluster.
	if len(rows) != 2*3 {
		t.Fatalf("%d rows, want 6\n%s", len(rows), out.String())
	}
	mode, client, opsCol, errCol := reporttest.Column(t, header, "cluster_mode"), reporttest.Column(t, header, "client"),
		reporttest.Column(t, header, "ops"), reporttest.Column(t, header, "errors")
	seen := map[string]int{}
	for _, r := range rows {
		seen[r[mode]+"/"+r[client]]++
		if n, err := strconv.Atoi(r[opsCol]); err != nil || n == 0 {
			t.Errorf("row %v: no operations", r)
		}
		if r[errCol] != "0" {
			t.Errorf("row %v: errors", r)
		}
		// A node counts a command before it replies, so every operation
		// measured was counted in the window: through node 1 on node 1,
		// with ClusterClient on some node. Which share node 1 takes in a
		// direct run depends on the commands in flight at the window's
		// edges, so the run's report checks that, not this test.
		var cmds [3]float64
		for i := range cmds {
			cmds[i], _ = strconv.ParseFloat(r[reporttest.Column(t, header, fmt.Sprintf("node_cmds_per_op_%d", i+1))], 64)
		}
		if r[client] == proxyClient && cmds[0] < 0.9 {
			t.Errorf("proxy row %v: node 1 processed %.2f commands per op, want about 1", r, cmds[0])
		}
		if sum := cmds[0] + cmds[1] + cmds[2]; r[client] == directClient && sum < 0.9 {
			t.Errorf("direct row %v: the nodes processed %.2f commands per op, want at least 1", r, sum)
		}
	}
	if seen["proxy/proxy"] != 2 || seen["proxy/direct"] != 2 || seen["redirect/direct"] != 2 {
		t.Errorf("runs per mode/client: %v", seen)
	}
	for _, want := range []string{"proxy/direct", "Proxy (all clients on node 1) / direct (ClusterClient) throughput", "answered: MOVED ", "Routing check, commands node 1 processed per operation: "} {
		if !strings.Contains(out.String(), want) && !strings.Contains(readMD(t, dir), want) {
			t.Errorf("output and Markdown lack %q", want)
		}
	}
}

func readMD(t *testing.T, dir string) string {
	m, _ := filepath.Glob(filepath.Join(dir, "clusterbench-*.md"))
	if len(m) != 1 {
		return ""
	}
	b, err := os.ReadFile(m[0])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-ops", "del"}, {"-modes", "gossip"}, {"-nodes", "1"}, {"-pipeline", "0"}} {
		var out, errb bytes.Buffer
		if code := run(append(args, "-out", t.TempDir(), "-bin", "/nonexistent"), &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errb.String())
		}
	}
}
