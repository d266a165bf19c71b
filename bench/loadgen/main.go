// Command loadgen loads a Redis-protocol server over TCP and reports
// throughput and latency percentiles (HDR histogram), or, with -compare,
// runs cachesrv and redis-server side by side and reports the ratio.
//
// It speaks RESP itself: each of -conns connections writes a pipeline of
// -pipeline GET/SET commands in one write, reads every reply, and repeats
// (closed loop, as redis-benchmark). Keys are "key:" and 12 digits, chosen
// uniformly or by Zipf from -keys keys, all preloaded first.
//
//	go run ./bench/loadgen -addr 127.0.0.1:6379 -pipeline 16 -ratio 1:1
//	go run ./bench/loadgen -compare -pipeline 16,1 -ratio 1:0,0:1 -rounds 3
//
// -compare builds ./cmd/cachesrv into a temporary directory, starts it and
// `redis-server --save ” --appendonly no` (if installed) on free
// 127.0.0.1 ports, runs every scenario against each in turn (A B A B ...
// for -rounds), and reports throughput, p50/p99/p99.9 latency, the CPU
// seconds each server process used, and cachesrv/redis per round with the
// median. Traffic only ever goes to loopback addresses.
//
// It prints tables and writes bench/results/loadgen[-compare]-<cores>c-<date>
// .csv, .md and .svg.
package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/workload"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type config struct {
	addr         string
	pid          int
	conns        int
	pipelines    []int
	ratios       []string
	keys         int
	dist         workload.Dist
	theta        float64
	valueSize    int
	duration     time.Duration
	warmup       time.Duration
	rounds       int
	preload      bool
	compare      bool
	bin          string
	redis        string
	cachesrvArgs string
	out          string
}

func run(args []string, stdout, stderr io.Writer) int {
	var cfg config
	fs := report.NewFlagSet("loadgen", stderr, &cfg.out)
	pipelines := fs.String("pipeline", "16", "commands per pipeline (1 = none); a comma-separated list runs each")
	ratios := fs.String("ratio", "1:1", "GET:SET ratio, e.g. 9:1, 1:0 (GET only), 0:1 (SET only); a comma-separated list runs each")
	dist := fs.String("dist", "uniform", "key distribution: uniform or zipf")
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:6379", "server to load (loopback only); ignored with -compare")
	fs.IntVar(&cfg.pid, "pid", 0, "PID of the server at -addr, to report its CPU time (/proc/PID/stat)")
	fs.IntVar(&cfg.conns, "conns", 50, "connections")
	fs.IntVar(&cfg.keys, "keys", 1_000_000, "distinct keys")
	fs.Float64Var(&cfg.theta, "zipf", workload.DefaultTheta, "Zipf exponent for -dist zipf")
	fs.IntVar(&cfg.valueSize, "value-size", 100, "SET value size in bytes")
	fs.DurationVar(&cfg.duration, "duration", 5*time.Second, "measured time of each run")
	fs.DurationVar(&cfg.warmup, "warmup", 500*time.Millisecond, "unmeasured load before each run")
	fs.IntVar(&cfg.rounds, "rounds", 0, "rounds of every scenario (default 3 with -compare, else 1)")
	fs.BoolVar(&cfg.preload, "preload", true, "SET every key once before the runs, so GETs hit")
	fs.BoolVar(&cfg.compare, "compare", false, "start cachesrv and redis-server here and compare them")
	fs.StringVar(&cfg.bin, "bin", "", "with -compare: a cachesrv binary to run instead of building ./cmd/cachesrv")
	fs.StringVar(&cfg.redis, "redis", "", `with -compare: redis-server binary (default: from PATH; "none" to skip)`)
	fs.StringVar(&cfg.cachesrvArgs, "cachesrv-args", "", "with -compare: extra cachesrv flags, space-separated (e.g. \"--shards 64\")")
	if err := fs.Parse(args); err != nil {
		return report.FlagsExitCode(err)
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "loadgen:", err)
		return code
	}
	var err error
	if cfg.pipelines, err = workload.ParseInts(*pipelines); err != nil {
		return fail(2, err)
	}
	cfg.ratios = workload.ParseList(*ratios)
	cfg.dist = workload.Dist(*dist)
	if cfg.rounds == 0 {
		cfg.rounds = 1
		if cfg.compare {
			cfg.rounds = 3
		}
	}
	if cfg.conns < 1 || cfg.rounds < 1 || cfg.duration <= 0 {
		return fail(2, errors.New("-conns, -rounds and -duration must be positive"))
	}
	var scens []scenario
	for _, p := range cfg.pipelines {
		for _, r := range cfg.ratios {
			read, err := workload.ParseRatio(r)
			if err != nil {
				return fail(2, err)
			}
			scens = append(scens, scenario{pipeline: p, ratio: r, read: read})
		}
	}
	keys, err := workload.NewKeys(cfg.keys, cfg.dist, cfg.theta)
	if err != nil {
		return fail(2, err)
	}

	var (
		targets []target
		notes   []string
	)
	if cfg.compare {
		dir, err := os.MkdirTemp("", "loadgen-")
		if err != nil {
			return fail(1, err)
		}
		defer os.RemoveAll(dir)
		fmt.Fprintln(stderr, "loadgen: building and starting cachesrv and redis-server ...")
		servers, err := startServers(&cfg, dir)
		if err != nil {
			return fail(1, err)
		}
		stopAll := func() {
			for _, s := range servers {
				s.stop()
			}
		}
		defer stopAll()
		defer proc.StopOnInterrupt(stderr, "loadgen: interrupted, stopping the servers", dir, stopAll)()
		for _, s := range servers {
			targets = append(targets, s.target)
			notes = append(notes, fmt.Sprintf("%s: %s, pid %d, %s.", s.name, s.version, s.pid, s.addr))
		}
		if len(servers) == 1 {
			notes = append(notes, "redis-server was not found: cachesrv only, no ratio.")
		}
	} else {
		targets = []target{{name: cfg.addr, addr: cfg.addr, pid: cfg.pid}}
	}
	for _, t := range targets {
		if err := checkLoopback(t.addr); err != nil {
			return fail(2, err)
		}
	}

	total := len(scens) * cfg.rounds * len(targets)
	fmt.Fprintf(stderr, "loadgen: %d runs of %v (+%v warm-up): %d conns, %s keys (%s), %d B values, GOMAXPROCS %d\n",
		total, cfg.duration, cfg.warmup, cfg.conns, report.SI(float64(cfg.keys)), cfg.dist, cfg.valueSize, runtime.GOMAXPROCS(0))
	g := &generator{cfg: &cfg, keys: keys, enc: workload.NewEncoder(workload.Value(cfg.valueSize)), prog: report.NewProgress(stderr, total)}
	if cfg.preload {
		for _, t := range targets {
			if err := g.preload(t); err != nil {
				return fail(1, fmt.Errorf("preload %s: %w", t.name, err))
			}
		}
	}
	var ms []*measurement
	for _, sc := range scens {
		for round := 1; round <= cfg.rounds; round++ {
			for _, t := range targets {
				label := fmt.Sprintf("%s %s round %d/%d", t.name, sc, round, cfg.rounds)
				m, err := g.run(t, sc, label)
				if err != nil {
					return fail(1, fmt.Errorf("%s: %w", label, err))
				}
				m.round = round
				ms = append(ms, m)
				g.prog.Step("%s: %s ops/s, p50 %s, p99 %s, p99.9 %s%s", label, report.SI(m.opsPerSec()),
					report.Ms(m.quantile(50)), report.Ms(m.quantile(99)), report.Ms(m.quantile(99.9)), errNote(m))
			}
		}
	}

	res := result(&cfg, scens, targets, ms, notes)
	if err := res.PrintAndSave(stdout, cfg.out); err != nil {
		return fail(1, err)
	}
	return 0
}

func errNote(m *measurement) string {
	if m.errors == 0 {
		return ""
	}
	return fmt.Sprintf(", %d error replies (first: %s)", m.errors, m.firstErr)
}

// checkLoopback refuses any address that is not on this machine's
// loopback: this tool is for servers run here.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return err
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s resolves to %s, not a loopback address: loadgen only loads servers on this machine", addr, ip)
		}
	}
	return nil
}

func result(cfg *config, scens []scenario, targets []target, ms []*measurement, notes []string) *report.Result {
	name := "loadgen"
	if cfg.compare {
		name = "loadgen-compare"
	}
	csv := report.NewTable("", "scenario", "pipeline", "get_share", "round", "server", "ops", "seconds", "ops_per_sec",
		"p50_us", "p99_us", "p999_us", "max_us", "server_cpu_seconds", "gen_cpu_seconds", "gen_cpu_us_per_op", "other_procs_cores", "interrupt_cores", "errors")
	runs := report.NewTable("Runs", "scenario", "round", "server", "ops/s", "p50", "p99", "p99.9", "max",
		"server CPU s", "server cores", "loadgen cores", "irq cores", "others cores", "errors")
	for _, m := range ms {
		srvCPU, srvCores, srvCSV := "-", "-", ""
		if m.hasCPU {
			srvCPU = fmt.Sprintf("%.2f", m.serverCPU.Seconds())
			srvCores = fmt.Sprintf("%.2f", m.serverCPU.Seconds()/m.wall.Seconds())
			srvCSV = fmt.Sprintf("%.2f", m.serverCPU.Seconds())
		}
		csv.Add(m.scen.String(), m.scen.pipeline, m.scen.read, m.round, m.target, m.ops, fmt.Sprintf("%.3f", m.wall.Seconds()),
			fmt.Sprintf("%.0f", m.opsPerSec()), m.hist.ValueAtQuantile(50), m.hist.ValueAtQuantile(99), m.hist.ValueAtQuantile(99.9),
			m.hist.Max(), srvCSV, fmt.Sprintf("%.3f", m.genCPU.Seconds()),
			fmt.Sprintf("%.3f", float64(m.genCPU.Microseconds())/math.Max(1, float64(m.ops))), fmt.Sprintf("%.3f", m.others), fmt.Sprintf("%.3f", m.irq), m.errors)
		runs.Add(m.scen.String(), m.round, m.target, report.SI(m.opsPerSec()), report.Ms(m.quantile(50)), report.Ms(m.quantile(99)),
			report.Ms(m.quantile(99.9)), report.Ms(m.quantile(100)), srvCPU, srvCores,
			fmt.Sprintf("%.2f", m.genCPU.Seconds()/m.wall.Seconds()), fmt.Sprintf("%.2f", m.irq), fmt.Sprintf("%.2f", m.others), m.errors)
	}

	// Medians over rounds, per scenario and target.
	type key struct {
		scen   string
		target string
	}
	per := map[key][]*measurement{}
	for _, m := range ms {
		k := key{m.scen.String(), m.target}
		per[k] = append(per[k], m)
	}
	med := func(k key, f func(*measurement) float64) float64 {
		var xs []float64
		for _, m := range per[k] {
			xs = append(xs, f(m))
		}
		return report.Median(xs)
	}
	ops := func(m *measurement) float64 { return m.opsPerSec() }
	p99 := func(m *measurement) float64 { return float64(m.quantile(99)) / 1e6 }
	p50 := func(m *measurement) float64 { return float64(m.quantile(50)) / 1e6 }

	var cats []string
	for _, sc := range scens {
		cats = append(cats, sc.String())
	}
	tp := report.Panel{Title: "throughput (median of rounds)", YLabel: "ops/s", Categories: cats}
	l50 := report.Panel{Title: "p50 latency (median of rounds)", YLabel: "ms", Categories: cats}
	l99 := report.Panel{Title: "p99 latency (median of rounds)", YLabel: "ms", Categories: cats}
	cpu := report.Panel{Title: "CPU used during runs (median)", YLabel: "cores", Categories: cats}
	for _, t := range targets {
		st, s50, s99 := report.Series{Name: t.name}, report.Series{Name: t.name}, report.Series{Name: t.name}
		sc := report.Series{Name: t.name + " (server)"}
		sg := report.Series{Name: "loadgen vs " + t.name}
		for _, c := range cats {
			k := key{c, t.name}
			st.Y = append(st.Y, med(k, ops))
			s50.Y = append(s50.Y, med(k, p50))
			s99.Y = append(s99.Y, med(k, p99))
			sc.Y = append(sc.Y, med(k, func(m *measurement) float64 {
				if !m.hasCPU {
					return math.NaN()
				}
				return m.serverCPU.Seconds() / m.wall.Seconds()
			}))
			sg.Y = append(sg.Y, med(k, func(m *measurement) float64 { return m.genCPU.Seconds() / m.wall.Seconds() }))
		}
		tp.Series, l50.Series, l99.Series = append(tp.Series, st), append(l50.Series, s50), append(l99.Series, s99)
		if t.pid > 0 {
			cpu.Series = append(cpu.Series, sc)
		}
		cpu.Series = append(cpu.Series, sg)
	}
	fig := &report.Figure{
		Title: "loadgen: " + strings.Join(targetNames(targets), " vs "),
		Subtitle: fmt.Sprintf("%s; %d conns, %s keys (%s), %d B values, %v per run, %d round(s)", report.Machine(),
			cfg.conns, report.SI(float64(cfg.keys)), cfg.dist, cfg.valueSize, cfg.duration, cfg.rounds),
		Cols:   2,
		Panels: []report.Panel{tp, l99, l50, cpu},
	}
	tables := []*report.Table{runs}

	if len(targets) == 2 {
		a, b := targets[0].name, targets[1].name
		header := []string{"scenario", a + " ops/s", b + " ops/s"}
		for r := 1; r <= cfg.rounds; r++ {
			header = append(header, fmt.Sprintf("ratio r%d", r))
		}
		header = append(header, "median ratio", a+" p99", b+" p99", a+" CPU s", b+" CPU s")
		cmp := report.NewTable(fmt.Sprintf("%s / %s (medians over %d rounds)", a, b, cfg.rounds), header...)
		ratioP := report.Panel{Title: a + " / " + b + " throughput, per round", YLabel: "ratio", Categories: cats}
		roundSeries := make([]report.Series, cfg.rounds)
		for r := range roundSeries {
			roundSeries[r].Name = fmt.Sprintf("round %d", r+1)
		}
		for _, c := range cats {
			ka, kb := key{c, a}, key{c, b}
			row := []any{c, report.SI(med(ka, ops)), report.SI(med(kb, ops))}
			var ratios []float64
			for r := range cfg.rounds {
				ratio := math.NaN()
				if r < len(per[ka]) && r < len(per[kb]) {
					ratio = per[ka][r].opsPerSec() / per[kb][r].opsPerSec()
				}
				ratios = append(ratios, ratio)
				row = append(row, fmt.Sprintf("%.2f", ratio))
				roundSeries[r].Y = append(roundSeries[r].Y, ratio)
			}
			cpuS := func(m *measurement) float64 { return m.serverCPU.Seconds() }
			row = append(row, fmt.Sprintf("%.2fx", report.Median(ratios)),
				report.Ms(time.Duration(med(ka, p99)*1e6)), report.Ms(time.Duration(med(kb, p99)*1e6)),
				fmt.Sprintf("%.2f", med(ka, cpuS)), fmt.Sprintf("%.2f", med(kb, cpuS)))
			cmp.Add(row...)
		}
		ratioP.Series = roundSeries
		fig.Panels = append(fig.Panels, ratioP)
		tables = append(tables, cmp)
	}

	notes = append(notes,
		fmt.Sprintf("Closed loop: %d connections each write a pipeline of commands in one write and read all the replies before the next. "+
			"Latency of a command = time from writing its pipeline to reading the pipeline's last reply (HdrHistogram, µs, 3 digits). "+
			"Each run has %v of unmeasured warm-up; runs alternate between servers within a round.", cfg.conns, cfg.warmup),
		"Server CPU s = utime+stime from /proc/PID/stat over the measured window (10 ms resolution); server cores = that / wall time. "+
			"loadgen cores = this process's CPU over the same window. The generator and the servers share this machine's cores: "+
			"what the generator uses is not available to the server, so compare the two CPU columns before reading a throughput as the server's limit. "+
			"irq cores = the kernel's interrupt time (/proc/stat irq+softirq), charged to no process: on loopback much of it is TCP receive work for this traffic. "+
			"others cores = the other processes' user+system time (/proc/stat less server and loadgen): load from the rest of the machine during the run.")
	return &report.Result{Name: name, CSV: csv, Tables: tables, Figure: fig, Notes: notes}
}

func targetNames(ts []target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.name)
	}
	return out
}
