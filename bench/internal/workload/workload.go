// Package workload is what the bench commands run: key names, values, key
// choice under a uniform or Zipf distribution, read/write ratios, and the
// comma-separated lists their flags take.
package workload

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
)

// KeyPrefix starts every benchmark key; keys are KeyPrefix and a
// zero-padded 12-digit index, as redis-benchmark's "key:__rand_int__".
const KeyPrefix = "key:"

// AppendKey appends the name of key i to dst without allocating.
func AppendKey(dst []byte, i int) []byte {
	dst = append(dst, KeyPrefix...)
	var d [12]byte
	for j := len(d) - 1; j >= 0; j-- {
		d[j] = byte('0' + i%10)
		i /= 10
	}
	return append(dst, d[:]...)
}

// Value returns a value of n printable bytes.
func Value(n int) []byte {
	v := make([]byte, n)
	for i := range v {
		v[i] = byte('a' + i%26)
	}
	return v
}

// Dist names a key distribution: "uniform" or "zipf".
type Dist string

const (
	Uniform Dist = "uniform"
	Zipf    Dist = "zipf"
)

// DefaultTheta is the Zipf exponent used unless told otherwise: 0.99, as
// in YCSB, where the hottest of 100k keys takes about 8% of requests.
const DefaultTheta = 0.99

// Keys is a key space of N keys and how they are chosen. It is read-only
// once built, so one Keys serves any number of goroutines, each with its
// own Sampler.
type Keys struct {
	N     int
	Dist  Dist
	Theta float64

	// Gray et al.'s constants for 0 < theta < 1 (see Sampler.Next).
	zetan, eta, alpha, half float64
}

// NewKeys prepares a key space. For Zipf the exponent theta must be
// positive and not 1. math/rand/v2's Zipf needs theta > 1, so for the
// usual 0.99 this uses the method of Gray et al., "Quickly generating
// billion-record synthetic databases" (SIGMOD 1994), as YCSB does; it
// computes a sum over all N keys once, here.
func NewKeys(n int, dist Dist, theta float64) (*Keys, error) {
	if n < 2 {
		return nil, fmt.Errorf("need at least 2 keys, got %d", n)
	}
	k := &Keys{N: n, Dist: dist, Theta: theta}
	switch dist {
	case Uniform:
	case Zipf:
		if theta <= 0 || theta == 1 || math.IsNaN(theta) {
			return nil, fmt.Errorf("zipf exponent must be > 0 and != 1, got %v", theta)
		}
		if theta < 1 {
			for i := 1; i <= n; i++ {
				k.zetan += 1 / math.Pow(float64(i), theta)
			}
			zeta2 := 1 + math.Pow(0.5, theta)
			k.alpha = 1 / (1 - theta)
			k.eta = (1 - math.Pow(2/float64(n), 1-theta)) / (1 - zeta2/k.zetan)
			k.half = math.Pow(0.5, theta)
		}
	default:
		return nil, fmt.Errorf("unknown distribution %q (want uniform or zipf)", dist)
	}
	return k, nil
}

// HottestShare is the fraction of requests that go to the most popular
// key (1/N for uniform).
func (k *Keys) HottestShare() float64 {
	switch {
	case k.Dist == Uniform:
		return 1 / float64(k.N)
	case k.Theta < 1:
		return 1 / k.zetan
	default:
		var z float64
		for i := 1; i <= k.N; i++ {
			z += 1 / math.Pow(float64(i), k.Theta)
		}
		return 1 / z
	}
}

// Sampler draws key indexes; one per goroutine, it is not safe for
// concurrent use.
type Sampler struct {
	k    *Keys
	r    *rand.Rand
	zipf *rand.Zipf // theta > 1
}

// Sampler returns a sampler seeded with seed.
func (k *Keys) Sampler(seed uint64) *Sampler {
	s := &Sampler{k: k, r: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
	if k.Dist == Zipf && k.Theta > 1 {
		s.zipf = rand.NewZipf(s.r, k.Theta, 1, uint64(k.N-1))
	}
	return s
}

// Rand is the sampler's random source, for the caller's other choices
// (read or write) so that one goroutine needs one generator.
func (s *Sampler) Rand() *rand.Rand { return s.r }

// Next returns a key index in [0, N); under Zipf, index 0 is the hottest.
func (s *Sampler) Next() int {
	k := s.k
	if k.Dist == Uniform {
		return int(s.r.Uint64N(uint64(k.N)))
	}
	if s.zipf != nil {
		return int(s.zipf.Uint64())
	}
	u := s.r.Float64()
	uz := u * k.zetan
	if uz < 1 {
		return 0
	}
	if uz < 1+k.half {
		return 1
	}
	i := int(float64(k.N) * math.Pow(k.eta*u-k.eta+1, k.alpha))
	return min(i, k.N-1)
}

// ParseRatio reads a GET:SET ratio such as "9:1", "1:0" or "50:50" and
// returns the share of reads.
func ParseRatio(s string) (float64, error) {
	g, w, ok := strings.Cut(s, ":")
	gets, err1 := strconv.ParseFloat(g, 64)
	sets, err2 := strconv.ParseFloat(w, 64)
	if !ok || err1 != nil || err2 != nil || gets < 0 || sets < 0 || gets+sets == 0 {
		return 0, fmt.Errorf("bad ratio %q: want GET:SET, such as 9:1 or 1:0", s)
	}
	return gets / (gets + sets), nil
}

// ParseInts reads a comma-separated list of positive integers.
func ParseInts(s string) ([]int, error) {
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad list %q: want positive integers separated by commas", s)
		}
		out = append(out, n)
	}
	return out, nil
}

// ParseList splits a comma-separated list of words.
func ParseList(s string) []string {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
