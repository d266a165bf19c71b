package protocol

import (
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/tidwall/redcon"
)

// handle is redcon's callback for the first command of a pipeline; it
// takes the rest of the pipeline redcon has buffered and runs it all, so
// redcon flushes every reply in one write.
func (s *Server) handle(conn redcon.Conn, first redcon.Command) {
	c, _ := conn.Context().(*client)
	if c == nil {
		conn.Close()
		return
	}
	c.dispatch(first.Args)
	for _, cmd := range conn.ReadPipeline() {
		if c.quit {
			break
		}
		c.dispatch(cmd.Args)
	}
	c.lastAt.Store(time.Now().UnixNano())
	if c.quit {
		// QUIT, or CLIENT KILL of itself: the replies so far go out, the
		// rest of the pipeline is dropped, as in Redis.
		conn.Close()
	}
}

// dispatch resolves, checks and runs (or queues) one command.
func (c *client) dispatch(args [][]byte) {
	c.srv.stats.commandsProcessed.Add(1)
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
		c.run(cmd, args, func() { cmd.run(c, args, st.Tx()) })
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
	c.run(cmd, args, func() { cmd.run(c, args, st.Tx()) })
}

// shardsOf appends the sorted, distinct shards of cmd's keys to dst.
func (c *client) shardsOf(cmd *command, args [][]byte, dst []int) []int {
	cmd.keyPositions(args, func(key []byte) { dst = append(dst, c.srv.store.ShardOf(key)) })
	return sortedUnique(dst)
}

// run times fn for INFO commandstats and turns a panic into an error
// reply: one bad command must not take the server down.
func (c *client) run(cmd *command, args [][]byte, fn func()) {
	start := time.Now()
	c.failed = false
	defer func() {
		if r := recover(); r != nil {
			c.srv.log.Error("command panicked", "cmd", cmd.fullName, "panic", r, "stack", string(debug.Stack()))
			c.errorReply(fmt.Sprintf("ERR internal error while running '%s'", cmd.fullName))
		}
		cmd.stats.calls.Add(1)
		cmd.stats.usec.Add(time.Since(start).Microseconds())
		if c.failed {
			cmd.stats.failed.Add(1)
		}
	}()
	fn()
}

// errorReply writes an error reply and counts the command as failed.
func (c *client) errorReply(msg string) {
	c.failed = true
	c.WriteError(msg)
}

// cloneArgs copies a command's arguments: redcon reuses its read buffer,
// and a queued MULTI command outlives it.
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
