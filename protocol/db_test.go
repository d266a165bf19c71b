package protocol

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/redis/go-redis/v9"
)

// dbClient is a go-redis client on database db: go-redis sends SELECT on
// every new connection, as clients configured with redis://host/db do.
func dbClient(t testing.TB, ts *testServer, db int) *redis.Client {
	t.Helper()
	opt, err := redis.ParseURL("redis://" + ts.addr + "/" + strconv.Itoa(db))
	if err != nil {
		t.Fatal(err)
	}
	opt.Protocol, opt.MaxRetries, opt.ReadTimeout, opt.WriteTimeout = 2, -1, testIOTimeout, testIOTimeout
	c := redis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// TestDatabasesIsolation: go-redis clients on redis://host/N see only
// their database's keys, across the key commands and types; CLIENT LIST
// shows each connection's db; DBSIZE, KEYS, SCAN, RANDOMKEY are per
// database.
func TestDatabasesIsolation(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c0, c3 := dbClient(t, ts, 0), dbClient(t, ts, 3)
	if err := c3.Set(ctx, "k", "three", 0).Err(); err != nil {
		t.Fatal(err)
	}
	c3.HSet(ctx, "h", "f", "v")
	c3.RPush(ctx, "l", "a", "b")
	if err := c0.Get(ctx, "k").Err(); err != redis.Nil {
		t.Fatalf("db 0 sees db 3's key: %v", err)
	}
	c0.Set(ctx, "k", "zero", 0)
	if v := c3.Get(ctx, "k").Val(); v != "three" {
		t.Fatalf("db 3 k = %q", v)
	}
	if n := c3.DBSize(ctx).Val(); n != 3 {
		t.Fatalf("DBSIZE db 3 = %d", n)
	}
	if n := c0.DBSize(ctx).Val(); n != 1 {
		t.Fatalf("DBSIZE db 0 = %d", n)
	}
	keys, _, err := c3.Scan(ctx, 0, "*", 100).Result()
	if err != nil || len(keys) != 3 {
		t.Fatalf("SCAN db 3 = %q, %v", keys, err)
	}
	if k := c0.RandomKey(ctx).Val(); k != "k" {
		t.Fatalf("RANDOMKEY db 0 = %q", k)
	}
	if n := c0.Exists(ctx, "h", "l").Val(); n != 0 {
		t.Fatalf("EXISTS in db 0 of db 3's keys = %d", n)
	}
	list := c0.ClientList(ctx).Val()
	if !strings.Contains(list, " db=3 ") || !strings.Contains(list, " db=0 ") {
		t.Fatalf("CLIENT LIST lacks db=3 and db=0:\n%s", list)
	}
	// FLUSHDB empties only the selected database.
	c3.FlushDB(ctx)
	if c3.DBSize(ctx).Val() != 0 || c0.DBSize(ctx).Val() != 1 {
		t.Fatal("FLUSHDB in db 3 reached db 0, or left db 3's keys")
	}
	// The expiry cycle covers every database.
	c3.Set(ctx, "ttl", "v", time.Second)
	ts.advance(2 * time.Second)
	ts.store.ExpireCycle(0, time.Second)
	if n := c3.DBSize(ctx).Val(); n != 0 {
		t.Fatalf("db 3 holds %d keys after its only key expired and the cycle ran", n)
	}
	// RESET goes back to database 0.
	r := ts.raw(t)
	r.send(respCommand("SELECT", "3"))
	r.send(respCommand("RESET"))
	r.send(respCommand("GET", "k"))
	for _, want := range []string{"+OK", "+RESET", "$4"} {
		if got := r.line(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// TestDatabasesSetting: databases is read at start, is immutable, and
// bounds SELECT.
func TestDatabasesSetting(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.Databases = 4 })
	ctx := context.Background()
	c := ts.client(t)
	if v := c.ConfigGet(ctx, "databases").Val(); v["databases"] != "4" {
		t.Fatalf("CONFIG GET databases = %v", v)
	}
	if err := c.ConfigSet(ctx, "databases", "8").Err(); err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Fatalf("CONFIG SET databases: %v", err)
	}
	if err := c.Do(ctx, "SELECT", "3").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "SELECT", "4").Err(); err == nil || err.Error() != "ERR DB index is out of range" {
		t.Fatalf("SELECT 4 of 4: %v", err)
	}
}

// TestDatabasesWatch: a WATCH belongs to its database: a write to the
// same key in another database leaves it clean; SWAPDB dirties it when
// the key exists in either database (Redis 7.0) and otherwise carries it
// along its number; FLUSHDB dirties it when the key exists.
func TestDatabasesWatch(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c1, c0 := dbClient(t, ts, 1), dbClient(t, ts, 0)
	exec := func(watch func(tx *redis.Tx) error) error {
		return c1.Watch(ctx, watch, "k")
	}
	txSet := func(between func()) error {
		return exec(func(tx *redis.Tx) error {
			between()
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "done", "1", 0); return nil })
			return err
		})
	}
	if err := txSet(func() { c0.Set(ctx, "k", "v", 0) }); err != nil {
		t.Fatalf("a write to k in db 0 aborted a transaction watching k in db 1: %v", err)
	}
	if err := txSet(func() { c1.Set(ctx, "k", "v", 0) }); err != redis.TxFailedErr {
		t.Fatalf("a write to k in db 1 did not abort: %v", err)
	}
	c1.Del(ctx, "k")
	// k in db 0 only: SWAPDB dirties the watch.
	if err := txSet(func() { c0.Do(ctx, "SWAPDB", "0", "1") }); err != redis.TxFailedErr {
		t.Fatalf("SWAPDB with k in the other database did not abort: %v", err)
	}
	// Now k is in db 1; move it out of both.
	c1.Del(ctx, "k")
	c0.Del(ctx, "k")
	// k in neither: the watch survives SWAPDB and follows its number.
	if err := txSet(func() { c0.Do(ctx, "SWAPDB", "0", "1") }); err != nil {
		t.Fatalf("SWAPDB with k in neither database aborted: %v", err)
	}
	if err := txSet(func() {
		c0.Do(ctx, "SWAPDB", "0", "1")
		c0.Set(ctx, "k", "v", 0) // db 0 holds the watch's old store now
	}); err != nil {
		t.Fatalf("a write to the store that left db 1 aborted: %v", err)
	}
	c0.Del(ctx, "k")
	if err := txSet(func() {
		c0.Do(ctx, "SWAPDB", "0", "1")
		c1.Set(ctx, "k", "v", 0) // db 1, the watch's number
	}); err != redis.TxFailedErr {
		t.Fatalf("a write under the watch's number after SWAPDB did not abort: %v", err)
	}
	// FLUSHDB: dirty when k exists, not otherwise.
	if err := txSet(func() { c1.FlushDB(ctx) }); err != redis.TxFailedErr {
		t.Fatalf("FLUSHDB with k present did not abort: %v", err)
	}
	if err := txSet(func() { c1.FlushDB(ctx) }); err != nil {
		t.Fatalf("FLUSHDB with k absent aborted: %v", err)
	}
}

// TestDatabasesBlocking: BLPOP in database 1 is served by a push in
// database 1, not by one to the same key in database 0; SWAPDB wakes it
// when the swapped-in database has the list.
func TestDatabasesBlocking(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c0, c1, waiter := dbClient(t, ts, 0), dbClient(t, ts, 1), dbClient(t, ts, 1)
	got := make(chan []string, 1)
	go func() {
		v, err := waiter.BLPop(ctx, 0, "q").Result()
		if err != nil {
			v = []string{err.Error()}
		}
		got <- v
	}()
	waitBlocked(t, c0, 1)
	c0.RPush(ctx, "q", "zero")
	c1.RPush(ctx, "q", "one")
	if v := <-got; len(v) != 2 || v[1] != "one" {
		t.Fatalf("BLPOP in db 1 got %q", v)
	}
	if v := c0.LRange(ctx, "q", 0, -1).Val(); len(v) != 1 || v[0] != "zero" {
		t.Fatalf("db 0's list = %q", v)
	}
	go func() {
		v, err := waiter.BLPop(ctx, 0, "q").Result()
		if err != nil {
			v = []string{err.Error()}
		}
		got <- v
	}()
	waitBlocked(t, c0, 1)
	c0.Do(ctx, "SWAPDB", "0", "1")
	if v := <-got; len(v) != 2 || v[1] != "zero" {
		t.Fatalf("BLPOP in db 1 after SWAPDB got %q", v)
	}
}

// TestDatabasesNotifications: keyspace notifications name the database
// the key lives in; MOVE announces move_from and move_to in each.
func TestDatabasesNotifications(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c2 := dbClient(t, ts, 2)
	c2.ConfigSet(ctx, "notify-keyspace-events", "KEA")
	sub := ts.client(t)
	ps := sub.PSubscribe(ctx, "__key*@*__:*")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	c2.Set(ctx, "k", "v", 0)
	c2.Move(ctx, "k", 5)
	c2.Do(ctx, "COPY", "nosuch", "x", "DB", "6")
	c5 := dbClient(t, ts, 5)
	c5.Do(ctx, "COPY", "k", "k2", "DB", "6")
	c5.Set(ctx, "ttl", "v", time.Second)
	ts.advance(2 * time.Second)
	ts.store.ExpireCycle(0, time.Second) // database 0's store runs every database's cycle
	want := []string{
		"__keyspace@2__:k set", "__keyevent@2__:set k",
		"__keyspace@2__:k move_from", "__keyevent@2__:move_from k",
		"__keyspace@5__:k move_to", "__keyevent@5__:move_to k",
		"__keyspace@6__:k2 copy_to", "__keyevent@6__:copy_to k2",
		"__keyspace@5__:ttl set", "__keyevent@5__:set ttl",
		"__keyspace@5__:ttl expire", "__keyevent@5__:expire ttl",
		"__keyspace@5__:ttl expired", "__keyevent@5__:expired ttl",
	}
	for _, w := range want {
		m, err := ps.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if g := m.Channel + " " + m.Payload; g != w {
			t.Fatalf("got %q, want %q", g, w)
		}
	}
}

// TestDatabasesShareMaxmemory: maxmemory bounds every database together,
// and writes to one evict from another. With a budget per database,
// filling database 1 would leave database 0's keys alone and the total
// at twice the limit.
func TestDatabasesShareMaxmemory(t *testing.T) {
	const limit = 8 << 20
	ts := startServer(t, func(c *config.Config) {
		for _, kv := range [][2]string{{"maxmemory", strconv.Itoa(limit)}, {"maxmemory-policy", "allkeys-lru"}} {
			if err := config.FindSetting(kv[0]).Set(c, kv[1]); err != nil {
				t.Fatal(err)
			}
		}
	})
	ctx := context.Background()
	c0, c1 := dbClient(t, ts, 0), dbClient(t, ts, 1)
	val := strings.Repeat("v", 1000)
	fill := func(c *redis.Client, prefix string, n int) {
		for i := 0; i < n; i += 100 {
			p := c.Pipeline()
			for j := i; j < i+100; j++ {
				p.Set(ctx, fmt.Sprintf("%s:%d", prefix, j), val, 0)
			}
			if _, err := p.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	fill(c0, "a", 3000) // about 3 MB: under the limit
	before := c0.DBSize(ctx).Val()
	if before != 3000 {
		t.Fatalf("db 0 holds %d keys under the limit", before)
	}
	fill(c1, "b", 20000) // about 20 MB into db 1
	used, _ := strconv.ParseInt(infoField(t, c0.Info(ctx, "memory").Val(), "used_memory"), 10, 64)
	if used > limit+limit/4 {
		t.Fatalf("used_memory %d over maxmemory %d", used, limit)
	}
	if after := c0.DBSize(ctx).Val(); after >= before {
		t.Fatalf("filling db 1 evicted nothing from db 0 (%d keys)", after)
	}
	if n := c1.DBSize(ctx).Val(); n == 0 || n >= 20000 {
		t.Fatalf("db 1 holds %d keys", n)
	}
}

// TestDatabasesCluster: a cluster node serves database 0 only, as Redis
// Cluster does, in both modes.
func TestDatabasesCluster(t *testing.T) {
	for _, mode := range []route.Mode{route.Proxy, route.Redirect} {
		n := startNode(t, mode)
		c := plainClient(t, n.addr)
		ctx := context.Background()
		if err := c.Do(ctx, "SELECT", "0").Err(); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			args []any
			want string
		}{
			{[]any{"SELECT", "1"}, "ERR SELECT is not allowed in cluster mode"},
			{[]any{"SWAPDB", "0", "1"}, "ERR SWAPDB is not allowed in cluster mode"},
			{[]any{"MOVE", "k", "1"}, "ERR MOVE is not allowed in cluster mode"},
			{[]any{"COPY", "{k}a", "{k}b", "DB", "1"}, "ERR Copying to another database is not allowed in cluster mode"},
		} {
			if err := c.Do(ctx, tc.args...).Err(); err == nil || err.Error() != tc.want {
				t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
			}
		}
	}
}

// TestDatabasesMigrate: MIGRATE takes the key from the client's database
// and restores it in the destination-db of the target.
func TestDatabasesMigrate(t *testing.T) {
	src, dst := startServer(t), startServer(t)
	ctx := context.Background()
	c2 := dbClient(t, src, 2)
	c2.Set(ctx, "k", "v", 0)
	host, port, _ := strings.Cut(dst.addr, ":")
	if err := c2.Migrate(ctx, host, port, "k", 4, 5*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if n := c2.Exists(ctx, "k").Val(); n != 0 {
		t.Fatal("MIGRATE left the key in the source database")
	}
	if v := dbClient(t, dst, 4).Get(ctx, "k").Val(); v != "v" {
		t.Fatalf("target db 4 k = %q", v)
	}
	if n := dbClient(t, dst, 0).Exists(ctx, "k").Val(); n != 0 {
		t.Fatal("MIGRATE restored into the target's database 0")
	}
}

// TestClientNoTouch: a CLIENT NO-TOUCH client's reads leave OBJECT
// IDLETIME running; TOUCH from it still resets it; CLIENT LIST shows
// flag T; OFF restores normal reads.
func TestClientNoTouch(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t)
	c.Set(ctx, "k", "v", 0)
	c.HSet(ctx, "h", "f", "v")
	idle := func(key string) int64 { return c.ObjectIdleTime(ctx, key).Val().Milliseconds() / 1000 }
	ts.advance(10 * time.Second)
	// One connection, so the flag is on every command below.
	nt := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, PoolSize: 1, MaxRetries: -1, ReadTimeout: testIOTimeout, WriteTimeout: testIOTimeout})
	defer nt.Close()
	if err := nt.Do(ctx, "CLIENT", "NO-TOUCH", "ON").Err(); err != nil {
		t.Fatal(err)
	}
	if err := nt.Do(ctx, "CLIENT", "NO-TOUCH", "maybe").Err(); err == nil || err.Error() != "ERR syntax error" {
		t.Fatalf("CLIENT NO-TOUCH maybe: %v", err)
	}
	nt.Get(ctx, "k")
	nt.HGet(ctx, "h", "f")
	if i := idle("k"); i != 10 {
		t.Fatalf("idle after a no-touch GET = %d, want 10", i)
	}
	if i := idle("h"); i != 10 {
		t.Fatalf("idle after a no-touch HGET = %d, want 10", i)
	}
	if list := nt.ClientList(ctx).Val(); !strings.Contains(list, "flags=T") {
		t.Fatalf("CLIENT LIST lacks flags=T:\n%s", list)
	}
	nt.Touch(ctx, "k")
	if i := idle("k"); i != 0 {
		t.Fatalf("idle after TOUCH from a no-touch client = %d, want 0", i)
	}
	nt.Do(ctx, "CLIENT", "NO-TOUCH", "OFF")
	nt.HGet(ctx, "h", "f")
	if i := idle("h"); i != 0 {
		t.Fatalf("idle after HGET with no-touch off = %d, want 0", i)
	}
}

// TestDatabasesTracking: client-side caching names keys, not databases,
// as Redis's does: a read tracked in database 3 is invalidated by a write
// to the same key name in database 5.
func TestDatabasesTracking(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	listener := dbClient(t, ts, 0)
	ps := listener.Subscribe(ctx, "__redis__:invalidate")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	var subID int64
	for _, line := range strings.Split(listener.ClientList(ctx).Val(), "\n") {
		if strings.Contains(line, "sub=1") {
			fmt.Sscanf(line[strings.Index(line, "id="):], "id=%d", &subID)
		}
	}
	tc := dbClient(t, ts, 3).Conn()
	defer tc.Close()
	if err := tc.Do(ctx, "CLIENT", "TRACKING", "ON", "REDIRECT", subID).Err(); err != nil {
		t.Fatal(err)
	}
	tc.Get(ctx, "k")
	dbClient(t, ts, 5).Set(ctx, "k", "v", 0)
	msg, err := ps.ReceiveMessage(ctx)
	if err != nil || strings.Join(msg.PayloadSlice, ",") != "k" {
		t.Fatalf("invalidation message: %+v, %v", msg, err)
	}
}

// TestDatabasesMonitor: MONITOR shows each command's database.
func TestDatabasesMonitor(t *testing.T) {
	ts := startServer(t)
	m := ts.raw(t)
	m.send(respCommand("MONITOR"))
	if l := m.line(); l != "+OK" {
		t.Fatalf("MONITOR: %q", l)
	}
	dbClient(t, ts, 4).Set(context.Background(), "m4", "v", 0)
	for {
		l := m.line()
		if strings.HasSuffix(l, `"set" "m4" "v"`) {
			if !strings.Contains(l, " [4 ") {
				t.Fatalf("MONITOR line %q lacks [4 ", l)
			}
			return
		}
	}
}

// TestDatabasesPipelineSelect: a SELECT in the middle of a pipeline
// applies to the commands after it, which run grouped by shard as usual.
func TestDatabasesPipelineSelect(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	var b strings.Builder
	for _, cmd := range [][]string{{"SET", "k", "zero"}, {"SELECT", "1"}, {"SET", "k", "one"}, {"GET", "k"},
		{"SELECT", "0"}, {"GET", "k"}, {"SELECT", "1"}, {"GET", "k"}, {"DBSIZE"}} {
		b.WriteString(respCommand(cmd...))
	}
	r.send(b.String())
	for _, want := range []string{"+OK", "+OK", "+OK", "$3", "one", "+OK", "$4", "zero", "+OK", "$3", "one", ":1"} {
		if got := r.line(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// TestDatabasesConcurrentCrossDB runs the commands that lock two
// databases at once (MOVE both ways, COPY ... DB, SWAPDB, EXEC with
// SELECT, a script that SELECTs) concurrently on the same key: they take
// the stores in one order, or (a script) without waiting, so the test
// ends; a deadlock would hang it.
func TestDatabasesConcurrentCrossDB(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	const rounds = 50
	errs := make(chan error, 6)
	run := func(db int, op func(c *redis.Client) error) {
		c := dbClient(t, ts, db)
		go func() {
			for range rounds {
				if err := op(c); err != nil && err != redis.Nil && !strings.HasPrefix(err.Error(), "BUSY") {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	run(1, func(c *redis.Client) error { c.Set(ctx, "k", "1", 0); return c.Move(ctx, "k", 2).Err() })
	run(2, func(c *redis.Client) error { c.Set(ctx, "k", "2", 0); return c.Move(ctx, "k", 1).Err() })
	run(1, func(c *redis.Client) error { return c.Do(ctx, "COPY", "k", "k", "DB", "2", "REPLACE").Err() })
	run(0, func(c *redis.Client) error { return c.Do(ctx, "SWAPDB", 1, 2).Err() })
	run(2, func(c *redis.Client) error {
		_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Select(ctx, 1)
			p.Incr(ctx, "n")
			p.Select(ctx, 2)
			p.Incr(ctx, "n")
			return nil
		})
		return err
	})
	run(1, func(c *redis.Client) error {
		return c.Eval(ctx, "redis.call('SELECT', 2); redis.call('SET', KEYS[1], 's'); redis.call('SELECT', 1); return redis.call('GET', KEYS[1])", []string{"k"}).Err()
	})
	for range 6 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

// TestDatabasesScriptAllShards: with lua-undeclared-keys all-shards-lock
// a script may SELECT, write in another database, and FLUSHALL.
func TestDatabasesScriptAllShards(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := dbClient(t, ts, 0)
	if err := c.ConfigSet(ctx, "lua-undeclared-keys", "all-shards-lock").Err(); err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, "zero", "0", 0)
	v, err := c.Eval(ctx, `redis.call('SELECT', 3)
		redis.call('SET', 'three', '3')
		local before = redis.call('DBSIZE')
		redis.call('SELECT', 0)
		local zero = redis.call('DBSIZE')
		redis.call('FLUSHALL')
		return {before, zero, redis.call('DBSIZE')}`, nil).Result()
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(v); got != "[1 1 0]" {
		t.Fatalf("script returned %s, want [1 1 0]", got)
	}
	if n := dbClient(t, ts, 3).DBSize(ctx).Val(); n != 0 {
		t.Fatalf("db 3 holds %d keys after the script's FLUSHALL", n)
	}
}
