package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/bench/internal/sysstat"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// churn writes hash fields with random TTLs of 1-60 s (HSET then
// HPEXPIRE, over 100k hashes of up to 100 fields) at rate fields a second
// for dur into a fresh cachesrv, printing RSS, used_memory and DBSIZE
// every 10 s; then it stops writing and waits 65 s, by when every field
// has expired and every hash should be gone. (redis-server 7.0 has no
// field expiry, so cachesrv runs alone.)
func churn(dir, bin string, rate int, dur time.Duration) error {
	port, err := servertest.FindFreePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--metrics-addr", "", "--log-level", "warn"}
	p, err := proc.Start("cachesrv", addr, bin, args, filepath.Join(dir, "churn.log"))
	if err != nil {
		return err
	}
	defer p.Stop(10 * time.Second)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, PoolSize: 8})
	defer rdb.Close()
	if err := p.WaitReady(20*time.Second, func() error { return rdb.Ping(ctx).Err() }); err != nil {
		return err
	}
	start := time.Now()
	report := func(phase string) {
		rss, _ := sysstat.PidRSS(p.Pid())
		info := resp.ParseInfo(rdb.Info(ctx, "memory").Val())
		fmt.Printf("%6.0fs %-8s RSS %7.1f MiB  used_memory %7.1f MiB  DBSIZE %7d\n", time.Since(start).Seconds(), phase,
			float64(rss)/(1<<20), float64(resp.InfoInt(info, "used_memory"))/(1<<20), rdb.DBSize(ctx).Val())
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	written := make([]int, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			const batch = 100
			every := time.Duration(4*batch) * time.Second / time.Duration(rate)
			next := time.Now()
			for {
				select {
				case <-stop:
					return
				default:
				}
				next = next.Add(every)
				if d := time.Until(next); d > 0 {
					time.Sleep(d)
				}
				pl := rdb.Pipeline()
				for range batch {
					key := "h:" + strconv.Itoa(rand.IntN(100000))
					f := "f" + strconv.Itoa(rand.IntN(100))
					pl.HSet(ctx, key, f, "value-0123456789")
					pl.HPExpire(ctx, key, time.Duration(1000+rand.IntN(59000))*time.Millisecond, f)
				}
				if _, err := pl.Exec(ctx); err == nil {
					written[w] += batch
				}
			}
		}()
	}
	for time.Since(start) < dur {
		time.Sleep(10 * time.Second)
		report("writing")
	}
	close(stop)
	wg.Wait()
	total := 0
	for _, n := range written {
		total += n
	}
	fmt.Printf("wrote %d fields with TTLs in %v; now waiting for them to expire\n", total, dur)
	for end := time.Now().Add(65 * time.Second); time.Now().Before(end); {
		time.Sleep(10 * time.Second)
		report("idle")
	}
	return nil
}
