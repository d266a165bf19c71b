package protocol

import (
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// SLOWLOG: the commands that took at least slowlog-log-slower-than
// microseconds (slowlog.go keeps them; client.run times every command).

func init() {
	admin := flagAdmin | flagLoading | flagStale
	acl := []string{"admin", "slow", "dangerous"}
	register(&command{name: "slowlog", arity: -2, acl: []string{"slow"}, subs: subcommands(
		&command{name: "get", arity: -2, flags: admin, acl: acl, run: cmdSlowlogGet},
		&command{name: "len", arity: 2, flags: admin, acl: acl, run: cmdSlowlogLen},
		&command{name: "reset", arity: 2, flags: admin, acl: acl, run: cmdSlowlogReset},
		&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: []string{"slow"}, run: cmdSlowlogHelp},
	)})
}

// cmdSlowlogGet replies with the newest entries (10 by default, -1 for
// all), newest first, each as Redis 7 gives it: id, Unix time,
// microseconds, arguments, client address, client name.
func cmdSlowlogGet(c *client, args [][]byte, _ store.Tx) {
	count := int64(10)
	switch len(args) {
	case 2:
	case 3:
		n, ok := parseInt(args[2])
		if !ok || n < -1 {
			c.errorReply("ERR count should be greater than or equal to -1")
			return
		}
		count = n
	default:
		c.errorReply("ERR unknown subcommand or wrong number of arguments for '" + resp.Clip(args[1], 128) + "'. Try SLOWLOG HELP.")
		return
	}
	entries := c.srv.ops.slowlog.newest(count, c.srv.cfg.Ops.SlowlogMaxLen.Load())
	c.WriteArray(len(entries))
	for _, e := range entries {
		c.WriteArray(6)
		c.WriteInt64(e.id)
		c.WriteInt64(e.at)
		c.WriteInt64(e.micros)
		c.WriteArray(len(e.args))
		for _, a := range e.args {
			c.WriteBulkString(a)
		}
		c.WriteBulkString(e.addr)
		c.WriteBulkString(e.name)
	}
}

func cmdSlowlogLen(c *client, _ [][]byte, _ store.Tx) {
	c.WriteInt64(int64(c.srv.ops.slowlog.len(c.srv.cfg.Ops.SlowlogMaxLen.Load())))
}

func cmdSlowlogReset(c *client, _ [][]byte, _ store.Tx) {
	c.srv.ops.slowlog.reset()
	c.WriteString("OK")
}

func cmdSlowlogHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "SLOWLOG",
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.",
	)
}
