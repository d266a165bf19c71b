package main

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// latency loads fields hash fields (workload a's shape: fields/10 hashes
// of 10) into a fresh cachesrv run with GODEBUG=gctrace=1, then offers a
// steady HGET load of rate requests a second for dur, and reports the
// latency percentiles and the garbage collector's cycles and longest
// stop-the-world pause, during the load and during the HGETs.
func latency(dir, bin string, fields, rate int, dur time.Duration) error {
	keys := max(fields/10, 1)
	return tracedRun(dir, bin, fmt.Sprintf("latency-%d.log", fields), keys*10, "HGETs", rate, dur,
		func(ctx context.Context, rdb *redis.Client) error {
			_, err := load(ctx, rdb, "a", keys)
			return err
		},
		func(ctx context.Context, rdb *redis.Client, _ int) error {
			return rdb.HGet(ctx, "h:"+strconv.Itoa(rand.IntN(keys)), fmt.Sprintf("field%03d", rand.IntN(10))).Err()
		})
}

// tracedRun starts cachesrv with GODEBUG=gctrace=1 (its log in dir/logName),
// fills it with fill, then times request (the n-th of a connection) at
// about rate a second for dur and prints one line: elements loaded, the
// percentiles, and the collector's cycles and longest pause while filling
// and while the requests ran.
func tracedRun(dir, bin, logName string, elements int, what string, rate int, dur time.Duration,
	fill func(context.Context, *redis.Client) error, request func(context.Context, *redis.Client, int) error) error {
	port, err := servertest.FindFreePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logPath := filepath.Join(dir, logName)
	args := []string{"--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--metrics-addr", "", "--log-level", "warn"}
	p, err := proc.StartEnv("cachesrv", addr, bin, args, []string{"GODEBUG=gctrace=1"}, logPath)
	if err != nil {
		return err
	}
	defer p.Stop(10 * time.Second)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 16})
	defer rdb.Close()
	if err := p.WaitReady(20*time.Second, func() error { return rdb.Ping(ctx).Err() }); err != nil {
		return err
	}
	if err := fill(ctx, rdb); err != nil {
		return err
	}
	loadGC := gcTrace(logPath, 0)
	from := fileSize(logPath)
	lat, err := steady(ctx, rdb, rate, dur, request)
	if err != nil {
		return err
	}
	time.Sleep(200 * time.Millisecond)
	runGC := gcTrace(logPath, from)
	slices.Sort(lat)
	q := func(f float64) time.Duration { return lat[min(len(lat)-1, int(f*float64(len(lat))))] }
	fmt.Printf("%-10d %8d %9v %9v %9v %9v | load: %3d GCs, longest pause %v | %s: %3d GCs, longest pause %v\n",
		elements, len(lat), q(0.5).Round(time.Microsecond), q(0.99).Round(time.Microsecond), q(0.999).Round(time.Microsecond),
		lat[len(lat)-1].Round(time.Microsecond), loadGC.cycles, loadGC.maxPause, what, runGC.cycles, runGC.maxPause)
	return nil
}

// steady sends request at about rate a second from 8 connections, each
// request timed on its own.
func steady(ctx context.Context, rdb *redis.Client, rate int, dur time.Duration, request func(context.Context, *redis.Client, int) error) ([]time.Duration, error) {
	const conns = 8
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			every := time.Duration(conns) * time.Second / time.Duration(rate)
			var lat []time.Duration
			next := time.Now()
			n := c
			for end := next.Add(dur); time.Now().Before(end); n++ {
				next = next.Add(every)
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
				t := time.Now()
				if err := request(ctx, rdb, n); err != nil {
					errs <- err
					return
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	return all, <-errs
}

type gcSummary struct {
	cycles   int
	maxPause time.Duration
}

// gcLine matches gctrace's "gc N @T s P%: A+B+C ms clock": A and C are
// the stop-the-world phases.
var gcLine = regexp.MustCompile(`^gc \d+ @[\d.]+s \d+%: ([\d.]+)\+[\d.]+\+([\d.]+) ms clock`)

// gcTrace summarises the gctrace lines of the log from byte offset from.
func gcTrace(path string, from int64) gcSummary {
	var s gcSummary
	f, err := os.Open(path)
	if err != nil {
		return s
	}
	defer f.Close()
	f.Seek(from, 0)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := gcLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		s.cycles++
		for _, x := range m[1:] {
			ms, _ := strconv.ParseFloat(x, 64)
			s.maxPause = max(s.maxPause, time.Duration(ms*float64(time.Millisecond)))
		}
	}
	return s
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
