package main

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/workload"
)

// trace is a request stream: the key index of each GET, in order. Keys
// 0..universe-1 are the popular (Zipf) key space, with 0 the hottest
// unless the trace shifts; scan keys are numbered from universe upward
// and each appears once.
type trace struct {
	name     string
	desc     string
	universe int
	keys     []uint32
	scanReqs int // requests to scan keys (index >= universe)
	distinct int // distinct keys requested: the misses even an unbounded cache takes
}

// bestHitRatio is the hit ratio of a cache that never evicts: every
// request but the first to each key hits.
func (t *trace) bestHitRatio() float64 {
	return 1 - float64(t.distinct)/float64(len(t.keys))
}

// traceParams is what every generator needs.
type traceParams struct {
	universe   int     // keys in the Zipf key space
	requests   int     // requests per trace
	theta      float64 // Zipf exponent of the scan and shift traces
	scanShare  float64 // scan: share of all requests that go to scan keys
	scanLen    int     // scan: keys per scan
	shiftEvery int     // shift: requests between moves of the popular set
	shiftBy    int     // shift: how far the popular set moves each time, in keys
	seed       uint64
}

// traceSeed derives a trace's seed from the run's seed and the trace's
// name, so that each trace is reproducible on its own and two traces with
// the same exponent are not the same draws.
func traceSeed(seed uint64, name string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return seed ^ h.Sum64()
}

// checkTraceName reports whether makeTrace knows name, without
// generating anything; for zipf-<theta> it returns theta.
func checkTraceName(name string) (theta float64, err error) {
	switch {
	case strings.HasPrefix(name, "zipf-"):
		theta, err := strconv.ParseFloat(strings.TrimPrefix(name, "zipf-"), 64)
		if err != nil || theta <= 0 || theta == 1 {
			return 0, fmt.Errorf("trace %q: want zipf-<exponent>, an exponent > 0 and != 1, such as zipf-0.99", name)
		}
		return theta, nil
	case name == "scan", name == "shift":
		return 0, nil
	}
	return 0, fmt.Errorf("unknown trace %q (want zipf-<exponent>, scan or shift)", name)
}

// makeTrace generates the named trace: zipf-<theta>, scan or shift.
func makeTrace(name string, p traceParams) (*trace, error) {
	theta, err := checkTraceName(name)
	if err != nil {
		return nil, err
	}
	seed := traceSeed(p.seed, name)
	switch name {
	case "scan":
		return scanTrace(name, p.universe, p.requests, p.theta, p.scanShare, p.scanLen, seed)
	case "shift":
		return shiftTrace(name, p.universe, p.requests, p.theta, p.shiftEvery, p.shiftBy, seed)
	}
	return zipfTrace(name, p.universe, p.requests, theta, seed)
}

func zipfSampler(universe int, theta float64, seed uint64) (*workload.Sampler, error) {
	k, err := workload.NewKeys(universe, workload.Zipf, theta)
	if err != nil {
		return nil, err
	}
	return k.Sampler(seed), nil
}

// zipfTrace draws every request from Zipf(theta) over the universe.
func zipfTrace(name string, universe, requests int, theta float64, seed uint64) (*trace, error) {
	s, err := zipfSampler(universe, theta, seed)
	if err != nil {
		return nil, err
	}
	t := &trace{name: name, universe: universe, keys: make([]uint32, requests),
		desc: fmt.Sprintf("Zipf(%g) over %s keys", theta, si(universe))}
	for i := range t.keys {
		t.keys[i] = uint32(s.Next())
	}
	t.finish()
	return t, nil
}

// scanTrace is Zipf(theta) traffic with one-pass sequential scans over
// fresh keys that are never requested again. The trace repeats a cycle:
// first a gap of Zipf requests only, then a scan of scanLen keys during
// which scan requests and Zipf requests alternate (a scan running beside
// normal traffic). The gap is sized so that scan keys make up share of
// all requests; share is at most 0.5 (no gap at all).
func scanTrace(name string, universe, requests int, theta, share float64, scanLen int, seed uint64) (*trace, error) {
	if !(share > 0 && share <= 0.5) {
		return nil, fmt.Errorf("scan share must be in (0, 0.5], got %v", share)
	}
	if scanLen < 1 {
		return nil, fmt.Errorf("scan length must be positive, got %d", scanLen)
	}
	s, err := zipfSampler(universe, theta, seed)
	if err != nil {
		return nil, err
	}
	gap := int(float64(scanLen)/share+0.5) - 2*scanLen
	t := &trace{name: name, universe: universe, keys: make([]uint32, 0, requests),
		desc: fmt.Sprintf("Zipf(%g) over %s keys; every %s requests a one-pass scan of %s fresh keys interleaved 1:1 with it (%.0f%% of requests)",
			theta, si(universe), si(gap+2*scanLen), si(scanLen), 100*share)}
	next := universe // the next fresh scan key
	if uint64(universe)+uint64(float64(requests)*share)+uint64(scanLen) >= 1<<32 {
		return nil, fmt.Errorf("scan trace too large for 32-bit key indexes")
	}
	for len(t.keys) < requests {
		for i := 0; i < gap && len(t.keys) < requests; i++ {
			t.keys = append(t.keys, uint32(s.Next()))
		}
		for i := 0; i < scanLen && len(t.keys) < requests; i++ {
			t.keys = append(t.keys, uint32(next))
			next++
			if len(t.keys) < requests {
				t.keys = append(t.keys, uint32(s.Next()))
			}
		}
	}
	t.finish()
	return t, nil
}

// shiftTrace is Zipf(theta) whose popular set moves: the key of rank r
// is (r + offset) mod universe, and offset grows by by every every
// requests. After a move the hottest keys are ones that were cold
// before, and the old hot keys become the coldest.
func shiftTrace(name string, universe, requests int, theta float64, every, by int, seed uint64) (*trace, error) {
	if every < 1 || by < 1 {
		return nil, fmt.Errorf("shift period and distance must be positive, got %d and %d", every, by)
	}
	s, err := zipfSampler(universe, theta, seed)
	if err != nil {
		return nil, err
	}
	t := &trace{name: name, universe: universe, keys: make([]uint32, requests),
		desc: fmt.Sprintf("Zipf(%g) over %s keys; every %s requests the ranking moves by %s keys (new hot keys were cold)",
			theta, si(universe), si(every), si(by))}
	offset := 0
	for i := range t.keys {
		if i > 0 && i%every == 0 {
			offset = (offset + by) % universe
		}
		t.keys[i] = uint32((s.Next() + offset) % universe)
	}
	t.finish()
	return t, nil
}

// finish counts scan requests and distinct keys.
func (t *trace) finish() {
	maxKey := uint32(0)
	for _, k := range t.keys {
		maxKey = max(maxKey, k)
	}
	seen := make([]uint64, int(maxKey)/64+1)
	t.scanReqs, t.distinct = 0, 0
	for _, k := range t.keys {
		if int(k) >= t.universe {
			t.scanReqs++
		}
		if w, b := k/64, uint64(1)<<(k%64); seen[w]&b == 0 {
			seen[w] |= b
			t.distinct++
		}
	}
}

func si(n int) string { return report.SI(float64(n)) }
