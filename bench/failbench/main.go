// Command failbench measures how fast a cluster notices a killed node:
// it starts three cachesrv nodes on loopback, kills one with SIGKILL, and
// times how long until a survivor's CLUSTER NODES flags it fail? and
// until it is gone (its slots taken over); then restarts it under the same
// node ID and repeats.
//
//	go run ./bench/failbench -kills 20
//
// With -soak it kills nothing: it runs a GET/SET load through all three
// nodes for that long and counts false suspicions, every sign that a
// healthy node was taken for a failing one: memberlist's own log lines
// (a probe unanswered, a node marked failed, a node refuting a suspicion
// of itself), fail? flags seen in CLUSTER NODES, and slot tables changed.
//
//	go run ./bench/failbench -soak 10m
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

func main() {
	kills := flag.Int("kills", 20, "how many times to kill a node")
	soak := flag.Duration("soak", 0, "instead of killing nodes, run a GET/SET load for this long and count false suspicions")
	workers := flag.Int("workers", 6, "-soak: load connections, spread over the nodes")
	pipeline := flag.Int("pipeline", 16, "-soak: commands per round trip")
	flag.Parse()
	var err error
	if *soak > 0 {
		err = runSoak(*soak, *workers, *pipeline)
	} else {
		err = run(*kills)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "failbench:", err)
		os.Exit(1)
	}
}

type node struct {
	id, addr string
	args     []string
	p        *proc.Process
}

// cluster is three nodes on loopback, all joining through node1's gossip
// address (node1's own: it bootstraps the cluster), logging to dir.
type cluster struct {
	dir, bin string
	nodes    []*node
}

func newCluster() (*cluster, error) {
	dir, err := os.MkdirTemp("", "failbench")
	if err != nil {
		return nil, err
	}
	bin, err := proc.BuildCachesrv(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	ports, err := servertest.FindFreePorts(6)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	seed := "127.0.0.1:" + strconv.Itoa(ports[3])
	c := &cluster{dir: dir, bin: bin, nodes: make([]*node, 3)}
	for i := range c.nodes {
		n := &node{id: fmt.Sprintf("node%d", i+1), addr: "127.0.0.1:" + strconv.Itoa(ports[i])}
		n.args = []string{"--cluster", "--node-id", n.id, "--port", strconv.Itoa(ports[i]), "--gossip-port", strconv.Itoa(ports[3+i]),
			"--metrics-addr", "", "--join", seed}
		c.nodes[i] = n
	}
	return c, nil
}

func (c *cluster) logPath(n *node) string { return filepath.Join(c.dir, n.id+".log") }

func (c *cluster) start(n *node) error {
	p, err := proc.Start(n.id, n.addr, c.bin, n.args, c.logPath(n))
	if err != nil {
		return err
	}
	n.p = p
	return p.WaitReady(15*time.Second, func() error { _, err := clusterNodes(n.addr); return err })
}

// up starts every node and waits until node1 sees all three.
func (c *cluster) up() error {
	for _, n := range c.nodes {
		if err := c.start(n); err != nil {
			return err
		}
	}
	return waitMembers(c.nodes[0].addr, 3, 30*time.Second)
}

// close stops the nodes' current processes and removes dir.
func (c *cluster) close() {
	for _, n := range c.nodes {
		if n.p != nil {
			n.p.Stop(5 * time.Second)
		}
	}
	os.RemoveAll(c.dir)
}

func run(kills int) error {
	c, err := newCluster()
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.up(); err != nil {
		return err
	}
	nodes, start := c.nodes, c.start
	var suspect, dead []time.Duration
	victim := nodes[2]
	for k := 0; k < kills; k++ {
		syscall.Kill(victim.p.Pid(), syscall.SIGKILL)
		t0 := time.Now()
		<-victim.p.Exited()
		var sawSuspect bool
		for {
			out, err := clusterNodes(nodes[0].addr)
			if err != nil {
				return err
			}
			if !sawSuspect && strings.Contains(out, victim.id+" ") && strings.Contains(lineOf(out, victim.id), "fail?") {
				sawSuspect = true
				suspect = append(suspect, time.Since(t0))
			}
			if !strings.Contains(out, victim.id+" ") {
				dead = append(dead, time.Since(t0))
				break
			}
			if time.Since(t0) > 60*time.Second {
				return fmt.Errorf("kill %d: %s still listed after 60 s", k+1, victim.id)
			}
			time.Sleep(20 * time.Millisecond)
		}
		fmt.Printf("kill %2d: fail? after %v, gone after %v\n", k+1, last(suspect, sawSuspect), dead[len(dead)-1].Round(time.Millisecond))
		if err := start(victim); err != nil {
			return err
		}
		if err := waitMembers(nodes[0].addr, 3, 30*time.Second); err != nil {
			return err
		}
	}
	fmt.Printf("\nkilled %d times: fail? seen %d times, median %v (max %v); gone median %v (min %v, max %v)\n",
		kills, len(suspect), median(suspect), max0(suspect), median(dead), min0(dead), max0(dead))
	return nil
}

func last(d []time.Duration, ok bool) string {
	if !ok {
		return "(not seen)"
	}
	return d[len(d)-1].Round(time.Millisecond).String()
}

func lineOf(out, id string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, id+" ") {
			return l
		}
	}
	return ""
}

func clusterNodes(addr string) (string, error) {
	c, err := resp.Dial(addr, "", 2*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	v, err := c.Do("CLUSTER", "NODES")
	if err != nil {
		return "", err
	}
	s, _ := v.(string)
	return s, nil
}

func waitMembers(addr string, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if out, err := clusterNodes(addr); err == nil && strings.Count(strings.TrimSpace(out), "\n")+1 == n && !strings.Contains(out, "fail?") {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not see %d members within %v", addr, n, limit)
}

func sorted(d []time.Duration) []time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return sorted(d)[len(d)/2].Round(time.Millisecond)
}

func min0(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return sorted(d)[0].Round(time.Millisecond)
}

func max0(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return sorted(d)[len(d)-1].Round(time.Millisecond)
}
