package protocol

import (
	"bytes"
	"strings"
	"time"
)

// Blocking commands in a cluster. In redirect mode a blocking command on
// a key another node owns answers -MOVED like any other (route). In proxy
// mode it is forwarded, and a forwarded command must not hold the peer
// link, which every client of this node shares with the owner: the owner
// runs a blocking command that arrives on a peer link as its non-blocking
// form (c.block refuses peer links), and the node the client talks to
// polls, asking again after a pause that grows from 5 to 100 ms, until
// an answer has data or the timeout passes. Meanwhile the client is
// blocked here as on a single node: INFO blocked_clients and CLIENT LIST
// count it, CLIENT UNBLOCK ends the wait, a disconnect ends it (the wait
// reads the socket, as waitBlocked does).
//
// The cost is a forwarded command per poll while a client waits on a
// remote key, and up to 100 ms of delay; the order of service among
// clients of different nodes blocked on one key is not kept. The better
// design, not built yet: the owner holds the wait and answers the
// forwarded request when served, with the link carrying a request id so
// that replies may come back out of order (the link's demultiplexer then
// matches replies to calls by id instead of by position).

const (
	pollFirst = 5 * time.Millisecond
	pollMax   = 100 * time.Millisecond
)

// blockTimeoutArg is the timeout argument of a blocking command.
func blockTimeoutArg(name string, args [][]byte) []byte {
	switch {
	case strings.HasSuffix(name, "mpop"): // BLMPOP, BZMPOP
		return args[1]
	case name == "blmove":
		return args[5]
	case name == "brpoplpush":
		return args[3]
	}
	return args[len(args)-1] // BLPOP, BRPOP, BZPOPMIN, BZPOPMAX
}

// isNullReply reports whether a forwarded reply is a null: what a
// blocking command answers when it has nothing.
func isNullReply(r []byte) bool {
	return bytes.Equal(r, []byte("*-1\r\n")) || bytes.Equal(r, []byte("$-1\r\n")) || bytes.Equal(r, []byte("_\r\n"))
}

// forwardBlocking runs a blocking command whose keys another node owns,
// in proxy mode, by polling the owner.
func (c *client) forwardBlocking(cmd *command, addr string, args [][]byte) {
	ms, ok := c.blockTimeout(blockTimeoutArg(cmd.name, args))
	if !ok {
		return
	}
	var deadline time.Time
	if ms > 0 && ms < 1<<40 {
		deadline = time.Now().Add(time.Duration(ms) * time.Millisecond)
	}
	b := &c.blk
	*b = blockState{pending: b.pending}
	defer func() {
		if b.w != nil {
			c.srv.blocking.unregister(b.w)
			c.endWait()
		}
		*b = blockState{pending: b.pending}
	}()
	// The arguments alias the read buffer, which stays put while the
	// client waits (bytes that come meanwhile go to b.pending).
	wait := pollFirst
	for {
		reply := c.srv.router.Forward(addr, args, c.Proto())
		if !isNullReply(reply) {
			c.WriteRaw(reply)
			return
		}
		now := time.Now()
		if !deadline.IsZero() && !now.Before(deadline) {
			c.WriteNullArray() // the timeout's reply, as Redis 7.0 gives it
			return
		}
		if b.w == nil {
			b.w = c.srv.blocking.register(c, nil)
			if c.flush() != nil {
				c.quit = true
				return
			}
		}
		b.deadline = now.Add(wait)
		if !deadline.IsZero() && deadline.Before(b.deadline) {
			b.deadline = deadline
		}
		wait = min(2*wait, pollMax)
		switch c.awaitWake() {
		case wakeGone:
			c.quit = true
			return
		case wakeError:
			c.errorReply("UNBLOCKED client unblocked via CLIENT UNBLOCK")
			return
		case wakeTimeout:
			c.srv.blocking.mu.Lock()
			unblocked := b.w.unblock == unblockTimeout
			c.srv.blocking.mu.Unlock()
			if unblocked {
				c.WriteNullArray()
				return
			}
		}
	}
}
