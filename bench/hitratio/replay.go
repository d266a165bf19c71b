package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/workload"
	"github.com/cachesrv/cachesrv/protocol/resp"
)

// replayStats is what the client saw while replaying one trace.
type replayStats struct {
	gets      int64 // requests in the trace
	hits      int64 // GETs that returned a value, plus dupHits
	dupHits   int64 // repeats of a key that missed earlier in the same batch (see replay)
	sets      int64 // SETs sent, one per miss
	setErrors int64 // SETs answered with an error (OOM under noeviction...)
	getErrors int64 // GETs answered with an error (counted as misses, no SET)
	firstErr  string

	univGets, univHits int64 // requests to keys of the Zipf key space, leaving scan keys out
	wall               time.Duration
}

func (s *replayStats) hitRatio() float64 { return ratio(s.hits, s.gets) }

// univHitRatio is the hit ratio over the requests that are not scan keys.
func (s *replayStats) univHitRatio() float64 { return ratio(s.univHits, s.univGets) }

func (s *replayStats) opsPerSec() float64 {
	return float64(s.gets+s.sets) / s.wall.Seconds()
}

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// batchDeadline bounds one pipeline's round trip: a server that stops
// answering fails the run instead of hanging it.
const batchDeadline = 30 * time.Second

// replay runs the trace as a cache-aside client would: GET the key, and
// on a miss SET it (the value fetched from the backing store).
//
// Requests are pipelined: each write carries the SETs for the previous
// batch's misses followed by the next batch of GETs, and the client then
// reads all their replies. So a miss's SET reaches the server after up to
// batch-1 later GETs rather than right after its own GET: a small
// reordering that delays each insertion by less than one batch.
//
// A key that appears more than once in a batch and missed the first time
// misses again on the server (its SET has not been sent yet). A
// sequential client would have stored it in between and hit, so the
// client counts such a repeat as a hit (dupHits) and sends one SET. The
// server still sees every GET, so its recency and frequency counts are
// those of the trace.
//
// every is called about once a second with the requests done so far.
func replay(c *resp.Conn, t *trace, batch int, value []byte, every func(done int, st *replayStats)) (*replayStats, error) {
	st := &replayStats{}
	enc := workload.NewEncoder(value)
	var (
		buf     []byte
		pending []uint32 // keys to SET: last batch's misses
		missed  []uint32 // this batch's misses so far
	)
	sendSets := func(buf []byte) []byte {
		for _, k := range pending {
			buf = enc.Set(buf, int(k))
		}
		return buf
	}
	readSets := func() error {
		for range pending {
			kind, e, err := resp.Read(c.R)
			if err != nil {
				return err
			}
			switch kind {
			case resp.KindOK:
			case resp.KindError:
				st.setErrors++
				if st.firstErr == "" {
					st.firstErr = "SET: " + string(e)
				}
			default:
				return fmt.Errorf("SET: unexpected reply")
			}
		}
		st.sets += int64(len(pending))
		return nil
	}

	start := time.Now()
	lastReport := start
	for lo, n := 0, len(t.keys); lo < n; lo += batch {
		hi := min(lo+batch, n)
		buf = sendSets(buf[:0])
		for _, k := range t.keys[lo:hi] {
			buf = enc.Get(buf, int(k))
		}
		c.SetDeadline(time.Now().Add(batchDeadline))
		if _, err := c.Write(buf); err != nil {
			return st, err
		}
		if err := readSets(); err != nil {
			return st, err
		}
		missed = missed[:0]
		for _, k := range t.keys[lo:hi] {
			kind, e, err := resp.Read(c.R)
			if err != nil {
				return st, err
			}
			hit := false
			switch kind {
			case resp.KindValue:
				hit = true
			case resp.KindNil:
				if slices.Contains(missed, k) {
					hit = true
					st.dupHits++
				} else {
					missed = append(missed, k)
				}
			case resp.KindError:
				st.getErrors++
				if st.firstErr == "" {
					st.firstErr = "GET: " + string(e)
				}
			default:
				return st, fmt.Errorf("GET: unexpected reply")
			}
			st.gets++
			univ := int(k) < t.universe
			if univ {
				st.univGets++
			}
			if hit {
				st.hits++
				if univ {
					st.univHits++
				}
			}
		}
		pending, missed = missed, pending
		if every != nil && (lo/batch)%64 == 0 {
			if now := time.Now(); now.Sub(lastReport) >= time.Second {
				lastReport = now
				every(hi, st)
			}
		}
	}
	if len(pending) > 0 {
		c.SetDeadline(time.Now().Add(batchDeadline))
		if _, err := c.Write(sendSets(buf[:0])); err != nil {
			return st, err
		}
		if err := readSets(); err != nil {
			return st, err
		}
	}
	c.SetDeadline(time.Time{})
	st.wall = time.Since(start)
	return st, nil
}
