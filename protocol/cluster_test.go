package protocol

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/cachesrv/cachesrv/store"
	"github.com/redis/go-redis/v9"
)

// testNode is one real cluster node in this process: a store, a RESP
// server on a loopback port, and memberlist gossip on another.
type testNode struct {
	addr string
	srv  *Server
	cl   *cluster.Cluster
	st   *store.Store
	stop func()
}

func startNode(t testing.TB, mode route.Mode, seeds ...string) *testNode {
	t.Helper()
	return startNodeWith(t, mode, nil, seeds...)
}

// startNodeWith is startNode with a last word on the cluster config.
func startNodeWith(t testing.TB, mode route.Mode, edit func(*cluster.Config), seeds ...string) *testNode {
	t.Helper()
	return startNodeConfigured(t, mode, edit, nil, seeds...)
}

// startNodeConfigured is startNodeWith with a last word on the server's
// config too.
func startNodeConfigured(t testing.TB, mode route.Mode, edit func(*cluster.Config), editServer func(*config.Config), seeds ...string) *testNode {
	t.Helper()
	scfg := config.New()
	scfg.Shards = 8
	if editServer != nil {
		editServer(scfg)
	}
	st, _ := store.New(scfg.StoreOptions())
	ln := servertest.Listen(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := cluster.Config{
		BindAddr: "127.0.0.1", AdvertiseAddr: ln.Addr().String(),
		Join: seeds, VNodes: 256, Fast: true, Logger: quiet,
	}
	if edit != nil {
		edit(&cfg)
	}
	cl, err := cluster.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := NewServer(scfg, st, quiet)
	srv.EnableCluster(cl, mode)
	n := &testNode{addr: servertest.ServeListener(t, srv, ln), srv: srv, cl: cl, st: st}
	stopped := false
	n.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cl.Shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}
	t.Cleanup(n.stop)
	return n
}

// startCluster starts n nodes joined through the first and waits until
// all agree on the slot table.
func startCluster(t testing.TB, n int, mode route.Mode) []*testNode {
	t.Helper()
	nodes := []*testNode{startNode(t, mode)}
	for range n - 1 {
		nodes = append(nodes, startNode(t, mode, nodes[0].cl.Self().GossipAddr))
	}
	waitConverged(t, nodes, n)
	return nodes
}

func waitConverged(t testing.TB, nodes []*testNode, members int) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < 15*time.Second {
		ok := true
		for _, n := range nodes {
			if n.cl.Table().Len() != members || !n.cl.Table().Equal(nodes[0].cl.Table()) {
				ok = false
			}
		}
		if ok {
			return time.Since(start)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("nodes did not converge on %d members", members)
	return 0
}

func plainClient(t testing.TB, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, ReadTimeout: testIOTimeout, WriteTimeout: testIOTimeout})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestClusterProxyWritesThroughOneNodeReadsThroughAll(t *testing.T) {
	nodes := startCluster(t, 3, route.Proxy)
	const n = 10000
	a := plainClient(t, nodes[0].addr)
	for start := 0; start < n; start += 1000 {
		pipe := a.Pipeline()
		for i := start; i < start+1000; i++ {
			pipe.Set(ctx, fmt.Sprintf("key:%d", i), fmt.Sprintf("v%d", i), 0)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// Every node holds only the keys it owns, and together all of them.
	total := int64(0)
	for _, node := range nodes {
		total += node.st.DBSize()
		if node.st.DBSize() == n {
			t.Fatal("one node holds every key: nothing was forwarded")
		}
	}
	if total != n {
		t.Fatalf("keys over all nodes = %d, want %d", total, n)
	}
	for _, node := range nodes[1:] {
		c := plainClient(t, node.addr)
		pipe := c.Pipeline()
		gets := make([]*redis.StringCmd, n)
		for i := range n {
			gets[i] = pipe.Get(ctx, fmt.Sprintf("key:%d", i))
		}
		if _, err := pipe.Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for i, g := range gets {
			if g.Val() != fmt.Sprintf("v%d", i) {
				t.Fatalf("through %s: key:%d = %q", node.addr, i, g.Val())
			}
		}
	}
	// Multi-key commands split over nodes and merge in order.
	vals, err := a.MGet(ctx, "key:1", "nosuch", "key:2", "key:3").Result()
	if err != nil || vals[0] != "v1" || vals[1] != nil || vals[2] != "v2" || vals[3] != "v3" {
		t.Fatalf("MGET across nodes = %v, %v", vals, err)
	}
	if err := a.MSet(ctx, "m:1", "a", "m:2", "b", "m:3", "c").Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := a.Del(ctx, "m:1", "m:2", "m:3", "m:4").Result(); err != nil || n != 3 {
		t.Fatalf("DEL across nodes = %d, %v", n, err)
	}
	var forwarded, batches int64
	for _, p := range nodes[0].srv.ForwardStats() {
		forwarded += p.Commands
		batches += p.Batches
		var inBuckets uint64
		for _, n := range p.BatchSizes {
			inBuckets += n
		}
		if inBuckets != uint64(p.Batches) {
			t.Fatalf("peer %s: %d batches, %d in the size histogram", p.Peer, p.Batches, inBuckets)
		}
	}
	if forwarded == 0 || batches == 0 || batches > forwarded {
		t.Fatalf("forwarded %d commands in %d batches", forwarded, batches)
	}
	t.Logf("node A forwarded %d commands in %d batches", forwarded, batches)
	// A cluster-aware client routes directly.
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[2].addr}, Protocol: 2})
	defer cc.Close()
	for i := 0; i < n; i += 97 {
		if v, err := cc.Get(ctx, fmt.Sprintf("key:%d", i)).Result(); err != nil || v != fmt.Sprintf("v%d", i) {
			t.Fatalf("ClusterClient key:%d = %q, %v", i, v, err)
		}
	}
}

func TestClusterRedirectMode(t *testing.T) {
	nodes := startCluster(t, 3, route.Redirect)
	t0 := nodes[0].cl.Table()
	var remote string
	for i := 0; ; i++ {
		k := fmt.Sprintf("k%d", i)
		if !t0.Local(cluster.Slot(k)) {
			remote = k
			break
		}
	}
	slot := cluster.Slot(remote)
	want := fmt.Sprintf("MOVED %d %s", slot, t0.Addr(t0.Owner(slot)))
	a := plainClient(t, nodes[0].addr)
	if err := a.Set(ctx, remote, "v", 0).Err(); err == nil || err.Error() != want {
		t.Fatalf("SET of a remote key = %v, want %q", err, want)
	}
	if err := a.MGet(ctx, "a", "b", "c").Err(); err == nil || err.Error() != route.ErrCrossSlot {
		t.Fatalf("MGET over slots = %v", err)
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].addr}, Protocol: 2})
	defer cc.Close()
	for i := range 300 {
		if err := cc.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 300 {
		if v, err := cc.Get(ctx, fmt.Sprintf("k%d", i)).Int(); err != nil || v != i {
			t.Fatalf("k%d = %d, %v", i, v, err)
		}
	}
	// Hash tags keep keys together, so multi-key commands work.
	if err := cc.MSet(ctx, "{user1}.a", "1", "{user1}.b", "2").Err(); err != nil {
		t.Fatal(err)
	}
	if cluster.Slot("{user1}.a") != cluster.Slot("{user1}.b") {
		t.Fatal("hash tags")
	}
}

func TestClusterCommands(t *testing.T) {
	nodes := startCluster(t, 3, route.Proxy)
	c := plainClient(t, nodes[1].addr)
	slots, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	covered := 0
	for _, s := range slots {
		covered += s.End - s.Start + 1
		if len(s.Nodes) != 1 || s.Nodes[0].Addr == "" || s.Nodes[0].ID == "" {
			t.Fatalf("slot range %+v", s)
		}
	}
	if covered != cluster.NumSlots {
		t.Fatalf("CLUSTER SLOTS covers %d slots", covered)
	}
	shards, err := c.ClusterShards(ctx).Result()
	if err != nil || len(shards) != 3 {
		t.Fatalf("CLUSTER SHARDS: %v, %v", shards, err)
	}
	nodesText, err := c.ClusterNodes(ctx).Result()
	if err != nil || strings.Count(nodesText, "\n") != 3 || !strings.Contains(nodesText, "myself,master") {
		t.Fatalf("CLUSTER NODES: %q, %v", nodesText, err)
	}
	if id, _ := c.ClusterMyID(ctx).Result(); id != nodes[1].cl.ID() {
		t.Fatalf("CLUSTER MYID = %q", id)
	}
	if s, _ := c.ClusterKeySlot(ctx, "foo").Result(); s != 12182 {
		t.Fatalf("CLUSTER KEYSLOT foo = %d", s)
	}
	if info, _ := c.Info(ctx, "cluster").Result(); !strings.Contains(info, "cluster_enabled:1") {
		t.Fatalf("INFO cluster on a cluster node: %q", info)
	}
	info, _ := c.ClusterInfo(ctx).Result()
	if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
		t.Fatalf("CLUSTER INFO: %q", info)
	}
	// Keys in a slot: write through the owner and count there.
	key := "counted"
	slot := cluster.Slot(key)
	c.Set(ctx, key, "1", 0)
	t1 := nodes[1].cl.Table()
	owner := plainClient(t, t1.Addr(t1.Owner(slot)))
	if n, _ := owner.ClusterCountKeysInSlot(ctx, slot).Result(); n != 1 {
		t.Fatalf("COUNTKEYSINSLOT = %d", n)
	}
	if keys, _ := owner.ClusterGetKeysInSlot(ctx, slot, 10).Result(); len(keys) != 1 || keys[0] != key {
		t.Fatalf("GETKEYSINSLOT = %v", keys)
	}
	single := startServer(t)
	if err := single.client(t).ClusterInfo(ctx).Err(); err == nil || err.Error() != "ERR This instance has cluster support disabled" {
		t.Fatalf("CLUSTER INFO on a single node: %v", err)
	}
}

func TestClusterJoinAndKill(t *testing.T) {
	nodes := startCluster(t, 3, route.Proxy)
	before := nodes[0].cl.Table()
	d := nodes[0]
	fourth := startNode(t, route.Proxy, d.cl.Self().GossipAddr)
	all := append(nodes, fourth)
	took := waitConverged(t, all, 4)
	moved := cluster.Moved(before, all[0].cl.Table())
	t.Logf("4th node: converged in %v, %d slots moved (%.3f, ideal 0.25)", took, moved, float64(moved)/cluster.NumSlots)
	if moved > cluster.NumSlots/3 {
		t.Fatalf("%d slots moved on join", moved)
	}
	// Kill one node: the others drop it and keep serving what they own.
	a := plainClient(t, nodes[0].addr)
	for i := range 500 {
		a.Set(ctx, fmt.Sprintf("x%d", i), i, 0)
	}
	victim := nodes[2]
	victim.stop()
	survivors := []*testNode{nodes[0], nodes[1], fourth}
	took = waitConverged(t, survivors, 3)
	t.Logf("kill: survivors converged in %v", took)
	tbl := survivors[0].cl.Table()
	served := 0
	for i := range 500 {
		k := fmt.Sprintf("x%d", i)
		v, err := a.Get(ctx, k).Int()
		if err == nil && v == i {
			served++
		} else if err != nil && err != redis.Nil {
			t.Fatalf("GET %s after the kill: %v", k, err)
		}
		_ = tbl
	}
	if served < 250 {
		t.Fatalf("only %d of 500 keys still served after losing 1 of 4 nodes", served)
	}
	t.Logf("%d of 500 keys still served after the kill (the rest lived on the dead node)", served)
}

// TestClusterRedisCLIFollowsMoved: redis-cli -c against a redirect-mode
// cluster writes and reads keys owned by other nodes.
func TestClusterRedisCLIFollowsMoved(t *testing.T) {
	cli := servertest.RequireTool(t, "redis-cli")
	nodes := startCluster(t, 3, route.Redirect)
	host, port, _ := net.SplitHostPort(nodes[0].addr)
	t0 := nodes[0].cl.Table()
	moved := 0
	for i := range 20 {
		key := fmt.Sprintf("cli:%d", i)
		if !t0.Local(cluster.Slot(key)) {
			moved++
		}
		out, err := exec.Command(cli, "-c", "-h", host, "-p", port, "set", key, fmt.Sprint(i)).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "OK" {
			t.Fatalf("redis-cli -c set %s: %q, %v", key, out, err)
		}
		out, err = exec.Command(cli, "-c", "-h", host, "-p", port, "get", key).CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != fmt.Sprint(i) {
			t.Fatalf("redis-cli -c get %s: %q, %v", key, out, err)
		}
	}
	if moved == 0 {
		t.Fatal("no key was owned elsewhere: MOVED was not exercised")
	}
}

// TestClusterAnnounceAddr: nodes reached by clients through other
// addresses than by their peers (here a TCP relay per node, as a published
// container port is) announce those: CLUSTER SLOTS, NODES, SHARDS and MOVED
// name them, a ClusterClient that only knows the relays works through them,
// and proxy forwarding still goes to the advertised addresses.
func TestClusterAnnounceAddr(t *testing.T) {
	for _, mode := range []route.Mode{route.Redirect, route.Proxy} {
		var nodes []*testNode
		relays := map[string]string{} // announced -> advertised
		for i := range 3 {
			ln := servertest.Listen(t)
			var seeds []string
			if i > 0 {
				seeds = []string{nodes[0].cl.Self().GossipAddr}
			}
			n := startNodeWith(t, mode, func(cfg *cluster.Config) { cfg.AnnounceAddr = ln.Addr().String() }, seeds...)
			go servertest.Relay(ln, n.addr)
			relays[ln.Addr().String()] = n.addr
			nodes = append(nodes, n)
		}
		waitConverged(t, nodes, 3)
		direct := plainClient(t, nodes[0].addr)
		slots, err := direct.ClusterSlots(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range slots {
			if _, ok := relays[s.Nodes[0].Addr]; !ok {
				t.Fatalf("CLUSTER SLOTS names %s, not an announced address", s.Nodes[0].Addr)
			}
		}
		text, _ := direct.ClusterNodes(ctx).Result()
		shards, _ := direct.ClusterShards(ctx).Result()
		for ann, adv := range relays {
			if !strings.Contains(text, ann+"@") || strings.Contains(text, adv+"@") {
				t.Errorf("CLUSTER NODES should name %s, not %s:\n%s", ann, adv, text)
			}
		}
		for _, sh := range shards {
			if addr := fmt.Sprintf("%s:%d", sh.Nodes[0].IP, sh.Nodes[0].Port); relays[addr] == "" {
				t.Errorf("CLUSTER SHARDS names %s", addr)
			}
		}
		var remote string
		t0 := nodes[0].cl.Table()
		for i := 0; remote == ""; i++ {
			if k := fmt.Sprintf("k%d", i); !t0.Local(cluster.Slot(k)) {
				remote = k
			}
		}
		err = direct.Set(ctx, remote, "v", 0).Err()
		if slot := cluster.Slot(remote); mode == route.Redirect {
			if want := fmt.Sprintf("MOVED %d %s", slot, t0.ClientAddr(t0.Owner(slot))); err == nil || err.Error() != want {
				t.Fatalf("redirect: SET of a remote key = %v, want %q", err, want)
			}
		} else if err != nil { // forwarded to the owner's advertised address
			t.Fatalf("proxy: SET of a remote key: %v", err)
		}
		var seed string
		for ann := range relays {
			seed = ann
			break
		}
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{seed}, Protocol: 2})
		for i := range 200 {
			if err := cc.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
				t.Fatalf("mode %d: cluster client through the relays: %v", mode, err)
			}
		}
		for i := range 200 {
			if v, err := cc.Get(ctx, fmt.Sprintf("k%d", i)).Int(); err != nil || v != i {
				t.Fatalf("mode %d: k%d = %d, %v", mode, i, v, err)
			}
		}
		cc.Close()
		for _, n := range nodes {
			n.stop()
		}
	}
}

// A command that arrives over another node's forwarding link is never
// forwarded again: for keys this node does not own it answers TRYAGAIN at
// once (a node that has just left, or whose view lags, would otherwise
// send it back and both would wait for the forwarding timeout).
func TestPeerLinkIsNotForwardedAgain(t *testing.T) {
	nodes := startCluster(t, 2, route.Proxy)
	a := nodes[0]
	var mine, theirs string
	for i := 0; mine == "" || theirs == ""; i++ {
		k := fmt.Sprint("key:", i)
		if a.cl.Table().Local(cluster.Slot([]byte(k))) {
			mine = k
		} else {
			theirs = k
		}
	}
	ctx := context.Background()
	user := plainClient(t, a.addr)
	if err := user.Set(ctx, theirs, "v", 0).Err(); err != nil {
		t.Fatalf("a client's command is forwarded: %v", err)
	}
	peer := redis.NewClient(&redis.Options{Addr: a.addr, Protocol: 2, MaxRetries: -1, ClientName: route.PeerLinkName, PoolSize: 1})
	t.Cleanup(func() { peer.Close() })
	if err := peer.Get(ctx, theirs).Err(); err == nil || !strings.HasPrefix(err.Error(), "TRYAGAIN ") {
		t.Fatalf("GET of another node's key over a peer link: %v, want TRYAGAIN", err)
	}
	if err := peer.Set(ctx, mine, "v", 0).Err(); err != nil {
		t.Fatalf("a peer link's command for a local key: %v", err)
	}
	if v := user.Get(ctx, theirs).Val(); v != "v" {
		t.Fatalf("forwarding through the real link: GET = %q", v)
	}
}

// With requirepass set on every node, forwarding links authenticate: a
// client that AUTHed reaches keys on the other node.
func TestForwardWithRequirepass(t *testing.T) {
	pass := func(c *config.Config) {
		if err := config.FindSetting("requirepass").Set(c, "s3cret"); err != nil {
			t.Fatal(err)
		}
	}
	a := startNodeConfigured(t, route.Proxy, nil, pass)
	b := startNodeConfigured(t, route.Proxy, nil, pass, a.cl.Self().GossipAddr)
	waitConverged(t, []*testNode{a, b}, 2)
	var theirs string
	for i := 0; theirs == ""; i++ {
		if k := fmt.Sprint("key:", i); !a.cl.Table().Local(cluster.Slot([]byte(k))) {
			theirs = k
		}
	}
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: a.addr, Protocol: 2, Password: "s3cret"})
	t.Cleanup(func() { c.Close() })
	if err := c.Set(ctx, theirs, "v", 0).Err(); err != nil {
		t.Fatalf("SET of a key on the other node: %v", err)
	}
	direct := redis.NewClient(&redis.Options{Addr: b.addr, Protocol: 2, Password: "s3cret"})
	t.Cleanup(func() { direct.Close() })
	if v := direct.Get(ctx, theirs).Val(); v != "v" {
		t.Fatalf("the owner holds %q", v)
	}
}
