package protocol

import (
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/store"
	"github.com/tidwall/redcon"
)

// ClusterMode is what a node does with a command for keys another node owns.
type ClusterMode int

const (
	// Proxy forwards the command to the owner and relays the reply, so any
	// Redis client works against any node.
	Proxy ClusterMode = iota
	// Redirect answers -MOVED <slot> <host:port>, exactly as Redis Cluster
	// does; cluster-aware clients follow it.
	Redirect
)

// EnableCluster makes s a node of cl: keys are routed by cl's slot table.
// Call it before Serve.
func (s *Server) EnableCluster(cl *cluster.Cluster, mode ClusterMode) {
	s.cl = cl
	s.clusterMode = mode
}

// ForwardStats returns, per peer, what proxy mode forwarded to it.
func (s *Server) ForwardStats() []PeerForwardStats { return s.peers.snapshot() }

// Cluster returns the cluster this server is a node of, nil on a single node.
func (s *Server) Cluster() *cluster.Cluster { return s.cl }

// Route kinds.
const (
	routeLocal  = iota // run here
	routeRemote        // forward whole to one peer
	routeSplit         // keys on several nodes: split, forward, merge (proxy)
	routeError         // refused with msg
)

type route struct {
	kind int
	addr string // routeRemote: the owner's RESP address
	msg  string // routeError
}

const errCrossSlot = "CROSSSLOT Keys in request don't hash to the same slot"

// splittable lists the multi-key commands proxy mode may split over nodes,
// and how: each key (or key/value pair) becomes its own sub-command.
var splittable = map[string]bool{"mget": true, "mset": true, "del": true, "unlink": true, "exists": true, "touch": true}

// route decides where cmd runs. It has no side effects.
// errTryAgain answers a forwarded command for keys this node does not own;
// cluster clients retry on TRYAGAIN.
const errTryAgain = "TRYAGAIN The slot moved while the command was forwarded; try again"

func (c *client) route(cmd *command, args [][]byte) route {
	cl := c.srv.cl
	if cl == nil || cmd.firstKey == 0 || cmd.flags&flagKeyspace != 0 {
		return route{kind: routeLocal}
	}
	t := cl.Table()
	if t.Len() == 0 {
		return route{kind: routeError, msg: "CLUSTERDOWN The cluster is down"}
	}
	slot, owner := -1, -1
	sameSlot, sameOwner := true, true
	cmd.keyPositions(args, func(key []byte) {
		s := cluster.Slot(key)
		o := t.Owner(s)
		if slot < 0 {
			slot, owner = s, o
			return
		}
		sameSlot = sameSlot && s == slot
		sameOwner = sameOwner && o == owner
	})
	if c.srv.clusterMode == Redirect {
		if !sameSlot {
			return route{kind: routeError, msg: errCrossSlot}
		}
		if t.Local(slot) {
			return route{kind: routeLocal}
		}
		return route{kind: routeError, msg: "MOVED " + strconv.Itoa(slot) + " " + t.ClientAddr(owner)}
	}
	switch {
	case sameOwner && t.Local(slot):
		return route{kind: routeLocal}
	case c.peerLink:
		// Forwarded here by a node whose table differs from ours (one of
		// us is behind a join or a leave): fail fast, and let the client's
		// retry find the owner, rather than forward it again.
		return route{kind: routeError, msg: errTryAgain}
	case sameOwner:
		return route{kind: routeRemote, addr: t.Addr(owner)}
	case splittable[cmd.name]:
		return route{kind: routeSplit}
	}
	return route{kind: routeError, msg: errCrossSlot}
}

// forward sends args to the peer at addr and relays its reply.
func (c *client) forward(addr string, args [][]byte) {
	f := &fwd{req: encodeCommand(nil, args)}
	c.srv.peers.link(addr).send(f)
	<-f.done
	c.writeForwarded(f)
}

func (c *client) writeForwarded(f *fwd) {
	if f.err != nil {
		c.errorReply("TRYAGAIN forwarding to the key's owner failed: " + clip([]byte(f.err.Error()), 200))
		return
	}
	c.WriteRaw(f.reply)
}

// forwardRun forwards a run of consecutive remote commands and writes
// their replies in order. Reads and writes to one peer go out without
// waiting (a link keeps their order); a write first waits for this run's
// earlier writes to other peers, so no other client can see a later write
// of this client without an earlier one.
func (c *client) forwardRun(run []remoteCmd) {
	fs := make([]*fwd, len(run))
	var pending []*fwd // writes sent, not yet answered
	pendingPeer := ""
	for i, r := range run {
		if r.write && len(pending) > 0 && pendingPeer != r.addr {
			for _, f := range pending {
				<-f.done
			}
			pending = pending[:0]
		}
		fs[i] = &fwd{req: encodeCommand(nil, r.args)}
		c.srv.peers.link(r.addr).send(fs[i])
		if r.write {
			pending, pendingPeer = append(pending, fs[i]), r.addr
		}
	}
	for _, f := range fs {
		<-f.done
		c.writeForwarded(f)
	}
}

// remoteCmd is a command of a pipeline bound for another node.
type remoteCmd struct {
	args  [][]byte
	addr  string
	write bool
}

// split runs a multi-key command whose keys live on several nodes as one
// sub-command per key (per key/value pair for MSET), each run here or
// forwarded, and merges the replies in key order: an array for MGET, a sum
// for DEL/UNLINK/EXISTS/TOUCH, OK for MSET. Unlike on one node, such a
// command is not atomic.
func (c *client) split(cmd *command, args [][]byte) {
	step := cmd.keyStep
	name := cmd.name
	sub := map[string]string{"mget": "GET", "mset": "SET"}[name]
	if sub == "" {
		sub = strings.ToUpper(name)
	}
	if name == "mset" && len(args)%2 != 1 {
		c.errorReply(errWrongArgs(name))
		return
	}
	t := c.srv.cl.Table()
	var parts []*fwd
	for i := 1; i < len(args); i += step {
		subArgs := append([][]byte{[]byte(sub)}, args[i:i+step]...)
		f := &fwd{}
		if slot := cluster.Slot(args[i]); t.Local(slot) {
			f.reply, f.err = c.runCaptured(subArgs)
			f.done = make(chan struct{})
			close(f.done)
		} else {
			f.req = encodeCommand(nil, subArgs)
			c.srv.peers.link(t.Addr(t.Owner(slot))).send(f)
		}
		parts = append(parts, f)
	}
	var sum int64
	if name == "mget" {
		c.WriteArray(len(parts))
	}
	var firstErr *fwd
	for _, f := range parts {
		<-f.done
		if f.err != nil || (len(f.reply) > 0 && f.reply[0] == '-') {
			if firstErr == nil {
				firstErr = f
			}
			if name == "mget" {
				c.WriteNull()
			}
			continue
		}
		switch name {
		case "mget":
			c.WriteRaw(f.reply)
		case "mset":
		default:
			n, _ := strconv.ParseInt(string(bytes.TrimSpace(f.reply[1:])), 10, 64)
			sum += n
		}
	}
	switch {
	case name == "mget":
	case firstErr != nil:
		c.writeForwarded(firstErr)
	case name == "mset":
		c.WriteString("OK")
	default:
		c.WriteInt64(sum)
	}
}

// runCaptured runs a local single-key command and returns a copy of its
// reply bytes instead of writing them to the client. The capturing writer
// is made once per client.
func (c *client) runCaptured(args [][]byte) ([]byte, error) {
	if c.capture == nil {
		c.capture = redcon.NewWriter(&c.captureBuf)
	}
	saved := c.Writer
	c.Writer = c.capture
	c.call(lookup(commands, args[0]), args)
	err := c.Writer.Flush()
	c.Writer = saved
	reply := bytes.Clone(c.captureBuf.Bytes())
	c.captureBuf.Reset()
	return reply, err
}

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
		&command{name: "readonly", arity: 1, flags: flagLoading | flagStale | flagFast, acl: []string{"fast", "connection"}, run: cmdOK},
		&command{name: "readwrite", arity: 1, flags: flagLoading | flagStale | flagFast, acl: []string{"fast", "connection"}, run: cmdOK},
		&command{name: "asking", arity: 1, flags: flagFast, acl: []string{"fast", "connection"}, run: cmdOK},
	)
}

func cmdOK(c *client, _ [][]byte, _ store.Tx) { c.WriteString("OK") }

// clusterOrError returns the cluster, or replies as Redis does when
// cluster support is off.
func (c *client) clusterOrError() *cluster.Cluster {
	if c.srv.cl == nil {
		c.errorReply("ERR This instance has cluster support disabled")
	}
	return c.srv.cl
}

func cmdClusterInfo(c *client, _ [][]byte, _ store.Tx) {
	cl := c.clusterOrError()
	if cl == nil {
		return
	}
	st := cl.Stats()
	t := cl.Table()
	state := "ok"
	if t.Len() == 0 {
		state = "fail"
	}
	epoch := st.RingChanges
	var b strings.Builder
	for _, kv := range [][2]any{
		{"cluster_state", state}, {"cluster_slots_assigned", cluster.NumSlots}, {"cluster_slots_ok", cluster.NumSlots},
		{"cluster_slots_pfail", 0}, {"cluster_slots_fail", 0}, {"cluster_known_nodes", st.Members},
		{"cluster_size", t.Len()}, {"cluster_current_epoch", epoch}, {"cluster_my_epoch", epoch},
		{"cluster_stats_messages_sent", 0}, {"cluster_stats_messages_received", 0},
	} {
		fmt.Fprintf(&b, "%s:%v\r\n", kv[0], kv[1])
	}
	c.WriteBulkString(b.String())
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
	for i, id := range t.Nodes() {
		host, port := hostPort(t.ClientAddr(i))
		flags := "master"
		if id == cl.ID() {
			flags = "myself,master"
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
	c.WriteBulkString(b.String())
}

func cmdClusterSlots(c *client, _ [][]byte, _ store.Tx) {
	cl := c.clusterOrError()
	if cl == nil {
		return
	}
	t := cl.Table()
	ranges := t.Ranges()
	c.WriteArray(len(ranges))
	for _, r := range ranges {
		host, port := hostPort(t.ClientAddr(r.Node))
		c.WriteArray(3)
		c.WriteInt(r.First)
		c.WriteInt(r.Last)
		c.WriteArray(3)
		c.WriteBulkString(host)
		c.WriteInt(port)
		c.WriteBulkString(t.Nodes()[r.Node])
	}
}

func cmdClusterShards(c *client, _ [][]byte, _ store.Tx) {
	cl := c.clusterOrError()
	if cl == nil {
		return
	}
	t := cl.Table()
	c.WriteArray(t.Len())
	for i, id := range t.Nodes() {
		host, port := hostPort(t.ClientAddr(i))
		ranges := t.SlotsOf(id)
		c.WriteArray(4)
		c.WriteBulkString("slots")
		c.WriteArray(2 * len(ranges))
		for _, r := range ranges {
			c.WriteInt(r.First)
			c.WriteInt(r.Last)
		}
		c.WriteBulkString("nodes")
		c.WriteArray(1)
		c.WriteArray(14)
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
