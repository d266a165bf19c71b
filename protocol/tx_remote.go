package protocol

import (
	"bytes"

	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/resp"
)

// Transactions on another node's keys, in proxy mode. A client of node A
// may MULTI ... EXEC over keys that node B owns, as over a single Redis:
// A queues the commands, and EXEC sends those with keys to B as one
// MULTI ... EXEC, atomic there; commands without keys (PING, CLIENT
// CACHING, ...) concern the connection, so they run on A, in their place
// in EXEC's reply. All the keys of one transaction must live on one node,
// or the command that breaks the rule gets CROSSSLOT and EXEC then
// EXECABORT, as in Redis Cluster. WATCH of another node's keys takes a
// connection to that node for the client (route.Pinned) and sends the
// WATCH there at once; the transaction then runs on that connection, so
// the owner aborts it if a watched key changed in between.

// routeTo records where a command queued in the transaction runs and
// reports whether that keeps the whole transaction on one node.
func (m *multiState) routeTo(cmd *command, d route.Decision) bool {
	switch d.Kind {
	case route.Local:
		if cmd.firstKey == 0 && cmd.keys == nil && cmd.flags&flagKeyspace == 0 {
			return true // no keys: runs here in any case
		}
		if m.remote != "" {
			return false
		}
		m.local = true
		return true
	case route.Remote:
		if m.local || (m.remote != "" && m.remote != d.Addr) || cmd.flags&flagSelfLocking != 0 {
			return false
		}
		m.remote = d.Addr
		return true
	}
	return false // split across nodes
}

// execRemote runs a transaction whose keys another node owns (see above).
func (c *client) execRemote(m *multiState) {
	var (
		sent    [][][]byte
		tracked bool
	)
	local := make([][]byte, len(m.queued)) // replies of keyless commands
	o := c.track.Load()
	for i, q := range m.queued {
		if q.cmd.firstKey == 0 && q.cmd.keys == nil {
			local[i] = c.runCaptured(q.cmd, q.args)
			continue
		}
		if o != nil && tracksRead(o, q.cmd, c.caching) {
			c.rememberKeys(q.cmd, q.args) // before the owner answers: see tracking.go
			tracked = true
		}
		sent = append(sent, q.args)
	}
	c.caching = 0
	var (
		reply []byte
		elems [][]byte
	)
	if p := c.pinned; p != nil {
		reply, elems = p.Tx(sent) // after the client's WATCH, on its connection
		p.Release(false)          // EXEC ended the watch
		c.pinned = nil
	} else {
		reply, elems = c.srv.router.ForwardTx(m.remote, sent, c.Proto(), tracked)
	}
	if elems == nil {
		c.WriteRaw(reply) // EXECABORT, a null (WATCH), or the link failed
		return
	}
	c.WriteArray(len(m.queued))
	j := 0
	for i := range m.queued {
		if local[i] != nil {
			c.WriteRaw(local[i])
		} else {
			c.WriteRaw(elems[j])
			j++
		}
	}
}

// runCaptured runs a resolved command here and returns its reply instead
// of writing it (RunLocal for a command already looked up).
func (c *client) runCaptured(cmd *command, args [][]byte) []byte {
	if c.capture == nil {
		c.capture = resp.NewWriter(&c.captureBuf)
	}
	c.capture.SetProto(c.Proto())
	saved := c.Writer
	c.Writer = c.capture
	c.call(cmd, args)
	c.Writer.Flush()
	c.Writer = saved
	reply := bytes.Clone(c.captureBuf.Bytes())
	c.captureBuf.Reset()
	return reply
}

// watchRemote runs WATCH of keys another node owns, on a connection to it
// held for this client until EXEC, DISCARD or UNWATCH.
func (c *client) watchRemote(addr string, args [][]byte) {
	if len(c.watches) > 0 || (c.pinned != nil && c.pinned.Addr != addr) {
		c.errorReply(route.ErrCrossSlot) // watches on two nodes
		return
	}
	if c.pinned == nil {
		p, err := c.srv.router.Pin(addr, c.Proto())
		if err != nil {
			c.failed = true
			c.WriteRaw(route.TryAgain(err))
			return
		}
		c.pinned = p
	}
	c.WriteRaw(c.pinned.Do(args))
}
