package protocol

import (
	"bytes"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/cachesrv/cachesrv/protocol/glob"
	"github.com/cachesrv/cachesrv/store"
)

// Hash commands, Redis 7's, with Redis 7.4's field expiry (HEXPIRE and
// friends) and Redis 8's HGETDEL, HGETEX and HSETEX.

func init() {
	hc := func(name string, arity int, flags cmdFlags, acl string, run handler) *command {
		cat := []string{"write", "hash", acl}
		if flags&flagReadonly != 0 {
			cat[0] = "read"
		}
		return &command{name: name, arity: arity, flags: flags, firstKey: 1, lastKey: 1, keyStep: 1, acl: cat, run: run}
	}
	wr, wrOOM, rd := flagWrite|flagFast, flagWrite|flagDenyOOM|flagFast, flagReadonly|flagFast
	register(
		hc("hset", -4, wrOOM, "fast", cmdHSet),
		hc("hmset", -4, wrOOM, "fast", cmdHSet),
		hc("hsetnx", 4, wrOOM, "fast", cmdHSetNX),
		hc("hget", 3, rd, "fast", cmdHGet),
		hc("hmget", -3, rd, "fast", cmdHMGet),
		hc("hgetall", 2, flagReadonly, "slow", cmdHGetAll),
		hc("hkeys", 2, flagReadonly, "slow", cmdHGetAll),
		hc("hvals", 2, flagReadonly, "slow", cmdHGetAll),
		hc("hdel", -3, wr, "fast", cmdHDel),
		hc("hlen", 2, rd, "fast", cmdHLen),
		hc("hstrlen", 3, rd, "fast", cmdHStrlen),
		hc("hexists", 3, rd, "fast", cmdHExists),
		hc("hincrby", 4, wrOOM, "fast", cmdHIncrBy),
		hc("hincrbyfloat", 4, wrOOM, "fast", cmdHIncrByFloat),
		hc("hrandfield", -2, flagReadonly, "slow", cmdHRandField),
		hc("hscan", -3, flagReadonly, "slow", cmdHScan),
		hc("hexpire", -6, wr, "fast", cmdHExpire),
		hc("hpexpire", -6, wr, "fast", cmdHExpire),
		hc("hexpireat", -6, wr, "fast", cmdHExpire),
		hc("hpexpireat", -6, wr, "fast", cmdHExpire),
		hc("httl", -5, rd, "fast", cmdHTTL),
		hc("hpttl", -5, rd, "fast", cmdHTTL),
		hc("hexpiretime", -5, rd, "fast", cmdHTTL),
		hc("hpexpiretime", -5, rd, "fast", cmdHTTL),
		hc("hpersist", -5, wr, "fast", cmdHPersist),
		hc("hgetdel", -5, wr, "fast", cmdHGetDel),
		hc("hgetex", -5, wr, "fast", cmdHGetEx),
		hc("hsetex", -6, wrOOM, "fast", cmdHSetEx),
	)
}

// wrongType replies WRONGTYPE when err says so, and reports whether it did.
func (c *client) wrongType(err error) bool {
	if err != nil {
		c.errorReply(err.Error())
		return true
	}
	return false
}

func cmdHSet(c *client, args [][]byte, tx store.Tx) {
	hmset := len(args[0]) == len("hmset") // no allocation on HSET's path
	if len(args)%2 != 0 {
		c.errorReply(errWrongArgs(strings.ToLower(string(args[0]))))
		return
	}
	var buf [8]store.Elem
	els := buf[:0]
	for i := 2; i < len(args); i += 2 {
		els = append(els, store.Elem{Field: args[i], Value: args[i+1]})
	}
	added, _, err := tx.PutMany(args[1], store.TypeHash, store.PutReplace, els...)
	if c.wrongType(err) {
		return
	}
	c.notify(notifyHash, "hset", args[1])
	if hmset {
		c.WriteString("OK")
		return
	}
	c.WriteInt(added)
}

func cmdHSetNX(c *client, args [][]byte, tx store.Tx) {
	_, written, err := tx.Put(args[1], store.TypeHash, store.Elem{Field: args[2], Value: args[3]}, store.PutNX)
	if c.wrongType(err) {
		return
	}
	if written {
		c.notify(notifyHash, "hset", args[1])
		c.WriteInt(1)
		return
	}
	c.WriteInt(0)
}

func cmdHGet(c *client, args [][]byte, tx store.Tx) {
	el, ok, err := tx.Elem(args[1], store.TypeHash, args[2])
	if c.wrongType(err) {
		return
	}
	if !ok {
		c.WriteNull()
		return
	}
	c.WriteBulk(el.Value)
}

func cmdHMGet(c *client, args [][]byte, tx store.Tx) {
	if _, err := tx.Len(args[1], store.TypeHash); c.wrongType(err) {
		return
	}
	c.WriteArray(len(args) - 2)
	for _, f := range args[2:] {
		if el, ok, _ := tx.Elem(args[1], store.TypeHash, f); ok {
			c.WriteBulk(el.Value)
		} else {
			c.WriteNull()
		}
	}
}

// liveElems gathers the live elements of key's collection. Fields decoded
// from an intset are copied; the rest alias the store, valid while the
// handler runs.
func liveElems(tx store.Tx, key []byte, typ store.Type) ([]store.Elem, bool, error) {
	var els []store.Elem
	exists, err := tx.Elems(key, typ, func(el store.Elem) bool {
		if typ == store.TypeSet {
			el.Field = bytes.Clone(el.Field)
		}
		els = append(els, el)
		return true
	})
	return els, exists, err
}

// cmdHGetAll serves HGETALL (a map in RESP3), HKEYS and HVALS, writing
// each element as the store walks them: no copy of the hash is gathered.
func cmdHGetAll(c *client, args [][]byte, tx store.Tx) {
	n, err := tx.LiveLen(args[1], store.TypeHash)
	if c.wrongType(err) {
		return
	}
	keys, vals := !strings.EqualFold(string(args[0]), "hvals"), !strings.EqualFold(string(args[0]), "hkeys")
	if keys && vals {
		c.WriteMap(n)
	} else {
		c.WriteArray(n)
	}
	tx.Elems(args[1], store.TypeHash, func(el store.Elem) bool {
		if keys {
			c.WriteBulk(el.Field)
		}
		if vals {
			c.WriteBulk(el.Value)
		}
		return true
	})
}

func cmdHDel(c *client, args [][]byte, tx store.Tx) {
	c.removeElems(tx, store.TypeHash, notifyHash, "hdel", args)
}

// removeElems serves HDEL and SREM: it removes the fields (members)
// args[2:] of key args[1], replies with how many there were, and
// notifies event, then "del" if the key went with its last element.
func (c *client) removeElems(tx store.Tx, typ store.Type, class byte, event string, args [][]byte) {
	n := 0
	for _, f := range args[2:] {
		ok, err := tx.Remove(args[1], typ, f)
		if c.wrongType(err) {
			return
		}
		if ok {
			n++
		}
	}
	if n > 0 {
		c.notify(class, event, args[1])
		if !tx.Exists(args[1]) {
			c.notify(notifyGeneric, "del", args[1])
		}
	}
	c.WriteInt(n)
}

func cmdHLen(c *client, args [][]byte, tx store.Tx) {
	n, err := tx.Len(args[1], store.TypeHash)
	if c.wrongType(err) {
		return
	}
	c.WriteInt(n)
}

func cmdHStrlen(c *client, args [][]byte, tx store.Tx) {
	el, _, err := tx.Elem(args[1], store.TypeHash, args[2])
	if c.wrongType(err) {
		return
	}
	c.WriteInt(len(el.Value))
}

func cmdHExists(c *client, args [][]byte, tx store.Tx) {
	_, ok, err := tx.Elem(args[1], store.TypeHash, args[2])
	if c.wrongType(err) {
		return
	}
	if ok {
		c.WriteInt(1)
	} else {
		c.WriteInt(0)
	}
}

func cmdHIncrBy(c *client, args [][]byte, tx store.Tx) {
	incr, ok := c.intArg(args[3])
	if !ok {
		return
	}
	el, found, err := tx.Elem(args[1], store.TypeHash, args[2])
	if c.wrongType(err) {
		return
	}
	var cur int64
	if found {
		if cur, ok = parseInt(el.Value); !ok {
			c.errorReply("ERR hash value is not an integer")
			return
		}
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		c.errorReply(errOverflow)
		return
	}
	cur += incr
	var buf [24]byte
	v := strconv.AppendInt(buf[:0], cur, 10)
	tx.Put(args[1], store.TypeHash, store.Elem{Field: args[2], Value: v}, store.PutKeepTTL)
	c.notify(notifyHash, "hincrby", args[1])
	c.WriteInt64(cur)
}

func cmdHIncrByFloat(c *client, args [][]byte, tx store.Tx) {
	incr, ok := parseFloat(args[3])
	if !ok {
		c.errorReply(errNotFloat)
		return
	}
	if incr.IsInf() {
		c.errorReply("ERR value is NaN or Infinity")
		return
	}
	el, found, err := tx.Elem(args[1], store.TypeHash, args[2])
	if c.wrongType(err) {
		return
	}
	cur := new(big.Float)
	if found {
		if cur, ok = parseFloat(el.Value); !ok {
			c.errorReply("ERR hash value is not a float")
			return
		}
	}
	sum, ok := addFloat(cur, incr)
	if !ok {
		c.errorReply(errNaNOrInf)
		return
	}
	s := formatFloat(sum)
	tx.Put(args[1], store.TypeHash, store.Elem{Field: args[2], Value: []byte(s)}, store.PutKeepTTL)
	c.notify(notifyHash, "hincrbyfloat", args[1])
	c.WriteBulkString(s)
}

// cmdHRandField serves HRANDFIELD key [count [WITHVALUES]].
func cmdHRandField(c *client, args [][]byte, tx store.Tx) {
	if len(args) == 2 {
		var field []byte
		exists, err := tx.RandomElems(args[1], store.TypeHash, 1, func(el store.Elem) { field = el.Field })
		if c.wrongType(err) {
			return
		}
		if !exists || field == nil {
			c.WriteNull()
			return
		}
		c.WriteBulk(field)
		return
	}
	count, ok := countArg(c, args[2])
	if !ok {
		return
	}
	withValues := false
	if len(args) > 4 || (len(args) == 4 && !strings.EqualFold(string(args[3]), "withvalues")) {
		c.errorReply(errSyntax)
		return
	}
	if len(args) == 4 {
		withValues = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.errorReply("ERR value is out of range")
			return
		}
	}
	var els []store.Elem
	_, err := tx.RandomElems(args[1], store.TypeHash, count, func(el store.Elem) { els = append(els, el) })
	if c.wrongType(err) {
		return
	}
	writeRandom(c, els, withValues)
}

// countArg parses HRANDFIELD's and SRANDMEMBER's count, an integer
// between -LONG_MAX and LONG_MAX, with Redis's errors.
func countArg(c *client, b []byte) (int64, bool) {
	n, ok := c.intArg(b)
	if ok && n == math.MinInt64 {
		c.errorReply("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
		return 0, false
	}
	return n, ok
}

// writeRandom writes HRANDFIELD's reply with a count: fields, or field and
// value pairs (flat in RESP2, two-element arrays in RESP3).
func writeRandom(c *client, els []store.Elem, withValues bool) {
	switch {
	case !withValues:
		c.WriteArray(len(els))
	case c.RESP3():
		c.WriteArray(len(els))
	default:
		c.WriteArray(2 * len(els))
	}
	for _, el := range els {
		if withValues && c.RESP3() {
			c.WriteArray(2)
		}
		c.WriteBulk(el.Field)
		if withValues {
			c.WriteBulk(el.Value)
		}
	}
}

// scanArgs parses HSCAN's and SSCAN's options from args[3:]; novalues is
// allowed for HSCAN only.
func scanArgs(c *client, args [][]byte, allowNoValues bool) (count int64, pattern []byte, novalues, ok bool) {
	count = 10
	for i := 3; i < len(args); i++ {
		opt := strings.ToUpper(string(args[i]))
		if opt == "NOVALUES" && allowNoValues {
			novalues = true
			continue
		}
		if i+1 >= len(args) {
			c.errorReply(errSyntax)
			return 0, nil, false, false
		}
		switch opt {
		case "COUNT":
			n, ok := c.intArg(args[i+1])
			if !ok {
				return 0, nil, false, false
			}
			if n < 1 {
				c.errorReply(errSyntax)
				return 0, nil, false, false
			}
			count = n
		case "MATCH":
			pattern = args[i+1]
			if len(pattern) == 1 && pattern[0] == '*' {
				pattern = nil
			}
		default:
			c.errorReply(errSyntax)
			return 0, nil, false, false
		}
		i++
	}
	return count, pattern, novalues, true
}

// collScan serves HSCAN and SSCAN.
func collScan(c *client, args [][]byte, tx store.Tx, typ store.Type) {
	cursor, ok := parseCursor(args[2])
	if !ok {
		c.errorReply("ERR invalid cursor")
		return
	}
	if _, err := tx.Len(args[1], typ); c.wrongType(err) {
		return
	}
	count, pattern, novalues, ok := scanArgs(c, args, typ == store.TypeHash)
	if !ok {
		return
	}
	var els []store.Elem
	next, _ := tx.ScanElems(args[1], typ, cursor, int(min(count, 1<<20)), func(el store.Elem) {
		if pattern == nil || glob.Match(pattern, el.Field) {
			if typ == store.TypeSet {
				el.Field = bytes.Clone(el.Field)
			}
			els = append(els, el)
		}
	})
	c.WriteArray(2)
	c.WriteBulkString(strconv.FormatUint(next, 10))
	withValues := typ == store.TypeHash && !novalues
	if withValues {
		c.WriteArray(2 * len(els))
	} else {
		c.WriteArray(len(els))
	}
	for _, el := range els {
		c.WriteBulk(el.Field)
		if withValues {
			c.WriteBulk(el.Value)
		}
	}
}

func cmdHScan(c *client, args [][]byte, tx store.Tx) { collScan(c, args, tx, store.TypeHash) }
