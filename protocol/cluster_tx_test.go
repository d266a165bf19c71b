package protocol

import (
	"fmt"
	"sync"
	"testing"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/redis/go-redis/v9"
)

// TestClusterRemoteTransaction: in proxy mode a client of one node runs
// MULTI/EXEC over keys another node owns, atomically there; keyless
// commands answer in their place; keys on two nodes get CROSSSLOT and
// EXECABORT, as in Redis Cluster.
func TestClusterRemoteTransaction(t *testing.T) {
	nodes := startCluster(t, 3, route.Proxy)
	k1 := "{" + remoteKey(nodes[0], "acct:") + "}" // a hash tag: k1+"missing" goes with it
	c := plainClient(t, nodes[0].addr)
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, k1, "10", 0)
		p.Ping(ctx)
		p.IncrBy(ctx, k1, 5)
		p.Get(ctx, k1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := cmds[3].(*redis.StringCmd).Val(); got != "15" || cmds[1].(*redis.StatusCmd).Val() != "PONG" {
		t.Fatalf("remote transaction replies: %v", cmds)
	}
	// Keys on this node and on another: CROSSSLOT at the second, and
	// EXECABORT.
	local := ""
	tb := nodes[0].cl.Table()
	for i := 0; local == ""; i++ {
		if k := fmt.Sprintf("local%d", i); tb.Local(cluster.Slot(k)) {
			local = k
		}
	}
	conn := c.Conn()
	defer conn.Close()
	conn.Do(ctx, "MULTI")
	conn.Do(ctx, "SET", local, "1")
	if err := conn.Do(ctx, "SET", k1, "2").Err(); err == nil || err.Error() != route.ErrCrossSlot {
		t.Errorf("a second node's key in the transaction: %v, want CROSSSLOT", err)
	}
	if err := conn.Do(ctx, "EXEC").Err(); err == nil || err.Error() != "EXECABORT Transaction discarded because of previous errors." {
		t.Errorf("EXEC: %v", err)
	}
	// RESP3 through the proxy too.
	c3 := redis.NewClient(&redis.Options{Addr: nodes[0].addr, Protocol: 3})
	defer c3.Close()
	cmds, err = c3.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, k1)
		p.Get(ctx, k1+"missing")
		return nil
	})
	if err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	if cmds[0].(*redis.StringCmd).Val() != "15" || cmds[1].Err() != redis.Nil {
		t.Errorf("RESP3 remote transaction: %v", cmds)
	}
}

// TestClusterRemoteWatch: WATCH of a key another node owns, through a
// proxy node, aborts EXEC when the key changes in between, and go-redis's
// optimistic-locking loop keeps an exact count under contention.
func TestClusterRemoteWatch(t *testing.T) {
	nodes := startCluster(t, 3, route.Proxy)
	key := remoteKey(nodes[0], "counter:")
	c := plainClient(t, nodes[0].addr)
	other := plainClient(t, nodes[2].addr)
	c.Set(ctx, key, "0", 0)

	if err := c.Watch(ctx, func(tx *redis.Tx) error {
		other.Set(ctx, key, "changed", 0) // between WATCH and EXEC
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, "mine", 0)
			return nil
		})
		return err
	}, key); err != redis.TxFailedErr {
		t.Fatalf("EXEC after the watched key changed: %v, want the transaction to fail", err)
	}
	if v := c.Get(ctx, key).Val(); v != "changed" {
		t.Fatalf("the aborted transaction wrote: %q", v)
	}

	c.Set(ctx, key, "0", 0)
	var wg sync.WaitGroup
	const workers, each = 4, 25
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := plainClient(t, nodes[0].addr)
			for range each {
				for {
					err := cl.Watch(ctx, func(tx *redis.Tx) error {
						n, err := tx.Get(ctx, key).Int()
						if err != nil {
							return err
						}
						_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
							p.Set(ctx, key, n+1, 0)
							return nil
						})
						return err
					}, key)
					if err == nil {
						break
					}
					if err != redis.TxFailedErr {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if n, _ := c.Get(ctx, key).Int(); n != workers*each {
		t.Errorf("optimistic increments through a proxy node: %d, want %d", n, workers*each)
	}
	// A WATCH here and a key there: CROSSSLOT.
	tb := nodes[0].cl.Table()
	local := ""
	for i := 0; local == ""; i++ {
		if k := fmt.Sprintf("l%d", i); tb.Local(cluster.Slot(k)) {
			local = k
		}
	}
	conn2 := c.Conn()
	defer conn2.Close()
	conn2.Do(ctx, "WATCH", local)
	if err := conn2.Do(ctx, "WATCH", key).Err(); err == nil || err.Error() != route.ErrCrossSlot {
		t.Errorf("WATCH on two nodes: %v, want CROSSSLOT", err)
	}
}
