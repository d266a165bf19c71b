package protocol

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestHashFieldExpiry drives Redis 7.4's field expiry commands and Redis
// 8's HGETDEL/HGETEX/HSETEX through go-redis, on a small hash (listpackex)
// and a big one (hashtable), moving the server's clock.
func TestHashFieldExpiry(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	ctx := context.Background()
	for _, n := range []int{3, 300} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			key := "h" + strconv.Itoa(n)
			var pairs []any
			for i := range n {
				pairs = append(pairs, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
			}
			c.HSet(ctx, key, pairs...)
			c.HSet(ctx, key, "plain", "p")
			got, err := c.HExpire(ctx, key, 10*time.Second, "f0", "f1", "nofield").Result()
			if err != nil || !slices.Equal(got, []int64{1, 1, -2}) {
				t.Fatalf("HEXPIRE = %v %v", got, err)
			}
			if enc := c.ObjectEncoding(ctx, key).Val(); (n == 3) != (enc == "listpackex") {
				t.Errorf("encoding %q", enc)
			}
			// NX on a field with a TTL, XX on one without, GT and LT.
			got, _ = c.HExpireWithArgs(ctx, key, 20*time.Second, redis.HExpireArgs{NX: true}, "f0", "f2").Result()
			if !slices.Equal(got, []int64{0, 1}) {
				t.Errorf("HEXPIRE NX = %v", got)
			}
			got, _ = c.HExpireWithArgs(ctx, key, 5*time.Second, redis.HExpireArgs{GT: true}, "f0").Result()
			if !slices.Equal(got, []int64{0}) {
				t.Errorf("HEXPIRE GT (shorter) = %v", got)
			}
			got, _ = c.HExpireWithArgs(ctx, key, 5*time.Second, redis.HExpireArgs{LT: true}, "f0").Result()
			if !slices.Equal(got, []int64{1}) {
				t.Errorf("HEXPIRE LT (shorter) = %v", got)
			}
			if ttl := c.HTTL(ctx, key, "f0", "f2", "plain", "nofield").Val(); !slices.Equal(ttl, []int64{5, 20, -1, -2}) {
				t.Errorf("HTTL = %v", ttl)
			}
			if pttl := c.HPTTL(ctx, key, "f0").Val(); len(pttl) != 1 || pttl[0] != 5000 {
				t.Errorf("HPTTL = %v", pttl)
			}
			now := ts.nowMs.Load()
			if at := c.HPExpireTime(ctx, key, "f0").Val(); len(at) != 1 || at[0] != now+5000 {
				t.Errorf("HPEXPIRETIME = %v, want %d", at, now+5000)
			}
			if p := c.HPersist(ctx, key, "f2", "plain", "nofield").Val(); !slices.Equal(p, []int64{1, -1, -2}) {
				t.Errorf("HPERSIST = %v", p)
			}
			// A past time deletes (2); after the clock passes f0's expiry
			// it is gone from every read.
			if d := c.Do(ctx, "HPEXPIREAT", key, 1, "FIELDS", 1, "f1").Val(); fmt.Sprint(d) != "[2]" {
				t.Errorf("HPEXPIREAT in the past = %v", d)
			}
			ts.advance(5 * time.Second)
			if v, err := c.HGet(ctx, key, "f0").Result(); err != redis.Nil {
				t.Errorf("expired field read: %q %v", v, err)
			}
			if all := c.HGetAll(ctx, key).Val(); len(all) != n-1 || all["f0"] != "" || all["f1"] != "" {
				t.Errorf("HGETALL has %d fields", len(all))
			}
			if ex := c.HExists(ctx, key, "f0").Val(); ex {
				t.Error("HEXISTS of an expired field")
			}
			// HINCRBY keeps the TTL; HSET drops it.
			c.HExpire(ctx, key, 100*time.Second, "f2")
			c.HSet(ctx, key, "f2", 7)
			c.HIncrBy(ctx, key, "f2", 1)
			if ttl := c.HTTL(ctx, key, "f2").Val(); !slices.Equal(ttl, []int64{-1}) {
				t.Errorf("HTTL after HSET = %v", ttl)
			}
			c.HExpire(ctx, key, 100*time.Second, "f2")
			c.HIncrBy(ctx, key, "f2", 1)
			if ttl := c.HTTL(ctx, key, "f2").Val(); !slices.Equal(ttl, []int64{100}) {
				t.Errorf("HTTL after HINCRBY = %v", ttl)
			}
			// HGETDEL, HGETEX, HSETEX.
			if v := c.HGetDel(ctx, key, "f2", "nofield").Val(); len(v) != 2 || v[0] != "9" {
				t.Errorf("HGETDEL = %q", v)
			}
			if c.HExists(ctx, key, "f2").Val() {
				t.Error("HGETDEL left the field")
			}
			c.HSet(ctx, key, "g", "1")
			v := c.HGetEXWithArgs(ctx, key, &redis.HGetEXOptions{ExpirationType: redis.HGetEXExpirationEX, ExpirationVal: 30}, "g").Val()
			if len(v) != 1 || v[0] != "1" || c.HTTL(ctx, key, "g").Val()[0] != 30 {
				t.Errorf("HGETEX EX = %q, ttl %v", v, c.HTTL(ctx, key, "g").Val())
			}
			c.HGetEXWithArgs(ctx, key, &redis.HGetEXOptions{ExpirationType: redis.HGetEXExpirationPERSIST}, "g")
			if ttl := c.HTTL(ctx, key, "g").Val()[0]; ttl != -1 {
				t.Errorf("HGETEX PERSIST left ttl %d", ttl)
			}
			r := c.HSetEXWithArgs(ctx, key, &redis.HSetEXOptions{Condition: redis.HSetEXFNX, ExpirationType: redis.HSetEXExpirationPX, ExpirationVal: 1500}, "g", "2").Val()
			if r != 0 {
				t.Errorf("HSETEX FNX on an existing field = %d", r)
			}
			r = c.HSetEXWithArgs(ctx, key, &redis.HSetEXOptions{Condition: redis.HSetEXFNX, ExpirationType: redis.HSetEXExpirationPX, ExpirationVal: 1500}, "x", "1", "y", "2").Val()
			if r != 1 || c.HPTTL(ctx, key, "y").Val()[0] != 1500 {
				t.Errorf("HSETEX FNX PX = %d, pttl %v", r, c.HPTTL(ctx, key, "y").Val())
			}
		})
	}
}

// TestHashDisappearsWithLastField: a hash whose fields all expire is
// reclaimed by the active expiry cycle, small or big.
func TestHashDisappearsWithLastField(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	ctx := context.Background()
	for _, n := range []int{2, 1000} {
		key := fmt.Sprintf("gone%d", n)
		fields := make([]string, n)
		for i := range n {
			fields[i] = strconv.Itoa(i)
			c.HSet(ctx, key, fields[i], "v")
		}
		c.HPExpire(ctx, key, 100*time.Millisecond, fields...)
	}
	ts.advance(time.Second)
	for i := 0; i < 10000 && c.DBSize(ctx).Val() > 0; i++ {
		ts.store.ExpireCycle(0, time.Second)
	}
	if n := c.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("%d hashes left after all their fields expired", n)
	}
}

// TestHashErrors checks the field expiry commands' argument errors, which
// the differential test cannot (redis-server 7.0 lacks the commands); the
// texts are Redis 8's t_hash.c.
func TestHashErrors(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	ctx := context.Background()
	c.HSet(ctx, "h", "f", "v")
	c.Set(ctx, "s", "v", 0)
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"HEXPIRE", "h", 10, "FIELDS", 2, "f"}, "ERR The `numfields` parameter must match the number of arguments"},
		{[]any{"HEXPIRE", "h", 10, "FIELDS", 0, "f"}, "ERR Parameter `numFields` should be greater than 0"},
		{[]any{"HEXPIRE", "h", 10, "FIELD", 1, "f"}, "ERR Mandatory argument FIELDS is missing or not at the right position"},
		{[]any{"HEXPIRE", "h", -1, "FIELDS", 1, "f"}, "ERR invalid expire time, must be >= 0"},
		{[]any{"HEXPIRE", "h", "x", "FIELDS", 1, "f"}, "ERR value is not an integer or out of range"},
		{[]any{"HEXPIRE", "h", int64(1) << 50, "FIELDS", 1, "f"}, "ERR invalid expire time in 'hexpire' command"},
		{[]any{"HEXPIRE", "s", 10, "FIELDS", 1, "f"}, "WRONGTYPE Operation against a key holding the wrong kind of value"},
		{[]any{"HTTL", "h", "FIELDS", 0, "f"}, "ERR Number of fields must be a positive integer"},
		{[]any{"HPERSIST", "h", "FIELDS", 3, "f"}, "ERR The `numfields` parameter must match the number of arguments"},
		{[]any{"HGETDEL", "h", "FIELDS", "x", "f"}, "ERR Number of fields must be a positive integer"},
		{[]any{"HSETEX", "h", "EX", 10, "PX", 10, "FIELDS", 1, "f", "v"}, "ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified"},
		{[]any{"HSETEX", "h", "FNX", "FXX", "FIELDS", 1, "f", "v"}, "ERR Only one of FXX or FNX arguments can be specified"},
		{[]any{"HSETEX", "h", "FIELDS", 2, "f", "v"}, "ERR wrong number of arguments for 'hsetex' command"},
		{[]any{"HSETEX", "h", "FOO", "FIELDS", 1, "f", "v"}, "ERR unknown argument: FOO"},
	} {
		if err := c.Do(ctx, tc.args...).Err(); err == nil || err.Error() != tc.want {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
}

// TestBigHashScan: HSCAN of a hashtable returns every field exactly once
// while fields are added and removed between calls (Redis's guarantee for
// the fields present throughout).
func TestBigHashScan(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	ctx := context.Background()
	const n = 2000
	for i := 0; i < n; i += 100 {
		var pairs []any
		for j := i; j < i+100; j++ {
			pairs = append(pairs, "f"+strconv.Itoa(j), j)
		}
		c.HSet(ctx, "big", pairs...)
	}
	if enc := c.ObjectEncoding(ctx, "big").Val(); enc != "hashtable" {
		t.Fatalf("encoding %q", enc)
	}
	seen := map[string]int{}
	var cursor uint64
	for round := 0; ; round++ {
		keys, next, err := c.HScan(ctx, "big", cursor, "", 50).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(keys); i += 2 {
			seen[keys[i]]++
		}
		// Churn: new fields and deleted ones (never the first n).
		c.HSet(ctx, "big", fmt.Sprintf("new%d", round), 1)
		c.HDel(ctx, "big", fmt.Sprintf("new%d", round-3))
		if cursor = next; cursor == 0 {
			break
		}
	}
	for i := range n {
		if k := "f" + strconv.Itoa(i); seen[k] != 1 {
			t.Fatalf("%s seen %d times", k, seen[k])
		}
	}
	if keys, _, _ := c.HScanNoValues(ctx, "big", 0, "f1999", 100000).Result(); !slices.Equal(keys, []string{"f1999"}) {
		t.Errorf("HSCAN MATCH NOVALUES = %v", keys)
	}
}

// TestCollectionKeys: key commands over hashes and sets: TYPE, SCAN TYPE,
// EXPIRE, RENAME, COPY, MEMORY USAGE, and MULTI/EXEC with WATCH.
func TestCollectionKeys(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	ctx := context.Background()
	c.HSet(ctx, "h", "f", "v")
	c.SAdd(ctx, "s", "a", "b")
	c.Set(ctx, "str", "v", 0)
	for key, want := range map[string]string{"h": "hash", "s": "set", "str": "string", "none": "none"} {
		if got := c.Type(ctx, key).Val(); got != want {
			t.Errorf("TYPE %s = %q, want %q", key, got, want)
		}
	}
	for typ, want := range map[string][]string{"hash": {"h"}, "set": {"s"}, "string": {"str"}} {
		keys, _, _ := c.ScanType(ctx, 0, "", 1000, typ).Result()
		if !slices.Equal(keys, want) {
			t.Errorf("SCAN TYPE %s = %v", typ, keys)
		}
	}
	var members []any
	for i := range 500 {
		members = append(members, "m"+strconv.Itoa(i))
	}
	c.SAdd(ctx, "bigset", members...)
	small := c.MemoryUsage(ctx, "s").Val()
	big := c.MemoryUsage(ctx, "bigset").Val()
	if big < 500*8 || big <= small {
		t.Errorf("MEMORY USAGE: small set %d, 500 members %d", small, big)
	}
	c.Expire(ctx, "bigset", time.Minute)
	c.Rename(ctx, "bigset", "moved")
	if n := c.SCard(ctx, "moved").Val(); n != 500 || c.TTL(ctx, "moved").Val() != time.Minute {
		t.Errorf("after RENAME: %d members, ttl %v", n, c.TTL(ctx, "moved").Val())
	}
	c.Copy(ctx, "moved", "copied", 0, false)
	c.SRem(ctx, "moved", "m1")
	if !c.SIsMember(ctx, "copied", "m1").Val() {
		t.Error("COPY shares members with the original")
	}
	ts.advance(2 * time.Minute)
	if c.Exists(ctx, "moved", "copied").Val() != 0 {
		t.Error("collections outlived their TTL")
	}
	// WATCH sees a change to a field.
	c2 := ts.client(t)
	err := c.Watch(ctx, func(tx *redis.Tx) error {
		c2.HSet(ctx, "h", "f", "changed")
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, "h", "f", "mine")
			return nil
		})
		return err
	}, "h")
	if err != redis.TxFailedErr {
		t.Errorf("EXEC after a watched hash changed: %v", err)
	}
	// MULTI/EXEC across a hash and a set.
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, "h2", "n", 5)
		p.SAdd(ctx, "s2", "x")
		p.HGetAll(ctx, "h2")
		return nil
	})
	if err != nil || cmds[2].(*redis.MapStringStringCmd).Val()["n"] != "5" {
		t.Errorf("MULTI/EXEC: %v %v", cmds, err)
	}
}

// TestCollectionsRESP3 checks the RESP3 types go-redis decodes: HGETALL a
// map, SMEMBERS a set, HRANDFIELD WITHVALUES pairs.
func TestCollectionsRESP3(t *testing.T) {
	ts := startServer(t)
	c := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 3})
	defer c.Close()
	ctx := context.Background()
	c.HSet(ctx, "h", "a", "1", "b", "2")
	if m := c.HGetAll(ctx, "h").Val(); m["a"] != "1" || m["b"] != "2" {
		t.Errorf("HGETALL = %v", m)
	}
	c.SAdd(ctx, "s", "x", "y")
	if m := c.SMembers(ctx, "s").Val(); len(m) != 2 {
		t.Errorf("SMEMBERS = %v", m)
	}
	if kv := c.HRandFieldWithValues(ctx, "h", 2).Val(); len(kv) != 2 || kv[0].Value == "" {
		t.Errorf("HRANDFIELD WITHVALUES = %v", kv)
	}
}
