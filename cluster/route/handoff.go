package route

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/cluster"

	"github.com/cachesrv/cachesrv/protocol/resp"
)

// bulkPeers are links of their own for bulk transfers between nodes
// (hand-off streaming a slot's keys to its new owner), made lazily.
type bulkPeers struct {
	once sync.Once
	p    *peers

	// waitedOut is the table under which RouteSettled last waited in
	// vain: under it, it does not wait again.
	waitedOut atomic.Pointer[cluster.Table]
}

// ForwardBulk is Forward over a separate set of links, one per peer,
// for hand-off's commands: a batch of a megabyte must not queue ahead of
// the clients' forwarded commands on the shared link (the link is
// pipelined, so a command waits for everything sent before it), and a
// command the peer runs without waiting on any other node (hand-off's
// are such) must not queue behind one that does: that one may be waiting
// for this node. The reply is RESP2.
func (r *Router) ForwardBulk(addr string, args [][]byte) []byte {
	r.bulk.once.Do(func() {
		r.bulk.p = &peers{key: r.peers.key, self: r.peers.self, member: r.peers.member, password: r.peers.password, tls: r.peers.tls}
	})
	if r.bulk.p == nil {
		return TryAgain(errors.New("the node is shutting down"))
	}
	c := &call{req: resp.AppendCommand(nil, args...)}
	r.bulk.p.link(addr, 2).send(c)
	<-c.done
	return c.result()
}

func (b *bulkPeers) close() {
	b.once.Do(func() {}) // no links made from here on
	if b.p != nil {
		b.p.close()
	}
}

// RouteSettled is Route for a command that arrived over a peer link and
// was refused because this node does not own its keys (TRYAGAIN): the
// peer's table and this node's disagree, as they do for a moment after
// every join or leave, while gossip carries the change. Rather than fail
// the command, it waits up to wait for this node's table to change, and
// routes it again each time it does. On a leave, the leaving node forwards
// its clients' commands to the new owners as soon as it has left, and a
// new owner that has not yet heard of the leave would otherwise refuse
// them. Any other decision is returned as it is. A wait that ends with
// the table unchanged is not repeated under the same table: tables that
// stay apart (a partition) cost each forwarded command nothing more.
func (r *Router) RouteSettled(name string, keys [][]byte, viaPeer bool, d Decision, wait time.Duration) Decision {
	if !viaPeer || d.Kind != Refused || d.Err != errTryAgain {
		return d
	}
	deadline := time.Now().Add(wait)
	t := r.cl.Table()
	if r.bulk.waitedOut.Load() == t {
		return d
	}
	defer func() {
		if d.Kind == Refused && r.cl.Table() == t {
			r.bulk.waitedOut.Store(t)
		}
	}()
	for time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		if next := r.cl.Table(); next != t {
			t = next
			if d = r.Route(name, keys, viaPeer); d.Kind != Refused || d.Err != errTryAgain {
				return d
			}
		}
	}
	return d
}
