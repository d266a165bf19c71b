package protocol

import (
	"bytes"
	"math"
	"strings"

	"github.com/cachesrv/cachesrv/store"
)

// Set commands, Redis 7's.

func init() {
	sc := func(name string, arity int, flags cmdFlags, first, last int, acl string, run handler) *command {
		cat := []string{"write", "set", acl}
		if flags&flagReadonly != 0 {
			cat[0] = "read"
		}
		return &command{name: name, arity: arity, flags: flags, firstKey: first, lastKey: last, keyStep: 1, acl: cat, run: run}
	}
	register(
		sc("sadd", -3, flagWrite|flagDenyOOM|flagFast, 1, 1, "fast", cmdSAdd),
		sc("srem", -3, flagWrite|flagFast, 1, 1, "fast", cmdSRem),
		sc("smembers", 2, flagReadonly, 1, 1, "slow", cmdSMembers),
		sc("sismember", 3, flagReadonly|flagFast, 1, 1, "fast", cmdSIsMember),
		sc("smismember", -3, flagReadonly|flagFast, 1, 1, "fast", cmdSMIsMember),
		sc("scard", 2, flagReadonly|flagFast, 1, 1, "fast", cmdSCard),
		sc("spop", -2, flagWrite|flagFast, 1, 1, "fast", cmdSPop),
		sc("srandmember", -2, flagReadonly, 1, 1, "slow", cmdSRandMember),
		sc("smove", 4, flagWrite|flagFast, 1, 2, "fast", cmdSMove),
		sc("sinter", -2, flagReadonly, 1, -1, "slow", cmdSetOp),
		sc("sunion", -2, flagReadonly, 1, -1, "slow", cmdSetOp),
		sc("sdiff", -2, flagReadonly, 1, -1, "slow", cmdSetOp),
		sc("sinterstore", -3, flagWrite|flagDenyOOM, 1, -1, "slow", cmdSetOp),
		sc("sunionstore", -3, flagWrite|flagDenyOOM, 1, -1, "slow", cmdSetOp),
		sc("sdiffstore", -3, flagWrite|flagDenyOOM, 1, -1, "slow", cmdSetOp),
		// SINTERCARD's keys are counted by numkeys; the table's legacy
		// key range (from 2 to the end) also covers LIMIT and its value,
		// which only means locking a shard or two more.
		sc("sintercard", -3, flagReadonly, 2, -1, "slow", cmdSInterCard),
		sc("sscan", -3, flagReadonly, 1, 1, "slow", cmdSScan),
	)
}

func member(m []byte) store.Elem { return store.Elem{Field: m} }

func cmdSAdd(c *client, args [][]byte, tx store.Tx) {
	var buf [8]store.Elem
	els := buf[:0]
	for _, m := range args[2:] {
		els = append(els, member(m))
	}
	n, _, err := tx.PutMany(args[1], store.TypeSet, store.PutNX, els...)
	if c.wrongType(err) {
		return
	}
	if n > 0 {
		c.notify(notifySet, "sadd", args[1])
	}
	c.WriteInt(n)
}

func cmdSRem(c *client, args [][]byte, tx store.Tx) {
	c.removeElems(tx, store.TypeSet, notifySet, "srem", args) // cmd_hash.go
}

// writeMembers writes members as a set (an array in RESP2).
func writeMembers(c *client, members [][]byte) {
	c.WriteSet(len(members))
	for _, m := range members {
		c.WriteBulk(m)
	}
}

// setMembers returns the members of key's set, copied.
func setMembers(tx store.Tx, key []byte) ([][]byte, error) {
	els, _, err := liveElems(tx, key, store.TypeSet)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(els))
	for i, el := range els {
		out[i] = el.Field
	}
	return out, nil
}

// cmdSMembers writes each member as the store walks them.
func cmdSMembers(c *client, args [][]byte, tx store.Tx) {
	n, err := tx.LiveLen(args[1], store.TypeSet)
	if c.wrongType(err) {
		return
	}
	c.WriteSet(n)
	tx.Elems(args[1], store.TypeSet, func(el store.Elem) bool {
		c.WriteBulk(el.Field)
		return true
	})
}

func cmdSIsMember(c *client, args [][]byte, tx store.Tx) {
	_, ok, err := tx.Elem(args[1], store.TypeSet, args[2])
	if c.wrongType(err) {
		return
	}
	if ok {
		c.WriteInt(1)
	} else {
		c.WriteInt(0)
	}
}

func cmdSMIsMember(c *client, args [][]byte, tx store.Tx) {
	if _, err := tx.Len(args[1], store.TypeSet); c.wrongType(err) {
		return
	}
	c.WriteArray(len(args) - 2)
	for _, m := range args[2:] {
		if _, ok, _ := tx.Elem(args[1], store.TypeSet, m); ok {
			c.WriteInt(1)
		} else {
			c.WriteInt(0)
		}
	}
}

func cmdSCard(c *client, args [][]byte, tx store.Tx) {
	n, err := tx.Len(args[1], store.TypeSet)
	if c.wrongType(err) {
		return
	}
	c.WriteInt(n)
}

// randomMembers draws members of key's set as RandomElems does, copied.
func randomMembers(tx store.Tx, key []byte, count int64) ([][]byte, bool, error) {
	var out [][]byte
	exists, err := tx.RandomElems(key, store.TypeSet, count, func(el store.Elem) { out = append(out, bytes.Clone(el.Field)) })
	return out, exists, err
}

func cmdSPop(c *client, args [][]byte, tx store.Tx) {
	if len(args) > 3 {
		c.errorReply(errSyntax)
		return
	}
	count := int64(1)
	if len(args) == 3 {
		n, ok := parseInt(args[2])
		if !ok || n < 0 {
			c.errorReply("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	members, exists, err := randomMembers(tx, args[1], count)
	if c.wrongType(err) {
		return
	}
	for _, m := range members {
		tx.Remove(args[1], store.TypeSet, m)
	}
	if len(members) > 0 {
		c.notify(notifySet, "spop", args[1])
		if !tx.Exists(args[1]) {
			c.notify(notifyGeneric, "del", args[1])
		}
	}
	if len(args) == 2 {
		if !exists || len(members) == 0 {
			c.WriteNull()
			return
		}
		c.WriteBulk(members[0])
		return
	}
	writeMembers(c, members)
}

func cmdSRandMember(c *client, args [][]byte, tx store.Tx) {
	if len(args) > 3 {
		c.errorReply(errSyntax)
		return
	}
	if len(args) == 2 {
		members, exists, err := randomMembers(tx, args[1], 1)
		if c.wrongType(err) {
			return
		}
		if !exists || len(members) == 0 {
			c.WriteNull()
			return
		}
		c.WriteBulk(members[0])
		return
	}
	count, ok := countArg(c, args[2])
	if !ok {
		return
	}
	members, _, err := randomMembers(tx, args[1], count)
	if c.wrongType(err) {
		return
	}
	c.WriteArray(len(members))
	for _, m := range members {
		c.WriteBulk(m)
	}
}

func cmdSMove(c *client, args [][]byte, tx store.Tx) {
	src, dst, m := args[1], args[2], args[3]
	_, inSrc, err := tx.Elem(src, store.TypeSet, m)
	if c.wrongType(err) {
		return
	}
	if _, err := tx.Len(dst, store.TypeSet); c.wrongType(err) {
		return
	}
	if !inSrc {
		c.WriteInt(0)
		return
	}
	if bytes.Equal(src, dst) {
		c.WriteInt(1)
		return
	}
	tx.Remove(src, store.TypeSet, m)
	c.notify(notifySet, "srem", src)
	if !tx.Exists(src) {
		c.notify(notifyGeneric, "del", src)
	}
	if added, _, _ := tx.Put(dst, store.TypeSet, member(m), store.PutNX); added {
		c.notify(notifySet, "sadd", dst)
	}
	c.WriteInt(1)
}

// setOp computes SINTER, SUNION or SDIFF ("inter", "union", "diff") of the
// sets at keys; a missing key is an empty set. Every key is type-checked
// first, as Redis does.
func setOp(tx store.Tx, op string, keys [][]byte, limit int) ([][]byte, error) {
	sets := make([][][]byte, len(keys))
	for i, k := range keys {
		if tx.Type(k) != store.TypeSet && tx.Type(k) != store.TypeNone {
			return nil, store.ErrWrongType
		}
		sets[i], _ = setMembers(tx, k)
	}
	var out [][]byte
	switch op {
	case "inter":
		for _, s := range sets {
			if len(s) == 0 {
				return nil, nil
			}
		}
		// Walk the smallest set, probing the others.
		small := 0
		for i, s := range sets {
			if len(s) < len(sets[small]) {
				small = i
			}
		}
	outer:
		for _, m := range sets[small] {
			for i, k := range keys {
				if i == small {
					continue
				}
				if _, ok, _ := tx.Elem(k, store.TypeSet, m); !ok {
					continue outer
				}
			}
			out = append(out, m)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
	case "union":
		seen := make(map[string]bool)
		for _, s := range sets {
			for _, m := range s {
				if !seen[string(m)] {
					seen[string(m)] = true
					out = append(out, m)
				}
			}
		}
	default:
	next:
		for _, m := range sets[0] {
			for _, k := range keys[1:] {
				if _, ok, _ := tx.Elem(k, store.TypeSet, m); ok {
					continue next
				}
			}
			out = append(out, m)
		}
	}
	return out, nil
}

// cmdSetOp serves SINTER, SUNION, SDIFF and their STORE forms.
func cmdSetOp(c *client, args [][]byte, tx store.Tx) {
	name := strings.ToLower(string(args[0]))
	op := strings.TrimSuffix(name[1:], "store")
	keys := args[1:]
	store_ := strings.HasSuffix(name, "store")
	if store_ {
		keys = args[2:]
	}
	out, err := setOp(tx, op, keys, 0)
	if c.wrongType(err) {
		return
	}
	if !store_ {
		writeMembers(c, out)
		return
	}
	dst := args[1]
	existed := tx.Delete(dst)
	els := make([]store.Elem, len(out))
	for i, m := range out {
		els[i] = member(m)
	}
	tx.PutMany(dst, store.TypeSet, store.PutNX, els...)
	if len(out) > 0 {
		c.notify(notifySet, name, dst)
	} else if existed {
		c.notify(notifyGeneric, "del", dst)
	}
	c.WriteInt(len(out))
}

// cmdSInterCard serves SINTERCARD numkeys key [key ...] [LIMIT limit].
func cmdSInterCard(c *client, args [][]byte, tx store.Tx) {
	n, ok := parseInt(args[1])
	if !ok || n <= 0 {
		c.errorReply("ERR numkeys should be greater than 0")
		return
	}
	if n > int64(len(args)-2) {
		c.errorReply("ERR Number of keys can't be greater than number of args")
		return
	}
	keys := args[2 : 2+n]
	limit := int64(0)
	for i := 2 + int(n); i < len(args); i += 2 {
		if !strings.EqualFold(string(args[i]), "limit") || i+1 >= len(args) {
			c.errorReply(errSyntax)
			return
		}
		l, ok := parseInt(args[i+1])
		if !ok {
			c.errorReply("ERR LIMIT can't be negative")
			return
		}
		if l < 0 {
			c.errorReply("ERR LIMIT can't be negative")
			return
		}
		limit = l
	}
	out, err := setOp(tx, "inter", keys, int(min(limit, math.MaxInt32)))
	if c.wrongType(err) {
		return
	}
	c.WriteInt(len(out))
}

func cmdSScan(c *client, args [][]byte, tx store.Tx) { collScan(c, args, tx, store.TypeSet) }
