package protocol

import (
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
)

// In proxy mode a client blocked on a key another node owns is served
// when the key gets data, however the data gets there; it times out and
// is unblocked as on one node.
func TestClusterProxyBlocking(t *testing.T) {
	nodes := startCluster(t, 2, route.Proxy)
	key := remoteKey(nodes[0], "bk")
	a := plainClient(t, nodes[0].addr)
	owner := plainClient(t, nodes[1].addr)
	bc := redis.NewClient(&redis.Options{Addr: nodes[0].addr, Protocol: 2, PoolSize: 1, MaxRetries: -1})
	defer bc.Close()
	done := make(chan popResult, 1)
	go func() {
		v, err := bc.BLPop(ctx, 0, key).Result()
		done <- popResult{0, v, err}
	}()
	waitBlocked(t, a, 1)
	owner.RPush(ctx, key, "v1")
	if r := <-done; r.err != nil || r.val[1] != "v1" {
		t.Fatalf("served %v %v", r.val, r.err)
	}
	waitBlocked(t, a, 0)
	if err := bc.BLPop(ctx, 30*time.Millisecond, key).Err(); err != redis.Nil {
		t.Errorf("remote BLPOP timeout: %v", err)
	}
	if err := bc.BLMove(ctx, key, key, "LEFT", "LEFT", 30*time.Millisecond).Err(); err != redis.Nil {
		t.Errorf("remote BLMOVE timeout: %v", err)
	}
	id := bc.ClientID(ctx).Val()
	errc := make(chan error, 1)
	go func() { errc <- bc.BRPop(ctx, 0, key).Err() }()
	waitBlocked(t, a, 1)
	if n := a.Do(ctx, "CLIENT", "UNBLOCK", id, "ERROR").Val(); n != int64(1) {
		t.Fatalf("CLIENT UNBLOCK: %v", n)
	}
	if err := <-errc; err == nil || err.Error() != "UNBLOCKED client unblocked via CLIENT UNBLOCK" {
		t.Errorf("unblocked: %v", err)
	}
	waitBlocked(t, a, 0)
}

// In redirect mode a blocking command on a key owned elsewhere is MOVED.
func TestClusterRedirectBlocking(t *testing.T) {
	nodes := startCluster(t, 2, route.Redirect)
	key := remoteKey(nodes[0], "bk")
	t0 := nodes[0].cl.Table()
	slot := cluster.Slot(key)
	want := fmt.Sprintf("MOVED %d %s", slot, t0.Addr(t0.Owner(slot)))
	a := plainClient(t, nodes[0].addr)
	if err := a.BLPop(ctx, 0, key).Err(); err == nil || err.Error() != want {
		t.Errorf("BLPOP of a remote key: %v, want %q", err, want)
	}
}
