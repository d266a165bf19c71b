package protocol

import (
	"errors"
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/store"
)

// CONFIG: the settings table of protocol/config, read and changed at run time.

func init() {
	adminSlow := []string{"admin", "slow", "dangerous"}
	register(
		&command{name: "config", arity: -2, acl: []string{"slow"}, subs: subcommands(
			&command{name: "get", arity: -3, flags: flagAdmin | flagNoScript | flagLoading | flagStale, acl: adminSlow, run: cmdConfigGet},
			&command{name: "set", arity: -4, flags: flagAdmin | flagNoScript | flagLoading | flagStale, acl: adminSlow, run: cmdConfigSet},
			&command{name: "resetstat", arity: 2, flags: flagAdmin | flagNoScript | flagLoading | flagStale, acl: adminSlow, run: cmdConfigResetStat},
			&command{name: "rewrite", arity: 2, flags: flagAdmin | flagNoScript | flagLoading | flagStale, acl: adminSlow, run: cmdConfigRewrite},
			&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: []string{"slow"}, run: cmdConfigHelp},
		)},
	)
}

// cmdConfigGet replies with name-value pairs: a map in RESP3.
func cmdConfigGet(c *client, args [][]byte, _ store.Tx) {
	pairs := c.srv.cfg.Get(args[2:])
	c.WriteMap(len(pairs) / 2)
	for _, s := range pairs {
		c.WriteBulkString(s)
	}
}

// cmdConfigSet applies all the given settings or none (config.Set), then
// hands what changed to the parts that read it at run time.
func cmdConfigSet(c *client, args [][]byte, _ store.Tx) {
	if len(args)%2 != 0 {
		c.errorReply(errWrongArgs("config|set"))
		return
	}
	if err := c.srv.cfg.Set(args[2:]); err != nil {
		if cause := errors.Unwrap(err); cause != nil { // the reply says to check the log
			c.srv.log.Warn("CONFIG SET failed, previous settings kept", "err", cause)
		}
		c.errorReply(err.Error())
		return
	}
	st := c.srv.store
	if l := c.srv.cfg.MemoryLimits(); l != st.Limits() {
		st.SetLimits(l)
	}
	if l := c.srv.cfg.CollLimits(); l != st.CollLimits() {
		st.SetCollLimits(l)
	}
	for i := 2; i < len(args); i += 2 {
		if strings.EqualFold(string(args[i]), "timeout") {
			c.srv.applyIdleTimeout()
		}
		if strings.EqualFold(string(args[i]), "requirepass") {
			// As in Redis, requirepass is the default user's password.
			c.srv.users.SetDefaultPassword(c.srv.cfg.Requirepass())
		}
	}
	c.WriteString("OK")
}

// applyIdleTimeout makes a changed timeout reach clients already blocked
// waiting for input: their connections only look at the setting when a
// read begins. As in Redis, idleness counts from a client's last command,
// so one already idle for longer is closed at once.
func (s *Server) applyIdleTimeout() {
	t := time.Duration(s.cfg.Timeout.Load()) * time.Second
	for _, c := range s.clientsSorted() {
		if t > 0 {
			c.net.SetReadDeadline(time.Unix(0, c.lastAt.Load()).Add(t))
		} else {
			c.net.SetReadDeadline(time.Time{})
		}
	}
	if s.closing.Load() {
		// Shutdown wakes blocked readers with a deadline; do not undo that.
		for _, c := range s.clientsSorted() {
			c.net.SetReadDeadline(time.Now())
		}
	}
}

func cmdConfigResetStat(c *client, _ [][]byte, _ store.Tx) {
	st := &c.srv.stats
	st.resetStripes()
	st.connectionsReceived.Store(0)
	st.rejectedConns.Store(0)
	eachCommand(func(cmd *command) {
		cmd.stats.reset()
	})
	c.srv.ops.errors.reset() // INFO errorstats (errorstats.go)
	c.WriteString("OK")
}

// cmdConfigRewrite writes the settings back into the file the server
// was started with (config.File.Rewrite), as Redis does.
func cmdConfigRewrite(c *client, _ [][]byte, _ store.Tx) {
	if err := c.srv.cfg.Rewrite(); err != nil {
		c.errorReply("ERR " + err.Error())
		return
	}
	c.WriteString("OK")
}

func cmdConfigHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "CONFIG",
		"GET <pattern>", "    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>", "    Set the configuration <directive> to <value>.",
		"RESETSTAT", "    Reset statistics reported by the INFO command.",
		"REWRITE", "    Rewrite the configuration file.",
	)
}
