package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

// TestClusterProcesses starts three real cachesrv processes with the
// README's cluster flags and checks they form one cluster that serves
// keys through any node, and that a node leaves cleanly on SIGTERM.
func TestClusterProcesses(t *testing.T) {
	bin := servertest.Cachesrv(t)
	all := servertest.FreePorts(t, 9)
	ports, gossip, metrics := all[0:3], all[3:6], all[6:9]
	var procs []*exec.Cmd
	logs := make([]*strings.Builder, 3)
	for i := range 3 {
		cmd := exec.Command(bin, "--cluster", "--port", strconv.Itoa(ports[i]), "--gossip-port", strconv.Itoa(gossip[i]),
			"--join", fmt.Sprintf("127.0.0.1:%d", gossip[0]), "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", metrics[i]))
		logs[i] = &strings.Builder{}
		cmd.Stderr = logs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		procs = append(procs, cmd)
	}
	ctx := context.Background()
	clients := make([]*redis.Client, 3)
	for i, p := range ports {
		clients[i] = redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", p), Protocol: 2})
		defer clients[i].Close()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok := true
		for _, c := range clients {
			info, err := c.ClusterInfo(ctx).Result()
			ok = ok && err == nil && strings.Contains(info, "cluster_known_nodes:3")
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			for i, p := range procs {
				p.Process.Kill()
				p.Wait()
				t.Logf("node %d log:\n%s", i, logs[i].String())
			}
			t.Fatal("three processes did not form a cluster within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := range 100 {
		if err := clients[0].Set(ctx, "k"+strings.Repeat("x", i%7)+string(rune('a'+i%26)), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := clients[1].Set(ctx, "greeting", "hello", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := clients[2].Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		t.Fatalf("GET through the third node = %q, %v", v, err)
	}
	// Node 1 forwarded what it does not own, and says so in /metrics.
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics[0]))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"cachesrv_cluster_members 3", "cachesrv_forwarded_commands_total{peer=", "cachesrv_forward_batch_size_bucket{peer=", "cachesrv_cluster_slots_owned ",
		"cachesrv_handoff_keys_total ", "cachesrv_handoff_skipped_keys_total ", "cachesrv_handoff_slots_pending "} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	procs[2].Process.Signal(syscall.SIGTERM)
	if err := procs[2].Wait(); err != nil {
		t.Fatalf("node exit after SIGTERM: %v", err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for {
		info, _ := clients[0].ClusterInfo(ctx).Result()
		if strings.Contains(info, "cluster_known_nodes:2") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the leave was not seen within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The node that left handed its keys over before it exited: none is
	// lost (protocol/handoff.go).
	for i := range 100 {
		k := "k" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
		if v, err := clients[0].Get(ctx, k).Int(); err != nil || v != i {
			t.Fatalf("GET %s after the third node left: %d, %v; want %d", k, v, err, i)
		}
	}
	if v, err := clients[0].Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		t.Fatalf("GET greeting after the third node left = %q, %v", v, err)
	}
}
