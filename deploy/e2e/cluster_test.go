package e2e

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

const numSlots = 16384

// view is one node's idea of the cluster, read from CLUSTER NODES: its
// own ID, the members, and the owner of every slot.
type view struct {
	self    string
	members []string // sorted IDs
	addrs   map[string]string
	owner   [numSlots]string
}

// readView asks one node for CLUSTER NODES.
func readView(ctx context.Context, c *redis.Client) (*view, error) {
	text, err := c.ClusterNodes(ctx).Result()
	if err != nil {
		return nil, err
	}
	v := &view{addrs: map[string]string{}}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 {
			return nil, fmt.Errorf("CLUSTER NODES line %q", line)
		}
		id := f[0]
		v.members = append(v.members, id)
		v.addrs[id], _, _ = strings.Cut(f[1], "@")
		if strings.Contains(f[2], "myself") {
			v.self = id
		}
		for _, r := range f[8:] {
			lo, hi, found := strings.Cut(r, "-")
			a, err1 := strconv.Atoi(lo)
			b, err2 := a, error(nil)
			if found {
				b, err2 = strconv.Atoi(hi)
			}
			if err1 != nil || err2 != nil || a < 0 || b >= numSlots || a > b {
				return nil, fmt.Errorf("CLUSTER NODES slot range %q", r)
			}
			for s := a; s <= b; s++ {
				v.owner[s] = id
			}
		}
	}
	sort.Strings(v.members)
	for s, o := range v.owner {
		if o == "" {
			return nil, fmt.Errorf("node %s: slot %d has no owner", v.self, s)
		}
	}
	return v, nil
}

// probe is a client for reading views: short timeouts, no retries, so a
// node that is down or cut off answers quickly with an error.
func probe(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr: addr, Protocol: 2, MaxRetries: -1,
		DialTimeout: 500 * time.Millisecond, ReadTimeout: time.Second, WriteTimeout: time.Second,
		PoolSize: 2,
	})
}

// agreed reports whether every client's node lists exactly want as members
// and all of them assign every slot alike; it returns the common view.
func agreed(ctx context.Context, clients []*redis.Client, want []string) (*view, error) {
	var first *view
	for _, c := range clients {
		v, err := readView(ctx, c)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(v.members, want) {
			return nil, fmt.Errorf("node %s sees %v", v.self, v.members)
		}
		if first == nil {
			first = v
		} else if v.owner != first.owner {
			return nil, fmt.Errorf("nodes %s and %s disagree on slot owners", first.self, v.self)
		}
	}
	return first, nil
}

// waitAgreed polls until agreed holds or timeout passes, and returns the
// view and the time since start.
func waitAgreed(clients []*redis.Client, want []string, start time.Time, timeout time.Duration) (*view, time.Duration, error) {
	var last error
	for time.Since(start) < timeout {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		v, err := agreed(ctx, clients, want)
		cancel()
		if err == nil {
			return v, time.Since(start), nil
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return nil, time.Since(start), fmt.Errorf("no agreement on %v within %v: %v", want, timeout, last)
}

// errorTally counts errors by kind, with addresses and numbers taken out
// so that one kind counts once.
type errorTally struct {
	mu    sync.Mutex
	n     int
	kinds map[string]int
}

var numbers = regexp.MustCompile(`[0-9]+(\.[0-9]+)*(:[0-9]+)?`)

func (e *errorTally) add(err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.kinds == nil {
		e.kinds = map[string]int{}
	}
	e.n++
	e.kinds[numbers.ReplaceAllString(err.Error(), "N")]++
}

func (e *errorTally) count() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.n
}

func (e *errorTally) String() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == 0 {
		return "none"
	}
	type kv struct {
		k string
		n int
	}
	var kvs []kv
	for k, n := range e.kinds {
		kvs = append(kvs, kv{k, n})
	}
	sort.Slice(kvs, func(i, j int) bool { return kvs[i].n > kvs[j].n })
	var b strings.Builder
	for i, x := range kvs {
		if i == 5 {
			fmt.Fprintf(&b, "; …%d more kinds", len(kvs)-5)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%d× %q", x.n, x.k)
	}
	return b.String()
}

// load writes and reads keys through a client until stopped: SET a key,
// GET it back. Errors are what the client returned to the caller; a GET
// that finds nothing or an older value right after its SET is counted as
// stale: the key's slot moved between the two (keys are not handed over).
type load struct {
	name   string
	ops    atomic.Int64
	stale  atomic.Int64
	errs   errorTally
	stop   chan struct{}
	wg     sync.WaitGroup
	client *redis.ClusterClient
}

func startLoad(name string, c *redis.ClusterClient, workers int) *load {
	l := &load{name: name, client: c, stop: make(chan struct{})}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			ctx := context.Background()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				key := fmt.Sprintf("roll:%s:%d:%d", name, w, i%2000)
				val := strconv.Itoa(i)
				if err := c.Set(ctx, key, val, 0).Err(); err != nil {
					l.errs.add(err)
					time.Sleep(5 * time.Millisecond)
					continue
				}
				l.ops.Add(1)
				got, err := c.Get(ctx, key).Result()
				switch {
				case errors.Is(err, redis.Nil) || err == nil && got != val:
					l.stale.Add(1)
				case err != nil:
					l.errs.add(err)
				}
				l.ops.Add(1)
				time.Sleep(2 * time.Millisecond) // a steady load, not a benchmark
			}
		}()
	}
	return l
}

func (l *load) finish() {
	close(l.stop)
	l.wg.Wait()
}
