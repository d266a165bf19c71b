package route

import (
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"

	"github.com/cachesrv/cachesrv/protocol/resp"
)

// Peer links authenticate with the cluster secret by challenge and
// response, both ways, before anything else is sent:
//
//	dialer → CACHESRV.PEER CHALLENGE
//	node   ← <challenge>                     32 fresh random bytes, hex
//	dialer → CACHESRV.PEER AUTH <dialer-id> <nonce> <dialer-proof>
//	node   ← <node-proof>
//
// Each proof is an HMAC-SHA256, keyed by the peer key (cluster.PeerKey,
// derived from the secret), over a role label, the challenge, the dialer's
// node ID, the ID of the node it means to reach and the dialer's own fresh
// nonce. The node accepts one AUTH per challenge and forgets the challenge
// then, so a recorded handshake cannot be replayed: a new connection gets
// a new challenge. A challenge rather than a timestamp window means no
// reliance on synchronised clocks and no cache of seen nonces to bound;
// its cost is one round trip per link, and links persist. The dialer
// checks the node's proof before sending a command, so a process that has
// taken over a member's address learns neither data nor any password.
// Naming the target node in the proof keeps a process at one member's
// address from relaying the handshake to another member and being taken
// for the dialer there. Without TLS the link is still readable and
// alterable on the wire: the handshake proves who is at each end, it does
// not protect what follows. With tls-cluster the handshake runs inside
// TLS (peers.go's dialPeer), which protects the rest.

// PeerCommand is the command of the handshake; its subcommands are
// CHALLENGE and AUTH.
const PeerCommand = "CACHESRV.PEER"

const (
	nonceBytes = 32
	roleDialer = "cachesrv peer dialer"
	roleNode   = "cachesrv peer node"
	maxNodeID  = 128 // longest node ID, as cluster.Config.NodeID allows
)

// ErrPeerAuth is the node's answer to a wrong or replayed proof.
var ErrPeerAuth = errors.New("ERR invalid peer proof")

// NewChallenge returns a fresh challenge for CACHESRV.PEER CHALLENGE.
func NewChallenge() string {
	b := make([]byte, nonceBytes)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// PeerAuth reports whether peer links must prove the cluster secret (the
// cluster has one). Otherwise, on a loopback-only or explicitly insecure
// cluster, a link is one that names itself PeerLinkName, as before. It is
// false for a nil Router (a single node).
func (r *Router) PeerAuth() bool { return r != nil && r.peers.key != nil }

// VerifyPeer checks CACHESRV.PEER AUTH's proof against the challenge this
// node gave the connection and, when it holds, returns this node's own
// proof for the dialer to check.
func (r *Router) VerifyPeer(challenge, dialer, nonce, proof []byte) (string, error) {
	if !r.PeerAuth() || len(challenge) == 0 || len(dialer) == 0 || len(dialer) > maxNodeID || len(nonce) != 2*nonceBytes {
		return "", ErrPeerAuth
	}
	if want := DialerProof(r.peers.key, string(challenge), string(dialer), r.cl.ID(), string(nonce)); !hmac.Equal(proof, []byte(want)) {
		return "", ErrPeerAuth
	}
	return NodeProof(r.peers.key, string(challenge), string(dialer), r.cl.ID(), string(nonce)), nil
}

// DialerProof is the proof a dialer sends in CACHESRV.PEER AUTH, hex: of
// the node's challenge, the dialer's ID, the ID of the node it means to
// reach (target) and its nonce, keyed by the peer key.
func DialerProof(key []byte, challenge, dialer, target, nonce string) string {
	return hex.EncodeToString(peerProof(key, roleDialer, []byte(challenge), []byte(dialer), []byte(target), []byte(nonce)))
}

// NodeProof is the node's answer to a valid CACHESRV.PEER AUTH, hex.
func NodeProof(key []byte, challenge, dialer, target, nonce string) string {
	return hex.EncodeToString(peerProof(key, roleNode, []byte(challenge), []byte(dialer), []byte(target), []byte(nonce)))
}

// peerProof is the HMAC of one side of the handshake. Each field goes in
// with its length, so no two different sets of fields hash alike.
func peerProof(key []byte, role string, challenge, dialer, target, nonce []byte) []byte {
	m := hmac.New(sha256.New, key)
	for _, f := range [][]byte{[]byte(role), challenge, dialer, target, nonce} {
		m.Write(binary.BigEndian.AppendUint32(nil, uint32(len(f))))
		m.Write(f)
	}
	return m.Sum(nil)
}

// hello makes a fresh connection to the peer at addr, the member target
// ("" if none), a peer link: with the cluster secret, the handshake above;
// without one, AUTH with requirepass (when set) and the name PeerLinkName.
func (p *peers) hello(conn net.Conn, rd *bufio.Reader, addr, target string) error {
	if p.key == nil {
		return p.helloInsecure(conn, rd)
	}
	if target == "" {
		return fmt.Errorf("no cluster member at %s", addr)
	}
	if _, err := conn.Write(resp.AppendCommand(nil, []byte(PeerCommand), []byte("CHALLENGE"))); err != nil {
		return err
	}
	v, err := resp.ReadValue(rd)
	if err != nil {
		return err
	}
	challenge, ok := v.(string)
	if !ok || len(challenge) != 2*nonceBytes {
		return fmt.Errorf("peer %s (%s) gave no challenge: %v", addr, target, v)
	}
	nonce := NewChallenge()
	proof := DialerProof(p.key, challenge, p.self, target, nonce)
	req := resp.AppendCommand(nil, []byte(PeerCommand), []byte("AUTH"), []byte(p.self), []byte(nonce), []byte(proof))
	// The name shows the link in CLIENT LIST; it grants nothing here.
	req = append(req, peerHello...)
	if _, err := conn.Write(req); err != nil {
		return err
	}
	if v, err = resp.ReadValue(rd); err != nil {
		return err
	}
	answer, _ := v.(string)
	if want := NodeProof(p.key, challenge, p.self, target, nonce); !hmac.Equal([]byte(answer), []byte(want)) {
		return fmt.Errorf("peer %s (%s) did not prove the cluster secret: %v", addr, target, v)
	}
	_, err = resp.AppendReply(nil, rd) // CLIENT SETNAME's +OK
	return err
}

// helloInsecure is the link's greeting in a cluster without a secret.
func (p *peers) helloInsecure(conn net.Conn, rd *bufio.Reader) error {
	hello, replies := peerHello, 1
	if p.password != nil {
		if pass := p.password(); pass != "" {
			hello = resp.AppendCommand(nil, []byte("AUTH"), []byte(pass))
			hello, replies = append(hello, peerHello...), 2
		}
	}
	_, err := conn.Write(hello)
	// An error reply (a peer with another password) leaves the link
	// unauthenticated or unnamed; the forwarded commands then get the
	// peer's error.
	for ; err == nil && replies > 0; replies-- {
		_, err = resp.AppendReply(nil, rd)
	}
	return err
}

var helloRESP3Cmd = resp.AppendCommand(nil, []byte("HELLO"), []byte("3"))

// helloRESP3 switches a peer link, after its handshake, to RESP3: what a
// RESP3 client forwards over it comes back as that client expects it.
// The peer must answer with RESP3's map; a peer that refuses (an error
// reply, say NOPROTO) fails the link, rather than relay RESP2 replies to
// a RESP3 client.
func helloRESP3(conn net.Conn, rd *bufio.Reader, addr string) error {
	if _, err := conn.Write(helloRESP3Cmd); err != nil {
		return err
	}
	reply, err := resp.AppendReply(nil, rd)
	if err != nil {
		return err
	}
	if reply[0] != '%' {
		return fmt.Errorf("peer %s refused RESP3: %s", addr, resp.Clip(reply, 200))
	}
	return nil
}
