// Command membench measures what cachesrv's memory costs and what its
// garbage collector does to latency, each side by side with redis-server
// run on the same machine in the same invocation:
//
//   - bytes: RSS per key after loading exactly -keys distinct keys
//     (key:0 ... key:N-1) of -value-size bytes into a fresh process;
//
//   - latency: GET latency percentiles (p50 ... p99.9, max) under a fixed
//     offered rate while the store holds each of -sizes keys, with the GC
//     cycles and the longest GC pause of cachesrv (GODEBUG=gctrace=1)
//     during the load and during the GETs;
//
//   - churn: RSS against --maxmemory under a sustained write load with
//     random keys, value sizes and TTLs (does TTL churn leak?).
//
//     go run ./bench/membench -mode bytes
//     go run ./bench/membench -mode latency -sizes 10000,10000000
//     go run ./bench/membench -mode churn -maxmemory 256mb -cachesrv-bin /path/to/cachesrv
//     go run ./bench/membench -quick                 # every mode, tiny sizes: seconds
//
// Every measurement starts a fresh server process on a free 127.0.0.1
// port (cachesrv built from ./cmd/cachesrv or -cachesrv-bin; redis-server
// from PATH or -redis-bin, with --save ” --appendonly no) and stops it
// afterwards, also on error and on Ctrl-C. RSS is VmRSS from
// /proc/PID/status. Each mode prints its tables and writes
// bench/results/membench-<mode>-<cores>c-<date>.csv, .md and .svg.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/workload"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// The targets.
const (
	bytesTarget   = 0.8  // cachesrv's RSS per key at most 0.8x redis-server's
	latencyTarget = 2.0  // p99.9 with the largest store at most 2x p99.9 with the smallest
	churnTarget   = 1.10 // RSS at most base + 1.10 x maxmemory
)

var allModes = []string{"bytes", "latency", "churn"}

type config struct {
	modes        []string
	servers      []string
	cachesrvBin  string
	redisBin     string
	cachesrvArgs string
	redisArgs    string
	gctrace      bool

	// bytes and latency: the keys loaded
	keys         int
	valueSize    int
	settle       time.Duration
	loadConns    int
	loadPipeline int

	// latency: the steady GET load
	sizes    []int
	rate     int
	conns    int
	duration time.Duration
	warmup   time.Duration

	// churn
	maxmemory      string
	maxmemoryBytes int64
	policy         string
	churnDuration  time.Duration
	churnKeys      int
	churnValueMin  int
	churnValueMax  int
	ttlMin, ttlMax time.Duration
	churnRate      int

	out string
}

func run(args []string, stdout, stderr io.Writer) int {
	var cfg config
	fs := report.NewFlagSet("membench", stderr, &cfg.out)
	mode := fs.String("mode", "all", "what to measure: bytes, latency, churn, or all (a comma-separated list runs each)")
	servers := fs.String("servers", "cachesrv,redis", "servers to compare, in this order: cachesrv, redis")
	sizes := fs.String("sizes", "10000,10000000", "latency: keys in the store for each run, comma-separated; the first and last are compared")
	quick := fs.Bool("quick", false, "tiny sizes and short runs for every flag not given (20k keys, sizes 1000,20000, 2 s of GETs at 2000/s, 3 s of churn at 16mb): seconds, for tests")
	fs.StringVar(&cfg.cachesrvBin, "cachesrv-bin", "", "cachesrv binary to run (default: build ./cmd/cachesrv of this module)")
	fs.StringVar(&cfg.redisBin, "redis-bin", "", "redis-server binary to run (default: redis-server from PATH)")
	fs.StringVar(&cfg.cachesrvArgs, "cachesrv-args", "", "extra cachesrv flags, space-separated (e.g. \"--shards 64\")")
	fs.StringVar(&cfg.redisArgs, "redis-args", "", "extra redis-server flags, space-separated (e.g. \"--io-threads 2\")")
	fs.BoolVar(&cfg.gctrace, "gctrace", true, "run cachesrv with GODEBUG=gctrace=1 and report its GC cycles and pauses")
	fs.IntVar(&cfg.keys, "keys", 1_000_000, "bytes: distinct keys to load (key:0 ... key:N-1)")
	fs.IntVar(&cfg.valueSize, "value-size", 100, "bytes and latency: value size in bytes")
	fs.DurationVar(&cfg.settle, "settle", 2*time.Second, "bytes and latency: wait after loading before the second RSS reading (bytes) or the GETs (latency)")
	fs.IntVar(&cfg.loadConns, "load-conns", 8, "connections loading keys (bytes, latency) or writing (churn)")
	fs.IntVar(&cfg.loadPipeline, "load-pipeline", 256, "SETs per pipeline when loading keys or writing (churn)")
	fs.IntVar(&cfg.rate, "rate", 20_000, "latency: GETs per second offered in total, on a fixed schedule whatever the server does (open loop)")
	fs.IntVar(&cfg.conns, "conns", 50, "latency: connections sending the scheduled GETs, one outstanding GET each")
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "latency: measured time of the GET load")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "latency: unmeasured GET load before it")
	fs.StringVar(&cfg.maxmemory, "maxmemory", "256mb", "churn: --maxmemory for both servers (bytes, or Redis units: 256mb, 1gb)")
	fs.StringVar(&cfg.policy, "maxmemory-policy", "", "churn: --maxmemory-policy for both servers (default: none for cachesrv, i.e. its default; allkeys-lru for redis-server)")
	fs.DurationVar(&cfg.churnDuration, "churn-duration", 60*time.Second, "churn: length of the write load")
	fs.IntVar(&cfg.churnKeys, "churn-keys", 2_000_000, "churn: key universe the writes draw from (uniformly)")
	fs.IntVar(&cfg.churnValueMin, "churn-value-min", 64, "churn: smallest value, bytes (sizes uniform in [min, max])")
	fs.IntVar(&cfg.churnValueMax, "churn-value-max", 1024, "churn: largest value, bytes")
	fs.DurationVar(&cfg.ttlMin, "ttl-min", time.Second, "churn: shortest TTL (SET ... PX, uniform in [min, max])")
	fs.DurationVar(&cfg.ttlMax, "ttl-max", 60*time.Second, "churn: longest TTL")
	fs.IntVar(&cfg.churnRate, "churn-rate", 0, "churn: SETs per second in total (0 = as fast as the server takes them)")
	if err := fs.Parse(args); err != nil {
		return report.FlagsExitCode(err)
	}
	if *quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range map[string]string{
			"keys": "20000", "sizes": "1000,20000", "settle": "500ms", "rate": "2000", "conns": "4",
			"duration": "2s", "warmup": "300ms", "maxmemory": "16mb", "churn-duration": "3s", "churn-keys": "200000",
		} {
			if !set[name] {
				fs.Set(name, v)
			}
		}
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "membench:", err)
		return code
	}
	if err := cfg.check(*mode, *servers, *sizes); err != nil {
		return fail(2, err)
	}

	dir, err := os.MkdirTemp("", "membench-")
	if err != nil {
		return fail(1, err)
	}
	defer os.RemoveAll(dir)
	l := &launcher{cfg: &cfg, dir: dir}
	defer l.stopAll()
	defer proc.StopOnInterrupt(stderr, "membench: interrupted, stopping the servers", dir, l.stopAll)()
	names, notes, err := l.resolve(func(format string, a ...any) { fmt.Fprintf(stderr, "membench: "+format+"\n", a...) })
	if err != nil {
		return fail(1, err)
	}
	if len(names) == 0 {
		return fail(1, errors.New("no server to run"))
	}
	for _, n := range notes {
		fmt.Fprintln(stderr, "membench:", n)
	}
	for _, n := range names {
		notes = append(notes, fmt.Sprintf("%s: %s (%s).", n, l.versions[n], l.bins[n]))
	}

	steps := 0
	for _, m := range cfg.modes {
		switch m {
		case "bytes", "churn":
			steps += len(names)
		case "latency":
			steps += len(names) * len(cfg.sizes)
		}
	}
	fmt.Fprintf(stderr, "membench: %s against %s; %d runs, GOMAXPROCS %d\n", strings.Join(cfg.modes, ", "),
		strings.Join(names, ", "), steps, runtime.GOMAXPROCS(0))
	b := &bench{cfg: &cfg, l: l, servers: names, notes: notes, prog: report.NewProgress(stderr, steps), stderr: stderr}
	failed := false
	for _, m := range cfg.modes {
		var res *report.Result
		switch m {
		case "bytes":
			res = b.bytes()
		case "latency":
			res = b.latency()
		case "churn":
			res = b.churn()
		}
		problems := b.takeProblems()
		var lines []string
		for _, p := range problems {
			lines = append(lines, "PROBLEM: "+p)
		}
		if res == nil { // no server ran: nothing to save
			fmt.Fprintf(stdout, "%s: no results\n%s\n\n", m, strings.Join(lines, "\n"))
			failed = true
			continue
		}
		for _, p := range problems {
			res.Notes = append(res.Notes, "**Problem:** "+p)
		}
		if err := res.PrintAndSave(stdout, cfg.out, lines...); err != nil {
			return fail(1, err)
		}
		failed = failed || len(problems) > 0
	}
	if failed {
		fmt.Fprintln(stderr, "membench: finished with problems (see PROBLEM lines above)")
		return 1
	}
	return 0
}

// check validates the flags and fills in the parsed lists.
func (cfg *config) check(mode, servers, sizes string) error {
	for _, m := range workload.ParseList(mode) {
		switch {
		case m == "all":
			cfg.modes = append(cfg.modes, allModes...)
		case slices.Contains(allModes, m):
			cfg.modes = append(cfg.modes, m)
		default:
			return fmt.Errorf("-mode: unknown mode %q (want bytes, latency, churn or all)", m)
		}
	}
	cfg.modes = slices.Compact(cfg.modes)
	for _, s := range workload.ParseList(servers) {
		switch s {
		case "cachesrv":
			s = cachesrvName
		case "redis", "redis-server":
			s = redisName
		default:
			return fmt.Errorf("-servers: unknown server %q (want cachesrv, redis)", s)
		}
		if !slices.Contains(cfg.servers, s) {
			cfg.servers = append(cfg.servers, s)
		}
	}
	var err error
	if cfg.sizes, err = workload.ParseInts(sizes); err != nil {
		return fmt.Errorf("-sizes: %w", err)
	}
	if cfg.maxmemoryBytes, err = parseMemory(cfg.maxmemory); err != nil || cfg.maxmemoryBytes <= 0 {
		return fmt.Errorf("-maxmemory %q: want a positive size such as 268435456 or 256mb", cfg.maxmemory)
	}
	switch {
	case len(cfg.modes) == 0 || len(cfg.servers) == 0:
		return errors.New("need -mode and -servers")
	case cfg.keys < 1 || cfg.valueSize < 1 || cfg.loadConns < 1 || cfg.loadPipeline < 1:
		return errors.New("-keys, -value-size, -load-conns and -load-pipeline must be positive")
	case cfg.rate < 1 || cfg.conns < 1 || cfg.duration <= 0 || cfg.warmup < 0 || cfg.settle < 0:
		return errors.New("-rate, -conns and -duration must be positive, -warmup and -settle not negative")
	case cfg.churnDuration <= 0 || cfg.churnKeys < 1 || cfg.churnRate < 0:
		return errors.New("-churn-duration and -churn-keys must be positive, -churn-rate not negative")
	case cfg.churnValueMin < 1 || cfg.churnValueMax < cfg.churnValueMin:
		return errors.New("need 1 <= -churn-value-min <= -churn-value-max")
	case cfg.ttlMin < time.Millisecond || cfg.ttlMax < cfg.ttlMin:
		return errors.New("need 1ms <= -ttl-min <= -ttl-max")
	}
	return nil
}

// bench is one membench invocation: its servers, progress and problems.
type bench struct {
	cfg      *config
	l        *launcher
	servers  []string
	notes    []string // server versions, for every result
	prog     *report.Progress
	stderr   io.Writer
	problems []string
}

// problem records something that makes a run's figures incomplete or
// wrong (a server that did not start, a wrong key count): printed now,
// after the tables, in the Markdown notes, and the exit status is 1.
func (b *bench) problem(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	b.prog.Note("PROBLEM: %s", msg)
	b.problems = append(b.problems, msg)
}

func (b *bench) takeProblems() []string {
	p := b.problems
	b.problems = nil
	return p
}
