package workload

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
)

func TestAppendKey(t *testing.T) {
	if got := string(AppendKey([]byte("x"), 42)); got != "xkey:000000000042" {
		t.Fatalf("got %q", got)
	}
	if n := testing.AllocsPerRun(100, func() { AppendKey(make([]byte, 0, 32)[:0], 7) }); n > 1 {
		t.Fatalf("%v allocs", n)
	}
}

// The Zipf sampler's hottest key gets the share the distribution says,
// and indexes stay in range.
func TestZipfShares(t *testing.T) {
	for _, theta := range []float64{0.99, 0.5, 1.2} {
		k, err := NewKeys(1000, Zipf, theta)
		if err != nil {
			t.Fatal(err)
		}
		s := k.Sampler(1)
		const n = 200_000
		hits := 0
		for range n {
			i := s.Next()
			if i < 0 || i >= k.N {
				t.Fatalf("index %d out of range", i)
			}
			if i == 0 {
				hits++
			}
		}
		got, want := float64(hits)/n, k.HottestShare()
		if math.Abs(got-want) > 0.15*want {
			t.Errorf("theta %v: hottest share %.4f, want about %.4f", theta, got, want)
		}
	}
}

func TestUniformCoversRange(t *testing.T) {
	k, _ := NewKeys(10, Uniform, 0)
	s := k.Sampler(3)
	seen := map[int]bool{}
	for range 1000 {
		seen[s.Next()] = true
	}
	if len(seen) != 10 {
		t.Fatalf("saw %d of 10 keys", len(seen))
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]float64{"9:1": 0.9, "1:0": 1, "0:1": 0, "50:50": 0.5} {
		if got, err := ParseRatio(in); err != nil || got != want {
			t.Errorf("ParseRatio(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "1", "0:0", "a:b", "-1:2"} {
		if _, err := ParseRatio(bad); err == nil {
			t.Errorf("ParseRatio(%q) accepted", bad)
		}
	}
	if l, err := ParseInts("1, 2,64"); err != nil || len(l) != 3 || l[2] != 64 {
		t.Errorf("ParseInts: %v %v", l, err)
	}
	if _, err := ParseInts("1,0"); err == nil {
		t.Error("ParseInts accepted 0")
	}
	if _, err := NewKeys(100, Zipf, 1); err == nil {
		t.Error("zipf exponent 1 accepted")
	}
	if _, err := NewKeys(100, "gauss", 0); err == nil {
		t.Error("unknown distribution accepted")
	}
}

func TestEncoder(t *testing.T) {
	e := NewEncoder([]byte("vv"))
	got := string(e.Set(e.Get(nil, 7), 8))
	want := "*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000007\r\n*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000008\r\n$2\r\nvv\r\n"
	if got != want {
		t.Fatalf("got %q", got)
	}
}

func TestBatches(t *testing.T) {
	var mu sync.Mutex
	seen := make([]int, 1000)
	err := Batches(4, len(seen), 7, func(w, lo, hi int) error {
		if w < 0 || w >= 4 || hi-lo > 7 || lo >= hi {
			return fmt.Errorf("worker %d got [%d, %d)", w, lo, hi)
		}
		mu.Lock()
		for i := lo; i < hi; i++ {
			seen[i]++
		}
		mu.Unlock()
		return nil
	}, func(int64) {})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("index %d done %d times", i, n)
		}
	}
	boom := errors.New("boom")
	calls := atomic.Int64{}
	err = Batches(3, 1_000_000, 10, func(w, lo, hi int) error {
		if calls.Add(1) == 5 {
			return boom
		}
		return nil
	}, func(int64) {})
	if err != boom || calls.Load() > 1000 {
		t.Fatalf("after a failure: err %v, %d batches run", err, calls.Load())
	}
}
