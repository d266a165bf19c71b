package protocol

import (
	"slices"
	"strings"

	"github.com/cachesrv/cachesrv/protocol/glob"
	"github.com/cachesrv/cachesrv/store"
)

// COMMAND and its subcommands, answered from the command table and its docs.

func init() {
	cmdSlow := []string{"slow", "connection"}
	register(
		&command{name: "command", arity: -1, flags: flagLoading | flagStale, acl: cmdSlow, run: cmdCommand, subs: subcommands(
			&command{name: "count", arity: 2, flags: flagLoading | flagStale, acl: cmdSlow, run: cmdCommandCount},
			&command{name: "docs", arity: -2, flags: flagLoading | flagStale, acl: cmdSlow, run: cmdCommandDocs},
			&command{name: "info", arity: -2, flags: flagLoading | flagStale, acl: cmdSlow, run: cmdCommandInfo},
			&command{name: "list", arity: -2, flags: flagLoading | flagStale, acl: cmdSlow, run: cmdCommandList},
			&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: cmdSlow, run: cmdCommandHelp},
		)},
	)
}

func cmdCommand(c *client, args [][]byte, _ store.Tx) {
	c.WriteArray(len(commandList))
	for _, cmd := range commandList {
		c.writeCommandInfo(cmd)
	}
}

func cmdCommandCount(c *client, _ [][]byte, _ store.Tx) { c.WriteInt(len(commandList)) }

// writeCommandInfo writes Redis 7's ten-element COMMAND INFO entry. In
// RESP3 its flags, categories, tips and key specs are sets, and so are
// the subcommands when there are none (an array otherwise), as Redis 7.0
// sends them.
func (c *client) writeCommandInfo(cmd *command) {
	c.WriteArray(10)
	c.WriteBulkString(cmd.fullName)
	c.WriteInt(cmd.arity)
	var flags []string
	for _, f := range flagNames {
		if cmd.flags&f.flag != 0 {
			flags = append(flags, f.name)
		}
	}
	c.WriteSet(len(flags))
	for _, f := range flags {
		c.WriteString(f)
	}
	c.WriteInt(cmd.firstKey)
	c.WriteInt(cmd.lastKey)
	c.WriteInt(cmd.keyStep)
	c.WriteSet(len(cmd.acl))
	for _, a := range cmd.acl {
		c.WriteString("@" + a)
	}
	c.WriteSet(0) // tips
	c.WriteSet(0) // key specifications: the legacy positions above say it
	subs := sortedSubs(cmd)
	if len(subs) == 0 {
		c.WriteSet(0)
		return
	}
	c.WriteArray(len(subs))
	for _, sub := range subs {
		c.writeCommandInfo(sub)
	}
}

// findCommand resolves "get" or "client|setname".
func findCommand(name string) *command {
	name = strings.ToLower(name)
	parent, sub, isSub := strings.Cut(name, "|")
	cmd := commands[parent]
	if cmd == nil || !isSub {
		return cmd
	}
	return cmd.subs[sub]
}

func cmdCommandInfo(c *client, args [][]byte, _ store.Tx) {
	names := args[2:]
	if len(names) == 0 {
		cmdCommand(c, args, store.Tx{})
		return
	}
	c.WriteArray(len(names))
	for _, n := range names {
		if cmd := findCommand(string(n)); cmd != nil {
			c.writeCommandInfo(cmd)
		} else {
			c.WriteNull()
		}
	}
}

func cmdCommandList(c *client, args [][]byte, _ store.Tx) {
	var filter func(*command) bool
	if len(args) > 2 {
		if len(args) != 5 || !strings.EqualFold(string(args[2]), "filterby") {
			c.errorReply(errSyntax)
			return
		}
		val := args[4]
		switch strings.ToLower(string(args[3])) {
		case "aclcat":
			cat := strings.ToLower(string(val))
			filter = func(cmd *command) bool { return slices.Contains(cmd.acl, cat) }
		case "pattern":
			filter = func(cmd *command) bool { return glob.Match(val, []byte(cmd.fullName)) }
		case "module":
			filter = func(*command) bool { return false }
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	var names []string
	eachCommand(func(cmd *command) {
		if filter == nil || filter(cmd) {
			names = append(names, cmd.fullName)
		}
	})
	c.WriteStringArray(names)
}

// cmdCommandDocs answers COMMAND DOCS in Redis 7's shape (maps, and
// sets of argument flags, in RESP3; flat arrays in RESP2); redis-cli
// builds its argument hints from it.
func cmdCommandDocs(c *client, args [][]byte, _ store.Tx) {
	var cmds []*command
	if len(args) == 2 {
		cmds = commandList
	} else {
		for _, n := range args[2:] {
			if cmd := findCommand(string(n)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.WriteMap(len(cmds))
	for _, cmd := range cmds {
		c.WriteBulkString(cmd.fullName)
		c.writeDoc(cmd)
	}
}

func (c *client) writeDoc(cmd *command) {
	d := docs[cmd.fullName]
	n := 4
	if len(d.args) > 0 {
		n++
	}
	if len(cmd.subs) > 0 {
		n++
	}
	c.WriteMap(n)
	c.WriteBulkString("summary")
	c.WriteBulkString(d.summary)
	c.WriteBulkString("since")
	c.WriteBulkString(d.since)
	c.WriteBulkString("group")
	c.WriteBulkString(d.group)
	c.WriteBulkString("complexity")
	c.WriteBulkString(d.complexity)
	if len(d.args) > 0 {
		c.WriteBulkString("arguments")
		c.writeArgDocs(d.args)
	}
	if len(cmd.subs) > 0 {
		c.WriteBulkString("subcommands")
		subs := sortedSubs(cmd)
		c.WriteMap(len(subs))
		for _, sub := range subs {
			c.WriteBulkString(sub.fullName)
			c.writeDoc(sub)
		}
	}
}

func (c *client) writeArgDocs(args []argDoc) {
	c.WriteArray(len(args))
	for _, a := range args {
		var flags []string
		if a.optional {
			flags = append(flags, "optional")
		}
		if a.multiple {
			flags = append(flags, "multiple")
		}
		if a.multipleToken {
			flags = append(flags, "multiple_token")
		}
		n := 2
		for _, present := range []bool{a.display != "", a.token != "", len(flags) > 0, len(a.args) > 0} {
			if present {
				n++
			}
		}
		c.WriteMap(n)
		c.WriteBulkString("name")
		c.WriteBulkString(a.name)
		c.WriteBulkString("type")
		c.WriteBulkString(a.typ)
		if a.display != "" {
			c.WriteBulkString("display_text")
			c.WriteBulkString(a.display)
		}
		if a.token != "" {
			c.WriteBulkString("token")
			c.WriteBulkString(a.token)
		}
		if len(flags) > 0 {
			c.WriteBulkString("flags")
			c.WriteSet(len(flags))
			for _, f := range flags {
				c.WriteString(f)
			}
		}
		if len(a.args) > 0 {
			c.WriteBulkString("arguments")
			c.writeArgDocs(a.args)
		}
	}
}

func cmdCommandHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "COMMAND",
		"(no subcommand)", "    Return details about all commands.",
		"COUNT", "    Return the total number of commands in this server.",
		"LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]", "    Return a list of all commands in this server.",
		"INFO [<command-name> ...]", "    Return details about the given commands, or all of them.",
		"DOCS [<command-name> ...]", "    Return documentation details about the given commands, or all of them.",
	)
}
