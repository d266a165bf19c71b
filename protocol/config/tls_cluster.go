package config

import (
	"crypto/tls"
	"slices"

	"github.com/cachesrv/cachesrv/cluster/route"
)

// tls-cluster is Redis's setting for TLS between cluster nodes. Here the
// nodes talk over two channels: gossip, which memberlist already encrypts
// and authenticates with gossip-secret (AES-GCM), and the peer links that
// carry forwarded commands to a node's RESP port. With tls-cluster yes
// each node advertises its TLS port in its gossip metadata and links dial
// it with the node's certificate (mutual TLS), the challenge and response
// proving the cluster secret running inside. It needs tls-port, and is
// fixed at start (Redis lets CONFIG SET change it; here the TLS address
// is part of what a node advertises when it joins).
func init() {
	Settings = append(Settings,
		&Setting{Name: "tls-cluster", Default: "no", Bool: true, Usage: "cluster peer links over mutual TLS to each node's tls-port (tls-cert-file serves as the client certificate too, checked against tls-ca-cert-file/dir); needs tls-port",
			get: func(c *Config) string { return yesNo(c.TLS.Cluster()) },
			set: boolSetting(func(c *Config, b bool) {
				c.TLS.mu.Lock()
				c.TLS.s.Cluster = b
				c.TLS.mu.Unlock()
			})},
	)
}

// Cluster reports whether peer links run over TLS (tls-cluster yes).
func (t *TLSConfig) Cluster() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.s.Cluster
}

// PeerTLS returns what route.New takes for peer links: nil without
// tls-cluster (links in clear text), else a function giving the client
// configuration a new link dials with, which follows CONFIG SET of the
// certificate files as the server configuration does.
func (t *TLSConfig) PeerTLS() func() *tls.Config {
	if !t.Cluster() {
		return nil
	}
	return t.client.Load
}

// configFor returns the server configuration of one handshake: a peer
// link's (route.PeerALPN offered, tls-cluster yes) requires a client
// certificate; any other gets the tls-* settings as they are.
func (t *TLSConfig) configFor(hello *tls.ClientHelloInfo) *tls.Config {
	if peer := t.peer.Load(); peer != nil && slices.Contains(hello.SupportedProtos, route.PeerALPN) {
		return peer
	}
	return t.current.Load()
}
