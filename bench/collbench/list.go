package main

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

// listWorkload is workload l: one list of n 16-byte elements, pushed at
// the tail 100 to an RPUSH (a quicklist of many pages in both servers).
func listWorkload(ctx context.Context, n int) (int, func(p redis.Pipeliner, i int)) {
	cmds := (n + 99) / 100
	return cmds, func(p redis.Pipeliner, i int) {
		args := make([]any, 0, 100)
		for j := i * 100; j < min(n, i*100+100); j++ {
			args = append(args, fmt.Sprintf("element%09d", j))
		}
		p.RPush(ctx, "biglist", args...)
	}
}
