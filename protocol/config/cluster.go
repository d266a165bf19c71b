package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/cluster/route"
)

// ClusterConfig holds the cluster settings; with Enabled false the server
// is a single node and the rest is ignored.
type ClusterConfig struct {
	Enabled       bool
	NodeID        string
	GossipBind    string
	GossipPort    int
	AdvertiseAddr string // host:port peers and clients use for this node's RESP port
	AnnounceAddr  string // host:port clients are told instead, when set (CLUSTER SLOTS, MOVED)
	Join          []string
	Bootstrap     bool // cluster-bootstrap (cluster_bootstrap.go)
	VNodes        int
	Mode          route.Mode
	GossipSecret  string
	AllowInsecure bool // cluster-allow-insecure (cluster_auth.go)
	// LeaveTimeout is cluster-leave-timeout (cluster_handoff.go).
	LeaveTimeout time.Duration
	// Replicas is cluster-replicas (cluster_replicas.go).
	Replicas int
}

func init() {
	cc := func(c *Config) *ClusterConfig { return &c.Cluster }
	Settings = append(Settings,
		&Setting{Name: "cluster", Default: "no", Bool: true, Usage: "run as a node of a cluster (gossip, consistent-hash ring, routing)",
			get: func(c *Config) string { return yesNo(cc(c).Enabled) },
			set: boolSetting(func(c *Config, b bool) { cc(c).Enabled = b })},
		&Setting{Name: "cluster-mode", Default: "proxy", Usage: "keys owned elsewhere: proxy (forward) or redirect (-MOVED, as Redis Cluster)",
			get: func(c *Config) string { return cc(c).Mode.String() },
			set: func(c *Config, v string) error {
				m, ok := route.ParseMode(strings.ToLower(v))
				if !ok {
					return fmt.Errorf("must be proxy or redirect, got %q", v)
				}
				cc(c).Mode = m
				return nil
			}},
		&Setting{Name: "node-id", Default: "", Usage: "this node's cluster ID (empty = random, new on every start; set it for stable slots, e.g. to a pod name)",
			get: func(c *Config) string { return cc(c).NodeID },
			set: func(c *Config, v string) error { cc(c).NodeID = v; return nil }},
		&Setting{Name: "gossip-bind", Default: "127.0.0.1", Usage: "address gossip (memberlist, TCP and UDP) listens on",
			get: func(c *Config) string { return cc(c).GossipBind },
			set: func(c *Config, v string) error { cc(c).GossipBind = v; return nil }},
		&Setting{Name: "gossip-port", Default: "7946", Usage: "gossip port",
			get: func(c *Config) string { return strconv.Itoa(cc(c).GossipPort) },
			set: intSetting(func(c *Config, n int64) { cc(c).GossipPort = int(n) }, 0, 65535)},
		&Setting{Name: "advertise-addr", Default: "", Usage: "host:port peers and clients use to reach this node's RESP port (empty = bind:port)",
			get: func(c *Config) string { return cc(c).AdvertiseAddr },
			set: func(c *Config, v string) error { cc(c).AdvertiseAddr = v; return nil }},
		&Setting{Name: "cluster-announce-addr", Default: "", Usage: "host:port cluster-aware clients are told to use for this node (CLUSTER SLOTS/SHARDS/NODES, MOVED) when it differs from advertise-addr, e.g. a published container port; peers still use advertise-addr (empty = advertise-addr)",
			get: func(c *Config) string { return cc(c).AnnounceAddr },
			set: func(c *Config, v string) error { cc(c).AnnounceAddr = v; return nil }},
		&Setting{Name: "join", Default: "", Usage: "comma-separated gossip seeds host:port; a DNS name joins every address it resolves to",
			get: func(c *Config) string { return strings.Join(cc(c).Join, ",") },
			set: func(c *Config, v string) error {
				cc(c).Join = nil
				for _, s := range strings.Split(v, ",") {
					if s = strings.TrimSpace(s); s != "" {
						cc(c).Join = append(cc(c).Join, s)
					}
				}
				return nil
			}},
		&Setting{Name: "vnodes", Default: "1024", Usage: "virtual nodes this node puts on the ring (chosen by the balance benchmark)",
			get: func(c *Config) string { return strconv.Itoa(cc(c).VNodes) },
			set: intSetting(func(c *Config, n int64) { cc(c).VNodes = int(n) }, 1, 1<<16)},
		&Setting{Name: "gossip-secret", Default: "", Usage: "cluster secret: encrypts and authenticates all gossip, and peer links prove it; required unless gossip-bind is loopback (empty = none)",
			get: func(c *Config) string { return cc(c).GossipSecret },
			set: func(c *Config, v string) error { cc(c).GossipSecret = v; return nil }},
	)
}
