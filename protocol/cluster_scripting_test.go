package protocol

import (
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
)

// scriptRemoteKey returns a key the node does not own.
func scriptRemoteKey(t *testing.T, n *testNode, prefix string) string {
	t.Helper()
	for i := 0; i < 10000; i++ {
		k := fmt.Sprintf("%s%d", prefix, i)
		if !n.cl.Table().Local(cluster.Slot(k)) {
			return k
		}
	}
	t.Fatal("no remote key")
	return ""
}

// TestClusterScriptingProxy: in proxy mode EVAL and EVALSHA run on the
// node that owns their keys; an EVALSHA whose script the owner never saw
// is answered by loading it there (never NOSCRIPT); SCRIPT LOAD / FLUSH
// and FUNCTION LOAD / DELETE reach every node; keys on two nodes get
// CROSSSLOT; no keys runs locally.
func TestClusterScriptingProxy(t *testing.T) {
	nodes := startCluster(t, 2, route.Proxy)
	a, b := plainClient(t, nodes[0].addr), plainClient(t, nodes[1].addr)
	key := scriptRemoteKey(t, nodes[0], "k")
	body := "return redis.call('incr', KEYS[1])"

	// Only the proxy knows the script: the owner is taught it.
	s, msg := nodes[0].srv.scripting.get().Load([]byte(body), false)
	if s == nil {
		t.Fatal(msg)
	}
	if n, err := a.EvalSha(ctx, s.SHA, []string{key}).Int(); err != nil || n != 1 {
		t.Fatalf("EVALSHA through the proxy: %d %v", n, err)
	}
	if n, err := b.Get(ctx, key).Int(); err != nil || n != 1 {
		t.Fatalf("the owner's value: %d %v", n, err)
	}
	if ok, _ := b.ScriptExists(ctx, s.SHA).Result(); !ok[0] {
		t.Fatal("the owner was not taught the script")
	}

	// EVAL is forwarded too; the proxy keeps the body, so a later
	// EVALSHA survives the owner losing its cache.
	sha2 := "return redis.call('get', KEYS[1])"
	if v, err := a.Eval(ctx, sha2, []string{key}).Text(); err != nil || v != "1" {
		t.Fatal(v, err)
	}
	nodes[1].srv.scripting.get().Flush()
	s2, _ := nodes[0].srv.scripting.get().Load([]byte(sha2), false)
	if v, err := a.EvalSha(ctx, s2.SHA, []string{key}).Text(); err != nil || v != "1" {
		t.Fatalf("EVALSHA after the owner's flush: %v %v", v, err)
	}

	// SCRIPT LOAD and FLUSH apply to every node.
	sha3, err := a.ScriptLoad(ctx, "return 3").Result()
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.ScriptExists(ctx, sha3).Result(); !ok[0] {
		t.Fatal("SCRIPT LOAD did not reach the other node")
	}
	if err := b.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if ok, _ := a.ScriptExists(ctx, sha3).Result(); ok[0] {
		t.Fatal("SCRIPT FLUSH did not reach the other node")
	}

	// Keys on two nodes: CROSSSLOT. No keys: runs where it is sent.
	local := scriptRemoteKey(t, nodes[1], "l")
	if err := a.Eval(ctx, "return 1", []string{key, local}).Err(); err == nil || err.Error() != route.ErrCrossSlot {
		t.Fatalf("keys on two nodes: %v", err)
	}
	if n, err := a.Eval(ctx, "return 7", nil).Int(); err != nil || n != 7 {
		t.Fatal(n, err)
	}

	// With all-shards-lock a script may use undeclared keys, but not
	// keys another node owns.
	if err := a.ConfigSet(ctx, "lua-undeclared-keys", "all-shards-lock").Err(); err != nil {
		t.Fatal(err)
	}
	err = a.Eval(ctx, "return redis.call('get', ARGV[1])", nil, key).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "ERR Script attempted to access a non local key in a cluster node script: ") {
		t.Fatalf("a remote undeclared key: %v", err)
	}

	// FUNCTION LOAD / DELETE reach every node, so FCALL works anywhere.
	if err := a.FunctionLoad(ctx, testLibrary).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := b.FCall(ctx, "ctr_incr", []string{local}, 4).Int(); err != nil || n != 4 {
		t.Fatalf("FCALL on the other node: %d %v", n, err)
	}
	if n, err := a.FCall(ctx, "ctr_incr", []string{local}, 1).Int(); err != nil || n != 5 {
		t.Fatalf("FCALL forwarded to the owner: %d %v", n, err)
	}
	if err := a.FunctionDelete(ctx, "counters").Err(); err != nil {
		t.Fatal(err)
	}
	if err := b.FCall(ctx, "ctr_incr", []string{local}, 1).Err(); err == nil || !strings.Contains(err.Error(), "Function not found") {
		t.Fatalf("FUNCTION DELETE did not reach the other node: %v", err)
	}
}

// TestClusterScriptingRedirect: in redirect mode an EVAL on another
// node's key answers MOVED, and go-redis's cluster client follows it.
func TestClusterScriptingRedirect(t *testing.T) {
	nodes := startCluster(t, 2, route.Redirect)
	a := plainClient(t, nodes[0].addr)
	key := scriptRemoteKey(t, nodes[0], "k")
	if err := a.Eval(ctx, "return 1", []string{key}).Err(); err == nil || !strings.HasPrefix(err.Error(), "MOVED ") {
		t.Fatalf("EVAL of a remote key: %v", err)
	}
	if err := a.Eval(ctx, "return 1", []string{"a", "b"}).Err(); err == nil || err.Error() != route.ErrCrossSlot {
		t.Fatalf("EVAL over slots: %v", err)
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].addr}, Protocol: 2})
	defer cc.Close()
	s := redis.NewScript("return redis.call('incrby', KEYS[1], ARGV[1])")
	for i := 0; i < 20; i++ {
		k := fmt.Sprintf("r%d", i)
		if n, err := s.Run(ctx, cc, []string{k}, 2).Int(); err != nil || n != 2 {
			t.Fatalf("%s: %d %v", k, n, err)
		}
	}
}
