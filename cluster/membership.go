package cluster

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

const (
	// DefaultVNodes is the number of virtual nodes per node when
	// Config.VNodes is 0. Measured over 100 random ID sets for each of 3…10
	// nodes (TestRingSweep prints a smaller run): the busiest node carries
	// on average 1.048x (worst 1.14x) its fair share of slots at 1024,
	// against 1.084x (worst 1.24x) at 256, and a join or leave moves 1.00x
	// (worst 1.12x) the ideal 1/N. 2048 gains little (1.039x), because with
	// 16384 slots the per-node counts themselves vary by a few percent.
	// Building a table at 1024 costs a few milliseconds per change.
	DefaultVNodes = 1024

	// DefaultGossipPort is memberlist's conventional port, used for seeds
	// given without a port.
	DefaultGossipPort = 7946

	maxVNodes = 1 << 16

	// gossipLabel is stamped on every gossip packet and stream, and packets
	// without it are refused. 7946 is also the default port of Serf, Consul
	// agents and Docker Swarm, all memberlist users; the label keeps a
	// misaddressed seed from merging their clusters with ours.
	gossipLabel = "cachesrv"
)

// Config configures a node's membership. Only AdvertiseAddr is required.
type Config struct {
	// NodeID names this node in the cluster, in CLUSTER NODES and on the
	// ring. It must be unique, at most 128 bytes, without spaces or control
	// characters. Empty: a random 40-hex-digit ID like Redis's, new on each
	// start. Set it (e.g. to the StatefulSet pod name) for a node that should
	// get the same slots back after a restart.
	NodeID string

	// BindAddr and BindPort are where gossip (UDP and TCP) listens. An empty
	// BindAddr means 0.0.0.0; BindPort 0 picks a free port (tests).
	BindAddr string
	BindPort int

	// GossipAdvertiseAddr is the IP, or IP:port, peers use to reach this
	// node's gossip port, when that is not BindAddr (NAT, containers, several
	// interfaces). Empty: BindAddr, or with BindAddr 0.0.0.0 the first
	// private IP of this host (memberlist's choice).
	GossipAdvertiseAddr string

	// AdvertiseAddr is the host:port of this node's RESP endpoint as clients
	// and peers must dial it. It is published in the gossip metadata and is
	// what MOVED replies and CLUSTER SLOTS name (unless AnnounceAddr is
	// set), so it must not be a wildcard address.
	AdvertiseAddr string

	// AnnounceAddr, when set, is the host:port cluster-aware clients are
	// told to dial for this node (CLUSTER SLOTS, SHARDS, NODES and MOVED),
	// while forwarding peers keep dialling AdvertiseAddr: the two differ
	// when clients reach the node through NAT or a published container
	// port and peers through a private network. Redis calls this
	// cluster-announce-ip and cluster-announce-port. Empty: AdvertiseAddr.
	AnnounceAddr string

	// AdvertiseTLSAddr, when set, is the host:port of this node's TLS RESP
	// port as peers must dial it: nodes running with tls-cluster forward
	// over TLS to it instead of AdvertiseAddr. Empty: no TLS for peers.
	AdvertiseTLSAddr string

	// Join lists seeds, host:port (port DefaultGossipPort when omitted). A
	// DNS name is resolved and every address it yields is tried, so one
	// Kubernetes headless Service name finds all pods that are up. If no
	// seed answers, Start still succeeds and keeps retrying in the
	// background while the node is alone; until a seed answers (or another
	// node joins this one) the node is Down and owns no slot, unless it
	// bootstraps (bootstrap.go).
	Join []string

	// Bootstrap lets this node form a cluster of its own when no seed
	// answers, even though its seeds name other nodes (bootstrap.go).
	Bootstrap bool

	// VNodes is the number of virtual nodes this node places on the ring,
	// DefaultVNodes when 0. It is published to peers, and the ring uses every
	// node's own count, so it acts as a weight: all nodes agree on the table
	// even while a changed value is being rolled out.
	VNodes int

	// SecretKey, when set, encrypts and authenticates all gossip
	// (AES-GCM). Any non-empty secret works: the AES-256 key is its SHA-256,
	// so a passphrase from a flag or a Kubernetes Secret can be used as is.
	// Nodes with a different secret, or none, cannot join. The same secret
	// authenticates the forwarding links between nodes (PeerKey). Start
	// refuses a gossip address other hosts can reach without one, unless
	// AllowInsecure is set.
	SecretKey []byte

	// AllowInsecure lets a node gossip on a non-loopback address without
	// SecretKey; Start then logs a warning. Anyone who can reach the
	// gossip port can join such a cluster and is given slots and data.
	AllowInsecure bool

	// Fast tunes gossip for loopback and test clusters: gossip every
	// 50 ms instead of 100 ms, and push/pull, dead-node gossip and
	// reclaim in 1-2 s, so that joins and leaves converge quickly; probes
	// keep the default interval with a more lenient timeout (400 ms), so
	// that a machine loaded by parallel race-detector tests does not have
	// healthy nodes declared dead.
	Fast bool

	// Logger receives membership changes at Info and memberlist's own log
	// lines at their levels (its DEBUG output is chatty). Nil: slog.Default().
	Logger *slog.Logger

	// Replicas is how many more nodes hold a copy of each slot: the next
	// Replicas distinct nodes clockwise on the ring (replicas.go). Every
	// node of a cluster must use the same value.
	Replicas int

	// pushPullInterval, when set, replaces memberlist's interval between
	// full state syncs; tests lengthen it so that only the mechanism under
	// test can bring nodes together.
	pushPullInterval time.Duration
}

// State is a member's liveness as this node sees it.
type State int

const (
	// StateAlive: the member answers this node's probes, or joined too
	// recently to have been probed.
	StateAlive State = iota
	// StateSuspect: this node's direct probes of the member have gone
	// unanswered for several probe rounds: Redis Cluster's PFAIL, a local
	// opinion. The member keeps its slots until memberlist's failure
	// detection, which also asks other nodes, declares it dead.
	StateSuspect
)

func (s State) String() string {
	switch s {
	case StateAlive:
		return "alive"
	case StateSuspect:
		return "suspect"
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// Member is one node of the cluster as this node sees it.
type Member struct {
	ID         string
	RESPAddr   string // host:port of its RESP endpoint, from its metadata
	ClientAddr string // host:port clients are told to dial: its AnnounceAddr, or RESPAddr
	TLSAddr    string // host:port of its TLS RESP port for peers, "" if it offers none
	GossipAddr string // ip:port of its gossip endpoint
	State      State
	VNodes     int           // virtual nodes it places on the ring
	RTT        time.Duration // round trip of this node's last direct probe; 0 if none yet (and for self)
}

// Stats is a snapshot of the membership's numbers, for metrics and INFO.
type Stats struct {
	Members     int    // nodes in the cluster, self included
	Suspect     int    // of which in StateSuspect
	RingChanges uint64 // slot tables swapped in because ownership changed
	SlotsMoved  uint64 // slots that changed owner, summed over those changes
	SlotsOwned  int    // slots this node owns in the current table
	HealthScore int    // memberlist's local health, 0 = healthy; grows when this node is slow to answer
}

// Cluster is this node's membership in a cachesrv cluster and its current
// slot table. It is safe for concurrent use.
type Cluster struct {
	cfg  Config
	id   string
	log  *slog.Logger
	ml   *memberlist.Memberlist
	meta []byte

	// leaving switches the metadata this node publishes to leavingMeta,
	// which says it is leaving gracefully (Leave, handoff.go).
	leaving     atomic.Bool
	leavingMeta []byte

	table      atomic.Pointer[Table]
	tableHooks tableHooks // OnTableChanging, OnTableChange (hook.go)
	departed   departures // members that left or failed (handoff.go)

	// formed: this node belongs to a cluster (it joined one, was joined,
	// or bootstrapped one); until then its table is downTable
	// (bootstrap.go).
	formed    atomic.Bool
	downTable *Table
	isLocalIP func(net.IP) bool // an address gossip listens on (bootstrap.go)

	kick chan struct{} // capacity 1: a membership change since the last rebuild
	done chan struct{} // closed by Leave or Shutdown
	wg   sync.WaitGroup

	// rebuildMu serializes rebuilds, so tables are swapped in the order
	// the changes happened.
	rebuildMu sync.Mutex
	badMeta   map[string]string // node -> last metadata error logged

	// membersMu guards members, this node's copy of memberlist's view,
	// kept from its events. The *Node values memberlist hands out point
	// into its own state, which it rewrites under its lock; reading them
	// later races, so they are copied while the event holds that lock.
	membersMu sync.Mutex
	members   map[string]*peer
	selfAddr  string // gossip ip:port of this node, fixed at Start

	ringChanges atomic.Uint64
	slotsMoved  atomic.Uint64

	// reclaims are members seen at a new gossip address while this node
	// still held their ID at another one (a node restarted with the same
	// ID and a new IP): see reclaimLoop.
	reclaimMu   sync.Mutex
	reclaims    map[string]*reclaim
	reclaimKick chan struct{} // capacity 1

	stopMu  sync.Mutex
	stopped bool
}

// peer is what this node knows of a member: its addresses and metadata
// from gossip, and what this node's own probes observed of it (the basis of
// StateSuspect and Member.RTT, which memberlist's public API does not offer).
type peer struct {
	gossip  string // ip:port
	meta    []byte
	since   time.Time // joined, or last rejoined
	lastAck time.Time
	rtt     time.Duration
}

// Start creates this node's gossip endpoint, joins the seeds in cfg.Join
// and returns once the first join attempt is over, with Table() reflecting
// every member learned from it.
func Start(cfg Config) (*Cluster, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if err := cfg.checkSecret(); err != nil {
		return nil, err
	}
	if cfg.NodeID == "" {
		cfg.NodeID = newNodeID()
	}
	if cfg.VNodes == 0 {
		cfg.VNodes = DefaultVNodes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Join = slices.Clone(cfg.Join)
	cfg.SecretKey = slices.Clone(cfg.SecretKey)
	c := &Cluster{
		cfg:     cfg,
		id:      cfg.NodeID,
		log:     cfg.Logger.With("component", "cluster", "node", cfg.NodeID),
		meta:    meta{Version: metaVersion, RESP: cfg.AdvertiseAddr, Client: cfg.AnnounceAddr, TLS: cfg.AdvertiseTLSAddr, VNodes: cfg.VNodes}.encode(),
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		badMeta: make(map[string]string),
		members: make(map[string]*peer),

		reclaims:    make(map[string]*reclaim),
		reclaimKick: make(chan struct{}, 1),
	}
	c.leavingMeta = meta{Version: metaVersion, RESP: cfg.AdvertiseAddr, Client: cfg.AnnounceAddr, TLS: cfg.AdvertiseTLSAddr, VNodes: cfg.VNodes, Leaving: true}.encode()
	if len(c.leavingMeta) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("cluster: advertise address %q, announce address %q and TLS address %q too long for gossip metadata", cfg.AdvertiseAddr, cfg.AnnounceAddr, cfg.AdvertiseTLSAddr)
	}

	mlc, err := c.memberlistConfig()
	if err != nil {
		return nil, err
	}
	c.ml, err = memberlist.Create(mlc)
	if err != nil {
		return nil, fmt.Errorf("cluster: starting gossip on %s:%d: %w", mlc.BindAddr, cfg.BindPort, err)
	}
	c.membersMu.Lock()
	if p := c.members[c.id]; p != nil { // NotifyJoin for ourselves came during Create
		c.selfAddr = p.gossip
	}
	c.membersMu.Unlock()
	c.isLocalIP = c.localIPs()
	c.downTable = newDownTable(c.selfSpec())
	c.formed.Store(len(cfg.Join) == 0 || cfg.Bootstrap)
	c.rebuild() // a table with just this node, so Table() is never nil
	c.log.Info("cluster gossip started", "gossip", c.selfAddr, "resp", cfg.AdvertiseAddr, "vnodes", cfg.VNodes)

	c.wg.Add(2)
	go c.watch()
	go c.reclaimLoop()
	if len(cfg.Join) > 0 {
		if n, onlySelf, err := c.join(cfg.Join); n == 0 {
			switch {
			case onlySelf:
				c.bootstrap("its seeds resolve only to itself")
			case c.Down():
				c.log.Warn("no seed answered; serving no slots (CLUSTERDOWN) and retrying", "seeds", cfg.Join, "err", err)
			default:
				c.log.Warn("no seed answered; running alone and retrying", "seeds", cfg.Join, "err", err)
			}
		}
		c.wg.Add(1)
		go c.rejoin()
	}
	return c, nil
}

func (cfg *Config) check() error {
	if id := cfg.NodeID; id != "" {
		if len(id) > 128 || strings.IndexFunc(id, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
			return fmt.Errorf("cluster: node id %q: want at most 128 bytes, no spaces or control characters", id)
		}
	}
	if err := checkRESPAddr("advertise", cfg.AdvertiseAddr); err != nil {
		return err
	}
	if cfg.AnnounceAddr != "" {
		if err := checkRESPAddr("announce", cfg.AnnounceAddr); err != nil {
			return err
		}
	}
	if cfg.AdvertiseTLSAddr != "" {
		if err := checkRESPAddr("TLS advertise", cfg.AdvertiseTLSAddr); err != nil {
			return err
		}
	}
	if cfg.VNodes < 0 || cfg.VNodes > maxVNodes {
		return fmt.Errorf("cluster: vnodes %d: want 1…%d (0 = default %d)", cfg.VNodes, maxVNodes, DefaultVNodes)
	}
	if cfg.BindPort < 0 || cfg.BindPort > 65535 {
		return fmt.Errorf("cluster: gossip port %d out of range", cfg.BindPort)
	}
	return nil
}

// checkRESPAddr checks that addr is a host:port others can dial.
func checkRESPAddr(what, addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("cluster: %s address %q: want host:port of the RESP port: %v", what, addr, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
		return fmt.Errorf("cluster: %s address %q: bad port", what, addr)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("cluster: %s address %q: clients cannot dial a wildcard address; give this node's reachable address", what, addr)
	}
	return nil
}

// newNodeID returns 40 random hex digits, the shape of a Redis Cluster node
// ID, so tools that parse CLUSTER NODES see what they expect.
func newNodeID() string {
	var b [20]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (c *Cluster) memberlistConfig() (*memberlist.Config, error) {
	cfg := c.cfg
	mlc := memberlist.DefaultLANConfig()
	mlc.Name = c.id
	mlc.BindAddr = cmp.Or(cfg.BindAddr, "0.0.0.0")
	mlc.BindPort = cfg.BindPort
	mlc.AdvertisePort = cfg.BindPort
	if a := cfg.GossipAdvertiseAddr; a != "" {
		host, port := a, ""
		if h, p, err := net.SplitHostPort(a); err == nil {
			host, port = h, p
		}
		if net.ParseIP(host) == nil {
			return nil, fmt.Errorf("cluster: gossip advertise address %q: want an IP or IP:port", a)
		}
		mlc.AdvertiseAddr = host
		if port != "" {
			p, err := strconv.Atoi(port)
			if err != nil || p < 1 || p > 65535 {
				return nil, fmt.Errorf("cluster: gossip advertise address %q: bad port", a)
			}
			mlc.AdvertisePort = p
		}
	}
	mlc.Label = gossipLabel
	if len(cfg.SecretKey) > 0 {
		key := sha256.Sum256(cfg.SecretKey)
		mlc.SecretKey = key[:]
		// memberlist's defaults, stated because the cluster's security
		// rests on them: unencrypted (or undecryptable) packets and
		// streams are refused, and nothing goes out in clear.
		mlc.GossipVerifyIncoming = true
		mlc.GossipVerifyOutgoing = true
	}
	// A node whose process died and came back under the same ID (a
	// StatefulSet pod with --node-id) usually has a new IP. memberlist
	// refuses a dead name at a new address until this much time has passed
	// since it died; its default, 0, refuses forever. A couple of seconds
	// lets gossip about the old process (retransmitted for about a second)
	// die out first; reclaimLoop then brings the new one in.
	mlc.DeadNodeReclaimTime = 2 * time.Second
	// Failure detection within about 3 s on a LAN (memberlist's LAN
	// profile took 5 to 13 s): probe twice a second, suspect after 300 ms
	// without an ack, and declare dead after 3 x 0.5 s of suspicion once
	// another member confirms it (longer, up to 6 times that, with no
	// confirmation). bench/failbench measures it.
	mlc.ProbeInterval = lanProbeInterval
	mlc.ProbeTimeout = 300 * time.Millisecond
	mlc.SuspicionMult = 3
	mlc.GossipInterval = 100 * time.Millisecond
	if cfg.Fast {
		// Probes as often as on a LAN, but a probe may take 400 ms:
		// test clusters run on machines loaded by the race detector and
		// parallel tests, where a 100 ms timeout declared healthy nodes
		// dead and moved their slots mid-test.
		mlc.ProbeTimeout = 400 * time.Millisecond
		mlc.GossipInterval = 50 * time.Millisecond
		mlc.PushPullInterval = 2 * time.Second
		mlc.GossipToTheDeadTime = 2 * time.Second
		mlc.TCPTimeout = 2 * time.Second
		mlc.DeadNodeReclaimTime = time.Second
	}
	if cfg.pushPullInterval > 0 {
		mlc.PushPullInterval = cfg.pushPullInterval
	}
	mlc.Logger = log.New(&logWriter{log: c.cfg.Logger.With("component", "memberlist", "node", c.id)}, "", 0)
	d := &delegate{c}
	mlc.Delegate = d
	mlc.Events = d
	mlc.Ping = d
	mlc.Conflict = d
	return mlc, nil
}

// Join contacts seeds (host:port; DNS names are resolved and every address
// tried), merges their view of the cluster into this node's and returns the
// number of nodes that answered. The slot table is rebuilt before it
// returns. Seeds that resolve to this node itself are skipped.
func (c *Cluster) Join(seeds ...string) (int, error) {
	n, _, err := c.join(seeds)
	return n, err
}

// join is Join that also reports whether the seeds resolved, without
// error, to this node's own address only (bootstrap.go).
func (c *Cluster) join(seeds []string) (n int, onlySelf bool, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addrs, rerr := resolveSeeds(ctx, seeds, net.DefaultResolver.LookupHost)
	resolved := len(addrs)
	addrs = slices.DeleteFunc(addrs, c.isSelf)
	if len(addrs) == 0 {
		return 0, rerr == nil && resolved > 0, rerr
	}
	n, err = c.ml.Join(addrs)
	c.rebuild()
	if n == 0 {
		return 0, false, errors.Join(rerr, err)
	}
	if rerr != nil || err != nil {
		c.log.Debug("some seeds did not answer", "err", errors.Join(rerr, err))
	}
	return n, false, nil
}

// resolveSeeds turns seeds into ip:port addresses. A seed without a port
// gets DefaultGossipPort; a name is resolved with lookup and yields all its
// addresses, because memberlist would otherwise try only what its own
// resolver returns, and a headless Service's name stands for every pod.
// Errors for some seeds do not stop the others.
func resolveSeeds(ctx context.Context, seeds []string, lookup func(context.Context, string) ([]string, error)) ([]string, error) {
	var addrs []string
	var errs []error
	for _, seed := range seeds {
		seed = strings.TrimSpace(seed)
		if seed == "" {
			continue
		}
		host, port := seed, strconv.Itoa(DefaultGossipPort)
		if net.ParseIP(strings.Trim(seed, "[]")) != nil {
			host = strings.Trim(seed, "[]") // a bare IP, v6 perhaps: no port
		} else if h, p, err := net.SplitHostPort(seed); err == nil {
			host, port = h, p
		}
		if net.ParseIP(host) != nil {
			addrs = append(addrs, net.JoinHostPort(host, port))
			continue
		}
		ips, err := lookup(ctx, host)
		if err != nil {
			errs = append(errs, fmt.Errorf("resolving seed %s: %w", seed, err))
			continue
		}
		for _, ip := range ips {
			addrs = append(addrs, net.JoinHostPort(ip, port))
		}
	}
	slices.Sort(addrs)
	return slices.Compact(addrs), errors.Join(errs...)
}

// rejoin retries the seeds while this node is alone: at start, when no seed
// was up yet (the first pods of a StatefulSet start together), and whenever
// every peer has gone, so that a node cut off by a partition finds its way
// back once the seeds answer again.
func (c *Cluster) rejoin() {
	defer c.wg.Done()
	minDelay, maxDelay, downMaxDelay := time.Second, 30*time.Second, 5*time.Second
	if c.cfg.Fast {
		minDelay, maxDelay, downMaxDelay = 200*time.Millisecond, 2*time.Second, time.Second
	}
	delay := minDelay
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		if c.ml.NumMembers() > 1 {
			delay = minDelay
		} else if n, onlySelf, err := c.join(c.cfg.Join); n > 0 {
			c.log.Info("joined cluster", "contacted", n)
			delay = minDelay
		} else {
			if onlySelf {
				c.bootstrap("its seeds resolve only to itself")
			}
			c.log.Debug("seeds still unreachable", "err", err, "retry_in", delay)
			delay = min(2*delay, maxDelay)
			if c.Down() {
				delay = min(delay, downMaxDelay) // serving nothing meanwhile
			}
		}
		t.Reset(delay)
	}
}

// reclaim is a member ID seen at a new gossip address.
type reclaim struct {
	addr  string    // the new ip:port
	seen  time.Time // first seen there
	since time.Time // since when this node has had no member with the ID; zero while it has one
}

// reclaimLoop brings back a node that restarted under the same ID at a new
// address (a rescheduled pod, a container given another IP). memberlist
// refuses the newcomer while this node still holds the ID at the old
// address, alive, or dead for less than DeadNodeReclaimTime, and reports a
// conflict; unless told again it would only learn of the newcomer at the
// next periodic state sync, up to 30 s later, and until then the two
// sides would route that node's slots differently. So once failure
// detection has dropped the old process and the reclaim time has passed,
// this node contacts the newcomer itself: the sync that follows carries
// the newcomer's own alive message, which memberlist then accepts.
func (c *Cluster) reclaimLoop() {
	defer c.wg.Done()
	tick := time.Second
	if c.cfg.Fast {
		tick = 200 * time.Millisecond
	}
	reclaimAfter := 2 * time.Second // DeadNodeReclaimTime, plus a margin
	if c.cfg.Fast {
		reclaimAfter = time.Second
	}
	reclaimAfter += tick
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-c.reclaimKick:
		case <-t.C:
		}
		now := time.Now()
		var join []string
		c.reclaimMu.Lock()
		for id, r := range c.reclaims {
			c.membersMu.Lock()
			p := c.members[id]
			c.membersMu.Unlock()
			switch {
			case p != nil && p.gossip == r.addr:
				c.log.Info("member is back at a new address", "member", id, "gossip", r.addr, "after", now.Sub(r.seen).Round(time.Millisecond))
				delete(c.reclaims, id)
			case now.Sub(r.seen) > 2*time.Minute:
				c.log.Warn("gave up on a member seen at a new address", "member", id, "gossip", r.addr)
				delete(c.reclaims, id)
			case p != nil:
				r.since = time.Time{} // the old process is still a member: wait for failure detection
			case r.since.IsZero():
				r.since = now
			case now.Sub(r.since) >= reclaimAfter:
				join = append(join, r.addr)
			}
		}
		c.reclaimMu.Unlock()
		for _, addr := range join {
			if _, err := c.Join(addr); err != nil {
				c.log.Debug("contacting a member at its new address", "gossip", addr, "err", err)
			}
		}
	}
}

// watch rebuilds the table after membership events. memberlist calls its
// event delegate while holding its own lock, so the delegate only signals
// and the work happens here; signals that arrive during a rebuild coalesce
// into one more rebuild, which reads the then-current members.
func (c *Cluster) watch() {
	defer c.wg.Done()
	for {
		select {
		case <-c.done:
			return
		case <-c.kick:
			c.rebuild()
		}
	}
}

// rebuild computes the table from memberlist's current members and, if it
// differs from the current one, swaps it in.
func (c *Cluster) rebuild() {
	c.rebuildMu.Lock()
	defer c.rebuildMu.Unlock()

	type node struct {
		id, gossip string
		meta       []byte
	}
	var nodes []node // alive and suspect; dead and left nodes are gone
	c.membersMu.Lock()
	for id, p := range c.members {
		nodes = append(nodes, node{id, p.gossip, p.meta})
	}
	c.membersMu.Unlock()
	specs := make([]nodeSpec, 0, len(nodes))
	for _, n := range nodes {
		m, err := decodeMeta(n.meta)
		if err != nil {
			// All nodes see the same metadata, so all leave it out alike.
			if c.badMeta[n.id] != err.Error() {
				c.badMeta[n.id] = err.Error()
				c.log.Warn("member left off the ring", "member", n.id, "gossip", n.gossip, "err", err)
			}
			continue
		}
		specs = append(specs, nodeSpec{id: n.id, vnodes: m.VNodes, addr: m.RESP, clientAddr: m.Client})
	}
	if len(nodes) > 1 && c.formed.CompareAndSwap(false, true) {
		c.log.Info("joined a cluster: serving slots", "members", len(nodes))
	}
	next := c.downTable
	if c.formed.Load() {
		next = buildTable(specs, c.id).withReplicas(c.cfg.Replicas)
	}
	prev := c.table.Load()
	if prev != nil && prev.Equal(next) && slices.Equal(prev.addrs, next.addrs) && slices.Equal(prev.clientAddrs, next.clientAddrs) {
		return
	}
	if prev != nil && prev == c.downTable {
		// Hooks see a node that was down as one that was alone, which is
		// what it was before Start joined a cluster it could reach: a node
		// that held no key meanwhile. One path (hand-off's, tracking's)
		// then serves both.
		prev = c.alone()
	}
	moved := 0
	if prev != nil {
		if moved = Moved(prev, next); moved > 0 {
			c.tableHooks.changing(prev, next)
		}
	}
	c.table.Store(next)
	if prev != nil {
		if moved > 0 || !slices.Equal(prev.nodes, next.nodes) {
			c.ringChanges.Add(1)
			c.slotsMoved.Add(uint64(moved))
		}
		if moved > 0 {
			c.tableHooks.changed(prev, next)
		}
		joined, left := diffSorted(prev.nodes, next.nodes)
		c.log.Info("slot table changed", "members", next.Len(), "joined", joined, "left", left,
			"slots_moved", moved, "slots_owned", next.Count(c.id))
	}
}

// diffSorted returns what is in b and not in a, and what is in a and not in b.
func diffSorted(a, b []string) (added, removed []string) {
	for _, s := range b {
		if _, ok := slices.BinarySearch(a, s); !ok {
			added = append(added, s)
		}
	}
	for _, s := range a {
		if _, ok := slices.BinarySearch(b, s); !ok {
			removed = append(removed, s)
		}
	}
	return added, removed
}

// Table returns the current slot table. It never returns nil; the table it
// returns never changes, and a newer one replaces it (atomically) on every
// join, leave or failure. Read it once per command or pipeline and route
// the whole of it with that one table.
func (c *Cluster) Table() *Table { return c.table.Load() }

// ID returns this node's ID.
func (c *Cluster) ID() string { return c.id }

// Self returns this node as a Member.
func (c *Cluster) Self() Member {
	return Member{
		ID:         c.id,
		RESPAddr:   c.cfg.AdvertiseAddr,
		ClientAddr: cmp.Or(c.cfg.AnnounceAddr, c.cfg.AdvertiseAddr),
		TLSAddr:    c.cfg.AdvertiseTLSAddr,
		GossipAddr: c.selfAddr,
		State:      StateAlive,
		VNodes:     c.cfg.VNodes,
	}
}

// Members returns the nodes of the cluster, this one included, sorted by
// ID. Nodes memberlist has declared dead or that have left are not listed.
func (c *Cluster) Members() []Member {
	health := c.ml.GetHealthScore()
	now := time.Now()
	c.membersMu.Lock()
	suspectAfter := c.suspectAfter(len(c.members), health)
	ms := make([]Member, 0, len(c.members))
	for id, p := range c.members {
		m := Member{ID: id, GossipAddr: p.gossip, RTT: p.rtt}
		if md, err := decodeMeta(p.meta); err == nil {
			m.RESPAddr, m.ClientAddr, m.TLSAddr, m.VNodes = md.RESP, cmp.Or(md.Client, md.RESP), md.TLS, md.VNodes
		}
		if id != c.id {
			m.State = p.state(now, suspectAfter)
		}
		ms = append(ms, m)
	}
	c.membersMu.Unlock()
	slices.SortFunc(ms, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
	return ms
}

// lanProbeInterval is how often memberlist probes a member, in the Fast
// (test) profile too.
const lanProbeInterval = 500 * time.Millisecond

// suspectAfter is how long a member may go without answering this node's
// direct probe before Members reports it suspect. memberlist probes one
// member per probe interval, round robin over a list it reshuffles each
// round, so a healthy member is probed at least once every two rounds; three
// rounds leaves room for one lost packet. The interval stretches with this
// node's own health score, as memberlist's does.
func (c *Cluster) suspectAfter(members, health int) time.Duration {
	interval := lanProbeInterval * time.Duration(health+1)
	return 3*time.Duration(max(members-1, 1))*interval + interval
}

// state is StateSuspect when the peer has not answered a direct probe of
// this node for suspectAfter, counting from when it joined.
func (p *peer) state(now time.Time, suspectAfter time.Duration) State {
	heard := p.since
	if p.lastAck.After(heard) {
		heard = p.lastAck
	}
	if now.Sub(heard) > suspectAfter {
		return StateSuspect
	}
	return StateAlive
}

// Stats returns a snapshot of the membership's numbers.
func (c *Cluster) Stats() Stats {
	s := Stats{
		RingChanges: c.ringChanges.Load(),
		SlotsMoved:  c.slotsMoved.Load(),
		SlotsOwned:  c.Table().Count(c.id),
		HealthScore: c.ml.GetHealthScore(),
	}
	for _, m := range c.Members() {
		s.Members++
		if m.State == StateSuspect {
			s.Suspect++
		}
	}
	return s
}

// Leave tells the cluster this node is going (so peers move its slots at
// once instead of waiting for failure detection), waits up to timeout for
// that message to go out, then shuts down. Calling it again, or after
// Shutdown, does nothing.
func (c *Cluster) Leave(timeout time.Duration) error {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	if c.stopped {
		return nil
	}
	c.announceLeaving(timeout) // handoff.go
	err := c.ml.Leave(timeout)
	c.stopLocked()
	if err != nil {
		return fmt.Errorf("cluster: leave: %w", err)
	}
	return nil
}

// Shutdown stops gossip without telling anyone: to the others this node has
// failed, and they drop it once failure detection confirms it. Use Leave
// for a planned stop. Calling it again does nothing.
func (c *Cluster) Shutdown() error {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	if c.stopped {
		return nil
	}
	c.stopLocked()
	return nil
}

func (c *Cluster) stopLocked() {
	c.stopped = true
	close(c.done)
	if err := c.ml.Shutdown(); err != nil {
		c.log.Warn("gossip shutdown", "err", err)
	}
	c.wg.Wait()
}

// delegate is how memberlist reaches us: it asks for this node's metadata,
// reports membership events, and reports the probes this node made.
type delegate struct{ c *Cluster }

func (d *delegate) NodeMeta(limit int) []byte {
	if d.c.leaving.Load() {
		return d.c.leavingMeta
	}
	return d.c.meta
}
func (d *delegate) NotifyMsg([]byte)                           {}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

// memberlist calls the event methods one at a time, holding its node lock,
// with a *Node that is only safe to read during the call.

func (d *delegate) NotifyJoin(n *memberlist.Node) {
	p := &peer{
		gossip: net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port))),
		meta:   bytes.Clone(n.Meta),
		since:  time.Now(),
	}
	d.c.membersMu.Lock()
	d.c.members[n.Name] = p
	d.c.membersMu.Unlock()
	d.c.departed.forget(n.Name)
	d.signal()
}

func (d *delegate) NotifyUpdate(n *memberlist.Node) {
	d.c.membersMu.Lock()
	if p := d.c.members[n.Name]; p != nil {
		p.gossip = net.JoinHostPort(n.Addr.String(), strconv.Itoa(int(n.Port)))
		p.meta = bytes.Clone(n.Meta)
	}
	d.c.membersMu.Unlock()
	d.signal()
}

func (d *delegate) NotifyLeave(n *memberlist.Node) {
	d.c.membersMu.Lock()
	if p := d.c.members[n.Name]; p != nil {
		d.c.departed.note(n.Name, p.meta)
	}
	delete(d.c.members, n.Name)
	d.c.membersMu.Unlock()
	d.signal()
}

// NotifyConflict: memberlist refused an alive message for member other
// because it holds the same ID at another address (existing). Another
// node claiming this node's own ID is left to memberlist, which logs it.
func (d *delegate) NotifyConflict(existing, other *memberlist.Node) {
	if other.Name == d.c.id {
		return
	}
	addr := net.JoinHostPort(other.Addr.String(), strconv.Itoa(int(other.Port)))
	d.c.reclaimMu.Lock()
	if r := d.c.reclaims[other.Name]; r == nil || r.addr != addr {
		d.c.reclaims[other.Name] = &reclaim{addr: addr, seen: time.Now()}
	}
	d.c.reclaimMu.Unlock()
	select {
	case d.c.reclaimKick <- struct{}{}:
	default:
	}
}

func (d *delegate) signal() {
	select {
	case d.c.kick <- struct{}{}:
	default: // a rebuild is already due
	}
}

func (d *delegate) AckPayload() []byte { return nil }

func (d *delegate) NotifyPingComplete(n *memberlist.Node, rtt time.Duration, _ []byte) {
	d.c.membersMu.Lock()
	if p := d.c.members[n.Name]; p != nil {
		p.lastAck, p.rtt = time.Now(), rtt
	}
	d.c.membersMu.Unlock()
}

// logWriter routes memberlist's log.Logger lines ("[LEVEL] memberlist:
// text") to slog at the matching level. memberlist's [ERR] lines go out as
// warnings: they report peers failing, which the cluster is built to ride
// out, not faults of this process.
type logWriter struct{ log *slog.Logger }

var logLevels = []struct {
	prefix string
	level  slog.Level
}{
	{"[DEBUG]", slog.LevelDebug},
	{"[INFO]", slog.LevelInfo},
	{"[WARN]", slog.LevelWarn},
	{"[ERR]", slog.LevelWarn},
	{"[ERROR]", slog.LevelWarn},
}

func (w *logWriter) Write(p []byte) (int, error) {
	line := bytes.TrimSpace(p)
	level := slog.LevelInfo
	for _, l := range logLevels {
		if rest, ok := bytes.CutPrefix(line, []byte(l.prefix)); ok {
			line, level = bytes.TrimSpace(rest), l.level
			break
		}
	}
	if !w.log.Enabled(context.Background(), level) {
		return len(p), nil
	}
	line, _ = bytes.CutPrefix(line, []byte("memberlist: "))
	w.log.Log(context.Background(), level, string(line))
	return len(p), nil
}

var _ io.Writer = (*logWriter)(nil)
