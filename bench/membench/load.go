package main

import (
	"bufio"
	"fmt"
	"net"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/workload"
	"github.com/cachesrv/cachesrv/protocol/resp"
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

	readers := make([]*bufio.Reader, len(conns))
	bufs, keys := make([][]byte, len(conns)), make([][]byte, len(conns))
	for i, c := range conns {
		readers[i] = bufio.NewReaderSize(c, 64<<10)
	}
	start := time.Now()
	last, lastDone := start, int64(0)
	err := workload.Batches(len(conns), n, ld.depth, func(w, lo, hi int) error {
		c, buf, key := conns[w], bufs[w][:0], keys[w]
		for i := lo; i < hi; i++ {
			key = appendKey(key[:0], i)
			buf = resp.AppendCommand(buf, setCmd, key, ld.value)
		}
		bufs[w], keys[w] = buf, key
		c.SetDeadline(time.Now().Add(time.Minute)) // a stuck server cannot hang the run
		if _, err := c.Write(buf); err != nil {
			return err
		}
		for i := lo; i < hi; i++ {
			_, e, err := resp.Read(readers[w])
			if err != nil {
				return err
			}
			if e != nil {
				return fmt.Errorf("SET key:%d: %s", i, e)
			}
		}
		return nil
	}, func(d int64) {
		now := time.Now()
		rss := "?"
		if r, err := s.rss(); err == nil {
			rss = mib(r)
		}
		ld.prog.Note("loading %s: %3.0f%% of %s keys, %s SET/s, RSS %s", s.name, 100*float64(d)/float64(n),
			report.SI(float64(n)), report.SI(float64(d-lastDone)/now.Sub(last).Seconds()), rss)
		last, lastDone = now, d
	})
	took := time.Since(start)
	if err != nil {
		if xerr := s.exited(); xerr != nil {
			return took, xerr
		}
		return took, err
	}
	ld.prog.Note("loaded %s keys of %d B into %s in %v (%s SET/s)", report.SI(float64(n)), len(ld.value), s.name,
		took.Round(time.Millisecond), report.SI(float64(n)/took.Seconds()))
	return took, nil
}

var setCmd = []byte("SET")

func newLoader(cfg *config, prog *report.Progress) *loader {
	return &loader{conns: cfg.loadConns, depth: cfg.loadPipeline, value: workload.Value(cfg.valueSize), prog: prog}
}

// mib formats a byte count in MiB.
func mib(b int64) string {
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
