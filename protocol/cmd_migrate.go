package protocol

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// MIGRATE moves keys to another server (cachesrv or Redis) with DUMP's
// serialization and RESTORE, as Redis does: the source serializes each
// key, the target restores it, and the source deletes its copies once the
// target has acknowledged every one (unless COPY).
//
// Dispatch holds the write locks of the keys' shards for the whole
// command, network round trip included, so the move is atomic for every
// other client of those shards, as in Redis (where MIGRATE blocks the
// whole server); clients of other shards are not held up. The target's
// answers are read within the timeout, as Redis reads them.
func init() {
	register(&command{name: "migrate", arity: -6, flags: flagWrite | flagMovableKeys,
		firstKey: 3, lastKey: 3, keyStep: 1, keys: migrateKeys,
		acl: []string{"keyspace", "write", "slow", "dangerous"}, run: cmdMigrate})
	docs["migrate"] = cmdDoc{summary: "Atomically transfers a key from one Redis instance to another.", since: "2.6.0", group: "generic",
		complexity: "This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.",
		args: []argDoc{
			{name: "host", typ: "string"}, {name: "port", typ: "integer"},
			{name: "key-selector", typ: "oneof", args: []argDoc{
				{name: "key", typ: "key"}, {name: "empty-string", typ: "pure-token", token: `""`},
			}},
			{name: "destination-db", typ: "integer"}, {name: "timeout", typ: "integer"},
			{name: "copy", typ: "pure-token", token: "COPY", optional: true},
			{name: "replace", typ: "pure-token", token: "REPLACE", optional: true},
			{name: "authentication", typ: "oneof", optional: true, args: []argDoc{
				{name: "auth", typ: "string", token: "AUTH"},
				{name: "auth2", typ: "block", token: "AUTH2", args: []argDoc{
					{name: "username", typ: "string"}, {name: "password", typ: "string"},
				}},
			}},
			{name: "keys", typ: "key", token: "KEYS", optional: true, multiple: true},
		}}
}

// migrateKeys is MIGRATE's keys function: the key argument, or with it
// empty, every argument after KEYS.
func migrateKeys(args [][]byte, fn func([]byte)) {
	if len(args) > 3 && len(args[3]) > 0 {
		fn(args[3])
		return
	}
	for i := 6; i < len(args); i++ {
		if strings.EqualFold(string(args[i]), "keys") {
			for _, k := range args[i+1:] {
				fn(k)
			}
			return
		}
	}
}

type migrateOpts struct {
	copy, replace      bool
	username, password string
	keys               [][]byte
}

func cmdMigrate(c *client, args [][]byte, tx store.Tx) {
	var o migrateOpts
	keysGiven := false
	for j := 6; j < len(args); j++ {
		more := len(args) - 1 - j
		switch strings.ToLower(string(args[j])) {
		case "copy":
			o.copy = true
		case "replace":
			o.replace = true
		case "auth":
			if more < 1 {
				c.errorReply(errSyntax)
				return
			}
			j++
			o.password = string(args[j])
		case "auth2":
			if more < 2 {
				c.errorReply(errSyntax)
				return
			}
			o.username, o.password = string(args[j+1]), string(args[j+2])
			j += 2
		case "keys":
			if len(args[3]) != 0 {
				c.errorReply("ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
				return
			}
			o.keys, keysGiven = args[j+1:], true
			j = len(args)
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	timeout, ok := c.intArg(args[5])
	if !ok {
		return
	}
	db, ok := c.intArg(args[4])
	if !ok {
		return
	}
	if timeout <= 0 {
		timeout = 1000
	}
	if !keysGiven {
		o.keys = args[3:4]
	}
	// Keys that are gone (expired meanwhile, say) are skipped; with none
	// left there is nothing to move, which Redis does not count as an
	// error.
	type payload struct {
		key, dump []byte
		ttl       int64
	}
	var moving []payload
	for _, k := range o.keys {
		_, at, ok := tx.Lookup(k)
		if !ok {
			continue
		}
		dump, ok := dumpValue(tx, k)
		if !ok {
			c.errorReply("ERR MIGRATE of this type is not supported")
			return
		}
		ttl := int64(0)
		if at != 0 {
			if ttl = at - tx.Now(); ttl < 1 {
				ttl = 1
			}
		}
		moving = append(moving, payload{k, dump, ttl})
	}
	if len(moving) == 0 {
		c.WriteString("NOKEY")
		return
	}

	addr := net.JoinHostPort(string(args[1]), string(args[2]))
	deadline := time.Duration(timeout) * time.Millisecond
	conn, err := net.DialTimeout("tcp", addr, deadline)
	if err != nil {
		c.errorReply("IOERR error or timeout connecting to the client")
		return
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(deadline))

	// One pipeline: AUTH, SELECT, then a RESTORE per key, as Redis sends it.
	var b []byte
	sent := 0 // replies to read before the RESTOREs'
	switch {
	case o.username != "":
		b = resp.AppendCommand(b, []byte("AUTH"), []byte(o.username), []byte(o.password))
		sent++
	case o.password != "":
		b = resp.AppendCommand(b, []byte("AUTH"), []byte(o.password))
		sent++
	}
	b = resp.AppendCommand(b, []byte("SELECT"), []byte(strconv.FormatInt(db, 10)))
	sent++
	for _, m := range moving {
		cmd := [][]byte{[]byte("RESTORE"), m.key, []byte(strconv.FormatInt(m.ttl, 10)), m.dump}
		if o.replace {
			cmd = append(cmd, []byte("REPLACE"))
		}
		b = resp.AppendCommand(b, cmd...)
	}
	if _, err := conn.Write(b); err != nil {
		c.errorReply("IOERR error or timeout writing to target instance")
		return
	}
	rd := bufio.NewReader(conn)
	for range sent {
		reply, err := resp.ReadValue(rd)
		if err != nil {
			c.errorReply("IOERR error or timeout reading to target instance")
			return
		}
		if e, ok := reply.(resp.Error); ok {
			c.errorReply("ERR Target instance replied with error: " + string(e))
			return
		}
	}
	var failed string
	restored := 0
	for i := range moving {
		reply, err := resp.ReadValue(rd)
		if err != nil {
			c.errorReply("IOERR error or timeout reading to target instance")
			return
		}
		if e, ok := reply.(resp.Error); ok {
			if failed == "" {
				failed = string(e)
			}
			continue
		}
		restored++
		if !o.copy {
			// Acknowledged: the target has it, so it goes here (Redis
			// deletes each key whose RESTORE succeeded, even when another
			// one's failed).
			if tx.Delete(moving[i].key) {
				c.notify(notifyGeneric, "del", moving[i].key)
			}
		}
	}
	if failed != "" {
		c.errorReply("ERR Target instance replied with error: " + failed)
		return
	}
	c.WriteString("OK")
}
