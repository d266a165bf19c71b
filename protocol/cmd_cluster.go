package protocol

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/store"
)

// CLUSTER and the commands cluster clients send (READONLY, READWRITE,
// ASKING), answered from the slot table of package cluster.

func init() {
	adminSlow := []string{"slow"}
	register(&command{name: "cluster", arity: -2, acl: []string{"slow"}, subs: subcommands(
		&command{name: "info", arity: 2, flags: flagLoading | flagStale, acl: adminSlow, run: cmdClusterInfo},
		&command{name: "myid", arity: 2, flags: flagLoading | flagStale, acl: adminSlow, run: cmdClusterMyID},
		&command{name: "nodes", arity: 2, flags: flagLoading | flagStale, acl: adminSlow, run: cmdClusterNodes},
		&command{name: "slots", arity: 2, flags: flagLoading | flagStale, acl: adminSlow, run: cmdClusterSlots},
		&command{name: "shards", arity: 2, flags: flagLoading | flagStale, acl: adminSlow, run: cmdClusterShards},
		&command{name: "keyslot", arity: 3, flags: flagLoading | flagStale, acl: adminSlow, run: cmdClusterKeySlot},
		&command{name: "countkeysinslot", arity: 3, flags: flagLoading | flagStale, acl: adminSlow, run: cmdClusterCountKeys},
		&command{name: "getkeysinslot", arity: 4, flags: flagLoading | flagStale, acl: adminSlow, run: cmdClusterGetKeys},
	)},
		&command{name: "readonly", arity: 1, flags: flagLoading | flagStale | flagFast, acl: []string{"fast", "connection"}, run: cmdReadonly},
		&command{name: "readwrite", arity: 1, flags: flagLoading | flagStale | flagFast, acl: []string{"fast", "connection"}, run: cmdReadwrite},
		&command{name: "asking", arity: 1, flags: flagFast, acl: []string{"fast", "connection"}, run: cmdOK},
	)
}

func cmdOK(c *client, _ [][]byte, _ store.Tx) { c.WriteString("OK") }

// clusterOrError returns the cluster, or replies as Redis does when
// cluster support is off.
func (c *client) clusterOrError() *cluster.Cluster {
	cl := c.srv.Cluster()
	if cl == nil {
		c.errorReply("ERR This instance has cluster support disabled")
	}
	return cl
}

func cmdClusterInfo(c *client, _ [][]byte, _ store.Tx) {
	cl := c.clusterOrError()
	if cl == nil {
		return
	}
	st := cl.Stats()
	t := cl.Table()
	state, assigned, size := "ok", cluster.NumSlots, t.Len()
	if t.Len() == 0 || cl.Down() {
		// Not yet in a cluster (cluster/bootstrap.go): no slot served.
		state, assigned, size = "fail", 0, 0
	}
	epoch := st.RingChanges
	var b strings.Builder
	pfail := 0
	for id := range suspectMembers(cl) {
		pfail += t.Count(id)
	}
	for _, kv := range [][2]any{
		{"cluster_state", state}, {"cluster_slots_assigned", assigned}, {"cluster_slots_ok", assigned - pfail},
		{"cluster_slots_pfail", pfail}, {"cluster_slots_fail", 0}, {"cluster_known_nodes", st.Members},
		{"cluster_size", size}, {"cluster_current_epoch", epoch}, {"cluster_my_epoch", epoch},
		{"cluster_stats_messages_sent", 0}, {"cluster_stats_messages_received", 0},
	} {
		fmt.Fprintf(&b, "%s:%v\r\n", kv[0], kv[1])
	}
	c.WriteVerbatim("txt", b.String()) // RESP3: verbatim, as Redis 7.0
}

func cmdClusterMyID(c *client, _ [][]byte, _ store.Tx) {
	if cl := c.clusterOrError(); cl != nil {
		c.WriteBulkString(cl.ID())
	}
}

// hostPort splits a RESP address for the CLUSTER replies.
func hostPort(addr string) (string, int) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr, 0
	}
	p, _ := strconv.Atoi(port)
	return host, p
}

// cmdClusterNodes answers in Redis's CLUSTER NODES line format; every
// node is a master, epochs are the ring-change count.
func cmdClusterNodes(c *client, _ [][]byte, _ store.Tx) {
	cl := c.clusterOrError()
	if cl == nil {
		return
	}
	t := cl.Table()
	epoch := cl.Stats().RingChanges
	var b strings.Builder
	suspect := suspectMembers(cl)
	for i, id := range t.Nodes() {
		host, port := hostPort(t.ClientAddr(i))
		flags := "master"
		if id == cl.ID() {
			flags = "myself,master"
		} else if suspect[id] {
			flags = "master,fail?" // Redis's PFAIL: probes unanswered, not yet dead
		}
		fmt.Fprintf(&b, "%s %s:%d@0 %s - 0 0 %d connected", id, host, port, flags, epoch)
		for _, r := range t.SlotsOf(id) {
			if r.First == r.Last {
				fmt.Fprintf(&b, " %d", r.First)
			} else {
				fmt.Fprintf(&b, " %d-%d", r.First, r.Last)
			}
		}
		b.WriteByte('\n')
	}
	c.WriteVerbatim("txt", b.String()) // RESP3: verbatim, as Redis 7.0
}

func cmdClusterSlots(c *client, _ [][]byte, _ store.Tx) {
	cl := c.clusterOrError()
	if cl == nil {
		return
	}
	t := cl.Table()
	if t.ReplicaCount() > 0 {
		c.clusterSlotsWithReplicas(t)
		return
	}
	ranges := t.Ranges()
	c.WriteArray(len(ranges))
	for _, r := range ranges {
		host, port := hostPort(t.ClientAddr(r.Node))
		c.WriteArray(3)
		c.WriteInt(r.First)
		c.WriteInt(r.Last)
		c.WriteArray(4)
		c.WriteBulkString(host)
		c.WriteInt(port)
		c.WriteBulkString(t.Nodes()[r.Node])
		c.WriteMap(0) // Redis 7's networking metadata (hostname): none
	}
}

func cmdClusterShards(c *client, _ [][]byte, _ store.Tx) {
	cl := c.clusterOrError()
	if cl == nil {
		return
	}
	t := cl.Table()
	if t.ReplicaCount() > 0 {
		c.clusterShardsWithReplicas(t)
		return
	}
	c.WriteArray(t.Len())
	for i, id := range t.Nodes() {
		host, port := hostPort(t.ClientAddr(i))
		ranges := t.SlotsOf(id)
		c.WriteMap(2) // maps in RESP3, as Redis's
		c.WriteBulkString("slots")
		c.WriteArray(2 * len(ranges))
		for _, r := range ranges {
			c.WriteInt(r.First)
			c.WriteInt(r.Last)
		}
		c.WriteBulkString("nodes")
		c.WriteArray(1)
		c.WriteMap(7)
		for _, kv := range []struct {
			k string
			v any
		}{{"id", id}, {"port", port}, {"ip", host}, {"endpoint", host}, {"role", "master"}, {"replication-offset", 0}, {"health", "online"}} {
			c.WriteBulkString(kv.k)
			switch v := kv.v.(type) {
			case int:
				c.WriteInt(v)
			default:
				c.WriteBulkString(fmt.Sprint(v))
			}
		}
	}
}

func cmdClusterKeySlot(c *client, args [][]byte, _ store.Tx) {
	if c.clusterOrError() != nil {
		c.WriteInt(cluster.Slot(args[2]))
	}
}

// slotArg parses a slot number with Redis's error.
func (c *client) slotArg(b []byte) (int, bool) {
	n, ok := parseInt(b)
	if !ok || n < 0 || n >= cluster.NumSlots {
		c.errorReply("ERR Invalid slot")
		return 0, false
	}
	return int(n), true
}

// keysInSlot visits this node's keys in slot, stopping after max (< 0: all).
// The store keeps no per-slot index, so this walks every key: O(keys).
func (c *client) keysInSlot(slot int, max int64, fn func(key []byte)) {
	n := int64(0)
	c.srv.store.Tx().Keys(func(key []byte) {
		if (max < 0 || n < max) && cluster.Slot(key) == slot {
			fn(key)
			n++
		}
	})
}

func cmdClusterCountKeys(c *client, args [][]byte, _ store.Tx) {
	if c.clusterOrError() == nil {
		return
	}
	slot, ok := c.slotArg(args[2])
	if !ok {
		return
	}
	var n int64
	c.keysInSlot(slot, -1, func([]byte) { n++ })
	c.WriteInt64(n)
}

func cmdClusterGetKeys(c *client, args [][]byte, _ store.Tx) {
	if c.clusterOrError() == nil {
		return
	}
	slot, ok := c.slotArg(args[2])
	if !ok {
		return
	}
	max, ok := parseInt(args[3])
	if !ok || max < 0 {
		c.errorReply("ERR Invalid number of keys")
		return
	}
	var keys [][]byte
	c.keysInSlot(slot, max, func(k []byte) { keys = append(keys, bytes.Clone(k)) })
	c.WriteArray(len(keys))
	for _, k := range keys {
		c.WriteBulk(k)
	}
}

// suspectMembers returns the IDs of the members this node suspects: their
// direct probes have gone unanswered, and they still own their slots until
// gossip declares them dead. CLUSTER NODES flags them fail? and CLUSTER
// INFO counts their slots as pfail, as Redis does for PFAIL.
func suspectMembers(cl *cluster.Cluster) map[string]bool {
	out := map[string]bool{}
	for _, m := range cl.Members() {
		if m.State == cluster.StateSuspect {
			out[m.ID] = true
		}
	}
	return out
}

// clusterSlotsWithReplicas is CLUSTER SLOTS with --cluster-replicas: a
// run of slots ends where its owner or its replicas change, and each
// entry lists the owner, then the replicas, first replica first, as
// Redis lists a master's replicas.
func (c *client) clusterSlotsWithReplicas(t *cluster.Table) {
	ranges := t.ReplicaRanges()
	c.WriteArray(len(ranges))
	node := func(i int) {
		host, port := hostPort(t.ClientAddr(i))
		c.WriteArray(4)
		c.WriteBulkString(host)
		c.WriteInt(port)
		c.WriteBulkString(t.Nodes()[i])
		c.WriteMap(0)
	}
	for _, r := range ranges {
		c.WriteArray(3 + len(r.Replicas))
		c.WriteInt(r.First)
		c.WriteInt(r.Last)
		node(r.Node)
		for _, i := range r.Replicas {
			node(i)
		}
	}
}

// clusterShardsWithReplicas is CLUSTER SHARDS with --cluster-replicas.
// A Redis shard is a master and the replicas that hold all of its slots;
// here the replicas of one node's slots differ from slot to slot, so a
// shard is the slots of one owner with the same replicas: a node shows
// as master in the shards of its own slots and as replica in others.
func (c *client) clusterShardsWithReplicas(t *cluster.Table) {
	type shard struct {
		owner  int
		reps   []int
		ranges [][2]int
	}
	var shards []*shard
	byKey := map[string]*shard{}
	for _, r := range t.ReplicaRanges() {
		k := fmt.Sprint(r.Node, r.Replicas)
		sh := byKey[k]
		if sh == nil {
			sh = &shard{owner: r.Node, reps: r.Replicas}
			byKey[k] = sh
			shards = append(shards, sh)
		}
		sh.ranges = append(sh.ranges, [2]int{r.First, r.Last})
	}
	c.WriteArray(len(shards))
	for _, sh := range shards {
		c.WriteMap(2)
		c.WriteBulkString("slots")
		c.WriteArray(2 * len(sh.ranges))
		for _, r := range sh.ranges {
			c.WriteInt(r[0])
			c.WriteInt(r[1])
		}
		c.WriteBulkString("nodes")
		c.WriteArray(1 + len(sh.reps))
		for j, i := range append([]int{sh.owner}, sh.reps...) {
			host, port := hostPort(t.ClientAddr(i))
			role := "master"
			if j > 0 {
				role = "replica"
			}
			c.WriteMap(7)
			for _, kv := range []struct {
				k string
				v any
			}{{"id", t.Nodes()[i]}, {"port", port}, {"ip", host}, {"endpoint", host}, {"role", role}, {"replication-offset", 0}, {"health", "online"}} {
				c.WriteBulkString(kv.k)
				switch v := kv.v.(type) {
				case int:
					c.WriteInt(v)
				default:
					c.WriteBulkString(fmt.Sprint(v))
				}
			}
		}
	}
}
