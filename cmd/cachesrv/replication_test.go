package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

// TestReplicaProcessesKill9 starts three cachesrv processes with
// --cluster-replicas 1 (as a flag, and as CACHESRV_CLUSTER_REPLICAS on
// one of them), writes keys through a cluster client, waits until every
// replica has acknowledged them (INFO replication), kills one process
// with SIGKILL and checks that every key is still served, by the first
// replicas of the dead node's slots.
func TestReplicaProcessesKill9(t *testing.T) {
	bin := servertest.Cachesrv(t)
	all := servertest.FreePorts(t, 9)
	ports, gossip, metrics := all[0:3], all[3:6], all[6:9]
	var procs []*exec.Cmd
	for i := range 3 {
		args := []string{"--cluster", "--port", strconv.Itoa(ports[i]), "--gossip-port", strconv.Itoa(gossip[i]),
			"--join", fmt.Sprintf("127.0.0.1:%d", gossip[0]), "--metrics-addr", fmt.Sprintf("127.0.0.1:%d", metrics[i])}
		cmd := exec.Command(bin, args...)
		if i == 1 {
			cmd.Env = append(os.Environ(), "CACHESRV_CLUSTER_REPLICAS=1")
		} else {
			cmd.Args = append(cmd.Args, "--cluster-replicas", "1")
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		procs = append(procs, cmd)
	}
	ctx := context.Background()
	clients := make([]*redis.Client, 3)
	var addrs []string
	for i, p := range ports {
		addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", p))
		clients[i] = redis.NewClient(&redis.Options{Addr: addrs[i], Protocol: 2})
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
			t.Fatal("three processes did not form a cluster within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v := clients[1].ConfigGet(ctx, "cluster-replicas").Val()["cluster-replicas"]; v != "1" {
		t.Fatalf("CONFIG GET cluster-replicas on the node configured by env = %q", v)
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	defer cc.Close()
	const n = 3000
	p := cc.Pipeline()
	for i := range n {
		p.Set(ctx, fmt.Sprintf("key:%d", i), i, 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	// Every replica has acknowledged everything: the slaves' offsets
	// add up to the master's on every node.
	slaveOffset := regexp.MustCompile(`slave\d+:.*offset=(\d+)`)
	masterOffset := regexp.MustCompile(`master_repl_offset:(\d+)`)
	deadline = time.Now().Add(20 * time.Second)
	for {
		ok := true
		for _, c := range clients {
			info := c.Info(ctx, "replication").Val()
			sum := 0
			for _, m := range slaveOffset.FindAllStringSubmatch(info, -1) {
				v, _ := strconv.Atoi(m[1])
				sum += v
			}
			m := masterOffset.FindStringSubmatch(info)
			ok = ok && m != nil && m[1] == strconv.Itoa(sum) && strings.Contains(info, "connected_slaves:2")
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("replication did not catch up within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics[0]))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"cachesrv_replication_keys_total ", "cachesrv_replication_pending_keys{peer=", "cachesrv_replication_lag_seconds{peer=",
		"cachesrv_replication_applied_keys_total "} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	procs[2].Process.Kill() // SIGKILL: no leave, no hand-off
	procs[2].Wait()
	kill := time.Now()
	deadline = kill.Add(30 * time.Second)
	for {
		missing, failed := 0, 0
		p := clients[0].Pipeline()
		cmds := make([]*redis.StringCmd, n)
		for i := range n {
			cmds[i] = p.Get(ctx, fmt.Sprintf("key:%d", i))
		}
		p.Exec(ctx)
		for i, c := range cmds {
			v, err := c.Result()
			switch {
			case err == redis.Nil:
				missing++
			case err != nil:
				failed++
			case v != strconv.Itoa(i):
				t.Fatalf("key:%d = %q", i, v)
			}
		}
		if failed == 0 {
			t.Logf("every key served %v after the SIGKILL; %d of %d missing", time.Since(kill).Round(time.Millisecond), missing, n)
			if missing != 0 {
				t.Fatalf("%d acknowledged and replicated keys lost", missing)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d keys still not served 30 s after the kill", failed)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
