package cluster

import "slices"

// Replicas: with R replicas, a slot also lives on the next R distinct
// nodes clockwise on the ring after its owner's virtual node (skipping
// further virtual nodes of nodes already chosen). That choice is what
// makes failover the ring's own work: when a slot's owner is gone, the
// slot's new owner is the first virtual node clockwise of the slot's
// point that belongs to another node, which is exactly the slot's first
// replica. A replica that already holds the slot's keys therefore serves
// them as soon as its table drops the dead node, and nothing has to be
// elected. (TestReplicaIsNextOwner checks it over random node sets.)
//
// When a replica leaves instead, the slot's replica list shifts by one
// and the node after the last replica becomes a replica: the owner fills
// it from its own keys.

// withReplicas computes, for every slot, its r replicas, and returns t.
// It runs while t is being built, before anyone else sees it. r < 1
// means none.
func (t *Table) withReplicas(r int) *Table {
	t.nrep, t.reps = 0, nil
	if r < 1 || len(t.nodes) == 0 {
		return t
	}
	t.nrep = r
	t.reps = make([]uint16, NumSlots*r)
	for i := range t.reps {
		t.reps[i] = noOwner
	}
	want := min(r, len(t.nodes)-1) // distinct nodes other than the owner
	if want == 0 {
		return t
	}
	total := 0
	for _, v := range t.vnodes {
		total += max(v, 1)
	}
	ring := placeRing(t.nodes, t.vnodes, total)
	points := slotPoints()
	j := 0
	seen := make([]uint16, 0, want+1)
	for _, p := range points.order {
		h := points.hash[p]
		for j < len(ring) && ring[j].hash < h {
			j++
		}
		// ring[j%len] is the owner's virtual node (as in buildTable).
		owner := t.owner[p]
		seen = append(seen[:0], owner)
		out := t.reps[int(p)*r : int(p)*r+r]
		n := 0
		for k := 1; k < len(ring) && n < want; k++ {
			node := ring[(j+k)%len(ring)].node
			if slices.Contains(seen, node) {
				continue
			}
			seen = append(seen, node)
			out[n] = node
			n++
		}
	}
	return t
}

// ReplicaCount returns how many replicas the table gives each slot (the
// --cluster-replicas setting), 0 when it has none; a slot has fewer when
// the cluster has too few nodes.
func (t *Table) ReplicaCount() int { return t.nrep }

// Replicas appends to dst the indexes in Nodes of slot's replicas, first
// replica first, and returns it.
func (t *Table) Replicas(dst []int, slot int) []int {
	if t.nrep == 0 {
		return dst
	}
	for _, n := range t.reps[slot*t.nrep : slot*t.nrep+t.nrep] {
		if n == noOwner {
			break
		}
		dst = append(dst, int(n))
	}
	return dst
}

// IsReplica reports whether node index i is one of slot's replicas.
func (t *Table) IsReplica(slot, i int) bool {
	if t.nrep == 0 || i < 0 {
		return false
	}
	for _, n := range t.reps[slot*t.nrep : slot*t.nrep+t.nrep] {
		if int(n) == i {
			return true
		}
	}
	return false
}

// LocalReplica reports whether the local node is one of slot's replicas.
func (t *Table) LocalReplica(slot int) bool { return t.IsReplica(slot, t.self) }

// Self returns the index of the local node in Nodes, -1 if it is not in
// the table.
func (t *Table) Self() int { return t.self }

// ReplicaRange is a run of consecutive slots with the same owner and the
// same replicas: the shape of CLUSTER SLOTS with replicas.
type ReplicaRange struct {
	First, Last int
	Node        int   // owner, index in Nodes
	Replicas    []int // indexes in Nodes, first replica first
}

// ReplicaRanges is Ranges with each run's replicas: a run ends where the
// owner or the replica list changes.
func (t *Table) ReplicaRanges() []ReplicaRange {
	var rs []ReplicaRange
	for s := 0; s < NumSlots; s++ {
		o := t.Owner(s)
		if o < 0 {
			return nil
		}
		reps := t.Replicas(nil, s)
		if n := len(rs); n > 0 && rs[n-1].Node == o && rs[n-1].Last == s-1 && slices.Equal(rs[n-1].Replicas, reps) {
			rs[n-1].Last = s
			continue
		}
		rs = append(rs, ReplicaRange{First: s, Last: s, Node: o, Replicas: reps})
	}
	return rs
}
