// Command clusterbench measures a 3-node cachesrv cluster on this machine:
// what it costs to send every command to one node and let it forward
// (proxy mode, any Redis client) against sending each command straight to
// the key's owner with a cluster-aware client (go-redis ClusterClient),
// and the same cluster-aware client against nodes in redirect mode.
//
//	go run ./bench/clusterbench
//	go run ./bench/clusterbench -quick
//	go run ./bench/clusterbench -pipeline 16 -ops get -duration 10s -rounds 5
//
// It builds ./cmd/cachesrv into a temporary directory (or runs -bin),
// starts -nodes processes on 127.0.0.1 with --cluster, the first as the
// gossip seed, waits until CLUSTER INFO on every node reports them all,
// preloads -keys keys of -value-size bytes, and runs each scenario
// (GET or SET, pipeline depth) for -duration with -clients goroutines:
//
//   - proxy: plain go-redis Clients, all connected to node 1, which
//     forwards what it does not own;
//   - direct: go-redis ClusterClient over all nodes;
//   - redirect-mode direct: ClusterClient against a second cluster started
//     with --cluster-mode redirect.
//
// proxy and direct alternate within each of -rounds rounds. Every run
// reports throughput, latency percentiles, each node's CPU (/proc) and
// commands processed (INFO), and any forwarding counters INFO carries.
// All processes are stopped at the end, on error and on interrupt.
// It prints tables and writes bench/results/clusterbench-<cores>c-<date>
// .csv, .md and .svg.
package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/sysstat"
	"github.com/cachesrv/cachesrv/bench/internal/workload"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type config struct {
	nodes        int
	clients      int
	pipelines    []int
	ops          []string
	modes        []string
	keys         int
	valueSize    int
	duration     time.Duration
	warmup       time.Duration
	rounds       int
	bin          string
	cachesrvArgs string
	out          string
}

func run(args []string, stdout, stderr io.Writer) int {
	var cfg config
	fs := report.NewFlagSet("clusterbench", stderr, &cfg.out)
	pipelines := fs.String("pipeline", "16,1", "commands per pipeline (1 = none), comma-separated")
	ops := fs.String("ops", "get,set", "operations to run: get, set")
	modes := fs.String("modes", "proxy,redirect", "cluster modes to start: proxy (runs proxy and direct clients), redirect (direct client)")
	quick := fs.Bool("quick", false, "300 ms runs, 1 round, 2k keys, pipeline 16: seconds, for tests")
	fs.IntVar(&cfg.nodes, "nodes", 3, "cachesrv processes in the cluster")
	fs.IntVar(&cfg.clients, "clients", 50, "goroutines issuing commands, each with its own connection")
	fs.IntVar(&cfg.keys, "keys", 100_000, "distinct keys, all SET once before the runs")
	fs.IntVar(&cfg.valueSize, "value-size", 100, "value size in bytes")
	fs.DurationVar(&cfg.duration, "duration", 3*time.Second, "measured time of each run")
	fs.DurationVar(&cfg.warmup, "warmup", 500*time.Millisecond, "unmeasured load before each run")
	fs.IntVar(&cfg.rounds, "rounds", 3, "rounds of every scenario; proxy and direct alternate within a round")
	fs.StringVar(&cfg.bin, "bin", "", "cachesrv binary to run instead of building ./cmd/cachesrv")
	fs.StringVar(&cfg.cachesrvArgs, "cachesrv-args", "", "extra cachesrv flags for every node, space-separated (e.g. \"--vnodes 256\")")
	if err := fs.Parse(args); err != nil {
		return report.FlagsExitCode(err)
	}
	if *quick {
		cfg.duration, cfg.warmup, cfg.rounds = 300*time.Millisecond, 100*time.Millisecond, 1
		cfg.keys = min(cfg.keys, 2000)
		*pipelines = "16"
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "clusterbench:", err)
		return code
	}
	var err error
	if cfg.pipelines, err = workload.ParseInts(*pipelines); err != nil {
		return fail(2, err)
	}
	for _, o := range workload.ParseList(*ops) {
		o = strings.ToUpper(o)
		if o != "GET" && o != "SET" {
			return fail(2, fmt.Errorf("-ops: unknown operation %q (want get, set)", o))
		}
		cfg.ops = append(cfg.ops, o)
	}
	for _, m := range workload.ParseList(*modes) {
		if m != "proxy" && m != "redirect" {
			return fail(2, fmt.Errorf("-modes: unknown mode %q (want proxy, redirect)", m))
		}
		cfg.modes = append(cfg.modes, m)
	}
	if len(cfg.ops) == 0 || len(cfg.modes) == 0 || cfg.nodes < 2 || cfg.clients < 1 || cfg.rounds < 1 || cfg.duration <= 0 || cfg.keys < 2 {
		return fail(2, errors.New("need -ops and -modes, -nodes >= 2, and positive -clients, -rounds, -duration, -keys"))
	}
	var scens []scenario
	for _, p := range cfg.pipelines {
		for _, o := range cfg.ops {
			scens = append(scens, scenario{op: o, pipeline: p})
		}
	}

	dir, err := os.MkdirTemp("", "clusterbench-")
	if err != nil {
		return fail(1, err)
	}
	defer os.RemoveAll(dir)

	// Every cluster started is stopped: on return, and on interrupt.
	var (
		mu       sync.Mutex
		clusters []*localCluster
	)
	stopAll := func() {
		mu.Lock()
		cs := slices.Clone(clusters)
		mu.Unlock()
		for _, lc := range cs {
			lc.stop()
		}
	}
	defer stopAll()
	defer proc.StopOnInterrupt(stderr, "clusterbench: interrupted, stopping the nodes", dir, stopAll)()

	bin := cfg.bin
	if bin == "" {
		fmt.Fprintln(stderr, "clusterbench: building ./cmd/cachesrv ...")
		if bin, err = proc.BuildCachesrv(dir); err != nil {
			return fail(1, err)
		}
	}
	version := "cachesrv"
	if out, err := exec.Command(bin, "--version").Output(); err == nil {
		version = strings.TrimSpace(string(out))
	}

	runsPer := map[string]int{"proxy": 2, "redirect": 1}
	total := 0
	for _, m := range cfg.modes {
		total += runsPer[m] * len(scens) * cfg.rounds
	}
	fmt.Fprintf(stderr, "clusterbench: %d runs of %v (+%v warm-up): %d nodes, %d clients, %s keys, %d B values, GOMAXPROCS %d\n",
		total, cfg.duration, cfg.warmup, cfg.nodes, cfg.clients, report.SI(float64(cfg.keys)), cfg.valueSize, runtime.GOMAXPROCS(0))
	prog := report.NewProgress(stderr, total)
	b, err := newBench(&cfg, prog)
	if err != nil {
		return fail(2, err)
	}
	whole := sysstat.StartMeter()
	notes := []string{fmt.Sprintf("Server: %s, %d nodes on 127.0.0.1, started with `%s`.", version, cfg.nodes,
		strings.Join(append([]string{"--cluster --cluster-mode MODE --port P --gossip-port G --join <node 1's gossip address> --metrics-addr \"\" --log-level warn"},
			strings.Fields(cfg.cachesrvArgs)...), " "))}
	var ms []*measurement
	for _, mode := range cfg.modes {
		lc := &localCluster{mode: mode}
		mu.Lock()
		clusters = append(clusters, lc)
		mu.Unlock()
		if err := lc.start(bin, dir, cfg.nodes, strings.Fields(cfg.cachesrvArgs), prog); err != nil {
			return fail(1, err)
		}
		if mode == cfg.modes[0] {
			if n, took, err := slotMap(lc); err == nil {
				notes = append(notes, fmt.Sprintf("CLUSTER SLOTS lists %d slot ranges: slots sit on the ring at xxhash(slot), so neighbouring slot numbers share an owner only by chance (about (1-1/N) x 16384 ranges, whatever --vnodes is); "+
					"fetching and parsing it with go-redis took %v. A ClusterClient does that when it starts, every 60 s, and after a MOVED, "+
					"and every goroutine that issues a first command before the first load finishes does it too, so the bench issues one command before starting its goroutines.",
					n, took.Round(100*time.Microsecond)))
			}
		}
		if err := b.preload(lc); err != nil {
			return fail(1, fmt.Errorf("preload %s cluster: %w", mode, err))
		}
		targets := []target{{lc, proxyClient}, {lc, directClient}}
		if mode == "redirect" {
			targets = targets[1:]
			notes = append(notes, "Redirect mode check: "+b.checkRedirect(lc)+".")
		}
		for _, sc := range scens {
			for round := 1; round <= cfg.rounds; round++ {
				for _, t := range targets {
					label := fmt.Sprintf("%s %s round %d/%d", t.label(), sc, round, cfg.rounds)
					m, err := b.run(t, sc, label)
					if err != nil {
						return fail(1, fmt.Errorf("%s: %w", label, err))
					}
					m.round = round
					ms = append(ms, m)
					prog.Step("%s: %s ops/s, p50 %s, p99 %s, server %.2f cores, node cmds/op %s%s", label, report.SI(m.opsPerSec()),
						report.Ms(m.quantile(50)), report.Ms(m.quantile(99)), m.serverCores(), cmdsPerOpList(m), errNote(m))
				}
			}
		}
		lc.stop() // before the next cluster, so the two never compete for cores
	}

	use := whole.Read()
	var nodesCPU time.Duration
	for _, lc := range clusters {
		nodesCPU += lc.cpuUsed()
	}
	res := result(&cfg, scens, ms, notes, use, nodesCPU)
	if err := res.PrintAndSave(stdout, cfg.out, res.Notes[len(res.Notes)-3:]...); err != nil {
		return fail(1, err)
	}
	return 0
}

func errNote(m *measurement) string {
	s := ""
	if m.errors > 0 {
		s += fmt.Sprintf(", %d errors (first: %s)", m.errors, m.firstErr)
	}
	if m.misses > 0 {
		s += fmt.Sprintf(", %d GET misses", m.misses)
	}
	return s
}

func cmdsPerOpList(m *measurement) string {
	var parts []string
	for i := range m.nodeCmds {
		parts = append(parts, fmt.Sprintf("%.2f", m.cmdsPerOp(i)))
	}
	return strings.Join(parts, "/")
}

// key groups the rounds of one scenario on one target.
type key struct{ scen, target string }

func result(cfg *config, scens []scenario, ms []*measurement, notes []string, use sysstat.Usage, nodesCPU time.Duration) *report.Result {
	nodeCols := func(prefix string) []string {
		var h []string
		for i := range cfg.nodes {
			h = append(h, fmt.Sprintf("%s%d", prefix, i+1))
		}
		return h
	}
	csvHeader := []string{"cluster_mode", "client", "scenario", "op", "pipeline", "round", "ops", "seconds", "ops_per_sec",
		"p50_us", "p99_us", "p999_us", "max_us", "errors", "get_misses", "server_cores", "server_cpu_us_per_op", "bench_cores", "other_procs_cores", "interrupt_cores"}
	csvHeader = append(csvHeader, nodeCols("node_cpu_seconds_")...)
	csvHeader = append(csvHeader, nodeCols("node_cmds_per_op_")...)
	csv := report.NewTable("", csvHeader...)
	runsHeader := append([]string{"run", "round", "ops/s", "p50", "p99", "p99.9", "server cores", "server µs/op", "bench cores", "others"},
		nodeCols("cmds/op n")...)
	runs := report.NewTable("Runs", append(runsHeader, "errors")...)

	var fwdNames []string
	for _, m := range ms {
		for k := range m.fwdFields {
			if !slices.Contains(fwdNames, k) {
				fwdNames = append(fwdNames, k)
			}
		}
	}
	slices.Sort(fwdNames)

	for _, m := range ms {
		row := []any{m.target.lc.mode, m.target.client, m.scen.String(), m.scen.op, m.scen.pipeline, m.round, m.ops,
			fmt.Sprintf("%.3f", m.wall.Seconds()), fmt.Sprintf("%.0f", m.opsPerSec()),
			m.hist.ValueAtQuantile(50), m.hist.ValueAtQuantile(99), m.hist.ValueAtQuantile(99.9), m.hist.Max(),
			m.errors, m.misses, fmt.Sprintf("%.3f", m.serverCores()), fmt.Sprintf("%.2f", m.serverUsPerOp()),
			fmt.Sprintf("%.3f", m.benchCPU), fmt.Sprintf("%.3f", m.others), fmt.Sprintf("%.3f", m.irq)}
		for _, c := range m.nodeCPU {
			row = append(row, fmt.Sprintf("%.2f", c.Seconds()))
		}
		for i := range m.nodeCmds {
			row = append(row, fmt.Sprintf("%.3f", m.cmdsPerOp(i)))
		}
		csv.Add(row...)

		r := []any{m.target.label() + " " + m.scen.String(), m.round, report.SI(m.opsPerSec()), report.Ms(m.quantile(50)),
			report.Ms(m.quantile(99)), report.Ms(m.quantile(99.9)), fmt.Sprintf("%.2f", m.serverCores()),
			fmt.Sprintf("%.1f", m.serverUsPerOp()), fmt.Sprintf("%.2f", m.benchCPU), fmt.Sprintf("%.2f", m.others)}
		for i := range m.nodeCmds {
			r = append(r, fmt.Sprintf("%.2f", m.cmdsPerOp(i)))
		}
		runs.Add(append(r, m.errors)...)
	}

	per := map[key][]*measurement{}
	for _, m := range ms {
		k := key{m.scen.String(), m.target.label()}
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
	p50 := func(m *measurement) float64 { return float64(m.quantile(50)) / 1e6 }
	p99 := func(m *measurement) float64 { return float64(m.quantile(99)) / 1e6 }
	usOp := func(m *measurement) float64 { return m.serverUsPerOp() }
	ms2d := func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return report.Ms(time.Duration(v * 1e6))
	}
	si := func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return report.SI(v)
	}
	ratioStr := func(v float64) string {
		if math.IsNaN(v) {
			return "-"
		}
		return fmt.Sprintf("%.2fx", v)
	}

	const (
		proxyL    = proxyClient
		directL   = directClient
		redirectL = "redirect-mode " + directClient
	)
	cmp := report.NewTable(fmt.Sprintf("proxy (all clients on node 1) vs direct (ClusterClient), medians over %d round(s)", cfg.rounds),
		"scenario", "proxy ops/s", "direct ops/s", "proxy/direct", "proxy p50", "direct p50", "proxy p99", "direct p99",
		"proxy µs/op", "direct µs/op", "redirect-mode ops/s", "redirect/direct", "redirect p99")
	var cats []string
	ratios := map[string]float64{}
	for _, sc := range scens {
		c := sc.String()
		cats = append(cats, c)
		kp, kd, kr := key{c, proxyL}, key{c, directL}, key{c, redirectL}
		// The ratio of each round's pair, then the median: proxy and
		// direct ran back to back, so a round's pair saw the same machine.
		var rs []float64
		for i := range min(len(per[kp]), len(per[kd])) {
			rs = append(rs, per[kp][i].opsPerSec()/per[kd][i].opsPerSec())
		}
		ratio := report.Median(rs)
		ratios[c] = ratio
		cmp.Add(c, si(med(kp, ops)), si(med(kd, ops)), ratioStr(ratio),
			ms2d(med(kp, p50)), ms2d(med(kd, p50)), ms2d(med(kp, p99)), ms2d(med(kd, p99)),
			fmt.Sprintf("%.1f", med(kp, usOp)), fmt.Sprintf("%.1f", med(kd, usOp)),
			si(med(kr, ops)), ratioStr(med(kr, ops)/med(kd, ops)), ms2d(med(kr, p99)))
	}
	tables := []*report.Table{runs, cmp}

	// Forwarding, as far as the nodes tell: commands processed per client
	// operation on node 1 and on the others during proxy runs.
	fwd := report.NewTable("Forwarding seen from the nodes in proxy runs (INFO deltas per client operation, medians)",
		append([]string{"scenario"}, append(nodeCols("cmds/op n"), "others' cmds/op (forwarded share)")...)...)
	for _, sc := range scens {
		k := key{sc.String(), proxyL}
		if len(per[k]) == 0 {
			continue
		}
		row := []any{sc.String()}
		others := 0.0
		for i := range cfg.nodes {
			v := med(k, func(m *measurement) float64 { return m.cmdsPerOp(i) })
			row = append(row, fmt.Sprintf("%.3f", v))
			if i > 0 {
				others += v
			}
		}
		fwd.Add(append(row, fmt.Sprintf("%.3f", others))...)
	}
	if len(fwd.Rows) > 0 {
		tables = append(tables, fwd)
	}
	if len(fwdNames) > 0 {
		ft := report.NewTable("INFO fields about forwarding (delta per client operation, median of proxy runs; per node)",
			append([]string{"scenario", "field"}, nodeCols("node")...)...)
		for _, sc := range scens {
			k := key{sc.String(), proxyL}
			for _, name := range fwdNames {
				row := []any{sc.String(), name}
				for i := range cfg.nodes {
					row = append(row, fmt.Sprintf("%.3f", med(k, func(m *measurement) float64 {
						if v := m.fwdFields[name]; v != nil && m.ops > 0 {
							return v[i] / float64(m.ops)
						}
						return math.NaN()
					})))
				}
				ft.Add(row...)
			}
		}
		tables = append(tables, ft)
	}

	tp := report.Panel{Title: "throughput (median of rounds)", YLabel: "ops/s", Categories: cats}
	l50 := report.Panel{Title: "p50 latency (median of rounds)", YLabel: "ms", Categories: cats}
	l99 := report.Panel{Title: "p99 latency (median of rounds)", YLabel: "ms", Categories: cats}
	cpu := report.Panel{Title: "server CPU per operation, all nodes (median)", YLabel: "µs", Categories: cats}
	for _, lbl := range []string{proxyL, directL, redirectL} {
		st, s50, s99, sc := report.Series{Name: lbl}, report.Series{Name: lbl}, report.Series{Name: lbl}, report.Series{Name: lbl}
		any := false
		for _, c := range cats {
			k := key{c, lbl}
			any = any || len(per[k]) > 0
			st.Y, s50.Y = append(st.Y, med(k, ops)), append(s50.Y, med(k, p50))
			s99.Y, sc.Y = append(s99.Y, med(k, p99)), append(sc.Y, med(k, usOp))
		}
		if any {
			tp.Series, l50.Series, l99.Series, cpu.Series = append(tp.Series, st), append(l50.Series, s50), append(l99.Series, s99), append(cpu.Series, sc)
		}
	}
	ratioP := report.Panel{Title: "proxy / direct throughput (median of rounds)", YLabel: "ratio", Categories: cats,
		Series: []report.Series{{Name: "proxy / direct"}}}
	for _, c := range cats {
		ratioP.Series[0].Y = append(ratioP.Series[0].Y, ratios[c])
	}
	fig := &report.Figure{
		Title: fmt.Sprintf("clusterbench: %d-node cluster, proxy through node 1 vs direct (ClusterClient)", cfg.nodes),
		Subtitle: fmt.Sprintf("%s; %d clients, %s keys, %d B values, %v per run, %d round(s)", report.Machine(),
			cfg.clients, report.SI(float64(cfg.keys)), cfg.valueSize, cfg.duration, cfg.rounds),
		Cols:   2,
		Panels: []report.Panel{tp, ratioP, l50, l99, cpu},
	}

	fwdNote := "INFO carries no forwarding counters (no field named like forward, batch, proxy or peer), so the forwarding batch sizes are not visible from outside; " +
		"the table above infers the forwarded share from total_commands_processed on the other nodes (a forwarded command is processed again by its owner)."
	if len(fwdNames) > 0 {
		fwdNote = "INFO forwarding fields found: " + strings.Join(fwdNames, ", ") + "; their deltas per client operation are in the last table."
	}
	notes = append(notes,
		fmt.Sprintf("Closed loop: %d goroutines, each with its own connection (per node for ClusterClient), send a pipeline of commands "+
			"(go-redis Pipeline; ClusterClient splits it by node and sends the parts in parallel) or one command, and wait for every reply before the next. "+
			"Keys: %s keys chosen uniformly, \"key:\" and 12 digits, all SET before the runs. Latency of a command = time from sending its pipeline to its last reply "+
			"(HdrHistogram, µs). Each run has %v of unmeasured warm-up. Server cores / µs per op = CPU of all node processes (/proc/PID/stat, 10 ms resolution) "+
			"over the measured window / per client operation. bench cores = this process (the go-redis clients), others = every other process on the machine.",
			cfg.clients, report.SI(float64(cfg.keys)), cfg.warmup),
		"cmds/op nI = INFO total_commands_processed delta on node I per client operation (INFO itself adds one per node per run). "+
			"In proxy runs node 1 takes every command and about (N-1)/N of them are processed again by their owners; with ClusterClient each node processes its own share.",
		fwdNote,
		routingNote(cfg.nodes, ms),
		machineNote(use, nodesCPU),
		ratioSummary(scens, ratios, per),
	)
	return &report.Result{Name: "clusterbench", CSV: csv, Tables: tables, Figure: fig, Notes: notes}
}

// routingNote checks, from the nodes' own counters, that each client
// reached the nodes it should: through node 1 every command reaches node
// 1, so it processes at least one per operation; with ClusterClient it
// processes only its share, about 1/N. The commands in flight at a
// measured window's edges count on the nodes but not in the operations,
// and on a busy machine they weigh more in a short run, so this is the
// benchmark's check to report, not one a test can assert.
func routingNote(nodes int, ms []*measurement) string {
	lo, hi := map[string]float64{}, map[string]float64{}
	for _, m := range ms {
		c, client := m.cmdsPerOp(0), m.target.client
		if _, ok := lo[client]; !ok || c < lo[client] {
			lo[client] = c
		}
		if _, ok := hi[client]; !ok || c > hi[client] {
			hi[client] = c
		}
	}
	share := 1 / float64(nodes)
	var parts []string
	off := false
	if _, ok := lo[proxyClient]; ok {
		parts = append(parts, fmt.Sprintf("%.2f to %.2f in proxy runs (expected at least 1)", lo[proxyClient], hi[proxyClient]))
		off = off || lo[proxyClient] < 1
	}
	if _, ok := lo[directClient]; ok {
		parts = append(parts, fmt.Sprintf("%.2f to %.2f in direct runs (expected about 1/%d)", lo[directClient], hi[directClient], nodes))
		off = off || lo[directClient] < share/2 || hi[directClient] > 2*share
	}
	verdict := "as expected"
	if off {
		verdict = "NOT as expected: see the runs table (cmds/op n1)"
	}
	return fmt.Sprintf("Routing check, commands node 1 processed per operation: %s; %s.", strings.Join(parts, ", "), verdict)
}

// machineNote says how busy the machine was over the whole run, keeping
// the nodes' CPU apart from other processes'.
func machineNote(u sysstat.Usage, nodesCPU time.Duration) string {
	if math.IsNaN(u.Machine) {
		return u.Describe()
	}
	return fmt.Sprintf("Over the %v run (build, start-up and preloads included) processes kept %.2f cores busy on average: "+
		"%.2f this one (the clients), %.2f the cachesrv nodes, %.2f other processes (this machine is shared; their load is noise in these numbers), "+
		"and interrupts %.2f. The others column of the runs table is the same per run.",
		u.Wall.Round(time.Second), u.Machine, u.Self, nodesCPU.Seconds()/u.Wall.Seconds(), u.Others(nodesCPU), u.Interrupts)
}

// ratioSummary is the one-line answer: how much throughput going through
// one node costs against a cluster-aware client.
func ratioSummary(scens []scenario, ratios map[string]float64, per map[key][]*measurement) string {
	var parts []string
	for _, sc := range scens {
		if r := ratios[sc.String()]; !math.IsNaN(r) && r != 0 {
			parts = append(parts, fmt.Sprintf("%s %.2fx", sc, r))
		}
	}
	if len(parts) == 0 {
		return "Proxy / direct throughput: not measured (proxy mode not run)."
	}
	return "Proxy (all clients on node 1) / direct (ClusterClient) throughput, median of rounds: " + strings.Join(parts, ", ") + "."
}
