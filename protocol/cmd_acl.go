package protocol

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/cachesrv/cachesrv/protocol/acl"
	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// ACL: Redis 7.0's users, their rules and the ACL LOG (protocol/acl holds
// the model). A connection starts as the default user, whose password is
// requirepass; dispatch checks every command of a restricted user
// (aclDenied) after NOAUTH and before routing, as Redis's processCommand
// does.
//
// Users in a cluster: each node has its own users. They do not propagate:
// give every node the same aclfile (ACL SAVE on one node, copy the file,
// ACL LOAD on the others), as Redis Cluster also requires. A forwarded
// command was checked on the node the client talks to. A forwarding link
// that proved the cluster secret is not checked again (provenPeer);
// without a cluster secret, links authenticate with requirepass as the
// default user, whose rules then apply to what they forward.

func init() {
	admin := []string{"admin", "slow", "dangerous"}
	fl := flagAdmin | flagNoScript | flagLoading | flagStale
	register(&command{name: "acl", arity: -2, acl: []string{"slow"}, subs: subcommands(
		&command{name: "cat", arity: -2, flags: flagNoScript | flagLoading | flagStale, acl: []string{"slow"}, run: cmdACLCat},
		&command{name: "deluser", arity: -3, flags: fl, acl: admin, run: cmdACLDelUser},
		&command{name: "dryrun", arity: -4, flags: fl, acl: admin, run: cmdACLDryRun},
		&command{name: "genpass", arity: -2, flags: flagNoScript | flagLoading | flagStale, acl: []string{"slow"}, run: cmdACLGenPass},
		&command{name: "getuser", arity: 3, flags: fl, acl: admin, run: cmdACLGetUser},
		&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: []string{"slow"}, run: cmdACLHelp},
		&command{name: "list", arity: 2, flags: fl, acl: admin, run: cmdACLList},
		&command{name: "load", arity: 2, flags: fl, acl: admin, run: cmdACLLoad},
		&command{name: "log", arity: -2, flags: fl, acl: admin, run: cmdACLLog},
		&command{name: "save", arity: 2, flags: fl, acl: admin, run: cmdACLSave},
		&command{name: "setuser", arity: -3, flags: fl, acl: admin, run: cmdACLSetUser},
		&command{name: "users", arity: 2, flags: fl, acl: admin, run: cmdACLUsers},
		&command{name: "whoami", arity: 2, flags: flagNoScript | flagLoading | flagStale, acl: []string{"slow"}, run: cmdACLWhoAmI},
	)})
}

// aclTable gives every command and subcommand its ACL ID (command.aclID)
// and builds the table ACL rules are parsed against. It runs once, when
// the first server is made: every init has registered its commands by
// then.
var aclTable = sync.OnceValue(func() *acl.Table {
	var infos []acl.CommandInfo
	eachCommand(func(cmd *command) {
		cmd.aclID = len(infos)
		infos = append(infos, acl.CommandInfo{Name: cmd.fullName, Categories: cmd.acl, NoAuth: cmd.flags&flagNoAuth != 0})
	})
	return acl.NewTable(infos)
})

// newUsers returns the server's users at start: default, with
// requirepass as its password.
func newUsers(cfg *config.Config) *acl.Users {
	us := acl.NewUsers(aclTable())
	if p := cfg.Requirepass(); p != "" {
		us.SetDefaultPassword(p)
	}
	return us
}

// LoadACLFile loads the users of the aclfile setting, if there is one,
// replacing those there are. The server calls it before serving: as in
// Redis, a bad file must stop the start, not leave the default user open.
func (s *Server) LoadACLFile() error {
	if s.cfg.ACL.File == "" {
		return nil
	}
	return s.users.LoadFile(s.cfg.ACL.File)
}

// aclDenied checks that the connection's (restricted) user u may run cmd
// with args. If not, it records the denial in ACL LOG, replies NOPERM
// with Redis 7.0's text (dooming a MULTI) and reports true.
func (c *client) aclDenied(u *acl.User, cmd *command, args [][]byte) bool {
	reason, object := aclCheck(u, cmd, args)
	if reason == "" {
		return false
	}
	c.aclLog(reason, object, c.user.Load().Name())
	if reason == "command" {
		c.rejectQueued("NOPERM this user has no permissions to run the '" + cmd.fullName + "' command")
	} else {
		c.rejectQueued("NOPERM this user has no permissions to access one of the keys used as arguments")
	}
	return true
}

// provenPeer reports whether the connection is another node's link that
// proved the cluster secret (CACHESRV.PEER AUTH): what it forwards was
// checked against the client's user on the node the client talks to, so
// the user the link runs as (default) does not limit it. A link known
// only by its name proves nothing and is checked as any client.
func (c *client) provenPeer() bool { return c.peerLink && c.srv.router.PeerAuth() }

// aclDeniedAtExec checks a queued command again when EXEC runs it, as
// Redis does: the user's rules may have changed since it was queued.
func (c *client) aclDeniedAtExec(cmd *command, args [][]byte) bool {
	u := c.user.Load().Load()
	if u.Unrestricted() {
		return false
	}
	reason, object := aclCheck(u, cmd, args)
	if reason == "" {
		return false
	}
	c.aclLog(reason, object, c.user.Load().Name())
	why := "no permission to touch the specified keys"
	if reason == "command" {
		why = "no permission to execute the command or subcommand"
	}
	c.WriteError("NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + why)
	return true
}

// aclCheck returns why u may not run cmd with args ("command" or "key")
// and what it was denied (the command's name or the key), or "" if it
// may.
func aclCheck(u *acl.User, cmd *command, args [][]byte) (reason, object string) {
	var first []byte
	if cmd.parent == nil && len(args) > 1 {
		first = args[1]
	}
	if !u.CanRun(cmd.aclID, first) {
		return "command", cmd.fullName
	}
	if cmd.flags&flagChannels != 0 {
		return "", "" // its "keys" are channels; channel rules are not enforced (README)
	}
	n, denied := 0, false
	cmd.keyPositions(args, func(key []byte) {
		if !denied && !u.CanAccess(key, keyPerm(cmd, args, n)) {
			denied, object = true, string(key)
		}
		n++
	})
	if denied {
		return "key", object
	}
	return "", ""
}

// keyPerm is what cmd does with its n-th key, as Redis 7.0's key
// specifications say (measured with ACL DRYRUN against redis-server
// 7.0.15): read, write, both, or neither (EXISTS, TYPE, STRLEN... look at
// a key without reading its value: any matching pattern will do).
func keyPerm(cmd *command, args [][]byte, n int) acl.Perm {
	switch cmd.fullName {
	case "strlen", "exists", "touch", "type", "watch", "memory|usage":
		return 0
	case "getset", "getdel", "getex", "incr", "decr", "incrby", "decrby", "incrbyfloat":
		return acl.ReadWrite
	case "set":
		for _, a := range args[3:] {
			if strings.EqualFold(string(a), "get") {
				return acl.ReadWrite
			}
		}
	case "rename", "renamenx":
		if n == 0 {
			return acl.ReadWrite
		}
	case "copy":
		if n == 0 {
			return acl.Read
		}
	}
	if cmd.flags&flagWrite != 0 {
		return acl.Write
	}
	return acl.Read
}

// aclLog records a denial or a failed authentication in ACL LOG.
func (c *client) aclLog(reason, object, username string) {
	ctx := "toplevel"
	if c.multi != nil {
		ctx = "multi"
	}
	c.srv.aclLog.Add(acl.LogEntry{
		Reason: reason, Context: ctx, Object: object, Username: username,
		Created: time.Now(), ClientInfo: c.info(),
	}, int(c.srv.cfg.ACL.LogMaxLen.Load()))
}

// authenticate makes the connection user name if pass is its password,
// as AUTH and HELLO AUTH do; if not, it records the failure in ACL LOG
// (object: the command as the client wrote it) and replies WRONGPASS.
func (c *client) authenticate(cmdName []byte, user, pass string) bool {
	ref := c.srv.users.Authenticate(user, pass)
	if ref == nil {
		c.aclLog("auth", string(cmdName), user)
		c.errorReply("WRONGPASS invalid username-password pair or user is disabled.")
		return false
	}
	c.user.Store(ref)
	c.authed = true
	return true
}

// defaultOpen reports whether the default user needs no AUTH: it is on
// and nopass (no requirepass). A new or RESET connection is then
// authenticated at once, as in Redis.
func (s *Server) defaultOpen() bool {
	u := s.users.Default().Load()
	return u.Enabled() && u.NoPass()
}

func cmdACLSetUser(c *client, args [][]byte, _ store.Tx) {
	rules := make([]string, len(args)-3)
	for i, a := range args[3:] {
		rules[i] = string(a)
	}
	if err := c.srv.users.SetUser(string(args[2]), rules); err != nil {
		c.errorReply("ERR " + err.Error())
		return
	}
	c.WriteString("OK")
}

func cmdACLGetUser(c *client, args [][]byte, _ store.Tx) {
	ref := c.srv.users.Get(string(args[2]))
	if ref == nil {
		c.WriteNull()
		return
	}
	u := ref.Load()
	c.WriteMap(6) // in RESP3 a map, its flags a set, as Redis 7.0's
	c.WriteBulkString("flags")
	flags := u.Flags()
	c.WriteSet(len(flags))
	for _, f := range flags {
		c.WriteBulkString(f)
	}
	c.WriteBulkString("passwords")
	c.WriteStringArray(u.Passwords())
	c.WriteBulkString("commands")
	c.WriteBulkString(u.CommandRules())
	c.WriteBulkString("keys")
	c.WriteBulkString(u.Keys())
	c.WriteBulkString("channels")
	c.WriteBulkString(u.Channels())
	c.WriteBulkString("selectors")
	c.WriteArray(0)
}

// cmdACLDelUser deletes users and closes their connections, as Redis
// does; the default user cannot be deleted.
func cmdACLDelUser(c *client, args [][]byte, _ store.Tx) {
	names := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		if string(a) == "default" {
			c.errorReply("ERR The 'default' user cannot be removed")
			return
		}
		names = append(names, string(a))
	}
	gone := c.srv.users.Delete(names)
	c.WriteInt(len(gone))
	c.dropStaleUsers()
}

// dropStaleUsers closes the connections authenticated as users that no
// longer exist (ACL DELUSER, ACL LOAD).
func (c *client) dropStaleUsers() {
	for _, other := range c.srv.clientsSorted() {
		if ref := other.user.Load(); !c.srv.users.Exists(ref) {
			c.killClient(other)
		}
	}
}

func cmdACLList(c *client, _ [][]byte, _ store.Tx) {
	c.WriteStringArray(c.srv.users.List())
}

func cmdACLUsers(c *client, _ [][]byte, _ store.Tx) {
	c.WriteStringArray(c.srv.users.Names())
}

func cmdACLWhoAmI(c *client, _ [][]byte, _ store.Tx) {
	c.WriteBulkString(c.user.Load().Name())
}

func cmdACLCat(c *client, args [][]byte, _ store.Tx) {
	if len(args) > 3 {
		c.errorReply(errSubcommandSyntax(args))
		return
	}
	if len(args) == 2 {
		c.WriteStringArray(acl.Categories)
		return
	}
	cat := acl.CategoryIndex(string(args[2]))
	if cat < 0 {
		c.errorReply("ERR Unknown category '" + resp.Clip(args[2], 128) + "'")
		return
	}
	c.WriteStringArray(aclTable().InCategory(cat))
}

// errSubcommandSyntax is Redis's addReplySubcommandSyntaxError, for a
// subcommand given more arguments than it takes.
func errSubcommandSyntax(args [][]byte) string {
	return "ERR unknown subcommand or wrong number of arguments for '" + resp.Clip(args[1], 128) + "'. Try " + strings.ToUpper(string(args[0])) + " HELP."
}

// cmdACLDryRun answers whether a user may run a command, with Redis
// 7.0's texts, without running it.
func cmdACLDryRun(c *client, args [][]byte, _ store.Tx) {
	ref := c.srv.users.Get(string(args[2]))
	if ref == nil {
		c.errorReply("ERR User '" + resp.Clip(args[2], 128) + "' not found")
		return
	}
	cmdArgs := args[3:]
	cmd := lookup(commands, cmdArgs[0])
	if cmd != nil && cmd.subs != nil {
		container := cmd
		cmd = nil
		if len(cmdArgs) >= 2 {
			cmd = lookup(container.subs, cmdArgs[1])
		}
	}
	if cmd == nil {
		c.errorReply("ERR Command '" + resp.Clip(cmdArgs[0], 128) + "' not found")
		return
	}
	if !cmd.arityOK(len(cmdArgs)) {
		c.errorReply(errWrongArgs(cmd.fullName))
		return
	}
	switch reason, object := aclCheck(ref.Load(), cmd, cmdArgs); reason {
	case "command":
		c.WriteBulkString("This user has no permissions to run the '" + object + "' command")
	case "key":
		c.WriteBulkString("This user has no permissions to access the '" + object + "' key")
	default:
		c.WriteString("OK")
	}
}

// cmdACLGenPass returns bits (256 by default) of randomness as hex.
func cmdACLGenPass(c *client, args [][]byte, _ store.Tx) {
	bits := int64(256)
	if len(args) > 3 {
		c.errorReply(errSubcommandSyntax(args))
		return
	}
	if len(args) == 3 {
		n, ok := parseInt(args[2])
		if !ok || n <= 0 || n > 4096 {
			c.errorReply("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
			return
		}
		bits = n
	}
	chars := int((bits + 3) / 4)
	buf := make([]byte, (chars+1)/2)
	rand.Read(buf)
	c.WriteBulkString(hex.EncodeToString(buf)[:chars])
}

// cmdACLLog lists the newest count entries (all by default), or RESET.
func cmdACLLog(c *client, args [][]byte, _ store.Tx) {
	count := int64(-1)
	switch {
	case len(args) > 3:
		c.errorReply(errSubcommandSyntax(args))
		return
	case len(args) == 3 && strings.EqualFold(string(args[2]), "reset"):
		c.srv.aclLog.Reset()
		c.WriteString("OK")
		return
	case len(args) == 3:
		n, ok := parseInt(args[2])
		if !ok {
			c.errorReply("ERR value is not an integer or out of range")
			return
		}
		count = max(n, 0)
	}
	entries := c.srv.aclLog.Entries(int(min(count, 1<<31)))
	now := time.Now()
	c.WriteArray(len(entries))
	for _, e := range entries {
		c.WriteMap(7)
		c.WriteBulkString("count")
		c.WriteInt(e.Count)
		c.WriteBulkString("reason")
		c.WriteBulkString(e.Reason)
		c.WriteBulkString("context")
		c.WriteBulkString(e.Context)
		c.WriteBulkString("object")
		c.WriteBulkString(e.Object)
		c.WriteBulkString("username")
		c.WriteBulkString(e.Username)
		c.WriteBulkString("age-seconds")
		// Redis counts in milliseconds and replies with a double
		// (in RESP2 a bulk string, %.17g).
		c.WriteDouble(float64(now.Sub(e.Created).Milliseconds()) / 1000)
		c.WriteBulkString("client-info")
		c.WriteBulkString(e.ClientInfo)
	}
}

const errNoACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

// cmdACLLoad replaces the users with the aclfile's, all or none, and
// closes the connections of users it removed or replaced.
func cmdACLLoad(c *client, _ [][]byte, _ store.Tx) {
	if c.srv.cfg.ACL.File == "" {
		c.errorReply(errNoACLFile)
		return
	}
	if err := c.srv.users.LoadFile(c.srv.cfg.ACL.File); err != nil {
		c.errorReply("ERR " + err.Error())
		return
	}
	c.WriteString("OK")
	c.dropStaleUsers()
}

func cmdACLSave(c *client, _ [][]byte, _ store.Tx) {
	if c.srv.cfg.ACL.File == "" {
		c.errorReply(errNoACLFile)
		return
	}
	if err := c.srv.users.SaveFile(c.srv.cfg.ACL.File); err != nil {
		c.srv.log.Warn("ACL SAVE failed", "file", c.srv.cfg.ACL.File, "err", err)
		c.errorReply("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	c.WriteString("OK")
}

func cmdACLHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "ACL",
		"CAT [<category>]",
		"    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DELUSER <username> [<username> ...]",
		"    Delete a list of users.",
		"DRYRUN <username> <command> [<arg> ...]",
		"    Returns whether the user can execute the given command without executing the command.",
		"GETUSER <username>",
		"    Get the user's details.",
		"GENPASS [<bits>]",
		"    Generate a secure 256-bit user password. The optional `bits` argument can",
		"    be used to specify a different size.",
		"LIST",
		"    Show users details in config file format.",
		"LOAD",
		"    Reload users from the ACL file.",
		"LOG [<count> | RESET]",
		"    Show the ACL log entries.",
		"SAVE",
		"    Save the current config to the ACL file.",
		"SETUSER <username> <attribute> [<attribute> ...]",
		"    Create or modify a user with the specified attributes.",
		"USERS",
		"    List all the registered usernames.",
		"WHOAMI",
		"    Return the current connection username.",
	)
}
