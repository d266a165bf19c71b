package protocol

import (
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// CLIENT REPLY, PAUSE, UNPAUSE and UNBLOCK. (The file sorts after
// cmd_connection.go, whose init registers CLIENT first.)

func init() {
	admin := flagAdmin | flagNoScript | flagLoading | flagStale
	adminACL := []string{"admin", "slow", "dangerous", "connection"}
	addSubcommands("client",
		&command{name: "reply", arity: 3, flags: flagNoScript | flagLoading | flagStale, acl: []string{"slow", "connection"}, run: cmdClientReply},
		&command{name: "pause", arity: -3, flags: admin, acl: adminACL, run: cmdClientPause},
		&command{name: "unpause", arity: 2, flags: admin, acl: adminACL, run: cmdClientUnpause},
		&command{name: "unblock", arity: -3, flags: admin, acl: adminACL, run: cmdClientUnblock},
	)
}

// replyState is CLIENT REPLY's: while replies are off (or skipped for one
// command) the client writes them to sink, a writer over io.Discard, and
// real holds its own writer until they are back on.
type replyState struct {
	real *resp.Writer // non-nil while replies go to the sink
	sink *resp.Writer
	off  bool // OFF
	skip bool // SKIP: the next command's reply goes to the sink
}

// cmdClientReply turns replies off (OFF, from this command on), back on
// (ON, which replies OK) or off for the next command only (SKIP), as in
// Redis. Replies already buffered are written out first: they were
// asked for.
func cmdClientReply(c *client, args [][]byte, _ store.Tx) {
	switch strings.ToLower(string(args[2])) {
	case "on":
		c.repliesOn()
		c.WriteString("OK")
	case "off":
		c.reply.off = true
		c.repliesOff()
	case "skip":
		if !c.reply.off {
			c.reply.skip = true
		}
	default:
		c.errorReply(errSyntax)
	}
}

// repliesOff sends the client's replies to the sink until repliesOn.
func (c *client) repliesOff() {
	if c.reply.real != nil {
		return
	}
	if c.flush() != nil {
		c.quit = true
	}
	if c.reply.sink == nil {
		c.reply.sink = resp.NewWriter(io.Discard)
	}
	c.reply.sink.SetProto(c.Proto())
	c.reply.real, c.Writer = c.Writer, c.reply.sink
}

// repliesOn gives the client its writer back, with the protocol a HELLO
// may have chosen meanwhile.
func (c *client) repliesOn() {
	c.reply.skip, c.reply.off = false, false
	if c.reply.real == nil {
		return
	}
	c.Flush() // to io.Discard
	c.reply.real.SetProto(c.Proto())
	c.Writer, c.reply.real = c.reply.real, nil
}

// pushWriter is where pushes (pub/sub messages, invalidations) go: the
// client's own writer even while its replies go to the sink, as Redis
// still delivers them to a client with CLIENT REPLY OFF.
func (c *client) pushWriter() *resp.Writer {
	if c.reply.real != nil {
		return c.reply.real
	}
	return c.Writer
}

// dispatchSkipped runs the command after CLIENT REPLY SKIP with its reply
// dropped (dispatch sends it here; plan leaves it to dispatch).
func (c *client) dispatchSkipped(args [][]byte) {
	c.reply.skip = false
	c.repliesOff()
	c.dispatch(args)
	// Replies come back unless the skipped command was OFF, or SKIP
	// again (which skips the next one too, as in Redis).
	if !c.reply.off && !c.reply.skip && c.reply.real != nil {
		c.Flush() // to io.Discard
		c.reply.real.SetProto(c.Proto())
		c.Writer, c.reply.real = c.reply.real, nil
	}
}

// pauseState is CLIENT PAUSE's: while mode is set, commands wait in
// dispatch before they run (all of them, or those that write), as Redis
// postpones them.
type pauseState struct {
	mode atomic.Int32 // pauseNone, pauseWrite or pauseAll: read by every command
	mu   sync.Mutex
	end  time.Time
	done chan struct{} // closed when the pause ends
	tm   *time.Timer
}

const (
	pauseNone = iota
	pauseWrite
	pauseAll
)

// pause pauses until end, or longer or more strictly if a pause already
// under way asks for that, as Redis keeps the stricter and later of two.
func (p *pauseState) pause(end time.Time, mode int32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done == nil {
		p.done = make(chan struct{})
	}
	if end.After(p.end) {
		p.end = end
		if p.tm != nil {
			p.tm.Stop()
		}
		p.tm = time.AfterFunc(time.Until(end), func() { p.unpause(end) })
	}
	p.mode.Store(max(p.mode.Load(), mode))
}

// unpause ends the pause; from the timer, only the pause that ends at end.
func (p *pauseState) unpause(end time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode.Load() == pauseNone || (!end.IsZero() && !end.Equal(p.end)) {
		return
	}
	p.mode.Store(pauseNone)
	p.end = time.Time{}
	if p.tm != nil {
		p.tm.Stop()
		p.tm = nil
	}
	close(p.done)
	p.done = nil
}

// waitPause waits while a pause holds cmd back: any command under
// CLIENT PAUSE ALL; under WRITE, those that write or may (Redis's list:
// EXEC of a transaction that writes, scripts that may write, PUBLISH).
func (c *client) waitPause(cmd *command) {
	p := &c.srv.ops.pause
	for {
		mode := p.mode.Load()
		if mode == pauseNone || mode == pauseWrite && !c.mayWrite(cmd) {
			return
		}
		if c.flush() != nil { // what the pipeline answered so far goes out first
			c.quit = true
		}
		p.mu.Lock()
		done := p.done
		p.mu.Unlock()
		if done != nil {
			<-done
		}
	}
}

func (c *client) mayWrite(cmd *command) bool {
	switch cmd.fullName {
	case "eval", "evalsha", "fcall", "publish", "spublish":
		return true
	case "exec":
		if c.multi != nil {
			for _, q := range c.multi.queued {
				if c.mayWrite(q.cmd) {
					return true
				}
			}
		}
		return false
	}
	return cmd.flags&flagWrite != 0
}

// cmdClientPause pauses clients for timeout milliseconds.
func cmdClientPause(c *client, args [][]byte, _ store.Tx) {
	if len(args) > 4 {
		c.errorReply("ERR unknown subcommand or wrong number of arguments for '" + resp.Clip(args[1], 128) + "'. Try CLIENT HELP.")
		return
	}
	ms, ok := parseInt(args[2])
	if !ok {
		c.errorReply("ERR timeout is not an integer or out of range")
		return
	}
	if ms < 0 {
		c.errorReply("ERR timeout is negative")
		return
	}
	mode := int32(pauseAll)
	if len(args) > 3 {
		switch m := strings.ToLower(string(args[3])); {
		case m == "write":
			mode = pauseWrite
		case m == "all":
		default:
			c.errorReply("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	c.srv.ops.pause.pause(time.Now().Add(time.Duration(ms)*time.Millisecond), mode)
	c.WriteString("OK")
}

func cmdClientUnpause(c *client, _ [][]byte, _ store.Tx) {
	c.srv.ops.pause.unpause(time.Time{})
	c.WriteString("OK")
}

// cmdClientUnblock unblocks a client blocked by BLPOP and the like
// (blocking.go): 1 if it was blocked, 0 if not.
func cmdClientUnblock(c *client, args [][]byte, _ store.Tx) {
	if len(args) > 4 {
		c.errorReply("ERR unknown subcommand or wrong number of arguments for '" + resp.Clip(args[1], 128) + "'. Try CLIENT HELP.")
		return
	}
	id, ok := c.intArg(args[2])
	if !ok {
		return
	}
	mode := unblockTimeout
	if len(args) == 4 {
		switch strings.ToLower(string(args[3])) {
		case "timeout":
		case "error":
			mode = unblockError
		default:
			c.errorReply("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	if c.srv.blocking.unblockClient(id, mode) {
		c.WriteInt64(1)
		return
	}
	c.WriteInt64(0)
}
