package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/sysstat"
	"github.com/cachesrv/cachesrv/bench/internal/workload"
	"github.com/cachesrv/cachesrv/protocol/resp"
)

// scenario is one workload: pipeline depth and share of GETs.
type scenario struct {
	pipeline int
	ratio    string // as given on the command line, GET:SET
	read     float64
}

func (s scenario) String() string {
	op := "GET:SET " + s.ratio
	switch s.read {
	case 1:
		op = "GET"
	case 0:
		op = "SET"
	}
	return fmt.Sprintf("%s P%d", op, s.pipeline)
}

// target is a server to load.
type target struct {
	name string
	addr string
	pid  int // 0 when unknown: no server CPU figures
}

// measurement is one run of one scenario against one target.
type measurement struct {
	target    string
	scen      scenario
	round     int
	ops       int64
	errors    int64
	firstErr  string
	wall      time.Duration
	hist      *hdrhistogram.Histogram // per-command latency, microseconds
	serverCPU time.Duration
	hasCPU    bool
	genCPU    time.Duration
	others    float64 // cores kept busy by other processes meanwhile
	irq       float64 // cores spent in interrupts (loopback TCP, largely ours)
}

func (m *measurement) opsPerSec() float64 { return float64(m.ops) / m.wall.Seconds() }

func (m *measurement) quantile(q float64) time.Duration {
	return time.Duration(m.hist.ValueAtQuantile(q)) * time.Microsecond
}

// Latencies are recorded in microseconds, from 1 µs to a minute, to 3
// significant digits.
const (
	histMin, histMax = 1, 60_000_000
	histDigits       = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// generator runs closed-loop load: each connection writes a pipeline of
// commands, reads all their replies, and repeats.
type generator struct {
	cfg  *config
	keys *workload.Keys
	enc  *workload.Encoder
	prog *report.Progress
	seed atomic.Uint64
}

// connState is one connection's counters; ops is read once a second by
// the progress loop, everything else only after the run.
type connState struct {
	ops      atomic.Int64
	hist     *hdrhistogram.Histogram
	errors   int64
	firstErr string
	err      error
	_        [64]byte // keep neighbours' ops off this cache line
}

var errNoPid = errors.New("no server process")

const (
	phaseWarmup int32 = iota
	phaseMeasure
	phaseStop
)

func (g *generator) dial(addr string, n int) ([]net.Conn, error) {
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			for _, c := range conns {
				c.Close()
			}
			return nil, err
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// run loads t with scen for the warm-up and then the measured duration.
// Latency is the time from writing a pipeline to reading its last reply,
// recorded once per command in it (as redis-benchmark does for -P).
func (g *generator) run(t target, scen scenario, label string) (*measurement, error) {
	cfg := g.cfg
	conns, err := g.dial(t.addr, cfg.conns)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var (
		phase  atomic.Int32
		wg     sync.WaitGroup
		states = make([]*connState, len(conns))
	)
	for i, c := range conns {
		st := &connState{hist: newHist()}
		states[i] = st
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.loop(c, st, scen, &phase)
		}()
	}

	time.Sleep(cfg.warmup)
	var cpu0 time.Duration
	cpuErr := errNoPid
	if t.pid > 0 {
		cpu0, cpuErr = sysstat.PidCPU(t.pid)
	}
	meter, t0 := sysstat.StartMeter(), time.Now()
	phase.Store(phaseMeasure)
	g.prog.Window(label, t0, cfg.duration, func() (ops int64) {
		for _, st := range states {
			ops += st.ops.Load()
		}
		return ops
	})
	phase.Store(phaseStop)
	use := meter.Read()
	m := &measurement{target: t.name, scen: scen, wall: use.Wall, hist: newHist(),
		genCPU: time.Duration(use.Self * float64(use.Wall))}
	if cpuErr == nil {
		if cpu1, err := sysstat.PidCPU(t.pid); err == nil {
			m.serverCPU, m.hasCPU = cpu1-cpu0, true
		}
	}
	m.others, m.irq = use.Others(m.serverCPU), use.Interrupts
	for _, c := range conns {
		c.SetDeadline(time.Now().Add(10 * time.Second)) // a stuck server cannot hang us
	}
	wg.Wait()
	for _, st := range states {
		if st.err != nil {
			return nil, st.err
		}
		m.ops += st.ops.Load()
		m.errors += st.errors
		if m.firstErr == "" {
			m.firstErr = st.firstErr
		}
		m.hist.Merge(st.hist)
	}
	return m, nil
}

func (g *generator) loop(c net.Conn, st *connState, scen scenario, phase *atomic.Int32) {
	br := bufio.NewReaderSize(c, 64<<10)
	smp := g.keys.Sampler(g.seed.Add(1))
	r := smp.Rand()
	p := scen.pipeline
	buf := make([]byte, 0, p*g.enc.MaxLen())
	for {
		ph := phase.Load()
		if ph == phaseStop {
			return
		}
		buf = buf[:0]
		for range p {
			if r.Float64() < scen.read {
				buf = g.enc.Get(buf, smp.Next())
			} else {
				buf = g.enc.Set(buf, smp.Next())
			}
		}
		start := time.Now()
		if _, err := c.Write(buf); err != nil {
			st.fail(err, phase)
			return
		}
		for range p {
			_, e, err := resp.Read(br)
			if err != nil {
				st.fail(err, phase)
				return
			}
			if e != nil {
				st.errors++
				if st.firstErr == "" {
					st.firstErr = string(e)
				}
			}
		}
		if ph == phaseMeasure && phase.Load() == phaseMeasure {
			us := min(max(time.Since(start).Microseconds(), histMin), histMax)
			st.hist.RecordValues(us, int64(p))
			st.ops.Add(int64(p))
		}
	}
}

// fail keeps an I/O error unless the run was already over.
func (st *connState) fail(err error, phase *atomic.Int32) {
	if phase.Load() != phaseStop {
		st.err = err
	}
}

// preload SETs every key once, so that GETs hit, with deep pipelines over
// a few connections.
func (g *generator) preload(t target) error {
	const depth = 128
	n := g.cfg.keys
	conns, err := g.dial(t.addr, min(g.cfg.conns, 8))
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	readers := make([]*bufio.Reader, len(conns))
	bufs := make([][]byte, len(conns))
	for i, c := range conns {
		readers[i] = bufio.NewReaderSize(c, 64<<10)
	}
	start := time.Now()
	err = workload.Batches(len(conns), n, depth, func(w, lo, hi int) error {
		buf := bufs[w][:0]
		for k := lo; k < hi; k++ {
			buf = g.enc.Set(buf, k)
		}
		bufs[w] = buf
		if _, err := conns[w].Write(buf); err != nil {
			return err
		}
		for range hi - lo {
			_, e, err := resp.Read(readers[w])
			if err != nil {
				return err
			}
			if e != nil {
				return fmt.Errorf("SET: %s", e)
			}
		}
		return nil
	}, func(done int64) {
		g.prog.Note("preloading %s: %.0f%% of %s keys", t.name, 100*float64(done)/float64(n), report.SI(float64(n)))
	})
	if err == nil {
		g.prog.Note("preloaded %s keys of %d B into %s in %v", report.SI(float64(n)), g.cfg.valueSize, t.name, time.Since(start).Round(time.Millisecond))
	}
	return err
}
