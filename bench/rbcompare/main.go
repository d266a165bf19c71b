// Command rbcompare runs the benchmark Redis users run first,
// redis-benchmark with its default test list, against cachesrv and
// redis-server side by side, and reports the ratios.
//
//	go run ./bench/rbcompare
//	go run ./bench/rbcompare -tests get,set -pipeline 1 -placement pinned -rounds 5
//
// It builds ./cmd/cachesrv (or takes -bin), starts it and `redis-server
// --save ” --appendonly no` on free 127.0.0.1 ports, and for each
// placement, pipeline depth and test runs one `redis-benchmark -c 50 -d
// 100 -r 1000000 -P n -t test --csv` against each server in turn,
// alternating which goes first from round to round. Placements:
//
//   - colocated: nothing pinned, the way a user first tries it; the
//     servers and redis-benchmark share the machine's cores.
//   - pinned: each server on CPU 0 and redis-benchmark on CPU 1
//     (taskset), so each side has one core; cachesrv's GOMAXPROCS follows
//     its CPU mask, so it runs with 1.
//
// For every run it reads throughput and p50/p99 from redis-benchmark's
// CSV, the server's CPU time from /proc/PID/stat (10 ms resolution) and
// redis-benchmark's own CPU time from its rusage, and prints per test the
// medians over rounds, cachesrv/redis ratios of throughput and of
// requests per server CPU-second. Traffic only ever goes to loopback.
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/sysstat"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// defaultTests is redis-benchmark 7's default test list, in its order.
const defaultTests = "ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_500,lrange_600,mset"

type config struct {
	tests      []string
	pipelines  []int
	placements []string
	rounds     int
	requests1  int // -n at pipeline 1
	requestsP  int // -n with a pipeline
	clients    int
	bin        string
	redis      string
	benchmark  string
	extra      string
	env        string
	also       []extraServer
	out        string
}

func run(args []string, stdout, stderr io.Writer) int {
	var cfg config
	fs := report.NewFlagSet("rbcompare", stderr, &cfg.out)
	tests := fs.String("tests", defaultTests, "redis-benchmark tests (-t), comma-separated")
	pipelines := fs.String("pipeline", "1,16", "pipeline depths (-P), comma-separated")
	placements := fs.String("placement", "colocated,pinned", "colocated, pinned, or both")
	fs.IntVar(&cfg.rounds, "rounds", 2, "rounds of every run, alternating which server goes first")
	fs.IntVar(&cfg.requests1, "n1", 100_000, "requests per run at pipeline 1 (a tenth for the LRANGE tests and MSET)")
	fs.IntVar(&cfg.requestsP, "n", 1_000_000, "requests per run with a pipeline (a tenth for the LRANGE tests and MSET)")
	fs.IntVar(&cfg.clients, "c", 50, "redis-benchmark clients")
	fs.StringVar(&cfg.bin, "bin", "", "a cachesrv binary to run instead of building ./cmd/cachesrv")
	fs.StringVar(&cfg.redis, "redis", "redis-server", "redis-server binary")
	fs.StringVar(&cfg.benchmark, "redis-benchmark", "redis-benchmark", "redis-benchmark binary")
	fs.StringVar(&cfg.extra, "cachesrv-args", "", "extra cachesrv arguments, space-separated")
	fs.StringVar(&cfg.env, "cachesrv-env", "", "extra cachesrv environment, space-separated (GOMAXPROCS=1)")
	fs.Func("also", "another server to run alongside, as 'name=command line' with {port} where its port goes (repeatable)", func(v string) error {
		name, line, ok := strings.Cut(v, "=")
		if !ok || name == "" || !strings.Contains(line, "{port}") {
			return errors.New("want name=command line with {port}")
		}
		cfg.also = append(cfg.also, extraServer{name: name, argv: strings.Fields(line)})
		return nil
	})
	baseline := fs.String("baseline", "", "another cachesrv binary, run as cachesrv-baseline with the same arguments (a before/after comparison)")
	if err := fs.Parse(args); err != nil {
		return report.FlagsExitCode(err)
	}
	if *baseline != "" {
		argv := append([]string{*baseline}, cachesrvArgs...)
		cfg.also = append([]extraServer{{name: "cachesrv-baseline", argv: append(argv, strings.Fields(cfg.extra)...), cachesrv: true}}, cfg.also...)
	}
	cfg.tests = strings.Split(*tests, ",")
	cfg.placements = strings.Split(*placements, ",")
	for _, p := range strings.Split(*pipelines, ",") {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			fmt.Fprintf(stderr, "rbcompare: bad -pipeline %q\n", p)
			return 2
		}
		cfg.pipelines = append(cfg.pipelines, n)
	}
	for _, p := range cfg.placements {
		if p != "colocated" && p != "pinned" {
			fmt.Fprintf(stderr, "rbcompare: bad -placement %q\n", p)
			return 2
		}
	}
	if err := compare(&cfg, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "rbcompare:", err)
		return 1
	}
	return 0
}

// sample is one redis-benchmark run of one test against one server.
type sample struct {
	rps          float64
	p50, p99     float64 // ms
	serverCPU    time.Duration
	generatorCPU time.Duration
	requests     int
}

// cell gathers the rounds of one test against one server in one setting.
type cell struct{ samples []sample }

func (c *cell) median(f func(sample) float64) float64 {
	xs := make([]float64, len(c.samples))
	for i, s := range c.samples {
		xs[i] = f(s)
	}
	return report.Median(xs)
}

// perCPUSecond is requests per second of server CPU time.
func perCPUSecond(s sample) float64 {
	if s.serverCPU <= 0 {
		return math.NaN()
	}
	return float64(s.requests) / s.serverCPU.Seconds()
}

// cpuPerRequest is server CPU microseconds per request.
func cpuPerRequest(s sample) float64 {
	return s.serverCPU.Seconds() * 1e6 / float64(s.requests)
}

type server struct {
	name string
	port int
	p    *proc.Process
}

// extraServer is one more server to compare (-also, -baseline): its
// command line, with {port} for its port.
type extraServer struct {
	name     string
	argv     []string
	cachesrv bool // takes -cachesrv-env
}

// cachesrvArgs follow the binary on cachesrv's command line.
var cachesrvArgs = []string{"--bind", "127.0.0.1", "--port", "{port}", "--metrics-addr", "", "--log-level", "warn"}

// serverNames lists the servers in the order the tables show them:
// cachesrv, the extra ones, redis-server (the reference).
func serverNames(cfg *config) []string {
	names := []string{"cachesrv"}
	for _, e := range cfg.also {
		names = append(names, e.name)
	}
	return append(names, "redis-server")
}

func compare(cfg *config, stdout, stderr io.Writer) error {
	for _, b := range []string{cfg.redis, cfg.benchmark} {
		if _, err := exec.LookPath(b); err != nil {
			return fmt.Errorf("%s is needed (apt-get install redis-server redis-tools): %v", b, err)
		}
	}
	dir, err := os.MkdirTemp("", "rbcompare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := cfg.bin
	if bin == "" {
		fmt.Fprintln(stderr, "building ./cmd/cachesrv")
		if bin, err = proc.BuildCachesrv(dir); err != nil {
			return err
		}
	}
	cells := map[string]*cell{} // placement/pipeline/test/server
	key := func(pl string, p int, test, srv string) string {
		return fmt.Sprintf("%s/%d/%s/%s", pl, p, test, srv)
	}
	total := len(cfg.placements) * len(cfg.pipelines) * len(cfg.tests) * cfg.rounds * len(serverNames(cfg))
	prog := report.NewProgress(stderr, total)
	for _, pl := range cfg.placements {
		if err := runPlacement(cfg, dir, bin, pl, prog, stderr, func(p int, test string, s *server, smp sample) {
			k := key(pl, p, test, s.name)
			if cells[k] == nil {
				cells[k] = &cell{}
			}
			cells[k].samples = append(cells[k].samples, smp)
		}); err != nil {
			return err
		}
	}
	return printResults(cfg, cells, key, stdout)
}

// runPlacement starts the servers for one placement, runs every pipeline
// depth, test and round against each, hands each sample to add, and
// stops the servers (also on an error or an interrupt).
func runPlacement(cfg *config, dir, bin, pl string, prog *report.Progress, stderr io.Writer, add func(p int, test string, s *server, smp sample)) error {
	servers, err := startServers(cfg, dir, bin, pl)
	if err != nil {
		return err
	}
	stopAll := func() {
		for _, s := range servers {
			s.p.Stop(10 * time.Second)
		}
	}
	defer stopAll()
	defer proc.StopOnInterrupt(stderr, "interrupted: stopping the servers", dir, stopAll)()
	for _, p := range cfg.pipelines {
		for _, test := range cfg.tests {
			for r := 0; r < cfg.rounds; r++ {
				for i := range servers {
					s := servers[(i+r)%len(servers)] // alternate who goes first
					prog.Step("%s P=%d %s round %d: %s", pl, p, test, r+1, s.name)
					smp, err := runBenchmark(cfg, s, pl, p, test)
					if err != nil {
						return err
					}
					add(p, test, s, smp)
				}
			}
		}
	}
	return nil
}

// startServers starts cachesrv and redis-server, pinned to CPU 0 for the
// pinned placement.
func startServers(cfg *config, dir, bin, placement string) ([]*server, error) {
	all := append([]extraServer{{name: "cachesrv", argv: append(append([]string{bin}, cachesrvArgs...), strings.Fields(cfg.extra)...), cachesrv: true}}, cfg.also...)
	all = append(all, extraServer{name: "redis-server", argv: []string{cfg.redis, "--bind", "127.0.0.1", "--port", "{port}", "--save", "", "--appendonly", "no"}})
	var out []*server
	for _, e := range all {
		name := e.name
		port, err := servertest.FindFreePort()
		if err != nil {
			return nil, err
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		var argv, env []string
		for _, a := range e.argv {
			argv = append(argv, strings.ReplaceAll(a, "{port}", fmt.Sprint(port)))
		}
		if e.cachesrv {
			env = strings.Fields(cfg.env)
		}
		if placement == "pinned" {
			argv = append([]string{"taskset", "-c", "0"}, argv...)
		}
		p, err := proc.StartEnv(name, addr, argv[0], argv[1:], env, filepath.Join(dir, name+"-"+placement+".log"))
		if err != nil {
			return nil, err
		}
		out = append(out, &server{name: name, port: port, p: p})
		if err := p.WaitReady(15*time.Second, func() error {
			return command(port, "PING")
		}); err != nil {
			for _, s := range out {
				s.p.Stop(10 * time.Second)
			}
			return nil, err
		}
	}
	return out, nil
}

// runBenchmark runs one redis-benchmark test against s.
func runBenchmark(cfg *config, s *server, placement string, pipeline int, test string) (sample, error) {
	n := cfg.requests1
	if pipeline > 1 {
		n = cfg.requestsP
	}
	if strings.HasPrefix(test, "lrange") || test == "mset" {
		n /= 10 // each request carries 100 to 600 elements, or 10 keys: about as long a run
	}
	argv := []string{cfg.benchmark, "-h", "127.0.0.1", "-p", fmt.Sprint(s.port), "-c", fmt.Sprint(cfg.clients),
		"-d", "100", "-r", "1000000", "-n", fmt.Sprint(n), "-P", fmt.Sprint(pipeline), "-t", test, "--csv"}
	if placement == "pinned" {
		argv = append([]string{"taskset", "-c", "1"}, argv...)
	}
	// Each test starts from an empty keyspace, so both servers see the
	// same data whichever ran first.
	if err := command(s.port, "FLUSHALL"); err != nil {
		return sample{}, fmt.Errorf("%s: FLUSHALL: %v", s.name, err)
	}
	cpu0, err := sysstat.PidCPU(s.p.Pid())
	if err != nil {
		return sample{}, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	var outb, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &errb
	if err := cmd.Run(); err != nil {
		return sample{}, fmt.Errorf("%s: %v\n%s", strings.Join(argv, " "), err, errb.String())
	}
	cpu1, err := sysstat.PidCPU(s.p.Pid())
	if err != nil {
		return sample{}, err
	}
	smp, err := parseCSV(outb.Bytes(), test)
	if err != nil {
		return sample{}, fmt.Errorf("%s against %s: %v", test, s.name, err)
	}
	smp.serverCPU = cpu1 - cpu0
	smp.generatorCPU = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	smp.requests = n
	return smp, nil
}

// command sends one command to the server on 127.0.0.1:port and fails
// if it cannot, or if the server answers with an error.
func command(port int, args ...string) error {
	c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := fmt.Sprintf("*%d\r\n", len(args))
	for _, a := range args {
		req += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(c, req); err != nil {
		return err
	}
	_, e, err := resp.Read(bufio.NewReader(c))
	if err == nil && e != nil {
		err = fmt.Errorf("%s: %s", args[0], e)
	}
	return err
}

// parseCSV reads the row of test from redis-benchmark --csv: "test",
// "rps", "avg_latency_ms", "min_latency_ms", "p50_latency_ms",
// "p95_latency_ms", "p99_latency_ms", "max_latency_ms". LRANGE tests
// print a row for the LPUSH that fills the list first; it is skipped.
func parseCSV(out []byte, test string) (sample, error) {
	rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		return sample{}, err
	}
	want := strings.ToUpper(test)
	for _, row := range rows {
		if len(row) < 7 {
			continue
		}
		name := strings.ReplaceAll(strings.ToUpper(row[0]), " ", "_")
		if !strings.HasPrefix(name, want) || strings.Contains(name, "NEEDED") {
			continue
		}
		var v [3]float64
		for i, col := range []int{1, 4, 6} {
			if v[i], err = strconv.ParseFloat(row[col], 64); err != nil {
				return sample{}, fmt.Errorf("row %q: %v", row, err)
			}
		}
		return sample{rps: v[0], p50: v[1], p99: v[2]}, nil
	}
	return sample{}, errors.New("no result row in redis-benchmark's output:\n" + string(out))
}

func printResults(cfg *config, cells map[string]*cell, key func(string, int, string, string) string, stdout io.Writer) error {
	names := serverNames(cfg)
	res := &report.Result{
		Name: "rbcompare",
		CSV: report.NewTable("", "placement", "pipeline", "test", "server", "round", "rps", "p50_ms", "p99_ms",
			"server_cpu_s", "generator_cpu_s", "requests"),
		Figure: &report.Figure{Title: "redis-benchmark, throughput against redis-server", Cols: 2,
			Subtitle: fmt.Sprintf("%s; -c %d -d 100 -r 1000000; medians of %d rounds", report.Machine(), cfg.clients, cfg.rounds)},
	}
	rps := func(s sample) float64 { return s.rps }
	p50 := func(s sample) float64 { return s.p50 }
	p99 := func(s sample) float64 { return s.p99 }
	gen := func(s sample) float64 { return s.generatorCPU.Seconds() }
	for _, pl := range cfg.placements {
		for _, p := range cfg.pipelines {
			t := report.NewTable(fmt.Sprintf("%s, P=%d (medians of %d rounds; ratios to redis-server)", pl, p, cfg.rounds),
				"test", "server", "rps", "ratio", "µs CPU/req", "req per CPU-s ratio", "p50 ms", "p99 ms", "redis-benchmark CPU s")
			panel := report.Panel{Title: fmt.Sprintf("%s, P=%d", pl, p), YLabel: "throughput / redis-server's", Categories: cfg.tests}
			series := make([]report.Series, len(names)-1)
			for i := range series {
				series[i].Name = names[i]
			}
			for _, test := range cfg.tests {
				ref := cells[key(pl, p, test, "redis-server")]
				if ref == nil {
					continue
				}
				refRPS, refEff := ref.median(rps), ref.median(perCPUSecond)
				for i, name := range names {
					c := cells[key(pl, p, test, name)]
					if c == nil {
						continue
					}
					for r, s := range c.samples {
						res.CSV.Add(pl, p, test, name, r+1, fmt.Sprintf("%.0f", s.rps), s.p50, s.p99,
							fmt.Sprintf("%.2f", s.serverCPU.Seconds()), fmt.Sprintf("%.2f", s.generatorCPU.Seconds()), s.requests)
					}
					r, e := c.median(rps), c.median(perCPUSecond)
					label := test
					if i > 0 {
						label = ""
					}
					t.Add(label, name, report.SI(r), fmt.Sprintf("%.2fx", r/refRPS), fmt.Sprintf("%.2f", c.median(cpuPerRequest)),
						fmt.Sprintf("%.2fx", e/refEff), fmt.Sprintf("%.3f", c.median(p50)), fmt.Sprintf("%.3f", c.median(p99)),
						fmt.Sprintf("%.1f", c.median(gen)))
					if i < len(series) {
						series[i].Y = append(series[i].Y, r/refRPS)
					}
				}
			}
			panel.Series = series
			res.Figure.Panels = append(res.Figure.Panels, panel)
			res.Tables = append(res.Tables, t)
		}
	}
	res.Notes = []string{"Each run: `redis-benchmark -c " + strconv.Itoa(cfg.clients) + " -d 100 -r 1000000 -P <P> -t <test> --csv` after FLUSHALL. " +
		"µs CPU/req is the server's utime+stime over the run (10 ms resolution) divided by the requests; " +
		"\"req per CPU-s ratio\" is the server's requests per CPU-second over redis-server's. " +
		"pinned: servers on CPU 0, redis-benchmark on CPU 1; colocated: nothing pinned."}
	return res.PrintAndSave(stdout, cfg.out)
}
