package protocol

import "github.com/cachesrv/cachesrv/cluster/route"

// runPipeline runs a pipeline's commands in order. A run of consecutive
// single-key commands on one shard runs under one acquisition of that
// shard's lock (a read lock if none of them writes); anything else -
// multi-key and keyspace-wide commands, MULTI/EXEC, errors - runs on its
// own, so what the client sees is exactly sequential execution. Commands
// are never reordered: a client reading y then x must not see this
// client's later SET y without its earlier SET x.
//
// Replies are written out in bounded steps (drainReplies), never under a
// shard lock: a client that sends many commands with large replies and
// does not read them stops its own pipeline, and holds at most about
// replyFlushThreshold plus one reply of the server's memory.
func (c *client) runPipeline(p [][][]byte) {
	if len(p) == 1 {
		c.dispatch(p[0])
		return
	}
	// Each command is planned once; the plan of the command that ends a
	// run is kept for the next turn.
	var ahead planned
	haveAhead := false
	for i := 0; i < len(p) && !c.quit; {
		cur := ahead
		if !haveAhead {
			cur = c.plan(p[i])
		}
		haveAhead = false
		switch cur.kind {
		case planRemote:
			// A run of commands for other nodes goes out in one go.
			run := append(c.remote[:0], cur.remote)
			for i++; i < len(p); i++ {
				if ahead = c.plan(p[i]); ahead.kind != planRemote {
					haveAhead = true
					break
				}
				run = append(run, ahead.remote)
			}
			c.stats.processed += int64(len(run))
			c.srv.router.ForwardRun(run, c.WriteRaw)
			clear(run)
			c.remote = run[:0]
			c.drainReplies()
		case planGroup:
			group := append(c.group[:0], groupItem{cur.cmd, p[i]})
			write := cur.cmd.flags&(flagWrite|flagWriteLock) != 0
			for i++; i < len(p); i++ {
				if ahead = c.plan(p[i]); ahead.kind != planGroup || ahead.shard != cur.shard {
					haveAhead = true
					break
				}
				group = append(group, groupItem{ahead.cmd, p[i]})
				write = write || ahead.cmd.flags&(flagWrite|flagWriteLock) != 0
			}
			for rest := group; len(rest) > 0 && !c.quit; {
				rest = rest[c.runGroup(cur.shard, write, rest):]
				c.drainReplies()
			}
			clear(group)
			c.group = group[:0]
			c.srv.blocking.wakeReady() // blocking.go
		default:
			c.dispatch(p[i])
			i++
			c.drainReplies()
		}
	}
}

// replyFlushThreshold is how much of a pipeline's replies a connection
// buffers before writing them out. Large enough that an ordinary pipeline
// goes out in one write; small enough that a client that does not read
// cannot make the server hold much.
const replyFlushThreshold = 64 << 10

// drainReplies writes the buffered replies once they pass
// replyFlushThreshold, waiting for the socket to take them: that is what
// stops a client that does not read its replies. A write error ends the
// pipeline (the connection loop then closes the client).
func (c *client) drainReplies() {
	if c.Buffered() >= replyFlushThreshold && c.flush() != nil {
		c.quit = true
	}
}

// groupItem is one resolved command of a same-shard group.
type groupItem struct {
	cmd  *command
	args [][]byte
}

// planKind is how runPipeline runs a command.
type planKind uint8

const (
	planAlone  planKind = iota // through dispatch, which checks, replies to errors, queues in MULTI
	planGroup                  // a local single-key command, groupable with its shard's neighbours
	planRemote                 // forwarded whole to the peer that owns its keys (proxy mode)
)

type planned struct {
	kind   planKind
	cmd    *command
	shard  int             // planGroup
	remote route.RemoteCmd // planRemote
}

// plan decides how a command of a pipeline runs, without side effects: a
// command that cannot be grouped or forwarded as it is (unknown, wrong
// arity, not authenticated, inside MULTI, multi-key, keyspace-wide, with
// locks of its own) runs alone through dispatch, and so does every
// command of a user with ACL restrictions: dispatch checks them.
func (c *client) plan(args [][]byte) planned {
	if c.multi != nil || !c.authed || c.protected || c.subs.total.Load() > 0 || !c.user.Load().Load().Unrestricted() {
		return planned{kind: planAlone}
	}
	if c.reply.skip || c.srv.ops.pause.mode.Load() != pauseNone {
		return planned{kind: planAlone} // dispatch drops the reply (CLIENT REPLY SKIP) or waits (CLIENT PAUSE)
	}
	if c.srv.scripting.busy.Load() > 0 {
		return planned{kind: planAlone} // dispatch answers -BUSY for the keys a long script holds
	}
	cmd := c.command(args[0])
	// A command with a keys function (a STORE destination, numkeys) may
	// touch shards other than its first key's: it runs alone, under the
	// locks of all its keys.
	if cmd == nil || cmd.subs != nil || !cmd.arityOK(len(args)) || cmd.firstKey == 0 || cmd.keys != nil || cmd.lockAll != nil ||
		cmd.flags&(flagKeyspace|flagSelfLocking|flagNotQueued|flagBlocking) != 0 || cmd.crossDB != nil {
		return planned{kind: planAlone}
	}
	if c.srv.router != nil {
		switch d := c.route(cmd, args); d.Kind {
		case route.Remote:
			if c.track.Load() != nil {
				return planned{kind: planAlone} // dispatch forwards tracked reads (trackForward)
			}
			if c.srv.repl != nil && cmd.flags&flagWrite != 0 {
				c.forwardedWrite() // WAIT cannot vouch for it (replication.go)
			}
			return planned{kind: planRemote, cmd: cmd, remote: route.RemoteCmd{Args: args, Addr: d.Addr, Write: cmd.flags&flagWrite != 0, Proto: c.Proto()}}
		case route.Local:
		default:
			return planned{kind: planAlone}
		}
	}
	if cmd.firstKey != cmd.lastKey || (cmd.flags&flagDenyOOM != 0 && c.srv.store.OverLimit()) {
		// Over maxmemory, a write runs alone: dispatch evicts first (or
		// refuses it), which it cannot do under a shard lock.
		return planned{kind: planAlone}
	}
	return planned{kind: planGroup, cmd: cmd, shard: c.srv.store.ShardOf(args[cmd.firstKey])}
}

// runGroup runs same-shard commands under one lock acquisition, stopping
// early once their replies pass replyFlushThreshold (they must not be
// written out while the lock is held), and returns how many ran.
func (c *client) runGroup(shard int, write bool, group []groupItem) int {
	st := c.db()
	st.LockShard(shard, write)
	defer st.UnlockShard(shard, write)
	tx := st.Tx()
	n := 0
	for n < len(group) && (n == 0 || c.Buffered() < replyFlushThreshold) {
		c.run(group[n].cmd, group[n].args, tx)
		n++
	}
	st.CountOps(shard, write, n)
	c.stats.processed += int64(n)
	c.lastCmd.Store(group[n-1].cmd)
	return n
}
