package cluster

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/cespare/xxhash/v2"
)

// The ring decides which node owns which slot. Every node puts V virtual
// nodes on a 64-bit ring at
//
//	xxhash64(nodeID + "#" + decimal(i)),  i = 0 … V-1
//
// and slot s belongs to the first virtual node clockwise of (at or after)
//
//	xxhash64(the two bytes of s, big-endian)
//
// wrapping past 2^64-1 to the start. Two bytes big-endian because a slot fits
// in a uint16 and a fixed-width encoding leaves nothing to interpret: another
// implementation (a test, a tool, a client in another language) reproduces
// the table from the node IDs alone. Virtual nodes that collide on the same
// point are ordered by node ID, so the table depends only on the set of
// (node, V) pairs, never on the order in which members were learned.
//
// Why a ring rather than slot % N or a fresh even split: when a node joins,
// the only slots that move are the ones it takes over (about 1/(N+1) of
// them), and when one leaves only its own slots move, each to the next node
// clockwise. Nothing moves between nodes that stayed, so a join or a leave
// hands off the minimum number of keys. Virtual nodes are what make the load
// even: with one point per node the arcs differ by a factor of several; with
// V points per node the spread shrinks roughly as 1/sqrt(V).
//
// The ring is evaluated once per membership change into a Table of 16384
// entries, so routing a key is Slot(key) and one array read.

// noOwner marks the slots of a table without nodes.
const noOwner = 0xFFFF

// Table is an immutable slot -> node map computed from the ring. It is built
// on every membership change and then only read, so any number of goroutines
// may use one without locking; a *Table a caller holds never changes under it.
// Tables come from BuildTable or Cluster.Table; the zero Table is not one.
type Table struct {
	owner [NumSlots]uint16 // index into nodes, or noOwner when nodes is empty
	nodes []string         // node IDs, sorted
	addrs []string         // RESP address per node; "" when built by BuildTable
	// Address announced to clients per node; "" where none (Addr applies).
	clientAddrs []string
	self        int   // index of the local node, -1 if none (BuildTable)
	vnodes      []int // virtual nodes per node, to rebuild the ring (Without)
	// Replicas (replicas.go): nrep per slot, node indexes, noOwner where
	// the table has too few nodes; empty when nrep is 0.
	nrep int
	reps []uint16
}

// SlotRange is a run of consecutive slots First…Last (inclusive, as Redis
// prints "0-5460") owned by the node at index Node in Table.Nodes.
type SlotRange struct {
	First, Last int
	Node        int
}

// BuildTable places vnodes virtual nodes for every node ID on the ring and
// computes the owner of each slot. Duplicate IDs count once and the order of
// nodes does not matter: every node of a cluster that sees the same members
// builds the same table. With no nodes every slot is unowned (Owner = -1).
// vnodes < 1 is taken as 1.
func BuildTable(nodes []string, vnodes int) *Table {
	specs := make([]nodeSpec, len(nodes))
	for i, id := range nodes {
		specs[i] = nodeSpec{id: id, vnodes: vnodes}
	}
	return buildTable(specs, "")
}

// nodeSpec is one member as the ring sees it. Each node brings its own
// virtual node count (published in its metadata) so that all nodes agree on
// the table even while a changed --vnodes is being rolled out; a node with
// more virtual nodes simply takes a proportionally larger share.
type nodeSpec struct {
	id         string
	vnodes     int
	addr       string
	clientAddr string // announced to clients; "" = addr
}

type vnode struct {
	hash uint64
	node uint16
}

func buildTable(specs []nodeSpec, self string) *Table {
	specs = slices.Clone(specs)
	slices.SortFunc(specs, func(a, b nodeSpec) int { return cmp.Compare(a.id, b.id) })
	specs = slices.CompactFunc(specs, func(a, b nodeSpec) bool { return a.id == b.id })
	if len(specs) >= noOwner {
		panic(fmt.Sprintf("cluster: %d nodes, at most %d supported", len(specs), noOwner-1))
	}

	t := &Table{nodes: make([]string, len(specs)), addrs: make([]string, len(specs)), clientAddrs: make([]string, len(specs)), self: -1,
		vnodes: make([]int, len(specs))}
	total := 0
	for i, s := range specs {
		t.nodes[i], t.addrs[i], t.clientAddrs[i], t.vnodes[i] = s.id, s.addr, s.clientAddr, s.vnodes
		if s.id == self && self != "" {
			t.self = i
		}
		total += max(s.vnodes, 1)
	}
	if len(specs) == 0 {
		for s := range t.owner {
			t.owner[s] = noOwner
		}
		return t
	}

	ring := placeRing(t.nodes, t.vnodes, total)

	// Walk the slots in ring order and the virtual nodes along with them:
	// one merge instead of 16384 binary searches.
	points := slotPoints()
	j := 0
	for _, p := range points.order {
		h := points.hash[p]
		for j < len(ring) && ring[j].hash < h {
			j++
		}
		if j == len(ring) { // past the last virtual node: wrap to the first
			t.owner[p] = ring[0].node
		} else {
			t.owner[p] = ring[j].node
		}
	}
	return t
}

// placeRing puts the virtual nodes of nodes (sorted IDs, each with its
// count) on the ring, in ring order.
func placeRing(nodes []string, vnodes []int, total int) []vnode {
	ring := make([]vnode, 0, total)
	var buf []byte
	for i, id := range nodes {
		for v := range max(vnodes[i], 1) {
			buf = strconv.AppendInt(append(append(buf[:0], id...), '#'), int64(v), 10)
			ring = append(ring, vnode{hash: xxhash.Sum64(buf), node: uint16(i)})
		}
	}
	// Sorting by (hash, node) makes collisions deterministic; node indexes
	// follow sorted IDs, so that is the same as ordering by ID.
	slices.SortFunc(ring, func(a, b vnode) int {
		if c := cmp.Compare(a.hash, b.hash); c != 0 {
			return c
		}
		return cmp.Compare(a.node, b.node)
	})
	return ring
}

// slotRing holds every slot's point on the ring and the slots sorted by it.
// Neither depends on the members, so they are computed once per process.
type slotRing struct {
	hash  [NumSlots]uint64
	order [NumSlots]uint16
}

var slotPoints = sync.OnceValue(func() *slotRing {
	r := new(slotRing)
	var b [2]byte
	for s := range NumSlots {
		binary.BigEndian.PutUint16(b[:], uint16(s))
		r.hash[s] = xxhash.Sum64(b[:])
		r.order[s] = uint16(s)
	}
	slices.SortFunc(r.order[:], func(a, b uint16) int { return cmp.Compare(r.hash[a], r.hash[b]) })
	return r
})

// SlotPoint is slot's position on the ring: xxhash64 of its two bytes,
// big-endian. Exported so the hashing can be checked from outside.
func SlotPoint(slot int) uint64 { return slotPoints().hash[slot] }

// Owner returns the index in Nodes of the node that owns slot, or -1 when
// no node does: the table has no nodes, or is a node's own while it is
// down (Cluster.Down). slot must be in [0, NumSlots). This is the routing
// hot path: one array read.
func (t *Table) Owner(slot int) int {
	o := t.owner[slot]
	if o == noOwner {
		return -1
	}
	return int(o)
}

// Local reports whether the local node owns slot. Always false for a table
// made by BuildTable, which has no local node.
func (t *Table) Local(slot int) bool {
	return t.self >= 0 && int(t.owner[slot]) == t.self
}

// Nodes returns the IDs of the nodes in the table, sorted; Owner's results
// index into it. The slice is shared and must not be modified.
func (t *Table) Nodes() []string { return t.nodes }

// Len returns the number of nodes in the table.
func (t *Table) Len() int { return len(t.nodes) }

// Index returns the index of node id in Nodes, or -1.
func (t *Table) Index(id string) int {
	if i, ok := slices.BinarySearch(t.nodes, id); ok {
		return i
	}
	return -1
}

// Addr returns the RESP address (host:port) that node i published when the
// table was built, the address clients and forwarding peers dial. It is ""
// for tables made by BuildTable, which know only IDs. Keeping addresses in
// the table means a router holding one *Table never pairs an owner with
// another view's address.
func (t *Table) Addr(i int) string {
	if i < 0 || i >= len(t.addrs) {
		return ""
	}
	return t.addrs[i]
}

// ClientAddr returns the address cluster-aware clients are told to dial for
// node i, in CLUSTER SLOTS, SHARDS, NODES and MOVED: the address the node
// announced (Config.AnnounceAddr), or else Addr(i). Forwarding between
// nodes uses Addr.
func (t *Table) ClientAddr(i int) string {
	if i >= 0 && i < len(t.clientAddrs) && t.clientAddrs[i] != "" {
		return t.clientAddrs[i]
	}
	return t.Addr(i)
}

// Ranges returns the whole table as runs of consecutive slots with one owner,
// in slot order: the shape of CLUSTER SLOTS. Empty for a table with no nodes.
func (t *Table) Ranges() []SlotRange {
	var rs []SlotRange
	for s := 0; s < NumSlots; s++ {
		o := t.owner[s]
		if o == noOwner {
			return nil
		}
		if n := len(rs); n > 0 && rs[n-1].Node == int(o) && rs[n-1].Last == s-1 {
			rs[n-1].Last = s
			continue
		}
		rs = append(rs, SlotRange{First: s, Last: s, Node: int(o)})
	}
	return rs
}

// SlotsOf returns the slot ranges owned by node id, in slot order (the slot
// list of CLUSTER NODES and CLUSTER SHARDS), or nil if id is not in the table.
func (t *Table) SlotsOf(id string) []SlotRange {
	i := t.Index(id)
	if i < 0 {
		return nil
	}
	var rs []SlotRange
	for _, r := range t.Ranges() {
		if r.Node == i {
			rs = append(rs, r)
		}
	}
	return rs
}

// Count returns how many slots node id owns.
func (t *Table) Count(id string) int {
	i := t.Index(id)
	if i < 0 {
		return 0
	}
	n := 0
	for _, o := range t.owner {
		if int(o) == i {
			n++
		}
	}
	return n
}

// Equal reports whether t and u assign every slot to the same node ID and
// list the same nodes. Addresses are not compared.
func (t *Table) Equal(u *Table) bool {
	return slices.Equal(t.Nodes(), u.Nodes()) && t.owner == u.owner
}

// Moved returns how many slots have a different owner in next than in prev,
// comparing node IDs (indexes differ between tables). A nil prev counts every
// slot as moved. This is the number of slots a membership change hands off;
// divided by NumSlots it is the fraction of keys that move.
func Moved(prev, next *Table) int {
	if prev == nil {
		return NumSlots
	}
	// Translate prev's indexes into next's once, then compare indexes.
	remap := make([]int, len(prev.nodes))
	for i, id := range prev.nodes {
		remap[i] = next.Index(id)
	}
	n := 0
	for s := range NumSlots {
		po, no := prev.Owner(s), next.Owner(s)
		switch {
		case po < 0 && no < 0:
		case po < 0 || no < 0 || remap[po] != no:
			n++
		}
	}
	return n
}
