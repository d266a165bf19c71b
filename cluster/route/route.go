// Package route decides where a command runs in a cluster, and carries it
// there: on this node, forwarded whole to the node that owns its keys,
// split over several nodes and merged (proxy mode), or refused with
// Redis Cluster's answer (-MOVED in redirect mode, -CROSSSLOT,
// -TRYAGAIN, -CLUSTERDOWN).
//
// It knows the slot table (package cluster) and the RESP wire format
// (package resp), not the command table: the caller hands it a command's
// keys, and runs local work through the small Local interface.
package route

import (
	"crypto/tls"
	"strconv"

	"github.com/cachesrv/cachesrv/cluster"
)

// Mode is what a node does with a command for keys another node owns.
type Mode int

const (
	// Proxy forwards the command to the owner and relays the reply, so any
	// Redis client works against any node.
	Proxy Mode = iota
	// Redirect answers -MOVED <slot> <host:port>, exactly as Redis Cluster
	// does; cluster-aware clients follow it.
	Redirect
)

var modeNames = [...]string{Proxy: "proxy", Redirect: "redirect"}

func (m Mode) String() string { return modeNames[m] }

// ParseMode parses "proxy" or "redirect".
func ParseMode(s string) (Mode, bool) {
	for m, name := range modeNames {
		if s == name {
			return Mode(m), true
		}
	}
	return 0, false
}

// Kind is where a command runs.
type Kind uint8

const (
	Local   Kind = iota // here
	Remote              // forwarded whole to one peer (Decision.Addr)
	Split               // keys on several nodes: split, forward, merge (proxy mode)
	Refused             // answered with Decision.Err
)

// Decision is where one command runs.
type Decision struct {
	Kind Kind
	Addr string // Remote: the owner's RESP address
	Err  string // Refused: the error reply, Redis Cluster's wording
}

// Redis Cluster's refusals.
const (
	ErrCrossSlot   = "CROSSSLOT Keys in request don't hash to the same slot"
	errClusterDown = "CLUSTERDOWN The cluster is down"
	// errTryAgain answers a command that arrived over a peer link for
	// keys this node does not own; cluster clients retry on TRYAGAIN.
	errTryAgain = "TRYAGAIN The slot moved while the command was forwarded; try again"
)

// Router routes the commands of one node.
type Router struct {
	cl       *cluster.Cluster
	mode     Mode
	peers    *peers
	tracking trackedPool // client-side caching through this node (tracking.go)
	bulk     bulkPeers   // hand-off's links of their own (handoff.go)
}

// New returns the router of a node of cl. Its peer links prove cl's
// secret (cluster.PeerKey); in a cluster without one, password returns
// requirepass, which the nodes then share, and the links AUTH with it.
// peerTLS, when not nil, gives the client TLS configuration of a new peer
// link (tls-cluster yes): links then dial each peer's TLS address
// (cluster.Member.TLSAddr) and never fall back to clear text. It is a
// function so that certificates reloaded by CONFIG SET reach new links;
// route cannot take the settings themselves (protocol/config imports
// route).
func New(cl *cluster.Cluster, mode Mode, password func() string, peerTLS func() *tls.Config) *Router {
	return &Router{cl: cl, mode: mode, peers: &peers{key: cl.PeerKey(), self: cl.ID(), member: memberAt(cl), password: password, tls: peerTLS}}
}

// memberAt returns a function giving the member whose RESP address is
// addr, the zero Member if none: the node a link to addr means to reach.
func memberAt(cl *cluster.Cluster) func(addr string) cluster.Member {
	return func(addr string) cluster.Member {
		for _, m := range cl.Members() {
			if m.RESPAddr == addr {
				return m
			}
		}
		// A node that has left but is still handing off its keys
		// (protocol/handoff.go) is dialled as the member it was.
		m, _ := cl.DepartedAt(addr)
		return m
	}
}

// Cluster returns the cluster the node belongs to.
func (r *Router) Cluster() *cluster.Cluster { return r.cl }

// Close closes the links to other nodes.
func (r *Router) Close() {
	r.peers.close()
	r.tracking.close()
	r.bulk.close()
}

// Route decides where the command name (lower case) with the given keys
// runs, without side effects. viaPeer says it arrived over another node's
// forwarding link (see PeerLinkName), which must never be forwarded again.
func (r *Router) Route(name string, keys [][]byte, viaPeer bool) Decision {
	if len(keys) == 0 {
		return Decision{Kind: Local}
	}
	t := r.cl.Table()
	slot := cluster.Slot(keys[0])
	owner := t.Owner(slot)
	if owner < 0 {
		// No node serves the slot: a node that has not yet joined or
		// bootstrapped a cluster serves none (cluster.Cluster.Down).
		return Decision{Kind: Refused, Err: errClusterDown}
	}
	sameSlot, sameOwner := true, true
	for _, key := range keys[1:] {
		s := cluster.Slot(key)
		sameSlot = sameSlot && s == slot
		sameOwner = sameOwner && t.Owner(s) == owner
	}
	if r.mode == Redirect {
		switch {
		case !sameSlot:
			return Decision{Kind: Refused, Err: ErrCrossSlot}
		case t.Local(slot):
			return Decision{Kind: Local}
		}
		return Decision{Kind: Refused, Err: "MOVED " + strconv.Itoa(slot) + " " + t.ClientAddr(owner)}
	}
	switch {
	case sameOwner && t.Local(slot):
		return Decision{Kind: Local}
	case viaPeer && t.Index(r.cl.ID()) >= 0:
		// Forwarded here by a node whose table differs from ours (one of
		// us is behind a join or a leave): fail fast, and let the client's
		// retry find the owner, rather than forward it again. A node that
		// has left (it is not in its own table, and is handing off its
		// keys) forwards it once more instead: the peer has not heard of
		// the leave yet, and the new owner, taking it over a peer link,
		// will not forward it a third time.
		return Decision{Kind: Refused, Err: errTryAgain}
	case sameOwner:
		return Decision{Kind: Remote, Addr: t.Addr(owner)}
	case splits[name].sub != "":
		return Decision{Kind: Split}
	}
	return Decision{Kind: Refused, Err: ErrCrossSlot}
}
