// Command failbench measures how fast a cluster notices a killed node:
// it starts three cachesrv nodes on loopback, kills one with SIGKILL, and
// times how long until a survivor's CLUSTER NODES flags it fail? and
// until it is gone (its slots taken over); then restarts it under the same
// node ID and repeats.
//
//	go run ./bench/failbench -kills 20
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
	flag.Parse()
	if err := run(*kills); err != nil {
		fmt.Fprintln(os.Stderr, "failbench:", err)
		os.Exit(1)
	}
}

type node struct {
	id, addr string
	args     []string
	p        *proc.Process
}

func run(kills int) error {
	dir, err := os.MkdirTemp("", "failbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := proc.BuildCachesrv(dir)
	if err != nil {
		return err
	}
	ports, err := servertest.FindFreePorts(6)
	if err != nil {
		return err
	}
	seed := "127.0.0.1:" + strconv.Itoa(ports[3])
	nodes := make([]*node, 3)
	for i := range nodes {
		n := &node{id: fmt.Sprintf("node%d", i+1), addr: "127.0.0.1:" + strconv.Itoa(ports[i])}
		n.args = []string{"--cluster", "--node-id", n.id, "--port", strconv.Itoa(ports[i]), "--gossip-port", strconv.Itoa(ports[3+i]),
			"--metrics-addr", "", "--join", seed}
		nodes[i] = n
	}
	start := func(n *node) error {
		p, err := proc.Start(n.id, n.addr, bin, n.args, filepath.Join(dir, n.id+".log"))
		if err != nil {
			return err
		}
		n.p = p
		return p.WaitReady(15*time.Second, func() error { _, err := clusterNodes(n.addr); return err })
	}
	for _, n := range nodes {
		if err := start(n); err != nil {
			return err
		}
		defer func() { n.p.Stop(5 * time.Second) }() // the process current then: the victim is restarted
	}
	if err := waitMembers(nodes[0].addr, 3, 30*time.Second); err != nil {
		return err
	}
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
