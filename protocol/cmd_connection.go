package protocol

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/acl"
	"github.com/cachesrv/cachesrv/protocol/resp"
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
			&command{name: "no-evict", arity: 3, flags: flagAdmin | flagNoScript | flagLoading | flagStale, acl: []string{"admin", "slow", "dangerous", "connection"}, run: cmdClientNoEvict},
			&command{name: "no-touch", arity: 3, flags: flagNoScript | flagLoading | flagStale, acl: []string{"slow", "connection"}, run: cmdClientNoTouch},
			&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: []string{"slow", "connection"}, run: cmdClientHelp},
		)},
	)
}

func cmdPing(c *client, args [][]byte, _ store.Tx) {
	if len(args) <= 2 && c.subscribedRESP2() {
		// RESP2's subscribed mode answers as a message would come.
		c.WriteArray(2)
		c.WriteBulkString("pong")
		if len(args) == 2 {
			c.WriteBulk(args[1])
		} else {
			c.WriteBulkString("")
		}
		return
	}
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
	c.quit = true // handle closes the connection after flushing the reply
}

func cmdSelect(c *client, args [][]byte, _ store.Tx) {
	n, ok := c.int32Arg(args[1], "")
	if !ok {
		return
	}
	if n != 0 && c.srv.router != nil {
		c.errorReply("ERR SELECT is not allowed in cluster mode")
		return
	}
	if n < 0 || int(n) >= len(c.srv.dbs.slots) {
		c.errorReply(errDBRange)
		return
	}
	c.selectDB(int(n))
	c.WriteString("OK")
}

// cmdHello switches the connection's protocol (HELLO 2 or 3; without a
// version it keeps the one it speaks), after AUTH and SETNAME succeed, as
// Redis does: a HELLO that fails changes nothing. Its reply, the server's
// identity, is already in the new protocol: a map in RESP3, a flat array
// in RESP2.
func cmdHello(c *client, args [][]byte, _ store.Tx) {
	proto := c.Proto()
	if len(args) >= 2 {
		v, ok := parseInt(args[1])
		if !ok {
			c.errorReply("ERR Protocol version is not an integer or out of range")
			return
		}
		if v != 2 && v != 3 {
			c.errorReply("NOPROTO unsupported protocol version")
			return
		}
		proto = int(v)
	}
	var name string
	setName := false
	for i := 2; i < len(args); i++ {
		opt := strings.ToLower(string(args[i]))
		switch {
		case opt == "auth" && i+2 < len(args):
			if !c.authenticate(args[0], string(args[i+1]), string(args[i+2])) {
				return
			}
			i += 2
		case opt == "setname" && i+1 < len(args):
			name, setName = string(args[i+1]), true
			i++
		default:
			c.errorReply("ERR Syntax error in HELLO option '" + resp.Clip(args[i], 128) + "'")
			return
		}
	}
	if !c.authed {
		c.errorReply("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if setName && !c.setName(name) {
		return
	}
	c.SetProto(proto)
	c.WriteMap(7)
	c.WriteBulkString("server")
	c.WriteBulkString("redis")
	c.WriteBulkString("version")
	c.WriteBulkString(redisVersion)
	c.WriteBulkString("proto")
	c.WriteInt(proto)
	c.WriteBulkString("id")
	c.WriteInt64(c.id)
	c.WriteBulkString("mode")
	if c.srv.router != nil {
		c.WriteBulkString("cluster") // as a Redis Cluster node says
	} else {
		c.WriteBulkString("standalone")
	}
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
	if len(args) == 2 && c.srv.users.Default().Load().NoPass() {
		c.errorReply("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
		return
	}
	if c.authenticate(args[0], user, pass) {
		c.WriteString("OK")
	}
}

func cmdReset(c *client, _ [][]byte, _ store.Tx) {
	c.endMulti()
	c.unsubscribeAll()
	c.trackingOff()
	c.mu.Lock()
	c.name = ""
	c.mu.Unlock()
	c.user.Store(c.srv.users.Default())
	c.authed = c.srv.defaultOpen()
	c.peerLink, c.peerChallenge = false, nil
	c.repliesOn() // and CLIENT REPLY ON (cmd_connection_ops.go)
	c.SetProto(2) // Redis's RESET goes back to RESP2 too
	c.selectDB(0)
	c.WriteString("RESET")
}

func cmdClientID(c *client, _ [][]byte, _ store.Tx) { c.WriteInt64(c.id) }

func cmdClientSetName(c *client, args [][]byte, _ store.Tx) {
	if c.setName(string(args[2])) {
		c.WriteString("OK")
	}
}

// setName names the connection, or replies with Redis's error for a name
// it refuses.
func (c *client) setName(name string) bool {
	if !validClientName(name) {
		c.errorReply("ERR Client names cannot contain spaces, newlines or special characters.")
		return false
	}
	c.mu.Lock()
	c.name = name
	c.mu.Unlock()
	if !c.srv.router.PeerAuth() { // with a cluster secret a name proves nothing
		c.peerLink = name == route.PeerLinkName
	}
	return true
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

// cmdClientInfo replies with a verbatim string in RESP3, as Redis does
// (CLIENT LIST too).
func cmdClientInfo(c *client, _ [][]byte, _ store.Tx) { c.WriteVerbatim("txt", c.info()+"\n") }

// cmdClientList supports CLIENT LIST, CLIENT LIST TYPE normal|master|replica|pubsub
// and CLIENT LIST ID id [id ...], the two filters exclusive as in Redis;
// every cachesrv client is of type normal.
func cmdClientList(c *client, args [][]byte, _ store.Tx) {
	var ids map[int64]bool
	onlyNone := false
	switch {
	case len(args) == 4 && strings.EqualFold(string(args[2]), "type"):
		switch strings.ToLower(string(args[3])) {
		case "normal":
		case "master", "replica", "slave", "pubsub":
			onlyNone = true
		default:
			c.errorReply("ERR Unknown client type '" + resp.Clip(args[3], 64) + "'")
			return
		}
	case len(args) > 3 && strings.EqualFold(string(args[2]), "id"):
		ids = map[int64]bool{}
		for _, a := range args[3:] {
			id, ok := parseInt(a)
			if !ok {
				c.errorReply("ERR Invalid client ID")
				return
			}
			ids[id] = true
		}
	case len(args) != 2:
		c.errorReply(errSyntax)
		return
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
	c.WriteVerbatim("txt", b.String())
}

// cmdClientSetInfo is Redis 7.2's CLIENT SETINFO: the attribute is checked
// before the value, and errors name the attribute as the client wrote it.
func cmdClientSetInfo(c *client, args [][]byte, _ store.Tx) {
	attr, val := string(args[2]), string(args[3])
	var dst *string
	switch strings.ToLower(attr) {
	case "lib-name":
		dst = &c.libName
	case "lib-ver":
		dst = &c.libVer
	default:
		c.errorReply("ERR Unrecognized option '" + resp.Clip(args[2], 128) + "'")
		return
	}
	if !validClientName(val) {
		c.errorReply("ERR " + resp.Clip(args[2], 128) + " cannot contain spaces, newlines or special characters.")
		return
	}
	c.mu.Lock()
	*dst = val
	c.mu.Unlock()
	c.WriteString("OK")
}

// cmdClientKill supports the old form, CLIENT KILL addr:port (+OK or an
// error; it may kill the caller), and the filter form, CLIENT KILL [ID id]
// [ADDR addr] [LADDR addr] [SKIPME yes|no] [TYPE t] [USER u] [MAXAGE secs]
// (the number killed). Filters are parsed in order, as Redis does, so the
// first bad one is the one reported.
func cmdClientKill(c *client, args [][]byte, _ store.Tx) {
	if len(args) == 3 {
		addr := string(args[2])
		for _, other := range c.srv.clientsSorted() {
			if other.net.RemoteAddr().String() == addr {
				c.WriteString("OK")
				c.killClient(other)
				return
			}
		}
		c.errorReply("ERR No such client")
		return
	}
	var (
		id, maxAge         int64
		addr, laddr        string
		skipMe, typeNormal = true, true
		user               *acl.Ref
	)
	for i := 2; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.errorReply(errSyntax)
			return
		}
		val := string(args[i+1])
		switch strings.ToLower(string(args[i])) {
		case "id":
			n, ok := parseInt(args[i+1])
			if !ok || n <= 0 {
				c.errorReply("ERR client-id should be greater than 0")
				return
			}
			id = n
		case "maxage":
			n, ok := parseInt(args[i+1])
			if !ok {
				c.errorReply("ERR maxage is not an integer or out of range")
				return
			}
			if n <= 0 {
				c.errorReply("ERR maxage should be greater than 0")
				return
			}
			maxAge = n
		case "addr":
			addr = val
		case "laddr":
			laddr = val
		case "user":
			if user = c.srv.users.Get(val); user == nil {
				c.errorReply("ERR No such user '" + resp.Clip(args[i+1], 128) + "'")
				return
			}
		case "type":
			switch strings.ToLower(val) {
			case "normal":
			case "master", "replica", "slave", "pubsub":
				typeNormal = false
			default:
				c.errorReply("ERR Unknown client type '" + resp.Clip(args[i+1], 64) + "'")
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
	now := time.Now()
	var victims []*client
	for _, other := range c.srv.clientsSorted() {
		switch {
		case !typeNormal,
			id != 0 && other.id != id,
			addr != "" && other.net.RemoteAddr().String() != addr,
			laddr != "" && other.net.LocalAddr().String() != laddr,
			maxAge != 0 && int64(now.Sub(other.created)/time.Second) < maxAge,
			user != nil && other.user.Load() != user,
			skipMe && other == c:
			continue
		}
		victims = append(victims, other)
	}
	c.WriteInt(len(victims))
	for _, other := range victims {
		c.killClient(other)
	}
}

// killClient closes other. When other is the caller itself, the caller's
// reply, already written, goes out first, as in Redis, and the rest of
// its pipeline is ignored.
func (c *client) killClient(other *client) {
	if other == c {
		c.killed.Store(true)
		c.quit = true // handle closes the connection after flushing the reply
		return
	}
	other.kill()
}

// cmdClientNoEvict is CLIENT NO-EVICT on|off: whether maxmemory-clients
// may close this connection (one that monitors the server, say).
func cmdClientNoEvict(c *client, args [][]byte, _ store.Tx) {
	switch strings.ToLower(string(args[2])) {
	case "on":
		c.noEvict.Store(true)
	case "off":
		c.noEvict.Store(false) // checked again when the reply goes out (flush)
	default:
		c.errorReply(errSyntax)
		return
	}
	c.WriteString("OK")
}

// cmdClientNoTouch is CLIENT NO-TOUCH on|off (Redis 7.2): whether the
// client's commands leave the keys' LRU clock and LFU counter alone, so
// that a monitoring or scanning client does not keep keys from eviction
// or reset OBJECT IDLETIME. TOUCH still touches (c.run).
func cmdClientNoTouch(c *client, args [][]byte, _ store.Tx) {
	switch strings.ToLower(string(args[2])) {
	case "on":
		c.noTouch.Store(true)
	case "off":
		c.noTouch.Store(false)
	default:
		c.errorReply(errSyntax)
		return
	}
	c.WriteString("OK")
}

func cmdClientHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "CLIENT",
		"GETNAME", "    Return the name of the current connection.",
		"ID", "    Return the ID of the current connection.",
		"INFO", "    Return information about the current client connection.",
		"KILL <ip:port>", "    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]", "    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)", "      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Kill connections by type.",
		"    * USER <username>", "      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)", "      Skip killing current connection (default: yes).",
		"    * ID <client-id>", "      Kill connections by client id.",
		"    * MAXAGE <maxage>", "      Kill connections older than the specified age.",
		"LIST [options ...]", "    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)", "      Return clients of specified type.",
		"    * ID <client-id> [<client-id> ...]", "      Return clients of specified IDs only.",
		"SETINFO <option> <value>", "    Set client meta attr. Options are:",
		"    * LIB-NAME: the client lib name.", "    * LIB-VER: the client lib version.",
		"SETNAME <name>", "    Assign the name <name> to the current connection.",
		"NO-EVICT (ON|OFF)", "    Protect current client connection from eviction.",
	)
}

// clientsSorted returns the connected clients in id order, leaving out
// those CLIENT KILL has closed.
func (s *Server) clientsSorted() []*client {
	s.mu.Lock()
	out := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		if !c.killed.Load() {
			out = append(out, c)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(out, func(a, b *client) int { return cmp.Compare(a.id, b.id) })
	return out
}
