package protocol

import "github.com/cachesrv/cachesrv/cluster/route"

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
			c.srv.router.ForwardRun(run, c.WriteRaw)
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
	if c.srv.router != nil {
		switch d := c.route(cmd, args); d.Kind {
		case route.Remote:
			return planned{kind: planRemote, cmd: cmd, remote: route.RemoteCmd{Args: args, Addr: d.Addr, Write: cmd.flags&flagWrite != 0}}
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
