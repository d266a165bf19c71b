package workload

import (
	"sync"
	"sync/atomic"
	"time"
)

// Batches splits [0, n) into batches of at most size and runs
// run(w, lo, hi) for each on workers goroutines (w is the worker's index,
// 0 … workers-1, for per-worker connections), until every batch is done
// or one fails; the others then stop after their current batch. Every
// second, on the caller's goroutine, it calls tick with how many of the n
// are done so far. It returns the first error. The benches preload keys
// with it.
func Batches(workers, n, size int, run func(w, lo, hi int) error, tick func(done int64)) error {
	var (
		next, done atomic.Int64
		failed     atomic.Bool
		errOnce    sync.Once
		first      error
		wg         sync.WaitGroup
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				lo := int(next.Add(int64(size))) - size
				if lo >= n {
					return
				}
				hi := min(lo+size, n)
				if err := run(w, lo, hi); err != nil {
					errOnce.Do(func() { first = err })
					failed.Store(true)
					return
				}
				done.Add(int64(hi - lo))
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-finished:
			return first
		case <-t.C:
			tick(done.Load())
		}
	}
}
