package main

import (
	"bytes"
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
// that every node process is gone afterwards.
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
	if code := run([]string{"-quick", "-bin", bin, "-out", dir}, &out, &errb); code != 0 {
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
	n1 := reporttest.Column(t, header, "node_cmds_per_op_1")
	seen := map[string]int{}
	for _, r := range rows {
		seen[r[mode]+"/"+r[client]]++
		if n, err := strconv.Atoi(r[opsCol]); err != nil || n == 0 {
			t.Errorf("row %v: no operations", r)
		}
		if r[errCol] != "0" {
			t.Errorf("row %v: errors", r)
		}
		// Through node 1 every command reaches node 1; with ClusterClient
		// about a third does.
		c, _ := strconv.ParseFloat(r[n1], 64)
		if r[client] == proxyClient && c < 0.9 {
			t.Errorf("proxy row %v: node 1 processed %.2f commands per op, want about 1", r, c)
		}
		if r[client] == directClient && (c < 0.1 || c > 0.7) {
			t.Errorf("direct row %v: node 1 processed %.2f commands per op, want about 1/3", r, c)
		}
	}
	if seen["proxy/proxy"] != 2 || seen["proxy/direct"] != 2 || seen["redirect/direct"] != 2 {
		t.Errorf("runs per mode/client: %v", seen)
	}
	for _, want := range []string{"proxy/direct", "Proxy (all clients on node 1) / direct (ClusterClient) throughput", "answered: MOVED "} {
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

func TestParseInfo(t *testing.T) {
	f := parseInfo("# Stats\r\ntotal_commands_processed:42\r\n\r\n# Cluster\r\ncluster_enabled:1\r\n")
	if f["total_commands_processed"] != "42" || f["cluster_enabled"] != "1" || len(f) != 2 {
		t.Fatalf("%v", f)
	}
}
