package route

import (
	"bytes"
	"strconv"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/protocol/resp"
)

// LocalRunner runs commands on this node for Split.
type LocalRunner interface {
	// RunLocal runs a single-key command here and returns its reply.
	RunLocal(args [][]byte) []byte
	// Proto is the client's protocol version (2 or 3): the local replies,
	// the forwarded ones and the merged one are all in it.
	Proto() int
	// Tracked reports whether the command is a read of a client that
	// tracks keys (client-side caching): the parts go over tracked links
	// (ForwardTracked), one at a time.
	Tracked() bool
}

// How proxy mode splits a multi-key command whose keys live on several
// nodes: each key (key/value pair for MSET) becomes one sub-command, and
// the replies merge into the one Redis would give.
type splitSpec struct {
	sub   string // the sub-command
	step  int    // arguments per sub-command
	merge int    // how replies combine
}

const (
	mergeArray = iota // MGET: an array of the replies, in key order
	mergeSum          // DEL, UNLINK, EXISTS, TOUCH: the sum of the counts
	mergeOK           // MSET: OK
)

var splits = map[string]splitSpec{
	"mget":   {"GET", 1, mergeArray},
	"mset":   {"SET", 2, mergeOK},
	"del":    {"DEL", 1, mergeSum},
	"unlink": {"UNLINK", 1, mergeSum},
	"exists": {"EXISTS", 1, mergeSum},
	"touch":  {"TOUCH", 1, mergeSum},
}

// Split runs the command args (named name, lower case), which Route
// decided to split, as one sub-command per key, each run here through
// local or forwarded to its owner, and returns the merged reply. Unlike on
// one node, such a command is not atomic. An error in a part makes the
// reply that error (for MGET, that key's element is nil).
func (r *Router) Split(name string, args [][]byte, local LocalRunner) []byte {
	spec := splits[name]
	if (len(args)-1)%spec.step != 0 {
		return []byte("-ERR wrong number of arguments for '" + name + "' command\r\n")
	}
	t := r.cl.Table()
	proto := local.Proto()
	parts := make([]*call, 0, (len(args)-1)/spec.step)
	for i := 1; i < len(args); i += spec.step {
		subArgs := append([][]byte{[]byte(spec.sub)}, args[i:i+spec.step]...)
		c := &call{done: make(chan struct{})}
		if slot := cluster.Slot(args[i]); t.Local(slot) {
			c.reply = local.RunLocal(subArgs)
			close(c.done)
		} else if local.Tracked() {
			c.reply = r.ForwardTracked(t.Addr(t.Owner(slot)), subArgs, proto)
			close(c.done)
		} else {
			c.req = resp.AppendCommand(nil, subArgs...)
			r.peers.link(t.Addr(t.Owner(slot)), proto).send(c)
		}
		parts = append(parts, c)
	}
	var out []byte
	if spec.merge == mergeArray {
		out = append(out, '*')
		out = strconv.AppendInt(out, int64(len(parts)), 10)
		out = append(out, "\r\n"...)
	}
	null := "$-1\r\n" // MGET's element for a key that failed: nil
	if proto == 3 {
		null = "_\r\n"
	}
	var sum int64
	var firstErr *call
	for _, c := range parts {
		<-c.done
		if c.err != nil || (len(c.reply) > 0 && c.reply[0] == '-') {
			if firstErr == nil {
				firstErr = c
			}
			if spec.merge == mergeArray {
				out = append(out, null...)
			}
			continue
		}
		switch spec.merge {
		case mergeArray:
			out = append(out, c.reply...)
		case mergeSum:
			n, _ := strconv.ParseInt(string(bytes.TrimSpace(c.reply[1:])), 10, 64)
			sum += n
		}
	}
	switch {
	case spec.merge == mergeArray:
		return out
	case firstErr != nil:
		return firstErr.result()
	case spec.merge == mergeOK:
		return []byte("+OK\r\n")
	}
	return append(strconv.AppendInt([]byte{':'}, sum, 10), "\r\n"...)
}
