package route

import "github.com/cachesrv/cachesrv/protocol/resp"

// Forward sends a command to the node at addr and returns its reply, or
// a TRYAGAIN error reply when the link fails. proto is the client's
// protocol version (2 or 3): the reply comes in it.
func (r *Router) Forward(addr string, args [][]byte, proto int) []byte {
	c := &call{req: resp.AppendCommand(nil, args...)}
	r.peers.link(addr, proto).send(c)
	<-c.done
	return c.result()
}

// A RemoteCmd is a command of a pipeline bound for another node.
type RemoteCmd struct {
	Args  [][]byte
	Addr  string // the owner's RESP address
	Write bool   // the command may change data
	Proto int    // the client's protocol version: 3 for RESP3, else RESP2
}

// ForwardRun forwards a run of consecutive remote commands of one client's
// pipeline and passes their replies to reply, in order. Reads, and writes
// to one peer, go out without waiting (a link keeps their order); a write
// first waits for this run's earlier writes to other peers, so that no
// other client can see a later write of this client without an earlier
// one.
func (r *Router) ForwardRun(run []RemoteCmd, reply func([]byte)) {
	calls := make([]*call, len(run))
	var pending []*call // writes sent, not yet answered
	pendingPeer := ""
	for i, rc := range run {
		if rc.Write && len(pending) > 0 && pendingPeer != rc.Addr {
			for _, c := range pending {
				<-c.done
			}
			pending = pending[:0]
		}
		calls[i] = &call{req: resp.AppendCommand(nil, rc.Args...)}
		r.peers.link(rc.Addr, rc.Proto).send(calls[i])
		if rc.Write {
			pending, pendingPeer = append(pending, calls[i]), rc.Addr
		}
	}
	for _, c := range calls {
		<-c.done
		reply(c.result())
	}
}
