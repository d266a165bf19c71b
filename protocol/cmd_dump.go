package protocol

import (
	"bytes"
	"strings"

	"github.com/cachesrv/cachesrv/protocol/rdb"
	"github.com/cachesrv/cachesrv/store"
)

// DUMP and RESTORE in Redis's serialization format (protocol/rdb), so a
// DUMP taken from redis-server restores here and the reverse. Strings,
// hashes and sets; a hash's field expiries (Redis 7.4) are not carried, as
// Redis 7.0's format has no place for them.
func init() {
	register(
		&command{name: "dump", arity: 2, flags: flagReadonly, firstKey: 1, lastKey: 1, keyStep: 1,
			acl: []string{"keyspace", "read", "slow"}, run: cmdDump},
		&command{name: "restore", arity: -4, flags: flagWrite | flagDenyOOM, firstKey: 1, lastKey: 1, keyStep: 1,
			acl: []string{"keyspace", "write", "slow", "dangerous"}, run: cmdRestore},
	)
	docs["dump"] = cmdDoc{summary: "Returns a serialized representation of the value stored at a key.", since: "2.6.0", group: "generic",
		complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size.",
		args:       docKeyArg}
	docs["restore"] = cmdDoc{summary: "Creates a key from the serialized representation of a value.", since: "2.6.0", group: "generic",
		complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size.",
		args: []argDoc{
			{name: "key", typ: "key"}, {name: "ttl", typ: "integer"}, {name: "serialized-value", typ: "string"},
			{name: "replace", typ: "pure-token", token: "REPLACE", optional: true},
			{name: "absttl", typ: "pure-token", token: "ABSTTL", optional: true},
			{name: "seconds", typ: "integer", token: "IDLETIME", optional: true},
			{name: "frequency", typ: "integer", token: "FREQ", optional: true},
		}}
}

func cmdDump(c *client, args [][]byte, tx store.Tx) {
	key := args[1]
	if tx.Type(key) == store.TypeNone {
		c.WriteNull()
		return
	}
	b, ok := dumpValue(tx, key)
	if !ok {
		c.errorReply("ERR DUMP of this type is not supported")
		return
	}
	c.WriteBulk(b)
}

// dumpValue serializes an existing key's value as DUMP does (checksum
// included), or reports false for a type DUMP does not support yet.
// Hand-off (handoff.go) moves keys between nodes with it.
func dumpValue(tx store.Tx, key []byte) ([]byte, bool) {
	var b []byte
	switch tx.Type(key) {
	case store.TypeString:
		v, _, _ := tx.GetString(key)
		b = rdb.AppendString([]byte{rdb.TypeString}, v)
	case store.TypeHash:
		var pairs [][2][]byte
		tx.Elems(key, store.TypeHash, func(el store.Elem) bool {
			// The element is valid during the call only (an intset
			// member's digits are in a scratch buffer).
			pairs = append(pairs, [2][]byte{bytes.Clone(el.Field), bytes.Clone(el.Value)})
			return true
		})
		b = rdb.AppendHash(nil, pairs)
	case store.TypeSet:
		var members [][]byte
		tx.Elems(key, store.TypeSet, func(el store.Elem) bool {
			members = append(members, bytes.Clone(el.Field))
			return true
		})
		b = rdb.AppendSet(nil, members)
	case store.TypeZSet:
		b = zsetDump(tx, key) // cmd_zset_dump.go
	case store.TypeList:
		var elems [][]byte
		tx.ListRange(key, 0, -1, func(int) {}, func(e []byte) { elems = append(elems, bytes.Clone(e)) })
		b = rdb.AppendList(nil, elems)
	default:
		return nil, false
	}
	return rdb.Seal(b), true
}

// cmdRestore follows Redis's restoreCommand step by step, errors in the
// same order: options, BUSYKEY, TTL, checksum, format.
func cmdRestore(c *client, args [][]byte, tx store.Tx) {
	var replace, absttl bool
	idle, freq := int64(-1), int64(-1)
	for j := 4; j < len(args); j++ {
		more := j+1 < len(args)
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "replace":
			replace = true
		case opt == "absttl":
			absttl = true
		case opt == "idletime" && more && freq == -1:
			v, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			if v < 0 {
				c.errorReply("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			idle = v
			j++
		case opt == "freq" && more && idle == -1:
			v, ok := c.intArg(args[j+1])
			if !ok {
				return
			}
			if v < 0 || v > 255 {
				c.errorReply("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			freq = v
			j++
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	key := args[1]
	if !replace && tx.Exists(key) {
		c.errorReply("BUSYKEY Target key name already exists.")
		return
	}
	ttl, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if ttl < 0 {
		c.errorReply("ERR Invalid TTL value, must be >= 0")
		return
	}
	typ, body, err := rdb.Open(args[3])
	if err != nil {
		c.errorReply("ERR " + err.Error())
		return
	}
	put, err := decodeValue(typ, body)
	if err != nil {
		c.errorReply("ERR " + rdb.ErrBadFormat.Error())
		return
	}
	deleted := replace && tx.Delete(key)
	at := ttl
	if ttl != 0 && !absttl {
		at += tx.Now()
	}
	if ttl != 0 && at <= tx.Now() {
		// Already expired: nothing is created (an old key was replaced).
		if deleted {
			c.notify(notifyGeneric, "del", key)
		}
		c.WriteString("OK")
		return
	}
	put(tx, key)
	if ttl != 0 {
		tx.SetExpire(key, at)
	}
	if idle >= 0 || freq >= 0 {
		tx.SetAccess(key, idle, int(freq))
	}
	c.notify(notifyGeneric, "restore", key)
	c.WriteString("OK")
}

// decodeValue decodes a DUMP payload's value and returns what stores it.
// Everything is decoded (and copied out of the argument) before the key is
// touched, so a bad payload changes nothing.
func decodeValue(typ byte, body []byte) (func(tx store.Tx, key []byte), error) {
	switch typ {
	case rdb.TypeString:
		s, rest, err := rdb.ReadString(body)
		if err != nil || len(rest) != 0 {
			return nil, rdb.ErrBadFormat
		}
		s = bytes.Clone(s)
		return func(tx store.Tx, key []byte) { tx.Set(key, s, 0) }, nil
	case rdb.TypeHash, rdb.TypeHashListpack:
		pairs, err := rdb.ReadHash(typ, body)
		if err != nil || len(pairs) == 0 {
			return nil, rdb.ErrBadFormat
		}
		els := make([]store.Elem, len(pairs))
		for i, p := range pairs {
			els[i] = store.Elem{Field: bytes.Clone(p[0]), Value: bytes.Clone(p[1])}
		}
		return func(tx store.Tx, key []byte) { tx.PutMany(key, store.TypeHash, store.PutReplace, els...) }, nil
	case rdb.TypeSet, rdb.TypeSetIntset, rdb.TypeSetListpack:
		members, err := rdb.ReadSet(typ, body)
		if err != nil || len(members) == 0 {
			return nil, rdb.ErrBadFormat
		}
		els := make([]store.Elem, len(members))
		for i, m := range members {
			els[i] = store.Elem{Field: bytes.Clone(m)}
		}
		return func(tx store.Tx, key []byte) { tx.PutMany(key, store.TypeSet, store.PutNX, els...) }, nil
	case rdb.TypeList, rdb.TypeListQuicklist2:
		elems, err := rdb.ReadList(typ, body)
		if err != nil || len(elems) == 0 {
			return nil, rdb.ErrBadFormat
		}
		for i, e := range elems {
			elems[i] = bytes.Clone(e)
		}
		return func(tx store.Tx, key []byte) { tx.ListPush(key, false, false, elems...) }, nil
	case rdb.TypeZSet2, rdb.TypeZSetListpack:
		return zsetRestore(typ, body) // cmd_zset_dump.go
	}
	return nil, rdb.ErrBadFormat
}
