package protocol

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/cachesrv/cachesrv/store"
)

func init() {
	str := func(name string, arity int, flags cmdFlags, first, last, step int, acl []string, run handler) *command {
		return &command{name: name, arity: arity, flags: flags, firstKey: first, lastKey: last, keyStep: step, acl: acl, run: run}
	}
	rd := []string{"read", "string", "fast"}
	wr := []string{"write", "string", "slow"}
	wrFast := []string{"write", "string", "fast"}
	register(
		str("get", 2, flagReadonly|flagFast, 1, 1, 1, rd, cmdGet),
		str("set", -3, flagWrite|flagDenyOOM, 1, 1, 1, wr, cmdSet),
		str("setnx", 3, flagWrite|flagDenyOOM|flagFast, 1, 1, 1, wrFast, cmdSetNX),
		str("setex", 4, flagWrite|flagDenyOOM, 1, 1, 1, wr, cmdSetEX),
		str("psetex", 4, flagWrite|flagDenyOOM, 1, 1, 1, wr, cmdSetEX),
		str("getset", 3, flagWrite|flagDenyOOM|flagFast, 1, 1, 1, wrFast, cmdGetSet),
		str("getdel", 2, flagWrite|flagFast, 1, 1, 1, wrFast, cmdGetDel),
		str("getex", -2, flagWrite|flagFast, 1, 1, 1, wrFast, cmdGetEx),
		str("mget", -2, flagReadonly|flagFast, 1, -1, 1, rd, cmdMGet),
		str("mset", -3, flagWrite|flagDenyOOM, 1, -1, 2, wr, cmdMSet),
		str("msetnx", -3, flagWrite|flagDenyOOM, 1, -1, 2, wr, cmdMSet),
		str("incr", 2, flagWrite|flagDenyOOM|flagFast, 1, 1, 1, wrFast, cmdIncr),
		str("decr", 2, flagWrite|flagDenyOOM|flagFast, 1, 1, 1, wrFast, cmdIncr),
		str("incrby", 3, flagWrite|flagDenyOOM|flagFast, 1, 1, 1, wrFast, cmdIncr),
		str("decrby", 3, flagWrite|flagDenyOOM|flagFast, 1, 1, 1, wrFast, cmdIncr),
		str("incrbyfloat", 3, flagWrite|flagDenyOOM|flagFast, 1, 1, 1, wrFast, cmdIncrByFloat),
		str("append", 3, flagWrite|flagDenyOOM|flagFast, 1, 1, 1, wrFast, cmdAppend),
		str("strlen", 2, flagReadonly|flagFast, 1, 1, 1, rd, cmdStrlen),
		str("getrange", 4, flagReadonly, 1, 1, 1, []string{"read", "string", "slow"}, cmdGetRange),
		str("substr", 4, flagReadonly, 1, 1, 1, []string{"read", "string", "slow"}, cmdGetRange),
		str("setrange", 4, flagWrite|flagDenyOOM, 1, 1, 1, wr, cmdSetRange),
		str("lcs", -3, flagReadonly, 1, 2, 1, []string{"read", "string", "slow"}, cmdLCS),
	)
}

func cmdGet(c *client, args [][]byte, tx store.Tx) {
	v, ok, wrong := tx.GetString(args[1])
	if ok {
		c.stats.hits++
		c.WriteBulk(v)
		return
	}
	if wrong {
		c.errorReply(store.ErrWrongType.Error())
		return
	}
	c.stats.misses++
	c.WriteNull()
}

// expiry is a parsed EX/PX/EXAT/PXAT/KEEPTTL/PERSIST option.
type expiry struct {
	unit      byte // 0 none, 's' EX, 'm' PX, 'S' EXAT, 'M' PXAT
	keepTTL   bool
	persist   bool
	valueIdx  int // argument index of the value, for parse errors
	specified bool
}

// at converts the option into an absolute expiry in Unix ms, replying
// with Redis's errors for a bad value.
func (e *expiry) at(c *client, args [][]byte, now int64, cmdName string) (int64, bool) {
	if e.unit == 0 {
		return 0, true
	}
	v, ok := c.intArg(args[e.valueIdx])
	if !ok {
		return 0, false
	}
	invalid := func() (int64, bool) {
		c.errorReply("ERR invalid expire time in '" + cmdName + "' command")
		return 0, false
	}
	if v <= 0 {
		return invalid()
	}
	ms := v
	if e.unit == 's' || e.unit == 'S' {
		if v > math.MaxInt64/1000 {
			return invalid()
		}
		ms = v * 1000
	}
	if e.unit == 's' || e.unit == 'm' {
		if ms > math.MaxInt64-now {
			return invalid()
		}
		ms += now
	}
	return ms, true
}

// parse consumes an expiry option at args[i] if there is one, returning
// the index of the next argument (-1 on a syntax error) and true; false
// when args[i] is not an expiry option. As in
// Redis, an option may be repeated (the last value wins), but two
// different ones conflict.
func (e *expiry) parse(args [][]byte, i int, allowKeepTTL, allowPersist bool) (int, bool) {
	opt := strings.ToUpper(string(args[i]))
	switch opt {
	case "EX", "PX", "EXAT", "PXAT":
		unit := map[string]byte{"EX": 's', "PX": 'm', "EXAT": 'S', "PXAT": 'M'}[opt]
		if e.keepTTL || e.persist || (e.unit != 0 && e.unit != unit) || i+1 >= len(args) {
			return -1, true
		}
		e.unit = unit
		e.valueIdx, e.specified = i+1, true
		return i + 2, true
	case "KEEPTTL":
		if !allowKeepTTL || e.unit != 0 || e.persist {
			return -1, true
		}
		e.keepTTL, e.specified = true, true
		return i + 1, true
	case "PERSIST":
		if !allowPersist || e.unit != 0 || e.keepTTL {
			return -1, true
		}
		e.persist, e.specified = true, true
		return i + 1, true
	}
	return i, false
}

func cmdSet(c *client, args [][]byte, tx store.Tx) {
	var exp expiry
	var nx, xx, get bool
	for i := 3; i < len(args); {
		next, isExpiry := exp.parse(args, i, true, false)
		if isExpiry {
			if next < 0 {
				c.errorReply(errSyntax)
				return
			}
			i = next
			continue
		}
		switch strings.ToUpper(string(args[i])) {
		case "NX":
			nx = true
		case "XX":
			xx = true
		case "GET":
			get = true
		default:
			c.errorReply(errSyntax)
			return
		}
		if nx && xx {
			c.errorReply(errSyntax)
			return
		}
		i++
	}
	at, ok := exp.at(c, args, tx.Now(), "set")
	if !ok {
		return
	}
	key, val := args[1], args[2]
	if !get && !nx && !xx && !exp.keepTTL {
		// The common case needs no look at the old value.
		setOrExpire(tx, key, val, at)
		c.notifySet(key, at)
		c.WriteString("OK")
		return
	}
	old, oldAt, exists := tx.Lookup(key)
	if get {
		// Reply before writing: old aliases the store's memory.
		if exists {
			c.WriteBulk(old)
		} else {
			c.WriteNull()
		}
	}
	if (nx && exists) || (xx && !exists) {
		if !get {
			c.WriteNull()
		}
		return
	}
	if exp.keepTTL && exists {
		at = oldAt
	}
	setOrExpire(tx, key, val, at)
	c.notifySet(key, at)
	if !get {
		c.WriteString("OK")
	}
}

// notifySet sends SET's keyspace notifications: "set", and "expire" when
// it gave the key a TTL.
func (c *client) notifySet(key []byte, at int64) {
	c.notify(notifyString, "set", key)
	if at != 0 {
		c.notify(notifyGeneric, "expire", key)
	}
}

// setOrExpire stores val, or deletes key when the expiry is already past
// (an EXAT/PXAT in the past), as Redis does.
func setOrExpire(tx store.Tx, key, val []byte, at int64) {
	if at != 0 && at <= tx.Now() {
		tx.Delete(key)
		return
	}
	tx.Set(key, val, at)
}

func cmdSetNX(c *client, args [][]byte, tx store.Tx) {
	if tx.Exists(args[1]) {
		c.WriteInt(0)
		return
	}
	tx.Set(args[1], args[2], 0)
	c.notify(notifyString, "set", args[1])
	c.WriteInt(1)
}

// cmdSetEX serves SETEX (seconds) and PSETEX (milliseconds).
func cmdSetEX(c *client, args [][]byte, tx store.Tx) {
	name := strings.ToLower(string(args[0]))
	exp := expiry{unit: 's', valueIdx: 2}
	if name == "psetex" {
		exp.unit = 'm'
	}
	at, ok := exp.at(c, args, tx.Now(), name)
	if !ok {
		return
	}
	tx.Set(args[1], args[3], at)
	c.notify(notifyString, "set", args[1])
	c.notify(notifyGeneric, "expire", args[1])
	c.WriteString("OK")
}

func cmdGetSet(c *client, args [][]byte, tx store.Tx) {
	old, ok := tx.Get(args[1])
	c.lookedUp(ok)
	if ok {
		c.WriteBulk(old)
	} else {
		c.WriteNull()
	}
	tx.Set(args[1], args[2], 0)
	c.notify(notifyString, "set", args[1])
}

func cmdGetDel(c *client, args [][]byte, tx store.Tx) {
	old, ok := tx.Get(args[1])
	c.lookedUp(ok)
	if !ok {
		c.WriteNull()
		return
	}
	c.WriteBulk(old)
	tx.Delete(args[1])
	c.notify(notifyGeneric, "del", args[1])
}

func cmdGetEx(c *client, args [][]byte, tx store.Tx) {
	var exp expiry
	for i := 2; i < len(args); {
		next, isExpiry := exp.parse(args, i, false, true)
		if !isExpiry || next < 0 {
			c.errorReply(errSyntax)
			return
		}
		i = next
	}
	// Redis looks the key up before it checks the expiry's value: a
	// missing key answers nil whatever the value.
	val, ok := tx.Get(args[1])
	c.lookedUp(ok)
	if !ok {
		c.WriteNull()
		return
	}
	at, ok := exp.at(c, args, tx.Now(), "getex")
	if !ok {
		return
	}
	c.WriteBulk(val)
	switch {
	case exp.persist:
		if _, oldAt, _ := tx.Lookup(args[1]); oldAt != 0 {
			tx.SetExpire(args[1], 0)
			c.notify(notifyGeneric, "persist", args[1])
		}
	case exp.unit != 0:
		tx.SetExpire(args[1], at)
		if at <= tx.Now() {
			c.notify(notifyGeneric, "del", args[1])
		} else {
			c.notify(notifyGeneric, "expire", args[1])
		}
	}
}

func cmdMGet(c *client, args [][]byte, tx store.Tx) {
	c.WriteArray(len(args) - 1)
	for _, key := range args[1:] {
		v, ok := tx.Get(key)
		c.lookedUp(ok)
		if ok {
			c.WriteBulk(v)
		} else {
			c.WriteNull()
		}
	}
}

// cmdMSet serves MSET and MSETNX; both are atomic, as their shards are
// locked together.
func cmdMSet(c *client, args [][]byte, tx store.Tx) {
	name := strings.ToLower(string(args[0]))
	if len(args)%2 != 1 {
		c.errorReply(errWrongArgs(name))
		return
	}
	if name == "msetnx" {
		for i := 1; i < len(args); i += 2 {
			if tx.Exists(args[i]) {
				c.WriteInt(0)
				return
			}
		}
	}
	for i := 1; i < len(args); i += 2 {
		tx.Set(args[i], args[i+1], 0)
		c.notify(notifyString, "set", args[i])
	}
	if name == "msetnx" {
		c.WriteInt(1)
	} else {
		c.WriteString("OK")
	}
}

// cmdIncr serves INCR, DECR, INCRBY and DECRBY. The key keeps its TTL.
func cmdIncr(c *client, args [][]byte, tx store.Tx) {
	delta := int64(1)
	name := strings.ToLower(string(args[0]))
	if len(args) == 3 {
		d, ok := c.intArg(args[2])
		if !ok {
			return
		}
		delta = d
	}
	if strings.HasPrefix(name, "decr") {
		if delta == math.MinInt64 {
			c.errorReply("ERR decrement would overflow")
			return
		}
		delta = -delta
	}
	cur, at, exists := tx.Lookup(args[1])
	var n int64
	if exists {
		v, ok := parseInt(cur)
		if !ok {
			c.errorReply(errNotInteger)
			return
		}
		n = v
	}
	if (delta > 0 && n > math.MaxInt64-delta) || (delta < 0 && n < math.MinInt64-delta) {
		c.errorReply(errOverflow)
		return
	}
	n += delta
	var buf [24]byte
	tx.Set(args[1], strconv.AppendInt(buf[:0], n, 10), at)
	c.notify(notifyString, "incrby", args[1])
	c.WriteInt64(n)
}

func cmdIncrByFloat(c *client, args [][]byte, tx store.Tx) {
	cur, at, exists := tx.Lookup(args[1])
	f := new(big.Float)
	if exists {
		var ok bool
		if f, ok = parseFloat(cur); !ok {
			c.errorReply(errNotFloat)
			return
		}
	}
	delta, ok := parseFloat(args[2])
	if !ok {
		c.errorReply(errNotFloat)
		return
	}
	if f, ok = addFloat(f, delta); !ok {
		c.errorReply(errNaNOrInf)
		return
	}
	s := formatFloat(f)
	tx.Set(args[1], []byte(s), at)
	c.notify(notifyString, "incrbyfloat", args[1])
	c.WriteBulkString(s)
}

func cmdAppend(c *client, args [][]byte, tx store.Tx) {
	cur, _ := tx.Get(args[1])
	if int64(len(cur))+int64(len(args[2])) > c.srv.cfg.ProtoMaxBulkLen.Load() {
		c.errorReply(errTooBig)
		return
	}
	c.WriteInt(tx.Append(args[1], args[2]))
	c.notify(notifyString, "append", args[1])
}

func cmdStrlen(c *client, args [][]byte, tx store.Tx) {
	v, ok := tx.Get(args[1])
	c.lookedUp(ok)
	c.WriteInt(len(v))
}

func cmdGetRange(c *client, args [][]byte, tx store.Tx) {
	start, ok := c.intArg(args[2])
	if !ok {
		return
	}
	end, ok := c.intArg(args[3])
	if !ok {
		return
	}
	v, found := tx.Get(args[1])
	c.lookedUp(found)
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		c.WriteBulkString("")
		return
	}
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end = max(n+end, 0)
	}
	end = min(end, n-1)
	if n == 0 || start > end {
		c.WriteBulkString("")
		return
	}
	c.WriteBulk(v[start : end+1])
}

func cmdSetRange(c *client, args [][]byte, tx store.Tx) {
	off, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if off < 0 {
		c.errorReply(errOffsetRange)
		return
	}
	val := args[3]
	cur, exists := tx.Get(args[1])
	if len(val) == 0 {
		c.WriteInt(len(cur))
		return
	}
	// Written so that a huge offset cannot overflow the sum.
	if off > c.srv.cfg.ProtoMaxBulkLen.Load()-int64(len(val)) {
		c.errorReply(errTooBig)
		return
	}
	_ = exists
	c.WriteInt(tx.SetRange(args[1], int(off), val))
	c.notify(notifyString, "setrange", args[1])
}

// cmdLCS is LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN], by
// the dynamic-programming table Redis uses; the table's size is bounded
// by proto-max-bulk-len, as in Redis, so one command cannot take
// unbounded memory.
func cmdLCS(c *client, args [][]byte, tx store.Tx) {
	var getLen, getIdx, withMatchLen bool
	var minMatch int64
	for i := 3; i < len(args); i++ {
		switch strings.ToUpper(string(args[i])) {
		case "LEN":
			getLen = true
		case "IDX":
			getIdx = true
		case "WITHMATCHLEN":
			withMatchLen = true
		case "MINMATCHLEN":
			if i+1 >= len(args) {
				c.errorReply(errSyntax)
				return
			}
			n, ok := c.intArg(args[i+1])
			if !ok {
				return
			}
			minMatch = max(n, 0)
			i++
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	if getLen && getIdx {
		c.errorReply("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	a, _ := tx.Get(args[1])
	b, _ := tx.Get(args[2])
	cols := len(b) + 1
	if cells := int64(len(a)+1) * int64(cols); cells*4 > c.srv.cfg.ProtoMaxBulkLen.Load() {
		c.errorReply("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}
	dp := make([]uint32, (len(a)+1)*cols)
	at := func(i, j int) uint32 { return dp[i*cols+j] }
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				dp[i*cols+j] = at(i-1, j-1) + 1
			} else {
				dp[i*cols+j] = max(at(i-1, j), at(i, j-1))
			}
		}
	}
	total := int(at(len(a), len(b)))
	if getLen {
		c.WriteInt(total)
		return
	}
	lcs := make([]byte, total)
	type match struct{ a0, a1, b0, b1 int }
	var matches []match
	idx := total
	cur := match{a0: -1}
	flush := func() {
		if n := cur.a1 - cur.a0 + 1; minMatch == 0 || int64(n) >= minMatch {
			matches = append(matches, cur)
		}
		cur.a0 = -1
	}
	for i, j := len(a), len(b); i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			lcs[idx-1] = a[i-1]
			switch {
			case cur.a0 < 0:
				cur = match{i - 1, i - 1, j - 1, j - 1}
			case cur.a0 == i && cur.b0 == j:
				cur.a0--
				cur.b0--
			default:
				emit = true
			}
			if cur.a0 == 0 || cur.b0 == 0 {
				emit = true
			}
			idx, i, j = idx-1, i-1, j-1
		} else {
			if at(i-1, j) > at(i, j-1) {
				i--
			} else {
				j--
			}
			emit = cur.a0 >= 0
		}
		if emit {
			flush()
		}
	}
	if !getIdx {
		c.WriteBulk(lcs)
		return
	}
	c.WriteMap(2) // a map in RESP3, as Redis's
	c.WriteBulkString("matches")
	c.WriteArray(len(matches))
	for _, m := range matches {
		if withMatchLen {
			c.WriteArray(3)
		} else {
			c.WriteArray(2)
		}
		c.WriteArray(2)
		c.WriteInt(m.a0)
		c.WriteInt(m.a1)
		c.WriteArray(2)
		c.WriteInt(m.b0)
		c.WriteInt(m.b1)
		if withMatchLen {
			c.WriteInt(m.a1 - m.a0 + 1)
		}
	}
	c.WriteBulkString("len")
	c.WriteInt(total)
}
