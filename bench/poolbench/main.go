// Command poolbench measures how a worker pool's throughput depends on its
// size, for a CPU-bound task (hashing a buffer), a task that waits
// (time.Sleep, standing for a call to a remote service) and a real
// loopback TCP round trip to an echo server in this process. It measures
// rather than asserts the textbook answer ("workers = cores" for CPU-bound
// work, many more for work that waits).
//
//	go run ./bench/poolbench
//	go run ./bench/poolbench -quick
//
// It prints tables and writes bench/results/poolbench-<cores>c-<date>.csv,
// .md and .svg.
package main

import (
	"cmp"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/sysstat"
	"github.com/cachesrv/cachesrv/bench/internal/workload"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

type config struct {
	workers  []int
	tasks    []string
	duration time.Duration
	hashSize int
	sleep    time.Duration
	msgSize  int
	out      string
}

// task is one kind of work. start gives each worker its own instance
// (the loopback task needs a connection per worker); do runs one task.
type task struct {
	name, what string
	start      func(worker int) (do func() error, stop func(), err error)
}

type cell struct {
	task    string
	workers int
	tasks   uint64
	wall    time.Duration
	usage   sysstat.Usage
}

func (c cell) perSec() float64 { return float64(c.tasks) / c.wall.Seconds() }

// cpuShare is the process's CPU time over the machine's capacity.
func (c cell) cpuShare() float64 { return c.usage.Self / float64(runtime.NumCPU()) }

// taskTime is how long one task took on average, seen by its worker.
func (c cell) taskTime() time.Duration {
	if c.tasks == 0 {
		return 0
	}
	return time.Duration(float64(c.workers) * float64(c.wall) / float64(c.tasks))
}

func run(args []string, stdout, stderr io.Writer) int {
	var cfg config
	fs := report.NewFlagSet("poolbench", stderr, &cfg.out)
	workers := fs.String("workers", "1,2,3,4,6,8,12,16,24,32", "worker counts, comma-separated")
	tasks := fs.String("tasks", "cpu,sleep,loopback", "tasks to run: cpu, sleep, loopback")
	quick := fs.Bool("quick", false, "workers 1,2,4 and 50ms per cell, for tests")
	fs.DurationVar(&cfg.duration, "duration", time.Second, "how long each cell runs")
	fs.IntVar(&cfg.hashSize, "hash-size", 64<<10, "bytes the cpu task hashes (SHA-256)")
	fs.DurationVar(&cfg.sleep, "sleep", time.Millisecond, "how long the sleep task waits")
	fs.IntVar(&cfg.msgSize, "msg-size", 1024, "bytes the loopback task sends and gets back")
	if err := fs.Parse(args); err != nil {
		return report.FlagsExitCode(err)
	}
	if *quick {
		*workers = "1,2,4"
		cfg.duration = min(cfg.duration, 50*time.Millisecond)
	}
	var err error
	if cfg.workers, err = workload.ParseInts(*workers); err != nil {
		fmt.Fprintln(stderr, "poolbench:", err)
		return 2
	}
	cfg.tasks = workload.ParseList(*tasks)
	res, err := measure(cfg, stderr)
	if err == nil {
		err = res.PrintAndSave(stdout, cfg.out)
	}
	if err != nil {
		fmt.Fprintln(stderr, "poolbench:", err)
		return 1
	}
	return 0
}

func measure(cfg config, stderr io.Writer) (*report.Result, error) {
	all := map[string]task{
		"cpu":      cpuTask(cfg.hashSize),
		"sleep":    sleepTask(cfg.sleep),
		"loopback": loopbackTask(cfg.msgSize),
	}
	var tasks []task
	for _, name := range cfg.tasks {
		t, ok := all[name]
		if !ok {
			return nil, fmt.Errorf("unknown task %q (want cpu, sleep or loopback)", name)
		}
		tasks = append(tasks, t)
	}
	total := len(tasks) * len(cfg.workers)
	fmt.Fprintf(stderr, "poolbench: %d cells of %v, GOMAXPROCS %d\n", total, cfg.duration, runtime.GOMAXPROCS(0))
	prog := report.NewProgress(stderr, total)
	whole := sysstat.StartMeter()
	var cells []cell
	for _, t := range tasks {
		for _, w := range cfg.workers {
			c, err := runPool(t, w, cfg.duration)
			if err != nil {
				return nil, fmt.Errorf("%s with %d workers: %w", t.name, w, err)
			}
			cells = append(cells, c)
			prog.Step("%-8s %2d workers: %8s tasks/s, CPU %s, other processes %.2f cores", t.name, w, report.SI(c.perSec()),
				report.Pct(c.cpuShare()), c.usage.Others())
		}
	}
	return result(cfg, tasks, cells, whole.Read()), nil
}

// runPool runs a classic pool for d: one producer hands tasks over a
// channel to w workers.
func runPool(t task, w int, d time.Duration) (cell, error) {
	runtime.GC()
	dos := make([]func() error, w)
	for i := range w {
		do, stop, err := t.start(i)
		if err != nil {
			return cell{}, err
		}
		defer stop()
		dos[i] = do
	}
	var (
		jobs    = make(chan struct{}, w)
		stopped atomic.Bool
		wg      sync.WaitGroup
		counts  = make([]uint64, w)
		errs    = make([]error, w)
	)
	meter, t0 := sysstat.StartMeter(), time.Now()
	for i := range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				if err := dos[i](); err != nil {
					errs[i] = err
					stopped.Store(true)
					for range jobs { // drain so the producer never blocks
					}
					return
				}
				counts[i]++
			}
		}()
	}
	deadline := t0.Add(d)
	for !stopped.Load() && time.Now().Before(deadline) {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	c := cell{task: t.name, workers: w, wall: time.Since(t0), usage: meter.Read()}
	for i, n := range counts {
		if errs[i] != nil {
			return c, errs[i]
		}
		c.tasks += n
	}
	return c, nil
}

func cpuTask(size int) task {
	buf := workload.Value(size)
	return task{
		name: "cpu",
		what: fmt.Sprintf("SHA-256 of a %s buffer", byteSize(size)),
		start: func(int) (func() error, func(), error) {
			return func() error { sha256.Sum256(buf); return nil }, func() {}, nil
		},
	}
}

func sleepTask(d time.Duration) task {
	return task{
		name: "sleep",
		what: fmt.Sprintf("time.Sleep(%v), as a remote call", d),
		start: func(int) (func() error, func(), error) {
			return func() error { time.Sleep(d); return nil }, func() {}, nil
		},
	}
}

// loopbackTask sends size bytes to an echo server on 127.0.0.1 (in this
// process) and reads them back: real I/O, but both ends share the cores.
func loopbackTask(size int) task {
	var (
		once sync.Once
		addr string
		lerr error
	)
	serve := func() {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			lerr = err
			return
		}
		addr = ln.Addr().String()
		go func() {
			for {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer c.Close()
					buf := make([]byte, size)
					for {
						if _, err := io.ReadFull(c, buf); err != nil {
							return
						}
						if _, err := c.Write(buf); err != nil {
							return
						}
					}
				}()
			}
		}()
	}
	return task{
		name: "loopback",
		what: fmt.Sprintf("%s round trip to a TCP echo server on 127.0.0.1", byteSize(size)),
		start: func(int) (func() error, func(), error) {
			once.Do(serve)
			if lerr != nil {
				return nil, nil, lerr
			}
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return nil, nil, err
			}
			msg, in := workload.Value(size), make([]byte, size)
			do := func() error {
				if _, err := c.Write(msg); err != nil {
					return err
				}
				_, err := io.ReadFull(c, in)
				return err
			}
			return do, func() { c.Close() }, nil
		},
	}
}

func result(cfg config, tasks []task, cells []cell, whole sysstat.Usage) *report.Result {
	csv := report.NewTable("", "task", "workers", "tasks", "seconds", "tasks_per_sec", "speedup", "mean_task_seconds", "cpu_share", "other_procs_cores")
	long := report.NewTable("Throughput by pool size", "task", "workers", "tasks/s", "speedup", "per worker", "mean task time", "CPU used", "other procs")
	best := report.NewTable(fmt.Sprintf("Smallest pool within 5%% of the best throughput (%d cores)", runtime.NumCPU()),
		"task", "what", "workers", "tasks/s", "speedup vs 1 worker")
	fig := &report.Figure{
		Title:    "poolbench: worker pool size vs throughput",
		Subtitle: fmt.Sprintf("%s; %v per point", report.Machine(), cfg.duration),
		Cols:     2,
	}
	speed := report.Panel{Title: "speedup over 1 worker", XLabel: "workers", YLabel: "x 1 worker", LogX: true}
	cpuP := report.Panel{Title: "CPU used", XLabel: "workers", YLabel: "% of all cores", LogX: true}
	var perTask []report.Panel
	for _, t := range tasks {
		var cs []cell
		for _, c := range cells {
			if c.task == t.name {
				cs = append(cs, c)
			}
		}
		base := cs[0].perSec() / float64(cs[0].workers)
		p := report.Panel{Title: t.name + ": " + t.what, XLabel: "workers", YLabel: "tasks/s", LogX: true}
		s, sp, sc := report.Series{Name: t.name}, report.Series{Name: t.name}, report.Series{Name: t.name}
		top := slices.MaxFunc(cs, func(a, b cell) int { return cmp.Compare(a.perSec(), b.perSec()) })
		chosen := top
		for _, c := range cs {
			x := float64(c.workers)
			csv.Add(c.task, c.workers, c.tasks, fmt.Sprintf("%.4f", c.wall.Seconds()), fmt.Sprintf("%.1f", c.perSec()),
				fmt.Sprintf("%.3f", c.perSec()/base), fmt.Sprintf("%.9f", c.taskTime().Seconds()), fmt.Sprintf("%.4f", c.cpuShare()),
				fmt.Sprintf("%.3f", c.usage.Others()))
			long.Add(c.task, c.workers, report.SI(c.perSec()), fmt.Sprintf("%.2fx", c.perSec()/base),
				report.SI(c.perSec()/float64(c.workers)), report.Ms(c.taskTime()), report.Pct(c.cpuShare()),
				fmt.Sprintf("%.2f cores", c.usage.Others()))
			s.X, s.Y = append(s.X, x), append(s.Y, c.perSec())
			sp.X, sp.Y = append(sp.X, x), append(sp.Y, c.perSec()/base)
			sc.X, sc.Y = append(sc.X, x), append(sc.Y, 100*c.cpuShare())
			if c.perSec() >= 0.95*top.perSec() && c.workers < chosen.workers {
				chosen = c
			}
		}
		best.Add(t.name, t.what, chosen.workers, report.SI(chosen.perSec()), fmt.Sprintf("%.2fx", chosen.perSec()/base))
		p.Series = []report.Series{s}
		perTask = append(perTask, p)
		speed.Series = append(speed.Series, sp)
		cpuP.Series = append(cpuP.Series, sc)
	}
	ideal := report.Series{Name: "linear (ideal)", Dashed: true}
	cores := report.Series{Name: "number of cores", Dashed: true}
	for _, w := range cfg.workers {
		ideal.X, ideal.Y = append(ideal.X, float64(w)), append(ideal.Y, float64(w)/float64(cfg.workers[0]))
		cores.X, cores.Y = append(cores.X, float64(w)), append(cores.Y, float64(runtime.NumCPU()))
	}
	speed.Series = append(speed.Series, ideal, cores)
	fig.Panels = append([]report.Panel{speed, cpuP}, perTask...)
	notes := []string{
		"A pool of W workers takes tasks from a channel fed by one producer for the cell's duration. " +
			"Speedup is throughput over the first worker count's throughput per worker. Mean task time = W x wall time / tasks: " +
			"the time a task takes as its worker sees it, including waiting for a core. CPU used is this process's user+system time " +
			"over wall time x cores (for loopback it includes the echo server, which runs in the same process); " +
			"other procs = cores kept busy by the rest of the machine meanwhile (/proc/stat).",
		whole.Describe(),
	}
	return &report.Result{Name: "poolbench", CSV: csv, Tables: []*report.Table{best, long}, Figure: fig, Notes: notes}
}

func byteSize(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
