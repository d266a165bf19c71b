package protocol

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/redis/go-redis/v9"
)

// handoffTTL is the TTL of the keys with one in the hand-off tests.
const handoffTTL = 200 * time.Second

// handoffData writes n keys through c: strings without and with a TTL,
// hashes and sets, a quarter of each, and returns their names.
func handoffData(t *testing.T, c *redis.Client, n int) []string {
	t.Helper()
	keys := make([]string, n)
	p := c.Pipeline()
	for i := range n {
		k := fmt.Sprintf("k:%d", i)
		keys[i] = k
		switch i % 6 {
		case 0:
			p.Set(ctx, k, "v"+k, 0)
		case 1:
			p.Set(ctx, k, "v"+k, handoffTTL)
		case 2:
			p.HSet(ctx, k, "a", "1", "b", k)
		case 3:
			p.SAdd(ctx, k, "x", k, 42)
		case 4:
			p.ZAdd(ctx, k, redis.Z{Score: 1, Member: "a"}, redis.Z{Score: 2.5, Member: k})
		case 5:
			p.RPush(ctx, k, "x", k)
		}
		if p.Len() == 500 {
			if _, err := p.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return keys
}

// checkHandoffData reads every key of handoffData through c: values and
// TTLs kept (a TTL within what has passed since it was set, plus a
// margin). It returns how many are wrong, logging the first few.
func checkHandoffData(t *testing.T, c *redis.Client, keys []string, since time.Time) int {
	t.Helper()
	bad := 0
	for lo := 0; lo < len(keys); lo += 500 {
		p := c.Pipeline()
		var cmds []redis.Cmder
		var ttls []*redis.DurationCmd
		for i := lo; i < min(lo+500, len(keys)); i++ {
			k := keys[i]
			switch i % 6 {
			case 0, 1:
				cmds = append(cmds, p.Get(ctx, k))
			case 2:
				cmds = append(cmds, p.HGetAll(ctx, k))
			case 3:
				cmds = append(cmds, p.SMembers(ctx, k))
			case 4:
				cmds = append(cmds, p.ZRangeWithScores(ctx, k, 0, -1))
			case 5:
				cmds = append(cmds, p.LRange(ctx, k, 0, -1))
			}
			ttls = append(ttls, p.PTTL(ctx, k))
		}
		p.Exec(ctx)
		for j, cmd := range cmds {
			i := lo + j
			k := keys[i]
			ok := true
			switch i % 6 {
			case 0, 1:
				v, err := cmd.(*redis.StringCmd).Result()
				ok = err == nil && v == "v"+k
			case 2:
				v, err := cmd.(*redis.MapStringStringCmd).Result()
				ok = err == nil && len(v) == 2 && v["a"] == "1" && v["b"] == k
			case 3:
				v, err := cmd.(*redis.StringSliceCmd).Result()
				slices.Sort(v)
				want := []string{"42", k, "x"}
				slices.Sort(want)
				ok = err == nil && slices.Equal(v, want)
			case 4:
				v, err := cmd.(*redis.ZSliceCmd).Result()
				ok = err == nil && len(v) == 2 && v[0] == redis.Z{Score: 1, Member: "a"} && v[1] == redis.Z{Score: 2.5, Member: k}
			case 5:
				v, err := cmd.(*redis.StringSliceCmd).Result()
				ok = err == nil && slices.Equal(v, []string{"x", k})
			}
			ttl, err := ttls[j].Result()
			if i%6 == 1 {
				low := handoffTTL - time.Since(since) - 5*time.Second
				ok = ok && err == nil && ttl > low && ttl <= handoffTTL
			} else {
				ok = ok && err == nil && ttl == -1
			}
			if !ok {
				if bad < 5 {
					t.Errorf("key %s after the hand-off: %v, PTTL %v", k, cmd, ttls[j])
				}
				bad++
			}
		}
	}
	return bad
}

// waitHandoff waits until no node imports or owes a hand-off and every
// node holds only keys of the slots it owns.
func waitHandoff(t *testing.T, nodes []*testNode) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		quiet := true
		for _, n := range nodes {
			st := n.srv.HandoffStats()
			if st.SlotsImporting != 0 || st.SlotsPending != 0 || foreignKeys(n) != 0 {
				quiet = false
			}
		}
		if quiet {
			return
		}
		if time.Now().After(deadline) {
			for _, n := range nodes {
				t.Logf("%s: %+v, %d keys of slots it does not own", n.cl.ID(), n.srv.HandoffStats(), foreignKeys(n))
			}
			t.Fatal("the hand-off did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// foreignKeys counts the keys n holds in slots it does not own.
func foreignKeys(n *testNode) int {
	tbl := n.cl.Table()
	c := 0
	n.st.Tx().Keys(func(k []byte) {
		if !tbl.Local(cluster.Slot(k)) {
			c++
		}
	})
	return c
}

// ownedKeys counts the keys of keys whose slot n owns.
func ownedKeys(n *testNode, keys []string) (int, map[int]int) {
	tbl := n.cl.Table()
	perSlot := map[int]int{}
	c := 0
	for _, k := range keys {
		if s := cluster.Slot(k); tbl.Local(s) {
			c++
			perSlot[s]++
		}
	}
	return c, perSlot
}

// A node joins a cluster of two holding 10k keys: every key still reads
// its value and TTL through every node, and the new node holds the keys of
// its slots (CLUSTER COUNTKEYSINSLOT).
func TestHandoffOnJoin(t *testing.T) {
	nodes := startCluster(t, 2, route.Proxy)
	written := time.Now()
	keys := handoffData(t, plainClient(t, nodes[0].addr), 10000)
	third := startNode(t, route.Proxy, nodes[0].cl.Self().GossipAddr)
	all := append(nodes, third)
	waitConverged(t, all, 3)
	waitHandoff(t, all)
	for _, n := range []*testNode{third, nodes[1]} {
		if bad := checkHandoffData(t, plainClient(t, n.addr), keys, written); bad > 0 {
			t.Fatalf("through %s: %d of %d keys lost or changed", n.cl.ID(), bad, len(keys))
		}
	}
	want, perSlot := ownedKeys(third, keys)
	if got := int(third.st.DBSize()); want == 0 || got != want {
		t.Fatalf("the new node holds %d keys, want the %d of its slots", got, want)
	}
	c := plainClient(t, third.addr)
	checked := 0
	for s, n := range perSlot {
		got, err := c.ClusterCountKeysInSlot(ctx, s).Result()
		if err != nil || got != int64(n) {
			t.Fatalf("CLUSTER COUNTKEYSINSLOT %d on the new node: %d %v, want %d", s, got, err, n)
		}
		if checked++; checked == 20 {
			break
		}
	}
	st := third.srv.HandoffStats()
	t.Logf("new node: %d keys received by stream, %d fetched on a miss", st.KeysReceived, st.KeysFetched)
}

// One node of three leaves gracefully: its keys go to the new owners of
// its slots and none is lost.
func TestHandoffOnGracefulLeave(t *testing.T) {
	nodes := startCluster(t, 3, route.Proxy)
	written := time.Now()
	keys := handoffData(t, plainClient(t, nodes[0].addr), 10000)
	leaving := nodes[2]
	if leaving.st.DBSize() == 0 {
		t.Fatal("the leaving node holds no keys")
	}
	began := time.Now()
	if err := leaving.srv.LeaveCluster(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	t.Logf("leave with hand-off: %v", time.Since(began))
	if n := leaving.st.DBSize(); n != 0 {
		t.Fatalf("%d keys left on the node after its hand-off", n)
	}
	if st := leaving.srv.HandoffStats(); st.KeysSent == 0 || st.SlotsPending != 0 {
		t.Fatalf("hand-off stats of the leaving node: %+v", st)
	}
	leaving.stop()
	survivors := nodes[:2]
	waitConverged(t, survivors, 2)
	waitHandoff(t, survivors)
	for _, n := range survivors[1:] {
		if bad := checkHandoffData(t, plainClient(t, n.addr), keys, written); bad > 0 {
			t.Fatalf("through %s: %d of %d keys lost or changed", n.cl.ID(), bad, len(keys))
		}
	}
}

// A node that leaves and comes back under the same node ID gets the keys
// of its slots back.
func TestHandoffRestartSameNodeID(t *testing.T) {
	id := func(c *cluster.Config) { c.NodeID = "handoff-restarted" }
	nodes := startCluster(t, 2, route.Proxy)
	node := startNodeWith(t, route.Proxy, id, nodes[0].cl.Self().GossipAddr)
	all := append(slices.Clone(nodes), node)
	waitConverged(t, all, 3)
	written := time.Now()
	keys := handoffData(t, plainClient(t, nodes[0].addr), 6000)
	had := int(node.st.DBSize())
	if err := node.srv.LeaveCluster(20 * time.Second); err != nil {
		t.Fatal(err)
	}
	node.stop()
	waitConverged(t, nodes, 2)
	waitHandoff(t, nodes)

	back := startNodeWith(t, route.Proxy, id, nodes[0].cl.Self().GossipAddr)
	all = append(slices.Clone(nodes), back)
	waitConverged(t, all, 3)
	waitHandoff(t, all)
	want, _ := ownedKeys(back, keys)
	if got := int(back.st.DBSize()); got != want || got != had {
		t.Fatalf("the restarted node holds %d keys, want the %d of its slots (it had %d)", got, want, had)
	}
	if bad := checkHandoffData(t, plainClient(t, back.addr), keys, written); bad > 0 {
		t.Fatalf("%d of %d keys lost or changed", bad, len(keys))
	}
}

// gate holds every node's hand-off stream until opened.
type gate struct {
	once sync.Once
	ch   chan struct{}
}

func holdHandoff(t *testing.T, nodes ...*testNode) *gate {
	g := &gate{ch: make(chan struct{})}
	wait := func() { <-g.ch }
	for _, n := range nodes {
		n.srv.handoff.beforeBatch.Store(&wait)
	}
	t.Cleanup(g.open)
	return g
}

func (g *gate) open() { g.once.Do(func() { close(g.ch) }) }

// During a hand-off, the new owner's writes win: a key it writes is not
// overwritten by the older copy streamed afterwards, a key it deletes is
// not brought back, a partial write (HSET of one field) applies to the
// old owner's value, and a key it only reads is fetched from the old
// owner. The stream is held (a test hook) until all of that is done.
func TestHandoffWritesDuringMoveWin(t *testing.T) {
	nodes := startCluster(t, 2, route.Proxy)
	keys := handoffData(t, plainClient(t, nodes[0].addr), 4000)
	g := holdHandoff(t, nodes...)
	third := startNode(t, route.Proxy, nodes[0].cl.Self().GossipAddr)
	all := append(slices.Clone(nodes), third)
	waitConverged(t, all, 3)
	if st := third.srv.HandoffStats(); st.SlotsImporting == 0 {
		t.Fatalf("the new node imports no slot: %+v", st)
	}
	// Keys of each kind now owned by the new node, still held by the others.
	var strs, hashes []string
	for i, k := range keys {
		if !third.cl.Table().Local(cluster.Slot(k)) {
			continue
		}
		switch i % 6 { // handoffData's kinds
		case 0:
			strs = append(strs, k)
		case 2:
			hashes = append(hashes, k)
		}
	}
	if len(strs) < 4 || len(hashes) < 1 {
		t.Fatalf("the new node owns too few keys: %d strings, %d hashes", len(strs), len(hashes))
	}
	if third.st.DBSize() != 0 {
		t.Fatalf("the new node holds %d keys before the stream", third.st.DBSize())
	}
	overwritten, deleted, read, hash := strs[0], strs[1], strs[2], hashes[0]
	c := plainClient(t, third.addr)
	if err := c.Set(ctx, overwritten, "new", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Del(ctx, deleted).Result(); err != nil || n != 1 {
		t.Fatalf("DEL of a key being moved: %d %v, want 1 (the old owner's copy)", n, err)
	}
	if v, err := c.Get(ctx, read).Result(); err != nil || v != "v"+read {
		t.Fatalf("GET of a key being moved: %q %v", v, err)
	}
	if err := c.HSet(ctx, hash, "c", "3").Err(); err != nil {
		t.Fatal(err)
	}
	// Through another node too: it forwards to the new owner.
	if err := plainClient(t, nodes[0].addr).Append(ctx, strs[3], "+").Err(); err != nil {
		t.Fatal(err)
	}
	if st := third.srv.HandoffStats(); st.KeysFetched < 4 || st.KeysReceived != 0 {
		t.Fatalf("before the stream: %+v, want keys fetched on a miss and none streamed", st)
	}
	g.open()
	waitHandoff(t, all)
	if st := third.srv.HandoffStats(); st.KeysReceived == 0 || st.Conflicts < 2 {
		t.Fatalf("after the stream: %+v, want keys streamed and the written ones kept", st)
	}
	for _, n := range all {
		c := plainClient(t, n.addr)
		if v, err := c.Get(ctx, overwritten).Result(); err != nil || v != "new" {
			t.Fatalf("through %s, the key written during the move reads %q %v, want \"new\"", n.cl.ID(), v, err)
		}
		if n, err := c.Exists(ctx, deleted).Result(); err != nil || n != 0 {
			t.Fatalf("the key deleted during the move exists again: %d %v", n, err)
		}
		if v, err := c.Get(ctx, read).Result(); err != nil || v != "v"+read {
			t.Fatalf("the key read during the move: %q %v", v, err)
		}
		if v, err := c.HGetAll(ctx, hash).Result(); err != nil || len(v) != 3 || v["c"] != "3" || v["b"] != hash {
			t.Fatalf("the hash written during the move: %v %v, want its old fields and the new one", v, err)
		}
		if v, err := c.Get(ctx, strs[3]).Result(); err != nil || v != "v"+strs[3]+"+" {
			t.Fatalf("the key appended to during the move: %q %v", v, err)
		}
	}
}

// A script on the new owner, while its slots are still being imported,
// reads and writes keys of those slots: the keys it declared are fetched
// before it takes their locks, and its redis.call does not fetch again
// under them (which deadlocked on the shard lock the script holds).
func TestHandoffScriptDuringImport(t *testing.T) {
	nodes := startCluster(t, 2, route.Proxy)
	keys := handoffData(t, plainClient(t, nodes[0].addr), 600)
	g := holdHandoff(t, nodes...)
	third := startNode(t, route.Proxy, nodes[0].cl.Self().GossipAddr)
	waitConverged(t, append(slices.Clone(nodes), third), 3)
	var k string
	for i, key := range keys {
		if i%6 == 0 && third.cl.Table().Local(cluster.Slot(key)) {
			k = key
			break
		}
	}
	if k == "" || third.srv.HandoffStats().SlotsImporting == 0 {
		t.Fatalf("no string key of an importing slot (key %q, %+v)", k, third.srv.HandoffStats())
	}
	c := plainClient(t, third.addr)
	got, err := c.Eval(ctx, "local v = redis.call('GET', KEYS[1]) redis.call('SET', KEYS[1], v .. '!') return redis.call('GET', KEYS[1])", []string{k}).Text()
	if err != nil || got != "v"+k+"!" {
		t.Fatalf("EVAL on an importing key = %q, %v", got, err)
	}
	g.open()
	waitHandoff(t, append(slices.Clone(nodes), third))
	if v := c.Get(ctx, k).Val(); v != "v"+k+"!" {
		t.Errorf("after the hand-off %s = %q, want the script's write", k, v)
	}
}

// TestHandoffRespectsMaxmemory: keys streamed to a new owner at its
// maxmemory are writes like RESTORE: with noeviction it refuses them
// (dropped and counted) and stays at its limit, as it refuses a client's
// RESTORE with Redis's OOM error; with an eviction policy it evicts to
// make room and takes them.
func TestHandoffRespectsMaxmemory(t *testing.T) {
	for _, policy := range []string{"noeviction", "allkeys-lru"} {
		t.Run(policy, func(t *testing.T) {
			nodes := startCluster(t, 2, route.Proxy)
			leaving, staying := nodes[0], nodes[1]
			ctx := context.Background()
			c := plainClient(t, staying.addr)
			value := strings.Repeat("v", 200)
			for i := range 4000 {
				if err := c.Set(ctx, "mm:"+strconv.Itoa(i), value, 0).Err(); err != nil {
					t.Fatal(err)
				}
			}
			incoming := leaving.st.DBSize()
			if incoming == 0 {
				t.Fatal("the leaving node holds no keys")
			}
			// Room for about a tenth of what will arrive.
			limit := staying.st.Used() + incoming*int64(len(value))/10
			if err := c.ConfigSet(ctx, "maxmemory-policy", policy).Err(); err != nil {
				t.Fatal(err)
			}
			if err := c.ConfigSet(ctx, "maxmemory", strconv.FormatInt(limit, 10)).Err(); err != nil {
				t.Fatal(err)
			}
			before := staying.st.DBSize()
			if err := leaving.srv.LeaveCluster(20 * time.Second); err != nil {
				t.Fatal(err)
			}
			leaving.stop()
			st := staying.srv.HandoffStats()
			used, slack := staying.st.Used(), int64(64<<10) // a write admitted under the limit may pass it by one key
			t.Logf("%s: %d keys arrived of %d, %d dropped, %d evicted; used %d of %d", policy, st.KeysReceived, incoming,
				st.Skipped, staying.st.EvictedKeys(), used, limit)
			if used > limit+slack {
				t.Errorf("used %d bytes after the hand-off, maxmemory %d", used, limit)
			}
			switch policy {
			case "noeviction":
				if st.Skipped == 0 || st.KeysReceived >= incoming {
					t.Errorf("noeviction: %d of %d keys taken, %d dropped; want some dropped", st.KeysReceived, incoming, st.Skipped)
				}
				if n := staying.st.DBSize(); n < before {
					t.Errorf("noeviction: %d keys, had %d", n, before)
				}
				key, err := c.RandomKey(ctx).Result()
				if err != nil {
					t.Fatal(err)
				}
				dump, err := c.Dump(ctx, key).Result()
				if err != nil {
					t.Fatal(err)
				}
				err = c.Restore(ctx, "mm:restored", 0, dump).Err()
				if err == nil || err.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
					t.Errorf("RESTORE over maxmemory with noeviction = %v, want Redis's OOM error", err)
				}
			default:
				if staying.st.EvictedKeys() == 0 || st.KeysReceived == 0 {
					t.Errorf("%s: %d keys evicted, %d received; want both", policy, staying.st.EvictedKeys(), st.KeysReceived)
				}
			}
		})
	}
}
