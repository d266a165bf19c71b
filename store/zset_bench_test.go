package store

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchZSet is a store with one sorted set of n 16-byte members with
// random scores, and the members' names.
func benchZSet(b *testing.B, n int) (*Store, [][]byte) {
	s, _ := newTestStore(b, Options{})
	rng := rand.New(rand.NewPCG(1, 2))
	members := make([][]byte, n)
	key := []byte("z")
	batch := make([]ZMember, 0, 1000)
	for i := range members {
		members[i] = []byte(fmt.Sprintf("member%010d", i))
		batch = append(batch, ZMember{Member: members[i], Score: float64(rng.IntN(1 << 30))})
		if len(batch) == cap(batch) || i == n-1 {
			withTx(s, key, true, func(tx Tx) { tx.ZAdd(key, 0, batch...) })
			batch = batch[:0]
		}
	}
	return s, members
}

const benchZN = 1_000_000

// BenchmarkZSet measures the sorted set operations on one set of 1M
// members: ZADD of a new member, ZSCORE, ZRANK, and ZRANGE of 10 members
// by rank and by score.
func BenchmarkZSet(b *testing.B) {
	s, members := benchZSet(b, benchZN)
	key := []byte("z")
	rng := rand.New(rand.NewPCG(3, 4))
	withTx(s, key, false, func(tx Tx) {
		sh, _ := tx.hashed(key)
		e, _, _ := sh.lookup(key, sh.hash(key), tx.now)
		z := sh.zviewOf(e.value()).z
		leaves, fill := 0, 0
		for _, p := range z.pages {
			if p != nil {
				leaves++
				fill += len(p)
			}
		}
		b.Logf("%d members: %.1f B/member in the tree and table (pages %.0f%% full, table %.0f%% full)",
			z.n, float64(z.bytes())/float64(z.n), 100*float64(fill)/float64(z.caps), 100*float64(z.used)/float64(len(z.fps)))
	})
	b.Run("ZADD", func(b *testing.B) {
		for i := range b.N {
			m := []byte(fmt.Sprintf("new%013d", i))
			withTx(s, key, true, func(tx Tx) { tx.ZAdd(key, 0, ZMember{Member: m, Score: float64(rng.IntN(1 << 30))}) })
		}
	})
	b.Run("ZADD-update", func(b *testing.B) {
		for range b.N {
			m := members[rng.IntN(len(members))]
			withTx(s, key, true, func(tx Tx) { tx.ZAdd(key, 0, ZMember{Member: m, Score: float64(rng.IntN(1 << 30))}) })
		}
	})
	b.Run("ZSCORE", func(b *testing.B) {
		for range b.N {
			m := members[rng.IntN(len(members))]
			withTx(s, key, false, func(tx Tx) { tx.ZScore(key, m) })
		}
	})
	b.Run("ZRANK", func(b *testing.B) {
		for range b.N {
			m := members[rng.IntN(len(members))]
			withTx(s, key, false, func(tx Tx) { tx.ZRank(key, m, false) })
		}
	})
	b.Run("ZRANGE-rank-10", func(b *testing.B) {
		for range b.N {
			r := rng.IntN(benchZN - 10)
			withTx(s, key, false, func(tx Tx) {
				tx.ZRangeByRank(key, r, r+9, false, func(ZMember) bool { return true })
			})
		}
	})
	b.Run("ZRANGE-score-10", func(b *testing.B) {
		for range b.N {
			min := float64(rng.IntN(1 << 30))
			withTx(s, key, false, func(tx Tx) {
				tx.ZRangeByScore(key, ZScoreRange{Min: min, Max: 1 << 31}, false, 0, 10, func(ZMember) bool { return true })
			})
		}
	})
}
