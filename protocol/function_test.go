package protocol

import (
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

const testLibrary = `#!lua name=counters
local function incr(keys, args)
  return redis.call('incrby', keys[1], args[1])
end
local function get(keys)
  return redis.call('get', keys[1])
end
redis.register_function('ctr_incr', incr)
redis.register_function{function_name='ctr_get', callback=get, flags={'no-writes'}, description='reads a counter'}
`

// TestFunctionsGoRedis runs go-redis's function calls end to end: load,
// FCALL and FCALL_RO, list, dump and restore, delete, flush.
func TestFunctionsGoRedis(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	rdb := ts.client(t)
	if name, err := rdb.FunctionLoad(ctx, testLibrary).Result(); err != nil || name != "counters" {
		t.Fatal(name, err)
	}
	if n, err := rdb.FCall(ctx, "ctr_incr", []string{"c"}, 5).Int(); err != nil || n != 5 {
		t.Fatal(n, err)
	}
	if v, err := rdb.FCallRO(ctx, "ctr_get", []string{"c"}).Text(); err != nil || v != "5" {
		t.Fatal(v, err)
	}
	if err := rdb.FCallRO(ctx, "ctr_incr", []string{"c"}, 1).Err(); err == nil || err.Error() != "ERR Can not execute a script with write flag using *_ro command." {
		t.Fatal(err)
	}
	libs, err := rdb.FunctionList(ctx, redis.FunctionListQuery{WithCode: true}).Result()
	if err != nil || len(libs) != 1 || libs[0].Name != "counters" || len(libs[0].Functions) != 2 || libs[0].Code != testLibrary {
		t.Fatalf("%+v %v", libs, err)
	}
	dump, err := rdb.FunctionDump(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := rdb.FunctionDelete(ctx, "counters").Err(); err != nil {
		t.Fatal(err)
	}
	if err := rdb.FCall(ctx, "ctr_incr", []string{"c"}, 1).Err(); err == nil || err.Error() != "ERR Function not found" {
		t.Fatal(err)
	}
	if err := rdb.FunctionRestore(ctx, dump).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := rdb.FCall(ctx, "ctr_incr", []string{"c"}, 1).Int(); err != nil || n != 6 {
		t.Fatal(n, err)
	}
	if err := rdb.FunctionRestore(ctx, dump).Err(); err == nil || err.Error() != "ERR Library 'counters' already exists" {
		t.Fatal(err)
	}
	if err := rdb.FunctionFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if libs, _ := rdb.FunctionList(ctx, redis.FunctionListQuery{}).Result(); len(libs) != 0 {
		t.Fatal(libs)
	}
}

// TestFunctionDumpInteroperates: a FUNCTION DUMP payload made by a real
// redis-server (LZF-compressed) restores here, and one made here
// restores on redis-server.
func TestFunctionDumpInteroperates(t *testing.T) {
	ctx := context.Background()
	theirs := redis.NewClient(&redis.Options{Addr: servertest.RedisServer(t), Protocol: 2})
	defer theirs.Close()
	ours := startServer(t).client(t)
	if err := theirs.FunctionLoad(ctx, testLibrary).Err(); err != nil {
		t.Fatal(err)
	}
	dump, err := theirs.FunctionDump(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := ours.FunctionRestore(ctx, dump).Err(); err != nil {
		t.Fatalf("restoring redis-server's dump: %v", err)
	}
	if n, err := ours.FCall(ctx, "ctr_incr", []string{"c"}, 2).Int(); err != nil || n != 2 {
		t.Fatal(n, err)
	}
	ourDump, err := ours.FunctionDump(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := theirs.Do(ctx, "FUNCTION", "RESTORE", ourDump, "FLUSH").Err(); err != nil {
		t.Fatalf("redis-server restoring our dump: %v", err)
	}
	if n, err := theirs.FCall(ctx, "ctr_incr", []string{"c"}, 3).Int(); err != nil || n != 3 {
		t.Fatal(n, err)
	}
	bad := []byte(ourDump)
	bad[len(bad)-1] ^= 1
	if err := ours.FunctionRestore(ctx, string(bad)).Err(); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatal(err)
	}
}

// TestFunctionKill: FUNCTION KILL stops a function running past
// busy-reply-threshold; -BUSY then names FUNCTION KILL, and FUNCTION
// STATS shows the running function.
func TestFunctionKill(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	rdb := ts.client(t)
	rdb.ConfigSet(ctx, "busy-reply-threshold", "50")
	if err := rdb.FunctionLoad(ctx, "#!lua name=spin\nredis.register_function('spin', function(keys) while true do end end)").Err(); err != nil {
		t.Fatal(err)
	}
	spinner := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, MaxRetries: -1, ReadTimeout: -1})
	defer spinner.Close()
	done := make(chan error, 1)
	go func() { done <- spinner.FCall(ctx, "spin", []string{"k"}).Err() }()
	waitFor(t, func() bool { return ts.srv.scripting.busy.Load() > 0 })
	if err := rdb.Get(ctx, "k").Err(); err == nil || err.Error() != "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE." {
		t.Errorf("GET during a long function: %v", err)
	}
	stats, err := rdb.Do(ctx, "FUNCTION", "STATS").Slice()
	if err != nil || len(stats) != 4 || stats[1] == nil {
		t.Errorf("FUNCTION STATS: %v %v", stats, err)
	}
	if err := rdb.ScriptKill(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "BUSY") {
		t.Errorf("SCRIPT KILL of a function: %v", err)
	}
	if err := rdb.FunctionKill(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil || err.Error() != "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2." {
		t.Fatalf("killed function's reply: %v", err)
	}
}
