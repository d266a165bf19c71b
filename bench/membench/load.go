package main

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/resp"
	"github.com/cachesrv/cachesrv/bench/internal/workload"
)

// loader SETs key:0 ... key:N-1, each exactly once, with values of one
// size: conns connections each take the next depth keys, write their SETs
// in one pipeline and read every reply before taking more.
type loader struct {
	conns, depth int
	value        []byte
	prog         *report.Progress
}

// load fills s with n keys and returns how long it took. Any error reply
// stops it: a key that was not stored would make the count wrong.
func (ld *loader) load(s *server, n int) (time.Duration, error) {
	conns := make([]net.Conn, 0, ld.conns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range min(ld.conns, (n+ld.depth-1)/ld.depth) {
		c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
		if err != nil {
			return 0, err
		}
		conns = append(conns, c)
	}
	tail := strconv.AppendInt([]byte("$"), int64(len(ld.value)), 10)
	tail = append(tail, "\r\n"...)
	tail = append(tail, ld.value...)
	tail = append(tail, "\r\n"...)

	var (
		next, done atomic.Int64
		wg         sync.WaitGroup
		errOnce    sync.Once
		firstErr   error
		failed     atomic.Bool
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		failed.Store(true)
	}
	start := time.Now()
	for _, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := bufio.NewReaderSize(c, 64<<10)
			var buf, key []byte
			for !failed.Load() {
				lo := int(next.Add(int64(ld.depth))) - ld.depth
				if lo >= n {
					return
				}
				hi := min(lo+ld.depth, n)
				buf = buf[:0]
				for i := lo; i < hi; i++ {
					key = appendKey(key[:0], i)
					buf = append(buf, "*3\r\n$3\r\nSET\r\n$"...)
					buf = strconv.AppendInt(buf, int64(len(key)), 10)
					buf = append(buf, "\r\n"...)
					buf = append(buf, key...)
					buf = append(buf, "\r\n"...)
					buf = append(buf, tail...)
				}
				c.SetDeadline(time.Now().Add(time.Minute)) // a stuck server cannot hang the run
				if _, err := c.Write(buf); err != nil {
					fail(err)
					return
				}
				for i := lo; i < hi; i++ {
					_, e, err := resp.Read(br)
					if err != nil {
						fail(err)
						return
					}
					if e != nil {
						fail(fmt.Errorf("SET key:%d: %s", i, e))
						return
					}
				}
				done.Add(int64(hi - lo))
			}
		}()
	}
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last, lastDone := start, int64(0)
	for {
		select {
		case <-finished:
			took := time.Since(start)
			if firstErr != nil {
				if err := s.exited(); err != nil {
					return took, err
				}
				return took, firstErr
			}
			ld.prog.Note("loaded %s keys of %d B into %s in %v (%s SET/s)", report.SI(float64(n)), len(ld.value), s.name,
				took.Round(time.Millisecond), report.SI(float64(n)/took.Seconds()))
			return took, nil
		case now := <-tick.C:
			d := done.Load()
			rss := "?"
			if r, err := s.rss(); err == nil {
				rss = mib(r)
			}
			ld.prog.Note("loading %s: %3.0f%% of %s keys, %s SET/s, RSS %s", s.name, 100*float64(d)/float64(n),
				report.SI(float64(n)), report.SI(float64(d-lastDone)/now.Sub(last).Seconds()), rss)
			last, lastDone = now, d
		}
	}
}

func newLoader(cfg *config, prog *report.Progress) *loader {
	return &loader{conns: cfg.loadConns, depth: cfg.loadPipeline, value: workload.Value(cfg.valueSize), prog: prog}
}

// mib formats a byte count in MiB.
func mib(b int64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
