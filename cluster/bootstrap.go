package cluster

import (
	"net"
	"strconv"
)

// Bootstrapping: when a node may serve the keyspace on its own.
//
// A node started with seeds (Config.Join) owns no slot until it belongs to
// a cluster: until a seed lets it in, or another node joins it. Until then
// its table lists itself with every slot unassigned (Down reports it), so
// key commands get -CLUSTERDOWN, CLUSTER INFO says cluster_state:fail and
// the server is not ready. Serving all 16384 slots alone instead would hide
// a wrong seed address or a wrong cluster secret, and split the data
// between this node and the cluster it failed to reach.
//
// One node of a new cluster must start alone, though, and with no one to
// tell it so in Compose or Kubernetes, where every node gets the same
// seeds. A node forms a cluster of its own (bootstraps) when
//
//   - it has no seeds at all (a single node);
//   - Config.Bootstrap is set (--cluster-bootstrap yes: the operator says so);
//   - or no seed answered and every address its seeds resolve to is this
//     node's own gossip address: the first node of a README cluster, all of
//     whose nodes name node 1's address; a StatefulSet's first pod, whose
//     headless Service resolves to itself only; the first container of a
//     Compose project, whose alias resolves to itself only.
//
// A seed list that resolves to other addresses too never bootstraps by
// itself: those addresses belong to nodes that are down, starting, or
// refusing this one (another secret), and which of them is the case cannot
// be told from here. When two such nodes come up they join each other, so
// a cluster whose seeds all name each other (a static list, a DNS name of
// every node) forms as soon as two of its nodes are up. Nodes that both
// bootstrapped alone at the same moment (two pods that each resolved only
// to themselves) merge at their next retry, as two clusters do, since a
// node alone keeps retrying its seeds.
//
// Once a node belongs to a cluster it stays formed: if every other member
// fails later, it serves the whole keyspace alone, as before.

// Down reports whether this node has not yet joined or formed a cluster:
// it then owns no slot, and its table lists only itself.
func (c *Cluster) Down() bool { return c.table.Load() == c.downTable }

// selfSpec is this node as the ring sees it.
func (c *Cluster) selfSpec() nodeSpec {
	return nodeSpec{id: c.id, vnodes: c.cfg.VNodes, addr: c.cfg.AdvertiseAddr, clientAddr: c.cfg.AnnounceAddr}
}

// alone is the table of this node as the only member: all slots its own.
func (c *Cluster) alone() *Table { return buildTable([]nodeSpec{c.selfSpec()}, c.id) }

// newDownTable is the table of a node that is down: itself, owning nothing.
func newDownTable(self nodeSpec) *Table {
	t := &Table{nodes: []string{self.id}, addrs: []string{self.addr}, clientAddrs: []string{self.clientAddr},
		vnodes: []int{self.vnodes}, self: 0}
	for s := range t.owner {
		t.owner[s] = noOwner
	}
	return t
}

// bootstrap makes this node form a cluster of its own, if it is down.
func (c *Cluster) bootstrap(why string) {
	if c.formed.CompareAndSwap(false, true) {
		c.log.Info("bootstrapping a new cluster: serving every slot until others join", "why", why)
		c.rebuild()
	}
}

// localIPs are the addresses this node's gossip listens on, to recognise
// a seed that is this node under another name: every interface address
// when bound to a wildcard, every loopback address when bound to one
// ("localhost" resolves to 127.0.0.1 and ::1), else the bound address.
func (c *Cluster) localIPs() func(net.IP) bool {
	bind := net.ParseIP(c.cfg.BindAddr)
	if c.cfg.BindAddr == "" || bind != nil && bind.IsUnspecified() {
		var ips []net.IP
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok {
					ips = append(ips, n.IP)
				}
			}
		}
		return func(ip net.IP) bool {
			for _, l := range ips {
				if l.Equal(ip) {
					return true
				}
			}
			return false
		}
	}
	return func(ip net.IP) bool { return ip.Equal(bind) || bind != nil && bind.IsLoopback() && ip.IsLoopback() }
}

// isSelf reports whether the gossip address ip:port (a resolved seed) is
// this node's own: its advertised address, or the port it listens on at
// an address it listens on.
func (c *Cluster) isSelf(addr string) bool {
	if addr == c.selfAddr {
		return true
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	bound := c.cfg.BindPort
	if bound == 0 { // picked by the kernel (tests): the advertised one
		_, p, _ := net.SplitHostPort(c.selfAddr)
		bound, _ = strconv.Atoi(p)
	}
	ip := net.ParseIP(host)
	return port == strconv.Itoa(bound) && ip != nil && c.isLocalIP != nil && c.isLocalIP(ip)
}
