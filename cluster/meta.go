package cluster

import (
	"encoding/json"
	"errors"
	"fmt"
)

// metaVersion is the version of what nodes tell each other in memberlist
// metadata and, by extension, of the node-to-node protocol. A node that
// changes the meaning of a field, or how peers must talk to it, bumps it, so
// peers can tell an incompatible node from a broken one.
const metaVersion = 1

// meta is what every node publishes about itself through memberlist's node
// metadata (at most 512 bytes, carried in every alive message): everything
// another node needs to route to it, and nothing that changes often.
type meta struct {
	// Version is metaVersion of the publishing node.
	Version int `json:"v"`
	// RESP is the host:port where clients and forwarding peers reach the
	// node's Redis port (Config.AdvertiseAddr). Gossip addresses are not
	// enough: the RESP port differs, and behind NAT so may the host.
	RESP string `json:"resp"`
	// Client, when set, is the host:port cluster-aware clients are told to
	// dial instead of RESP (Config.AnnounceAddr): CLUSTER SLOTS and MOVED
	// name it, forwarding does not use it. Nodes that predate it ignore it.
	Client string `json:"client,omitempty"`
	// TLS, when set, is the host:port of the node's TLS RESP port, which
	// forwarding peers dial when they run with tls-cluster
	// (Config.AdvertiseTLSAddr). Empty on nodes without tls-cluster and on
	// nodes that predate it; a peer that requires TLS then refuses to
	// forward to them rather than fall back to clear text.
	TLS string `json:"tls,omitempty"`
	// VNodes is how many virtual nodes the node places on the ring. Each
	// node's own count is used, so every node computes the same table even
	// if their configurations disagree.
	VNodes int `json:"vn"`
	// Leaving is set by a node about to leave gracefully (Leave), just
	// before it announces the leave: the others then know it is handing
	// off its keys, not failing (memberlist reports both as a leave).
	Leaving bool `json:"leaving,omitempty"`
}

// encode is JSON: small, self-describing and forgiving of fields added later,
// which matters in a rolling upgrade where old and new nodes read each
// other's metadata.
func (m meta) encode() []byte {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err) // cannot happen for this struct
	}
	return b
}

func decodeMeta(b []byte) (meta, error) {
	var m meta
	if len(b) == 0 {
		return m, errors.New("no metadata (not a cachesrv node?)")
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("bad metadata: %w", err)
	}
	if m.Version < 1 {
		return m, fmt.Errorf("bad metadata version %d", m.Version)
	}
	if m.RESP == "" {
		return m, errors.New("metadata has no RESP address")
	}
	if m.VNodes < 1 || m.VNodes > maxVNodes {
		return m, fmt.Errorf("metadata has %d virtual nodes, want 1…%d", m.VNodes, maxVNodes)
	}
	return m, nil
}
