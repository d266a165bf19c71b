package protocol

import (
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
	// flagWriteLock: read-only for clients (COMMAND, replicas, scripts), but
	// may rewrite its key, so dispatch takes the write lock (PFCOUNT caches
	// the cardinality it computes in the HLL's header, as Redis does).
	flagWriteLock

	flagPubSub // Redis's pubsub flag
	// flagChannels: the "keys" are pub/sub shard channels, routed by slot
	// like keys but never locked nor checked as keys (SSUBSCRIBE, SPUBLISH).
	flagChannels

	flagSkipMonitor     // Redis's skip_monitor
	flagNoMandatoryKeys // Redis's no_mandatory_keys: may have no keys at all
	flagMovableKeys     // keys found by the command's keys function, not by position
	flagBlocking        // Redis's blocking: may block the client (blocking.go)
)

var flagNames = []struct {
	flag cmdFlags
	name string
}{
	{flagWrite, "write"}, {flagReadonly, "readonly"}, {flagDenyOOM, "denyoom"},
	{flagAdmin, "admin"}, {flagPubSub, "pubsub"}, {flagNoScript, "noscript"}, {flagBlocking, "blocking"}, {flagLoading, "loading"},
	{flagStale, "stale"}, {flagSkipMonitor, "skip_monitor"}, {flagFast, "fast"}, {flagNoAuth, "no_auth"},
	{flagNoMandatoryKeys, "no_mandatory_keys"}, {flagNoMulti, "no_multi"}, {flagMovableKeys, "movablekeys"},
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
	aclID                      int      // index in the ACL table (aclTable)
	run                        handler
	subs                       map[string]*command
	parent                     *command
	// stats is written at the end of every pipeline that ran the
	// command, from every core; the padding keeps it off the cache lines
	// of the fields every dispatch reads, which would otherwise move
	// between cores with each write (false sharing).
	_     [cacheLine]byte
	stats cmdStat
	_     [cacheLine]byte

	// keys, for commands whose keys move (EVAL's numkeys), calls fn with
	// each key instead of the firstKey/lastKey/keyStep positions.
	keys func(args [][]byte, fn func(key []byte))
	// lockAll, if set, reports whether this call reads keys its key
	// positions do not name (SORT's BY and GET patterns): dispatch and
	// EXEC then hold every shard's lock, as for a keyspace-wide command.
	lockAll func(args [][]byte) bool
	// crossDB, if set, returns the databases besides the client's that
	// this call may work on (SELECT, SWAPDB, MOVE, COPY ... DB, FLUSHALL:
	// an empty list for "every one"), nil for none. Such a call with keys
	// takes its locks itself (lockDBs); an EXEC with one locks every
	// database (db.go).
	crossDB func(c *client, args [][]byte) []int
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

// command finds the command args[0] names, like lookup in the command
// table, but first compares the name with the one it found last: a
// client mostly sends the same command again (a pipeline of GETs), and
// comparing a few bytes costs a fraction of lowering them and hashing
// them for the map (BenchmarkRequestPath/GET/P16: the map was a tenth of
// the server's time).
func (c *client) command(name []byte) *command {
	lc := &c.lastLookup
	if lc.cmd != nil && len(name) == int(lc.n) && string(name) == string(lc.name[:lc.n]) {
		return lc.cmd
	}
	cmd := lookup(commands, name)
	if cmd != nil && len(name) <= len(lc.name) {
		lc.n = uint8(copy(lc.name[:], name))
		lc.cmd = cmd
	}
	return cmd
}

// lookupCache is client.command's memory of the last name it found.
type lookupCache struct {
	name [16]byte
	n    uint8
	cmd  *command
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

// keyPositions calls fn with each of cmd's keys in args, in order.
func (cmd *command) keyPositions(args [][]byte, fn func(key []byte)) {
	if cmd.keys != nil {
		cmd.keys(args, fn)
		return
	}
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

// sortedUnique sorts s and drops repeats, in place.
func sortedUnique(s []int) []int {
	slices.Sort(s)
	return slices.Compact(s)
}

// eachCommand visits every command and subcommand, in name order.
func eachCommand(fn func(*command)) {
	for _, cmd := range commandList {
		fn(cmd)
		for _, sub := range sortedSubs(cmd) {
			fn(sub)
		}
	}
}

func sortedSubs(cmd *command) []*command {
	subs := make([]*command, 0, len(cmd.subs))
	for _, s := range cmd.subs {
		subs = append(subs, s)
	}
	slices.SortFunc(subs, func(a, b *command) int { return strings.Compare(a.name, b.name) })
	return subs
}

// writeHelp replies as Redis's addReplyHelp does: status lines (not bulk
// strings), a header naming the container, and HELP last.
func writeHelp(c *client, container string, lines ...string) {
	c.WriteArray(len(lines) + 3)
	c.WriteString(container + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		c.WriteString(l)
	}
	c.WriteString("HELP")
	c.WriteString("    Prints this help.")
}
