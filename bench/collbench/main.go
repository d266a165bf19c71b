// Command collbench measures what hashes and sets cost in memory, side by
// side with redis-server in the same run: each workload is loaded into a
// fresh process of each server, and the RSS it adds (VmRSS after loading
// minus VmRSS when empty) is divided by the elements loaded.
//
//	a  -n hashes of 10 fields (8-byte field names, 16-byte values)
//	b  one hash of -n fields (8-byte names, 16-byte values)
//	c  one set of -n 16-byte members
//	d  -n sets of 5 small integers
//	z  one sorted set of -n 16-byte members, random scores (zset.go)
//	l  one list of -n 16-byte elements (list.go)
//
//	go run ./bench/collbench                  # -n 1000000, every workload
//	go run ./bench/collbench -n 100000 -workloads a,d
//	go run ./bench/collbench -latency 10000,10000000   # HGET p99.9 and GC pauses
//	go run ./bench/collbench -latency-zl 10000,10000000   # the same for ZSCORE and LINDEX
//	go run ./bench/collbench -delete 10000000          # GET p99 while a 10M-field hash is deleted
//	go run ./bench/collbench -churn 90s -rate 20000    # field TTL churn: memory stays bounded, fields go
//
// cachesrv is built from ./cmd/cachesrv (or -cachesrv-bin) and run with
// its defaults; redis-server (PATH or -redis-bin) with --save "" and
// --appendonly no.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/bench/internal/sysstat"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

func main() {
	n := flag.Int("n", 1_000_000, "elements (workloads b, c) or keys (a, d)")
	workloads := flag.String("workloads", "a,b,c,d", "which workloads to run")
	cachesrvBin := flag.String("cachesrv-bin", "", "cachesrv binary (default: build ./cmd/cachesrv)")
	redisBin := flag.String("redis-bin", "redis-server", "redis-server binary")
	settle := flag.Duration("settle", 3*time.Second, "wait after loading before reading RSS")
	gcSizes := flag.String("latency", "", "instead of memory: HGET latency and GC pauses with these numbers of hash fields loaded (e.g. 10000,10000000)")
	zlSizes := flag.String("latency-zl", "", "instead of memory: ZSCORE/LINDEX latency and GC pauses with these numbers of elements loaded, half in sorted sets and half in lists of 1000 (e.g. 10000,10000000)")
	rate := flag.Int("rate", 20000, "latency: HGETs a second")
	dur := flag.Duration("duration", 10*time.Second, "latency: how long the HGET load runs")
	delFields := flag.Int("delete", 0, "instead of memory: DEL one hash of this many fields while another client runs GETs, on each server")
	churnFor := flag.Duration("churn", 0, "instead of memory: write hash fields with TTLs of 1-60 s at -rate fields/s for this long (cachesrv only), then wait for them to expire")
	flag.Parse()
	dir, err := os.MkdirTemp("", "collbench")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	if *cachesrvBin == "" {
		fmt.Println("building ./cmd/cachesrv ...")
		if *cachesrvBin, err = proc.BuildCachesrv(dir); err != nil {
			fail(err)
		}
	}
	if *churnFor > 0 {
		if err := churn(dir, *cachesrvBin, *rate, *churnFor); err != nil {
			fail(err)
		}
		return
	}
	if *delFields > 0 {
		fmt.Printf("%-10s %10s %10s\n", "server", "fields", "DEL took")
		for _, name := range []string{"cachesrv", "redis"} {
			bin := *cachesrvBin
			if name == "redis" {
				bin = *redisBin
			}
			if err := deleteBig(dir, name, bin, *delFields); err != nil {
				fail(err)
			}
		}
		return
	}
	if *zlSizes != "" {
		fmt.Printf("%-10s %8s %9s %9s %9s %9s\n", "elements", "reads", "p50", "p99", "p99.9", "max")
		for _, f := range strings.Split(*zlSizes, ",") {
			var n int
			fmt.Sscan(f, &n)
			if err := latencyZL(dir, *cachesrvBin, n, *rate, *dur); err != nil {
				fail(err)
			}
		}
		return
	}
	if *gcSizes != "" {
		fmt.Printf("%-10s %8s %9s %9s %9s %9s\n", "fields", "HGETs", "p50", "p99", "p99.9", "max")
		for _, f := range strings.Split(*gcSizes, ",") {
			var n int
			fmt.Sscan(f, &n)
			if err := latency(dir, *cachesrvBin, n, *rate, *dur); err != nil {
				fail(err)
			}
		}
		return
	}
	fmt.Printf("%-3s %-10s %12s %12s %10s %12s\n", "wl", "server", "elements", "RSS added", "B/elem", "load")
	for _, w := range strings.Split(*workloads, ",") {
		var perElem [2]float64
		for i, name := range []string{"cachesrv", "redis"} {
			bin := *cachesrvBin
			if name == "redis" {
				bin = *redisBin
			}
			added, elems, load, err := runOne(dir, name, bin, w, *n, *settle)
			if err != nil {
				fail(fmt.Errorf("workload %s, %s: %v", w, name, err))
			}
			perElem[i] = float64(added) / float64(elems)
			fmt.Printf("%-3s %-10s %12d %11.1fM %10.1f %12v\n", w, name, elems, float64(added)/(1<<20), perElem[i], load.Round(time.Millisecond))
		}
		fmt.Printf("%-3s ratio cachesrv/redis: %.2fx\n", w, perElem[0]/perElem[1])
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "collbench:", err)
	os.Exit(1)
}

// runOne starts a fresh server, loads workload w and returns the RSS it
// added, the elements loaded and the load time.
func runOne(dir, name, bin, w string, n int, settle time.Duration) (int64, int, time.Duration, error) {
	port, err := servertest.FindFreePort()
	if err != nil {
		return 0, 0, 0, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"--bind", "127.0.0.1", "--port", fmt.Sprint(port)}
	if name == "redis" {
		args = append(args, "--save", "", "--appendonly", "no")
	} else {
		args = append(args, "--metrics-addr", "", "--log-level", "warn")
	}
	p, err := proc.Start(name, addr, bin, args, filepath.Join(dir, name+"-"+w+".log"))
	if err != nil {
		return 0, 0, 0, err
	}
	defer p.Stop(10 * time.Second)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 8})
	defer rdb.Close()
	if err := p.WaitReady(20*time.Second, func() error { return rdb.Ping(ctx).Err() }); err != nil {
		return 0, 0, 0, err
	}
	time.Sleep(500 * time.Millisecond)
	empty, err := sysstat.PidRSS(p.Pid())
	if err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	elems, err := load(ctx, rdb, w, n)
	if err != nil {
		return 0, 0, 0, err
	}
	took := time.Since(start)
	time.Sleep(settle)
	full, err := sysstat.PidRSS(p.Pid())
	return full - empty, elems, took, err
}

// load runs workload w with 4 connections, pipelines of 1000 commands.
func load(ctx context.Context, rdb *redis.Client, w string, n int) (int, error) {
	val := func(i int) string { return fmt.Sprintf("v%015d", i) } // 16 bytes
	var cmds int
	var build func(p redis.Pipeliner, i int)
	elems := n
	switch w {
	case "a":
		cmds, elems = n, n*10
		build = func(p redis.Pipeliner, i int) {
			args := make([]any, 0, 20)
			for f := range 10 {
				args = append(args, fmt.Sprintf("field%03d", f), val(i*10+f))
			}
			p.HSet(ctx, fmt.Sprintf("h:%d", i), args...)
		}
	case "b":
		cmds = (n + 99) / 100
		build = func(p redis.Pipeliner, i int) {
			args := make([]any, 0, 200)
			for j := i * 100; j < min(n, i*100+100); j++ {
				args = append(args, fmt.Sprintf("f%07d", j), val(j))
			}
			p.HSet(ctx, "bighash", args...)
		}
	case "c":
		cmds = (n + 99) / 100
		build = func(p redis.Pipeliner, i int) {
			args := make([]any, 0, 100)
			for j := i * 100; j < min(n, i*100+100); j++ {
				args = append(args, fmt.Sprintf("member%010d", j))
			}
			p.SAdd(ctx, "bigset", args...)
		}
	case "d":
		cmds, elems = n, n*5
		build = func(p redis.Pipeliner, i int) {
			p.SAdd(ctx, fmt.Sprintf("s:%d", i), i%100, i%100+1, i%100+2, i%100+3, i%100+4)
		}
	case "z":
		cmds, build = zsetWorkload(ctx, n) // zset.go
	case "l":
		cmds, build = listWorkload(ctx, n) // list.go
	default:
		return 0, fmt.Errorf("unknown workload %q", w)
	}
	const batch, conns = 1000, 4
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for from := c * batch; from < cmds; from += conns * batch {
				p := rdb.Pipeline()
				for i := from; i < min(cmds, from+batch); i++ {
					build(p, i)
				}
				if _, err := p.Exec(ctx); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return elems, <-errs
}
