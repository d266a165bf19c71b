package route

import "github.com/cachesrv/cachesrv/protocol/resp"

// Broadcast sends a command to every other node over the peer links and
// returns at once, without waiting for the replies (which the links read
// and drop). It never blocks: a link whose queue is full drops the
// command, which suits what it carries (published messages, which Redis
// delivers at most once too). It returns how many nodes it was queued for.
func (r *Router) Broadcast(args [][]byte) int {
	req := resp.AppendCommand(nil, args...)
	self := r.cl.ID()
	n := 0
	for _, m := range r.cl.Members() {
		if m.ID == self || m.RESPAddr == "" {
			continue
		}
		l := r.peers.link(m.RESPAddr, 2)
		c := &call{req: req, done: make(chan struct{})}
		l.stats.commands.Add(1)
		if l.b.TryAdd(c) {
			n++
		} else {
			l.stats.errors.Add(1)
		}
	}
	return n
}
