package cluster

import (
	"sync"
	"time"
)

// What the cluster offers hand-off (protocol/handoff.go), which moves a
// slot's keys to its new owner when the slot changes hands: tables as
// they would be without a node, a node's own departure from its table,
// and a memory of members that went away, telling a graceful leave (a
// node still streaming its keys, worth asking for them) from a failure
// (nothing to ask).

// departedKeep is how long a departed member is remembered.
const departedKeep = 10 * time.Minute

// departures are members that left or failed, by ID.
type departures struct {
	mu sync.Mutex
	m  map[string]departure
}

type departure struct {
	member   Member
	graceful bool
	at       time.Time
}

// note records that member id, whose metadata was raw, went away:
// gracefully if its metadata said it was leaving (announceLeaving), else
// it failed.
func (d *departures) note(id string, raw []byte) {
	m := Member{ID: id}
	graceful := false
	if md, err := decodeMeta(raw); err == nil {
		m.RESPAddr, m.ClientAddr, m.TLSAddr, m.VNodes = md.RESP, md.Client, md.TLS, md.VNodes
		graceful = md.Leaving
	}
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.m == nil {
		d.m = make(map[string]departure)
	}
	for k, v := range d.m {
		if now.Sub(v.at) > departedKeep {
			delete(d.m, k)
		}
	}
	d.m[id] = departure{member: m, graceful: graceful, at: now}
}

// announceLeaving publishes, and waits up to timeout for gossip to carry,
// metadata that says this node is leaving gracefully: memberlist tells
// the others of a graceful leave and of a failure alike, and hand-off
// must know which (a node that left still hands its keys over; a failed
// one has none to give).
func (c *Cluster) announceLeaving(timeout time.Duration) {
	c.leaving.Store(true)
	if err := c.ml.UpdateNode(timeout); err != nil {
		c.log.Warn("announcing the leave", "err", err)
	}
}

// forget drops member id, which is back.
func (d *departures) forget(id string) {
	d.mu.Lock()
	delete(d.m, id)
	d.mu.Unlock()
}

// LeftGracefully reports whether member id has left the cluster by
// announcing it (a graceful leave: SIGTERM, SHUTDOWN), within the last
// minutes and without coming back. A node that left that way hands its
// keys to the new owners of its slots and answers for them until it is
// done; a member that failed has nothing to ask.
func (c *Cluster) LeftGracefully(id string) bool {
	c.departed.mu.Lock()
	defer c.departed.mu.Unlock()
	d, ok := c.departed.m[id]
	return ok && d.graceful
}

// DepartedAt returns the member, gone from the cluster, whose RESP
// address was addr: a node that left and is still handing off its keys
// is dialled (and proves itself, cluster.PeerKey) as the member it was.
func (c *Cluster) DepartedAt(addr string) (Member, bool) {
	c.departed.mu.Lock()
	defer c.departed.mu.Unlock()
	for _, d := range c.departed.m {
		if d.member.RESPAddr == addr {
			return d.member, true
		}
	}
	return Member{}, false
}

// Without returns the table t would be without node id (the same table
// if id is not in it): where each slot would be if id left, or, for a
// node that has just joined, where each slot was before it did.
func (t *Table) Without(id string) *Table {
	if t.Index(id) < 0 {
		return t
	}
	specs := make([]nodeSpec, 0, len(t.nodes))
	for i, n := range t.nodes {
		if n != id {
			specs = append(specs, nodeSpec{id: n, vnodes: t.vnodes[i], addr: t.addrs[i], clientAddr: t.clientAddrs[i]})
		}
	}
	self := ""
	if t.self >= 0 {
		self = t.nodes[t.self]
	}
	return buildTable(specs, self).withReplicas(t.nrep)
}

// Depart makes this node's own table the one without it, as the other
// nodes' tables are once they hear it left. Call it after Leave: the
// node then owns no slot, forwards every command to the new owners of
// its keys, and hand-off (an OnTableChange hook) streams those keys
// there while the node's listener stays up. Hooks run as for any change.
func (c *Cluster) Depart() {
	c.rebuildMu.Lock()
	defer c.rebuildMu.Unlock()
	prev := c.table.Load()
	next := prev.Without(c.id)
	if next == prev {
		return
	}
	next.self = -1
	moved := Moved(prev, next)
	if moved > 0 {
		c.tableHooks.changing(prev, next)
	}
	c.table.Store(next)
	if moved > 0 {
		c.ringChanges.Add(1)
		c.slotsMoved.Add(uint64(moved))
		c.tableHooks.changed(prev, next)
	}
	c.log.Info("left the slot table", "slots_moved", moved, "members", next.Len())
}

// OnTableChanges installs before as an OnTableChanging hook and after as
// an OnTableChange hook and, in the same step with respect to table
// changes, runs both once for the change from a table of this node alone
// (what it had before Start joined) to the current one, if that moved
// slots: a subscriber installed after Start, as the server's are, then
// sees the join Start made as if it had been there.
func (c *Cluster) OnTableChanges(before, after func(prev, next *Table)) {
	c.rebuildMu.Lock()
	defer c.rebuildMu.Unlock()
	c.OnTableChanging(before)
	c.OnTableChange(after)
	cur := c.table.Load()
	alone := c.alone()
	if cur != nil && cur != c.downTable && Moved(alone, cur) > 0 {
		before(alone, cur)
		after(alone, cur)
	}
}
