package protocol

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/store"
)

// runPipeline runs a pipeline's commands in order. A run of consecutive
// single-key commands on one shard runs under one acquisition of that
// shard's lock (a read lock if none of them writes); anything else -
// multi-key and keyspace-wide commands, MULTI/EXEC, errors - runs on its
// own, so what the client sees is exactly sequential execution. Commands
// are never reordered: a client reading y then x must not see this
// client's later SET y without its earlier SET x.
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
			c.forwardRun(run)
			clear(run)
			c.remote = run[:0]
		case planGroup:
			group := append(c.group[:0], groupItem{cur.cmd, p[i]})
			write := cur.cmd.flags&flagWrite != 0
			for i++; i < len(p); i++ {
				if ahead = c.plan(p[i]); ahead.kind != planGroup || ahead.shard != cur.shard {
					haveAhead = true
					break
				}
				group = append(group, groupItem{ahead.cmd, p[i]})
				write = write || ahead.cmd.flags&flagWrite != 0
			}
			c.runGroup(cur.shard, write, group)
			clear(group)
			c.group = group[:0]
		default:
			c.dispatch(p[i])
			i++
		}
	}
}

// groupItem is one resolved command of a same-shard group.
type groupItem struct {
	cmd  *command
	args [][]byte
}

// How runPipeline runs a command.
const (
	planAlone  = iota // through dispatch, which checks, replies to errors, queues in MULTI
	planGroup         // a local single-key command, groupable with its shard's neighbours
	planRemote        // forwarded whole to the peer that owns its keys (proxy mode)
)

type planned struct {
	kind   int
	cmd    *command
	shard  int       // planGroup
	remote remoteCmd // planRemote
}

// plan decides how a command of a pipeline runs, without side effects: a
// command that cannot be grouped or forwarded as it is (unknown, wrong
// arity, not authenticated, inside MULTI, multi-key, keyspace-wide, with
// locks of its own) runs alone through dispatch.
func (c *client) plan(args [][]byte) planned {
	if c.multi != nil || !c.authed {
		return planned{kind: planAlone}
	}
	cmd := lookup(commands, args[0])
	if cmd == nil || cmd.subs != nil || !cmd.arityOK(len(args)) || cmd.firstKey == 0 ||
		cmd.flags&(flagKeyspace|flagSelfLocking|flagNotQueued) != 0 {
		return planned{kind: planAlone}
	}
	if c.srv.cl != nil {
		switch r := c.route(cmd, args); r.kind {
		case routeRemote:
			return planned{kind: planRemote, cmd: cmd, remote: remoteCmd{args: args, addr: r.addr, write: cmd.flags&flagWrite != 0}}
		case routeLocal:
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

// runGroup runs same-shard commands under one lock acquisition.
func (c *client) runGroup(shard int, write bool, group []groupItem) {
	st := c.srv.store
	c.stats.processed += int64(len(group))
	c.lastCmd.Store(group[len(group)-1].cmd)
	st.LockShard(shard, write)
	defer st.UnlockShard(shard, write)
	tx := st.Tx()
	for _, g := range group {
		c.run(g.cmd, g.args, tx)
	}
}

// dispatch resolves, checks and runs (or queues) one command.
func (c *client) dispatch(args [][]byte) {
	c.stats.processed++
	cmd := lookup(commands, args[0])
	if cmd == nil {
		c.rejectQueued(errUnknownCommand(args))
		return
	}
	if cmd.subs != nil && len(args) >= 2 {
		sub := lookup(cmd.subs, args[1])
		if sub == nil {
			c.rejectQueued(fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", clip(args[1], 128), strings.ToUpper(cmd.name)))
			return
		}
		cmd = sub
	}
	c.lastCmd.Store(cmd)
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
	if c.srv.cl != nil {
		switch r := c.route(cmd, args); r.kind {
		case routeError:
			cmd.stats.rejected.Add(1)
			c.rejectQueued(r.msg)
			return
		case routeRemote, routeSplit:
			if c.multi != nil || cmd.flags&flagSelfLocking != 0 {
				// A transaction (or WATCH) runs on one node: its keys must
				// live on the node the client talks to.
				cmd.stats.rejected.Add(1)
				c.rejectQueued(errCrossSlot)
				return
			}
			if r.kind == routeRemote {
				c.forward(r.addr, args)
			} else {
				c.split(cmd, args)
			}
			return
		}
	}
	if c.oomRejects(cmd) && c.srv.store.OverLimit() {
		shard := -1
		if cmd.firstKey > 0 && cmd.firstKey == cmd.lastKey && len(args) > cmd.firstKey {
			shard = c.srv.store.ShardOf(args[cmd.firstKey])
		}
		if err := c.srv.store.Admit(shard); err != nil {
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
	if c.multi != nil && cmd.flags&flagNotQueued == 0 {
		if cmd.flags&flagNoMulti != 0 {
			cmd.stats.rejected.Add(1)
			c.rejectQueued("ERR Command not allowed inside a transaction")
			return
		}
		c.multi.queued = append(c.multi.queued, queuedCmd{cmd: cmd, args: cloneArgs(args)})
		c.multiLen.Store(int32(len(c.multi.queued)))
		c.WriteString("QUEUED")
		return
	}
	c.call(cmd, args)
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
	st := c.srv.store
	if cmd.firstKey == 0 || cmd.flags&(flagKeyspace|flagSelfLocking) != 0 {
		c.run(cmd, args, st.Tx())
		return
	}
	write := cmd.flags&flagWrite != 0
	if cmd.firstKey == cmd.lastKey {
		i := st.ShardOf(args[cmd.firstKey])
		st.LockShard(i, write)
		defer st.UnlockShard(i, write)
	} else {
		shards := c.shardsOf(cmd, args, c.shardsBuf[:0])
		c.shardsBuf = shards
		st.Lock(shards, write)
		defer st.Unlock(shards, write)
	}
	c.run(cmd, args, st.Tx())
}

// shardsOf appends the sorted, distinct shards of cmd's keys to dst.
func (c *client) shardsOf(cmd *command, args [][]byte, dst []int) []int {
	cmd.keyPositions(args, func(key []byte) { dst = append(dst, c.srv.store.ShardOf(key)) })
	return sortedUnique(dst)
}

// run runs cmd's handler, timing it for INFO commandstats and latencystats (unless
// latency-tracking is off) and turns a panic into an error reply: one bad
// command must not take the server down. A command's time runs from the
// end of the one before it in the pipeline (or the pipeline's arrival),
// so lock waits are included and the clock is read once per command, and
// only its monotonic part (time.Since: half the cost of time.Now here).
func (c *client) run(cmd *command, args [][]byte, tx store.Tx) {
	timed := c.srv.cfg.LatencyTracking.Load()
	c.failed = false
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("command panicked", "cmd", cmd.fullName, "panic", r, "stack", string(debug.Stack()))
			c.errorReply(fmt.Sprintf("ERR internal error while running '%s'", cmd.fullName))
		}
		d := time.Duration(-1)
		if timed {
			at := time.Since(c.pipelineStart)
			d, c.elapsed = at-c.elapsed, at
		}
		c.stats.add(cmd, d, c.failed)
	}()
	cmd.run(c, args, tx)
}

// errorReply writes an error reply and counts the command as failed.
func (c *client) errorReply(msg string) {
	c.failed = true
	c.WriteError(msg)
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
