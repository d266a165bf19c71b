// Command handoffbench measures what a hand-off (protocol/handoff.go)
// costs the clients of a cluster: it starts three cachesrv nodes on
// loopback, loads -keys keys, then has -clients clients GET random loaded
// keys from a node that stays, closed loop, while one node leaves
// gracefully (SIGTERM: its keys, about a third, stream to the others) or,
// with -scenario join, while a third node joins two that hold the keys (a
// third of them stream to it). It prints GET latency percentiles before,
// during and after the hand-off, and the GETs that missed (a key not
// found: lost, or not yet there).
//
//	go run ./bench/handoffbench -keys 3000000             # a leave handing off ~1M keys
//	go run ./bench/handoffbench -keys 1500000 -scenario join
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

func main() {
	keys := flag.Int("keys", 3_000_000, "keys to load")
	size := flag.Int("size", 64, "value size in bytes")
	clients := flag.Int("clients", 4, "GET clients, each on a connection of its own, closed loop")
	scenario := flag.String("scenario", "leave", "leave (SIGTERM one of three nodes) or join (a third node joins two)")
	base := flag.Duration("baseline", 3*time.Second, "how long to measure before the hand-off")
	flag.Parse()
	if *scenario != "leave" && *scenario != "join" {
		fmt.Fprintln(os.Stderr, "handoffbench: -scenario must be leave or join")
		os.Exit(2)
	}
	if err := run(*keys, *size, *clients, *scenario, *base); err != nil {
		fmt.Fprintln(os.Stderr, "handoffbench:", err)
		os.Exit(1)
	}
}

type node struct {
	id, addr, metrics string
	args              []string
	p                 *proc.Process
}

func run(keys, size, clients int, scenario string, baseline time.Duration) error {
	dir, err := os.MkdirTemp("", "handoffbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := proc.BuildCachesrv(dir)
	if err != nil {
		return err
	}
	ports, err := servertest.FindFreePorts(9)
	if err != nil {
		return err
	}
	seed := "127.0.0.1:" + strconv.Itoa(ports[3])
	nodes := make([]*node, 3)
	for i := range nodes {
		n := &node{id: fmt.Sprintf("node%d", i+1), addr: "127.0.0.1:" + strconv.Itoa(ports[i]), metrics: "127.0.0.1:" + strconv.Itoa(ports[6+i])}
		n.args = []string{"--cluster", "--node-id", n.id, "--port", strconv.Itoa(ports[i]), "--gossip-port", strconv.Itoa(ports[3+i]),
			"--metrics-addr", n.metrics, "--join", seed, "--cluster-leave-timeout", "120"}
		nodes[i] = n
	}
	start := func(n *node) error {
		p, err := proc.Start(n.id, n.addr, bin, n.args, filepath.Join(dir, n.id+".log"))
		if err != nil {
			return err
		}
		n.p = p
		return p.WaitReady(15*time.Second, func() error { _, err := do(n.addr, "PING"); return err })
	}
	stopAll := proc.StopOnInterrupt(os.Stderr, "handoffbench: interrupted", dir, func() {
		for _, n := range nodes {
			if n.p != nil {
				n.p.Stop(5 * time.Second)
			}
		}
	})
	defer stopAll()
	initial := nodes
	if scenario == "join" {
		initial = nodes[:2]
	}
	for _, n := range initial {
		if err := start(n); err != nil {
			return err
		}
		defer n.p.Stop(5 * time.Second)
	}
	if err := waitMembers(nodes[0].addr, len(initial), 30*time.Second); err != nil {
		return err
	}
	t0 := time.Now()
	if err := load(nodes[0].addr, keys, size); err != nil {
		return err
	}
	fmt.Printf("loaded %d keys of %d bytes through %s in %v\n", keys, size, nodes[0].id, time.Since(t0).Round(time.Millisecond))

	// GET clients on node1, which stays.
	var phase atomic.Int32 // 0 before, 1 during, 2 after
	var mu sync.Mutex
	lat := [3][]time.Duration{}
	var misses, errs [3]atomic.Int64
	var firstErr [3]atomic.Pointer[string]
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", nodes[0].addr)
			if err != nil {
				errs[0].Add(1)
				return
			}
			defer conn.Close()
			rd := bufio.NewReader(conn)
			var mine [3][]time.Duration
			for {
				select {
				case <-stop:
					mu.Lock()
					for i := range mine {
						lat[i] = append(lat[i], mine[i]...)
					}
					mu.Unlock()
					return
				default:
				}
				k := "key:" + strconv.Itoa(rand.IntN(keys))
				p := phase.Load()
				t := time.Now()
				conn.Write(resp.AppendCommand(nil, []byte("GET"), []byte(k)))
				reply, err := resp.AppendReply(nil, rd)
				d := time.Since(t)
				if err != nil {
					errs[p].Add(1)
					return
				}
				switch {
				case reply[0] == '-':
					errs[p].Add(1)
					e := strings.TrimSpace(string(reply))
					firstErr[p].CompareAndSwap(nil, &e)
				case string(reply) == "$-1\r\n":
					misses[p].Add(1)
				}
				mine[p] = append(mine[p], d)
			}
		}()
	}
	time.Sleep(baseline)
	phase.Store(1)
	t1 := time.Now()
	var moved string
	switch scenario {
	case "leave":
		victim := nodes[2]
		before, _ := dbsize(victim.addr)
		syscall.Kill(victim.p.Pid(), syscall.SIGTERM)
		<-victim.p.Exited()
		moved = fmt.Sprintf("node3 left holding %d keys (SIGTERM to exit)", before)
		if err := waitQuiet(nodes[:2], 60*time.Second); err != nil {
			return err
		}
	case "join":
		if err := start(nodes[2]); err != nil {
			return err
		}
		defer nodes[2].p.Stop(5 * time.Second)
		if err := waitQuiet(nodes, 120*time.Second); err != nil {
			return err
		}
		n, _ := dbsize(nodes[2].addr)
		moved = fmt.Sprintf("node3 joined and now holds %d keys (start to hand-off done)", n)
	}
	during := time.Since(t1)
	phase.Store(2)
	time.Sleep(baseline)
	close(stop)
	wg.Wait()
	fmt.Printf("%s in %v\n", moved, during.Round(time.Millisecond))
	fmt.Printf("GET from node1, %d clients, closed loop:\n", clients)
	for i, name := range []string{"before", "during", "after"} {
		d := lat[i]
		slices.Sort(d)
		fmt.Printf("  %-6s %8d GETs  p50 %-9v p99 %-9v p99.9 %-9v max %-9v  misses %d  errors %d\n", name, len(d),
			pct(d, 50), pct(d, 99), pct(d, 99.9), pct(d, 100), misses[i].Load(), errs[i].Load())
		if e := firstErr[i].Load(); e != nil {
			fmt.Printf("         first error: %s\n", *e)
		}
	}
	total := 0
	for _, n := range nodes[:2] {
		c, _ := dbsize(n.addr)
		total += c
	}
	if scenario == "join" {
		c, _ := dbsize(nodes[2].addr)
		total += c
	}
	fmt.Printf("keys in the cluster after: %d of %d\n", total, keys)
	return nil
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d)-1) * p / 100)
	return d[i].Round(time.Microsecond)
}

// load SETs key:0 … key:n-1, each straight to the node that owns it
// (CLUSTER SLOTS), in pipelines of 1000 per node.
func load(addr string, n, size int) error {
	owners, err := slotOwners(addr)
	if err != nil {
		return err
	}
	byNode := map[string][]int{}
	for i := range n {
		a := owners[cluster.Slot("key:"+strconv.Itoa(i))]
		byNode[a] = append(byNode[a], i)
	}
	val := []byte(strings.Repeat("v", size))
	var wg sync.WaitGroup
	errc := make(chan error, len(byNode))
	const depth = 1000
	for addr, ids := range byNode {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				errc <- err
				return
			}
			defer conn.Close()
			rd := bufio.NewReaderSize(conn, 64<<10)
			var buf []byte
			for lo := 0; lo < len(ids); lo += depth {
				buf = buf[:0]
				hi := min(lo+depth, len(ids))
				for _, i := range ids[lo:hi] {
					buf = resp.AppendCommand(buf, []byte("SET"), []byte("key:"+strconv.Itoa(i)), val)
				}
				if _, err := conn.Write(buf); err != nil {
					errc <- err
					return
				}
				for range ids[lo:hi] {
					r, err := resp.AppendReply(nil, rd)
					if err != nil {
						errc <- err
						return
					}
					if r[0] == '-' {
						errc <- fmt.Errorf("SET: %s", r)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// slotOwners maps each slot to its owner's address, by CLUSTER SLOTS.
func slotOwners(addr string) ([]string, error) {
	v, err := do(addr, "CLUSTER", "SLOTS")
	if err != nil {
		return nil, err
	}
	owners := make([]string, cluster.NumSlots)
	ranges, _ := v.([]any)
	for _, r := range ranges {
		rr, _ := r.([]any)
		if len(rr) < 3 {
			return nil, fmt.Errorf("CLUSTER SLOTS: %v", v)
		}
		lo, _ := rr[0].(int64)
		hi, _ := rr[1].(int64)
		node, _ := rr[2].([]any)
		if len(node) < 2 {
			return nil, fmt.Errorf("CLUSTER SLOTS: %v", v)
		}
		host, _ := node[0].(string)
		port, _ := node[1].(int64)
		for s := lo; s <= hi; s++ {
			owners[s] = net.JoinHostPort(host, strconv.FormatInt(port, 10))
		}
	}
	if slices.Contains(owners, "") {
		return nil, fmt.Errorf("CLUSTER SLOTS leaves slots without an owner")
	}
	return owners, nil
}

func do(addr string, args ...string) (any, error) {
	c, err := resp.Dial(addr, "", 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	return c.Do(args...)
}

// dbsize is the node's own key count (INFO keyspace: DBSIZE covers the
// whole cluster in proxy mode).
func dbsize(addr string) (int, error) {
	c, err := resp.Dial(addr, "", 2*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	info, err := c.Info("keyspace")
	if err != nil {
		return 0, err
	}
	db := info["db0"] // keys=N,expires=…
	v, _, _ := strings.Cut(strings.TrimPrefix(db, "keys="), ",")
	return strconv.Atoi(cmpOr(v, "0"))
}

func cmpOr(a, b string) string {
	if a == "" {
		return b
	}
	return a
}

// waitQuiet waits until no node imports or owes a hand-off, by their
// metrics.
func waitQuiet(nodes []*node, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		quiet := true
		for _, n := range nodes {
			imp, err1 := metric(n.metrics, "cachesrv_handoff_slots_importing")
			pend, err2 := metric(n.metrics, "cachesrv_handoff_slots_pending")
			if err1 != nil || err2 != nil || imp != 0 || pend != 0 {
				quiet = false
			}
		}
		if quiet {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the hand-off did not finish within %v", limit)
}

func metric(addr, name string) (float64, error) {
	r, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer r.Body.Close()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+" "); ok {
			return strconv.ParseFloat(strings.TrimSpace(v), 64)
		}
	}
	return 0, fmt.Errorf("%s: no %s", addr, name)
}

func waitMembers(addr string, n int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if v, err := do(addr, "CLUSTER", "NODES"); err == nil {
			if s, _ := v.(string); strings.Count(strings.TrimSpace(s), "\n")+1 == n {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not see %d members within %v", addr, n, limit)
}
