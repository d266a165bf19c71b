package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
)

// The benchmarks drive the store the way the server does: each operation
// locks its key's shard, works through a Tx and copies the value out
// before unlocking.

const (
	benchKeys   = 100_000
	benchValLen = 100
)

var benchShards = []int{1, 16, 256}

type benchEnv struct {
	s    *Store
	keys [][]byte
	val  []byte
}

// benchEnvs caches the preloaded stores: testing runs each benchmark
// function several times while it sizes b.N, and loading 100k keys each
// time would dominate the run. Every benchmark leaves the keys and their
// value sizes as it found them, except SetResize, which gets its own.
var benchEnvs = map[string]*benchEnv{}

func newBenchEnv(b *testing.B, shards int) *benchEnv {
	b.Helper()
	name := fmt.Sprint(b.Name(), shards)
	if strings.HasPrefix(b.Name(), "BenchmarkGet") || strings.HasPrefix(b.Name(), "BenchmarkSet/") || strings.HasPrefix(b.Name(), "BenchmarkMixed") {
		name = fmt.Sprint("plain", shards)
	}
	if env := benchEnvs[name]; env != nil {
		return env
	}
	s, err := New(Options{Shards: shards})
	if err != nil {
		b.Fatal(err)
	}
	env := &benchEnv{s: s, keys: make([][]byte, benchKeys), val: make([]byte, benchValLen)}
	for i := range env.val {
		env.val[i] = byte('a' + i%26)
	}
	for i := range env.keys {
		env.keys[i] = fmt.Appendf(nil, "key:%08d", i)
		withTx(s, env.keys[i], true, func(t Tx) { t.Set(env.keys[i], env.val, 0) })
	}
	benchEnvs[name] = env
	return env
}

func (env *benchEnv) get(key, buf []byte) []byte {
	i := env.s.ShardOf(key)
	env.s.LockShard(i, false)
	v, _ := env.s.Tx().Get(key)
	buf = append(buf[:0], v...)
	env.s.UnlockShard(i, false)
	return buf
}

func (env *benchEnv) set(key []byte) {
	i := env.s.ShardOf(key)
	env.s.LockShard(i, true)
	env.s.Tx().Set(key, env.val, 0)
	env.s.UnlockShard(i, true)
}

var benchSeed atomic.Uint64

func benchRand() *rand.Rand { return rand.New(rand.NewPCG(benchSeed.Add(1), 7)) }

func BenchmarkGet(b *testing.B) {
	for _, shards := range benchShards {
		b.Run(fmt.Sprint("shards=", shards), func(b *testing.B) {
			env := newBenchEnv(b, shards)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				r := benchRand()
				buf := make([]byte, 0, benchValLen)
				for pb.Next() {
					buf = env.get(env.keys[r.IntN(benchKeys)], buf)
				}
			})
		})
	}
}

func BenchmarkSet(b *testing.B) {
	for _, shards := range benchShards {
		b.Run(fmt.Sprint("shards=", shards), func(b *testing.B) {
			env := newBenchEnv(b, shards)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				r := benchRand()
				for pb.Next() {
					env.set(env.keys[r.IntN(benchKeys)])
				}
			})
		})
	}
}

// BenchmarkMixed is 90% GET, 10% SET.
func BenchmarkMixed(b *testing.B) {
	for _, shards := range benchShards {
		b.Run(fmt.Sprint("shards=", shards), func(b *testing.B) {
			env := newBenchEnv(b, shards)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				r := benchRand()
				buf := make([]byte, 0, benchValLen)
				for pb.Next() {
					key := env.keys[r.IntN(benchKeys)]
					if r.IntN(10) == 0 {
						env.set(key)
					} else {
						buf = env.get(key, buf)
					}
				}
			})
		})
	}
}

// BenchmarkSetResize overwrites with alternating sizes, so every write
// moves its entry and chunks keep being compacted.
func BenchmarkSetResize(b *testing.B) {
	for _, shards := range benchShards {
		b.Run(fmt.Sprint("shards=", shards), func(b *testing.B) {
			env := newBenchEnv(b, shards)
			long := make([]byte, 3*benchValLen)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				r := benchRand()
				for pb.Next() {
					key := env.keys[r.IntN(benchKeys)]
					v := env.val
					if r.IntN(2) == 0 {
						v = long
					}
					i := env.s.ShardOf(key)
					env.s.LockShard(i, true)
					env.s.Tx().Set(key, v, 0)
					env.s.UnlockShard(i, true)
				}
			})
		})
	}
}
