package protocol

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// dispatch resolves, checks and runs (or queues) one command.
func (c *client) dispatch(args [][]byte) {
	if c.reply.skip {
		c.dispatchSkipped(args) // CLIENT REPLY SKIP (cmd_connection_ops.go)
		return
	}
	c.stats.processed++
	cmd := c.command(args[0])
	if c.protected && (cmd == nil || cmd.name != "cachesrv.peer") {
		c.WriteRaw([]byte(deniedProtectedMode))
		c.quit = true
		return
	}
	if cmd == nil {
		c.rejectQueued(errUnknownCommand(args))
		return
	}
	if cmd.subs != nil && len(args) >= 2 {
		sub := lookup(cmd.subs, args[1])
		if sub == nil {
			c.rejectQueued(fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", resp.Clip(args[1], 128), strings.ToUpper(cmd.name)))
			return
		}
		cmd = sub
	}
	if c.lastCmd.Load() != cmd { // the same command again is the common case (storeChanged)
		c.lastCmd.Store(cmd)
	}
	if !cmd.arityOK(len(args)) {
		cmd.stats.rejected.Add(1)
		c.rejectQueued(errWrongArgs(cmd.fullName))
		return
	}
	if !c.authed && cmd.flags&flagNoAuth == 0 {
		cmd.stats.rejected.Add(1)
		c.rejectQueued("NOAUTH Authentication required.")
		return
	}
	if u := c.user.Load().Load(); !u.Unrestricted() && !c.provenPeer() && c.aclDenied(u, cmd, args) {
		cmd.stats.rejected.Add(1)
		return
	}
	if c.subs.total.Load() > 0 && !c.RESP3() && !allowedSubscribed(cmd) {
		c.rejectQueued(errSubscribedOnly(cmd))
		return
	}
	if r := c.srv.router; r != nil {
		d := c.route(cmd, args)
		if c.srv.repl != nil && (d.Kind == route.Remote || d.Kind == route.Split) && cmd.flags&flagWrite != 0 {
			c.forwardedWrite() // WAIT cannot vouch for it (replication.go)
		}
		if c.multi != nil && cmd.flags&flagNotQueued == 0 && d.Kind != route.Refused {
			// Queued in a transaction: all its keys must live on one node,
			// here or another (tx_remote.go).
			if !c.multi.routeTo(cmd, d) {
				cmd.stats.rejected.Add(1)
				c.rejectQueued(route.ErrCrossSlot)
				return
			}
			d = route.Decision{Kind: route.Local}
		}
		switch d.Kind {
		case route.Refused:
			cmd.stats.rejected.Add(1)
			c.rejectQueued(d.Err)
			return
		case route.Remote, route.Split:
			if cmd.name == "watch" && d.Kind == route.Remote && c.multi == nil {
				c.watchRemote(d.Addr, args) // tx_remote.go
				return
			}
			if c.multi != nil || cmd.flags&flagSelfLocking != 0 {
				// A transaction (or WATCH) runs on one node: its keys must
				// live on the node the client talks to.
				cmd.stats.rejected.Add(1)
				c.rejectQueued(route.ErrCrossSlot)
				return
			}
			if d.Kind == route.Remote && cmd.flags&flagBlocking != 0 {
				c.forwardBlocking(cmd, d.Addr, args) // blocking_cluster.go
				return
			}
			if d.Kind == route.Remote && cmd.flags&flagMovableKeys != 0 {
				c.forwardScript(cmd, d.Addr, args) // an EVALSHA the owner lacks is loaded there first
				return
			}
			tracked := c.trackForward(cmd, args) // client-side caching (cmd_tracking.go)
			switch {
			case d.Kind == route.Remote && tracked:
				c.WriteRaw(r.ForwardTracked(d.Addr, args, c.Proto()))
			case d.Kind == route.Remote:
				c.WriteRaw(r.Forward(d.Addr, args, c.Proto()))
			default:
				c.forwardingTracked = tracked
				c.WriteRaw(r.Split(cmd.name, args, c))
				c.forwardingTracked = false
			}
			return
		}
	}
	if r := c.srv.router; r != nil && cmd.flags&flagKeyspace != 0 && !c.peerLink && c.multi == nil &&
		r.Mode() == route.Proxy && c.fanOut(cmd, args) { // fanout.go
		return
	}
	if c.srv.scripting.busy.Load() > 0 && c.busyRefuses(cmd, args) {
		cmd.stats.rejected.Add(1)
		c.rejectQueued(c.srv.scripting.busyError())
		return
	}
	if c.oomRejects(cmd) && c.srv.store.OverLimit() {
		shard := -1
		if cmd.firstKey > 0 && cmd.firstKey == cmd.lastKey && len(args) > cmd.firstKey {
			shard = c.srv.store.ShardOf(args[cmd.firstKey])
		}
		if err := c.db().Admit(shard); err != nil { // evicts from any database
			cmd.stats.rejected.Add(1)
			if cmd.name == "exec" {
				c.endMulti()
				c.WriteError("EXECABORT Transaction discarded because of: " + err.Error())
				return
			}
			c.rejectQueued(err.Error())
			return
		}
	}
	if c.srv.ops.pause.mode.Load() != pauseNone {
		c.waitPause(cmd) // CLIENT PAUSE (cmd_connection_ops.go)
	}
	if c.multi != nil && cmd.flags&flagNotQueued == 0 {
		if cmd.flags&flagNoMulti != 0 {
			cmd.stats.rejected.Add(1)
			c.rejectQueued("ERR Command not allowed inside a transaction")
			return
		}
		q := queuedCmd{cmd: cmd, args: cloneArgs(args)}
		c.multi.queued = append(c.multi.queued, q)
		c.mem.multi.Add(q.size())
		c.multiLen.Store(int32(len(c.multi.queued)))
		c.WriteString("QUEUED")
		return
	}
	if cmd.flags&flagBlocking != 0 {
		c.callBlocking(cmd, args) // blocking.go
	} else {
		c.call(cmd, args)
	}
	c.srv.blocking.wakeReady()
}

// oomRejects reports whether cmd is refused while the store is over
// maxmemory and eviction cannot bring it back: as in Redis, commands that
// may add data, EXEC of a transaction that has one, and anything queued
// inside MULTI (queuing itself takes memory) but DISCARD, EXEC and QUIT.
func (c *client) oomRejects(cmd *command) bool {
	if cmd.flags&flagDenyOOM != 0 {
		return true
	}
	if c.multi == nil {
		return false
	}
	switch cmd.name {
	case "exec":
		return c.multi.denyOOM()
	case "discard", "quit", "reset":
		return false
	}
	return true
}

// rejectQueued replies with an error that, inside MULTI, also dooms the
// transaction (EXEC will answer EXECABORT), as in Redis.
func (c *client) rejectQueued(msg string) {
	if c.multi != nil {
		c.multi.aborted = true
	}
	c.WriteError(msg)
}

// call runs cmd under the locks its keys need.
func (c *client) call(cmd *command, args [][]byte) {
	st := c.db()
	if cmd.firstKey == 0 || cmd.flags&(flagKeyspace|flagSelfLocking) != 0 || (cmd.crossDB != nil && cmd.crossDB(c, args) != nil) {
		c.run(cmd, args, st.Tx())
		return
	}
	write := cmd.flags&(flagWrite|flagWriteLock) != 0
	if cmd.lockAll != nil && cmd.lockAll(args) {
		st.LockAll(write)
		defer st.UnlockAll(write)
		c.run(cmd, args, st.TxAll())
		return
	}
	if cmd.firstKey == cmd.lastKey && cmd.keys == nil {
		i := st.ShardOf(args[cmd.firstKey])
		st.LockShard(i, write)
		defer st.UnlockShard(i, write)
		st.CountOps(i, write, 1)
	} else {
		shards := c.shardsOf(cmd, args, c.shardsBuf[:0])
		c.shardsBuf = shards
		st.Lock(shards, write)
		defer st.Unlock(shards, write)
		for _, i := range shards {
			st.CountOps(i, write, 1)
		}
	}
	c.run(cmd, args, st.Tx())
}

// shardsOf appends the sorted, distinct shards of cmd's keys to dst.
func (c *client) shardsOf(cmd *command, args [][]byte, dst []int) []int {
	return sortedUnique(c.appendShards(dst, cmd, args))
}

// appendShards appends the shard of each of cmd's keys to dst, unsorted
// and with repeats (EXEC gathers its commands' shards before sorting).
func (c *client) appendShards(dst []int, cmd *command, args [][]byte) []int {
	cmd.keyPositions(args, func(key []byte) { dst = append(dst, c.srv.store.ShardOf(key)) })
	return dst
}

// route asks the cluster's router where cmd runs and, for a command
// about to run here, first fetches its keys from a slot's old owner if
// the slot is being imported (handoff.go). Callers hold no shard lock.
func (c *client) route(cmd *command, args [][]byte) route.Decision {
	return c.routeKeys(cmd, args, true)
}

// routeUnderLocks is route for a script's redis.call, which runs under
// the script's shard locks: it fetches nothing, since the fetch takes
// those locks (the script's declared keys were fetched when EVAL itself
// was routed).
func (c *client) routeUnderLocks(cmd *command, args [][]byte) route.Decision {
	return c.routeKeys(cmd, args, false)
}

func (c *client) routeKeys(cmd *command, args [][]byte, fetch bool) route.Decision {
	if (cmd.firstKey == 0 && cmd.keys == nil) || cmd.flags&flagKeyspace != 0 {
		return route.Decision{Kind: route.Local}
	}
	if cmd.flags&flagChannels != 0 && cmd.name != "spublish" && c.srv.router.Mode() == route.Proxy {
		// In proxy mode any node takes shard-channel subscriptions: the
		// owner's SPUBLISH reaches them by broadcast (cmd_pubsub.go).
		return route.Decision{Kind: route.Local}
	}
	keys := c.keysBuf[:0]
	cmd.keyPositions(args, func(key []byte) { keys = append(keys, key) })
	d := c.srv.router.Route(cmd.name, keys, c.peerLink)
	if d.Kind == route.Refused && c.readonly && cmd.flags&flagReadonly != 0 && c.srv.router.ReplicaRead(keys) {
		d = route.Decision{Kind: route.Local} // a READONLY client's read of a replica's copy (replication.go)
	}
	if d.Kind == route.Refused && c.peerLink {
		d = c.srv.router.RouteSettled(cmd.name, keys, true, d, time.Second) // a table a moment behind the peer's (handoff.go)
	}
	if fetch && d.Kind == route.Local && c.srv.handoff.active() {
		c.srv.handoff.prefetch(keys)
	}
	clear(keys)
	c.keysBuf = keys[:0]
	return d
}

// RunLocal runs a local single-key command and returns a copy of its
// reply instead of writing it to the client: proxy mode's split commands
// (route.Router.Split) merge it with the replies of other nodes.
func (c *client) RunLocal(args [][]byte) []byte {
	if c.srv.handoff.active() && len(args) > 1 {
		c.srv.handoff.prefetch(args[1:2]) // its key's slot may be importing (handoff.go)
	}
	return c.runCaptured(lookup(commands, args[0]), args) // tx_remote.go
}

// run runs cmd's handler, timing it for INFO commandstats and latencystats (unless
// latency-tracking is off) and turns a panic into an error reply: one bad
// command must not take the server down. A command's time runs from the
// end of the one before it in the pipeline (or the pipeline's arrival),
// so lock waits are included and the clock is read once per command, and
// only its monotonic part (time.Since: half the cost of time.Now here).
//
// The slow log and the latency monitor (ops.go) need the same duration,
// so it is measured while either is on even with latency-tracking off;
// MONITOR costs one atomic load while nobody monitors.
func (c *client) run(cmd *command, args [][]byte, tx store.Tx) {
	if c.noTouch.Load() {
		tx = tx.NoTouch() // CLIENT NO-TOUCH (TOUCH touches regardless: Tx.Touch)
	}
	timed := c.srv.cfg.LatencyTracking.Load()
	slowest := c.fastestWatched() // the shortest duration the slow log or latency monitor wants
	watched := slowest >= 0
	c.failed = false
	if c.srv.ops.monitors.n.Load() != 0 && feedsFirst(cmd) {
		c.feedMonitors(cmd, args)
	}
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("command panicked", "cmd", cmd.fullName, "panic", r, "stack", string(debug.Stack()))
			c.errorReply(fmt.Sprintf("ERR internal error while running '%s'", cmd.fullName))
		}
		d := time.Duration(-1)
		if timed || watched {
			at := monoNow() - c.pipelineStart
			d, c.elapsed = at-c.elapsed, at
		}
		if watched && d >= slowest {
			c.observe(cmd, args, d)
		}
		if !timed {
			d = -1
		}
		c.stats.add(cmd, d, c.failed)
		if c.srv.ops.monitors.n.Load() != 0 && !feedsFirst(cmd) {
			c.feedMonitors(cmd, args)
		}
	}()
	if r := c.srv.repl; r != nil && cmd.flags&flagWrite != 0 {
		defer r.noteWrite(c, cmd, args) // what WAIT waits for (replication.go)
	}
	o := c.track.Load()
	if o == nil {
		cmd.run(c, args, tx)
		return
	}
	if o.noloop && cmd.flags&flagWrite != 0 {
		c.noLoop(cmd, args, c.id)
		defer c.noLoop(cmd, args, 0)
	}
	cmd.run(c, args, tx)
	c.trackKeys(o, cmd, args)
}

// errorReply writes an error reply and counts the command as failed.
func (c *client) errorReply(msg string) {
	c.failed = true
	c.WriteError(msg)
}

// size is what a queued command holds: its arguments and their slices.
func (q queuedCmd) size() int64 {
	n := int64(24 * len(q.args))
	for _, a := range q.args {
		n += int64(len(a))
	}
	return n
}

// cloneArgs copies a command's arguments: they alias the connection's read
// buffer, which a queued MULTI command outlives.
func cloneArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	return out
}
