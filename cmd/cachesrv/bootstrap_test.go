package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

// TestBootstrapProcesses: real processes, the README's flags. A node
// whose seed is not up answers CLUSTERDOWN, says cluster_state:fail and
// is not ready; a node with another cluster secret stays so even once
// the seed is up; the seed, whose --join names only itself, bootstraps;
// the first node then joins it in the background and serves.
func TestBootstrapProcesses(t *testing.T) {
	bin := servertest.Cachesrv(t)
	all := servertest.FreePorts(t, 9)
	ports, gossip, metrics := all[0:3], all[3:6], all[6:9]
	seed := fmt.Sprintf("127.0.0.1:%d", gossip[0])
	start := func(i int, secret string) (*redis.Client, *lockedBuffer) {
		cmd := exec.Command(bin, "--cluster", "--port", strconv.Itoa(ports[i]), "--gossip-port", strconv.Itoa(gossip[i]),
			"--join", seed, "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", metrics[i]), "--gossip-secret", secret)
		log := &lockedBuffer{}
		cmd.Stderr = log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", ports[i]), Protocol: 2, MaxRetries: -1})
		t.Cleanup(func() { c.Close() })
		for deadline := time.Now().Add(15 * time.Second); c.Ping(context.Background()).Err() != nil; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("node %d did not start:\n%s", i, log)
			}
		}
		return c, log
	}
	ctx := context.Background()
	ready := func(i int) int {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", metrics[i]))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	metric := func(i int, name string) string {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics[i]))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, l := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(l, name+" "); ok {
				return v
			}
		}
		return "(none)"
	}
	checkDown := func(i int, c *redis.Client) {
		t.Helper()
		for _, cmd := range []*redis.StatusCmd{c.Set(ctx, "greeting", "hello", 0)} {
			if err := cmd.Err(); err == nil || err.Error() != "CLUSTERDOWN The cluster is down" {
				t.Errorf("node %d: SET = %v, want CLUSTERDOWN The cluster is down", i, err)
			}
		}
		if err := c.Get(ctx, "greeting").Err(); err == nil || err.Error() != "CLUSTERDOWN The cluster is down" {
			t.Errorf("node %d: GET = %v, want CLUSTERDOWN The cluster is down", i, err)
		}
		info, _ := c.ClusterInfo(ctx).Result()
		for _, want := range []string{"cluster_state:fail", "cluster_slots_assigned:0", "cluster_known_nodes:1"} {
			if !strings.Contains(info, want) {
				t.Errorf("node %d: CLUSTER INFO lacks %s:\n%s", i, want, info)
			}
		}
		if code := ready(i); code != http.StatusServiceUnavailable {
			t.Errorf("node %d: /readyz = %d while down, want 503", i, code)
		}
		if v := metric(i, "cachesrv_cluster_state"); v != "0" {
			t.Errorf("node %d: cachesrv_cluster_state %s while down, want 0", i, v)
		}
		if v := metric(i, "cachesrv_cluster_slots_owned"); v != "0" {
			t.Errorf("node %d: cachesrv_cluster_slots_owned %s while down, want 0", i, v)
		}
	}

	// Node 1's seed (node 0's gossip port) is not up.
	early, earlyLog := start(1, "secret")
	checkDown(1, early)
	if !strings.Contains(earlyLog.String(), "serving no slots (CLUSTERDOWN)") {
		t.Errorf("node 1's log does not say it is down:\n%s", earlyLog)
	}

	// Node 0, whose --join names its own address, bootstraps and serves.
	first, _ := start(0, "secret")
	if err := first.Set(ctx, "greeting", "hello", 0).Err(); err != nil {
		t.Fatalf("the bootstrapping node: SET = %v", err)
	}
	if code := ready(0); code != http.StatusOK {
		t.Errorf("the bootstrapping node: /readyz = %d", code)
	}

	// Node 1 finds its seed in the background, joins and serves.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		info, _ := early.ClusterInfo(ctx).Result()
		if strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:2") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node 1 did not join once its seed was up:\n%s\n%s", info, earlyLog)
		}
	}
	if v, err := early.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		t.Errorf("node 1 after joining: GET = %q, %v", v, err)
	}
	if code := ready(1); code != http.StatusOK {
		t.Errorf("node 1 after joining: /readyz = %d", code)
	}
	if v := metric(1, "cachesrv_cluster_state"); v != "1" {
		t.Errorf("node 1 after joining: cachesrv_cluster_state %s", v)
	}

	// A node with another secret reaches the seed, is refused, and claims
	// nothing; the cluster does not list it.
	rogue, rogueLog := start(2, "another secret")
	for deadline := time.Now().Add(15 * time.Second); !strings.Contains(rogueLog.String(), "no seed answered"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the rogue's log shows no refused join:\n%s", rogueLog)
		}
	}
	checkDown(2, rogue)
	for i, c := range []*redis.Client{first, early} {
		if nodes, _ := c.ClusterNodes(ctx).Result(); strings.Count(strings.TrimSpace(nodes), "\n") != 1 {
			t.Errorf("node %d lists the rogue:\n%s", i, nodes)
		}
	}
	if t.Failed() {
		t.Logf("rogue's log:\n%s", rogueLog)
	}
}
