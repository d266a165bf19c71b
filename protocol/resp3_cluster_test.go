package protocol

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

// keyOwnedElsewhere returns a key (with the given prefix) that node does
// not own.
func keyOwnedElsewhere(t testing.TB, node *testNode, prefix string) string {
	t.Helper()
	tbl := node.cl.Table()
	for i := 0; i < 100000; i++ {
		if k := fmt.Sprint(prefix, i); !tbl.Local(cluster.Slot([]byte(k))) {
			return k
		}
	}
	t.Fatal("no key owned by another node")
	return ""
}

// keyOwnedHere returns a key (with the given prefix) that node owns.
func keyOwnedHere(t testing.TB, node *testNode, prefix string) string {
	t.Helper()
	tbl := node.cl.Table()
	for i := 0; i < 100000; i++ {
		if k := fmt.Sprint(prefix, i); tbl.Local(cluster.Slot([]byte(k))) {
			return k
		}
	}
	t.Fatal("no key owned by this node")
	return ""
}

// TestClusterProxyRESP3: a RESP3 client's commands forwarded to the
// keys' owners come back in RESP3 (the node keeps RESP3 peer links), and
// split commands merge RESP3 replies (MGET's missing keys are _), while a
// RESP2 client of the same node still gets RESP2 from the same peers.
func TestClusterProxyRESP3(t *testing.T) {
	nodes := startCluster(t, 3, route.Proxy)
	a := nodes[0]
	remote, remoteMissing := keyOwnedElsewhere(t, a, "r:"), keyOwnedElsewhere(t, a, "gone:")
	local, localMissing := keyOwnedHere(t, a, "l:"), keyOwnedHere(t, a, "lgone:")
	// Two keys in one slot owned elsewhere, for LCS (a map in RESP3).
	tag := "{" + keyOwnedElsewhere(t, a, "t") + "}"

	r3, r2 := dialRESPProto(t, a.addr, 3), dialRESP(t, a.addr)
	for _, tc := range []struct {
		args       []string
		resp3, old string // the RESP3 and the RESP2 reply
	}{
		{[]string{"GET", remoteMissing}, "_\r\n", "$-1\r\n"},
		{[]string{"SET", remote, "v"}, "+OK\r\n", "+OK\r\n"},
		{[]string{"SET", local, "w"}, "+OK\r\n", "+OK\r\n"},
		{[]string{"GET", remote}, "$1\r\nv\r\n", "$1\r\nv\r\n"},
		{[]string{"SET", remoteMissing, "x", "GET"}, "_\r\n", "$1\r\nx\r\n"},
		{[]string{"DEL", remoteMissing}, ":1\r\n", ":0\r\n"},
		{[]string{"MGET", local, remote, remoteMissing, localMissing}, "*4\r\n$1\r\nw\r\n$1\r\nv\r\n_\r\n_\r\n", "*4\r\n$1\r\nw\r\n$1\r\nv\r\n$-1\r\n$-1\r\n"},
		{[]string{"MSET", tag + "1", "ohmytext", tag + "2", "mynewtext"}, "+OK\r\n", "+OK\r\n"},
		{[]string{"LCS", tag + "1", tag + "2", "IDX"},
			"%2\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
			"*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n"},
		{[]string{"EXISTS", local, remote, remoteMissing}, ":2\r\n", ":2\r\n"},
	} {
		if got := r3.exchange(tc.args...); got != tc.resp3 {
			t.Errorf("RESP3 %q = %q, want %q", tc.args, got, tc.resp3)
		}
		if got := r2.exchange(tc.args...); got != tc.old {
			t.Errorf("RESP2 %q = %q, want %q", tc.args, got, tc.old)
		}
	}

	// A pipeline of remote reads (ForwardRun) in RESP3.
	var pipe strings.Builder
	for range 3 {
		pipe.WriteString(respCommand("GET", remoteMissing))
		pipe.WriteString(respCommand("GET", remote))
	}
	r3.conn.Write([]byte(pipe.String()))
	for i := range 6 {
		want := "_\r\n"
		if i%2 == 1 {
			want = "$1\r\nv\r\n"
		}
		if got, err := readRESP(r3.rd); err != nil || got != want {
			t.Fatalf("pipelined reply %d = %q, %v; want %q", i, got, err, want)
		}
	}

	// RESET goes back to RESP2, forwarded replies too.
	if got := r3.exchange("RESET"); got != "+RESET\r\n" {
		t.Fatalf("RESET = %q", got)
	}
	if got := r3.exchange("GET", remoteMissing); got != "$-1\r\n" {
		t.Errorf("GET of a remote key after RESET = %q, want RESP2's nil", got)
	}

	// go-redis speaking RESP3 through the proxy node.
	c := redis.NewClient(&redis.Options{Addr: a.addr, Protocol: 3})
	t.Cleanup(func() { c.Close() })
	if vals, err := c.MGet(ctx, local, remote, remoteMissing).Result(); err != nil || vals[0] != "w" || vals[1] != "v" || vals[2] != nil {
		t.Fatalf("go-redis RESP3 MGET across nodes = %#v, %v", vals, err)
	}
	lcs, err := c.LCS(ctx, &redis.LCSQuery{Key1: tag + "1", Key2: tag + "2", Idx: true}).Result()
	if err != nil || lcs.Len != 6 || len(lcs.Matches) != 2 {
		t.Fatalf("go-redis RESP3 LCS IDX forwarded = %+v, %v", lcs, err)
	}
	if err := c.Get(ctx, remoteMissing).Err(); err != redis.Nil {
		t.Fatalf("go-redis RESP3 GET of a missing remote key: %v", err)
	}
	// A peer's RESP2 and RESP3 links count in one entry of the
	// forwarding statistics.
	seen := map[string]bool{}
	for _, p := range a.srv.ForwardStats() {
		if seen[p.Peer] || p.Commands == 0 {
			t.Fatalf("forward stats: %+v", a.srv.ForwardStats())
		}
		seen[p.Peer] = true
	}
	if len(seen) == 0 {
		t.Fatal("no forward stats")
	}
}

// TestClusterRESP3SecuredLinks: with a cluster secret and requirepass,
// RESP3 peer links say HELLO 3 after the challenge-response handshake.
func TestClusterRESP3SecuredLinks(t *testing.T) {
	a, b := startSecuredPair(t)
	keys := keysOwnedBy(a.cl.Table(), b.cl.ID(), 2)
	c := dialRESPProto(t, a.addr, 2)
	if got := c.exchange("AUTH", testPassword); got != "+OK\r\n" {
		t.Fatalf("AUTH = %q", got)
	}
	if got := c.exchange("HELLO", "3"); !strings.HasPrefix(got, "%7\r\n") {
		t.Fatalf("HELLO 3 = %q", got)
	}
	if got := c.exchange("GET", keys[0]); got != "_\r\n" {
		t.Fatalf("forwarded GET over a secured RESP3 link = %q, want _", got)
	}
	if got := c.exchange("SET", keys[1], "v"); got != "+OK\r\n" {
		t.Fatalf("forwarded SET = %q", got)
	}
	if got := c.exchange("MGET", keys[0], keys[1]); got != "*2\r\n_\r\n$1\r\nv\r\n" {
		t.Fatalf("MGET = %q", got)
	}
}

// TestClusterRedirectRESP3: in redirect mode, cluster-aware clients
// speaking RESP3 read CLUSTER SLOTS and SHARDS (maps in RESP3) and follow
// MOVED.
func TestClusterRedirectRESP3(t *testing.T) {
	nodes := startCluster(t, 3, route.Redirect)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].addr}, Protocol: 3})
	defer cc.Close()
	for i := range 100 {
		if err := cc.Set(ctx, fmt.Sprintf("k%d", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100 {
		if v, err := cc.Get(ctx, fmt.Sprintf("k%d", i)).Int(); err != nil || v != i {
			t.Fatalf("k%d = %d, %v", i, v, err)
		}
	}
	if err := cc.Get(ctx, "missing").Err(); err != redis.Nil {
		t.Fatalf("GET missing: %v", err)
	}
	shards, err := cc.ClusterShards(ctx).Result()
	if err != nil || len(shards) != 3 || len(shards[0].Nodes) != 1 || shards[0].Nodes[0].Role != "master" {
		t.Fatalf("CLUSTER SHARDS = %+v, %v", shards, err)
	}
	c := dialRESPProto(t, nodes[0].addr, 3)
	// A cluster node's HELLO says mode cluster, as Redis Cluster's does.
	if got := c.exchange("HELLO", "3"); !strings.Contains(got, "$4\r\nmode\r\n$7\r\ncluster\r\n") {
		t.Errorf("HELLO 3 on a cluster node = %q", got)
	}
	for _, args := range [][]string{{"CLUSTER", "INFO"}, {"CLUSTER", "NODES"}} {
		if got := c.exchange(args...); !strings.HasPrefix(got, "=") || !strings.Contains(got, "\r\ntxt:") {
			t.Errorf("%q in RESP3 = %q, want a verbatim string", args, got)
		}
	}
	if got := replyShape(t, c.exchange("CLUSTER", "SHARDS")); !strings.HasPrefix(got, "*3[%2[$ *") || !strings.Contains(got, "*1[%7[$ $ $ : $ $ $ $ $ $ $ : $ $]]") {
		t.Errorf("CLUSTER SHARDS shape %s", got)
	}
	if got := replyShape(t, c.exchange("CLUSTER", "SLOTS")); !strings.Contains(got, "*4[$ : $ %0[]]") {
		t.Errorf("CLUSTER SLOTS shape %s", got)
	}
}

// TestClusterRueidisRESP3: rueidis's cluster client (RESP3; it reads the
// topology from CLUSTER SHARDS, maps in RESP3, since HELLO says 7.x)
// routes keys in redirect mode, and its plain client works through a
// proxy-mode node.
func TestClusterRueidisRESP3(t *testing.T) {
	for _, mode := range []route.Mode{route.Redirect, route.Proxy} {
		t.Run(mode.String(), func(t *testing.T) {
			nodes := startCluster(t, 3, mode)
			opt := rueidis.ClientOption{InitAddress: []string{nodes[1].addr}, DisableCache: true}
			if mode == route.Proxy {
				opt.ForceSingleClient = true // any node answers for any key
			}
			c, err := rueidis.NewClient(opt)
			if err != nil {
				t.Fatalf("rueidis.NewClient: %v", err)
			}
			defer c.Close()
			for i := range 50 {
				k := fmt.Sprintf("rk%d", i)
				if err := c.Do(ctx, c.B().Set().Key(k).Value(k).Build()).Error(); err != nil {
					t.Fatalf("SET %s: %v", k, err)
				}
			}
			for i := range 50 {
				k := fmt.Sprintf("rk%d", i)
				if v, err := c.Do(ctx, c.B().Get().Key(k).Build()).ToString(); err != nil || v != k {
					t.Fatalf("GET %s = %q, %v", k, v, err)
				}
			}
			if err := c.Do(ctx, c.B().Get().Key("missing").Build()).Error(); !rueidis.IsRedisNil(err) {
				t.Fatalf("GET missing: %v", err)
			}
		})
	}
}
