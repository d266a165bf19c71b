package protocol

import (
	"bytes"
	"github.com/cachesrv/cachesrv/cluster/route"
	"math"
	"strconv"
	"strings"

	"github.com/cachesrv/cachesrv/protocol/glob"
	"github.com/cachesrv/cachesrv/protocol/resp"

	"github.com/cachesrv/cachesrv/store"
)

func init() {
	key := func(name string, arity int, flags cmdFlags, first, last, step int, acl []string, run handler) *command {
		return &command{name: name, arity: arity, flags: flags, firstKey: first, lastKey: last, keyStep: step, acl: acl, run: run}
	}
	rdFast := []string{"keyspace", "read", "fast"}
	wrFast := []string{"keyspace", "write", "fast"}
	wrSlow := []string{"keyspace", "write", "slow"}
	register(
		key("del", -2, flagWrite, 1, -1, 1, []string{"keyspace", "write", "slow"}, cmdDel),
		key("unlink", -2, flagWrite|flagFast, 1, -1, 1, wrFast, cmdDel),
		key("exists", -2, flagReadonly|flagFast, 1, -1, 1, rdFast, cmdExists),
		key("touch", -2, flagReadonly|flagFast, 1, -1, 1, rdFast, cmdTouch),
		key("type", 2, flagReadonly|flagFast, 1, 1, 1, rdFast, cmdType),
		key("expire", -3, flagWrite|flagFast, 1, 1, 1, wrFast, cmdExpire),
		key("pexpire", -3, flagWrite|flagFast, 1, 1, 1, wrFast, cmdExpire),
		key("expireat", -3, flagWrite|flagFast, 1, 1, 1, wrFast, cmdExpire),
		key("pexpireat", -3, flagWrite|flagFast, 1, 1, 1, wrFast, cmdExpire),
		key("ttl", 2, flagReadonly|flagFast, 1, 1, 1, rdFast, cmdTTL),
		key("pttl", 2, flagReadonly|flagFast, 1, 1, 1, rdFast, cmdTTL),
		key("expiretime", 2, flagReadonly|flagFast, 1, 1, 1, rdFast, cmdTTL),
		key("pexpiretime", 2, flagReadonly|flagFast, 1, 1, 1, rdFast, cmdTTL),
		key("persist", 2, flagWrite|flagFast, 1, 1, 1, wrFast, cmdPersist),
		key("rename", 3, flagWrite, 1, 2, 1, wrSlow, cmdRename),
		key("renamenx", 3, flagWrite|flagFast, 1, 2, 1, wrFast, cmdRename),
		key("copy", -3, flagWrite|flagDenyOOM, 1, 2, 1, wrSlow, cmdCopy),
		key("keys", 2, flagReadonly|flagKeyspace, 0, 0, 0, []string{"keyspace", "read", "slow", "dangerous"}, cmdKeys),
		key("scan", -2, flagReadonly|flagKeyspace, 0, 0, 0, []string{"keyspace", "read", "slow"}, cmdScan),
		key("randomkey", 1, flagReadonly|flagKeyspace, 0, 0, 0, []string{"keyspace", "read", "slow"}, cmdRandomKey),
		key("dbsize", 1, flagReadonly|flagFast|flagKeyspace, 0, 0, 0, []string{"keyspace", "read", "fast"}, cmdDBSize),
		key("flushdb", -1, flagWrite|flagKeyspace, 0, 0, 0, []string{"keyspace", "write", "slow", "dangerous"}, cmdFlush),
		key("flushall", -1, flagWrite|flagKeyspace, 0, 0, 0, []string{"keyspace", "write", "slow", "dangerous"}, cmdFlush),
	)
}

// cmdDel serves DEL and UNLINK (values are freed by the collector either way).
func cmdDel(c *client, args [][]byte, tx store.Tx) {
	n := 0
	for _, key := range args[1:] {
		if tx.Delete(key) {
			c.notify(notifyGeneric, "del", key)
			n++
		}
	}
	c.WriteInt(n)
}

// cmdExists serves EXISTS and TOUCH: the number of keys that exist,
// counting repeats.
func cmdExists(c *client, args [][]byte, tx store.Tx) {
	n := 0
	for _, key := range args[1:] {
		found := tx.Exists(key)
		c.lookedUp(found)
		if found {
			n++
		}
	}
	c.WriteInt(n)
}

// cmdTouch counts the keys that exist and records a use of each, even
// for a CLIENT NO-TOUCH client, as Redis 7.2.
func cmdTouch(c *client, args [][]byte, tx store.Tx) {
	n := 0
	for _, key := range args[1:] {
		found := tx.Touch(key)
		c.lookedUp(found)
		if found {
			n++
		}
	}
	c.WriteInt(n)
}

func cmdType(c *client, args [][]byte, tx store.Tx) {
	typ := tx.Type(args[1])
	c.lookedUp(typ != store.TypeNone)
	c.WriteString(typ.String())
}

// cmdExpire serves EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT with their
// NX | XX | GT | LT conditions. A key without a TTL counts as having an
// infinite one for GT and LT, as in Redis.
func cmdExpire(c *client, args [][]byte, tx store.Tx) {
	name := strings.ToLower(string(args[0]))
	// Redis checks the options before the time.
	var nx, xx, gt, lt bool
	for _, a := range args[3:] {
		switch opt := strings.ToUpper(string(a)); opt {
		case "NX":
			nx = true
		case "XX":
			xx = true
		case "GT":
			gt = true
		case "LT":
			lt = true
		default:
			c.errorReply("ERR Unsupported option " + resp.Clip(a, len(a)))
			return
		}
	}
	if nx && (xx || gt || lt) {
		c.errorReply("ERR NX and XX, GT or LT options at the same time are not compatible")
		return
	}
	if gt && lt {
		c.errorReply("ERR GT and LT options at the same time are not compatible")
		return
	}
	when, ok := c.intArg(args[2])
	if !ok {
		return
	}
	invalid := "ERR invalid expire time in '" + name + "' command"
	ms := when
	if name == "expire" || name == "expireat" {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			c.errorReply(invalid)
			return
		}
		ms = when * 1000
	}
	if name == "expire" || name == "pexpire" {
		now := tx.Now()
		if ms > math.MaxInt64-now {
			c.errorReply(invalid)
			return
		}
		ms += now
	}
	_, cur, exists := tx.Lookup(args[1])
	if !exists {
		c.WriteInt(0)
		return
	}
	switch {
	case nx && cur != 0,
		xx && cur == 0,
		gt && (cur == 0 || ms <= cur),
		lt && cur != 0 && ms >= cur:
		c.WriteInt(0)
		return
	}
	if ms <= 0 {
		// At or before the epoch: gone now, like any past time.
		tx.Delete(args[1])
	} else {
		tx.SetExpire(args[1], ms)
	}
	if ms <= tx.Now() {
		c.notify(notifyGeneric, "del", args[1])
	} else {
		c.notify(notifyGeneric, "expire", args[1])
	}
	c.WriteInt(1)
}

// cmdTTL serves TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing
// key, -1 for one without expiry.
func cmdTTL(c *client, args [][]byte, tx store.Tx) {
	_, at, ok := tx.Lookup(args[1])
	c.lookedUp(ok)
	switch {
	case !ok:
		c.WriteInt(-2)
		return
	case at == 0:
		c.WriteInt(-1)
		return
	}
	switch strings.ToLower(string(args[0])) {
	case "ttl":
		c.WriteInt64((at - tx.Now() + 500) / 1000)
	case "pttl":
		c.WriteInt64(at - tx.Now())
	case "expiretime":
		c.WriteInt64(at/1000 + (at%1000+500)/1000) // rounded as Redis does, without overflow
	default:
		c.WriteInt64(at)
	}
}

func cmdPersist(c *client, args [][]byte, tx store.Tx) {
	_, at, ok := tx.Lookup(args[1])
	if !ok || at == 0 {
		c.WriteInt(0)
		return
	}
	tx.SetExpire(args[1], 0)
	c.notify(notifyGeneric, "persist", args[1])
	c.WriteInt(1)
}

// cmdRename serves RENAME and RENAMENX; the key keeps its TTL.
func cmdRename(c *client, args [][]byte, tx store.Tx) {
	nx := len(args[0]) == len("renamenx")
	src, dst := args[1], args[2]
	_, _, ok := tx.Lookup(src)
	if !ok {
		c.errorReply(errNoSuchKey)
		return
	}
	if bytes.Equal(src, dst) {
		if nx {
			c.WriteInt(0)
		} else {
			c.WriteString("OK")
		}
		return
	}
	if nx && tx.Exists(dst) {
		c.WriteInt(0)
		return
	}
	tx.Rename(src, dst) // any type, with its TTL
	c.notify(notifyGeneric, "rename_from", src)
	c.notify(notifyGeneric, "rename_to", dst)
	if nx {
		c.WriteInt(1)
	} else {
		c.WriteString("OK")
	}
}

func cmdCopy(c *client, args [][]byte, tx store.Tx) {
	replace := false
	srcDB := int(c.dbNum.Load())
	dstDB := srcDB
	for i := 3; i < len(args); i++ {
		switch strings.ToUpper(string(args[i])) {
		case "REPLACE":
			replace = true
		case "DB":
			if i+1 >= len(args) {
				c.errorReply(errSyntax)
				return
			}
			db, ok := c.intArg(args[i+1])
			if !ok {
				return
			}
			if db < math.MinInt32 || db > math.MaxInt32 {
				c.errorReply("ERR value is out of range, value must between -2147483648 and 2147483647")
				return
			}
			if db < 0 || db >= int64(len(c.srv.dbs.slots)) {
				c.errorReply(errDBRange)
				return
			}
			dstDB = int(db)
			i++
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	if c.srv.router != nil && (srcDB != 0 || dstDB != 0) {
		c.errorReply("ERR Copying to another database is not allowed in cluster mode")
		return
	}
	src, dst := args[1], args[2]
	if srcDB != dstDB {
		c.copyToDB(src, dst, dstDB, replace, tx)
		return
	}
	if bytes.Equal(src, dst) {
		c.errorReply("ERR source and destination objects are the same")
		return
	}
	_, _, ok := tx.Lookup(src)
	if !ok || (!replace && tx.Exists(dst)) {
		c.WriteInt(0)
		return
	}
	tx.Copy(src, dst) // any type, with its TTL
	c.notify(notifyGeneric, "copy_to", dst)
	c.WriteInt(1)
}

func cmdKeys(c *client, args [][]byte, tx store.Tx) {
	pattern := args[1]
	all := len(pattern) == 1 && pattern[0] == '*'
	var keys [][]byte
	owned := c.srv.ownedFilter()
	tx.Keys(func(key []byte) {
		if (all || glob.Match(pattern, key)) && owned(key) {
			keys = append(keys, bytes.Clone(key))
		}
	})
	c.WriteArray(len(keys))
	for _, k := range keys {
		c.WriteBulk(k)
	}
}

func cmdScan(c *client, args [][]byte, tx store.Tx) {
	cursor, ok := parseCursor(args[1])
	if !ok {
		c.errorReply("ERR invalid cursor")
		return
	}
	count := int64(10)
	var pattern []byte
	var wantType store.Type // TypeNone: any
	for i := 2; i < len(args); i += 2 {
		if i+1 >= len(args) {
			c.errorReply(errSyntax)
			return
		}
		switch strings.ToUpper(string(args[i])) {
		case "COUNT":
			n, ok := c.intArg(args[i+1])
			if !ok {
				return
			}
			if n < 1 {
				c.errorReply(errSyntax)
				return
			}
			count = n
		case "MATCH":
			pattern = args[i+1]
			if len(pattern) == 1 && pattern[0] == '*' {
				pattern = nil
			}
		case "TYPE":
			// An unknown type matches nothing, as in Redis 7.0.
			var ok bool
			if wantType, ok = store.ParseType(strings.ToLower(string(args[i+1]))); !ok {
				wantType = store.Type(255)
			}
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	var keys [][]byte
	owned := c.srv.ownedFilter()
	next := tx.Scan(cursor, int(min(count, 1<<20)), func(key []byte) {
		if owned(key) && (wantType == store.TypeNone || tx.Type(key) == wantType) && (pattern == nil || glob.Match(pattern, key)) {
			keys = append(keys, bytes.Clone(key))
		}
	})
	c.WriteArray(2)
	c.WriteBulkString(strconv.FormatUint(next, 10))
	c.WriteArray(len(keys))
	for _, k := range keys {
		c.WriteBulk(k)
	}
}

func cmdRandomKey(c *client, _ [][]byte, tx store.Tx) {
	owned := c.srv.ownedFilter()
	for range 32 {
		key, ok := tx.RandomKey()
		if !ok {
			break
		}
		if owned(key) {
			c.WriteBulk(key)
			return
		}
	}
	if c.srv.repl != nil { // mostly replicas' copies here: look for an owned key
		var found []byte
		tx.Keys(func(key []byte) {
			if found == nil && owned(key) {
				found = bytes.Clone(key)
			}
		})
		if found != nil {
			c.WriteBulk(found)
			return
		}
	}
	c.WriteNull()
}

func cmdDBSize(c *client, _ [][]byte, _ store.Tx) {
	if c.srv.repl == nil {
		c.WriteInt64(c.db().DBSize())
		return
	}
	// With replicas the store also holds copies of other nodes' slots,
	// which are theirs to count: O(keys) instead of O(1). (A cluster node
	// serves database 0 only.)
	owned := c.srv.ownedFilter()
	var n int64
	c.srv.store.Tx().Keys(func(key []byte) {
		if owned(key) {
			n++
		}
	})
	c.WriteInt64(n)
}

func cmdFlush(c *client, args [][]byte, tx store.Tx) {
	if len(args) > 2 {
		c.errorReply(errSyntax)
		return
	}
	if len(args) == 2 {
		switch strings.ToUpper(string(args[1])) {
		case "ASYNC", "SYNC":
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	switch r := c.srv.repl; {
	case r != nil && c.srv.router.Mode() == route.Redirect:
		// Redirect mode flushes the node asked, as Redis Cluster flushes
		// one master: its replicas' copies of other nodes' slots stay.
		r.flushOwned()
	case strings.EqualFold(string(args[0]), "flushall"):
		if !c.flushAll(tx) {
			return
		}
	default:
		tx.Flush()
	}
	c.srv.tracking.flushed() // every tracking client drops its cache (whatever its database, as Redis)
	c.srv.repl.flushed()     // and every replica its copies of this node's slots (replication.go)
	c.WriteString("OK")
}

// parseCursor parses a SCAN cursor as Redis does, with C's strtoul: an
// optional sign ("-1" wraps around), decimal digits, no leading space, and
// the empty string reading as 0.
func parseCursor(b []byte) (uint64, bool) {
	if len(b) == 0 {
		return 0, true
	}
	neg := b[0] == '-'
	if b[0] == '+' || b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var u uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if u > (math.MaxUint64-d)/10 {
			return 0, false
		}
		u = u*10 + d
	}
	if neg {
		u = -u
	}
	return u, true
}
