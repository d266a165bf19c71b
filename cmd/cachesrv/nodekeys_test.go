package main

import (
	"context"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// nodeKeys returns the keys one node of a cluster holds (INFO keyspace):
// in proxy mode DBSIZE counts the whole cluster's.
func nodeKeys(ctx context.Context, c *redis.Client) (int64, error) {
	info, err := c.Info(ctx, "keyspace").Result()
	if err != nil {
		return 0, err
	}
	_, rest, ok := strings.Cut(info, "db0:keys=")
	if !ok {
		return 0, nil
	}
	n, _, _ := strings.Cut(rest, ",")
	return strconv.ParseInt(n, 10, 64)
}
