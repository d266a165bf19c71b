package main

import (
	"slices"
	"testing"
)

func testParams() traceParams {
	return traceParams{universe: 10_000, requests: 50_000, theta: 0.99, scanShare: 0.4, scanLen: 2_000,
		shiftEvery: 10_000, shiftBy: 1_000, seed: 7}
}

func mustTrace(t *testing.T, name string, p traceParams) *trace {
	t.Helper()
	tr, err := makeTrace(name, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.keys) != p.requests {
		t.Fatalf("%s: %d requests, want %d", name, len(tr.keys), p.requests)
	}
	return tr
}

// The same seed gives the same trace; another seed, another one; two
// traces with the same distribution are not the same draws.
func TestTracesDeterministic(t *testing.T) {
	p := testParams()
	for _, name := range []string{"zipf-0.99", "zipf-0.7", "zipf-1.2", "scan", "shift"} {
		a, b := mustTrace(t, name, p), mustTrace(t, name, p)
		if !slices.Equal(a.keys, b.keys) {
			t.Errorf("%s: two traces with seed %d differ", name, p.seed)
		}
		q := p
		q.seed++
		if c := mustTrace(t, name, q); slices.Equal(a.keys, c.keys) {
			t.Errorf("%s: seeds %d and %d give the same trace", name, p.seed, q.seed)
		}
	}
	z, s := mustTrace(t, "zipf-0.99", p), mustTrace(t, "shift", p)
	if slices.Equal(z.keys[:p.shiftEvery], s.keys[:p.shiftEvery]) {
		t.Error("zipf-0.99 and shift start with the same draws")
	}
}

func counts(keys []uint32) map[uint32]int {
	m := map[uint32]int{}
	for _, k := range keys {
		m[k]++
	}
	return m
}

// hottest returns the n most requested keys, most requested first.
func hottest(keys []uint32, n int) []uint32 {
	c := counts(keys)
	ks := make([]uint32, 0, len(c))
	for k := range c {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b uint32) int {
		if c[a] != c[b] {
			return c[b] - c[a]
		}
		return int(a) - int(b)
	})
	return ks[:min(n, len(ks))]
}

func TestZipfTraces(t *testing.T) {
	p := testParams()
	hi, lo := mustTrace(t, "zipf-0.99", p), mustTrace(t, "zipf-0.7", p)
	for _, tr := range []*trace{hi, lo} {
		if tr.scanReqs != 0 {
			t.Errorf("%s: %d scan requests", tr.name, tr.scanReqs)
		}
		for _, k := range tr.keys {
			if int(k) >= p.universe {
				t.Fatalf("%s: key %d outside the universe", tr.name, k)
			}
		}
		if h := hottest(tr.keys, 1)[0]; h != 0 {
			t.Errorf("%s: hottest key %d, want 0", tr.name, h)
		}
		if tr.distinct != len(counts(tr.keys)) {
			t.Errorf("%s: distinct %d, counted %d", tr.name, tr.distinct, len(counts(tr.keys)))
		}
	}
	// The flatter distribution touches more keys and repeats fewer.
	if lo.distinct <= hi.distinct || lo.bestHitRatio() >= hi.bestHitRatio() {
		t.Errorf("zipf-0.7 has %d distinct keys, zipf-0.99 %d", lo.distinct, hi.distinct)
	}
	if _, err := makeTrace("zipf-x", p); err == nil {
		t.Error("zipf-x accepted")
	}
	if _, err := makeTrace("zipf-1", p); err == nil {
		t.Error("zipf-1 accepted")
	}
	if _, err := makeTrace("loop", p); err == nil {
		t.Error("unknown trace accepted")
	}
}

// In the shift trace each period's hottest key is the rank-0 key moved
// by the offset so far, and the hot sets of consecutive periods barely
// overlap.
func TestShiftTraceShifts(t *testing.T) {
	p := testParams()
	tr := mustTrace(t, "shift", p)
	periods := p.requests / p.shiftEvery
	var prev []uint32
	for i := range periods {
		part := tr.keys[i*p.shiftEvery : (i+1)*p.shiftEvery]
		hot := hottest(part, 20)
		if want := uint32((i * p.shiftBy) % p.universe); hot[0] != want {
			t.Errorf("period %d: hottest key %d, want %d", i, hot[0], want)
		}
		if prev != nil {
			common := 0
			for _, k := range hot {
				if slices.Contains(prev, k) {
					common++
				}
			}
			if common > 2 {
				t.Errorf("period %d shares %d of its 20 hottest keys with period %d", i, common, i-1)
			}
		}
		prev = hot
	}
}

// The scan trace holds the asked share of scan keys, each requested
// once, in ascending runs of -scan-len interleaved with Zipf requests.
func TestScanTraceHasScans(t *testing.T) {
	p := testParams()
	tr := mustTrace(t, "scan", p)
	if share := float64(tr.scanReqs) / float64(len(tr.keys)); share < p.scanShare-0.01 || share > p.scanShare+0.01 {
		t.Errorf("scan share %.3f, want %.2f", share, p.scanShare)
	}
	next := uint32(p.universe)
	lastScan := -1
	scans, inScan := 0, 0
	for i, k := range tr.keys {
		if int(k) < p.universe {
			continue
		}
		if k != next {
			t.Fatalf("request %d: scan key %d, want %d (ascending, each once)", i, k, next)
		}
		next++
		if lastScan >= 0 && i-lastScan == 2 && inScan < p.scanLen {
			inScan++ // the same scan: one Zipf request in between
		} else {
			if scans > 0 && inScan != p.scanLen {
				t.Errorf("scan %d had %d keys, want %d", scans, inScan, p.scanLen)
			}
			scans, inScan = scans+1, 1
		}
		lastScan = i
	}
	// 50k requests in cycles of 5000: 3000 Zipf, then 2000 scan keys interleaved 1:1.
	if want := p.requests / (p.scanLen * 5 / 2); scans != want {
		t.Errorf("%d scans, want %d", scans, want)
	}
	if tr.distinct < tr.scanReqs {
		t.Errorf("%d distinct keys for %d scan requests", tr.distinct, tr.scanReqs)
	}
	p.scanShare = 0.6
	if _, err := makeTrace("scan", p); err == nil {
		t.Error("scan share 0.6 accepted")
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1234": 1234, "32mb": 32 << 20, "1GB": 1 << 30, "100m": 100e6, "64k": 64e3, "10b": 10} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "mb", "-1", "1.5mb", "12tb"} {
		if _, err := parseSize(bad); err == nil {
			t.Errorf("parseSize(%q) accepted", bad)
		}
	}
}
