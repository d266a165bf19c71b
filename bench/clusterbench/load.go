package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/sysstat"
	"github.com/cachesrv/cachesrv/bench/internal/workload"
)

// scenario is one workload: GET or SET, at a pipeline depth.
type scenario struct {
	op       string // GET or SET
	pipeline int
}

func (s scenario) String() string { return fmt.Sprintf("%s P%d", s.op, s.pipeline) }

// Clients.
const (
	proxyClient  = "proxy"  // plain go-redis clients, all on node 1: node 1 forwards
	directClient = "direct" // go-redis ClusterClient: each command straight to its owner
)

// target is a way of loading a cluster.
type target struct {
	lc     *localCluster
	client string
}

func (t target) label() string {
	if t.lc.mode == "redirect" {
		return "redirect-mode " + t.client
	}
	return t.client
}

// newClient returns the go-redis client for t: a Client on node 1, or a
// ClusterClient seeded with every node. Either has a connection per
// worker (per node, for the ClusterClient), so no worker waits for one.
func (t target) newClient(conns int) redis.UniversalClient {
	if t.client == proxyClient {
		return redis.NewClient(&redis.Options{Addr: t.lc.nodes[0].Addr, PoolSize: conns, Protocol: 2, DisableIdentity: true})
	}
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: t.lc.addrs(), PoolSize: conns, Protocol: 2, DisableIdentity: true})
}

// measurement is one run of one scenario against one target.
type measurement struct {
	target    target
	scen      scenario
	round     int
	ops       int64
	errors    int64
	misses    int64
	firstErr  string
	wall      time.Duration
	hist      *hdrhistogram.Histogram // per-command latency, µs
	nodeCPU   []time.Duration         // per node, from /proc/PID/stat
	nodeCmds  []float64               // per node, INFO total_commands_processed delta
	fwdFields map[string][]float64    // INFO fields about forwarding, per node, deltas
	benchCPU  float64                 // cores this process used
	others    float64                 // cores other processes used
	irq       float64
}

func (m *measurement) opsPerSec() float64 { return float64(m.ops) / m.wall.Seconds() }

func (m *measurement) quantile(q float64) time.Duration {
	return time.Duration(m.hist.ValueAtQuantile(q)) * time.Microsecond
}

// serverCores is the CPU all nodes used, in cores.
func (m *measurement) serverCores() float64 {
	var s time.Duration
	for _, c := range m.nodeCPU {
		s += c
	}
	return s.Seconds() / m.wall.Seconds()
}

// serverUsPerOp is the CPU all nodes spent per client operation, in µs.
func (m *measurement) serverUsPerOp() float64 {
	var s time.Duration
	for _, c := range m.nodeCPU {
		s += c
	}
	return float64(s.Microseconds()) / math.Max(1, float64(m.ops))
}

// cmdsPerOp is node i's processed commands per client operation.
func (m *measurement) cmdsPerOp(i int) float64 {
	if i >= len(m.nodeCmds) || m.ops == 0 {
		return math.NaN()
	}
	return m.nodeCmds[i] / float64(m.ops)
}

// Latencies in µs, 1 µs to a minute, 3 significant digits (as loadgen).
const (
	histMin, histMax = 1, 60_000_000
	histDigits       = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

type bench struct {
	cfg   *config
	keys  []string
	space *workload.Keys
	value string
	prog  *report.Progress
	seed  atomic.Uint64
}

func newBench(cfg *config, prog *report.Progress) (*bench, error) {
	space, err := workload.NewKeys(cfg.keys, workload.Uniform, 0)
	if err != nil {
		return nil, err
	}
	b := &bench{cfg: cfg, space: space, value: string(workload.Value(cfg.valueSize)), prog: prog}
	b.keys = make([]string, cfg.keys)
	var buf []byte
	for i := range b.keys {
		buf = workload.AppendKey(buf[:0], i)
		b.keys[i] = string(buf)
	}
	return b, nil
}

type worker struct {
	ops      atomic.Int64
	hist     *hdrhistogram.Histogram
	errors   int64
	misses   int64
	firstErr string
	_        [64]byte
}

// fwdField picks the INFO fields that could describe forwarding.
var fwdField = regexp.MustCompile(`(?i)forward|batch|proxy|peer`)

// snapshot is what the nodes report before and after a run.
type snapshot struct {
	cpu  []time.Duration
	cmds []float64
	fwd  []map[string]float64
}

func takeSnapshot(lc *localCluster) (snapshot, error) {
	var s snapshot
	for _, nd := range lc.nodes {
		cpu, err := sysstat.PidCPU(nd.Pid())
		if err != nil {
			return s, err
		}
		f, err := nd.info()
		if err != nil {
			return s, fmt.Errorf("INFO on %s: %w", nd.Name, err)
		}
		cmds, _ := strconv.ParseFloat(f["total_commands_processed"], 64)
		fwd := map[string]float64{}
		for k, v := range f {
			if fwdField.MatchString(k) {
				if x, err := strconv.ParseFloat(v, 64); err == nil {
					fwd[k] = x
				}
			}
		}
		s.cpu, s.cmds, s.fwd = append(s.cpu, cpu), append(s.cmds, cmds), append(s.fwd, fwd)
	}
	return s, nil
}

// run loads t with scen for the warm-up and then the measured duration,
// closed loop: each of -clients goroutines sends a pipeline (or one
// command) and waits for all replies before the next. A command's latency
// is from sending its pipeline to the last reply, recorded once per
// command, as loadgen and redis-benchmark count it.
func (b *bench) run(t target, scen scenario, label string) (*measurement, error) {
	cfg := b.cfg
	c := t.newClient(cfg.clients)
	defer c.Close()
	var (
		phase   atomic.Int32
		wg      sync.WaitGroup
		workers = make([]*worker, cfg.clients)
	)
	ctx := context.Background()
	// One command first: a ClusterClient loads the slot map on its first
	// command, and if 50 goroutines make that first command together,
	// each loads and parses CLUSTER SLOTS itself (go-redis does not share
	// a load in progress). The run would measure that, not the cluster.
	if err := c.Get(ctx, b.keys[0]).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("first GET: %w", err)
	}
	for i := range workers {
		w := &worker{hist: newHist()}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.loop(ctx, c, w, scen, &phase)
		}()
	}
	time.Sleep(cfg.warmup)
	before, err := takeSnapshot(t.lc)
	if err != nil {
		phase.Store(phaseStop)
		wg.Wait()
		return nil, err
	}
	meter, t0 := sysstat.StartMeter(), time.Now()
	phase.Store(phaseMeasure)
	b.prog.Window(label, t0, cfg.duration, func() (ops int64) {
		for _, w := range workers {
			ops += w.ops.Load()
		}
		return ops
	})
	phase.Store(phaseStop)
	use := meter.Read()
	after, err := takeSnapshot(t.lc)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	m := &measurement{target: t, scen: scen, wall: use.Wall, hist: newHist(), fwdFields: map[string][]float64{}}
	var accounted []time.Duration
	for i := range t.lc.nodes {
		cpu := after.cpu[i] - before.cpu[i]
		m.nodeCPU = append(m.nodeCPU, cpu)
		accounted = append(accounted, cpu)
		m.nodeCmds = append(m.nodeCmds, after.cmds[i]-before.cmds[i])
		for k, v := range after.fwd[i] {
			if m.fwdFields[k] == nil {
				m.fwdFields[k] = make([]float64, len(t.lc.nodes))
			}
			m.fwdFields[k][i] = v - before.fwd[i][k]
		}
	}
	m.benchCPU, m.others, m.irq = use.Self, use.Others(accounted...), use.Interrupts
	for _, w := range workers {
		m.ops += w.ops.Load()
		m.errors += w.errors
		m.misses += w.misses
		if m.firstErr == "" {
			m.firstErr = w.firstErr
		}
		m.hist.Merge(w.hist)
	}
	if m.ops == 0 {
		return nil, fmt.Errorf("no command succeeded (first error: %s)", m.firstErr)
	}
	return m, nil
}

func (b *bench) loop(ctx context.Context, c redis.UniversalClient, w *worker, scen scenario, phase *atomic.Int32) {
	smp := b.space.Sampler(b.seed.Add(1))
	pipe := c.Pipeline()
	p := scen.pipeline
	set := scen.op == "SET"
	for {
		ph := phase.Load()
		if ph == phaseStop {
			return
		}
		start := time.Now()
		var errs, misses int64
		var first error
		note := func(err error) {
			switch {
			case err == nil:
			case errors.Is(err, redis.Nil):
				misses++
			default:
				errs++
				if first == nil {
					first = err
				}
			}
		}
		if p == 1 {
			key := b.keys[smp.Next()]
			if set {
				note(c.Set(ctx, key, b.value, 0).Err())
			} else {
				note(c.Get(ctx, key).Err())
			}
		} else {
			for range p {
				key := b.keys[smp.Next()]
				if set {
					pipe.Set(ctx, key, b.value, 0)
				} else {
					pipe.Get(ctx, key)
				}
			}
			cmds, err := pipe.Exec(ctx)
			if len(cmds) == 0 && err != nil {
				errs += int64(p)
				first = err
			}
			for _, cmd := range cmds {
				note(cmd.Err())
			}
		}
		if ph == phaseMeasure && phase.Load() == phaseMeasure {
			us := min(max(time.Since(start).Microseconds(), histMin), histMax)
			ok := int64(p) - errs
			if ok > 0 {
				w.hist.RecordValues(us, ok)
				w.ops.Add(ok)
			}
			w.errors += errs
			w.misses += misses
			if first != nil && w.firstErr == "" {
				w.firstErr = first.Error()
			}
		}
		if errs > 0 && ph != phaseMeasure {
			time.Sleep(time.Millisecond) // do not spin on a failing node
		}
	}
}

// preload SETs every key once through a ClusterClient, so that GETs hit.
func (b *bench) preload(lc *localCluster) error {
	const depth, workers = 256, 8
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: lc.addrs(), PoolSize: workers, Protocol: 2, DisableIdentity: true})
	defer c.Close()
	ctx := context.Background()
	n := len(b.keys)
	start := time.Now()
	err := workload.Batches(workers, n, depth, func(_, lo, hi int) error {
		_, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for k := lo; k < hi; k++ {
				p.Set(ctx, b.keys[k], b.value, 0)
			}
			return nil
		})
		return err
	}, func(done int64) {
		b.prog.Note("preloading the %s cluster: %.0f%% of %s keys", lc.mode, 100*float64(done)/float64(n), report.SI(float64(n)))
	})
	if err == nil {
		b.prog.Note("preloaded %s keys of %d B into the %s cluster in %v", report.SI(float64(n)), b.cfg.valueSize, lc.mode, time.Since(start).Round(time.Millisecond))
	}
	return err
}

// slotMap loads CLUSTER SLOTS from node 1 through go-redis, as a
// ClusterClient does when it learns or refreshes the topology, and
// returns the number of slot ranges and the time it took (request and
// parsing).
func slotMap(lc *localCluster) (ranges int, took time.Duration, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	slots, err := lc.nodes[0].admin.ClusterSlots(ctx).Result()
	return len(slots), time.Since(start), err
}

// checkRedirect asks node 1 with a plain client for keys until one is
// owned elsewhere, and returns the reply it got: in redirect mode, a
// -MOVED.
func (b *bench) checkRedirect(lc *localCluster) string {
	c := redis.NewClient(&redis.Options{Addr: lc.nodes[0].Addr, PoolSize: 1, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, k := range b.keys[:min(len(b.keys), 100)] {
		if err := c.Get(ctx, k).Err(); err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Sprintf("GET %s on node 1 answered: %v", k, err)
		}
	}
	return "node 1 answered GET for the first 100 keys itself: no -MOVED seen"
}
