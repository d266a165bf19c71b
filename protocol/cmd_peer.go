package protocol

import (
	"crypto/tls"
	"net"

	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// CACHESRV.PEER is the node's side of the handshake by which another
// node's forwarding link proves the cluster secret (route's peerauth.go
// has the protocol). It needs no AUTH: a peer never sends requirepass, the
// proof stands in for it. A link that proved the secret is authenticated
// and treated as a peer link: what arrives over it is never forwarded
// again (Route's viaPeer), and a key this node does not own gets TRYAGAIN.
func init() {
	flags := flagNoScript | flagLoading | flagStale | flagFast | flagNoAuth | flagAllowBusy | flagNoMulti
	acl := []string{"fast", "connection"}
	register(&command{name: "cachesrv.peer", arity: -2, flags: flags, acl: acl, subs: subcommands(
		&command{name: "challenge", arity: 2, flags: flags, acl: acl, run: cmdPeerChallenge},
		&command{name: "auth", arity: 5, flags: flags, acl: acl, run: cmdPeerAuth},
	)})
	docs["cachesrv.peer"] = cmdDoc{summary: "A container for the handshake by which cluster nodes' forwarding links prove the cluster secret.",
		since: "0.1.0", group: "cluster", complexity: "Depends on subcommand."}
	docs["cachesrv.peer|challenge"] = cmdDoc{summary: "Returns a fresh challenge for CACHESRV.PEER AUTH on this connection.",
		since: "0.1.0", group: "cluster", complexity: "O(1)"}
	docs["cachesrv.peer|auth"] = cmdDoc{summary: "Makes the connection a peer link if the proof of the cluster secret holds; returns this node's own proof.",
		since: "0.1.0", group: "cluster", complexity: "O(1)", args: []argDoc{
			{name: "node-id", typ: "string"}, {name: "nonce", typ: "string"}, {name: "proof", typ: "string"}}}
}

// errPeerNeedsTLS answers CACHESRV.PEER AUTH on a node with tls-cluster yes
// over anything but a peer link's TLS handshake: a node that peers reach
// over TLS takes no link in clear text either, as Redis's cluster bus
// with tls-cluster serves TLS only. A member without tls-cluster thus
// cannot forward to it (its clients get TRYAGAIN).
const errPeerNeedsTLS = "ERR this node has tls-cluster yes: peer links must come over TLS to its tls-port"

// overPeerTLS reports whether conn is a TLS connection whose handshake was
// a peer link's (route.PeerALPN), which required a client certificate
// from the CAs (protocol/config's tls_cluster.go).
func overPeerTLS(conn net.Conn) bool {
	tc, ok := conn.(interface{ ConnectionState() tls.ConnectionState })
	return ok && tc.ConnectionState().NegotiatedProtocol == route.PeerALPN
}

// errNoPeerAuth answers CACHESRV.PEER on a node without a cluster secret,
// whose links authenticate the old way.
const errNoPeerAuth = "ERR this node has no cluster secret (--gossip-secret): peer links do not authenticate with CACHESRV.PEER"

func cmdPeerChallenge(c *client, _ [][]byte, _ store.Tx) {
	if !c.srv.router.PeerAuth() {
		c.errorReply(errNoPeerAuth)
		return
	}
	challenge := route.NewChallenge()
	c.peerChallenge = []byte(challenge)
	c.WriteBulkString(challenge)
}

func cmdPeerAuth(c *client, args [][]byte, _ store.Tx) {
	if !c.srv.router.PeerAuth() {
		c.errorReply(errNoPeerAuth)
		return
	}
	challenge := c.peerChallenge
	c.peerChallenge = nil // one attempt per challenge
	if c.srv.cfg.TLS.Cluster() && !overPeerTLS(c.net) {
		c.srv.log.Warn("refused a peer link: not over TLS, and this node has tls-cluster yes",
			"remote", c.net.RemoteAddr().String(), "claimed_node", resp.Clip(args[2], 128))
		c.errorReply(errPeerNeedsTLS)
		return
	}
	proof, err := c.srv.router.VerifyPeer(challenge, args[2], args[3], args[4])
	if err != nil {
		c.srv.log.Warn("refused a peer link: wrong or replayed proof of the cluster secret",
			"remote", c.net.RemoteAddr().String(), "claimed_node", resp.Clip(args[2], 128))
		c.errorReply(err.Error())
		return
	}
	c.authed, c.peerLink, c.protected = true, true, false
	// A link from another node carries many clients' commands: it is never
	// evicted for maxmemory-clients, as Redis never evicts its replicas.
	c.noEvict.Store(true)
	c.WriteBulkString(proof)
}
