package protocol

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Blocking commands over TCP with real clients. Nothing here depends on
// timing: a test waits for the condition it needs (INFO blocked_clients
// reaching N), never sleeps and asserts.

// waitBlocked waits until INFO clients reports n blocked clients.
func waitBlocked(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	want := fmt.Sprintf("blocked_clients:%d\r\n", n)
	for deadline := time.Now().Add(20 * time.Second); ; {
		info := c.Info(ctx, "clients").Val()
		if strings.Contains(info, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("blocked_clients never reached %d:\n%s", n, info)
		}
		time.Sleep(time.Millisecond)
	}
}

// blockConn is a client with a single connection, so that CLIENT ID
// names the connection its next command runs on.
func blockConn(t *testing.T, ts *testServer) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, MaxRetries: -1, PoolSize: 1})
	t.Cleanup(func() { c.Close() })
	return c
}

type popResult struct {
	who int
	val []string
	err error
}

// Clients blocked on a key are served in the order they blocked, one
// element each, and a push of several elements serves several clients.
func TestBlockingOrderOfService(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	results := make(chan popResult, 8)
	for i := range 4 {
		bc := blockConn(t, ts)
		go func() {
			v, err := bc.BLPop(ctx, 0, "q").Result()
			results <- popResult{i, v, err}
		}()
		waitBlocked(t, c, i+1) // client i blocked before client i+1 starts
	}
	if info := c.ClientList(ctx).Val(); strings.Count(info, "flags=b ") != 4 || strings.Count(info, "cmd=blpop") != 4 {
		t.Errorf("CLIENT LIST while 4 are blocked:\n%s", info)
	}
	c.RPush(ctx, "q", "a", "b", "c")
	got := map[int]string{}
	for range 3 {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		got[r.who] = r.val[1]
	}
	if got[0] != "a" || got[1] != "b" || got[2] != "c" {
		t.Errorf("served %v, want clients 0, 1, 2 with a, b, c", got)
	}
	waitBlocked(t, c, 1)
	c.LPush(ctx, "q", "d")
	if r := <-results; r.who != 3 || r.val[1] != "d" {
		t.Errorf("last client got %+v", r)
	}
	waitBlocked(t, c, 0)
	if n := c.Exists(ctx, "q").Val(); n != 0 {
		t.Error("the list outlived its last element")
	}
}

// BLPOP on several keys is served by whichever gets data; BRPOP pops the
// tail; a key of another type does not serve a blocked client.
func TestBlockingSeveralKeys(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	bc := blockConn(t, ts)
	done := make(chan popResult, 1)
	go func() {
		v, err := bc.BRPop(ctx, 0, "k1", "k2", "k3").Result()
		done <- popResult{0, v, err}
	}()
	waitBlocked(t, c, 1)
	c.Set(ctx, "k1", "string", 0) // written, wrong type: it waits on
	c.RPush(ctx, "k3", "x", "y")
	r := <-done
	if r.err != nil || r.val[0] != "k3" || r.val[1] != "y" {
		t.Fatalf("BRPOP got %v %v", r.val, r.err)
	}
	waitBlocked(t, c, 0)
}

// Timeouts: sub-second, the null reply of each protocol, and a timeout of
// 0 that waits until served.
func TestBlockingTimeouts(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	if err := c.BLPop(ctx, 50*time.Millisecond, "none").Err(); err != redis.Nil {
		t.Errorf("BLPOP timeout: %v", err)
	}
	if err := c.BLMove(ctx, "none", "dst", "LEFT", "RIGHT", 20*time.Millisecond).Err(); err != redis.Nil {
		t.Errorf("BLMOVE timeout: %v", err)
	}
	for _, tc := range []struct{ hello, cmd, want string }{
		{"", "*3\r\n$5\r\nBLPOP\r\n$4\r\nnone\r\n$4\r\n0.05\r\n", "*-1"},
		{"", "*4\r\n$10\r\nBRPOPLPUSH\r\n$4\r\nnone\r\n$1\r\nd\r\n$4\r\n0.01\r\n", "*-1"},
		{"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n", "*5\r\n$6\r\nBLMPOP\r\n$4\r\n0.02\r\n$1\r\n1\r\n$4\r\nnone\r\n$4\r\nLEFT\r\n", "_"},
		{"*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n", "*3\r\n$5\r\nBRPOP\r\n$4\r\nnone\r\n$4\r\n0.01\r\n", "_"},
	} {
		r := ts.raw(t)
		if tc.hello != "" {
			r.send(tc.hello)
			for l := r.line(); l != "*0"; l = r.line() { // HELLO's map ends with modules: *0
			}
		}
		r.send(tc.cmd)
		if got := r.line(); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.cmd, got, tc.want)
		}
	}
	// A client blocked with a long timeout is served when data comes.
	bc := blockConn(t, ts)
	done := make(chan error, 1)
	go func() { done <- bc.BLPop(ctx, time.Hour, "later").Err() }()
	waitBlocked(t, c, 1)
	c.RPush(ctx, "later", "v")
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, c, 0)
}

// A client that disconnects while blocked leaves nothing behind: the
// count goes back to 0 and a later push stays in the list.
func TestBlockingDisconnect(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	r := ts.raw(t)
	r.send("*3\r\n$5\r\nBLPOP\r\n$4\r\ngone\r\n$1\r\n0\r\n")
	waitBlocked(t, c, 1)
	r.conn.Close()
	waitBlocked(t, c, 0)
	c.RPush(ctx, "gone", "kept")
	if n := c.LLen(ctx, "gone").Val(); n != 1 {
		t.Errorf("LLEN %d after the blocked client left, want 1", n)
	}
	// Commands a blocked client pipelines after its BLPOP run once it is
	// served, in order.
	r2 := ts.raw(t)
	r2.send("*3\r\n$5\r\nBLPOP\r\n$2\r\np2\r\n$1\r\n0\r\n")
	waitBlocked(t, c, 1)
	r2.send("*2\r\n$4\r\nECHO\r\n$5\r\nafter\r\n")
	c.RPush(ctx, "p2", "x")
	for _, want := range []string{"*2", "$2", "p2", "$1", "x", "$5", "after"} {
		if got := r2.line(); got != want {
			t.Fatalf("pipelined reply %q, want %q", got, want)
		}
	}
}

// A push inside MULTI/EXEC or a script serves blocked clients after the
// transaction or script, with what the list holds then.
func TestBlockingAfterExecAndScript(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	bc := blockConn(t, ts)
	done := make(chan popResult, 1)
	blpop := func(key string) {
		go func() {
			v, err := bc.BLPop(ctx, 0, key).Result()
			done <- popResult{0, v, err}
		}()
		waitBlocked(t, c, 1)
	}
	blpop("tx")
	// Pushed and removed inside one transaction: nothing to serve.
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, "tx", "gone")
		p.Del(ctx, "tx")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	c.Ping(ctx) // a command after EXEC: the client had its chance to run
	select {
	case r := <-done:
		t.Fatalf("served %v from a list emptied in the same transaction", r.val)
	default:
	}
	waitBlocked(t, c, 1)
	if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.RPush(ctx, "tx", "a", "b")
		p.LPop(ctx, "tx")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil || r.val[1] != "b" {
		t.Fatalf("after EXEC: %v %v, want b", r.val, r.err)
	}
	blpop("lua")
	if err := c.Eval(ctx, "redis.call('RPUSH', KEYS[1], 'x', 'y'); redis.call('LPOP', KEYS[1]); return 1", []string{"lua"}).Err(); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil || r.val[1] != "y" {
		t.Fatalf("after the script: %v %v, want y", r.val, r.err)
	}
	waitBlocked(t, c, 0)
}

// CLIENT UNBLOCK: TIMEOUT (the default) answers the timeout's null,
// ERROR the UNBLOCKED error; a client not blocked gives 0.
func TestClientUnblock(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	for _, mode := range []string{"", "TIMEOUT", "ERROR"} {
		bc := blockConn(t, ts)
		id := bc.ClientID(ctx).Val()
		done := make(chan error, 1)
		go func() { done <- bc.BLMove(ctx, "u1", "u2", "LEFT", "LEFT", 0).Err() }()
		waitBlocked(t, c, 1)
		args := []any{"CLIENT", "UNBLOCK", id}
		if mode != "" {
			args = append(args, mode)
		}
		if n, err := c.Do(ctx, args...).Int(); n != 1 || err != nil {
			t.Fatalf("CLIENT UNBLOCK %s: %d %v", mode, n, err)
		}
		err := <-done
		switch mode {
		case "ERROR":
			if err == nil || err.Error() != "UNBLOCKED client unblocked via CLIENT UNBLOCK" {
				t.Errorf("ERROR mode: %v", err)
			}
		default:
			if err != redis.Nil {
				t.Errorf("%q mode: %v, want nil", mode, err)
			}
		}
		waitBlocked(t, c, 0)
		if n := c.Do(ctx, "CLIENT", "UNBLOCK", id).Val(); n != int64(0) {
			t.Errorf("CLIENT UNBLOCK of a client not blocked: %v", n)
		}
		if err := bc.Ping(ctx).Err(); err != nil { // the connection goes on
			t.Fatal(err)
		}
	}
}

// BLMOVE, BRPOPLPUSH and BLMPOP block and are served.
func TestBlockingMoveAndMPop(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	bc := blockConn(t, ts)
	got := make(chan string, 1)
	go func() { got <- bc.BLMove(ctx, "from", "to", "RIGHT", "LEFT", 0).Val() }()
	waitBlocked(t, c, 1)
	c.RPush(ctx, "from", "m1", "m2")
	if v := <-got; v != "m2" {
		t.Errorf("BLMOVE got %q", v)
	}
	if v := c.LRange(ctx, "to", 0, -1).Val(); len(v) != 1 || v[0] != "m2" {
		t.Errorf("destination holds %v", v)
	}
	go func() { got <- bc.BRPopLPush(ctx, "from2", "to", 0).Val() }()
	waitBlocked(t, c, 1)
	c.RPush(ctx, "from2", "r1")
	if v := <-got; v != "r1" {
		t.Errorf("BRPOPLPUSH got %q", v)
	}
	mp := make(chan []string, 1)
	go func() {
		key, vals, _ := bc.BLMPop(ctx, 0, "left", 10, "mp1", "mp2").Result()
		mp <- append([]string{key}, vals...)
	}()
	waitBlocked(t, c, 1)
	c.RPush(ctx, "mp2", "a", "b", "c")
	if v := <-mp; strings.Join(v, ",") != "mp2,a,b,c" {
		t.Errorf("BLMPOP got %v", v)
	}
	waitBlocked(t, c, 0)
}

// List keyspace notifications, in Redis's order, LMOVE's included.
func TestListNotifications(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	c.ConfigSet(ctx, "notify-keyspace-events", "KEA")
	sub := c.PSubscribe(ctx, "__keyevent@0__:*")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	c.RPush(ctx, "n", "a", "b")
	c.LPush(ctx, "n", "z")
	c.LSet(ctx, "n", 0, "y")
	c.LInsertAfter(ctx, "n", "y", "w")
	c.LRem(ctx, "n", 0, "w")
	c.LTrim(ctx, "n", 0, 1)
	c.LMove(ctx, "n", "n2", "LEFT", "RIGHT")
	c.RPop(ctx, "n")
	c.LPush(ctx, "n3", "x")
	c.LTrim(ctx, "n3", 1, 0)
	want := []string{"rpush n", "lpush n", "lset n", "linsert n", "lrem n", "ltrim n",
		"rpush n2", "lpop n", "rpop n", "del n", "lpush n3", "ltrim n3", "del n3"}
	for i, w := range want {
		m, err := sub.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimPrefix(m.Channel, "__keyevent@0__:") + " " + m.Payload; got != w {
			t.Fatalf("event %d: %q, want %q", i, got, w)
		}
	}
}

// Many clients blocked on several keys and concurrent pushers: every
// element is delivered exactly once and no client is left waiting while
// a list it waits on has data (a lost wake-up would hang this test).
func TestBlockingNoLostWakeups(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	const clients = 24
	results := make(chan popResult, clients)
	for i := range clients {
		bc := blockConn(t, ts)
		keys := []string{"w1", "w2", "w3"}
		if i%2 == 1 {
			keys = []string{"w3", "w2", "w1"}
		}
		go func() {
			// A long timeout rather than 0: a lost wake-up then fails
			// the test (redis.Nil) instead of hanging the package.
			v, err := bc.BLPop(ctx, time.Minute, keys...).Result()
			results <- popResult{i, v, err}
		}()
	}
	waitBlocked(t, c, clients)
	pushers := make(chan error, 6)
	for p := range 6 {
		pc := ts.client(t)
		go func() {
			for j := range clients / 6 {
				key := []string{"w1", "w2", "w3"}[(p+j)%3]
				if err := pc.RPush(ctx, key, fmt.Sprintf("%d-%d", p, j)).Err(); err != nil {
					pushers <- err
					return
				}
			}
			pushers <- nil
		}()
	}
	for range 6 {
		if err := <-pushers; err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for range clients {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if seen[r.val[1]] {
			t.Fatalf("%s delivered twice", r.val[1])
		}
		seen[r.val[1]] = true
	}
	waitBlocked(t, c, 0)
	if n := c.Exists(ctx, "w1", "w2", "w3").Val(); n != 0 {
		t.Errorf("%d lists left with elements", n)
	}
}
