package protocol

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// The cluster's secret keeps out whoever lacks it: from gossip (package
// cluster's tests, and the rogue here), and from the forwarding links,
// which prove it instead of sending requirepass.

const (
	testSecret   = "correct horse"
	testPassword = "s3cret-requirepass"
)

func withSecret(s string) func(*cluster.Config) {
	return func(cfg *cluster.Config) { cfg.SecretKey = []byte(s) }
}

// startSecuredPair starts two proxy-mode nodes sharing testSecret and
// testPassword, and waits until they agree.
func startSecuredPair(t *testing.T) (a, b *testNode) {
	t.Helper()
	a = startNodeConfigured(t, route.Proxy, withSecret(testSecret), withPassword(testPassword))
	b = startNodeConfigured(t, route.Proxy, withSecret(testSecret), withPassword(testPassword), a.cl.Self().GossipAddr)
	waitConverged(t, []*testNode{a, b}, 2)
	return a, b
}

// keysOwnedBy returns n keys that tbl places on the node id.
func keysOwnedBy(tbl *cluster.Table, id string, n int) []string {
	var keys []string
	owner := tbl.Index(id)
	for i := 0; len(keys) < n; i++ {
		if k := fmt.Sprint("key:", i); tbl.Owner(cluster.Slot([]byte(k))) == owner {
			keys = append(keys, k)
		}
	}
	return keys
}

// fakePeer answers on ln as a process that took over a member's RESP
// address without knowing the cluster secret would: a challenge to a
// handshake, a made-up proof, and OK to anything else.
func fakePeer(ln net.Listener) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer conn.Close()
			rd := bufio.NewReader(conn)
			for {
				v, err := resp.ReadValue(rd)
				if err != nil {
					return
				}
				cmd := strings.ToUpper(fmt.Sprint(v))
				switch {
				case strings.HasPrefix(cmd, "[CACHESRV.PEER CHALLENGE"):
					fmt.Fprintf(conn, "$64\r\n%s\r\n", strings.Repeat("0", 64))
				case strings.HasPrefix(cmd, "[CACHESRV.PEER AUTH"):
					fmt.Fprintf(conn, "$64\r\n%s\r\n", strings.Repeat("f", 64))
				case strings.HasPrefix(cmd, "[GET"):
					conn.Write([]byte("$6\r\nforged\r\n"))
				default:
					conn.Write([]byte("+OK\r\n"))
				}
			}
		}()
	}
}

// TestSecuredLinkSendsNoPassword: between nodes that share a secret and a
// requirepass, forwarding works, and what goes over the link (recorded by
// a relay in front of the owner) is the handshake, never the password.
func TestSecuredLinkSendsNoPassword(t *testing.T) {
	a := startNodeConfigured(t, route.Proxy, withSecret(testSecret), withPassword(testPassword))
	relayLn := servertest.Listen(t)
	b := startNodeConfigured(t, route.Proxy, func(cfg *cluster.Config) {
		cfg.SecretKey = []byte(testSecret)
		cfg.AdvertiseAddr = relayLn.Addr().String()
	}, withPassword(testPassword), a.cl.Self().GossipAddr)
	var rec servertest.Recorder
	go servertest.Relay(servertest.Recording(relayLn, &rec), b.addr)
	waitConverged(t, []*testNode{a, b}, 2)

	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: a.addr, Protocol: 2, Password: testPassword})
	t.Cleanup(func() { c.Close() })
	theirs := keysOwnedBy(a.cl.Table(), b.cl.ID(), 20)
	for _, k := range theirs {
		if err := c.Set(ctx, k, "v:"+k, 0).Err(); err != nil {
			t.Fatalf("SET %s through a, owned by b: %v", k, err)
		}
	}
	direct := redis.NewClient(&redis.Options{Addr: b.addr, Protocol: 2, Password: testPassword})
	t.Cleanup(func() { direct.Close() })
	for _, k := range theirs {
		if v, err := direct.Get(ctx, k).Result(); v != "v:"+k {
			t.Fatalf("b holds %s = %q, %v", k, v, err)
		}
	}
	wire, conns := rec.Seen()
	if strings.Contains(wire, testPassword) {
		t.Errorf("the forwarding link sent requirepass: %q", wire)
	}
	if conns == 0 || !strings.Contains(wire, route.PeerCommand) {
		t.Errorf("no handshake on the link (%d connections): %q", conns, wire)
	}
}

// TestImpostorAtMemberAddressGetsNothing: a process that took over a
// member's RESP address, without the secret, is refused at the handshake:
// it is sent neither the password nor any key or value, and serves no
// read; the client gets TRYAGAIN.
func TestImpostorAtMemberAddressGetsNothing(t *testing.T) {
	a := startNodeConfigured(t, route.Proxy, withSecret(testSecret), withPassword(testPassword))
	fakeLn := servertest.Listen(t)
	var rec servertest.Recorder
	go fakePeer(servertest.Recording(fakeLn, &rec))
	b, err := cluster.Start(cluster.Config{
		NodeID: "member-b", BindAddr: "127.0.0.1", AdvertiseAddr: fakeLn.Addr().String(),
		Join: []string{a.cl.Self().GossipAddr}, VNodes: 256, Fast: true, SecretKey: []byte(testSecret), Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Shutdown() })
	waitTableLen(t, a.cl, 2)

	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: a.addr, Protocol: 2, Password: testPassword, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	theirs := keysOwnedBy(a.cl.Table(), "member-b", 10)
	for _, k := range theirs {
		if err := c.Set(ctx, k, "value-of-"+k, 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "TRYAGAIN ") {
			t.Errorf("SET %s owned by the impostor's address: %v, want TRYAGAIN", k, err)
		}
		if v, err := c.Get(ctx, k).Result(); err == nil || v == "forged" {
			t.Errorf("GET %s owned by the impostor's address = %q, %v; want TRYAGAIN", k, v, err)
		}
	}
	wire, conns := rec.Seen()
	if conns == 0 {
		t.Fatal("a never dialled the member's address")
	}
	if strings.Contains(wire, testPassword) {
		t.Errorf("the impostor was sent requirepass: %q", wire)
	}
	for _, k := range theirs {
		if strings.Contains(wire, k) {
			t.Fatalf("the impostor was sent key %s: %q", k, wire)
		}
	}
}

// TestRogueNodeGetsNoSlotsNoData: a node with no secret, or the wrong
// one, that tries to join a secured cluster is not admitted: it owns no
// slot on the members' tables, nothing dials its RESP address, and every
// key written through the cluster lands on the real nodes.
func TestRogueNodeGetsNoSlotsNoData(t *testing.T) {
	a, b := startSecuredPair(t)
	fakeLn := servertest.Listen(t)
	var rec servertest.Recorder
	go fakePeer(servertest.Recording(fakeLn, &rec))
	for _, secret := range []string{"", "battery staple"} {
		rogue, err := cluster.Start(cluster.Config{
			NodeID: "rogue", BindAddr: "127.0.0.1", AdvertiseAddr: fakeLn.Addr().String(),
			Join: []string{a.cl.Self().GossipAddr, b.cl.Self().GossipAddr}, VNodes: 4096, Fast: true,
			SecretKey: []byte(secret), Logger: quietLogger(),
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := rogue.Table().Len(); n != 1 {
			t.Errorf("rogue (secret %q) sees %d nodes", secret, n)
		}
		// Refused by its seeds, it does not claim the keyspace either
		// (cluster/bootstrap.go).
		if !rogue.Down() || rogue.Table().Count("rogue") != 0 {
			t.Errorf("rogue (secret %q): down %v, owning %d slots; want down, owning none", secret, rogue.Down(), rogue.Table().Count("rogue"))
		}
		for _, n := range []*testNode{a, b} {
			if got := n.cl.Table().Nodes(); len(got) != 2 || n.cl.Table().Index("rogue") >= 0 {
				t.Errorf("%s's table has %v", n.cl.ID(), got)
			}
		}
		rogue.Shutdown()
	}
	ctx := context.Background()
	ca := redis.NewClient(&redis.Options{Addr: a.addr, Protocol: 2, Password: testPassword})
	cb := redis.NewClient(&redis.Options{Addr: b.addr, Protocol: 2, Password: testPassword})
	t.Cleanup(func() { ca.Close(); cb.Close() })
	for i := range 200 {
		k := fmt.Sprint("rogue-test:", i)
		if err := ca.Set(ctx, k, k, 0).Err(); err != nil {
			t.Fatal(err)
		}
		if v, err := cb.Get(ctx, k).Result(); v != k {
			t.Fatalf("GET %s through b = %q, %v", k, v, err)
		}
	}
	if wire, conns := rec.Seen(); conns != 0 {
		t.Errorf("the rogue's RESP address was dialled %d times: %q", conns, wire)
	}
}

// TestPeerLinkNameGrantsNothing: with a cluster secret, a client that
// names itself like a forwarding link is still an ordinary client: its
// commands for other nodes' keys are forwarded (a real link would get
// TRYAGAIN), and it is not authenticated.
func TestPeerLinkNameGrantsNothing(t *testing.T) {
	a, b := startSecuredPair(t)
	ctx := context.Background()
	theirs := keysOwnedBy(a.cl.Table(), b.cl.ID(), 1)[0]

	named := redis.NewClient(&redis.Options{Addr: a.addr, Protocol: 2, Password: testPassword, ClientName: route.PeerLinkName, MaxRetries: -1, PoolSize: 1})
	t.Cleanup(func() { named.Close() })
	if err := named.Set(ctx, theirs, "v", 0).Err(); err != nil {
		t.Fatalf("SET of b's key by a client named %s: %v, want it forwarded", route.PeerLinkName, err)
	}
	if v, err := named.Get(ctx, theirs).Result(); v != "v" {
		t.Fatalf("GET = %q, %v", v, err)
	}

	anon := redis.NewClient(&redis.Options{Addr: a.addr, Protocol: 2, MaxRetries: -1, PoolSize: 1})
	t.Cleanup(func() { anon.Close() })
	conn := anon.Conn()
	defer conn.Close()
	if err := conn.Do(ctx, "CLIENT", "SETNAME", route.PeerLinkName).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Fatalf("CLIENT SETNAME before AUTH: %v, want NOAUTH", err)
	}
	if err := conn.Get(ctx, theirs).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Fatalf("GET before AUTH: %v, want NOAUTH", err)
	}
}

// TestPeerHandshake drives CACHESRV.PEER by hand: a valid proof makes the
// connection an authenticated peer link (TRYAGAIN for keys elsewhere);
// no challenge, a used challenge, a replayed proof, a proof meant for
// another node or made with another secret are refused.
func TestPeerHandshake(t *testing.T) {
	a, b := startSecuredPair(t)
	ctx := context.Background()
	theirs := keysOwnedBy(a.cl.Table(), b.cl.ID(), 1)[0]
	mine := keysOwnedBy(a.cl.Table(), a.cl.ID(), 1)[0]
	key, other := a.cl.PeerKey(), []byte("not the peer key, 32 bytes long!")
	nonce := route.NewChallenge()

	rdb := redis.NewClient(&redis.Options{Addr: a.addr, Protocol: 2, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	open := func() *redis.Conn {
		conn := rdb.Conn()
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	challenge := func(conn *redis.Conn) string {
		ch, err := conn.Do(ctx, "CACHESRV.PEER", "CHALLENGE").Text()
		if err != nil || len(ch) != 64 {
			t.Fatalf("CHALLENGE = %q, %v", ch, err)
		}
		return ch
	}
	refused := func(conn *redis.Conn, what string, args ...any) {
		t.Helper()
		err := conn.Do(ctx, append([]any{"CACHESRV.PEER", "AUTH"}, args...)...).Err()
		if err == nil || err.Error() != route.ErrPeerAuth.Error() {
			t.Errorf("%s: %v, want %q", what, err, route.ErrPeerAuth)
		}
		if err := conn.Get(ctx, mine).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
			t.Errorf("%s, then GET: %v, want NOAUTH", what, err)
		}
	}

	peer := open()
	refused(peer, "AUTH without CHALLENGE", "node-x", nonce, route.DialerProof(key, "", "node-x", a.cl.ID(), nonce))
	ch := challenge(peer)
	got, err := peer.Do(ctx, "CACHESRV.PEER", "AUTH", "node-x", nonce, route.DialerProof(key, ch, "node-x", a.cl.ID(), nonce)).Text()
	if want := route.NodeProof(key, ch, "node-x", a.cl.ID(), nonce); err != nil || got != want {
		t.Fatalf("AUTH with a valid proof = %q, %v; want the node's proof %q", got, err, want)
	}
	if err := peer.Get(ctx, theirs).Err(); err == nil || !strings.HasPrefix(err.Error(), "TRYAGAIN ") {
		t.Errorf("GET of b's key over a proven link: %v, want TRYAGAIN", err)
	}
	if err := peer.Set(ctx, mine, "v", 0).Err(); err != nil {
		t.Errorf("SET of a's own key over a proven link, no AUTH: %v", err)
	}

	replay := open()
	challenge(replay)
	refused(replay, "a recorded AUTH on a new connection", "node-x", nonce, route.DialerProof(key, ch, "node-x", a.cl.ID(), nonce))
	ch2 := challenge(replay)
	refused(replay, "a proof meant for b", "node-x", nonce, route.DialerProof(key, ch2, "node-x", b.cl.ID(), nonce))
	refused(replay, "the challenge again after a failure", "node-x", nonce, route.DialerProof(key, ch2, "node-x", a.cl.ID(), nonce))
	ch3 := challenge(replay)
	refused(replay, "another secret", "node-x", nonce, route.DialerProof(other, ch3, "node-x", a.cl.ID(), nonce))

	// A node without a secret does not offer the handshake.
	plain := startNode(t, route.Proxy)
	pc := plainClient(t, plain.addr)
	if err := pc.Do(ctx, "CACHESRV.PEER", "CHALLENGE").Err(); err == nil || !strings.Contains(err.Error(), "no cluster secret") {
		t.Errorf("CHALLENGE on a node without a secret: %v", err)
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// waitTableLen waits until cl's table has n nodes.
func waitTableLen(t *testing.T, cl *cluster.Cluster, n int) {
	t.Helper()
	for start := time.Now(); cl.Table().Len() != n; time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 15*time.Second {
			t.Fatalf("%s's table has %d nodes, want %d", cl.ID(), cl.Table().Len(), n)
		}
	}
}
