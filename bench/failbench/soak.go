package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/redis/go-redis/v9"
)

// suspicionSigns are memberlist's log lines (as cachesrv logs them, at
// info level and above) that mean a member was taken for a failing one:
// a direct probe went unanswered and the prober starts suspecting it; a
// suspicion ran out and the member was declared dead; a member heard
// that it was suspected and refuted it.
var suspicionSigns = []struct{ name, text string }{
	{"probe unanswered, suspected", "has failed, no acks received"},
	{"declared failed", "as failed, suspect timeout reached"},
	{"refuted a suspicion of itself", "Refuting a suspect message"},
}

// runSoak runs a GET/SET load through a 3-node cluster for d, killing
// nothing, and counts the signs of false suspicion on the way.
func runSoak(d time.Duration, workers, pipeline int) error {
	c, err := newCluster()
	if err != nil {
		return err
	}
	defer c.close()
	if err := c.up(); err != nil {
		return err
	}
	base := make([]int64, len(c.nodes)) // ring changes before the load
	for i, n := range c.nodes {
		if base[i], err = ringChanges(n.addr); err != nil {
			return err
		}
	}
	before, err := c.countSigns()
	if err != nil {
		return err
	}
	fmt.Printf("soak: 3 nodes, %d load connections at pipeline %d, GET:SET 1:1 over 100,000 keys of 100 B, for %v; load average at start %s\n",
		workers, pipeline, d, loadAvg())

	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var ops, errs atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	value := strings.Repeat("v", 100)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := redis.NewClient(&redis.Options{Addr: c.nodes[w%len(c.nodes)].addr, Protocol: 2, MaxRetries: -1})
			defer cl.Close()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for ctx.Err() == nil {
				p := cl.Pipeline()
				for range pipeline {
					k := "soak:" + strconv.Itoa(r.IntN(100_000))
					if r.IntN(2) == 0 {
						p.Set(ctx, k, value, 0)
					} else {
						p.Get(ctx, k)
					}
				}
				cmds, _ := p.Exec(ctx)
				if ctx.Err() != nil {
					return
				}
				for _, cmd := range cmds {
					if err := cmd.Err(); err != nil && !errors.Is(err, redis.Nil) {
						errs.Add(1)
						firstErr.CompareAndSwap(nil, err.Error())
					}
				}
				ops.Add(int64(len(cmds)))
			}
		}()
	}

	// Watch every node's CLUSTER NODES for fail? flags and missing members.
	type pair struct{ observer, member string }
	flagged := map[pair]bool{} // flagged now
	var failFlags, shortViews, polls int
	loads := []string{}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	report := time.NewTicker(time.Minute)
	defer report.Stop()
	start := time.Now()
	lastOps := int64(0)
	lastReport := start
watch:
	for {
		select {
		case <-ctx.Done():
			break watch
		case <-report.C:
			now, n := time.Now(), ops.Load()
			signs, _ := c.countSigns()
			l := loadAvg()
			loads = append(loads, l)
			fmt.Printf("  %v: %.0f ops/s, %d errors; suspicion signs in the logs %v; fail? flags %d; load average %s\n",
				now.Sub(start).Round(time.Second), float64(n-lastOps)/now.Sub(lastReport).Seconds(), errs.Load(),
				sub(signs, before), failFlags, l)
			lastOps, lastReport = n, now
		case <-tick.C:
			for _, n := range c.nodes {
				out, err := clusterNodes(n.addr)
				if err != nil {
					continue // a slow reply under load is not a suspicion
				}
				polls++
				lines := strings.Split(strings.TrimSpace(out), "\n")
				if len(lines) != len(c.nodes) {
					shortViews++
				}
				for _, l := range lines {
					id, _, _ := strings.Cut(l, " ")
					k := pair{n.id, id}
					f := strings.Contains(l, "fail?")
					if f && !flagged[k] {
						failFlags++
						fmt.Printf("  %v: %s flags %s fail?\n", time.Since(start).Round(time.Millisecond), n.id, id)
					}
					flagged[k] = f
				}
			}
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	after, err := c.countSigns()
	if err != nil {
		return err
	}
	var changes int64
	for i, n := range c.nodes {
		rc, err := ringChanges(n.addr)
		if err != nil {
			return err
		}
		changes += rc - base[i]
	}
	signs := sub(after, before)
	total := 0
	for _, v := range signs {
		total += v
	}
	fmt.Printf("\nsoak of %v: %d commands (%.0f/s), %d errors", elapsed.Round(time.Second), ops.Load(), float64(ops.Load())/elapsed.Seconds(), errs.Load())
	if e := firstErr.Load(); e != nil {
		fmt.Printf(" (first: %v)", e)
	}
	fmt.Printf("\nfalse suspicions: %d in memberlist's logs (", total)
	for i, s := range suspicionSigns {
		if i > 0 {
			fmt.Print(", ")
		}
		fmt.Printf("%s %d", s.name, signs[i])
	}
	fmt.Printf("); fail? flags seen in CLUSTER NODES %d (%d polls); views short of a member %d; slot-table changes %d\n",
		failFlags, polls, shortViews, changes)
	fmt.Printf("load average, each minute: %s; at the end %s\n", strings.Join(loads, " | "), loadAvg())
	return nil
}

// countSigns counts each of suspicionSigns in the logs of all nodes.
func (c *cluster) countSigns() ([]int, error) {
	counts := make([]int, len(suspicionSigns))
	for _, n := range c.nodes {
		b, err := os.ReadFile(c.logPath(n))
		if err != nil {
			return nil, err
		}
		for i, s := range suspicionSigns {
			counts[i] += strings.Count(string(b), s.text)
		}
	}
	return counts, nil
}

func sub(a, b []int) []int {
	out := make([]int, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

// ringChanges is CLUSTER INFO's cluster_current_epoch: slot tables the
// node swapped in because membership changed.
func ringChanges(addr string) (int64, error) {
	c, err := resp.Dial(addr, "", 2*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	v, err := c.Do("CLUSTER", "INFO")
	if err != nil {
		return 0, err
	}
	s, _ := v.(string)
	for _, l := range strings.Split(s, "\n") {
		if e, ok := strings.CutPrefix(strings.TrimSpace(l), "cluster_current_epoch:"); ok {
			return strconv.ParseInt(e, 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no cluster_current_epoch in CLUSTER INFO", addr)
}

// loadAvg is the machine's 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
