package protocol

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/redis/go-redis/v9"
)

// checker is a client load that knows every key's last value: each of
// its workers owns a disjoint set of keys, SETs them to new values and
// GETs them back, so a GET that answers nil (a miss) or anything but the
// worker's own last write (a stale read) is a fault of the cluster's, not
// a race between clients. Errors (TRYAGAIN while a slot changes owner)
// are retried and counted apart.
type checker struct {
	c    *redis.Client
	last [][]string // per worker, the last value of each of its keys
	stop atomic.Bool
	wg   sync.WaitGroup

	ops, misses, stale, errs atomic.Int64
	firstFault               atomic.Pointer[string]
}

const checkerWorkers = 4

func checkerKey(w, i int) string { return "ck:" + strconv.Itoa(w) + ":" + strconv.Itoa(i) }

// newChecker writes keys keys through c (values v0), then starts the load.
func newChecker(t *testing.T, c *redis.Client, keys int) *checker {
	ch := &checker{c: c, last: make([][]string, checkerWorkers)}
	for w := range checkerWorkers {
		ch.last[w] = make([]string, keys/checkerWorkers)
		p := c.Pipeline()
		for i := range ch.last[w] {
			ch.last[w][i] = "v0"
			p.Set(ctx, checkerKey(w, i), "v0", 0)
			if p.Len() == 1000 {
				if _, err := p.Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for w := range checkerWorkers {
		ch.wg.Add(1)
		go ch.work(w)
	}
	return ch
}

func (ch *checker) fault(what string) {
	ch.firstFault.CompareAndSwap(nil, &what)
}

func (ch *checker) work(w int) {
	defer ch.wg.Done()
	rnd := rand.New(rand.NewPCG(uint64(w), 7))
	last := ch.last[w]
	version := 0
	for !ch.stop.Load() {
		i := rnd.IntN(len(last))
		k := checkerKey(w, i)
		if rnd.IntN(4) == 0 {
			version++
			v := "v" + strconv.Itoa(version)
			if err := ch.c.Set(ctx, k, v, 0).Err(); err != nil {
				// Unknown whether it applied: read it back until it answers.
				ch.errs.Add(1)
				time.Sleep(20 * time.Millisecond)
				for !ch.stop.Load() {
					got, err := ch.c.Get(ctx, k).Result()
					if err == nil && (got == v || got == last[i]) {
						last[i] = got
						break
					}
					if err == nil || errors.Is(err, redis.Nil) {
						ch.fault(fmt.Sprintf("%s after a failed SET: %q, want %q or %q (%v)", k, got, v, last[i], err))
						ch.stale.Add(1)
						last[i] = v
						break
					}
					ch.errs.Add(1)
					time.Sleep(20 * time.Millisecond)
				}
				continue
			}
			last[i] = v
			ch.ops.Add(1)
			continue
		}
		got, err := ch.c.Get(ctx, k).Result()
		switch {
		case errors.Is(err, redis.Nil):
			ch.misses.Add(1)
			ch.fault(fmt.Sprintf("%s: a miss, want %q", k, last[i]))
		case err != nil:
			ch.errs.Add(1)
			time.Sleep(20 * time.Millisecond)
			continue
		case got != last[i]:
			ch.stale.Add(1)
			ch.fault(fmt.Sprintf("%s: %q, want %q", k, got, last[i]))
		}
		ch.ops.Add(1)
	}
}

// finish stops the load and checks every key once more.
func (ch *checker) finish(t *testing.T) {
	ch.stop.Store(true)
	ch.wg.Wait()
	for w := range checkerWorkers {
		p := ch.c.Pipeline()
		cmds := make([]*redis.StringCmd, len(ch.last[w]))
		for i := range ch.last[w] {
			cmds[i] = p.Get(ctx, checkerKey(w, i))
		}
		p.Exec(ctx)
		for i, cmd := range cmds {
			got, err := cmd.Result()
			if errors.Is(err, redis.Nil) {
				ch.misses.Add(1)
				ch.fault(fmt.Sprintf("final check: %s missing", checkerKey(w, i)))
			} else if err != nil || got != ch.last[w][i] {
				ch.stale.Add(1)
				ch.fault(fmt.Sprintf("final check: %s = %q (%v), want %q", checkerKey(w, i), got, err, ch.last[w][i]))
			}
		}
	}
}

// The cluster keeps its cache through a join, a graceful leave and a
// restart under the same node ID, under a read/write load whose client
// knows every key's last value: no miss for a key that was written and not
// deleted, no stale read, during the changes or after them.
func TestHandoffScenarioUnderLoad(t *testing.T) {
	keys := 100_000
	if raceEnabled {
		keys = 20_000 // the race detector slows every node about tenfold
	}
	nodes := startCluster(t, 3, route.Proxy)
	ch := newChecker(t, plainClient(t, nodes[0].addr), keys)
	began := time.Now()
	step := func(what string) {
		t.Logf("%6.2fs %s: %d ops so far, %d misses, %d stale, %d errors retried",
			time.Since(began).Seconds(), what, ch.ops.Load(), ch.misses.Load(), ch.stale.Load(), ch.errs.Load())
	}
	time.Sleep(300 * time.Millisecond)
	step("load running")

	id := func(c *cluster.Config) { c.NodeID = "scenario-fourth" }
	fourth := startNodeWith(t, route.Proxy, id, nodes[0].cl.Self().GossipAddr)
	all := append(slices.Clone(nodes), fourth)
	waitConverged(t, all, 4)
	waitHandoff(t, all)
	step("a fourth node joined")
	if n := fourth.st.DBSize(); n == 0 {
		t.Fatal("the fourth node received no keys")
	}

	leaving := nodes[2]
	if leaving.st.DBSize() == 0 {
		t.Fatal("the leaving node holds no keys")
	}
	if err := leaving.srv.LeaveCluster(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	leaving.stop()
	all = []*testNode{nodes[0], nodes[1], fourth}
	waitConverged(t, all, 3)
	waitHandoff(t, all)
	step("a node left gracefully")

	if err := fourth.srv.LeaveCluster(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	fourth.stop()
	waitConverged(t, nodes[:2], 2)
	back := startNodeWith(t, route.Proxy, id, nodes[0].cl.Self().GossipAddr)
	all = []*testNode{nodes[0], nodes[1], back}
	waitConverged(t, all, 3)
	waitHandoff(t, all)
	step("the fourth restarted under its node ID")
	if n := back.st.DBSize(); n == 0 {
		t.Fatal("the restarted node got no keys back")
	}

	time.Sleep(300 * time.Millisecond)
	ch.finish(t)
	step("final check of every key")
	if ch.ops.Load() == 0 {
		t.Fatal("the load made no operation")
	}
	if f := ch.firstFault.Load(); f != nil {
		t.Fatalf("%d misses and %d stale reads over %d keys; the first: %s", ch.misses.Load(), ch.stale.Load(), keys, *f)
	}
}
