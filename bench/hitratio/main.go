// Command hitratio replays the same request streams against cachesrv and
// redis-server with the same maxmemory, as a cache-aside client (GET; on a
// miss, SET), and reports each eviction policy's hit ratio, how many keys
// each server held in those bytes, its memory and its evictions.
//
//	go run ./bench/hitratio                       # 4 traces x (2 redis + 4 cachesrv policies)
//	go run ./bench/hitratio -quick -servers redis # seconds
//	go run ./bench/hitratio -cachesrv-bin ./cachesrv -policies allkeys-s3fifo,allkeys-lru
//
// Traces (seeded, so every server sees exactly the same requests):
//
//   - zipf-0.99, zipf-0.7: Zipf keys over -keys keys (Gray et al.'s
//     method for exponents below 1, as YCSB).
//   - scan: Zipf(-theta) traffic with periodic one-pass sequential scans
//     of fresh keys, never requested again (-scan-share of requests).
//   - shift: Zipf(-theta) whose ranking moves by -shift-by keys every
//     -shift-every requests, so the popular set changes.
//
// Every server/policy runs in a fresh process (redis-server without
// persistence: --save "" --appendonly no) started with --maxmemory, --maxmemory-policy and
// --maxmemory-samples; a server that refuses a flag or a policy is
// reported as rejected, and the rest go on. It prints tables and writes
// bench/results/hitratio-<cores>c-<date>.csv, .md and .svg.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/workload"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// Memory estimate behind -maxmemory auto: Redis 7 (jemalloc) holds a
// key of 16 bytes with a value of V bytes in about V+104 bytes (measured:
// 100k keys of 100 B add 20.3 MB to used_memory), on top of about 1 MiB
// for an empty server.
const (
	redisPerKeyOverhead = 104
	redisBaseline       = 1 << 20
)

type config struct {
	traces        []string
	tp            traceParams
	valueSize     int
	batch         int
	maxmemory     int64
	maxmemoryAuto bool
	fit           float64
	samples       int
	rounds        int
	servers       []string
	policies      []string // cachesrv's
	redisPolicies []string
	cachesrvBin   string
	redisBin      string
	cachesrvArgs  string
	redisArgs     string
	out           string
}

func run(args []string, stdout, stderr io.Writer) int {
	var cfg config
	fs := report.NewFlagSet("hitratio", stderr, &cfg.out)
	traces := fs.String("traces", "zipf-0.99,zipf-0.7,scan,shift", "traces to replay: zipf-<exponent>, scan, shift")
	servers := fs.String("servers", "redis,cachesrv", "servers to run: redis, cachesrv")
	policies := fs.String("policies", "allkeys-s3fifo,allkeys-lru,allkeys-lfu,allkeys-random",
		"cachesrv eviction policies; the first is the one checked against the target")
	redisPolicies := fs.String("redis-policies", "allkeys-lru,allkeys-lfu", "redis-server eviction policies (allkeys-lru is the reference)")
	maxmemory := fs.String("maxmemory", "auto", "maxmemory for every server: bytes, Redis units (32mb, 1gb), "+
		"auto (-fit of the keys at Redis's size per key), or 0 (no maxmemory flags: nothing is evicted)")
	quick := fs.Bool("quick", false, "20k keys, 100k requests per trace: seconds, for tests")
	fs.IntVar(&cfg.tp.universe, "keys", 1_000_000, "keys in the Zipf key space")
	fs.IntVar(&cfg.tp.requests, "requests", 2_500_000, "requests (GETs) per trace")
	fs.Float64Var(&cfg.tp.theta, "theta", workload.DefaultTheta, "Zipf exponent of the scan and shift traces")
	fs.Float64Var(&cfg.tp.scanShare, "scan-share", 0.4, "scan trace: share of requests that are scan keys (at most 0.5)")
	fs.IntVar(&cfg.tp.scanLen, "scan-len", 0, "scan trace: keys per scan (default -keys/5)")
	fs.IntVar(&cfg.tp.shiftEvery, "shift-every", 0, "shift trace: requests between moves of the popular set (default -requests/10)")
	fs.IntVar(&cfg.tp.shiftBy, "shift-by", 0, "shift trace: keys the ranking moves by each time (default -keys/10)")
	fs.Uint64Var(&cfg.tp.seed, "seed", 1, "seed of the traces")
	fs.IntVar(&cfg.valueSize, "value-size", 100, "value size in bytes")
	fs.IntVar(&cfg.batch, "batch", 64, "GETs per pipeline")
	fs.IntVar(&cfg.rounds, "rounds", 1, "runs of every trace with every server/policy, alternating; tables show the mean and the range")
	fs.Float64Var(&cfg.fit, "fit", 0.15, "with -maxmemory auto: the share of -keys that should fit in Redis")
	fs.IntVar(&cfg.samples, "samples", 5, "--maxmemory-samples for every server (0: leave the flag out, each server's default)")
	fs.StringVar(&cfg.cachesrvBin, "cachesrv-bin", "", "cachesrv binary to run (default: build ./cmd/cachesrv)")
	fs.StringVar(&cfg.redisBin, "redis", "", "redis-server binary (default: from PATH)")
	fs.StringVar(&cfg.cachesrvArgs, "cachesrv-args", "", `extra cachesrv flags, space-separated (e.g. "--shards 64")`)
	fs.StringVar(&cfg.redisArgs, "redis-args", "", "extra redis-server flags, space-separated")
	if err := fs.Parse(args); err != nil {
		return report.FlagsExitCode(err)
	}
	fail := func(code int, err error) int {
		fmt.Fprintln(stderr, "hitratio:", err)
		return code
	}
	if *quick {
		if !flagSet(fs, "keys") {
			cfg.tp.universe = 20_000
		}
		if !flagSet(fs, "requests") {
			cfg.tp.requests = 100_000
		}
	}
	if err := cfg.finish(*traces, *servers, *policies, *redisPolicies, *maxmemory); err != nil {
		return fail(2, err)
	}

	dir, err := os.MkdirTemp("", "hitratio-")
	if err != nil {
		return fail(1, err)
	}
	defer os.RemoveAll(dir)
	kinds, notes, err := serverKinds(&cfg, dir, stderr)
	if err != nil {
		return fail(1, err)
	}
	var setups []setup
	for _, k := range kinds {
		ps := cfg.policies
		if k.name == redisServer {
			ps = cfg.redisPolicies
		}
		if cfg.maxmemory == 0 {
			ps = []string{noPolicy}
		}
		for _, p := range ps {
			setups = append(setups, setup{kind: k, policy: p})
		}
	}
	if len(setups) == 0 {
		return fail(1, errors.New("no server to run"))
	}

	var cur current
	defer cur.stop()
	defer proc.StopOnInterrupt(stderr, "hitratio: interrupted, stopping the server", dir, cur.stop)()

	mm := "0 (no maxmemory flags: nothing is evicted)"
	if cfg.maxmemory > 0 {
		mm = mib(cfg.maxmemory)
		if cfg.maxmemoryAuto {
			mm += fmt.Sprintf(" (auto: %.0f%% of %s keys at ~%d B each in Redis, plus 1 MiB)", 100*cfg.fit,
				report.SI(float64(cfg.tp.universe)), cfg.valueSize+redisPerKeyOverhead)
		}
	}
	fmt.Fprintf(stderr, "hitratio: %d trace(s) x %d round(s) x %d server/policy run(s); %s keys, %s requests per trace, %d B values, batches of %d GETs; maxmemory %s\n",
		len(cfg.traces), cfg.rounds, len(setups), report.SI(float64(cfg.tp.universe)), report.SI(float64(cfg.tp.requests)), cfg.valueSize, cfg.batch, mm)
	prog := report.NewProgress(stderr, len(cfg.traces)*cfg.rounds*len(setups))
	value := workload.Value(cfg.valueSize)

	var (
		trs  []*trace
		runs []*runResult
	)
	for _, name := range cfg.traces {
		t0 := time.Now()
		t, err := makeTrace(name, cfg.tp)
		if err != nil {
			return fail(2, err)
		}
		trs = append(trs, t)
		prog.Note("trace %s: %s requests, %s distinct keys (an unbounded cache hits %s), generated in %v",
			t.name, report.SI(float64(len(t.keys))), report.SI(float64(t.distinct)), report.Pct(t.bestHitRatio()),
			time.Since(t0).Round(time.Millisecond))
		for round := 1; round <= cfg.rounds; round++ {
			for _, s := range setups {
				r := runOne(&cfg, t, s, value, dir, &cur, prog)
				r.round = round
				runs = append(runs, r)
				label := t.name + " " + s.String()
				if cfg.rounds > 1 {
					label += fmt.Sprintf(" round %d/%d", round, cfg.rounds)
				}
				prog.Step("%s: %s", label, r.summary())
			}
		}
	}
	res := result(&cfg, trs, setups, runs, notes)
	if err := res.PrintAndSave(stdout, cfg.out, verdict(&cfg, trs, setups, runs)...); err != nil {
		return fail(1, err)
	}
	return 0
}

// finish parses the list flags and fills in the defaults that depend on
// others.
func (cfg *config) finish(traces, servers, policies, redisPolicies, maxmemory string) error {
	cfg.traces = workload.ParseList(traces)
	cfg.servers = workload.ParseList(servers)
	cfg.policies = workload.ParseList(policies)
	cfg.redisPolicies = workload.ParseList(redisPolicies)
	for _, s := range cfg.servers {
		if s != redisServer && s != cachesrvServer {
			return fmt.Errorf("-servers: unknown server %q (want redis, cachesrv)", s)
		}
	}
	tp := &cfg.tp
	if tp.universe < 2 || tp.requests < 1 || cfg.valueSize < 1 || cfg.batch < 1 || cfg.rounds < 1 || cfg.samples < 0 {
		return errors.New("-keys must be at least 2, -requests, -value-size, -batch and -rounds positive, -samples not negative")
	}
	if len(cfg.traces) == 0 {
		return errors.New("-traces: nothing to replay")
	}
	for _, t := range cfg.traces {
		if _, err := checkTraceName(t); err != nil {
			return err
		}
	}
	if tp.scanShare <= 0 || tp.scanShare > 0.5 {
		return fmt.Errorf("-scan-share must be in (0, 0.5], got %v", tp.scanShare)
	}
	if tp.scanLen < 0 || tp.shiftEvery < 0 || tp.shiftBy < 0 {
		return errors.New("-scan-len, -shift-every and -shift-by must not be negative")
	}
	if tp.scanLen == 0 {
		tp.scanLen = max(tp.universe/5, 1)
	}
	if tp.shiftEvery == 0 {
		tp.shiftEvery = max(tp.requests/10, 1)
	}
	if tp.shiftBy == 0 {
		tp.shiftBy = max(tp.universe/10, 1)
	}
	if maxmemory == "auto" {
		if !(cfg.fit > 0 && cfg.fit <= 1) {
			return fmt.Errorf("-fit must be in (0, 1], got %v", cfg.fit)
		}
		b := float64(redisBaseline) + cfg.fit*float64(tp.universe)*float64(cfg.valueSize+redisPerKeyOverhead)
		cfg.maxmemory = (int64(b) + 65535) &^ 65535 // whole 64 KiB
		cfg.maxmemoryAuto = true
		return nil
	}
	n, err := parseSize(maxmemory)
	if err != nil {
		return fmt.Errorf("-maxmemory: %w", err)
	}
	cfg.maxmemory = n
	return nil
}

// parseSize reads a size as Redis does: plain bytes, or with a unit, k m
// g (powers of 1000) or kb mb gb (powers of 1024).
func parseSize(s string) (int64, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1e3}, {"m", 1e6}, {"g", 1e9}, {"b", 1}} {
		if strings.HasSuffix(l, u.suffix) {
			l, mult = strings.TrimSuffix(l, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(l, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("bad size %q: want bytes or a Redis unit, such as 32mb", s)
	}
	return n * mult, nil
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// serverKinds finds or builds the server binaries -servers asks for.
// redis-server missing from PATH is a warning (and a note), not an
// error, unless -redis names a binary.
func serverKinds(cfg *config, dir string, stderr io.Writer) ([]*serverKind, []string, error) {
	var (
		kinds []*serverKind
		notes []string
	)
	for _, name := range cfg.servers {
		switch name {
		case redisServer:
			bin := cfg.redisBin
			if bin == "" {
				var err error
				if bin, err = exec.LookPath("redis-server"); err != nil {
					fmt.Fprintln(stderr, "hitratio: redis-server is not in PATH: running without it (no reference to compare with)")
					notes = append(notes, "redis-server was not found: no reference runs.")
					continue
				}
			}
			k := redisKind(bin, cfg.redisArgs)
			kinds = append(kinds, k)
			notes = append(notes, fmt.Sprintf("redis: %s (%s).", k.version, bin))
		case cachesrvServer:
			bin := cfg.cachesrvBin
			if bin == "" {
				fmt.Fprintln(stderr, "hitratio: building ./cmd/cachesrv ...")
				var err error
				if bin, err = proc.BuildCachesrv(dir); err != nil {
					return nil, nil, err
				}
			}
			k := cachesrvKind(bin, cfg.cachesrvArgs)
			kinds = append(kinds, k)
			src := bin
			if cfg.cachesrvBin == "" {
				src = "built from ./cmd/cachesrv of this checkout"
			}
			notes = append(notes, fmt.Sprintf("cachesrv: %s (%s).", k.version, src))
		}
	}
	return kinds, notes, nil
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
