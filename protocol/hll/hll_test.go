package hll

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"
)

// addAll adds "ele:1".."ele:n" in order, as PFADD does, and then caches
// the count, as PFCOUNT does.
func addAll(t testing.TB, n int) []byte {
	b := New()
	for i := 1; i <= n; i++ {
		var err error
		var changed bool
		b, changed, err = Add(b, []byte(fmt.Sprintf("ele:%d", i)), DefaultSparseMaxBytes)
		if err != nil {
			t.Fatal(err)
		}
		if changed {
			Invalidate(b)
		}
	}
	card, err := Count(b)
	if err != nil {
		t.Fatal(err)
	}
	SetCached(b, card)
	return b
}

// The golden values come from redis-server 7.0.15: PFADD of
// "ele:1".."ele:n", PFCOUNT, then GET (sha256 of the bytes).
func TestMatchesRedisBytes(t *testing.T) {
	for _, c := range []struct {
		n     int
		count uint64
		enc   string
		sum   string
	}{
		{100, 100, "sparse", "13bb9d8e292013ecc521ac715948511c861c2109df21d15a31f0bb23bb2d080e"},
		{5000, 4992, "dense", "2f93820dc455f70c4160e98dfcbda23a852ca1561b956d969dd138db2f73e135"},
		{200000, 198311, "dense", "b11bc6ec69f80c1b835febff407b08f07d9e7f2b708894de77b1493fc59854b8"},
	} {
		b := addAll(t, c.n)
		card, _ := Cached(b)
		sum := sha256.Sum256(b)
		if card != c.count || Encoding(b) != c.enc || hex.EncodeToString(sum[:]) != c.sum {
			t.Errorf("n=%d: count %d enc %s sum %x; redis: %d %s %s", c.n, card, Encoding(b), sum, c.count, c.enc, c.sum)
		}
	}
	const redis3 = "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ"
	b := New()
	for _, e := range []string{"a", "b", "c"} {
		b, _, _ = Add(b, []byte(e), DefaultSparseMaxBytes)
	}
	Invalidate(b)
	if string(b) != redis3 {
		t.Errorf("PFADD a b c: %q, redis %q", b, redis3)
	}
}

func TestNewAndCheck(t *testing.T) {
	b := New()
	if err := Check(b); err != nil || Encoding(b) != "sparse" || Decode(b) != "Z:16384" {
		t.Fatalf("new: %v %s %q", err, Encoding(b), Decode(b))
	}
	if c, ok := Cached(b); !ok || c != 0 {
		t.Fatal("new HLL's cache should be a valid 0")
	}
	for _, bad := range [][]byte{nil, []byte("HYLL"), []byte("HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"),
		append([]byte("HYLL\x02"), make([]byte, 13)...), append([]byte("HYLL\x00"), make([]byte, 13)...)} {
		if Check(bad) != ErrNotHLL {
			t.Errorf("Check(%q) accepted", bad)
		}
	}
	d, err := ToDense(b)
	if err != nil || len(d) != DenseSize || Check(d) != nil || Encoding(d) != "dense" {
		t.Fatal("dense conversion", err)
	}
}

func TestRegistersRoundTrip(t *testing.T) {
	regs := make([]byte, DenseSize-HeaderSize)
	want := make([]uint8, Registers)
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 3; round++ {
		for i := range want {
			want[i] = uint8(r.IntN(64))
			setReg(regs, i, want[i])
		}
		for i := range want {
			if g := getReg(regs, i); g != want[i] {
				t.Fatalf("register %d: %d want %d", i, g, want[i])
			}
		}
		var h [64]int
		denseHisto(regs, &h)
		var w [64]int
		for _, v := range want {
			w[v]++
		}
		if h != w {
			t.Fatal("histogram differs")
		}
	}
}

// Sparse and dense encodings of the same adds agree on every register
// and on the count, whatever the order of promotion.
func TestSparseAgreesWithDense(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 10, 300, 2000, 20000} {
		s := New()
		d, _ := ToDense(New())
		for i := 0; i < n; i++ {
			e := []byte(fmt.Sprint(r.Uint64()))
			var c1, c2 bool
			var err error
			s, c1, err = Add(s, e, 1<<20) // never promoted for size
			if err != nil {
				t.Fatal(err)
			}
			d, c2, _ = Add(d, e, 0)
			if c1 != c2 {
				t.Fatalf("n=%d: changed %v (sparse) vs %v (dense)", n, c1, c2)
			}
		}
		sd, err := ToDense(s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(sd[HeaderSize:], d[HeaderSize:]) {
			t.Fatalf("n=%d: registers differ", n)
		}
		c1, _ := Count(s)
		c2, _ := Count(d)
		var m Max
		if err := MergeInto(&m, s); err != nil {
			t.Fatal(err)
		}
		if c1 != c2 || CountMax(&m) != c1 {
			t.Fatalf("n=%d: counts %d %d %d", n, c1, c2, CountMax(&m))
		}
	}
}

func TestSparsePromotesAtMaxBytes(t *testing.T) {
	b := New()
	for i := 0; Encoding(b) == "sparse"; i++ {
		if len(b) > 300 {
			t.Fatalf("sparse HLL of %d bytes past its limit", len(b))
		}
		b, _, _ = Add(b, []byte(fmt.Sprint(i)), 300)
	}
	if len(b) != DenseSize {
		t.Fatal(len(b))
	}
}

func TestCorrupt(t *testing.T) {
	b := New()
	b = append(b[:HeaderSize], 0x7f, 0xfe) // covers 16383 registers
	if _, err := Count(b); err != ErrCorrupt {
		t.Fatal("short sparse counted")
	}
	var m Max
	if MergeInto(&m, b) != ErrCorrupt {
		t.Fatal("short sparse merged")
	}
	if _, err := ToDense(b); err != ErrCorrupt {
		t.Fatal("short sparse converted")
	}
	// The last register is not covered: adding to it finds no opcode.
	for i := 0; i < 100000; i++ {
		e := []byte(fmt.Sprint(i))
		if idx, _ := patLen(e); idx == Registers-1 {
			if _, _, err := Add(b, e, 3000); err != ErrCorrupt {
				t.Fatal("add past the runs accepted")
			}
			return
		}
	}
	t.Fatal("no element for the last register")
}

func TestEstimateSmallSets(t *testing.T) {
	for _, n := range []int{0, 1, 2, 10, 1000} {
		b := New()
		for i := 0; i < n; i++ {
			b, _, _ = Add(b, []byte(fmt.Sprint("x", i)), 3000)
		}
		c, _ := Count(b)
		if d := int(c) - n; d < -n/50-1 || d > n/50+1 {
			t.Errorf("count of %d: %d", n, c)
		}
	}
}

func TestDecodeAndMergeStore(t *testing.T) {
	b := New()
	b, _, _ = Add(b, []byte("a"), 3000)
	if got := Decode(b); got == "" || got == "Z:16384" {
		t.Fatal(got)
	}
	var m Max
	_ = MergeInto(&m, b)
	out, err := Store(New(), &m, false, 3000)
	if err != nil || !bytes.Equal(out[HeaderSize:], b[HeaderSize:]) {
		t.Fatalf("store: %v %q %q", err, out, b)
	}
	out, _ = Store(New(), &m, true, 3000)
	d, _ := ToDense(b)
	if !bytes.Equal(out[HeaderSize:], d[HeaderSize:]) || Encoding(out) != "dense" {
		t.Fatal("dense store differs")
	}
}

func BenchmarkAddDense(b *testing.B) {
	h, _ := ToDense(New())
	e := []byte("element:000000000")
	for i := 0; i < b.N; i++ {
		e[len(e)-1] = byte(i)
		e[len(e)-2] = byte(i >> 8)
		h, _, _ = Add(h, e, 3000)
	}
}

func BenchmarkCountDense(b *testing.B) {
	h := addAll(b, 100000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Count(h)
	}
}

// A value too big for a VAL opcode turns a sparse HLL dense.
func TestSparsePromotesOnBigValue(t *testing.T) {
	b := New()
	b, _, _ = Add(b, []byte("a"), DefaultSparseMaxBytes)
	b, changed, err := sparseSet(b, 77, 40, DefaultSparseMaxBytes)
	if err != nil || !changed || Encoding(b) != "dense" || getReg(b[HeaderSize:], 77) != 40 {
		t.Fatalf("%v %v %s %d", err, changed, Encoding(b), getReg(b[HeaderSize:], 77))
	}
	if idx, v := patLen([]byte("a")); getReg(b[HeaderSize:], idx) != v {
		t.Fatal("earlier register lost in the conversion")
	}
}
