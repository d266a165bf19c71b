package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// zlPer is the size of each sorted set and list the zl latency mode loads.
const zlPer = 1000

// latencyZL is latency for sorted sets and lists: it loads elems elements,
// half as sorted sets of zlPer members and half as lists of zlPer
// elements, into a fresh cachesrv with GODEBUG=gctrace=1, then offers a
// steady load of rate requests a second, ZSCORE and LINDEX in turn, and
// reports the percentiles and the collector's cycles and longest pause.
func latencyZL(dir, bin string, elems, rate int, dur time.Duration) error {
	port, err := servertest.FindFreePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logPath := filepath.Join(dir, fmt.Sprintf("latency-zl-%d.log", elems))
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
	keys := max(elems/2/zlPer, 1)
	if err := loadZL(ctx, rdb, keys); err != nil {
		return err
	}
	loadGC := gcTrace(logPath, 0)
	from := fileSize(logPath)
	lat, err := steadyZL(ctx, rdb, keys, rate, dur)
	if err != nil {
		return err
	}
	time.Sleep(200 * time.Millisecond)
	runGC := gcTrace(logPath, from)
	slices.Sort(lat)
	q := func(f float64) time.Duration { return lat[min(len(lat)-1, int(f*float64(len(lat))))] }
	fmt.Printf("%-10d %8d %9v %9v %9v %9v | load: %3d GCs, longest pause %v | reads: %3d GCs, longest pause %v\n",
		keys*2*zlPer, len(lat), q(0.5).Round(time.Microsecond), q(0.99).Round(time.Microsecond), q(0.999).Round(time.Microsecond),
		lat[len(lat)-1].Round(time.Microsecond), loadGC.cycles, loadGC.maxPause, runGC.cycles, runGC.maxPause)
	return nil
}

// loadZL fills keys sorted sets z:<k> (members m0000.., score = index)
// and keys lists l:<k>, 100 elements a command, from 8 connections.
func loadZL(ctx context.Context, rdb *redis.Client, keys int) error {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < keys; k += 8 {
				p := rdb.Pipeline()
				for lo := 0; lo < zlPer; lo += 100 {
					zs := make([]redis.Z, 0, 100)
					ls := make([]any, 0, 100)
					for i := lo; i < lo+100; i++ {
						zs = append(zs, redis.Z{Score: float64(i), Member: fmt.Sprintf("m%04d%011d", i, k)}) // 16 bytes
						ls = append(ls, fmt.Sprintf("e%04d%011d", i, k))
					}
					p.ZAdd(ctx, "z:"+strconv.Itoa(k), zs...)
					p.RPush(ctx, "l:"+strconv.Itoa(k), ls...)
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
	return <-errs
}

// steadyZL sends ZSCOREs and LINDEXes of random elements at about rate a
// second from 8 connections, each request timed on its own.
func steadyZL(ctx context.Context, rdb *redis.Client, keys, rate int, dur time.Duration) ([]time.Duration, error) {
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
				k, i := rand.IntN(keys), rand.IntN(zlPer)
				t := time.Now()
				var err error
				if n%2 == 0 {
					err = rdb.ZScore(ctx, "z:"+strconv.Itoa(k), fmt.Sprintf("m%04d%011d", i, k)).Err()
				} else {
					err = rdb.LIndex(ctx, "l:"+strconv.Itoa(k), int64(i)).Err()
				}
				if err != nil {
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
