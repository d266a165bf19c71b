package protocol

import (
	"math"
	"strings"

	"github.com/cachesrv/cachesrv/store"
)

// List commands, Redis 7.0's (t_list.c). The blocking ones are in
// cmd_list_block.go.

func init() {
	lc := func(name string, arity int, flags cmdFlags, first, last int, acl string, run handler) *command {
		cat := []string{"write", "list", acl}
		if flags&flagReadonly != 0 {
			cat[0] = "read"
		}
		if flags&flagBlocking != 0 {
			cat = append(cat, "blocking")
		}
		return &command{name: name, arity: arity, flags: flags, firstKey: first, lastKey: last, keyStep: 1, acl: cat, run: run}
	}
	w, wd, ro := flagWrite, flagWrite|flagDenyOOM, flagReadonly
	lmpop := lc("lmpop", -4, w|flagMovableKeys, 2, -1, "slow", cmdLMPop)
	lmpop.keys = func(args [][]byte, fn func([]byte)) { mpopKeys(args, 1, fn) }
	blmpop := lc("blmpop", -5, w|flagMovableKeys|flagBlocking, 3, -1, "slow", cmdBLMPop)
	blmpop.keys = func(args [][]byte, fn func([]byte)) { mpopKeys(args, 2, fn) }
	register(
		lc("lpush", -3, wd|flagFast, 1, 1, "fast", cmdPush),
		lc("rpush", -3, wd|flagFast, 1, 1, "fast", cmdPush),
		lc("lpushx", -3, wd|flagFast, 1, 1, "fast", cmdPush),
		lc("rpushx", -3, wd|flagFast, 1, 1, "fast", cmdPush),
		lc("lpop", -2, w|flagFast, 1, 1, "fast", cmdPop),
		lc("rpop", -2, w|flagFast, 1, 1, "fast", cmdPop),
		lc("llen", 2, ro|flagFast, 1, 1, "fast", cmdLLen),
		lc("lindex", 3, ro, 1, 1, "slow", cmdLIndex),
		lc("lset", 4, wd, 1, 1, "slow", cmdLSet),
		lc("lrange", 4, ro, 1, 1, "slow", cmdLRange),
		lc("ltrim", 4, w, 1, 1, "slow", cmdLTrim),
		lc("linsert", 5, wd, 1, 1, "slow", cmdLInsert),
		lc("lrem", 4, w, 1, 1, "slow", cmdLRem),
		lc("lpos", -3, ro, 1, 1, "slow", cmdLPos),
		lc("lmove", 5, wd, 1, 2, "slow", cmdLMove),
		lc("rpoplpush", 3, wd, 1, 2, "slow", cmdRPopLPush),
		lmpop,
		lc("blpop", -3, w|flagNoScript|flagBlocking, 1, -2, "slow", cmdBPop),
		lc("brpop", -3, w|flagNoScript|flagBlocking, 1, -2, "slow", cmdBPop),
		lc("blmove", 6, wd|flagNoScript|flagBlocking, 1, 2, "slow", cmdBLMove),
		lc("brpoplpush", 4, wd|flagNoScript|flagBlocking, 1, 2, "slow", cmdBRPopLPush),
		blmpop,
	)
}

// mpopKeys finds LMPOP's (numkeys at args[at]) and BLMPOP's keys.
func mpopKeys(args [][]byte, at int, fn func([]byte)) {
	if len(args) <= at {
		return
	}
	n, ok := parseInt(args[at])
	if !ok || n < 1 || n > int64(len(args)-at-1) {
		return
	}
	for _, k := range args[at+1 : at+1+int(n)] {
		fn(k)
	}
}

// front reports whether a command's name says the head (LPUSH, LPOP).
func front(args [][]byte) bool { return args[0][0]|0x20 == 'l' }

func cmdPush(c *client, args [][]byte, tx store.Tx) {
	name := strings.ToLower(string(args[0]))
	head := name[0] == 'l'
	n, err := tx.ListPush(args[1], head, strings.HasSuffix(name, "x"), args[2:]...)
	if c.wrongType(err) {
		return
	}
	if n > 0 {
		if head {
			c.notify(notifyList, "lpush", args[1])
		} else {
			c.notify(notifyList, "rpush", args[1])
		}
	}
	c.WriteInt(n)
}

// popEvent is the notification of a pop from the head or the tail.
func popEvent(head bool) string {
	if head {
		return "lpop"
	}
	return "rpop"
}

// notifyPopped sends a pop's notifications: the pop, and "del" when it
// emptied the list.
func (c *client) notifyPopped(key []byte, head bool, left int) {
	c.notify(notifyList, popEvent(head), key)
	if left == 0 {
		c.notify(notifyGeneric, "del", key)
	}
}

func cmdPop(c *client, args [][]byte, tx store.Tx) {
	head := front(args)
	if len(args) > 3 {
		c.errorReply(errWrongArgs(strings.ToLower(string(args[0]))))
		return
	}
	count, hasCount := int64(1), len(args) == 3
	if hasCount {
		n, ok := parseInt(args[2])
		if !ok || n < 0 {
			c.errorReply("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	n, err := tx.ListLen(args[1])
	if c.wrongType(err) {
		return
	}
	switch {
	case n == 0 && hasCount:
		c.WriteNullArray()
		return
	case n == 0:
		c.WriteNull()
		return
	case hasCount && count == 0:
		c.WriteArray(0)
		return
	}
	if hasCount {
		c.WriteArray(int(min(count, int64(n))))
	}
	_, left, _ := tx.ListPop(args[1], head, int(min(count, math.MaxInt32)), func(e []byte) { c.WriteBulk(e) })
	c.notifyPopped(args[1], head, left)
}

func cmdLLen(c *client, args [][]byte, tx store.Tx) {
	n, err := tx.ListLen(args[1])
	if c.wrongType(err) {
		return
	}
	c.WriteInt(n)
}

func cmdLIndex(c *client, args [][]byte, tx store.Tx) {
	i, ok := c.intArg(args[2])
	if !ok {
		return
	}
	e, found, err := tx.ListIndex(args[1], i)
	if c.wrongType(err) {
		return
	}
	if !found {
		c.WriteNull()
		return
	}
	c.WriteBulk(e)
}

func cmdLSet(c *client, args [][]byte, tx store.Tx) {
	i, ok := c.intArg(args[2])
	if !ok {
		return
	}
	if err := tx.ListSet(args[1], i, args[3]); err != nil {
		c.errorReply(err.Error())
		return
	}
	c.notify(notifyList, "lset", args[1])
	c.WriteString("OK")
}

func cmdLRange(c *client, args [][]byte, tx store.Tx) {
	start, ok := c.intArg(args[2])
	if !ok {
		return
	}
	stop, ok := c.intArg(args[3])
	if !ok {
		return
	}
	err := tx.ListRange(args[1], start, stop, func(n int) { c.WriteArray(n) }, func(e []byte) { c.WriteBulk(e) })
	c.wrongType(err)
}

func cmdLTrim(c *client, args [][]byte, tx store.Tx) {
	start, ok := c.intArg(args[2])
	if !ok {
		return
	}
	stop, ok := c.intArg(args[3])
	if !ok {
		return
	}
	exists, deleted, err := tx.ListTrim(args[1], start, stop)
	if c.wrongType(err) {
		return
	}
	if exists {
		c.notify(notifyList, "ltrim", args[1])
		if deleted {
			c.notify(notifyGeneric, "del", args[1])
		}
	}
	c.WriteString("OK")
}

func cmdLInsert(c *client, args [][]byte, tx store.Tx) {
	var after bool
	switch strings.ToLower(string(args[2])) {
	case "before":
	case "after":
		after = true
	default:
		c.errorReply("ERR syntax error")
		return
	}
	n, err := tx.ListInsert(args[1], after, args[3], args[4])
	if c.wrongType(err) {
		return
	}
	if n > 0 {
		c.notify(notifyList, "linsert", args[1])
	}
	c.WriteInt(n)
}

func cmdLRem(c *client, args [][]byte, tx store.Tx) {
	count, ok := c.intArg(args[2])
	if !ok {
		return
	}
	n, left, err := tx.ListRemove(args[1], count, args[3])
	if c.wrongType(err) {
		return
	}
	if n > 0 {
		c.notify(notifyList, "lrem", args[1])
		if left == 0 {
			c.notify(notifyGeneric, "del", args[1])
		}
	}
	c.WriteInt(n)
}

func cmdLPos(c *client, args [][]byte, tx store.Tx) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(args); j++ {
		opt := strings.ToLower(string(args[j]))
		more := j+1 < len(args)
		switch {
		case opt == "rank" && more:
			j++
			v, ok := parseInt(args[j])
			switch {
			case !ok:
				c.errorReply("ERR value is not an integer or out of range")
				return
			case v == math.MinInt64:
				v = -1 // Redis 7.0 negates it into itself: every match, from the tail
			case v == 0:
				c.errorReply("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
			rank = v
		case (opt == "count" || opt == "maxlen") && more:
			j++
			v, ok := parseInt(args[j])
			if !ok || v < 0 {
				c.errorReply("ERR " + strings.ToUpper(opt) + " can't be negative")
				return
			}
			if opt == "count" {
				count = v
			} else {
				maxlen = v
			}
		default:
			c.errorReply("ERR syntax error")
			return
		}
	}
	var found []int
	exists, err := tx.ListPos(args[1], args[2], rank, max(count, 0), maxlen, func(i int) {
		found = append(found, i)
	})
	if c.wrongType(err) {
		return
	}
	if count < 0 {
		if !exists || len(found) == 0 {
			c.WriteNull()
			return
		}
		c.WriteInt(found[0])
		return
	}
	c.WriteArray(len(found))
	for _, i := range found {
		c.WriteInt(i)
	}
}

// listEnd parses LEFT or RIGHT: true for LEFT.
func (c *client) listEnd(b []byte) (bool, bool) {
	switch strings.ToLower(string(b)) {
	case "left":
		return true, true
	case "right":
		return false, true
	}
	c.errorReply("ERR syntax error")
	return false, false
}

// moveElem runs LMOVE and its kin: it replies with the element moved, or
// reports false (nothing to move: src is missing) having written nothing.
func (c *client) moveElem(tx store.Tx, src, dst []byte, from, to bool) bool {
	e, ok, left, err := tx.ListMove(src, dst, from, to, nil)
	if c.wrongType(err) {
		return true
	}
	if !ok {
		return false
	}
	if to {
		c.notify(notifyList, "lpush", dst)
	} else {
		c.notify(notifyList, "rpush", dst)
	}
	c.notifyPopped(src, from, left)
	c.WriteBulk(e)
	return true
}

func cmdLMove(c *client, args [][]byte, tx store.Tx) {
	from, ok := c.listEnd(args[3])
	if !ok {
		return
	}
	to, ok := c.listEnd(args[4])
	if !ok {
		return
	}
	if !c.moveElem(tx, args[1], args[2], from, to) {
		c.WriteNull()
	}
}

func cmdRPopLPush(c *client, args [][]byte, tx store.Tx) {
	if !c.moveElem(tx, args[1], args[2], false, true) {
		c.WriteNull()
	}
}

// mpopArgs parses LMPOP's arguments from numkeys (at args[at]) on: the
// keys, the end, the count.
func (c *client) mpopArgs(args [][]byte, at int) (keys [][]byte, head bool, count int64, ok bool) {
	n, isInt := parseInt(args[at])
	if !isInt || n <= 0 {
		c.errorReply("ERR numkeys should be greater than 0")
		return nil, false, 0, false
	}
	if n >= int64(len(args)-at-1) {
		c.errorReply("ERR syntax error") // no room for LEFT|RIGHT after the keys
		return nil, false, 0, false
	}
	keys = args[at+1 : at+1+int(n)]
	where := at + 1 + int(n)
	if head, ok = c.listEnd(args[where]); !ok {
		return nil, false, 0, false
	}
	count = -1
	for j := where + 1; j < len(args); j++ {
		if count == -1 && strings.EqualFold(string(args[j]), "count") && j+1 < len(args) {
			j++
			v, isInt := parseInt(args[j])
			if !isInt || v <= 0 {
				c.errorReply("ERR count should be greater than 0")
				return nil, false, 0, false
			}
			count = v
			continue
		}
		c.errorReply("ERR syntax error")
		return nil, false, 0, false
	}
	return keys, head, max(count, 1), true
}

// mpop pops up to count elements from the first non-empty list of keys
// and replies [key, [elements]], reporting false (nothing written) when
// every list is empty. On a blocked client's re-run, keys of another
// type are skipped.
func (c *client) mpop(tx store.Tx, keys [][]byte, head bool, count int64) bool {
	for _, key := range keys {
		n, err := tx.ListLen(key)
		if err != nil {
			if c.blockRerun() {
				continue
			}
			c.wrongType(err)
			return true
		}
		if n == 0 {
			continue
		}
		c.WriteArray(2)
		c.WriteBulk(key)
		c.WriteArray(int(min(count, int64(n))))
		_, left, _ := tx.ListPop(key, head, int(min(count, math.MaxInt32)), func(e []byte) { c.WriteBulk(e) })
		c.notifyPopped(key, head, left)
		return true
	}
	return false
}

func cmdLMPop(c *client, args [][]byte, tx store.Tx) {
	keys, head, count, ok := c.mpopArgs(args, 1)
	if !ok {
		return
	}
	if !c.mpop(tx, keys, head, count) {
		c.WriteNullArray()
	}
}
