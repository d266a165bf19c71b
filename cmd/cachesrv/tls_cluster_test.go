package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/protocol"
	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/cachesrv/cachesrv/store"
)

const tlsClusterSecret = "tls-cluster-test-secret"

// tlsNode is an in-process cluster node with tls-cluster yes, wired as
// run wires it: plain and TLS listeners, then joinCluster.
type tlsNode struct {
	cfg       *config.Config
	srv       *protocol.Server
	addr      string // plain RESP address
	tlsAddr   string // TLS RESP address
	gossip    string // gossip address, for --join
	log       *lockedBuffer
	advertise string // the TLS address peers were told
}

// tlsClusterFlags are the flags of a node with tls-cluster yes and the
// given certificate, checked against ca.
func tlsClusterFlags(t *testing.T, ca *testCA, leaf testLeaf) []string {
	return append([]string{"--tls-cluster", "yes", "--tls-port", strconv.Itoa(servertest.FreePort(t))}, serverFiles(ca, leaf)...)
}

// startTLSNode starts a cluster node (with the test's gossip secret) with
// the given flags, tlsClusterFlags' or others. front, when set, gets the
// node's TLS address and returns the address peers are told to dial
// instead (a recording relay in front of it).
func startTLSNode(t *testing.T, front func(tlsAddr string) string, args ...string) *tlsNode {
	t.Helper()
	gossip := servertest.FreePort(t)
	args = append([]string{"--cluster", "--gossip-port", strconv.Itoa(gossip), "--gossip-secret", tlsClusterSecret}, args...)
	cfg, _, err := parseConfig(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	n := &tlsNode{cfg: cfg, log: &lockedBuffer{}, gossip: "127.0.0.1:" + strconv.Itoa(gossip)}
	log := slog.New(slog.NewTextHandler(n.log, nil))
	tln, err := listenTLS(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	if tln != nil {
		n.tlsAddr = tln.Addr().String()
	}
	if front != nil {
		// What joinCluster advertises is the bind host with tls-port.
		_, port, _ := net.SplitHostPort(front(n.tlsAddr))
		cfg.TLS.Port, _ = strconv.Atoi(port)
	}
	st, err := store.New(cfg.StoreOptions())
	if err != nil {
		t.Fatal(err)
	}
	n.srv = protocol.NewServer(cfg, st, log)
	ln := servertest.Listen(t)
	leave, err := joinCluster(cfg, n.srv, ln.Addr().String(), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(leave)
	n.advertise = n.srv.Cluster().Self().TLSAddr
	n.addr = servertest.ServeListener(t, n.srv, ln)
	if tln != nil {
		servertest.ServeListener(t, n.srv, tln)
	}
	return n
}

func (n *tlsNode) client(t *testing.T) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: n.addr, Protocol: 2, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// waitMembers waits until every node sees all of them, with the TLS
// addresses of those that advertise one.
func waitMembers(t *testing.T, nodes ...*tlsNode) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); ; {
		ok := true
		for _, n := range nodes {
			ms := n.srv.Cluster().Members()
			ok = ok && len(ms) == len(nodes) && n.srv.Cluster().Table().Len() == len(nodes)
			for _, m := range ms {
				for _, o := range nodes {
					if o.srv.Cluster().ID() == m.ID {
						ok = ok && m.TLSAddr == o.advertise
					}
				}
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d nodes did not see each other with TLS addresses within 20 s", len(nodes))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// keysOwnedElsewhere returns n keys that n's node does not own.
func (n *tlsNode) keysOwnedElsewhere(count int) []string {
	tbl := n.srv.Cluster().Table()
	var keys []string
	for i := 0; len(keys) < count; i++ {
		k := fmt.Sprintf("tlskey-%d", i)
		if !tbl.Local(cluster.Slot([]byte(k))) {
			keys = append(keys, k)
		}
	}
	return keys
}

// TestTLSClusterForwardsOverTLS: two nodes with tls-cluster yes forward
// each other's keys, and what crosses the link (recorded by a relay in
// front of one node's TLS port, which is what that node advertises, of
// what the other sends) is TLS records: no command, key, value or
// handshake command in clear.
func TestTLSClusterForwardsOverTLS(t *testing.T) {
	ca := newTestCA(t, "cluster-ca")
	a := startTLSNode(t, nil, tlsClusterFlags(t, ca, ca.issue(t, "node-a"))...)
	var rec servertest.Recorder
	b := startTLSNode(t, func(tlsAddr string) string {
		ln := servertest.Listen(t)
		go servertest.Relay(servertest.Recording(ln, &rec), tlsAddr)
		return ln.Addr().String()
	},
		append(tlsClusterFlags(t, ca, ca.issue(t, "node-b")), "--join", a.gossip)...)
	waitMembers(t, a, b)
	if !strings.HasPrefix(a.advertise, "127.0.0.1:") || a.advertise != a.tlsAddr {
		t.Fatalf("a advertises TLS address %q, listens on %s", a.advertise, a.tlsAddr)
	}

	ca1, cb := a.client(t), b.client(t)
	if v, err := ca1.ConfigGet(bg, "tls-cluster").Result(); err != nil || v["tls-cluster"] != "yes" {
		t.Errorf("CONFIG GET tls-cluster = %v, %v", v, err)
	}
	theirs, ours := a.keysOwnedElsewhere(20), b.keysOwnedElsewhere(20)
	for _, k := range theirs {
		if err := ca1.Set(bg, k, "tlsvalue-"+k, 0).Err(); err != nil {
			t.Fatalf("SET %s through a, owned by b: %v", k, err)
		}
	}
	for _, k := range ours {
		if err := cb.Set(bg, k, "tlsvalue-"+k, 0).Err(); err != nil {
			t.Fatalf("SET %s through b, owned by a: %v", k, err)
		}
	}
	for _, k := range append(theirs, ours...) {
		for _, c := range []*redis.Client{ca1, cb} {
			if v, err := c.Get(bg, k).Result(); err != nil || v != "tlsvalue-"+k {
				t.Fatalf("GET %s = %q, %v", k, v, err)
			}
		}
	}
	for _, n := range []*tlsNode{a, b} {
		st := n.srv.ForwardStats()
		if len(st) != 1 || st[0].Commands != 40 || st[0].Errors != 0 {
			t.Errorf("forward stats %+v, want 40 commands (20 SET, 20 GET) and no errors", st)
		}
	}

	wire, conns := rec.Seen()
	if conns == 0 || len(wire) == 0 {
		t.Fatal("nothing went through the relay in front of b's TLS port")
	}
	if wire[0] != 0x16 { // a TLS handshake record
		t.Errorf("the link does not start with a TLS handshake: % x", wire[:min(16, len(wire))])
	}
	for _, plain := range []string{"tlsvalue", "tlskey", "SET", "GET", "CACHESRV.PEER", "cachesrv-peer-link"} {
		if strings.Contains(wire, plain) {
			t.Errorf("%q in clear on the peer link", plain)
		}
	}
}

// TestTLSClusterRefusesAnotherCA: a node whose certificate comes from
// another CA is a member (it knows the gossip secret) but gets no link
// either way: a refuses its server certificate when dialling, and its
// client certificate when dialled, although a's clients need none
// (tls-auth-clients no): peer links always need one. Nothing is stored.
func TestTLSClusterRefusesAnotherCA(t *testing.T) {
	ca, other := newTestCA(t, "cluster-ca"), newTestCA(t, "other-ca")
	a := startTLSNode(t, nil, append(tlsClusterFlags(t, ca, ca.issue(t, "node-a")), "--tls-auth-clients", "no")...)
	// b trusts the cluster's CA, so only a's checks can refuse it.
	b := startTLSNode(t, nil, append(tlsClusterFlags(t, other, other.issue(t, "node-b")), "--tls-ca-cert-file", ca.file, "--join", a.gossip)...)
	waitMembers(t, a, b)
	refusedBothWays(t, a, b)
	if !strings.Contains(b.log.String(), "certificate") && !strings.Contains(a.log.String(), "certificate") {
		t.Errorf("no certificate error logged:\na: %s\nb: %s", a.log.String(), b.log.String())
	}
	// a's clients still need no certificate.
	if reply, _, err := tlsPing(a.tlsAddr, &tls.Config{RootCAs: ca.pool}); err != nil || reply != "+PONG\r\n" {
		t.Errorf("client without a certificate: %q, %v", reply, err)
	}
}

// refusedBothWays checks that neither node forwards to the other: the
// clients get TRYAGAIN and nothing is stored.
func refusedBothWays(t *testing.T, a, b *tlsNode) {
	t.Helper()

	for _, from := range []*tlsNode{a, b} {
		c := from.client(t)
		for _, k := range from.keysOwnedElsewhere(3) {
			err := c.Set(bg, k, "v", 0).Err()
			if err == nil || !strings.HasPrefix(err.Error(), "TRYAGAIN") {
				t.Errorf("SET %s through %s: %v, want TRYAGAIN", k, from.addr, err)
			}
		}
	}
	for _, n := range []*tlsNode{a, b} {
		if keys, err := nodeKeys(bg, n.client(t)); err != nil || keys != 0 {
			t.Errorf("%s holds %d keys (%v), want none", n.addr, keys, err)
		}
	}
}

// TestTLSClusterNoClearTextWithPlainMember: in a cluster where one member
// runs without tls-cluster, the tls-cluster node neither forwards to it
// (it advertises no TLS port) nor takes its link in clear text.
func TestTLSClusterNoClearTextWithPlainMember(t *testing.T) {
	ca := newTestCA(t, "cluster-ca")
	a := startTLSNode(t, nil, tlsClusterFlags(t, ca, ca.issue(t, "node-a"))...)
	b := startTLSNode(t, nil, "--join", a.gossip)
	waitMembers(t, a, b)
	refusedBothWays(t, a, b)
	if !strings.Contains(a.log.String(), "refused a peer link: not over TLS") {
		t.Errorf("a did not log the clear-text link it refused:\n%s", a.log.String())
	}
}

// TestTLSClusterStartRefusals: tls-cluster yes needs tls-port, and a CA
// to check peers' certificates against (Redis's text).
func TestTLSClusterStartRefusals(t *testing.T) {
	cfg, _, err := parseConfig([]string{"--cluster", "--tls-cluster", "yes"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := listenTLS(cfg, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "tls-cluster yes needs tls-port") {
		t.Errorf("tls-cluster without tls-port: %v", err)
	}
	ca := newTestCA(t, "ca")
	leaf := ca.issue(t, "node")
	cfg, _, err = parseConfig([]string{"--cluster", "--tls-cluster", "yes", "--tls-port", strconv.Itoa(servertest.FreePort(t)),
		"--tls-auth-clients", "no", "--tls-cert-file", leaf.certFile, "--tls-key-file", leaf.keyFile}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!"
	if _, err := listenTLS(cfg, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("tls-cluster without a CA: %v", err)
	}
}

// TestTLSClusterProcessesTLSOnly: two real processes with --port 0 (TLS
// only, refused with --cluster unless tls-cluster) and --tls-cluster yes
// form a cluster whose clients and links all use TLS, and a key set
// through one node is read through the other.
func TestTLSClusterProcessesTLSOnly(t *testing.T) {
	bin := servertest.Cachesrv(t)
	ca := newTestCA(t, "cluster-ca")
	conf := &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{ca.issue(t, "client").pair}}
	ports := servertest.FreePorts(t, 4)
	var clients []*redis.Client
	for i := range 2 {
		cmd := exec.Command(bin, append(serverFiles(ca, ca.issue(t, fmt.Sprintf("node-%d", i))),
			"--cluster", "--port", "0", "--tls-port", strconv.Itoa(ports[i]), "--tls-cluster", "yes",
			"--gossip-port", strconv.Itoa(ports[2+i]), "--join", "127.0.0.1:"+strconv.Itoa(ports[2]), "--metrics-addr", "")...)
		cmd.Env = append(os.Environ(), "CACHESRV_GOSSIP_SECRET="+tlsClusterSecret)
		log := &lockedBuffer{}
		cmd.Stderr = log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
			if t.Failed() {
				t.Logf("node %d log:\n%s", i, log.String())
			}
		})
		c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(ports[i]), Protocol: 2, TLSConfig: conf})
		t.Cleanup(func() { c.Close() })
		clients = append(clients, c)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		ok := true
		for _, c := range clients {
			info, err := c.ClusterInfo(bg).Result()
			ok = ok && err == nil && strings.Contains(info, "cluster_known_nodes:2")
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("two TLS-only processes did not form a cluster within 20 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := range 50 {
		k := "tlsonly-" + strconv.Itoa(i)
		if err := clients[i%2].Set(bg, k, k, 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", k, err)
		}
		if v, err := clients[1-i%2].Get(bg, k).Result(); err != nil || v != k {
			t.Fatalf("GET %s through the other node = %q, %v", k, v, err)
		}
	}
}
