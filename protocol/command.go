package protocol

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cachesrv/cachesrv/store"
)

// cmdFlags are Redis's command flags, as COMMAND INFO reports them, plus
// the few that decide how dispatch runs a command.
type cmdFlags uint32

const (
	flagWrite cmdFlags = 1 << iota
	flagReadonly
	flagDenyOOM
	flagAdmin
	flagNoScript
	flagLoading
	flagStale
	flagFast
	flagNoAuth
	flagNoMulti // Redis's no_multi: refused inside MULTI
	flagAllowBusy
	flagSkipSlowlog

	// Internal: how dispatch treats the command.
	flagKeyspace    // works over the whole keyspace, locking shards itself; EXEC locks all
	flagSelfLocking // has keys, but takes the locks it needs itself
	flagNotQueued   // runs at once inside MULTI instead of being queued
)

var flagNames = []struct {
	flag cmdFlags
	name string
}{
	{flagWrite, "write"}, {flagReadonly, "readonly"}, {flagDenyOOM, "denyoom"},
	{flagAdmin, "admin"}, {flagNoScript, "noscript"}, {flagLoading, "loading"},
	{flagStale, "stale"}, {flagFast, "fast"}, {flagNoAuth, "no_auth"}, {flagNoMulti, "no_multi"},
	{flagAllowBusy, "allow_busy"}, {flagSkipSlowlog, "skip_slowlog"},
}

// handler runs a command whose arity has been checked, with the locks of
// its keys' shards held, writing its reply to c.
type handler func(c *client, args [][]byte, tx store.Tx)

// command is one row of the command table.
type command struct {
	name     string // lower case; for a subcommand, the part after '|'
	fullName string // "get", "client|setname"
	arity    int    // Redis's convention: N exactly, -N at least N
	flags    cmdFlags
	// Redis's legacy key specification: positions of the first and last
	// key (-1 = the last argument) and the step between keys; 0 = no keys.
	firstKey, lastKey, keyStep int
	acl                        []string // ACL categories, without '@'
	run                        handler
	subs                       map[string]*command
	parent                     *command
	stats                      cmdStat
}

// commands is the command table, by lower-case name. It is filled in
// init (the handlers refer to the table, through COMMAND).
var commands map[string]*command

// commandList is the table in name order, for COMMAND and COMMAND LIST.
var commandList []*command

func register(cmds ...*command) {
	if commands == nil {
		commands = make(map[string]*command)
	}
	for _, c := range cmds {
		c.fullName = c.name
		for _, sub := range c.subs {
			sub.parent = c
			sub.fullName = c.name + "|" + sub.name
		}
		commands[c.name] = c
		commandList = append(commandList, c)
	}
	slices.SortFunc(commandList, func(a, b *command) int { return strings.Compare(a.name, b.name) })
}

// subcommands builds a container's subcommand map.
func subcommands(cmds ...*command) map[string]*command {
	m := make(map[string]*command, len(cmds))
	for _, c := range cmds {
		m[c.name] = c
	}
	return m
}

// lookup finds a command by name, case-insensitively, without allocating.
func lookup(table map[string]*command, name []byte) *command {
	var buf [32]byte
	if len(name) > len(buf) {
		return table[strings.ToLower(string(name))]
	}
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	return table[string(buf[:len(name)])]
}

func (cmd *command) arityOK(n int) bool {
	if cmd.arity >= 0 {
		return n == cmd.arity
	}
	return n >= -cmd.arity
}

// keys appends the positions of cmd's keys in args.
func (cmd *command) keyPositions(args [][]byte, fn func(key []byte)) {
	if cmd.firstKey == 0 {
		return
	}
	last := cmd.lastKey
	if last < 0 {
		last += len(args)
	}
	for i := cmd.firstKey; i <= last && i < len(args); i += cmd.keyStep {
		fn(args[i])
	}
}

// errWrongArgs is Redis's arity error.
func errWrongArgs(fullName string) string {
	return "ERR wrong number of arguments for '" + fullName + "' command"
}

// errUnknownCommand is Redis's reply to an unknown command: the name and a
// preview of the arguments, each clipped to keep the line short.
func errUnknownCommand(args [][]byte) string {
	var b strings.Builder
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		fmt.Fprintf(&b, "'%s' ", clip(a, 128-b.Len()))
	}
	return fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", clip(args[0], 128), b.String())
}

// clip shortens b to n bytes and makes it safe inside a one-line error:
// CR and LF become spaces, every other byte passes as it is.
func clip(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	out := []byte(string(b))
	for i, ch := range out {
		if ch == '\r' || ch == '\n' {
			out[i] = ' '
		}
	}
	return string(out)
}

// sortedUnique sorts s and drops repeats, in place.
func sortedUnique(s []int) []int {
	slices.Sort(s)
	return slices.Compact(s)
}
