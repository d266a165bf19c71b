package route

import "github.com/cachesrv/cachesrv/cluster"

// ReplicaRead reports whether a read-only command of a READONLY client
// with keys may run on this node although another node owns them: in
// redirect mode, when the keys share one slot this node replicates
// (Redis Cluster's reads from a replica). The value read may be behind
// the owner's by the replication lag.
func (r *Router) ReplicaRead(keys [][]byte) bool {
	if r.mode != Redirect || len(keys) == 0 {
		return false
	}
	slot := cluster.Slot(keys[0])
	for _, k := range keys[1:] {
		if cluster.Slot(k) != slot {
			return false
		}
	}
	return r.cl.Table().LocalReplica(slot)
}
