package cluster

import (
	"cmp"
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
)

// The cluster secret (Config.SecretKey) is the one proof of membership.
// Gossip is keyed with its SHA-256 (memberlist's AES-GCM keyring: a node
// without the key can neither read nor forge a packet, so it cannot join
// or be admitted), and forwarding links between nodes prove it with an
// HMAC keyed by PeerKey, a separate key derived with HKDF, so that
// neither use of the secret lends anything to the other.

// ErrNoSecret is Start's refusal to gossip on an address other hosts can
// reach without a secret: anyone who reaches such a port joins the
// cluster, is given slots, and receives the writes for them.
var ErrNoSecret = errors.New("cluster: gossip is reachable from other hosts but no cluster secret is set: any process that reaches it could join the cluster, take slots and receive their data")

// peerKeyInfo labels the HKDF derivation of PeerKey; a new version of the
// peer handshake would change it.
const peerKeyInfo = "cachesrv peer link v1"

// LoopbackOnly reports whether a gossip bind address is reachable from
// this host alone. An empty address is the wildcard, and a name is not
// resolved: memberlist binds every interface for one it cannot parse.
func LoopbackOnly(bind string) bool {
	ip := net.ParseIP(bind)
	return ip != nil && ip.IsLoopback()
}

// checkSecret refuses a reachable gossip address without a secret, or
// warns when cfg.AllowInsecure overrides that.
func (cfg *Config) checkSecret() error {
	if len(cfg.SecretKey) > 0 || LoopbackOnly(cfg.BindAddr) {
		return nil
	}
	bind := cmp.Or(cfg.BindAddr, "0.0.0.0")
	if !cfg.AllowInsecure {
		return fmt.Errorf("%w (gossip bind %s)", ErrNoSecret, bind)
	}
	cmp.Or(cfg.Logger, slog.Default()).Warn("INSECURE CLUSTER: gossip listens on an address other hosts can reach, with no cluster secret; "+
		"any process that reaches the gossip port can join, take slots, and receive and serve their keys", "gossip_bind", bind)
	return nil
}

// PeerKey returns the key forwarding links prove the cluster secret with
// (see package route), or nil when the cluster has no secret.
func (c *Cluster) PeerKey() []byte {
	if len(c.cfg.SecretKey) == 0 {
		return nil
	}
	key, err := hkdf.Key(sha256.New, c.cfg.SecretKey, nil, peerKeyInfo, sha256.Size)
	if err != nil {
		panic("cluster: deriving the peer key: " + err.Error()) // only for lengths HKDF cannot produce
	}
	return key
}
