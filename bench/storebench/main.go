// Command storebench measures the sharded store's throughput against the
// number of goroutines, for several shard counts, read/write mixes and key
// distributions, next to two baselines: sync.Map and one map behind one
// sync.RWMutex. Besides ops/s it reports, from Store.Stats(), the share of
// the goroutines' time spent waiting for shard locks and the share of lock
// acquisitions that had to wait.
//
//	go run ./bench/storebench              # full matrix, a few minutes
//	go run ./bench/storebench -quick       # a tiny subset, seconds
//
// It prints tables and writes bench/results/storebench-<cores>c-<date>.csv,
// .md and .svg.
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/sysstat"
	"github.com/cachesrv/cachesrv/bench/internal/workload"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type config struct {
	duration   time.Duration
	keys       int
	valueSize  int
	shards     []int
	goroutines []int
	mixes      []string
	dists      []workload.Dist
	theta      float64
	baselines  bool
	out        string
}

// mix is a GET:SET ratio as given and the share of reads it means.
type mix struct {
	label string
	read  float64
}

// impl is one thing measured: the store at some shard count, or a baseline.
type impl struct {
	name   string
	shards int // 0 for baselines
	make   func() (kv, error)
}

// cell is one measurement.
type cell struct {
	impl       string
	shards     int
	dist       workload.Dist
	mix        mix
	goroutines int
	ops        uint64
	wall       time.Duration
	stats      lockStats
	hasStats   bool
	others     float64 // cores other processes kept busy meanwhile
	cpu        float64 // cores this process kept busy meanwhile
}

func (c cell) opsPerSec() float64 { return float64(c.ops) / c.wall.Seconds() }

// waitShare is the share of the goroutines' time spent waiting for locks.
func (c cell) waitShare() float64 {
	if !c.hasStats {
		return math.NaN()
	}
	return c.stats.wait.Seconds() / (float64(c.goroutines) * c.wall.Seconds())
}

func (c cell) contended() float64 {
	if !c.hasStats || c.stats.acquisitions == 0 {
		return math.NaN()
	}
	return float64(c.stats.contended) / float64(c.stats.acquisitions)
}

func run(args []string, stdout, stderr io.Writer) int {
	var cfg config
	fs := report.NewFlagSet("storebench", stderr, &cfg.out)
	var (
		shards     = fs.String("shards", "1,4,16,64,256", "shard counts to measure, comma-separated powers of two")
		goroutines = fs.String("goroutines", "1,2,4,8,16,32,64", "goroutine counts, comma-separated")
		mixes      = fs.String("mixes", "90:10,50:50,0:1", "GET:SET ratios, comma-separated")
		dists      = fs.String("dists", "uniform,zipf", "key distributions, comma-separated: uniform, zipf")
		quick      = fs.Bool("quick", false, "a tiny subset (2 shard counts, 2 goroutine counts, 2 mixes, 20ms cells, 5000 keys) for tests")
	)
	fs.DurationVar(&cfg.duration, "duration", 300*time.Millisecond, "how long each cell runs")
	fs.IntVar(&cfg.keys, "keys", 100_000, "keys preloaded and used")
	fs.IntVar(&cfg.valueSize, "value-size", 100, "value size in bytes")
	fs.Float64Var(&cfg.theta, "zipf", workload.DefaultTheta, "Zipf exponent for -dists zipf")
	fs.BoolVar(&cfg.baselines, "baselines", true, "also measure sync.Map and an RWMutex-guarded map")
	if err := fs.Parse(args); err != nil {
		return report.FlagsExitCode(err)
	}
	if *quick {
		*shards, *goroutines, *mixes = "1,16", "1,4", "90:10,0:1"
		if !flagSet(fs, "duration") {
			cfg.duration = 20 * time.Millisecond
		}
		if !flagSet(fs, "keys") {
			cfg.keys = 5000
		}
	}
	var err error
	if cfg.shards, err = workload.ParseInts(*shards); err == nil {
		cfg.goroutines, err = workload.ParseInts(*goroutines)
	}
	if err != nil {
		fmt.Fprintln(stderr, "storebench:", err)
		return 2
	}
	cfg.mixes = workload.ParseList(*mixes)
	for _, d := range workload.ParseList(*dists) {
		cfg.dists = append(cfg.dists, workload.Dist(d))
	}
	res, err := measure(cfg, stderr)
	if err == nil {
		err = res.PrintAndSave(stdout, cfg.out)
	}
	if err != nil {
		fmt.Fprintln(stderr, "storebench:", err)
		return 1
	}
	return 0
}

func flagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func measure(cfg config, stderr io.Writer) (*report.Result, error) {
	var mixes []mix
	for _, m := range cfg.mixes {
		r, err := workload.ParseRatio(m)
		if err != nil {
			return nil, err
		}
		mixes = append(mixes, mix{label: mixLabel(r), read: r})
	}
	keySpaces := map[workload.Dist]*workload.Keys{}
	for _, d := range cfg.dists {
		k, err := workload.NewKeys(cfg.keys, d, cfg.theta)
		if err != nil {
			return nil, err
		}
		keySpaces[d] = k
	}
	val := workload.Value(cfg.valueSize)
	var impls []impl
	for _, n := range cfg.shards {
		name := fmt.Sprintf("store %d shards", n)
		if n == 1 {
			name = "store 1 shard"
		}
		impls = append(impls, impl{name, n, func() (kv, error) { return newStoreKV(n, cfg.keys, val) }})
	}
	if cfg.baselines {
		impls = append(impls,
			impl{"RWMutex map", 0, func() (kv, error) { return newRWMapKV(cfg.keys, val), nil }},
			impl{"sync.Map", 0, func() (kv, error) { return newSyncMapKV(cfg.keys, val), nil }})
	}

	total := len(impls) * len(cfg.dists) * len(mixes) * len(cfg.goroutines)
	fmt.Fprintf(stderr, "storebench: %d cells of %v (%d implementations x %d distributions x %d mixes x %d goroutine counts), %d keys of %d bytes, GOMAXPROCS %d\n",
		total, cfg.duration, len(impls), len(cfg.dists), len(mixes), len(cfg.goroutines), cfg.keys, cfg.valueSize, runtime.GOMAXPROCS(0))
	prog := report.NewProgress(stderr, total)
	whole := sysstat.StartMeter()
	var cells []cell
	seed := uint64(1)
	for _, im := range impls {
		store, err := im.make()
		if err != nil {
			return nil, err
		}
		for _, d := range cfg.dists {
			for _, m := range mixes {
				for _, g := range cfg.goroutines {
					c := runCell(store, keySpaces[d], m.read, g, cfg.duration, val, seed)
					seed += uint64(g)
					c.impl, c.shards, c.dist, c.mix, c.goroutines = im.name, im.shards, d, m, g
					cells = append(cells, c)
					prog.Step("%-16s %-7s %-12s %2d goroutines: %7s ops/s  lock wait %6s  contended %6s",
						im.name, d, m.label, g, report.SI(c.opsPerSec()), report.Pct(c.waitShare()), report.Pct(c.contended()))
				}
			}
		}
	}
	return result(cfg, mixes, impls, cells, keySpaces, whole.Read()), nil
}

// noisy is the load from other processes, in cores, above which a cell is
// marked in the printed table: its number is more noise than the others.
const noisy = 0.25

func mixLabel(read float64) string {
	switch read {
	case 0:
		return "write-only"
	case 1:
		return "read-only"
	}
	return fmt.Sprintf("%.0f/%.0f", 100*read, 100*(1-read))
}

// runCell runs g goroutines against s for d and counts what they did.
func runCell(s kv, keys *workload.Keys, read float64, g int, d time.Duration, val []byte, seed uint64) cell {
	runtime.GC() // the previous cell's garbage is not this cell's cost
	var (
		stop    atomic.Bool
		start   = make(chan struct{})
		ready   sync.WaitGroup
		done    sync.WaitGroup
		counts  = make([]uint64, g)
		before  lockStats
		hasStat bool
	)
	for w := range g {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			smp := keys.Sampler(seed + uint64(w))
			r := smp.Rand()
			buf := make([]byte, 0, len(val))
			var n uint64
			ready.Done()
			<-start
			for !stop.Load() {
				for range 64 {
					if r.Float64() < read {
						buf = s.get(smp.Next(), buf)
					} else {
						s.set(smp.Next(), val)
					}
				}
				n += 64
			}
			counts[w] = n
		}()
	}
	ready.Wait()
	before, hasStat = s.lockStats()
	meter := sysstat.StartMeter()
	t0 := time.Now()
	close(start)
	time.Sleep(d)
	stop.Store(true)
	done.Wait()
	wall := time.Since(t0)
	after, _ := s.lockStats()
	use := meter.Read()
	c := cell{wall: wall, stats: after.sub(before), hasStats: hasStat, others: use.Others(), cpu: use.Self}
	for _, n := range counts {
		c.ops += n
	}
	return c
}

func result(cfg config, mixes []mix, impls []impl, cells []cell, keySpaces map[workload.Dist]*workload.Keys, whole sysstat.Usage) *report.Result {
	csv := report.NewTable("", "impl", "shards", "dist", "get_share", "mix", "goroutines", "ops", "seconds",
		"ops_per_sec", "lock_acquisitions", "lock_contended", "contended_share", "lock_wait_seconds", "lock_wait_share", "cpu_cores", "ops_per_cpu_second", "other_procs_cores")
	for _, c := range cells {
		row := []any{c.impl, c.shards, string(c.dist), c.mix.read, c.mix.label, c.goroutines, c.ops,
			fmt.Sprintf("%.4f", c.wall.Seconds()), fmt.Sprintf("%.0f", c.opsPerSec())}
		if c.hasStats {
			row = append(row, c.stats.acquisitions, c.stats.contended, fmt.Sprintf("%.5f", c.contended()),
				fmt.Sprintf("%.5f", c.stats.wait.Seconds()), fmt.Sprintf("%.5f", c.waitShare()))
		} else {
			row = append(row, "", "", "", "", "")
		}
		row = append(row, fmt.Sprintf("%.3f", c.cpu), fmt.Sprintf("%.0f", float64(c.ops)/(c.cpu*c.wall.Seconds())), fmt.Sprintf("%.3f", c.others))
		csv.Add(row...)
	}

	header := []string{"keys", "GET/SET", "implementation"}
	for _, g := range cfg.goroutines {
		header = append(header, fmt.Sprintf("g=%d", g))
	}
	thr := report.NewTable("Throughput, ops/s, by goroutines", header...)
	wait := report.NewTable("Lock-wait share of goroutine time (contended acquisitions)", header...)
	anyNoisy := false
	at := map[[4]string]cell{}
	for _, c := range cells {
		at[[4]string{c.impl, string(c.dist), c.mix.label, fmt.Sprint(c.goroutines)}] = c
	}
	fig := &report.Figure{
		Title: "storebench: sharded store vs sync.Map vs RWMutex map",
		Subtitle: fmt.Sprintf("%s; %d keys, %d B values, %v per point", report.Machine(),
			cfg.keys, cfg.valueSize, cfg.duration),
		Cols: len(mixes),
	}
	var waitPanels []report.Panel
	for _, d := range cfg.dists {
		for _, m := range mixes {
			pt := report.Panel{Title: fmt.Sprintf("%s keys, %s", d, m.label), XLabel: "goroutines", YLabel: "ops/s", LogX: true}
			pw := report.Panel{Title: fmt.Sprintf("contended locks: %s keys, %s", d, m.label), XLabel: "goroutines", YLabel: "% of acquisitions that waited", LogX: true}
			for _, im := range impls {
				rt := []any{string(d), m.label, im.name}
				rw := []any{string(d), m.label, im.name}
				st := report.Series{Name: im.name}
				sw := report.Series{Name: im.name}
				for _, g := range cfg.goroutines {
					c := at[[4]string{im.name, string(d), m.label, fmt.Sprint(g)}]
					mark := ""
					if c.others > noisy {
						mark, anyNoisy = "*", true
					}
					rt = append(rt, report.SI(c.opsPerSec())+mark)
					if c.hasStats {
						rw = append(rw, fmt.Sprintf("%s (%s)", report.Pct(c.waitShare()), report.Pct(c.contended())))
					} else {
						rw = append(rw, "-")
					}
					st.X, st.Y = append(st.X, float64(g)), append(st.Y, c.opsPerSec())
					sw.X, sw.Y = append(sw.X, float64(g)), append(sw.Y, 100*c.contended())
				}
				thr.Add(rt...)
				pt.Series = append(pt.Series, st)
				if im.name != "sync.Map" {
					wait.Add(rw...)
					pw.Series = append(pw.Series, sw)
				}
			}
			fig.Panels = append(fig.Panels, pt)
			waitPanels = append(waitPanels, pw)
		}
	}
	fig.Panels = append(fig.Panels, waitPanels...)

	notes := []string{
		fmt.Sprintf("Each cell: G goroutines run for %v against a preloaded key space of %d keys with %d-byte values; "+
			"a GET copies the value out (as the server must, to write the reply), a SET overwrites with a same-size value. "+
			"The store takes the key's shard lock for each operation and works through Tx, as the server does; "+
			"the RWMutex map clones the value outside the lock and swaps it in; sync.Map stores a fresh clone.", cfg.duration, cfg.keys, cfg.valueSize),
		"Lock-wait share = total LockWait / (goroutines x wall time), from Store.Stats() (the RWMutex baseline counts its lock the same way: " +
			"try first, time only an acquisition that had to wait). Contended = acquisitions that had to wait / all acquisitions. " +
			"With more goroutines than cores, a goroutine also waits while the lock holder is descheduled, and a woken waiter waits for a free core, " +
			"so the wait share grows with G even when few acquisitions contend.",
		whole.Describe() + " The CSV gives it per cell (other_procs_cores), with the cores this process got (cpu_cores) " +
			"and ops per CPU-second, which other processes' load disturbs less than ops/s.",
	}
	if anyNoisy {
		thr.Title += fmt.Sprintf(" (* = other processes kept more than %.2f cores busy during the cell)", noisy)
	}
	if k := keySpaces[workload.Zipf]; k != nil {
		notes = append(notes, fmt.Sprintf("Zipf keys: exponent %.2f over %d keys (Gray et al.'s method, as YCSB; math/rand/v2's Zipf needs an exponent > 1); "+
			"the hottest key takes %s of requests, and its shard at least that, whatever the shard count.", cfg.theta, cfg.keys, report.Pct(k.HottestShare())))
	}
	return &report.Result{Name: "storebench", CSV: csv, Tables: []*report.Table{thr, wait}, Figure: fig, Notes: notes}
}
