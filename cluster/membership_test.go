package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// Every cluster test runs real memberlist nodes in this process, gossiping
// over UDP and TCP on 127.0.0.1 ports the kernel picks, with the Fast
// profile. Waits poll with deadlines; no assertion rests on a fixed sleep.

// convergeTimeout bounds every wait for the cluster to agree. Convergence
// normally takes well under a second after a join or leave and a second or
// two after a kill; the margin is for loaded CI machines and -race.
const convergeTimeout = 15 * time.Second

func testLogger() *slog.Logger {
	if os.Getenv("CACHESRV_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// respPort gives each test node a distinct, recognisable RESP address. The
// address is only published, never dialled.
var respPort = struct {
	sync.Mutex
	next int
}{next: 16000}

func startNode(t *testing.T, id string, edit ...func(*Config)) *Cluster {
	t.Helper()
	respPort.Lock()
	respPort.next++
	resp := fmt.Sprintf("127.0.0.1:%d", respPort.next)
	respPort.Unlock()
	cfg := Config{
		NodeID:        id,
		BindAddr:      "127.0.0.1",
		AdvertiseAddr: resp,
		Fast:          true,
		Logger:        testLogger(),
	}
	for _, e := range edit {
		e(&cfg)
	}
	c, err := Start(cfg)
	if err != nil {
		t.Fatalf("Start(%s): %v", id, err)
	}
	t.Cleanup(func() { c.Shutdown() })
	return c
}

func joining(seeds ...*Cluster) func(*Config) {
	return func(cfg *Config) {
		for _, s := range seeds {
			cfg.Join = append(cfg.Join, s.Self().GossipAddr)
		}
	}
}

func ids(nodes ...*Cluster) []string {
	var s []string
	for _, n := range nodes {
		s = append(s, n.ID())
	}
	slices.Sort(s)
	return s
}

// waitConverged polls until every node's table lists exactly the given nodes
// and equals the table the ring defines for them, and returns how long that
// took.
func waitConverged(t *testing.T, nodes []*Cluster) time.Duration {
	t.Helper()
	want := BuildTable(ids(nodes...), DefaultVNodes)
	start := time.Now()
	for {
		agreed := true
		for _, n := range nodes {
			if !n.Table().Equal(want) {
				agreed = false
				break
			}
		}
		if agreed {
			return time.Since(start)
		}
		if time.Since(start) > convergeTimeout {
			var b strings.Builder
			for _, n := range nodes {
				fmt.Fprintf(&b, "\n  %s sees %v", n.ID(), n.Table().Nodes())
			}
			t.Fatalf("no convergence on %v after %v:%s", want.Nodes(), convergeTimeout, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestClusterForms(t *testing.T) {
	start := time.Now()
	a := startNode(t, "node-a")
	b := startNode(t, "node-b", joining(a))
	c := startNode(t, "node-c", joining(b)) // learns of a through b
	took := waitConverged(t, []*Cluster{a, b, c})
	t.Logf("3 nodes converged %v after the last Start returned (%v from the first)", took, time.Since(start))

	total := 0
	for _, n := range []*Cluster{a, b, c} {
		table := n.Table()
		// Metadata carries every node's RESP address into every node's view.
		members := n.Members()
		if len(members) != 3 {
			t.Fatalf("%s: %d members", n.ID(), len(members))
		}
		for i, m := range members {
			want := []*Cluster{a, b, c}[i].Self()
			if m.ID != want.ID || m.RESPAddr != want.RESPAddr || m.GossipAddr != want.GossipAddr || m.VNodes != DefaultVNodes {
				t.Errorf("%s sees member %+v, want %+v", n.ID(), m, want)
			}
			if idx := table.Index(m.ID); table.Addr(idx) != m.RESPAddr {
				t.Errorf("%s: table address of %s is %q, want %q", n.ID(), m.ID, table.Addr(idx), m.RESPAddr)
			}
		}
		for s := 0; s < NumSlots; s += 97 {
			if table.Local(s) != (ownerID(table, s) == n.ID()) {
				t.Fatalf("%s: Local(%d) disagrees with OwnerID %s", n.ID(), s, ownerID(table, s))
			}
		}
		st := n.Stats()
		if st.Members != 3 || st.SlotsOwned != table.Count(n.ID()) {
			t.Errorf("%s: stats %+v", n.ID(), st)
		}
		total += st.SlotsOwned
	}
	if total != NumSlots {
		t.Fatalf("nodes own %d slots in all, want %d", total, NumSlots)
	}
}

func TestFourthNodeJoins(t *testing.T) {
	a := startNode(t, "node-a")
	b := startNode(t, "node-b", joining(a))
	c := startNode(t, "node-c", joining(a))
	three := []*Cluster{a, b, c}
	waitConverged(t, three)
	before := a.Table()

	d := startNode(t, "node-d", joining(b))
	took := waitConverged(t, append(three, d))
	after := a.Table()
	moved := Moved(before, after)
	frac := float64(moved) / NumSlots
	t.Logf("4th node: all 4 converged %v after its Start returned; %d slots moved (%.3f, ideal 0.25)", took, moved, frac)
	if frac < 0.18 || frac > 0.32 {
		t.Errorf("moved fraction %.3f, want about 1/4", frac)
	}
	for s := range NumSlots {
		if ownerID(before, s) != ownerID(after, s) && ownerID(after, s) != d.ID() {
			t.Fatalf("slot %d moved between old nodes: %s -> %s", s, ownerID(before, s), ownerID(after, s))
		}
	}
	if st := a.Stats(); st.RingChanges < 1 || st.SlotsMoved < uint64(moved) {
		t.Errorf("stats after the join: %+v", st)
	}
}

func TestLeaveAndKill(t *testing.T) {
	nodes := []*Cluster{startNode(t, "node-a")}
	for _, id := range []string{"node-b", "node-c", "node-d", "node-e"} {
		nodes = append(nodes, startNode(t, id, joining(nodes[0])))
	}
	waitConverged(t, nodes)

	// Graceful: the leaver announces itself, no failure detection needed.
	leaver, rest := nodes[4], nodes[:4]
	before := rest[0].Table()
	start := time.Now()
	if err := leaver.Leave(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	waitConverged(t, rest)
	t.Logf("graceful leave: 4 survivors converged %v after Leave was called", time.Since(start))
	if got, want := Moved(before, rest[0].Table()), before.Count(leaver.ID()); got != want {
		t.Errorf("leave moved %d slots, the leaver owned %d", got, want)
	}

	// Killed: gossip stops without a word; the others must detect it.
	victim, survivors := rest[3], rest[:3]
	before = survivors[0].Table()
	start = time.Now()
	victim.Shutdown()
	waitConverged(t, survivors)
	t.Logf("kill: 3 survivors converged %v after the victim stopped", time.Since(start))
	after := survivors[0].Table()
	for s := range NumSlots {
		if ownerID(before, s) != ownerID(after, s) && ownerID(before, s) != victim.ID() {
			t.Fatalf("slot %d moved from surviving %s", s, ownerID(before, s))
		}
	}
	for _, n := range survivors {
		if m := n.Members(); len(m) != 3 {
			t.Errorf("%s still lists %d members", n.ID(), len(m))
		}
	}
}

func TestEncryptedGossip(t *testing.T) {
	secret := func(s string) func(*Config) {
		return func(cfg *Config) { cfg.SecretKey = []byte(s) }
	}
	a := startNode(t, "node-a", secret("correct horse"))
	b := startNode(t, "node-b", secret("correct horse"), joining(a))
	took := waitConverged(t, []*Cluster{a, b})
	t.Logf("2 encrypted nodes converged in %v", took)

	for _, tc := range []struct {
		id   string
		edit []func(*Config)
	}{
		{"wrong-key", []func(*Config){secret("battery staple")}},
		{"no-key", nil},
	} {
		intruder := startNode(t, tc.id, tc.edit...)
		if n, err := intruder.Join(a.Self().GossipAddr); n != 0 || err == nil {
			t.Errorf("%s joined an encrypted cluster (n=%d, err=%v)", tc.id, n, err)
		}
		// Nor does a member that contacts the intruder take it in.
		if n, err := a.Join(intruder.Self().GossipAddr); n != 0 || err == nil {
			t.Errorf("node-a took in %s (n=%d, err=%v)", tc.id, n, err)
		}
		// The failed joins were the only contacts, and they are over:
		// neither side learned of the other.
		if got := len(intruder.Members()); got != 1 {
			t.Errorf("%s sees %d members", tc.id, got)
		}
		for _, n := range []*Cluster{a, b} {
			if got := n.Table().Nodes(); slices.Contains(got, tc.id) {
				t.Errorf("%s admitted %s: %v", n.ID(), tc.id, got)
			}
		}
	}
	waitConverged(t, []*Cluster{a, b})
}

// TestAnnounceAddr: a node that announces a client address publishes it
// beside its RESP address; tables give clients the announced one and
// peers the advertised one, and a node without one is unchanged.
func TestAnnounceAddr(t *testing.T) {
	announce := func(addr string) func(*Config) {
		return func(cfg *Config) { cfg.AnnounceAddr = addr }
	}
	a := startNode(t, "node-a", announce("127.0.0.1:7001"))
	b := startNode(t, "node-b", announce("client.example:7002"), joining(a))
	c := startNode(t, "node-c", joining(a))
	waitConverged(t, []*Cluster{a, b, c})
	want := map[string]string{"node-a": "127.0.0.1:7001", "node-b": "client.example:7002", "node-c": c.Self().RESPAddr}
	for _, n := range []*Cluster{a, b, c} {
		if got := n.Self().ClientAddr; got != want[n.ID()] {
			t.Errorf("%s: Self().ClientAddr = %q, want %q", n.ID(), got, want[n.ID()])
		}
		table := n.Table()
		for _, m := range n.Members() {
			i := table.Index(m.ID)
			if m.ClientAddr != want[m.ID] || table.ClientAddr(i) != want[m.ID] {
				t.Errorf("%s sees %s announce %q (table %q), want %q", n.ID(), m.ID, m.ClientAddr, table.ClientAddr(i), want[m.ID])
			}
			if table.Addr(i) != m.RESPAddr || !strings.HasPrefix(m.RESPAddr, "127.0.0.1:16") {
				t.Errorf("%s: peers dial %s at %q, want its advertised %q", n.ID(), m.ID, table.Addr(i), m.RESPAddr)
			}
		}
	}
}

// TestRestartAtNewAddress: a node killed and started again under the same
// ID at a new address (a rescheduled pod, a container given another IP)
// is taken back by the others at its new address, whether it comes back
// before or after they have declared the old process dead. Periodic state
// syncs are pushed out of the test's time, so the conflict handling alone
// must bring it back.
func TestRestartAtNewAddress(t *testing.T) {
	slowSync := func(cfg *Config) { cfg.pushPullInterval = 10 * time.Minute }
	a := startNode(t, "node-a", slowSync)
	b := startNode(t, "node-b", slowSync, joining(a))
	c := startNode(t, "node-c", slowSync, joining(a))
	waitConverged(t, []*Cluster{a, b, c})

	// peersSee waits until a and b route node-c to want's addresses.
	peersSee := func(want *Cluster) time.Duration {
		t.Helper()
		start := time.Now()
		for {
			ok := true
			for _, n := range []*Cluster{a, b} {
				table := n.Table()
				i := table.Index(want.ID())
				var gossip string
				for _, m := range n.Members() {
					if m.ID == want.ID() {
						gossip = m.GossipAddr
					}
				}
				ok = ok && i >= 0 && table.Addr(i) == want.Self().RESPAddr && gossip == want.Self().GossipAddr
			}
			if ok {
				waitConverged(t, []*Cluster{a, b, want})
				return time.Since(start)
			}
			if time.Since(start) > convergeTimeout {
				t.Fatalf("%s at its new address %s is not taken back: a sees %+v", want.ID(), want.Self().GossipAddr, a.Members())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// Back before failure detection: the old process is still a member.
	c.Shutdown()
	c2 := startNode(t, "node-c", slowSync, joining(a))
	t.Logf("restarted before detection: taken back at the new address after %v", peersSee(c2))

	// Back after failure detection, within memberlist's reclaim time.
	c2.Shutdown()
	waitConverged(t, []*Cluster{a, b})
	c3 := startNode(t, "node-c", slowSync, joining(b))
	t.Logf("restarted after detection: taken back at the new address after %v", peersSee(c3))
}

// TestRejoinWhenSeedComesUp starts a node whose seed is not up yet: it runs
// alone, then joins by itself once the seed starts, as the pods of a
// StatefulSet do when they start together.
// TestRejoinWhenSeedComesUp: a node whose seed is not up is down (it
// owns no slot, and serves none) and retries; once the seed is up it
// joins, and serves its share.
func TestRejoinWhenSeedComesUp(t *testing.T) {
	port := servertest.FreePort(t)
	early := startNode(t, "early", func(cfg *Config) { cfg.Join = []string{fmt.Sprintf("127.0.0.1:%d", port)} })
	if !early.Down() || !slices.Equal(early.Table().Nodes(), []string{"early"}) || early.Table().Count("early") != 0 || early.Table().Owner(0) != -1 {
		t.Fatalf("with its seed down, the node should own nothing: down %v, table %v, owning %d slots",
			early.Down(), early.Table().Nodes(), early.Table().Count("early"))
	}
	seed := startNode(t, "seed", func(cfg *Config) { cfg.BindPort = port })
	took := waitConverged(t, []*Cluster{early, seed})
	t.Logf("node retrying its seed joined %v after the seed started", took)
	if early.Down() {
		t.Error("still down after joining")
	}
}

// TestBootstrapRule: which nodes form a cluster alone (bootstrap.go).
func TestBootstrapRule(t *testing.T) {
	unreachable := fmt.Sprintf("127.0.0.1:%d", servertest.FreePort(t))
	for _, tc := range []struct {
		name string
		edit func(cfg *Config, self string)
		down bool
	}{
		{"no seeds", func(cfg *Config, self string) {}, false},
		{"only itself", func(cfg *Config, self string) { cfg.Join = []string{self} }, false},
		{"itself by name", func(cfg *Config, self string) {
			_, port, _ := strings.Cut(self, ":")
			cfg.Join = []string{"localhost:" + port}
		}, false},
		{"itself twice", func(cfg *Config, self string) { cfg.Join = []string{self, self} }, false},
		{"an unreachable seed", func(cfg *Config, self string) { cfg.Join = []string{unreachable} }, true},
		{"itself and an unreachable seed", func(cfg *Config, self string) { cfg.Join = []string{self, unreachable} }, true},
		{"a name that does not resolve", func(cfg *Config, self string) { cfg.Join = []string{self, "no-such-host.invalid:7946"} }, true},
		{"an unreachable seed, told to bootstrap", func(cfg *Config, self string) {
			cfg.Join, cfg.Bootstrap = []string{unreachable}, true
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := servertest.FreePort(t)
			self := fmt.Sprintf("127.0.0.1:%d", port)
			n := startNode(t, "node", func(cfg *Config) { cfg.BindPort = port; tc.edit(cfg, self) })
			if n.Down() != tc.down {
				t.Errorf("down = %v, want %v", n.Down(), tc.down)
			}
			want := NumSlots
			if tc.down {
				want = 0
			}
			if got := n.Table().Count("node"); got != want {
				t.Errorf("owns %d slots, want %d", got, want)
			}
		})
	}
}

// TestDownNodesFormACluster: two nodes whose seeds name each other, and
// neither itself alone, are both down at first and form a cluster as soon
// as one reaches the other, with no bootstrap.
func TestDownNodesFormACluster(t *testing.T) {
	ports := servertest.FreePorts(t, 2)
	seeds := []string{fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])}
	a := startNode(t, "node-a", func(cfg *Config) { cfg.BindPort, cfg.Join = ports[0], seeds })
	if !a.Down() {
		t.Fatal("node-a, alone with a seed list naming another node, is not down")
	}
	b := startNode(t, "node-b", func(cfg *Config) { cfg.BindPort, cfg.Join = ports[1], seeds })
	waitConverged(t, []*Cluster{a, b})
	if a.Down() || b.Down() {
		t.Errorf("down after meeting: a %v, b %v", a.Down(), b.Down())
	}
}

func TestStartRejectsBadConfig(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{AdvertiseAddr: "127.0.0.1"},
		{AdvertiseAddr: "0.0.0.0:6379"},
		{AdvertiseAddr: "[::]:6379"},
		{AdvertiseAddr: ":6379"},
		{AdvertiseAddr: "127.0.0.1:0"},
		{AdvertiseAddr: "127.0.0.1:6379", NodeID: "has space"},
		{AdvertiseAddr: "127.0.0.1:6379", NodeID: strings.Repeat("x", 129)},
		{AdvertiseAddr: "127.0.0.1:6379", VNodes: -1},
		{AdvertiseAddr: "127.0.0.1:6379", BindPort: 70000},
		{AdvertiseAddr: "127.0.0.1:6379", BindAddr: "127.0.0.1", GossipAdvertiseAddr: "not-an-ip"},
		{AdvertiseAddr: "127.0.0.1:6379", AnnounceAddr: "0.0.0.0:7001"},
		{AdvertiseAddr: "127.0.0.1:6379", AnnounceAddr: "127.0.0.1"},
	} {
		if c, err := Start(cfg); err == nil {
			c.Shutdown()
			t.Errorf("Start(%+v) succeeded", cfg)
		}
	}
}

func TestGeneratedNodeID(t *testing.T) {
	a := startNode(t, "")
	b := startNode(t, "")
	for _, id := range []string{a.ID(), b.ID()} {
		if len(id) != 40 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Errorf("generated id %q is not 40 hex digits", id)
		}
	}
	if a.ID() == b.ID() {
		t.Error("two generated ids are equal")
	}
	if a.Self().ID != a.ID() || a.Table().Nodes()[0] != a.ID() {
		t.Error("the generated id is not the memberlist name")
	}
}

func TestLeaveAndShutdownAreIdempotent(t *testing.T) {
	a := startNode(t, "node-a")
	if err := a.Leave(time.Second); err != nil { // alone: nobody to tell
		t.Fatal(err)
	}
	if err := a.Leave(time.Second); err != nil {
		t.Fatal(err)
	}
	if err := a.Shutdown(); err != nil {
		t.Fatal(err)
	}
}

func TestResolveSeeds(t *testing.T) {
	lookups := map[string][]string{
		"cachesrv-headless": {"127.0.0.1", "::1"}, // a name standing for several nodes
	}
	lookup := func(_ context.Context, host string) ([]string, error) {
		if a, ok := lookups[host]; ok {
			return a, nil
		}
		return nil, errors.New("no such host")
	}
	got, err := resolveSeeds(context.Background(),
		[]string{"cachesrv-headless:7000", "127.0.0.1:7001", "127.0.0.1", "::1", "[::1]:7002", " ", "nowhere:1", "127.0.0.1:7001"}, lookup)
	want := []string{"127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7946", "[::1]:7000", "[::1]:7002", "[::1]:7946"}
	if !slices.Equal(got, want) {
		t.Errorf("resolved %v, want %v", got, want)
	}
	if err == nil || !strings.Contains(err.Error(), "nowhere") {
		t.Errorf("err = %v, want the failed lookup named", err)
	}
}

func TestMeta(t *testing.T) {
	m := meta{Version: metaVersion, RESP: "10.1.2.3:6379", VNodes: 256}
	got, err := decodeMeta(m.encode())
	if err != nil || got != m {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	m.Client = "127.0.0.1:7001"
	if got, err := decodeMeta(m.encode()); err != nil || got != m {
		t.Fatalf("round trip with a client address: %+v, %v", got, err)
	}
	m.TLS = "10.1.2.3:6380"
	if got, err := decodeMeta(m.encode()); err != nil || got != m {
		t.Fatalf("round trip with a TLS address: %+v, %v", got, err)
	}
	// Metadata of a node that predates the TLS address still decodes, with
	// none: a tls-cluster peer then refuses to forward to it in clear text.
	if got, err := decodeMeta([]byte(`{"v":1,"resp":"h:1","client":"c:2","vn":8}`)); err != nil || got.TLS != "" || got.Client != "c:2" {
		t.Errorf("metadata without a TLS address: %+v, %v", got, err)
	}
	// A newer node may add fields; an older one must still read it.
	if got, err := decodeMeta([]byte(`{"v":2,"resp":"h:1","vn":8,"zone":"b"}`)); err != nil || got.RESP != "h:1" {
		t.Errorf("newer metadata: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "{", `{"v":1,"vn":8}`, `{"v":1,"resp":"h:1"}`, `{"resp":"h:1","vn":8}`} {
		if _, err := decodeMeta([]byte(bad)); err == nil {
			t.Errorf("decodeMeta(%q) accepted", bad)
		}
	}
}

func TestLogWriter(t *testing.T) {
	var b strings.Builder
	w := &logWriter{log: slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	fmt.Fprintln(w, "[DEBUG] memberlist: chatter")
	fmt.Fprintln(w, "[INFO] memberlist: Marking x as failed")
	fmt.Fprintln(w, "[ERR] memberlist: Push/Pull with x failed")
	out := b.String()
	if strings.Contains(out, "chatter") {
		t.Error("debug line logged at info level")
	}
	if !strings.Contains(out, `level=INFO msg="Marking x as failed"`) || !strings.Contains(out, `level=WARN msg="Push/Pull with x failed"`) {
		t.Errorf("log output:\n%s", out)
	}
}

func TestPeerState(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		since, lastAck time.Duration // before now; 0 = never
		want           State
	}{
		{since: time.Second, want: StateAlive},                            // just joined, not probed yet
		{since: time.Hour, lastAck: time.Second, want: StateAlive},        // answered recently
		{since: time.Hour, want: StateSuspect},                            // never answered
		{since: time.Hour, lastAck: 10 * time.Second, want: StateSuspect}, // stopped answering
		{since: time.Second, lastAck: time.Hour, want: StateAlive},        // rejoined after going quiet
	} {
		p := &peer{since: now.Add(-tc.since)}
		if tc.lastAck > 0 {
			p.lastAck = now.Add(-tc.lastAck)
		}
		if got := p.state(now, 5*time.Second); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc, got, tc.want)
		}
	}
}

// TestProbesMeasureRTT checks that this node's probes of its peers are
// recorded: the basis of Member.RTT and of StateSuspect.
func TestProbesMeasureRTT(t *testing.T) {
	a := startNode(t, "node-a")
	b := startNode(t, "node-b", joining(a))
	waitConverged(t, []*Cluster{a, b})
	for deadline := time.Now().Add(convergeTimeout); ; time.Sleep(20 * time.Millisecond) {
		m := a.Members()
		if m[1].RTT > 0 && m[1].State == StateAlive {
			t.Logf("a probed b: rtt %v", m[1].RTT)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no probe of b recorded: %+v", m[1])
		}
	}
	if st := a.Stats(); st.Suspect != 0 || st.Members != 2 {
		t.Errorf("stats %+v", st)
	}
}
