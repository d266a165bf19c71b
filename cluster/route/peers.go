package route

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/batcher"
	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/protocol/resp"
)

// Forwarding (proxy mode): a command for keys another node owns is sent
// to that node over a persistent, pipelined connection and its reply is
// relayed. Commands from all clients bound for one peer go through one
// batcher, so under load many of them share one write; replies come back
// in order on the same connection and are matched to requests by
// position. A client waits for its forwarded command before running the
// next local one, and a write waits for its earlier writes to other
// peers (a client's writes must not become visible out of order), but
// reads, and writes to one peer, are sent without waiting.
const (
	forwardBatch  = 128
	forwardLinger = 0 // batch what queues up during a write; never wait
	forwardDial   = 2 * time.Second
)

// maxLinkBuffer is the largest batch buffer a TLS link keeps between
// batches; a batch of large values gets its own.
const maxLinkBuffer = 1 << 20

// forwardTimeout bounds a write to a peer and the wait for its reply (a
// variable so that tests can shorten it).
var forwardTimeout = 10 * time.Second

// call is one forwarded command.
type call struct {
	req   []byte // the command, RESP-encoded
	reply []byte // the peer's reply, RESP-encoded
	err   error
	done  chan struct{}
}

// result is the reply to relay: the peer's, or TRYAGAIN when forwarding
// failed (the client retries; the key's owner may have just changed).
func (c *call) result() []byte {
	if c.err != nil {
		return TryAgain(c.err)
	}
	return c.reply
}

// peers holds one link per peer RESP address.
type peers struct {
	// key is the peer key (cluster.PeerKey): with it a link proves the
	// cluster secret (peerauth.go). Without it, in a loopback-only or
	// explicitly insecure cluster, password is requirepass, which the
	// nodes share, and a link AUTHs with it before forwarding anything.
	key      []byte
	self     string                      // this node's ID
	member   func(string) cluster.Member // the member at a RESP address, zero if none
	password func() string
	// tls, when set, gives the client configuration links use
	// (tls-cluster): see New.
	tls func() *tls.Config

	mu    sync.Mutex
	links map[linkKey]*peerLink
}

// linkKey names a link: a peer's RESP address and the protocol the link
// speaks. A peer's reply comes back in the protocol of the link it came
// by, and must reach the client in the client's: so each peer has a RESP2
// link and, once a RESP3 client forwards something, a RESP3 one (HELLO 3
// after the handshake). The client's protocol picks the link per
// command; a peer's replies are relayed unchanged either way.
type linkKey struct {
	addr  string
	resp3 bool
}

// forwardStats are one link's counters, which the metrics export.
type forwardStats struct {
	commands, batches, errors atomic.Int64
	sizes                     [len(ForwardBatchBounds) + 1]atomic.Uint64
}

// ForwardBatchBounds are the upper bounds of the forwarded-batch-size
// histogram's buckets; the last bucket holds larger batches.
var ForwardBatchBounds = [...]int{1, 2, 4, 8, 16, 32, 64, 128}

// PeerForwardStats is a snapshot of forwarding to one peer.
type PeerForwardStats struct {
	Peer                      string // its RESP address
	Commands, Batches, Errors int64
	// BatchSizes counts batches per size bucket (not cumulative), bucket i
	// holding batches of at most ForwardBatchBounds[i] commands.
	BatchSizes [len(ForwardBatchBounds) + 1]uint64
}

// ForwardStats returns, per peer, what proxy mode forwarded to it (over
// its RESP2 and RESP3 links together).
func (r *Router) ForwardStats() []PeerForwardStats { return r.peers.snapshot() }

func (p *peers) snapshot() []PeerForwardStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	byPeer := make(map[string]*PeerForwardStats, len(p.links))
	for key, l := range p.links {
		ps := byPeer[key.addr]
		if ps == nil {
			ps = &PeerForwardStats{Peer: key.addr}
			byPeer[key.addr] = ps
		}
		ps.Commands += l.stats.commands.Load()
		ps.Batches += l.stats.batches.Load()
		ps.Errors += l.stats.errors.Load()
		for i := range ps.BatchSizes {
			ps.BatchSizes[i] += l.stats.sizes[i].Load()
		}
	}
	out := make([]PeerForwardStats, 0, len(byPeer))
	for _, ps := range byPeer {
		out = append(out, *ps)
	}
	slices.SortFunc(out, func(a, b PeerForwardStats) int { return strings.Compare(a.Peer, b.Peer) })
	return out
}

// link returns the link to the peer at addr speaking protocol proto (3:
// RESP3; anything else RESP2), connecting it on first use.
func (p *peers) link(addr string, proto int) *peerLink {
	key := linkKey{addr, proto == 3}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.links == nil {
		p.links = make(map[linkKey]*peerLink)
	}
	l := p.links[key]
	if l == nil {
		l = &peerLink{addr: addr, resp3: key.resp3, peers: p}
		l.b = batcher.New(forwardBatch, forwardLinger, l.flush)
		p.links[key] = l
	}
	return l
}

func (p *peers) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.links {
		l.b.Close()
		l.mu.Lock()
		if l.conn != nil {
			l.conn.Close()
		}
		l.mu.Unlock()
	}
	p.links = nil
}

// peerLink is the connection to one peer. flush (the batcher's goroutine)
// dials and writes; a reader goroutine per connection reads replies.
type peerLink struct {
	addr  string
	resp3 bool // the link sent HELLO 3: replies come back in RESP3
	peers *peers
	b     *batcher.Batcher[*call]
	stats forwardStats

	mu      sync.Mutex
	conn    net.Conn
	waiting []*call // sent, reply not yet read, in order

	wbuf []byte // a batch for a TLS link, joined; flush's alone
}

// send queues f for the peer; its done channel closes with the reply.
func (l *peerLink) send(f *call) {
	f.done = make(chan struct{})
	l.stats.commands.Add(1)
	// No timeout of its own: flushes always end (dial and write deadlines),
	// so a full batcher frees up, and the reply has the read deadline.
	if err := l.b.Add(context.Background(), f); err != nil {
		f.err = err
		close(f.done)
	}
}

func (l *peerLink) flush(fs []*call) {
	l.stats.batches.Add(1)
	bucket := len(ForwardBatchBounds)
	for i, b := range ForwardBatchBounds {
		if len(fs) <= b {
			bucket = i
			break
		}
	}
	l.stats.sizes[bucket].Add(1)
	l.mu.Lock()
	if l.conn == nil {
		conn, rd, err := dialPeer(l.addr, l.resp3, l.peers)
		if err != nil {
			l.mu.Unlock()
			for _, f := range fs {
				l.fail(f, err)
			}
			return
		}
		l.conn = conn
		go l.readReplies(conn, rd)
	}
	conn := l.conn
	l.waiting = append(l.waiting, fs...) // before writing: the reply may come at once
	// Replies are due within forwardTimeout of the latest request; a peer
	// that stops answering fails the link instead of stranding clients.
	// The reader clears the deadline when nothing is waiting (both under mu).
	conn.SetReadDeadline(time.Now().Add(forwardTimeout))
	l.mu.Unlock()
	conn.SetWriteDeadline(time.Now().Add(forwardTimeout))
	var err error
	if _, ok := conn.(*tls.Conn); ok {
		// A tls.Conn has no writev: net.Buffers would make each command
		// a TLS record and a system call of its own. Two nodes,
		// redis-benchmark GET -P 16 -c 50 on random keys (half of them
		// forwarded): 60-71k/s that way, 98-106k/s with the batch joined
		// into one Write (plain links: 112-157k/s). The buffer is only
		// this goroutine's.
		l.wbuf = l.wbuf[:0]
		for _, f := range fs {
			l.wbuf = append(l.wbuf, f.req...)
		}
		_, err = conn.Write(l.wbuf)
		if cap(l.wbuf) > maxLinkBuffer {
			l.wbuf = nil
		}
	} else {
		bufs := make(net.Buffers, len(fs))
		for i, f := range fs {
			bufs[i] = f.req
		}
		_, err = bufs.WriteTo(conn)
	}
	if err != nil {
		conn.Close() // the reader fails everything waiting
	}
}

func (l *peerLink) fail(f *call, err error) {
	l.stats.errors.Add(1)
	f.err = err
	close(f.done)
}

// PeerLinkName is the client name a forwarding link gives itself. What
// arrives over a peer link is never forwarded a second time (Route's
// viaPeer): a node that has just left the ring (or whose view lags) would
// otherwise send a command back over the link it came by and both would
// wait for the reply until forwardTimeout. In a cluster with a secret the
// name is only a label in CLIENT LIST: a link is one that proved the
// secret (peerauth.go); without a secret the name alone makes it one.
const PeerLinkName = "cachesrv-peer-link"

// PeerALPN is the application protocol a peer link offers in its TLS
// handshake (tls-cluster): it tells the node's TLS port that the dialer is
// a peer, whose client certificate it then requires whatever
// tls-auth-clients says, as Redis's cluster bus does.
const PeerALPN = "cachesrv-peer"

var peerHello = resp.AppendCommand(nil, []byte("CLIENT"), []byte("SETNAME"), []byte(PeerLinkName))

// dialPeer connects to the peer whose RESP address is addr and makes the
// connection a peer link (peers.hello), a RESP3 one if resp3. With
// tls-cluster it dials the peer's TLS address instead, and the handshake
// runs over TLS.
func dialPeer(addr string, resp3 bool, p *peers) (net.Conn, *bufio.Reader, error) {
	var m cluster.Member
	if p.member != nil {
		m = p.member(addr)
	}
	var conf *tls.Config
	dialAddr := addr
	if p.tls != nil {
		if conf = p.tls(); conf == nil {
			return nil, nil, errors.New("tls-cluster: no TLS configuration loaded")
		}
		if m.TLSAddr == "" {
			return nil, nil, fmt.Errorf("peer %s (%s) has no TLS address (tls-cluster no there?); not forwarding in clear text", addr, cmp.Or(m.ID, "not a member"))
		}
		dialAddr = m.TLSAddr
	}
	conn, err := net.DialTimeout("tcp", dialAddr, forwardDial)
	if err != nil {
		return nil, nil, err
	}
	conn.SetDeadline(time.Now().Add(forwardDial))
	if conf != nil {
		tc := tls.Client(conn, conf)
		if err := tc.Handshake(); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("TLS to peer %s: %w", dialAddr, err)
		}
		conn = tc
	}
	rd := bufio.NewReaderSize(conn, 64<<10)
	if err := p.hello(conn, rd, addr, m.ID); err != nil {
		conn.Close()
		return nil, nil, err
	}
	if resp3 {
		if err := helloRESP3(conn, rd, addr); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	conn.SetDeadline(time.Time{})
	return conn, rd, nil
}

// readReplies matches replies on conn to the commands waiting, in order.
func (l *peerLink) readReplies(conn net.Conn, rd *bufio.Reader) {
	for {
		reply, err := resp.AppendReply(nil, rd)
		l.mu.Lock()
		if err != nil || len(l.waiting) == 0 {
			if err == nil {
				err = errors.New("reply without a request")
			}
			waiting := l.waiting
			l.waiting = nil
			if l.conn == conn {
				l.conn = nil
			}
			l.mu.Unlock()
			conn.Close()
			for _, f := range waiting {
				l.fail(f, err)
			}
			return
		}
		f := l.waiting[0]
		l.waiting[0] = nil
		l.waiting = l.waiting[1:]
		if len(l.waiting) == 0 {
			conn.SetReadDeadline(time.Time{}) // idle links stay open
		}
		l.mu.Unlock()
		f.reply = reply
		close(f.done)
	}
}
