package protocol

import (
	"fmt"
	"sort"
	"testing"

	"github.com/cachesrv/cachesrv/cluster/route"
)

// TestClusterFanOut: in proxy mode DBSIZE, KEYS, SCAN, RANDOMKEY and
// FLUSHALL through any node cover every node's keys; over a peer link
// (and in redirect mode) they stay node-local.
func TestClusterFanOut(t *testing.T) {
	nodes := startCluster(t, 3, route.Proxy)
	c := plainClient(t, nodes[0].addr)
	const n = 300
	for i := range n {
		if err := c.Set(ctx, fmt.Sprintf("k:%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i, node := range nodes {
		if got := plainClient(t, node.addr).DBSize(ctx).Val(); got != n {
			t.Errorf("DBSIZE through node %d = %d, want %d", i, got, n)
		}
		if local := node.st.DBSize(); local == n {
			t.Errorf("node %d holds every key: the test needs them spread", i)
		}
	}
	if keys := c.Keys(ctx, "k:*").Val(); len(keys) != n {
		t.Errorf("KEYS returned %d keys, want %d", len(keys), n)
	}
	seen := map[string]int{}
	var cursor uint64
	for rounds := 0; ; rounds++ {
		keys, next, err := plainClient(t, nodes[1].addr).Scan(ctx, cursor, "k:*", 37).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			seen[k]++
		}
		if cursor = next; cursor == 0 || rounds > 1000 {
			break
		}
	}
	var dup []string
	for k, times := range seen {
		if times > 1 {
			dup = append(dup, k)
		}
	}
	sort.Strings(dup)
	if len(seen) != n || len(dup) > 0 {
		t.Errorf("SCAN through a node saw %d distinct keys (want %d), repeated: %v", len(seen), n, dup)
	}
	if k := c.RandomKey(ctx).Val(); k == "" {
		t.Error("RANDOMKEY found nothing")
	}
	if err := plainClient(t, nodes[2].addr).FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	for i, node := range nodes {
		if node.st.DBSize() != 0 {
			t.Errorf("node %d keeps %d keys after FLUSHALL through node 2", i, node.st.DBSize())
		}
	}
	if k, err := c.RandomKey(ctx).Result(); k != "" || err == nil {
		t.Errorf("RANDOMKEY on an empty cluster: %q, %v", k, err)
	}
}
