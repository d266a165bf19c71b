package protocol

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/protocol/config"
)

// unlockScript is the standard safe lock release: delete the lock only
// if it still holds the caller's token.
var unlockScript = redis.NewScript(`
if redis.call("get", KEYS[1]) == ARGV[1] then
  return redis.call("del", KEYS[1])
else
  return 0
end`)

// TestScriptLockRelease: many clients take a lock with SET NX PX, work,
// and release it with the check-and-delete script (go-redis's Script:
// EVALSHA, falling back to EVAL). A release that deleted someone else's
// lock would let two holders in at once: the test counts holders inside
// the critical section and fails on two, and checks every release of a
// lock the client still holds deletes it.
func TestScriptLockRelease(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	const clients, rounds = 16, 60
	var inside, maxInside, acquired atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			rdb := ts.client(t)
			for r := 0; r < rounds; r++ {
				token := fmt.Sprintf("%d-%d", id, r)
				ok, err := rdb.SetNX(ctx, "lock", token, 0).Result()
				if err != nil {
					errs <- err
					return
				}
				if !ok {
					// Someone else holds it; a release with our token
					// must leave it alone.
					if n, err := unlockScript.Run(ctx, rdb, []string{"lock"}, token).Int(); err != nil || n != 0 {
						errs <- fmt.Errorf("release of a lock we do not hold: %d, %v", n, err)
						return
					}
					continue
				}
				acquired.Add(1)
				n := inside.Add(1)
				for {
					m := maxInside.Load()
					if n <= m || maxInside.CompareAndSwap(m, n) {
						break
					}
				}
				inside.Add(-1)
				if n, err := unlockScript.Run(ctx, rdb, []string{"lock"}, token).Int(); err != nil || n != 1 {
					errs <- fmt.Errorf("release of our own lock: %d, %v", n, err)
					return
				}
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if maxInside.Load() != 1 {
		t.Errorf("%d holders at once", maxInside.Load())
	}
	if acquired.Load() == 0 {
		t.Error("no client ever took the lock")
	}
}

// TestScriptAtomicAcrossShards: a script that moves value between two
// keys on (very likely) different shards is atomic: concurrent readers
// running MGET never see the sum change.
func TestScriptAtomicAcrossShards(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	rdb := ts.client(t)
	keys := []string{"acct:a", "acct:b"}
	if ts.store.ShardOf([]byte(keys[0])) == ts.store.ShardOf([]byte(keys[1])) {
		t.Fatal("pick keys on different shards")
	}
	rdb.MSet(ctx, keys[0], 1000, keys[1], 1000)
	move := redis.NewScript(`
local a = tonumber(redis.call('get', KEYS[1]))
redis.call('set', KEYS[1], a - ARGV[1])
local b = tonumber(redis.call('get', KEYS[2]))
redis.call('set', KEYS[2], b + ARGV[1])
return a - ARGV[1]`)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var torn atomic.Int64
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := ts.client(t)
			for {
				select {
				case <-stop:
					return
				default:
				}
				vals, err := r.MGet(ctx, keys...).Result()
				if err != nil {
					t.Error(err)
					return
				}
				var a, b int
				fmt.Sscan(vals[0].(string), &a)
				fmt.Sscan(vals[1].(string), &b)
				if a+b != 2000 {
					torn.Add(1)
				}
			}
		}()
	}
	for i := 0; i < 300; i++ {
		if err := move.Run(ctx, rdb, keys, 1-2*(i%2)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if torn.Load() > 0 {
		t.Errorf("%d reads saw a half-done transfer", torn.Load())
	}
}

// TestScriptUndeclaredKey: a command on a key the script did not pass in
// KEYS is refused with a clear error; with lua-undeclared-keys
// all-shards-lock it runs, and so do keyspace-wide commands.
func TestScriptUndeclaredKey(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	rdb := ts.client(t)
	err := rdb.Eval(ctx, "return redis.call('set', 'other', 'v')", []string{"k"}).Err()
	if err == nil || !strings.Contains(err.Error(), "Script attempted to access key 'other' that it did not declare in KEYS") ||
		!strings.Contains(err.Error(), "script: ") {
		t.Fatalf("undeclared key: %v", err)
	}
	if err := rdb.Eval(ctx, "return redis.call('keys', '*')", nil).Err(); err == nil || !strings.Contains(err.Error(), "lua-undeclared-keys all-shards-lock") {
		t.Fatalf("KEYS in a script: %v", err)
	}
	if n, err := rdb.Exists(ctx, "other").Result(); err != nil || n != 0 {
		t.Fatalf("the refused write happened: %d %v", n, err)
	}
	if err := rdb.ConfigSet(ctx, "lua-undeclared-keys", "all-shards-lock").Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := rdb.Eval(ctx, "redis.call('set', 'other', 'v') return redis.call('keys', '*')", nil).StringSlice(); err != nil || len(v) != 1 || v[0] != "other" {
		t.Fatalf("all-shards-lock: %v %v", v, err)
	}
	if err := rdb.ConfigSet(ctx, "lua-undeclared-keys", "nonsense").Err(); err == nil {
		t.Fatal("a bad lua-undeclared-keys value was accepted")
	}
}

// TestScriptGoRedisAPI runs go-redis's scripting calls end to end.
func TestScriptGoRedisAPI(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	rdb := ts.client(t)
	sha, err := rdb.ScriptLoad(ctx, "return {KEYS[1], ARGV[1]}").Result()
	if err != nil || len(sha) != 40 {
		t.Fatal(sha, err)
	}
	if ok, err := rdb.ScriptExists(ctx, sha, strings.Repeat("0", 40)).Result(); err != nil || !ok[0] || ok[1] {
		t.Fatal(ok, err)
	}
	if v, err := rdb.EvalSha(ctx, sha, []string{"k"}, "a").StringSlice(); err != nil || v[0] != "k" || v[1] != "a" {
		t.Fatal(v, err)
	}
	if v, err := rdb.EvalShaRO(ctx, sha, []string{"k"}, "a").StringSlice(); err != nil || v[1] != "a" {
		t.Fatal(v, err)
	}
	if v, err := rdb.EvalRO(ctx, "return redis.call('get', KEYS[1])", []string{"k"}).Result(); err != redis.Nil {
		t.Fatal(v, err)
	}
	if err := rdb.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.EvalSha(ctx, sha, []string{"k"}, "a").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
		t.Fatal(err)
	}
	// go-redis's Script falls back from NOSCRIPT to EVAL.
	s := redis.NewScript("return redis.call('incrby', KEYS[1], ARGV[1])")
	for i := 1; i <= 3; i++ {
		if n, err := s.Run(ctx, rdb, []string{"ctr"}, 5).Int(); err != nil || n != 5*i {
			t.Fatal(n, err)
		}
	}
	if err := rdb.ScriptKill(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOTBUSY") {
		t.Fatal(err)
	}
}

// TestScriptInMulti: EVAL queued in MULTI runs inside EXEC, atomically
// with the rest, and WATCH sees a script's writes.
func TestScriptInMulti(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	rdb := ts.client(t)
	cmds, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "a", "1", 0)
		p.Eval(ctx, "return redis.call('incr', KEYS[1])", []string{"a"})
		p.Eval(ctx, "return redis.call('set', 'undeclared', 1)", []string{"a"})
		p.Get(ctx, "a")
		return nil
	})
	if err == nil || len(cmds) != 4 {
		t.Fatalf("EXEC: %v %v", cmds, err)
	}
	if n, _ := cmds[1].(*redis.Cmd).Int(); n != 2 {
		t.Errorf("EVAL in EXEC: %v", cmds[1])
	}
	if cmds[2].Err() == nil {
		t.Error("an undeclared key inside EXEC was allowed")
	}
	if v, _ := cmds[3].(*redis.StringCmd).Result(); v != "2" {
		t.Errorf("GET after EVAL in EXEC: %v", cmds[3])
	}

	// WATCH: a script's write to a watched key aborts the transaction.
	other := ts.client(t)
	err = rdb.Watch(ctx, func(tx *redis.Tx) error {
		if err := other.Eval(ctx, "return redis.call('set', KEYS[1], 'x')", []string{"w"}).Err(); err != nil {
			return err
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "w", "mine", 0)
			return nil
		})
		return err
	}, "w")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("WATCH after a script wrote the key: %v", err)
	}
}

// TestScriptBusyAndKill: a script looping past busy-reply-threshold makes
// commands on its keys' shards answer -BUSY (commands on other shards
// go on), SCRIPT KILL stops it with Redis's error, and a script that
// wrote cannot be killed.
func TestScriptBusyAndKill(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.Scripting.BusyReplyThreshold.Store(50) })
	ctx := context.Background()
	rdb := ts.client(t)
	var other string
	for i := 0; ; i++ {
		other = fmt.Sprintf("other%d", i)
		if ts.store.ShardOf([]byte(other)) != ts.store.ShardOf([]byte("spin")) {
			break
		}
	}
	// The script's own client waits as long as the script runs.
	spinner := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, MaxRetries: -1, ReadTimeout: -1})
	defer spinner.Close()
	done := make(chan error, 1)
	go func() {
		done <- spinner.Eval(ctx, "local i = 0 while true do i = i + 1 end", []string{"spin"}).Err()
	}()
	// A command sent before the script is counted busy would wait for
	// its lock (as it would on Redis before the threshold).
	waitFor(t, func() bool { return ts.srv.scripting.busy.Load() > 0 })
	if err := rdb.Get(ctx, "spin").Err(); err == nil || err.Error() != "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE." {
		t.Errorf("GET of the script's key: %v", err)
	}
	if err := rdb.Set(ctx, other, "v", 0).Err(); err != nil {
		t.Errorf("a command on another shard during a long script: %v", err)
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Errorf("PING during a long script: %v", err)
	}
	if err := rdb.Do(ctx, "function", "kill").Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSY") {
		t.Errorf("FUNCTION KILL of a script: %v", err)
	}
	if err := rdb.ScriptKill(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	err := <-done
	if err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL... script: ") {
		t.Fatalf("killed script's reply: %v", err)
	}
	if err := rdb.Get(ctx, "spin").Err(); err != redis.Nil {
		t.Fatalf("GET after the kill: %v", err)
	}

	// A script that wrote is unkillable; only SHUTDOWN ends it.
	go func() {
		done <- spinner.Eval(ctx, "redis.call('set', KEYS[1], 'started') while true do end", []string{"spin"}).Err()
	}()
	waitFor(t, func() bool { return ts.srv.scripting.busy.Load() > 0 })
	if err := rdb.ScriptKill(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "UNKILLABLE Sorry the script already executed write commands against the dataset.") {
		t.Fatalf("SCRIPT KILL of a script that wrote: %v", err)
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by SHUTDOWN") {
		t.Fatal(err)
	}
}

// TestScriptMemoryBound: a script that allocates without end is stopped
// by lua-memory-limit, and string.rep refuses a giant string outright.
func TestScriptMemoryBound(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.Scripting.MemoryLimit.Store(32 << 20) })
	ctx := context.Background()
	// Under the race detector the script takes seconds to fill 32 MiB.
	rdb := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, MaxRetries: -1, ReadTimeout: -1})
	defer rdb.Close()
	err := rdb.Eval(ctx, "local t = {} local i = 0 while true do i = i + 1 t[i] = 'item' .. i end", nil).Err()
	if err == nil || !strings.Contains(err.Error(), "lua-memory-limit") {
		t.Fatalf("unbounded table: %v", err)
	}
	// Each instruction doubles the string: checks every few hundred
	// instructions would come after 2^60 bytes; the watchdog stops it.
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	err = rdb.Eval(ctx, "local s = 'x' for i = 1, 60 do s = s .. s end return #s", nil).Err()
	if err == nil || !strings.Contains(err.Error(), "lua-memory-limit") {
		t.Fatalf("doubling string: %v", err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	t.Logf("doubling string stopped; heap peak grew by about %d MiB (limit 32 MiB)", (int64(after.HeapSys)-int64(before.HeapSys))>>20)
	err = rdb.Eval(ctx, "return #string.rep('x', 1e10)", nil).Err()
	if err == nil || !strings.Contains(err.Error(), "resulting string too large") {
		t.Fatalf("string.rep: %v", err)
	}
	if err := rdb.Eval(ctx, "return 1", nil).Err(); err != nil {
		t.Fatal(err)
	}
}

// TestScriptRandomIsPerCall: math.random gives the same numbers on every
// call of a script (the sequence restarts per call), the ones Redis gives
// the first script after a start.
func TestScriptRandomIsPerCall(t *testing.T) {
	ts := startServer(t)
	rdb := ts.client(t)
	for i := 0; i < 3; i++ {
		v, err := rdb.Eval(context.Background(), "return {math.random(100), math.random(100), math.random(100)}", nil).Int64Slice()
		if err != nil || fmt.Sprint(v) != "[40 85 36]" {
			t.Fatal(v, err)
		}
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestScriptACL: a script runs as its caller; a command the caller's ACL
// rules deny fails inside the script with Redis's error.
func TestScriptACL(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	admin := ts.client(t)
	if err := admin.Do(ctx, "ACL", "SETUSER", "lim", "on", "nopass", "~*", "+@all", "-set").Err(); err != nil {
		t.Fatal(err)
	}
	lim := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, Username: "lim", Password: "x"})
	defer lim.Close()
	err := lim.Eval(ctx, "return redis.call('set', KEYS[1], '1')", []string{"a"}).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "ERR The user executing the script can't run this command or subcommand script: ") {
		t.Fatalf("denied command in a script: %v", err)
	}
	if v, err := lim.Eval(ctx, "return redis.pcall('set', KEYS[1], '1')['err']", []string{"a"}).Text(); err != nil || v != "ERR The user executing the script can't run this command or subcommand" {
		t.Fatalf("pcall: %q %v", v, err)
	}
	if n, err := admin.Exists(ctx, "a").Result(); err != nil || n != 0 {
		t.Fatal("the denied write happened")
	}
}

// TestScriptInfo: INFO memory reports the script cache.
func TestScriptInfo(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	rdb := ts.client(t)
	rdb.ScriptLoad(ctx, "return 1")
	rdb.FunctionLoad(ctx, testLibrary)
	info, err := rdb.Info(ctx, "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"number_of_cached_scripts:1\r\n", "number_of_functions:2\r\n", "used_memory_scripts_eval:8\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO memory lacks %q", want)
		}
	}
}

// TestScriptStoppedByShutdown: SHUTDOWN stops a running script, even one
// that wrote (as Redis's SHUTDOWN NOSAVE), so the server can drain.
func TestScriptStoppedByShutdown(t *testing.T) {
	// Threshold 0: the script counts as busy at its first check, which
	// tells the test it is running.
	ts := startServer(t, func(c *config.Config) { c.Scripting.BusyReplyThreshold.Store(0) })
	ctx := context.Background()
	spinner := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, MaxRetries: -1, ReadTimeout: -1})
	defer spinner.Close()
	done := make(chan error, 1)
	go func() {
		done <- spinner.Eval(ctx, "redis.call('set', KEYS[1], 'x') while true do end", []string{"k"}).Err()
	}()
	waitFor(t, func() bool { return ts.srv.scripting.busy.Load() > 0 })
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(sctx); err != nil {
		t.Fatalf("shutdown with a running script: %v", err)
	}
	if err := <-done; err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by SHUTDOWN") {
		t.Fatalf("the script's reply: %v", err)
	}
}

// TestScriptNotifies: a script's writes send keyspace notifications like
// the same commands sent by a client.
func TestScriptNotifies(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	rdb := ts.client(t)
	if err := rdb.ConfigSet(ctx, "notify-keyspace-events", "E$").Err(); err != nil {
		t.Skip("keyspace notifications not available:", err)
	}
	sub := rdb.Subscribe(ctx, "__keyevent@0__:set")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rdb.Eval(ctx, "return redis.call('set', KEYS[1], 'v')", []string{"notified"}).Err(); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.ReceiveMessage(ctx)
	if err != nil || msg.Payload != "notified" {
		t.Fatalf("notification: %v %v", msg, err)
	}
}

// TestScriptOOM: over maxmemory with noeviction, a script's writes fail
// with Redis's OOM error (raised by redis.call), its reads work.
func TestScriptOOM(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := ts.client(t)
	for _, kv := range [][2]string{{"maxmemory", "1mb"}, {"maxmemory-policy", "noeviction"}} {
		if err := c.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	val := strings.Repeat("v", 100)
	for i := 0; ; i++ {
		if err := c.Set(ctx, fmt.Sprint("key:", i), val, 0).Err(); err != nil {
			break
		}
		if i == 100000 {
			t.Fatal("a 1mb server took 100000 writes")
		}
	}
	err := c.Eval(ctx, "return redis.call('set', KEYS[1], 'x')", []string{"new"}).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "OOM command not allowed when used memory > 'maxmemory'. script: ") {
		t.Fatalf("write in a script over maxmemory: %v", err)
	}
	if v, err := c.Eval(ctx, "return redis.call('get', KEYS[1])", []string{"key:1"}).Text(); err != nil || v != val {
		t.Fatalf("read in a script over maxmemory: %v", err)
	}
}
