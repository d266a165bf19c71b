package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/sysstat"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// node is one cachesrv process this tool started on 127.0.0.1; Name and
// Addr (RESP) are the embedded Process's.
type node struct {
	*proc.Process
	gossipAddr string
	admin      *redis.Client // one connection for INFO and CLUSTER INFO
}

// localCluster is -nodes cachesrv processes gossiping on 127.0.0.1.
type localCluster struct {
	mode string // proxy or redirect

	mu    sync.Mutex // nodes grows while start runs; stop may come from the interrupt handler
	nodes []*node
	cpu   time.Duration // CPU the nodes had used when stopped, for the whole-run accounting
}

// start starts n nodes in the cluster's mode, the first one seeding the
// others, and waits until every node knows all n and serves all slots.
// On error the nodes started so far are stopped.
func (lc *localCluster) start(bin, dir string, n int, extra []string, prog *report.Progress) error {
	ports, err := servertest.FindFreePorts(2 * n) // TCP and UDP: gossip binds both
	if err != nil {
		return err
	}
	seed := fmt.Sprintf("127.0.0.1:%d", ports[n])
	for i := range n {
		addr := fmt.Sprintf("127.0.0.1:%d", ports[i])
		args := append([]string{
			"--cluster", "--cluster-mode", lc.mode,
			"--bind", "127.0.0.1", "--port", strconv.Itoa(ports[i]),
			"--gossip-bind", "127.0.0.1", "--gossip-port", strconv.Itoa(ports[n+i]),
			"--join", seed, "--metrics-addr", "", "--log-level", "warn",
		}, extra...)
		lc.mu.Lock()
		p, err := proc.Start(fmt.Sprintf("node%d", i+1), addr, bin, args, filepath.Join(dir, fmt.Sprintf("%s-node%d.log", lc.mode, i+1)))
		var nd *node
		if err == nil {
			nd = &node{Process: p, gossipAddr: fmt.Sprintf("127.0.0.1:%d", ports[n+i]),
				admin: redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1, Protocol: 2, DisableIdentity: true})}
			lc.nodes = append(lc.nodes, nd)
		}
		lc.mu.Unlock()
		if err != nil {
			lc.stop()
			return err
		}
		// The seed first, so the others find it listening.
		if i == 0 {
			if err := nd.WaitReady(15*time.Second, nd.ping); err != nil {
				lc.stop()
				return err
			}
		}
	}
	start := time.Now()
	if err := lc.waitFormed(30 * time.Second); err != nil {
		lc.stop()
		return err
	}
	prog.Note("%s cluster of %d nodes formed in %v: %s", lc.mode, n, time.Since(start).Round(time.Millisecond), strings.Join(lc.addrs(), ", "))
	return nil
}

func (lc *localCluster) addrs() []string {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	var out []string
	for _, nd := range lc.nodes {
		out = append(out, nd.Addr)
	}
	return out
}

func (nd *node) ping() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return nd.admin.Ping(ctx).Err()
}

// waitFormed waits until CLUSTER INFO on every node reports all nodes
// known and cluster_state:ok.
func (lc *localCluster) waitFormed(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	want := strconv.Itoa(len(lc.nodes))
	for _, nd := range lc.nodes {
		var last string
		for {
			select {
			case <-nd.Exited():
				return nd.Failure("exited: " + nd.ExitState())
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			s, err := nd.admin.ClusterInfo(ctx).Result()
			cancel()
			if err == nil {
				f := resp.ParseInfo(s)
				if f["cluster_known_nodes"] == want && f["cluster_state"] == "ok" {
					break
				}
				last = fmt.Sprintf("cluster_known_nodes:%s cluster_state:%s", f["cluster_known_nodes"], f["cluster_state"])
			} else {
				last = err.Error()
			}
			if time.Now().After(deadline) {
				return nd.Failure(fmt.Sprintf("cluster not formed within %v (last CLUSTER INFO: %s)", limit, last))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// info returns every "field:value" line of INFO (all sections).
func (nd *node) info() (map[string]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := nd.admin.Info(ctx, "all").Result()
	if err != nil {
		return nil, err
	}
	return resp.ParseInfo(s), nil
}

// stop sends SIGTERM to the nodes one at a time, last started first, and
// SIGKILL to any still running after 15 s. A node leaves the cluster
// gracefully on SIGTERM; one at a time each leave is acknowledged by the
// nodes still up and takes well under a second, while all at once each
// waits out its leave timeout (5 s).
func (lc *localCluster) stop() {
	lc.mu.Lock()
	nodes := slices.Clone(lc.nodes)
	lc.mu.Unlock()
	for _, nd := range slices.Backward(nodes) {
		if cpu, err := sysstat.PidCPU(nd.Pid()); err == nil {
			lc.mu.Lock()
			lc.cpu += cpu
			lc.mu.Unlock()
		}
		nd.stop()
	}
}

// cpuUsed is the CPU time the stopped nodes had used.
func (lc *localCluster) cpuUsed() time.Duration {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.cpu
}

// stop is safe to call more than once and from several goroutines (the
// deferred clean-up and the interrupt handler).
func (nd *node) stop() {
	nd.admin.Close() // a second Close only returns an error
	nd.Stop(15 * time.Second)
}
