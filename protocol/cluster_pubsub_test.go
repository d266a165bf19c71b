package protocol

import (
	"fmt"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

// remoteKey returns a key (with prefix) that node n does not own; it
// panics if n owns every slot (the cluster has not formed).
func remoteKey(n *testNode, prefix string) string {
	t := n.cl.Table()
	for i := 0; i < 100000; i++ {
		k := fmt.Sprintf("%s%d", prefix, i)
		if !t.Local(cluster.Slot(k)) {
			return k
		}
	}
	panic("remoteKey: the node owns every slot")
}

// TestClusterPubSub: PUBLISH through any node reaches subscribers on every
// node; SPUBLISH goes to the shard channel's owner and, in proxy mode,
// reaches subscribers on any node; keyspace notifications of a key reach
// subscribers on other nodes.
func TestClusterPubSub(t *testing.T) {
	nodes := startCluster(t, 3, route.Proxy)
	var subs []*redis.PubSub
	for _, n := range nodes {
		c := redis.NewClient(&redis.Options{Addr: n.addr, Protocol: 3})
		defer c.Close()
		ps := c.Subscribe(ctx, "news")
		defer ps.Close()
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, ps)
	}
	pub := plainClient(t, nodes[1].addr)
	if n := pub.Publish(ctx, "news", "hi").Val(); n != 1 {
		t.Errorf("PUBLISH counted %d receivers, want 1 (this node's, as Redis Cluster)", n)
	}
	for i, ps := range subs {
		m, err := ps.ReceiveMessage(ctx)
		if err != nil || m.Payload != "hi" {
			t.Fatalf("subscriber on node %d: %+v, %v", i, m, err)
		}
	}

	// A shard channel owned by node 2, subscribed through node 0.
	ch := remoteKey(nodes[0], "chan")
	c0 := redis.NewClient(&redis.Options{Addr: nodes[0].addr, Protocol: 3})
	defer c0.Close()
	sps := c0.SSubscribe(ctx, ch)
	defer sps.Close()
	if _, err := sps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if err := plainClient(t, nodes[1].addr).SPublish(ctx, ch, "sharded").Err(); err != nil {
		t.Fatal(err)
	}
	if m, err := sps.ReceiveMessage(ctx); err != nil || m.Payload != "sharded" || m.Channel != ch {
		t.Fatalf("SSUBSCRIBE through a non-owner: %+v, %v", m, err)
	}

	// Keyspace notifications travel too: set on every node, since each
	// node reads its own settings.
	for _, n := range nodes {
		plainClient(t, n.addr).ConfigSet(ctx, "notify-keyspace-events", "E$")
	}
	kps := c0.Subscribe(ctx, "__keyevent@0__:set")
	defer kps.Close()
	if _, err := kps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	key := remoteKey(nodes[0], "key")
	plainClient(t, nodes[1].addr).Set(ctx, key, "v", 0)
	if m, err := kps.ReceiveMessage(ctx); err != nil || m.Payload != key {
		t.Fatalf("keyspace notification from the owner: %+v, %v", m, err)
	}
}

// TestClusterSSubscribeRedirect: in redirect mode SSUBSCRIBE of a shard
// channel another node owns answers MOVED, as Redis Cluster.
func TestClusterSSubscribeRedirect(t *testing.T) {
	nodes := startCluster(t, 2, route.Redirect)
	ch := remoteKey(nodes[0], "chan")
	r := plainClient(t, nodes[0].addr)
	err := r.Do(ctx, "SSUBSCRIBE", ch).Err()
	tb := nodes[0].cl.Table()
	slot := cluster.Slot(ch)
	if want := fmt.Sprintf("MOVED %d %s", slot, tb.ClientAddr(tb.Owner(slot))); err == nil || err.Error() != want {
		t.Fatalf("SSUBSCRIBE of another node's channel: %v, want %s", err, want)
	}
}

// TestClusterClientSideCaching: rueidis with its defaults, talking to one
// node of a proxy-mode cluster, caches keys other nodes own, and a write
// through any node invalidates them; in redirect mode rueidis's cluster
// client does the same.
func TestClusterClientSideCaching(t *testing.T) {
	for _, mode := range []route.Mode{route.Proxy, route.Redirect} {
		t.Run(mode.String(), func(t *testing.T) {
			nodes := startCluster(t, 3, mode)
			key := remoteKey(nodes[0], "user:")
			writer := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[2].addr}})
			defer writer.Close()
			if mode == route.Proxy {
				writer.Close()
				writer = nil
			}
			set := func(v string) {
				t.Helper()
				var err error
				if writer != nil {
					err = writer.Set(ctx, key, v, 0).Err()
				} else {
					err = plainClient(t, nodes[2].addr).Set(ctx, key, v, 0).Err()
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			set("v1")
			opt := rueidis.ClientOption{InitAddress: []string{nodes[0].addr}}
			if mode == route.Proxy {
				opt.ForceSingleClient = true // one node, as a plain Redis
			}
			c, err := rueidis.NewClient(opt)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if v, hit := cachedGet(t, c, key); v != "v1" || hit {
				t.Fatalf("first read: %q hit=%v", v, hit)
			}
			if v, hit := cachedGet(t, c, key); v != "v1" || !hit {
				t.Fatalf("second read: %q hit=%v, want a local cache hit", v, hit)
			}
			set("v2")
			waitFresh(t, c, key, "v2")
			// A write through the node the client itself talks to.
			if mode == route.Proxy {
				cachedGet(t, c, key)
				plainClient(t, nodes[0].addr).Set(ctx, key, "v3", 0)
				waitFresh(t, c, key, "v3")
			}
		})
	}
}

// TestClusterTrackingSlotMove: when a node joins and takes slots, clients
// of the old owners drop their caches, since the new owner does not know
// what they cached.
func TestClusterTrackingSlotMove(t *testing.T) {
	nodes := startCluster(t, 2, route.Proxy)
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{nodes[0].addr}, ForceSingleClient: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	plainClient(t, nodes[0].addr).Set(ctx, "k", "old", 0)
	cachedGet(t, c, "k")
	if _, hit := cachedGet(t, c, "k"); !hit {
		t.Fatal("not cached")
	}
	third := startNode(t, route.Proxy, nodes[0].cl.Self().GossipAddr)
	waitConverged(t, append(nodes, third), 3)
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, hit := cachedGet(t, c, "k"); !hit {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cache was not flushed after slots moved")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestClusterTrackingBcast: a BCAST client of a proxy node hears of
// writes to keys other nodes own, under its prefixes only.
func TestClusterTrackingBcast(t *testing.T) {
	nodes := startCluster(t, 3, route.Proxy)
	key := remoteKey(nodes[0], "bc:")
	plainClient(t, nodes[0].addr).Set(ctx, key, "v1", 0)
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{nodes[0].addr}, ForceSingleClient: true,
		ClientTrackingOptions: []string{"BCAST", "PREFIX", "bc:"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cachedGet(t, c, key)
	if _, hit := cachedGet(t, c, key); !hit {
		t.Fatal("not cached")
	}
	// The node asks its peers to report writes in the background.
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; ; i++ {
		v := fmt.Sprintf("v%d", i+2)
		plainClient(t, nodes[2].addr).Set(ctx, key, v, 0)
		time.Sleep(20 * time.Millisecond)
		if got, _ := cachedGet(t, c, key); got == v {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a BCAST client of a proxy node never heard of a write to a key another node owns")
		}
	}
}
