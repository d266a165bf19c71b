package protocol

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

// TestClusterDownAnswers: a node whose seed is not up serves no key in
// either mode: key commands, a transaction and a script get Redis's
// CLUSTERDOWN (not MOVED, not a cluster of one), CLUSTER SLOTS is empty,
// CLUSTER NODES lists itself with no slot, and the server is not ready.
// Once the seed is up it joins and serves.
func TestClusterDownAnswers(t *testing.T) {
	const down = "CLUSTERDOWN The cluster is down"
	for _, mode := range []route.Mode{route.Proxy, route.Redirect} {
		t.Run(mode.String(), func(t *testing.T) {
			port := servertest.FreePort(t)
			n := startNode(t, mode, fmt.Sprintf("127.0.0.1:%d", port))
			if !n.cl.Down() {
				t.Fatal("a node whose only seed is not up is not down")
			}
			ctx := context.Background()
			c := redis.NewClient(&redis.Options{Addr: n.addr, Protocol: 2, MaxRetries: -1})
			t.Cleanup(func() { c.Close() })
			for name, err := range map[string]error{
				"SET":  c.Set(ctx, "k", "v", 0).Err(),
				"GET":  c.Get(ctx, "k").Err(),
				"MGET": c.MGet(ctx, "a", "b", "c").Err(),
				"EVAL": c.Eval(ctx, "return redis.call('get', KEYS[1])", []string{"k"}).Err(),
			} {
				if err == nil || err.Error() != down {
					t.Errorf("%s: %v, want %s", name, err, down)
				}
			}
			_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Incr(ctx, "counter")
				return nil
			})
			if err == nil || !strings.Contains(err.Error(), "EXECABORT") && err.Error() != down {
				t.Errorf("MULTI / INCR / EXEC: %v, want the transaction refused", err)
			}
			if v, err := c.Ping(ctx).Result(); err != nil || v != "PONG" {
				t.Errorf("PING = %q, %v", v, err)
			}
			if slots, err := c.ClusterSlots(ctx).Result(); err != nil || len(slots) != 0 {
				t.Errorf("CLUSTER SLOTS = %v, %v; want none", slots, err)
			}
			nodes, _ := c.ClusterNodes(ctx).Result()
			if lines := strings.Split(strings.TrimSpace(nodes), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "myself,master") || !strings.HasSuffix(lines[0], "connected") {
				t.Errorf("CLUSTER NODES while down:\n%s", nodes)
			}
			if n.srv.Ready() {
				t.Error("ready while down")
			}

			seed := startNodeWith(t, mode, func(cfg *cluster.Config) { cfg.BindPort = port })
			for deadline := time.Now().Add(15 * time.Second); n.cl.Down() || n.cl.Table().Len() != 2; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the node did not join once its seed was up")
				}
			}
			waitConverged(t, []*testNode{seed, n}, 2)
			if !n.srv.Ready() {
				t.Error("not ready after joining")
			}
			cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{n.addr}, Protocol: 2})
			t.Cleanup(func() { cc.Close() })
			if err := cc.Set(ctx, "k", "v", 0).Err(); err != nil {
				t.Fatalf("SET after joining: %v", err)
			}
			if v, err := cc.Get(ctx, "k").Result(); err != nil || v != "v" {
				t.Fatalf("GET after joining = %q, %v", v, err)
			}
		})
	}
}
