package protocol

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

// TestDumpRestoreWithRedis: values DUMPed by redis-server RESTORE here,
// and values DUMPed here RESTORE into redis-server, for strings (raw,
// integer, LZF-compressed), hashes and sets in each of Redis's encodings.
func TestDumpRestoreWithRedis(t *testing.T) {
	redisAddr := servertest.RedisServer(t)
	ts := startServer(t)
	r := redis.NewClient(&redis.Options{Addr: redisAddr, Protocol: 2})
	defer r.Close()
	c := ts.client(t)
	fill := func(x redis.Cmdable) {
		x.Set(ctx, "str", "hello", 0)
		x.Set(ctx, "int", "-70000", 0)
		x.Set(ctx, "long", strings.Repeat("abc", 100), 0) // LZF in Redis
		x.HSet(ctx, "hsmall", "a", "1", "b", "hello", "c", "-200", "d", "100000")
		x.HSet(ctx, "hbig", "f", strings.Repeat("x", 100), "g", "1")
		x.SAdd(ctx, "sint", 1, 2, 3, -70000)
		x.SAdd(ctx, "sstr", "a", "b", "c")
		var many []any
		for i := range 300 {
			many = append(many, fmt.Sprintf("m%d", i))
		}
		x.SAdd(ctx, "sbig", many...)
		x.Set(ctx, "ttl", "v", time.Hour)
		x.RPush(ctx, "lsmall", "a", "-5", "70000", "")
		big := []any{strings.Repeat("p", 9000)} // a PLAIN quicklist node in Redis
		for i := range 2000 {
			big = append(big, fmt.Sprintf("e%d", i))
		}
		x.RPush(ctx, "lbig", big...)
	}
	keys := []string{"str", "int", "long", "hsmall", "hbig", "sint", "sstr", "sbig", "ttl", "lsmall", "lbig"}
	describe := func(x redis.Cmdable, k string) string {
		switch x.Type(ctx, k).Val() {
		case "string":
			return "string " + x.Get(ctx, k).Val()
		case "hash":
			m := x.HGetAll(ctx, k).Val()
			var fs []string
			for f, v := range m {
				fs = append(fs, f+"="+v)
			}
			sort.Strings(fs)
			return "hash " + strings.Join(fs, ",")
		case "set":
			ms := x.SMembers(ctx, k).Val()
			sort.Strings(ms)
			return "set " + strings.Join(ms, ",")
		case "list":
			return "list " + strings.Join(x.LRange(ctx, k, 0, -1).Val(), ",")
		}
		return "none"
	}
	for _, dir := range []struct {
		name     string
		from, to *redis.Client
	}{{"redis to cachesrv", r, c}, {"cachesrv to redis", c, r}} {
		dir.from.FlushAll(ctx)
		dir.to.FlushAll(ctx)
		fill(dir.from)
		for _, k := range keys {
			payload, err := dir.from.Dump(ctx, k).Result()
			if err != nil {
				t.Fatalf("%s: DUMP %s: %v", dir.name, k, err)
			}
			if err := dir.to.Restore(ctx, k, 0, payload).Err(); err != nil {
				t.Errorf("%s: RESTORE %s: %v", dir.name, k, err)
				continue
			}
			if got, want := describe(dir.to, k), describe(dir.from, k); got != want {
				t.Errorf("%s: %s restored as %q, want %q", dir.name, k, got, want)
			}
		}
	}
	// The same errors, in the same order, as Redis.
	r.Set(ctx, "x", "1", 0)
	c.Set(ctx, "x", "1", 0)
	good, _ := r.Dump(ctx, "x").Result()
	bad := []byte(good)
	bad[1] ^= 1
	for _, args := range [][]any{
		{"RESTORE", "x", 0, good},
		{"RESTORE", "x", -1, good, "REPLACE"},
		{"RESTORE", "x", "ten", good, "REPLACE"},
		{"RESTORE", "y", 0, string(bad)},
		{"RESTORE", "y", 0, "short"},
		{"RESTORE", "y", 0, good, "FREQ", 300},
		{"RESTORE", "y", 0, good, "IDLETIME", -1},
		{"RESTORE", "y", 0, good, "IDLETIME", 1, "FREQ", 1},
		{"RESTORE", "y", 0, good, "NOPE"},
		{"RESTORE", "y", 1, good, "ABSTTL"},
		{"DUMP", "missing"},
	} {
		want := fmt.Sprint(r.Do(ctx, args...).Result())
		if got := fmt.Sprint(c.Do(ctx, args...).Result()); got != want {
			t.Errorf("%v: %s, Redis %s", args[:3], got, want)
		}
	}
}
