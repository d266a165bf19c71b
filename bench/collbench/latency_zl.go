package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// zlPer is the size of each sorted set and list the zl latency mode loads.
const zlPer = 1000

// latencyZL is latency for sorted sets and lists: it loads elems elements,
// half as sorted sets of zlPer members and half as lists of zlPer
// elements, then times ZSCORE and LINDEX in turn (tracedRun).
func latencyZL(dir, bin string, elems, rate int, dur time.Duration) error {
	keys := max(elems/2/zlPer, 1)
	return tracedRun(dir, bin, fmt.Sprintf("latency-zl-%d.log", elems), keys*2*zlPer, "reads", rate, dur,
		func(ctx context.Context, rdb *redis.Client) error { return loadZL(ctx, rdb, keys) },
		func(ctx context.Context, rdb *redis.Client, n int) error {
			k, i := rand.IntN(keys), rand.IntN(zlPer)
			if n%2 == 0 {
				return rdb.ZScore(ctx, "z:"+strconv.Itoa(k), fmt.Sprintf("m%04d%011d", i, k)).Err()
			}
			return rdb.LIndex(ctx, "l:"+strconv.Itoa(k), int64(i)).Err()
		})
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
