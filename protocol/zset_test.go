package protocol

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// TestZSetNotifications: the keyspace events of every sorted set write,
// in order, as redis-server sends them for the same commands.
func TestZSetNotifications(t *testing.T) {
	redisAddr := servertest.RedisServer(t)
	ts := startServer(t)
	script := [][]any{
		{"ZADD", "z", 1, "a", 2, "b", 3, "c", 4, "d"},
		{"ZADD", "z", 1, "a"},       // nothing changes: no event
		{"ZADD", "z", "XX", 9, "x"}, // nothing added
		{"ZADD", "z", "INCR", 1, "a"},
		{"ZINCRBY", "z", 0, "a"}, // the same score: no event
		{"ZINCRBY", "z", 5, "e"},
		{"ZREM", "z", "nope"},
		{"ZREM", "z", "e"},
		{"ZREMRANGEBYRANK", "z", 0, 0},
		{"ZREMRANGEBYSCORE", "z", 3, 3},
		{"ZADD", "l", 0, "a", 0, "b"},
		{"ZREMRANGEBYLEX", "l", "-", "+"},
		{"ZPOPMIN", "z"},
		{"ZPOPMAX", "z", 5},
		{"ZADD", "z", 1, "a", 2, "b"},
		{"ZMPOP", 1, "z", "MAX"},
		{"BZPOPMIN", "z", 0},
		{"ZADD", "z", 1, "a", 2, "b"},
		{"ZADD", "y", 2, "b", 3, "c"},
		{"ZUNIONSTORE", "u", 2, "z", "y"},
		{"ZINTERSTORE", "u", 2, "z", "y"},
		{"ZDIFFSTORE", "u", 2, "z", "y"},
		{"ZDIFFSTORE", "u", 2, "z", "z"},
		{"ZRANGESTORE", "u", "z", 0, 0},
		{"ZRANGESTORE", "u", "z", 5, 6},
		{"ZINTERSTORE", "u", 2, "z", "nokey"},
		{"SET", "end", "end"},
	}
	events := func(addr string) []string { return notificationsOf(t, addr, "__keyevent@0__:*", script) }
	ours, theirs := events(ts.addr), events(redisAddr)
	if !slices.Equal(ours, theirs) {
		t.Errorf("events differ\n  cachesrv: %q\n  redis:    %q", ours, theirs)
	}
}

// TestZSetLarge: a sorted set past the listpack limits through go-redis:
// encodings, the configured thresholds, ranks and ranges on the B+tree,
// a full ZSCAN, and the key commands (TYPE, SCAN TYPE, COPY, RENAME,
// EXPIRE, DEL, UNLINK).
func TestZSetLarge(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	ctx := context.Background()
	const n = 5000
	zs := make([]redis.Z, n)
	for i := range zs {
		zs[i] = redis.Z{Score: float64(i % 100), Member: fmt.Sprintf("m%05d", i)}
	}
	if got := c.ZAdd(ctx, "big", zs...).Val(); got != n {
		t.Fatalf("ZADD added %d", got)
	}
	if enc := c.ObjectEncoding(ctx, "big").Val(); enc != "skiplist" {
		t.Fatalf("encoding %q", enc)
	}
	if typ := c.Type(ctx, "big").Val(); typ != "zset" {
		t.Fatalf("TYPE %q", typ)
	}
	// Ordered by score, then member.
	want := slices.Clone(zs)
	slices.SortFunc(want, func(a, b redis.Z) int {
		if a.Score != b.Score {
			return int(a.Score - b.Score)
		}
		return strings.Compare(a.Member.(string), b.Member.(string))
	})
	got := c.ZRangeWithScores(ctx, "big", 0, -1).Val()
	if len(got) != n {
		t.Fatalf("ZRANGE gave %d", len(got))
	}
	for i := range got {
		if got[i].Member != want[i].Member || got[i].Score != want[i].Score {
			t.Fatalf("[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	for _, i := range []int{0, 1, 777, 2500, n - 1} {
		m := want[i].Member.(string)
		if r := c.ZRank(ctx, "big", m).Val(); r != int64(i) {
			t.Errorf("ZRANK %s = %d, want %d", m, r, i)
		}
		if r := c.ZRevRank(ctx, "big", m).Val(); r != int64(n-1-i) {
			t.Errorf("ZREVRANK %s = %d, want %d", m, r, n-1-i)
		}
	}
	if cnt := c.ZCount(ctx, "big", "10", "(20").Val(); cnt != 500 {
		t.Errorf("ZCOUNT = %d", cnt)
	}
	page := c.ZRangeArgs(ctx, redis.ZRangeArgs{Key: "big", Start: "(50", Stop: "+inf", ByScore: true, Offset: 10, Count: 3}).Val()
	if !slices.Equal(page, []string{want[2560].Member.(string), want[2561].Member.(string), want[2562].Member.(string)}) {
		t.Errorf("ZRANGE BYSCORE LIMIT = %v", page)
	}
	// ZSCAN returns every member exactly once, with its score.
	seen := map[string]string{}
	for cur := uint64(0); ; {
		keys, next, err := c.ZScan(ctx, "big", cur, "", 100).Result()
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(keys); i += 2 {
			if _, dup := seen[keys[i]]; dup {
				t.Fatalf("ZSCAN returned %s twice", keys[i])
			}
			seen[keys[i]] = keys[i+1]
		}
		if cur = next; cur == 0 {
			break
		}
	}
	if len(seen) != n || seen["m00123"] != "23" {
		t.Errorf("ZSCAN saw %d members, m00123 = %q", len(seen), seen["m00123"])
	}
	// SCAN TYPE zset, COPY, RENAME, EXPIRE, UNLINK.
	c.Set(ctx, "str", "v", 0)
	keys, _ := c.ScanType(ctx, 0, "*", 1000, "zset").Val()
	if !slices.Equal(keys, []string{"big"}) {
		t.Errorf("SCAN TYPE zset = %v", keys)
	}
	if c.Copy(ctx, "big", "copy", 0, false).Val() != 1 {
		t.Fatal("COPY failed")
	}
	c.ZRem(ctx, "big", "m00000")
	if c.ZCard(ctx, "copy").Val() != n || c.ZCard(ctx, "big").Val() != n-1 {
		t.Errorf("COPY is not independent: %d %d", c.ZCard(ctx, "copy").Val(), c.ZCard(ctx, "big").Val())
	}
	c.Rename(ctx, "copy", "moved")
	if c.Exists(ctx, "copy").Val() != 0 || c.ZScore(ctx, "moved", "m04999").Val() != 99 {
		t.Errorf("RENAME: copy exists %d, score %v", c.Exists(ctx, "copy").Val(), c.ZScore(ctx, "moved", "m04999").Val())
	}
	c.Expire(ctx, "moved", time.Hour)
	if ttl := c.TTL(ctx, "moved").Val(); ttl <= 0 {
		t.Errorf("TTL %v", ttl)
	}
	ts.advance(2 * time.Hour)
	if c.Exists(ctx, "moved").Val() != 0 {
		t.Error("the sorted set did not expire")
	}
	if c.Unlink(ctx, "big").Val() != 1 || c.Exists(ctx, "big").Val() != 0 {
		t.Error("UNLINK")
	}
	// The thresholds are config settings.
	if err := c.ConfigSet(ctx, "zset-max-listpack-entries", "4").Err(); err != nil {
		t.Fatal(err)
	}
	c.ZAdd(ctx, "small", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"}, redis.Z{Score: 3, Member: "c"}, redis.Z{Score: 4, Member: "d"})
	enc1 := c.ObjectEncoding(ctx, "small").Val()
	c.ZAdd(ctx, "small", redis.Z{Score: 5, Member: "e"})
	enc2 := c.ObjectEncoding(ctx, "small").Val()
	if enc1 != "listpack" || enc2 != "skiplist" {
		t.Errorf("encodings %q then %q with zset-max-listpack-entries 4", enc1, enc2)
	}
	if v := c.ConfigGet(ctx, "zset-max-ziplist-entries").Val()["zset-max-ziplist-entries"]; v != "4" {
		t.Errorf("zset-max-ziplist-entries = %q", v)
	}
	c.ConfigSet(ctx, "zset-max-listpack-value", "3")
	c.ZAdd(ctx, "long", redis.Z{Score: 1, Member: "abcd"})
	if enc := c.ObjectEncoding(ctx, "long").Val(); enc != "skiplist" {
		t.Errorf("a 4-byte member with zset-max-listpack-value 3: %q", enc)
	}
}

// TestZSetBlockingPops: BZPOPMIN, BZPOPMAX and BZMPOP wait for a ZADD,
// are served in the order they blocked, and time out with a nil reply.
func TestZSetBlockingPops(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t)
	type res struct {
		v   any
		err error
	}
	block := func(args ...any) chan res {
		ch := make(chan res, 1)
		cl := ts.client(t)
		go func() {
			v, err := cl.Do(ctx, args...).Result()
			ch <- res{v, err}
		}()
		return ch
	}
	waitBlocked := func(n int) {
		t.Helper()
		for range 500 {
			info := c.Info(ctx, "clients").Val()
			if strings.Contains(info, "blocked_clients:"+strconv.Itoa(n)) {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("never saw %d blocked clients", n)
	}
	first := block("BZPOPMIN", "q1", "q2", 0)
	waitBlocked(1)
	second := block("BZMPOP", 0, 2, "q1", "q2", "MAX", "COUNT", 5)
	waitBlocked(2)
	c.ZAdd(ctx, "q2", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2, Member: "b"}, redis.Z{Score: 3, Member: "c"})
	r1 := <-first
	if fmt.Sprint(r1.v) != "[q2 a 1]" || r1.err != nil {
		t.Errorf("BZPOPMIN = %v %v", r1.v, r1.err)
	}
	r2 := <-second
	if fmt.Sprint(r2.v) != "[q2 [[c 3] [b 2]]]" || r2.err != nil {
		t.Errorf("BZMPOP = %v %v", r2.v, r2.err)
	}
	if c.Exists(ctx, "q2").Val() != 0 {
		t.Error("q2 left behind")
	}
	third := block("BZPOPMAX", "q3", 0.05)
	if r := <-third; r.err != redis.Nil {
		t.Errorf("BZPOPMAX timeout = %v %v", r.v, r.err)
	}
}

// TestZSetDumpRestore: a sorted set DUMPed here RESTOREs in redis-server
// and the reverse, small (Redis writes a listpack) and large (ZSET_2),
// with infinite and fractional scores.
func TestZSetDumpRestore(t *testing.T) {
	redisAddr := servertest.RedisServer(t)
	ts := startServer(t)
	ctx := context.Background()
	ours := ts.client(t)
	theirs := redis.NewClient(&redis.Options{Addr: redisAddr, Protocol: 2})
	defer theirs.Close()
	theirs.FlushAll(ctx)
	for _, n := range []int{3, 300} {
		zs := []redis.Z{{Score: math.Inf(-1), Member: "ninf"}, {Score: math.Inf(1), Member: "pinf"}, {Score: 0.1, Member: "tenth"}}
		for i := range n {
			zs = append(zs, redis.Z{Score: float64(i) / 3, Member: fmt.Sprintf("m%d", i)})
		}
		key := fmt.Sprintf("z%d", n)
		ours.ZAdd(ctx, key, zs...)
		theirs.ZAdd(ctx, key, zs...)
		for _, dir := range []struct {
			name     string
			from, to *redis.Client
		}{{"to redis", ours, theirs}, {"from redis", theirs, ours}} {
			payload, err := dir.from.Dump(ctx, key).Result()
			if err != nil {
				t.Fatalf("%s %s: DUMP: %v", key, dir.name, err)
			}
			if err := dir.to.RestoreReplace(ctx, key+"copy", 0, payload).Err(); err != nil {
				t.Fatalf("%s %s: RESTORE: %v", key, dir.name, err)
			}
			want := dir.from.ZRangeWithScores(ctx, key, 0, -1).Val()
			got := dir.to.ZRangeWithScores(ctx, key+"copy", 0, -1).Val()
			if !slices.Equal(got, want) {
				t.Errorf("%s %s: restored %v, want %v", key, dir.name, got, want)
			}
		}
	}
}

// TestZRankWithScore: Redis 7.2's WITHSCORE gives the rank and the score
// (a RESP3 double), a null array for a missing member; another fourth
// argument is 7.0's arity error.
func TestZRankWithScore(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	must(t, c.ZAdd(ctx, "z", redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: 3, Member: "b"}).Err())
	if got, err := c.ZRankWithScore(ctx, "z", "b").Result(); err != nil || got.Rank != 1 || got.Score != 3 {
		t.Errorf("ZRANK WITHSCORE = %+v, %v", got, err)
	}
	if got, err := c.ZRevRankWithScore(ctx, "z", "b").Result(); err != nil || got.Rank != 0 || got.Score != 3 {
		t.Errorf("ZREVRANK WITHSCORE = %+v, %v", got, err)
	}
	if err := c.ZRankWithScore(ctx, "z", "nope").Err(); err != redis.Nil {
		t.Errorf("ZRANK WITHSCORE of a missing member: %v", err)
	}
	r := ts.raw(t)
	r.expectReply(errReply("ERR wrong number of arguments for 'zrank' command"), "ZRANK", "z", "a", "x")
	r3 := dialRESPProto(t, ts.addr, 3)
	if got := r3.exchange("ZRANK", "z", "a", "WITHSCORE"); got != "*2\r\n:0\r\n,1.5\r\n" {
		t.Errorf("ZRANK WITHSCORE in RESP3 = %q", got)
	}
	if got := r3.exchange("ZRANK", "z", "nope", "withscore"); got != "_\r\n" {
		t.Errorf("ZRANK WITHSCORE of a missing member in RESP3 = %q", got)
	}
}
