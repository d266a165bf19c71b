package main

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/sysstat"
	"github.com/cachesrv/cachesrv/protocol/resp"
)

// Latencies are recorded in microseconds, from 1 µs to a minute, to 3
// significant digits, as loadgen does.
const (
	histMin, histMax = 1, 60_000_000
	histDigits       = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMin, histMax, histDigits) }

// latencyRun is one server holding one number of keys under the GET load.
type latencyRun struct {
	server              string
	keys                int
	dbsize              int64
	load                time.Duration
	rssEmpty, rssLoaded int64
	rssEnd              int64
	usedLoaded          int64
	gcLoad, gcSteady    gcStats // load and settle; measured GETs
	hasGC               bool
	st                  *steadyResult
}

// steadyResult is what the paced GET load saw over its measured window.
type steadyResult struct {
	done, errors, misses, late int64
	firstErr                   string
	wall                       time.Duration
	lat                        *hdrhistogram.Histogram // from the scheduled send time, µs
	svc                        *hdrhistogram.Histogram // from the actual send, µs
	serverCores, genCores      float64
	others, irq                float64
	hasCPU                     bool
}

func (st *steadyResult) q(h *hdrhistogram.Histogram, q float64) time.Duration {
	return time.Duration(h.ValueAtQuantile(q)) * time.Microsecond
}

// latency runs, for each store size and each server, a fresh process
// loaded with that many keys under a fixed rate of GETs.
func (b *bench) latency() *report.Result {
	cfg := b.cfg
	ld := newLoader(cfg, b.prog)
	var runs []*latencyRun
	for _, n := range cfg.sizes {
		for _, name := range b.servers {
			label := fmt.Sprintf("%s, %s keys", name, report.SI(float64(n)))
			r, err := b.latencyOne(name, n, ld, label)
			if err != nil {
				b.problem("latency, %s: %v", label, err)
				b.prog.Step("%s: failed", label)
				continue
			}
			runs = append(runs, r)
			gc := ""
			if r.hasGC {
				gc = fmt.Sprintf("; GC %d cycles (longest pause %s) loading, %d (longest %s) under GETs", r.gcLoad.cycles,
					report.Ms(r.gcLoad.maxPause), r.gcSteady.cycles, report.Ms(r.gcSteady.maxPause))
			}
			b.prog.Step("%s: %s GET/s, p50 %s, p99 %s, p99.9 %s, max %s; RSS %s%s%s", label, report.SI(float64(r.st.done)/r.st.wall.Seconds()),
				report.Ms(r.st.q(r.st.lat, 50)), report.Ms(r.st.q(r.st.lat, 99)), report.Ms(r.st.q(r.st.lat, 99.9)),
				report.Ms(r.st.q(r.st.lat, 100)), mib(r.rssEnd), gc, errNote(r.st))
		}
	}
	if len(runs) == 0 {
		return nil
	}
	return b.latencyResult(runs)
}

func errNote(st *steadyResult) string {
	s := ""
	if st.errors > 0 {
		s += fmt.Sprintf(", %d error replies (first: %s)", st.errors, st.firstErr)
	}
	if st.misses > 0 {
		s += fmt.Sprintf(", %d misses", st.misses)
	}
	return s
}

func (b *bench) latencyOne(name string, n int, ld *loader, label string) (*latencyRun, error) {
	cfg := b.cfg
	s, err := b.l.start(name, nil)
	if err != nil {
		return nil, err
	}
	defer b.l.stop(s)
	r := &latencyRun{server: name, keys: n, hasGC: s.gctrace}
	if r.rssEmpty, err = idleRSS(s); err != nil {
		return nil, err
	}
	if r.load, err = ld.load(s, n); err != nil {
		return nil, err
	}
	time.Sleep(cfg.settle)
	if r.rssLoaded, err = s.rss(); err != nil {
		return nil, err
	}
	r.usedLoaded = usedMemory(s)
	if r.dbsize, err = s.admin.DBSize(); err != nil {
		return nil, err
	}
	if r.dbsize != int64(n) {
		b.problem("latency, %s: DBSIZE is %d after loading %d distinct keys", label, r.dbsize, n)
	}
	var bounds []int64
	r.st, err = b.steady(s, n, label, func() { bounds = append(bounds, logSize(s.logPath)) })
	if err != nil {
		return nil, err
	}
	if r.rssEnd, err = s.rss(); err != nil {
		return nil, err
	}
	if r.hasGC && len(bounds) == 2 {
		if st, err := gcTraceFile(s.logPath, bounds); err == nil {
			r.gcLoad, r.gcSteady = st[0], st[1]
		}
	}
	return r, nil
}

// steady offers cfg.rate GETs per second of uniformly chosen loaded keys
// for cfg.warmup + cfg.duration. One pacer releases the GETs on a fixed
// schedule (one every 1/rate seconds); cfg.conns connections each take
// the next released GET, send it, and wait for its reply, so at most
// cfg.conns GETs are outstanding and the rest wait their turn. A GET's
// latency is counted from its scheduled time, not from when a connection
// could send it: a server that stalls is charged for every GET due during
// the stall (no coordinated omission). mark is called when the measured
// window starts and when it ends.
func (b *bench) steady(s *server, n int, label string, mark func()) (*steadyResult, error) {
	cfg := b.cfg
	conns := make([]net.Conn, 0, cfg.conns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range cfg.conns {
		c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
	}
	type connState struct {
		lat, svc             *hdrhistogram.Histogram
		done                 atomic.Int64
		errors, misses, late int64
		firstErr             string
		err                  error
		_                    [64]byte
	}
	t0 := time.Now().Add(20 * time.Millisecond)
	from := t0.Add(cfg.warmup)
	end := from.Add(cfg.duration)
	sched := make(chan time.Time, 4096)
	go pace(sched, t0, end, cfg.rate)
	states := make([]*connState, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		st := &connState{lat: newHist(), svc: newHist()}
		states[i] = st
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				for range sched { // keep the pacer going after an error
				}
			}()
			r := rand.New(rand.NewPCG(uint64(i)+1, uint64(time.Now().UnixNano())))
			br := bufio.NewReaderSize(c, 16<<10)
			var buf, key []byte
			c.SetDeadline(end.Add(time.Minute)) // a stuck server cannot hang the run
			for due := range sched {
				key = appendKey(key[:0], r.IntN(n))
				buf = append(buf[:0], "*2\r\n$3\r\nGET\r\n$"...)
				buf = strconv.AppendInt(buf, int64(len(key)), 10)
				buf = append(buf, "\r\n"...)
				buf = append(buf, key...)
				buf = append(buf, "\r\n"...)
				sent := time.Now()
				if _, err := c.Write(buf); err != nil {
					st.err = err
					return
				}
				k, e, err := resp.Read(br)
				isNil := k == resp.KindNil
				if err != nil {
					st.err = err
					return
				}
				got := time.Now()
				if due.Before(from) {
					continue
				}
				st.lat.RecordValue(min(max(got.Sub(due).Microseconds(), histMin), histMax))
				st.svc.RecordValue(min(max(got.Sub(sent).Microseconds(), histMin), histMax))
				if sent.Sub(due) > time.Millisecond {
					st.late++
				}
				switch {
				case e != nil:
					st.errors++
					if st.firstErr == "" {
						st.firstErr = string(e)
					}
				case isNil:
					st.misses++
				}
				st.done.Add(1)
			}
		}()
	}
	b.prog.Note("%s: %s GET/s offered over up to %d connections, %v warm-up", label, report.SI(float64(cfg.rate)), cfg.conns, cfg.warmup)
	time.Sleep(time.Until(from))
	mark()
	cpu0, cpuErr := sysstat.PidCPU(s.pid())
	meter := sysstat.StartMeter()
	b.prog.Window(label, from, cfg.duration, func() (n int64) {
		for _, st := range states {
			n += st.done.Load()
		}
		return n
	})
	time.Sleep(time.Until(end))
	mark()
	use := meter.Read()
	res := &steadyResult{wall: cfg.duration, lat: newHist(), svc: newHist(), genCores: use.Self, irq: use.Interrupts}
	var serverCPU time.Duration
	if cpu1, err := sysstat.PidCPU(s.pid()); err == nil && cpuErr == nil {
		serverCPU = cpu1 - cpu0
		res.serverCores, res.hasCPU = serverCPU.Seconds()/use.Wall.Seconds(), true
	}
	res.others = use.Others(serverCPU)
	wg.Wait() // the last GETs were due before end; their replies come in now
	for _, st := range states {
		if st.err != nil {
			if err := s.exited(); err != nil {
				return nil, err
			}
			return nil, st.err
		}
		res.done += st.done.Load()
		res.errors += st.errors
		res.misses += st.misses
		res.late += st.late
		if res.firstErr == "" {
			res.firstErr = st.firstErr
		}
		res.lat.Merge(st.lat)
		res.svc.Merge(st.svc)
	}
	return res, nil
}

// pace sends on sched the due time of every GET from t0 until end, rate
// a second, each once it is due, then closes sched. Go's timers wake up
// to a millisecond late when the process is idle (the runtime's poller
// sleeps in whole milliseconds), which would add up to a millisecond of
// the generator's own lateness to every latency; so the pacer holds an OS
// thread and sleeps with nanosleep(2), which wakes within tens of
// microseconds. Due times are computed from t0, never from when the pacer
// woke: if it or the connections fall behind, the GETs due meanwhile are
// released at once and their wait counts.
func pace(sched chan<- time.Time, t0, end time.Time, rate int) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(sched)
	for k := 0; ; k++ {
		due := t0.Add(time.Duration(float64(k) * float64(time.Second) / float64(rate)))
		if !due.Before(end) {
			return
		}
		if d := time.Until(due); d > 0 {
			ts := syscall.NsecToTimespec(int64(d))
			syscall.Nanosleep(&ts, nil)
		}
		sched <- due
	}
}

func (b *bench) latencyResult(runs []*latencyRun) *report.Result {
	cfg := b.cfg
	csv := report.NewTable("", "server", "keys", "dbsize", "value_size", "load_seconds", "rss_empty_bytes", "rss_loaded_bytes", "rss_end_bytes",
		"used_memory_loaded", "offered_rate", "gets", "gets_per_sec", "p50_us", "p99_us", "p999_us", "max_us",
		"svc_p50_us", "svc_p99_us", "svc_p999_us", "svc_max_us", "late_sends", "errors", "misses",
		"gc_load_cycles", "gc_load_max_pause_ms", "gc_load_total_pause_ms", "gc_steady_cycles", "gc_steady_max_pause_ms",
		"gc_steady_total_pause_ms", "gc_max_live_heap_mb", "server_cores", "gen_cores", "others_cores", "irq_cores")
	tab := report.NewTable(fmt.Sprintf("GET latency at %s GET/s offered (from the scheduled send time)", report.SI(float64(cfg.rate))),
		"server", "keys", "load", "RSS loaded", "RSS end", "GC load", "GC under GETs", "GET/s", "p50", "p99", "p99.9", "max",
		"svc p99.9", "late", "server cores", "others cores", "errors")
	for _, r := range runs {
		st := r.st
		lq := func(q float64) int64 { return st.lat.ValueAtQuantile(q) }
		sq := func(q float64) int64 { return st.svc.ValueAtQuantile(q) }
		gcL, gcS := "-", "-"
		gcCSV := []any{"", "", "", "", "", "", ""}
		if r.hasGC {
			gcL = fmt.Sprintf("%d, max %s", r.gcLoad.cycles, report.Ms(r.gcLoad.maxPause))
			gcS = fmt.Sprintf("%d, max %s", r.gcSteady.cycles, report.Ms(r.gcSteady.maxPause))
			gcCSV = []any{r.gcLoad.cycles, msf(r.gcLoad.maxPause), msf(r.gcLoad.totalPause), r.gcSteady.cycles,
				msf(r.gcSteady.maxPause), msf(r.gcSteady.totalPause), max(r.gcLoad.maxHeapLive, r.gcSteady.maxHeapLive)}
		}
		srvCores, srvCSV := "-", ""
		if st.hasCPU {
			srvCores, srvCSV = fmt.Sprintf("%.2f", st.serverCores), fmt.Sprintf("%.3f", st.serverCores)
		}
		row := []any{r.server, r.keys, r.dbsize, cfg.valueSize, fmt.Sprintf("%.3f", r.load.Seconds()), r.rssEmpty, r.rssLoaded, r.rssEnd,
			r.usedLoaded, cfg.rate, st.done, fmt.Sprintf("%.0f", float64(st.done)/st.wall.Seconds()), lq(50), lq(99), lq(99.9), st.lat.Max(),
			sq(50), sq(99), sq(99.9), st.svc.Max(), st.late, st.errors, st.misses}
		row = append(row, gcCSV...)
		row = append(row, srvCSV, fmt.Sprintf("%.3f", st.genCores), fmt.Sprintf("%.3f", st.others), fmt.Sprintf("%.3f", st.irq))
		csv.Add(row...)
		tab.Add(r.server, report.SI(float64(r.keys)), r.load.Round(time.Millisecond).String(), mib(r.rssLoaded), mib(r.rssEnd), gcL, gcS,
			report.SI(float64(st.done)/st.wall.Seconds()), report.Ms(st.q(st.lat, 50)), report.Ms(st.q(st.lat, 99)),
			report.Ms(st.q(st.lat, 99.9)), report.Ms(st.q(st.lat, 100)), report.Ms(st.q(st.svc, 99.9)),
			report.Pct(float64(st.late)/math.Max(1, float64(st.done))), srvCores, fmt.Sprintf("%.2f", st.others), st.errors+st.misses)
	}
	tables := []*report.Table{tab}

	// p99.9 at the largest size over p99.9 at the smallest, per server.
	small, large := cfg.sizes[0], cfg.sizes[len(cfg.sizes)-1]
	cats := make([]string, len(cfg.sizes))
	for i, n := range cfg.sizes {
		cats[i] = report.SI(float64(n)) + " keys"
	}
	p999 := report.Panel{Title: "GET p99.9 latency", YLabel: "ms", Categories: cats}
	p99 := report.Panel{Title: "GET p99 latency", YLabel: "ms", Categories: cats}
	rss := report.Panel{Title: "RSS after the GETs", YLabel: "MiB", Categories: cats}
	gcp := report.Panel{Title: "cachesrv: longest GC pause", YLabel: "ms", Categories: cats}
	if small != large {
		cmp := report.NewTable(fmt.Sprintf("p99.9 with %s keys / with %s keys", report.SI(float64(large)), report.SI(float64(small))),
			"server", "p99.9 "+report.SI(float64(small)), "p99.9 "+report.SI(float64(large)), "ratio", "target", "met")
		for _, name := range b.servers {
			var a, z *latencyRun
			for _, r := range runs {
				if r.server == name && r.keys == small {
					a = r
				}
				if r.server == name && r.keys == large {
					z = r
				}
			}
			if a == nil || z == nil {
				continue
			}
			pa, pz := a.st.q(a.st.lat, 99.9), z.st.q(z.st.lat, 99.9)
			q := float64(pz) / float64(pa)
			cmp.Add(name, report.Ms(pa), report.Ms(pz), fmt.Sprintf("%.2fx", q), fmt.Sprintf("<= %.1fx", latencyTarget), yesNo(q <= latencyTarget))
		}
		tables = append(tables, cmp)
	}
	for _, name := range b.servers {
		s999, s99, sr := report.Series{Name: name}, report.Series{Name: name}, report.Series{Name: name}
		sl, ss := report.Series{Name: "loading"}, report.Series{Name: "under GETs"}
		for _, n := range cfg.sizes {
			v999, v99, vr, vl, vs := math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()
			for _, r := range runs {
				if r.server == name && r.keys == n {
					v999, v99 = float64(r.st.q(r.st.lat, 99.9))/1e6, float64(r.st.q(r.st.lat, 99))/1e6
					vr = float64(r.rssEnd) / (1 << 20)
					if r.hasGC {
						vl, vs = float64(r.gcLoad.maxPause)/1e6, float64(r.gcSteady.maxPause)/1e6
					}
				}
			}
			s999.Y, s99.Y, sr.Y = append(s999.Y, v999), append(s99.Y, v99), append(sr.Y, vr)
			sl.Y, ss.Y = append(sl.Y, vl), append(ss.Y, vs)
		}
		p999.Series, p99.Series, rss.Series = append(p999.Series, s999), append(p99.Series, s99), append(rss.Series, sr)
		if name == cachesrvName && cfg.gctrace {
			gcp.Series = []report.Series{sl, ss}
		}
	}
	panels := []report.Panel{p999, p99, rss}
	if len(gcp.Series) > 0 {
		panels = append(panels, gcp)
	}
	fig := &report.Figure{
		Title: "membench latency: GET latency and GC against store size",
		Subtitle: fmt.Sprintf("%s; %s GET/s offered over %d connections, %v measured after %v warm-up; %d B values",
			report.Machine(), report.SI(float64(cfg.rate)), cfg.conns, cfg.duration, cfg.warmup, cfg.valueSize),
		Cols:   2,
		Panels: panels,
	}
	notes := append([]string{
		fmt.Sprintf("Each run starts a fresh server, loads key:0 ... key:N-1 (%d connections, %d-deep pipelines of SET, %d B values), "+
			"waits %v, checks DBSIZE, then offers %s GET/s of uniformly random loaded keys for %v of warm-up and %v measured: "+
			"a pacer releases one GET every %v on a fixed schedule (an OS thread sleeping with nanosleep, as Go's timers wake up to 1 ms late), "+
			"and the next free one of %d connections sends it and waits for the reply (at most %d outstanding). "+
			"Latency is counted from a GET's scheduled time to its reply, so a stalled server is charged for every GET due during the stall "+
			"(no coordinated omission); svc p99.9 is counted from the actual write instead. late = share of GETs written more than 1 ms after their "+
			"scheduled time (the server, or this generator on a busy machine, fell behind). HdrHistogram, µs, 3 significant digits.",
			cfg.loadConns, cfg.loadPipeline, cfg.valueSize, cfg.settle, report.SI(float64(cfg.rate)), cfg.warmup, cfg.duration,
			time.Duration(float64(time.Second)/float64(cfg.rate)), cfg.conns, cfg.conns),
		"GC (cachesrv only, from GODEBUG=gctrace=1): cycles and the longest single stop-the-world pause (the first or third figure of gctrace's " +
			"\"ms clock\" triple: sweep termination, mark termination) while starting, loading, waiting and warming up (GC load), and during the measured GETs " +
			"(GC under GETs). Concurrent marking is not a pause but takes CPU and assists from the server's goroutines: it shows in the percentiles, not here.",
		"server cores = the server's CPU (/proc/PID/stat) over the measured window; others cores = every other process on the machine except this " +
			"generator: load from the rest of a shared machine is noise in these percentiles.",
	}, b.notes...)
	return &report.Result{Name: "membench-latency", CSV: csv, Tables: tables, Figure: fig, Notes: notes}
}
