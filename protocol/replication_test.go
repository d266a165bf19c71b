package protocol

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/redis/go-redis/v9"
)

// startReplicatedCluster is startCluster with --cluster-replicas r.
func startReplicatedCluster(t *testing.T, n, r int, mode route.Mode) []*testNode {
	t.Helper()
	withReplicas := func(c *cluster.Config) { c.Replicas = r }
	nodes := []*testNode{startNodeWith(t, mode, withReplicas)}
	for range n - 1 {
		nodes = append(nodes, startNodeWith(t, mode, withReplicas, nodes[0].cl.Self().GossipAddr))
	}
	waitConverged(t, nodes, n)
	return nodes
}

// keyOwnedBy returns a key of prefix whose slot n owns.
func keyOwnedBy(n *testNode, prefix string) string {
	for i := 0; ; i++ {
		k := fmt.Sprintf("%s%d", prefix, i)
		if n.cl.Table().Local(cluster.Slot(k)) {
			return k
		}
	}
}

// storeGet reads key from n's own store, owner or not.
func storeGet(n *testNode, key string) (string, int64, bool) {
	i := n.st.ShardOf([]byte(key))
	n.st.LockShard(i, false)
	defer n.st.UnlockShard(i, false)
	tx := n.st.Tx()
	v, at, ok := tx.Lookup([]byte(key))
	return string(v), at, ok
}

// waitReplicated waits until every stream of every node has been
// acknowledged and no full sync is under way.
func waitReplicated(t *testing.T, nodes []*testNode) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		quiet := true
		for _, n := range nodes {
			for _, p := range n.srv.ReplicationStats().Peers {
				if p.Acked < p.Sent || p.Syncing {
					quiet = false
				}
			}
		}
		if quiet {
			return
		}
		if time.Now().After(deadline) {
			for _, n := range nodes {
				t.Logf("%s: %+v", n.cl.ID(), n.srv.ReplicationStats())
			}
			t.Fatal("replication did not catch up")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WAIT counts the replicas that acknowledged the client's writes: 1 with
// --cluster-replicas 1 on two nodes, where the write's key state (value
// and absolute expiry) and its deletion reach the other node; 0 without
// replicas. Redis's errors for bad arguments.
func TestReplicationWait(t *testing.T) {
	nodes := startReplicatedCluster(t, 2, 1, route.Proxy)
	a, b := nodes[0], nodes[1]
	c := plainClient(t, a.addr)
	k := keyOwnedBy(a, "w:")
	if err := c.Set(ctx, k, "v1", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 5000 = %d, %v; want 1", n, err)
	}
	_, atA, _ := storeGet(a, k)
	if v, at, ok := storeGet(b, k); !ok || at != atA || !strings.Contains(v, "v1") {
		t.Fatalf("replica holds %q (expires %d, owner's %d), %v", v, at, atA, ok)
	}
	// Non-deterministic and relative commands replicate as their result.
	s := keyOwnedBy(a, "s:")
	c.SAdd(ctx, s, "a", "b", "c", "d")
	c.SPop(ctx, s)
	c.Del(ctx, k)
	if n, _ := c.Do(ctx, "WAIT", 1, 5000).Int(); n != 1 {
		t.Fatalf("WAIT after SPOP and DEL = %d", n)
	}
	if _, _, ok := storeGet(b, k); ok {
		t.Fatal("a deleted key is still on the replica")
	}
	ownMembers := c.SMembers(ctx, s).Val()
	if len(ownMembers) != 3 {
		t.Fatalf("owner's set %v", ownMembers)
	}
	// The replica's copy is not served to a normal client: b forwards.
	cb := plainClient(t, b.addr)
	if v := cb.SMembers(ctx, s).Val(); len(v) != 3 {
		t.Fatalf("set through b: %v", v)
	}
	// A write b forwarded to a is a's to replicate: WAIT on b does not
	// vouch for it.
	cb.Set(ctx, keyOwnedBy(a, "fw:"), "x", 0)
	if n, err := cb.Do(ctx, "WAIT", 1, 0).Int(); err != nil || n != 0 {
		t.Fatalf("WAIT after a forwarded write = %d, %v; want 0", n, err)
	}
	if st := b.srv.ReplicationStats(); st.KeysApplied == 0 {
		t.Fatalf("b applied nothing: %+v", st)
	}
	if role, err := c.Do(ctx, "ROLE").Slice(); err != nil || len(role) != 3 || role[0] != "master" || len(role[2].([]any)) != 1 {
		t.Fatalf("ROLE = %v, %v", role, err)
	}
	info := c.Info(ctx, "replication").Val()
	if !strings.Contains(info, "role:master") || !strings.Contains(info, "connected_slaves:1") {
		t.Fatalf("INFO replication:\n%s", info)
	}
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"WAIT", "x", 0}, "ERR value is not an integer or out of range"},
		{[]any{"WAIT", 1, "x"}, "ERR timeout is not an integer or out of range"},
		{[]any{"WAIT", 1, -1}, "ERR timeout is negative"},
		{[]any{"WAIT", 1}, "ERR wrong number of arguments for 'wait' command"},
	} {
		if err := c.Do(ctx, tc.args...).Err(); err == nil || err.Error() != tc.want {
			t.Errorf("%v: %v, want %s", tc.args, err, tc.want)
		}
	}
	// MULTI: WAIT answers at once.
	p := c.TxPipeline()
	p.Set(ctx, k, "v2", 0)
	w := p.Do(ctx, "WAIT", 5, 0)
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.Int(); n > 1 {
		t.Fatalf("WAIT in MULTI = %d", n)
	}

	// Without replicas WAIT has nothing to count.
	plain := startCluster(t, 2, route.Proxy)
	pc := plainClient(t, plain[0].addr)
	pc.Set(ctx, keyOwnedBy(plain[0], "w:"), "v", 0)
	if n, err := pc.Do(ctx, "WAIT", 1, 100).Int(); err != nil || n != 0 {
		t.Fatalf("WAIT without replicas = %d, %v", n, err)
	}
	if n, err := pc.Do(ctx, "WAIT", 0, 0).Int(); err != nil || n != 0 {
		t.Fatalf("WAIT 0 0 without replicas = %d, %v", n, err)
	}
	if s := plain[0].srv.ReplicationStats(); len(s.Peers) != 0 || s.KeysSent != 0 {
		t.Fatalf("replication without replicas: %+v", s)
	}
}

// In redirect mode CLUSTER SLOTS lists each range's replica after its
// owner, CLUSTER SHARDS gives it role replica, and a READONLY client
// reads a key on its replica, which redirects writes and READWRITE
// clients.
func TestReplicaReadonlyRedirect(t *testing.T) {
	nodes := startReplicatedCluster(t, 3, 1, route.Redirect)
	a := nodes[0]
	slots, err := plainClient(t, a.addr).ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	covered := 0
	for _, s := range slots {
		if len(s.Nodes) != 2 || s.Nodes[0].ID == s.Nodes[1].ID {
			t.Fatalf("CLUSTER SLOTS entry %+v: want the owner and one replica", s)
		}
		covered += s.End - s.Start + 1
	}
	if covered != cluster.NumSlots {
		t.Fatalf("CLUSTER SLOTS covers %d slots", covered)
	}
	shards := plainClient(t, a.addr).ClusterShards(ctx).Val()
	if len(shards) == 0 || len(shards[0].Nodes) != 2 || shards[0].Nodes[1].Role != "replica" {
		t.Fatalf("CLUSTER SHARDS: %+v", shards)
	}

	k := keyOwnedBy(a, "r:")
	tbl := a.cl.Table()
	rep := tbl.Nodes()[tbl.Replicas(nil, cluster.Slot(k))[0]]
	var replica *testNode
	for _, n := range nodes {
		if n.cl.ID() == rep {
			replica = n
		}
	}
	ca := plainClient(t, a.addr)
	ca.Set(ctx, k, "hello", 0)
	if n, _ := ca.Do(ctx, "WAIT", 1, 5000).Int(); n != 1 {
		t.Fatalf("WAIT = %d", n)
	}
	cr := plainClient(t, replica.addr)
	if err := cr.Get(ctx, k).Err(); err == nil || !strings.HasPrefix(err.Error(), "MOVED") {
		t.Fatalf("GET on the replica before READONLY: %v", err)
	}
	if err := cr.Do(ctx, "READONLY").Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := cr.Get(ctx, k).Result(); err != nil || v != "hello" {
		t.Fatalf("READONLY GET on the replica: %q, %v", v, err)
	}
	if err := cr.Set(ctx, k, "x", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "MOVED") {
		t.Fatalf("SET on the replica: %v", err)
	}
	cr.Do(ctx, "READWRITE")
	if err := cr.Get(ctx, k).Err(); err == nil || !strings.HasPrefix(err.Error(), "MOVED") {
		t.Fatalf("GET after READWRITE: %v", err)
	}
	// A READONLY client of a cluster-aware library reads from replicas.
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{a.addr}, ReadOnly: true, RouteRandomly: true})
	defer cc.Close()
	for range 20 {
		if v, err := cc.Get(ctx, k).Result(); err != nil || v != "hello" {
			t.Fatalf("cluster client ReadOnly GET: %q, %v", v, err)
		}
	}

	// FLUSHALL on a flushes a's slots, on a and on their replicas, and
	// keeps a's copies of the other nodes' slots.
	for i := range 300 {
		if err := cc.Set(ctx, fmt.Sprintf("f:%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	waitReplicated(t, nodes)
	copies := func(n *testNode, owner string) int {
		tbl := n.cl.Table()
		c := 0
		n.st.Tx().Keys(func(k []byte) {
			if o := tbl.Owner(cluster.Slot(k)); tbl.Nodes()[o] == owner && o != tbl.Self() {
				c++
			}
		})
		return c
	}
	others := 0
	for _, n := range nodes[1:] {
		others += copies(a, n.cl.ID())
	}
	if others == 0 || copies(replica, a.cl.ID()) == 0 {
		t.Fatal("no copies to check the flush against")
	}
	if err := ca.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	ca.Set(ctx, k, "after", 0)
	if n, _ := ca.Do(ctx, "WAIT", 1, 5000).Int(); n != 1 {
		t.Fatalf("WAIT after FLUSHALL = %d", n)
	}
	kept := 0
	for _, n := range nodes[1:] {
		kept += copies(a, n.cl.ID())
	}
	if kept != others {
		t.Fatalf("a kept %d of its %d copies of other nodes' slots through its FLUSHALL", kept, others)
	}
	if n := copies(replica, a.cl.ID()); n != 1 {
		t.Fatalf("the replica holds %d copies of a's slots after a's FLUSHALL and one SET, want 1", n)
	}
}

// With --cluster-replicas 1, a node killed (gossip and listener closed,
// no leave) under a write load loses only writes still in flight to its
// replicas: its slots are served by their first replicas, which held
// the keys, as soon as the survivors drop it, and each slot's new
// replica is filled in the background.
func TestReplicaFailoverUnderLoad(t *testing.T) {
	nodes := startReplicatedCluster(t, 3, 1, route.Proxy)
	addrs := []string{nodes[0].addr, nodes[1].addr, nodes[2].addr}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, MaxRetries: -1, ReadTimeout: testIOTimeout})
	defer cc.Close()
	const preload = 20000
	for lo := 0; lo < preload; lo += 500 {
		p := cc.Pipeline()
		for i := lo; i < lo+500; i++ {
			p.Set(ctx, fmt.Sprintf("pre:%d", i), i, 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	waitReplicated(t, nodes)
	victim, survivors := nodes[2], nodes[:2]
	// One preloaded key per slot of the victim, to tell when its slots
	// are served again.
	var sample []string
	seen := map[int]bool{}
	for i := range preload {
		k := fmt.Sprintf("pre:%d", i)
		if s := cluster.Slot(k); victim.cl.Table().Local(s) && !seen[s] {
			seen[s] = true
			sample = append(sample, k)
		}
	}

	// The load: writers set fresh keys one at a time and record the ones
	// acknowledged.
	var mu sync.Mutex
	var acked []string
	var written atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				k := fmt.Sprintf("load:%d:%d", w, i)
				if cc.Set(ctx, k, i, 0).Err() == nil {
					mu.Lock()
					acked = append(acked, k)
					mu.Unlock()
					written.Add(1)
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	// Every key lost must have been waiting in the victim's streams at
	// this snapshot, or been written after it.
	pending := 0
	for _, p := range victim.srv.ReplicationStats().Peers {
		pending += p.PendingKeys
	}
	writtenAtSnap := written.Load()
	victim.stop() // no leave: to the others it failed
	writtenAtKill := written.Load()
	kill := time.Now()
	var servedAfter time.Duration
	survivorClients := []*redis.Client{plainClient(t, survivors[0].addr), plainClient(t, survivors[1].addr)}
	for {
		ok := true
		for _, c := range survivorClients {
			p := c.Pipeline()
			for _, k := range sample {
				p.Get(ctx, k)
			}
			if _, err := p.Exec(ctx); err != nil {
				ok = false
			}
		}
		if ok {
			servedAfter = time.Since(kill)
			break
		}
		if time.Since(kill) > 30*time.Second {
			t.Fatal("the killed node's slots were not served again")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the load goes on through the failover
	close(stop)
	wg.Wait()
	cc.ReloadState(ctx)

	lostPre, lostLoad := 0, 0
	check := func(keys []string, val func(i int, k string) string) int {
		lost := 0
		for lo := 0; lo < len(keys); lo += 500 {
			hi := min(lo+500, len(keys))
			p := cc.Pipeline()
			cmds := make([]*redis.StringCmd, 0, hi-lo)
			for _, k := range keys[lo:hi] {
				cmds = append(cmds, p.Get(ctx, k))
			}
			p.Exec(ctx)
			for j, cmd := range cmds {
				v, err := cmd.Result()
				if err != nil && err != redis.Nil {
					t.Fatalf("GET %s after the failover: %v", keys[lo+j], err)
				}
				if err == redis.Nil || v != val(lo+j, keys[lo+j]) {
					lost++
				}
			}
		}
		return lost
	}
	pre := make([]string, preload)
	for i := range pre {
		pre[i] = fmt.Sprintf("pre:%d", i)
	}
	lostPre = check(pre, func(i int, _ string) string { return fmt.Sprint(i) })
	mu.Lock()
	loadKeys := append([]string(nil), acked...)
	mu.Unlock()
	lostLoad = check(loadKeys, func(_ int, k string) string { return k[strings.LastIndexByte(k, ':')+1:] })
	bound := pending + int(writtenAtKill-writtenAtSnap)
	t.Logf("failover: both survivors served every slot of the killed node (%d sampled) %v after the kill; lost %d of %d preloaded keys and %d of %d acknowledged load writes "+
		"(at most %d were in flight: %d queued for replicas at the snapshot, %d written from then to the kill)",
		len(sample), servedAfter.Round(time.Millisecond), lostPre, preload, lostLoad, len(loadKeys), bound, pending, writtenAtKill-writtenAtSnap)
	if lostPre != 0 {
		t.Fatalf("%d preloaded (replicated) keys lost", lostPre)
	}
	if lostLoad > bound {
		t.Fatalf("%d load writes lost, more than the %d in flight", lostLoad, bound)
	}
	// The new replicas are filled: every key lives on both survivors.
	waitReplicated(t, survivors)
	missing := 0
	for _, k := range pre {
		for _, n := range survivors {
			if _, _, ok := storeGet(n, k); !ok {
				missing++
			}
		}
	}
	if missing != 0 {
		t.Fatalf("%d copies missing on the survivors after the new replicas were filled", missing)
	}
}

// placement counts, over keys, the copies missing from a slot's owner or
// replicas and the copies held by any other node.
func placement(nodes []*testNode, keys []string) (missing, extra int) {
	for _, n := range nodes {
		tbl := n.cl.Table()
		for _, k := range keys {
			s := cluster.Slot(k)
			_, _, ok := storeGet(n, k)
			should := tbl.Local(s) || tbl.LocalReplica(s)
			switch {
			case should && !ok:
				missing++
			case !should && ok:
				extra++
			}
		}
	}
	return missing, extra
}

func waitPlacement(t *testing.T, nodes []*testNode, keys []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		missing, extra := placement(nodes, keys)
		if missing == 0 && extra == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d copies missing from owners and replicas, %d held elsewhere", missing, extra)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// With replicas, a join and a graceful leave keep every key, and leave
// each on its slot's owner and replica only: the joining node imports its
// slots and gets copies of the slots it now replicates, and copies of
// slots a node no longer replicates are dropped.
func TestReplicaJoinAndLeave(t *testing.T) {
	nodes := startReplicatedCluster(t, 2, 1, route.Proxy)
	c := plainClient(t, nodes[0].addr)
	start := time.Now()
	keys := handoffData(t, c, 6000)
	waitReplicated(t, nodes)
	waitPlacement(t, nodes, keys)
	// Keyspace-wide commands count each key once, not its copies.
	if n := c.DBSize(ctx).Val(); n != int64(len(keys)) {
		t.Fatalf("DBSIZE = %d, want %d", n, len(keys))
	}
	if n := len(c.Keys(ctx, "*").Val()); n != len(keys) {
		t.Fatalf("KEYS * lists %d keys, want %d", n, len(keys))
	}
	scanned := map[string]bool{}
	for cur := uint64(0); ; {
		ks, next, err := c.Scan(ctx, cur, "", 1000).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range ks {
			scanned[k] = true
		}
		if cur = next; cur == 0 {
			break
		}
	}
	if len(scanned) != len(keys) {
		t.Fatalf("SCAN found %d keys, want %d", len(scanned), len(keys))
	}

	third := startNodeWith(t, route.Proxy, func(cfg *cluster.Config) { cfg.Replicas = 1 }, nodes[0].cl.Self().GossipAddr)
	nodes = append(nodes, third)
	waitConverged(t, nodes, 3)
	if bad := checkHandoffData(t, c, keys, start); bad != 0 {
		t.Fatalf("%d keys wrong after the join", bad)
	}
	waitReplicated(t, nodes)
	waitPlacement(t, nodes, keys)

	if err := nodes[1].srv.LeaveCluster(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	rest := []*testNode{nodes[0], third}
	waitConverged(t, rest, 2)
	if bad := checkHandoffData(t, c, keys, start); bad != 0 {
		t.Fatalf("%d keys wrong after the leave", bad)
	}
	waitReplicated(t, rest)
	waitPlacement(t, rest, keys)
}

// A replica that does not keep up: once its queue passes the limit, the
// owner drops the queue and walks its store instead, and the replica
// still ends up with every key, each with its last value.
func TestReplicaStreamOverflow(t *testing.T) {
	withReplicas := func(c *cluster.Config) { c.Replicas = 1 }
	a := startNodeWith(t, route.Proxy, withReplicas)
	a.srv.repl.maxQueued.Store(50)
	gate := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(gate) }) }
	defer open()
	hold := func() { <-gate }
	a.srv.repl.beforeBatch.Store(&hold)
	b := startNodeWith(t, route.Proxy, withReplicas, a.cl.Self().GossipAddr)
	nodes := []*testNode{a, b}
	waitConverged(t, nodes, 2)

	c := plainClient(t, a.addr)
	var keys []string
	for i := 0; len(keys) < 600; i++ {
		k := fmt.Sprintf("o:%d", i)
		if a.cl.Table().Local(cluster.Slot(k)) {
			keys = append(keys, k)
		}
	}
	for round := range 2 {
		p := c.Pipeline()
		for _, k := range keys {
			p.Set(ctx, k, fmt.Sprint(round), 0)
		}
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if st := a.srv.ReplicationStats(); st.FullSyncs < 2 { // the join's walk, and the overflow's
		t.Fatalf("the queue did not overflow into a walk: %+v", st)
	}
	open()
	waitReplicated(t, nodes)
	for _, k := range keys {
		if v, _, ok := storeGet(b, k); !ok || !strings.Contains(v, "1") {
			t.Fatalf("replica's %s = %q, %v after the walk", k, v, ok)
		}
	}
}
