package protocol

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// TestMigrate moves keys with MIGRATE from cachesrv to another cachesrv
// and to a real redis-server, and checks Redis's replies for every option
// and failure: COPY, REPLACE, KEYS, NOKEY, the target's BUSYKEY and
// authentication errors, an unreachable target.
func TestMigrate(t *testing.T) {
	src := startServer(t).client(t)
	dstServer := startServer(t, withPassword("secret"))
	targets := map[string]string{"cachesrv": dstServer.addr}
	if servertest.HaveTool(t, "redis-server") {
		targets["redis"] = servertest.RedisServer(t)
	}
	for name, addr := range targets {
		t.Run(name, func(t *testing.T) {
			host, port, _ := net.SplitHostPort(addr)
			dst := redis.NewClient(&redis.Options{Addr: addr, Password: map[string]string{"cachesrv": "secret"}[name]})
			defer dst.Close()
			auth := []any{}
			if name == "cachesrv" {
				auth = []any{"AUTH", "secret"}
			} else {
				dst.FlushAll(ctx)
			}
			migrate := func(args ...any) (string, error) {
				all := append([]any{"MIGRATE", host, port}, args[:3]...) // key, db, timeout
				all = append(append(all, auth...), args[3:]...)
				return src.Do(ctx, all...).Text()
			}

			must(t, src.Set(ctx, "s", "v", time.Hour).Err())
			must(t, src.HSet(ctx, "h", "f1", "a", "f2", "b").Err())
			if r, err := migrate("s", 0, 5000); r != "OK" || err != nil {
				t.Fatalf("MIGRATE s = %q, %v", r, err)
			}
			if src.Exists(ctx, "s").Val() != 0 {
				t.Error("s still here after MIGRATE")
			}
			if v := dst.Get(ctx, "s").Val(); v != "v" {
				t.Errorf("target's s = %q", v)
			}
			if ttl := dst.TTL(ctx, "s").Val(); ttl < 59*time.Minute || ttl > time.Hour {
				t.Errorf("target's TTL of s = %v, want about an hour", ttl)
			}

			// COPY keeps the source's; without REPLACE an existing key is
			// the target's BUSYKEY error.
			must(t, src.Set(ctx, "s", "v2", 0).Err())
			if _, err := migrate("s", 0, 5000, "COPY"); err == nil || err.Error() != "ERR Target instance replied with error: BUSYKEY Target key name already exists." {
				t.Errorf("MIGRATE COPY onto an existing key: %v", err)
			}
			if r, err := migrate("s", 0, 5000, "COPY", "REPLACE"); r != "OK" || err != nil {
				t.Errorf("MIGRATE COPY REPLACE = %q, %v", r, err)
			}
			if src.Get(ctx, "s").Val() != "v2" || dst.Get(ctx, "s").Val() != "v2" {
				t.Error("COPY REPLACE: want v2 on both sides")
			}

			// KEYS: several at once, missing ones skipped.
			if r, err := migrate("", 0, 5000, "REPLACE", "KEYS", "h", "s", "nokey"); r != "OK" || err != nil {
				t.Errorf("MIGRATE KEYS = %q, %v", r, err)
			}
			if got := dst.HGetAll(ctx, "h").Val(); got["f1"] != "a" || got["f2"] != "b" || src.Exists(ctx, "h", "s").Val() != 0 {
				t.Errorf("after MIGRATE KEYS: target h = %v, source still has %d", got, src.Exists(ctx, "h", "s").Val())
			}
			if r, err := migrate("nokey", 0, 5000); r != "NOKEY" || err != nil {
				t.Errorf("MIGRATE of a missing key = %q, %v; want NOKEY", r, err)
			}
		})
	}

	// Errors that never reach a target.
	for _, c := range []struct {
		args []any
		want string
	}{
		{[]any{"MIGRATE", "127.0.0.1", "1", "k", 0, 100, "KEYS", "a"}, "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"},
		{[]any{"MIGRATE", "127.0.0.1", "1", "k", 0, 100, "BOGUS"}, "ERR syntax error"},
		{[]any{"MIGRATE", "127.0.0.1", "1", "k", 0, 100, "AUTH2", "u"}, "ERR syntax error"},
		{[]any{"MIGRATE", "127.0.0.1", "1", "k", "x", 100}, "ERR value is not an integer or out of range"},
	} {
		if err := src.Do(ctx, c.args...).Err(); err == nil || err.Error() != c.want {
			t.Errorf("%v: %v, want %q", c.args, err, c.want)
		}
	}
	// A target that is not there: Redis's IOERR, and the key stays.
	must(t, src.Set(ctx, "k", "v", 0).Err())
	port := servertest.FreePorts(t, 1)[0]
	err := src.Do(ctx, "MIGRATE", "127.0.0.1", port, "k", 0, 500).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "IOERR ") || src.Get(ctx, "k").Val() != "v" {
		t.Errorf("MIGRATE to a closed port: %v, key %q", err, src.Get(ctx, "k").Val())
	}
}
