package protocol

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

const oomMsg = "OOM command not allowed when used memory > 'maxmemory'."

// infoInt reads one integer field of INFO.
func infoInt(t testing.TB, c *redis.Client, section, field string) int64 {
	t.Helper()
	info, err := c.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("INFO %s = %q", field, v)
			}
			return n
		}
	}
	t.Fatalf("INFO %s has no %s", section, field)
	return 0
}

// Under noeviction a full server refuses writes with Redis's OOM error,
// keeps serving reads and deletes, and keeps every key.
func TestMaxMemoryNoEviction(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	ctx := context.Background()
	for _, kv := range [][2]string{{"maxmemory", "1mb"}, {"maxmemory-policy", "noeviction"}} {
		if err := c.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	val := strings.Repeat("v", 100)
	var written int
	for ; written < 100000; written++ {
		err := c.Set(ctx, fmt.Sprint("key:", written), val, 0).Err()
		if err != nil {
			if err.Error() != oomMsg {
				t.Fatalf("write %d: %v", written, err)
			}
			break
		}
	}
	if written == 100000 {
		t.Fatal("a 1mb server took 100000 writes")
	}
	if n := c.DBSize(ctx).Val(); n != int64(written) {
		t.Fatalf("DBSIZE = %d after %d writes", n, written)
	}
	// Pipelined writes, MSET, APPEND and a transaction are refused too;
	// reads and DEL work.
	p := c.Pipeline()
	p.Set(ctx, "a", "1", 0)
	p.Get(ctx, "key:1")
	p.MSet(ctx, "b", "2", "c", "3")
	p.Append(ctx, "key:1", "x")
	cmds, _ := p.Exec(ctx)
	if cmds[0].Err() == nil || cmds[0].Err().Error() != oomMsg || cmds[1].Err() != nil || cmds[2].Err() == nil || cmds[3].Err() == nil {
		t.Fatalf("pipeline over maxmemory: %v", cmds)
	}
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Get(ctx, "key:2"); return nil }); err == nil {
		t.Fatal("MULTI over maxmemory: queuing was not refused")
	}
	if infoInt(t, c, "stats", "evicted_keys") != 0 {
		t.Fatal("noeviction evicted")
	}
	if err := c.Del(ctx, "key:1", "key:2", "key:3").Err(); err != nil {
		t.Fatal(err)
	}
	// Lifting the limit lets writes in again.
	if err := c.ConfigSet(ctx, "maxmemory", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "a", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
}

// With an evicting policy, writes never fail; used_memory stays near the
// limit and INFO and /metrics-facing counters show the evictions.
func TestMaxMemoryEvicts(t *testing.T) {
	for _, policy := range []string{"allkeys-s3fifo", "allkeys-lru", "allkeys-lfu", "allkeys-random"} {
		t.Run(policy, func(t *testing.T) {
			ts := startServer(t, func(c *config.Config) {
				if err := config.FindSetting("maxmemory").Set(c, "2mb"); err != nil {
					t.Fatal(err)
				}
				if err := config.FindSetting("maxmemory-policy").Set(c, policy); err != nil {
					t.Fatal(err)
				}
			})
			c := ts.client(t)
			ctx := context.Background()
			val := strings.Repeat("v", 100)
			n := int64(50000) // over three times what 2mb holds
			if servertest.Race {
				n = 25000
			}
			for i := int64(0); i < n; i += 100 {
				p := c.Pipeline()
				for j := i; j < i+100; j++ {
					p.Set(ctx, fmt.Sprint("key:", j), val, 0)
				}
				if _, err := p.Exec(ctx); err != nil {
					t.Fatalf("write %d: %v", i, err)
				}
				if used := infoInt(t, c, "memory", "used_memory"); used > 2<<20+256<<10 {
					t.Fatalf("used_memory %d over maxmemory 2mb", used)
				}
			}
			keys := c.DBSize(ctx).Val()
			evicted := infoInt(t, c, "stats", "evicted_keys")
			if keys+evicted != n || evicted == 0 {
				t.Fatalf("%d keys + %d evicted != %d written", keys, evicted, n)
			}
			if got := infoInt(t, c, "memory", "maxmemory"); got != 2<<20 {
				t.Fatalf("INFO maxmemory = %d", got)
			}
			info := c.Info(ctx, "memory").Val()
			if !strings.Contains(info, "maxmemory_policy:"+policy+"\r\n") {
				t.Fatalf("INFO memory does not name the policy:\n%s", info)
			}
		})
	}
}

func TestMaxMemoryConfigErrors(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	ctx := context.Background()
	for _, tc := range []struct{ name, value, want string }{
		{"maxmemory-policy", "lru", "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: noeviction, allkeys-lru, allkeys-lfu, allkeys-random, volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-s3fifo"},
		{"maxmemory", "lots", "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
		{"maxmemory-samples", "0", "ERR CONFIG SET failed (possibly related to argument 'maxmemory-samples') - argument must be between 1 and 64 inclusive"},
	} {
		if err := c.ConfigSet(ctx, tc.name, tc.value).Err(); err == nil || err.Error() != tc.want {
			t.Errorf("CONFIG SET %s %s: %v", tc.name, tc.value, err)
		}
	}
	if err := c.ConfigSet(ctx, "maxmemory-policy", "VOLATILE-TTL").Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.ConfigGet(ctx, "maxmemory-policy").Val()["maxmemory-policy"]; got != "volatile-ttl" {
		t.Fatalf("maxmemory-policy = %q", got)
	}
	if ts.store.Limits().Policy.String() != "volatile-ttl" {
		t.Fatalf("the store's policy is %v", ts.store.Limits().Policy)
	}
}

// volatile-lru over the wire: keys without a TTL are never evicted, and
// once only they are left, writes get the OOM error. FLUSHALL gives all
// the memory back.
func TestMaxMemoryVolatile(t *testing.T) {
	ts := startServer(t, func(c *config.Config) {
		if err := config.FindSetting("maxmemory").Set(c, "1mb"); err != nil {
			t.Fatal(err)
		}
		if err := config.FindSetting("maxmemory-policy").Set(c, "volatile-lru"); err != nil {
			t.Fatal(err)
		}
	})
	c := ts.client(t)
	ctx := context.Background()
	val := strings.Repeat("v", 100)
	var err error
	i := 0
	for ; i < 100000 && err == nil; i++ {
		if i%2 == 0 {
			err = c.Set(ctx, fmt.Sprint("ttl:", i), val, time.Hour).Err()
		} else {
			err = c.Set(ctx, fmt.Sprint("keep:", i), val, 0).Err()
		}
	}
	if err == nil || err.Error() != oomMsg {
		t.Fatalf("after %d writes: %v", i, err)
	}
	p := c.Pipeline()
	for j := 1; j < i-1; j += 2 {
		p.Exists(ctx, fmt.Sprint("keep:", j))
	}
	exists, _ := p.Exec(ctx)
	for _, e := range exists {
		if e.(*redis.IntCmd).Val() != 1 {
			t.Fatalf("volatile-lru evicted %s, which has no TTL", e.Args()[1])
		}
	}
	if infoInt(t, c, "stats", "evicted_keys") == 0 {
		t.Fatal("nothing was evicted")
	}
	if err := c.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if used := infoInt(t, c, "memory", "used_memory"); used != 0 {
		t.Fatalf("used_memory after FLUSHALL = %d", used)
	}
}

// Lowering maxmemory evicts at once, without waiting for a write.
func TestMaxMemoryLoweredEvictsAtOnce(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	ctx := context.Background()
	p := c.Pipeline()
	for i := range 20000 {
		p.Set(ctx, fmt.Sprint("key:", i), strings.Repeat("v", 100), 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	before := infoInt(t, c, "memory", "used_memory")
	if err := c.ConfigSet(ctx, "maxmemory", strconv.FormatInt(before/2, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for infoInt(t, c, "memory", "used_memory") > before/2 {
		if time.Now().After(deadline) {
			t.Fatalf("used_memory still %d, 5 s after maxmemory went to %d", infoInt(t, c, "memory", "used_memory"), before/2)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if infoInt(t, c, "stats", "evicted_keys") == 0 {
		t.Fatal("nothing evicted")
	}
}
