package protocol

import (
	"cmp"
	"slices"
	"strings"

	"github.com/cachesrv/cachesrv/store"
)

func init() {
	register(
		&command{name: "ping", arity: -1, flags: flagFast, acl: []string{"fast", "connection"}, run: cmdPing},
		&command{name: "echo", arity: 2, flags: flagFast, acl: []string{"fast", "connection"}, run: cmdEcho},
		&command{name: "quit", arity: -1, flags: flagNoScript | flagLoading | flagStale | flagFast | flagNoAuth | flagAllowBusy | flagNotQueued, acl: []string{"fast", "connection"}, run: cmdQuit},
		&command{name: "select", arity: 2, flags: flagLoading | flagStale | flagFast, acl: []string{"fast", "connection"}, run: cmdSelect},
		&command{name: "hello", arity: -1, flags: flagNoScript | flagLoading | flagStale | flagFast | flagNoAuth | flagAllowBusy, acl: []string{"fast", "connection"}, run: cmdHello},
		&command{name: "auth", arity: -2, flags: flagNoScript | flagLoading | flagStale | flagFast | flagNoAuth | flagAllowBusy, acl: []string{"fast", "connection"}, run: cmdAuth},
		&command{name: "reset", arity: 1, flags: flagNoScript | flagLoading | flagStale | flagFast | flagNoAuth | flagAllowBusy | flagNotQueued, acl: []string{"fast", "connection"}, run: cmdReset},
		&command{name: "client", arity: -2, flags: 0, acl: []string{"slow"}, subs: subcommands(
			&command{name: "id", arity: 2, flags: flagNoScript | flagLoading | flagStale, acl: []string{"slow", "connection"}, run: cmdClientID},
			&command{name: "setname", arity: 3, flags: flagNoScript | flagLoading | flagStale, acl: []string{"slow", "connection"}, run: cmdClientSetName},
			&command{name: "getname", arity: 2, flags: flagNoScript | flagLoading | flagStale, acl: []string{"slow", "connection"}, run: cmdClientGetName},
			&command{name: "info", arity: 2, flags: flagNoScript | flagLoading | flagStale, acl: []string{"slow", "connection"}, run: cmdClientInfo},
			&command{name: "list", arity: -2, flags: flagAdmin | flagNoScript | flagLoading | flagStale, acl: []string{"admin", "slow", "dangerous", "connection"}, run: cmdClientList},
			&command{name: "setinfo", arity: 4, flags: flagNoScript | flagLoading | flagStale, acl: []string{"slow", "connection"}, run: cmdClientSetInfo},
			&command{name: "kill", arity: -3, flags: flagAdmin | flagNoScript | flagLoading | flagStale, acl: []string{"admin", "slow", "dangerous", "connection"}, run: cmdClientKill},
			&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: []string{"slow", "connection"}, run: cmdClientHelp},
		)},
	)
}

func cmdPing(c *client, args [][]byte, _ store.Tx) {
	switch len(args) {
	case 1:
		c.WriteString("PONG")
	case 2:
		c.WriteBulk(args[1])
	default:
		c.errorReply(errWrongArgs("ping"))
	}
}

func cmdEcho(c *client, args [][]byte, _ store.Tx) { c.WriteBulk(args[1]) }

func cmdQuit(c *client, _ [][]byte, _ store.Tx) {
	c.WriteString("OK")
	c.quit = true
	c.Close() // flushes the reply first
}

func cmdSelect(c *client, args [][]byte, _ store.Tx) {
	n, ok := c.intArg(args[1])
	if !ok {
		return
	}
	if n != 0 {
		c.errorReply(errDBRange)
		return
	}
	c.WriteString("OK")
}

// cmdHello speaks RESP2 only: HELLO 3 gets NOPROTO, which clients such as
// go-redis take as the cue to stay on RESP2.
func cmdHello(c *client, args [][]byte, _ store.Tx) {
	if len(args) >= 2 {
		v, ok := parseInt(args[1])
		if !ok {
			c.errorReply("ERR Protocol version is not an integer or out of range")
			return
		}
		if v != 2 {
			c.errorReply("NOPROTO unsupported protocol version")
			return
		}
	}
	var name string
	setName := false
	for i := 2; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		switch {
		case opt == "auth" && i+2 < len(args):
			if !c.checkPassword(string(args[i+1]), string(args[i+2])) {
				return
			}
			i += 2
		case opt == "setname" && i+1 < len(args):
			name, setName = string(args[i+1]), true
			i++
		default:
			c.errorReply("ERR Syntax error in HELLO option '" + clip(args[i], 128) + "'")
			return
		}
	}
	if !c.authed {
		c.errorReply("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if setName {
		if !validClientName(name) {
			c.errorReply("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		c.mu.Lock()
		c.name = name
		c.mu.Unlock()
	}
	c.WriteArray(14)
	c.WriteBulkString("server")
	c.WriteBulkString("redis")
	c.WriteBulkString("version")
	c.WriteBulkString(redisVersion)
	c.WriteBulkString("proto")
	c.WriteInt(2)
	c.WriteBulkString("id")
	c.WriteInt64(c.id)
	c.WriteBulkString("mode")
	c.WriteBulkString("standalone")
	c.WriteBulkString("role")
	c.WriteBulkString("master")
	c.WriteBulkString("modules")
	c.WriteArray(0)
}

func cmdAuth(c *client, args [][]byte, _ store.Tx) {
	if len(args) > 3 {
		c.errorReply(errSyntax)
		return
	}
	user, pass := "default", string(args[1])
	if len(args) == 3 {
		user, pass = string(args[1]), string(args[2])
	}
	if c.srv.cfg.Requirepass() == "" && len(args) == 2 {
		c.errorReply("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	if c.checkPassword(user, pass) {
		c.WriteString("OK")
	}
}

// checkPassword authenticates the connection as the default user, the
// only one there is, replying with Redis's error when it fails.
func (c *client) checkPassword(user, pass string) bool {
	want := c.srv.cfg.Requirepass()
	if user != "default" || (want != "" && pass != want) {
		c.errorReply("WRONGPASS invalid username-password pair or user is disabled.")
		return false
	}
	c.authed = true
	return true
}

func cmdReset(c *client, _ [][]byte, _ store.Tx) {
	c.endMulti()
	c.mu.Lock()
	c.name = ""
	c.mu.Unlock()
	c.authed = c.srv.cfg.Requirepass() == ""
	c.WriteString("RESET")
}

func cmdClientID(c *client, _ [][]byte, _ store.Tx) { c.WriteInt64(c.id) }

func cmdClientSetName(c *client, args [][]byte, _ store.Tx) {
	name := string(args[2])
	if !validClientName(name) {
		c.errorReply("ERR Client names cannot contain spaces, newlines or special characters.")
		return
	}
	c.mu.Lock()
	c.name = name
	c.mu.Unlock()
	c.WriteString("OK")
}

func cmdClientGetName(c *client, _ [][]byte, _ store.Tx) {
	c.mu.Lock()
	name := c.name
	c.mu.Unlock()
	if name == "" {
		c.WriteNull()
		return
	}
	c.WriteBulkString(name)
}

func cmdClientInfo(c *client, _ [][]byte, _ store.Tx) { c.WriteBulkString(c.info() + "\n") }

// cmdClientList supports CLIENT LIST [TYPE normal|master|replica|pubsub]
// [ID id ...]; every cachesrv client is of type normal.
func cmdClientList(c *client, args [][]byte, _ store.Tx) {
	var ids map[int64]bool
	onlyNone := false
	for i := 2; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "type":
			if i+1 >= len(args) {
				c.errorReply(errSyntax)
				return
			}
			switch t := strings.ToLower(string(args[i+1])); t {
			case "normal":
			case "master", "replica", "slave", "pubsub":
				onlyNone = true
			default:
				c.errorReply("ERR Unknown client type '" + clip(args[i+1], 64) + "'")
				return
			}
			i++
		case "id":
			if i+1 >= len(args) {
				c.errorReply(errSyntax)
				return
			}
			ids = map[int64]bool{}
			for i++; i < len(args); i++ {
				id, ok := parseInt(args[i])
				if !ok || id <= 0 {
					c.errorReply("ERR Invalid client ID")
					return
				}
				ids[id] = true
			}
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	var b strings.Builder
	if !onlyNone {
		for _, other := range c.srv.clientsSorted() {
			if ids == nil || ids[other.id] {
				b.WriteString(other.info())
				b.WriteByte('\n')
			}
		}
	}
	c.WriteBulkString(b.String())
}

func cmdClientSetInfo(c *client, args [][]byte, _ store.Tx) {
	val := string(args[3])
	if !validClientName(val) && val != "" {
		c.errorReply("ERR " + strings.ToUpper(string(args[2])) + " cannot contain spaces, newlines or special characters.")
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch strings.ToLower(string(args[2])) {
	case "lib-name":
		c.libName = val
	case "lib-ver":
		c.libVer = val
	default:
		c.failed = true
		c.WriteError("ERR Unrecognized option '" + clip(args[2], 64) + "'")
		return
	}
	c.WriteString("OK")
}

// cmdClientKill supports the old form, CLIENT KILL addr:port (+OK or an
// error), and the filter form, CLIENT KILL [ID id] [ADDR addr] [LADDR addr]
// [SKIPME yes|no] [TYPE t] [USER u] (the number killed).
func cmdClientKill(c *client, args [][]byte, _ store.Tx) {
	if len(args) == 3 {
		addr := string(args[2])
		for _, other := range c.srv.clientsSorted() {
			if other.net.RemoteAddr().String() == addr {
				c.killClient(other)
				c.WriteString("OK")
				return
			}
		}
		c.errorReply("ERR No such client")
		return
	}
	if len(args)%2 != 0 {
		c.errorReply(errSyntax)
		return
	}
	var (
		id                 int64
		addr, laddr, user  string
		skipMe, typeNormal = true, true
	)
	for i := 2; i < len(args); i += 2 {
		val := string(args[i+1])
		switch strings.ToLower(string(args[i])) {
		case "id":
			n, ok := parseInt(args[i+1])
			if !ok || n <= 0 {
				c.errorReply("ERR client-id should be greater than 0")
				return
			}
			id = n
		case "addr":
			addr = val
		case "laddr":
			laddr = val
		case "user":
			user = val
		case "type":
			switch strings.ToLower(val) {
			case "normal":
			case "master", "replica", "slave", "pubsub":
				typeNormal = false
			default:
				c.errorReply("ERR Unknown client type '" + clip(args[i+1], 64) + "'")
				return
			}
		case "skipme":
			switch strings.ToLower(val) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				c.errorReply(errSyntax)
				return
			}
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	killed := 0
	for _, other := range c.srv.clientsSorted() {
		switch {
		case !typeNormal,
			id != 0 && other.id != id,
			addr != "" && other.net.RemoteAddr().String() != addr,
			laddr != "" && other.net.LocalAddr().String() != laddr,
			user != "" && user != "default",
			skipMe && other == c:
			continue
		}
		c.killClient(other)
		killed++
	}
	c.WriteInt(killed)
}

// killClient closes other; when other is the caller itself, its reply
// still goes out first, as in Redis.
func (c *client) killClient(other *client) {
	if other == c {
		c.quit = true
		c.Close()
		return
	}
	other.kill()
}

func cmdClientHelp(c *client, _ [][]byte, _ store.Tx) {
	c.writeStringArray([]string{
		"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"GETNAME", "    Return the name of the current connection.",
		"ID", "    Return the ID of the current connection.",
		"INFO", "    Return information about the current client connection.",
		"KILL <ip:port>", "    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options: ID, ADDR, LADDR, TYPE, USER, SKIPME.",
		"LIST [TYPE <type>] [ID <id> ...]", "    Return information about client connections.",
		"SETINFO <LIB-NAME|LIB-VER> <value>", "    Record the client library's name or version.",
		"SETNAME <name>", "    Assign the name <name> to the current connection.",
		"HELP", "    Print this help.",
	})
}

// clientsSorted returns the connected clients in id order.
func (s *Server) clientsSorted() []*client {
	s.mu.Lock()
	out := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b *client) int { return cmp.Compare(a.id, b.id) })
	return out
}
