package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// deleteBig loads one hash of fields fields into a fresh process of the
// server, then runs GETs of one string key from 4 connections without
// pause while another connection DELs the hash: it reports how long the
// DEL took and the GETs' p99 and max in the second before and in the
// second from the DEL.
func deleteBig(dir, name, bin string, fields int) error {
	port, err := servertest.FindFreePort()
	if err != nil {
		return err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := []string{"--bind", "127.0.0.1", "--port", fmt.Sprint(port)}
	if name == "redis" {
		args = append(args, "--save", "", "--appendonly", "no")
	} else {
		args = append(args, "--metrics-addr", "", "--log-level", "warn")
	}
	p, err := proc.Start(name, addr, bin, args, filepath.Join(dir, name+"-delete.log"))
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
	if _, err := load(ctx, rdb, "b", fields); err != nil {
		return err
	}
	rdb.Set(ctx, "probe", "v", 0)
	type sample struct {
		at  time.Time
		lat time.Duration
	}
	var mu sync.Mutex
	var samples []sample
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []sample
			for {
				select {
				case <-stop:
					mu.Lock()
					samples = append(samples, mine...)
					mu.Unlock()
					return
				default:
				}
				t := time.Now()
				rdb.Get(ctx, "probe")
				mine = append(mine, sample{t, time.Since(t)})
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	delAt := time.Now()
	if err := rdb.Del(ctx, "bighash").Err(); err != nil {
		return err
	}
	delTook := time.Since(delAt)
	time.Sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	window := func(from, to time.Time) (p99, worst time.Duration, n int) {
		var l []time.Duration
		for _, s := range samples {
			if !s.at.Before(from) && s.at.Before(to) {
				l = append(l, s.lat)
			}
		}
		if len(l) == 0 {
			return 0, 0, 0
		}
		slices.Sort(l)
		return l[len(l)*99/100], l[len(l)-1], len(l)
	}
	b99, bmax, bn := window(delAt.Add(-time.Second), delAt)
	a99, amax, an := window(delAt, delAt.Add(time.Second))
	fmt.Printf("%-10s %10d %10v | GETs before: %6d p99 %8v max %8v | from the DEL: %6d p99 %8v max %8v\n", name, fields,
		delTook.Round(time.Microsecond), bn, b99.Round(time.Microsecond), bmax.Round(time.Microsecond),
		an, a99.Round(time.Microsecond), amax.Round(time.Microsecond))
	return nil
}
