package main

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/redis/go-redis/v9"
)

// zsetWorkload is workload z: one sorted set of n 16-byte members, 20 a
// ZADD (a pipeline of them stays well under the client's read timeout on
// a loaded machine), with random scores (so that members land all over
// the order, as most sorted sets' inserts do, not appended at the end).
func zsetWorkload(ctx context.Context, n int) (int, func(p redis.Pipeliner, i int)) {
	cmds := (n + 19) / 20
	return cmds, func(p redis.Pipeliner, i int) {
		rng := rand.New(rand.NewPCG(uint64(i), 1))
		zs := make([]redis.Z, 0, 20)
		for j := i * 20; j < min(n, i*20+20); j++ {
			zs = append(zs, redis.Z{Score: float64(rng.IntN(1 << 30)), Member: fmt.Sprintf("member%010d", j)})
		}
		p.ZAdd(ctx, "bigzset", zs...)
	}
}
