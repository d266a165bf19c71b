package protocol

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cachesrv/cachesrv/protocol/glob"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// Sorted set commands over several keys (ZUNION, ZINTER, ZDIFF and their
// STORE forms, ZINTERCARD), the pops (ZPOPMIN, ZPOPMAX, ZMPOP and the
// blocking BZPOPMIN, BZPOPMAX, BZMPOP), ZRANDMEMBER and ZSCAN.

func init() {
	zc := func(name string, arity int, flags cmdFlags, first, last, step int, acl string, keys func([][]byte, func([]byte)), run handler) *command {
		cat := []string{"write", "sortedset", acl}
		if flags&flagReadonly != 0 {
			cat[0] = "read"
		}
		if flags&flagBlocking != 0 {
			cat = append(cat, "blocking")
		}
		return &command{name: name, arity: arity, flags: flags, firstKey: first, lastKey: last, keyStep: step, acl: cat, run: run, keys: keys}
	}
	rd, wr, mk := flagReadonly, flagWrite, flagMovableKeys
	register(
		zc("zunion", -3, rd|mk, 0, 0, 0, "slow", zNumKeys(1, false), cmdZSetOp),
		zc("zinter", -3, rd|mk, 0, 0, 0, "slow", zNumKeys(1, false), cmdZSetOp),
		zc("zdiff", -3, rd|mk, 0, 0, 0, "slow", zNumKeys(1, false), cmdZSetOp),
		zc("zunionstore", -4, wr|flagDenyOOM|mk, 1, 1, 1, "slow", zNumKeys(2, true), cmdZSetOp),
		zc("zinterstore", -4, wr|flagDenyOOM|mk, 1, 1, 1, "slow", zNumKeys(2, true), cmdZSetOp),
		zc("zdiffstore", -4, wr|flagDenyOOM|mk, 1, 1, 1, "slow", zNumKeys(2, true), cmdZSetOp),
		zc("zintercard", -3, rd|mk, 0, 0, 0, "slow", zNumKeys(1, false), cmdZInterCard),
		zc("zpopmin", -2, wr|flagFast, 1, 1, 1, "fast", nil, cmdZPop),
		zc("zpopmax", -2, wr|flagFast, 1, 1, 1, "fast", nil, cmdZPop),
		zc("zmpop", -4, wr|mk, 0, 0, 0, "slow", zNumKeys(1, false), cmdZMPop),
		zc("bzpopmin", -3, wr|flagNoScript|flagBlocking|flagFast, 1, -2, 1, "fast", nil, cmdBZPop),
		zc("bzpopmax", -3, wr|flagNoScript|flagBlocking|flagFast, 1, -2, 1, "fast", nil, cmdBZPop),
		zc("bzmpop", -5, wr|flagBlocking|mk, 0, 0, 0, "slow", zNumKeys(2, false), cmdBZMPop),
		zc("zrandmember", -2, rd, 1, 1, 1, "slow", nil, cmdZRandMember),
		zc("zscan", -3, rd, 1, 1, 1, "slow", nil, cmdZScan),
	)
}

// zNumKeys finds the keys of a command with numkeys at args[at] and the
// keys after it, with the destination args[1] first when dst.
func zNumKeys(at int, dst bool) func([][]byte, func([]byte)) {
	return func(args [][]byte, fn func([]byte)) {
		if dst && len(args) > 1 {
			fn(args[1])
		}
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
}

// zsrc is an input of ZUNION and its kin: a sorted set, or a set whose
// members count with score 1.
type zsrc struct {
	key    []byte
	typ    store.Type // TypeNone: missing
	n      int
	weight float64
}

func (s *zsrc) each(tx store.Tx, fn func(m []byte, score float64)) {
	switch s.typ {
	case store.TypeZSet:
		tx.ZRangeByRank(s.key, 0, -1, false, func(zm store.ZMember) bool { fn(zm.Member, zm.Score); return true })
	case store.TypeSet:
		tx.Elems(s.key, store.TypeSet, func(el store.Elem) bool { fn(el.Field, 1); return true })
	}
}

func (s *zsrc) score(tx store.Tx, m []byte) (float64, bool) {
	switch s.typ {
	case store.TypeZSet:
		sc, ok, _ := tx.ZScore(s.key, m)
		return sc, ok
	case store.TypeSet:
		_, ok, _ := tx.Elem(s.key, store.TypeSet, m)
		return 1, ok
	}
	return 0, false
}

// zsources reads numkeys at args[at] and the input keys after it, with
// Redis's errors; it returns the sources and the index after the keys.
func zsources(c *client, tx store.Tx, args [][]byte, at int) ([]zsrc, int, bool) {
	n, ok := c.intArg(args[at])
	if !ok {
		return nil, 0, false
	}
	if n < 1 {
		c.errorReply("ERR at least 1 input key is needed for '" + strings.ToLower(string(args[0])) + "' command")
		return nil, 0, false
	}
	if n > int64(len(args)-at-1) {
		c.errorReply(errSyntax)
		return nil, 0, false
	}
	srcs := make([]zsrc, n)
	for i := range srcs {
		k := args[at+1+i]
		s := zsrc{key: k, typ: tx.Type(k), weight: 1}
		switch s.typ {
		case store.TypeNone:
		case store.TypeZSet:
			s.n, _ = tx.ZCard(k)
		case store.TypeSet:
			s.n, _ = tx.Len(k, store.TypeSet)
		default:
			c.errorReply(store.ErrWrongType.Error())
			return nil, 0, false
		}
		srcs[i] = s
	}
	return srcs, at + 1 + int(n), true
}

const (
	aggSum = iota
	aggMin
	aggMax
)

func aggregate(agg int, acc, v float64) float64 {
	switch agg {
	case aggMin:
		return min(acc, v)
	case aggMax:
		return max(acc, v)
	}
	if r := acc + v; !math.IsNaN(r) {
		return r
	}
	return 0 // inf + -inf: Redis's convention
}

func weighted(w, s float64) float64 {
	if v := w * s; !math.IsNaN(v) {
		return v
	}
	return 0
}

func cmdZSetOp(c *client, args [][]byte, tx store.Tx) {
	name := strings.ToLower(string(args[0]))
	dstore := strings.HasSuffix(name, "store")
	op := strings.TrimSuffix(name, "store")
	at := 1
	var dst []byte
	if dstore {
		dst, at = args[1], 2
	}
	srcs, j, ok := zsources(c, tx, args, at)
	if !ok {
		return
	}
	agg, withScores := aggSum, false
	for j < len(args) {
		left := len(args) - j
		opt := strings.ToUpper(string(args[j]))
		switch {
		case op != "zdiff" && left >= len(srcs)+1 && opt == "WEIGHTS":
			for i := range srcs {
				w, ok := parseScore(args[j+1+i])
				if !ok {
					c.errorReply("ERR weight value is not a float")
					return
				}
				srcs[i].weight = w
			}
			j += len(srcs) + 1
		case op != "zdiff" && left >= 2 && opt == "AGGREGATE":
			switch strings.ToUpper(string(args[j+1])) {
			case "SUM":
				agg = aggSum
			case "MIN":
				agg = aggMin
			case "MAX":
				agg = aggMax
			default:
				c.errorReply(errSyntax)
				return
			}
			j += 2
		case !dstore && opt == "WITHSCORES":
			withScores = true
			j++
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	var ms []store.ZMember
	switch op {
	case "zunion":
		ms = zunion(tx, srcs, agg)
	case "zinter":
		ms = zinter(tx, srcs, agg, 0)
	default:
		ms = zdiff(tx, srcs)
	}
	if dstore {
		zstoreReply(c, tx, dst, ms, op+"store")
		return
	}
	slices.SortFunc(ms, func(a, b store.ZMember) int {
		if a.Score != b.Score {
			if a.Score < b.Score {
				return -1
			}
			return 1
		}
		return bytes.Compare(a.Member, b.Member)
	})
	writeZMembers(c, ms, withScores)
}

// bySize orders the sources from the smallest, as Redis does before
// combining them (which fixes the order of a sum's additions).
func bySize(srcs []zsrc) []zsrc {
	s := slices.Clone(srcs)
	slices.SortStableFunc(s, func(a, b zsrc) int { return a.n - b.n })
	return s
}

func zunion(tx store.Tx, srcs []zsrc, agg int) []store.ZMember {
	idx := map[string]int{}
	var ms []store.ZMember
	for _, s := range bySize(srcs) {
		s.each(tx, func(m []byte, score float64) {
			v := weighted(s.weight, score)
			if i, ok := idx[string(m)]; ok {
				ms[i].Score = aggregate(agg, ms[i].Score, v)
				return
			}
			idx[string(m)] = len(ms)
			ms = append(ms, store.ZMember{Member: bytes.Clone(m), Score: v})
		})
	}
	return ms
}

// zinter intersects srcs; limit > 0 stops at that many members.
func zinter(tx store.Tx, srcs []zsrc, agg int, limit int) []store.ZMember {
	s := bySize(srcs)
	if s[0].n == 0 {
		return nil
	}
	var ms []store.ZMember
	s[0].each(tx, func(m []byte, score float64) {
		if limit > 0 && len(ms) >= limit {
			return
		}
		v := weighted(s[0].weight, score)
		for _, o := range s[1:] {
			os, ok := o.score(tx, m)
			if !ok {
				return
			}
			v = aggregate(agg, v, weighted(o.weight, os))
		}
		ms = append(ms, store.ZMember{Member: bytes.Clone(m), Score: v})
	})
	return ms
}

func zdiff(tx store.Tx, srcs []zsrc) []store.ZMember {
	var ms []store.ZMember
	srcs[0].each(tx, func(m []byte, score float64) {
		for _, o := range srcs[1:] {
			if _, ok := o.score(tx, m); ok {
				return
			}
		}
		ms = append(ms, store.ZMember{Member: bytes.Clone(m), Score: score})
	})
	return ms
}

func cmdZInterCard(c *client, args [][]byte, tx store.Tx) {
	srcs, j, ok := zsources(c, tx, args, 1)
	if !ok {
		return
	}
	limit := int64(0)
	for j < len(args) {
		if len(args)-j >= 2 && strings.EqualFold(string(args[j]), "LIMIT") {
			n, ok := parseInt(args[j+1])
			if !ok || n < 0 {
				c.errorReply("ERR LIMIT can't be negative")
				return
			}
			limit = n
			j += 2
			continue
		}
		c.errorReply(errSyntax)
		return
	}
	c.WriteInt(len(zinter(tx, srcs, aggSum, clampInt(limit))))
}

// ---- pops ----

// zpopFrom pops up to count members of key and sends its events; false
// when the key is missing (or holds nothing).
func zpopFrom(c *client, tx store.Tx, key []byte, max bool, count int) []store.ZMember {
	var ms []store.ZMember
	tx.ZPop(key, max, count, func(zm store.ZMember) {
		ms = append(ms, store.ZMember{Member: bytes.Clone(zm.Member), Score: zm.Score})
	})
	if len(ms) > 0 {
		if max {
			c.notify(notifyZset, "zpopmax", key)
		} else {
			c.notify(notifyZset, "zpopmin", key)
		}
		if !tx.Exists(key) {
			c.notify(notifyGeneric, "del", key)
		}
	}
	return ms
}

func isMax(name []byte) bool { return bytes.HasSuffix(bytes.ToLower(name), []byte("max")) }

func cmdZPop(c *client, args [][]byte, tx store.Tx) {
	if len(args) > 3 {
		c.errorReply(errSyntax)
		return
	}
	count := int64(-1)
	if len(args) == 3 {
		n, ok := parseInt(args[2])
		if !ok || n < 0 {
			c.errorReply("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	if _, err := tx.ZCard(args[1]); c.wrongType(err) {
		return
	}
	if count == 0 {
		c.WriteArray(0)
		return
	}
	ms := zpopFrom(c, tx, args[1], isMax(args[0]), clampInt(max(count, 1)))
	if count == -1 || !c.RESP3() {
		// Flat: member, score, ...
		c.WriteArray(2 * len(ms))
		for _, zm := range ms {
			c.WriteBulk(zm.Member)
			c.WriteDouble(zm.Score)
		}
		return
	}
	writeZMembers(c, ms, true)
}

// writeMPop writes ZMPOP's and BZMPOP's reply: the key and its popped
// members as [member, score] pairs.
func writeMPop(c *client, key []byte, ms []store.ZMember) {
	c.WriteArray(2)
	c.WriteBulk(key)
	c.WriteArray(len(ms))
	for _, zm := range ms {
		c.WriteArray(2)
		c.WriteBulk(zm.Member)
		c.WriteDouble(zm.Score)
	}
}

// mpopArgs parses ZMPOP's numkeys, keys, MIN|MAX and COUNT from args[at].
func mpopArgs(c *client, args [][]byte, at int) (keys [][]byte, max bool, count int, ok bool) {
	n, isInt := parseInt(args[at])
	if !isInt || n < 1 {
		c.errorReply("ERR numkeys should be greater than 0")
		return nil, false, 0, false
	}
	where := int64(at) + n + 1
	if where >= int64(len(args)) {
		c.errorReply(errSyntax)
		return nil, false, 0, false
	}
	switch strings.ToUpper(string(args[where])) {
	case "MIN":
	case "MAX":
		max = true
	default:
		c.errorReply(errSyntax)
		return nil, false, 0, false
	}
	cnt := int64(-1)
	for j := int(where) + 1; j < len(args); j++ {
		if cnt == -1 && strings.EqualFold(string(args[j]), "COUNT") && j+1 < len(args) {
			v, isInt := parseInt(args[j+1])
			if !isInt || v < 1 {
				c.errorReply("ERR count should be greater than 0")
				return nil, false, 0, false
			}
			cnt = v
			j++
			continue
		}
		c.errorReply(errSyntax)
		return nil, false, 0, false
	}
	if cnt == -1 {
		cnt = 1
	}
	return args[at+1 : where], max, clampInt(cnt), true
}

func cmdZMPop(c *client, args [][]byte, tx store.Tx) {
	keys, max, count, ok := mpopArgs(c, args, 1)
	if !ok {
		return
	}
	for _, k := range keys {
		n, err := tx.ZCard(k)
		if c.wrongType(err) {
			return
		}
		if n > 0 {
			writeMPop(c, k, zpopFrom(c, tx, k, max, count))
			return
		}
	}
	c.WriteNullArray()
}

func cmdBZPop(c *client, args [][]byte, tx store.Tx) {
	timeout, ok := c.blockTimeout(args[len(args)-1])
	if !ok {
		return
	}
	keys := args[1 : len(args)-1]
	for _, k := range keys {
		n, err := tx.ZCard(k)
		if err != nil {
			if c.blockRerun() {
				continue
			}
			c.wrongType(err)
			return
		}
		if n > 0 {
			ms := zpopFrom(c, tx, k, isMax(args[0]), 1)
			c.WriteArray(3)
			c.WriteBulk(k)
			c.WriteBulk(ms[0].Member)
			c.WriteDouble(ms[0].Score)
			return
		}
	}
	if c.block(keys, timeout) {
		return
	}
	c.WriteNullArray()
}

func cmdBZMPop(c *client, args [][]byte, tx store.Tx) {
	timeout, ok := c.blockTimeout(args[1])
	if !ok {
		return
	}
	keys, max, count, ok := mpopArgs(c, args, 2)
	if !ok {
		return
	}
	for _, k := range keys {
		n, err := tx.ZCard(k)
		if err != nil {
			if c.blockRerun() {
				continue
			}
			c.wrongType(err)
			return
		}
		if n > 0 {
			writeMPop(c, k, zpopFrom(c, tx, k, max, count))
			return
		}
	}
	if c.block(keys, timeout) {
		return
	}
	c.WriteNullArray()
}

// ---- ZRANDMEMBER, ZSCAN ----

func cmdZRandMember(c *client, args [][]byte, tx store.Tx) {
	if len(args) == 2 {
		var m []byte
		exists, err := tx.ZRandMembers(args[1], -1, func(zm store.ZMember) { m = bytes.Clone(zm.Member) })
		if c.wrongType(err) {
			return
		}
		if !exists {
			c.WriteNull()
			return
		}
		c.WriteBulk(m)
		return
	}
	count, ok := countArg(c, args[2]) // cmd_hash.go
	if !ok {
		return
	}
	withScores := false
	if len(args) > 4 || (len(args) == 4 && !strings.EqualFold(string(args[3]), "withscores")) {
		c.errorReply(errSyntax)
		return
	}
	if len(args) == 4 {
		withScores = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			c.errorReply("ERR value is out of range")
			return
		}
	}
	n, err := tx.ZCard(args[1])
	if c.wrongType(err) {
		return
	}
	// Written as drawn, not gathered first: a large negative count costs
	// output buffer (which its limits bound), not a copy of every draw.
	switch {
	case n == 0 || count == 0:
		n = 0
	case count < 0:
		n = clampInt(-count)
	default:
		n = min(n, clampInt(count))
	}
	if withScores && !c.RESP3() {
		c.WriteArray(2 * n)
	} else {
		c.WriteArray(n)
	}
	if n == 0 {
		return
	}
	tx.ZRandMembers(args[1], count, func(zm store.ZMember) {
		if withScores && c.RESP3() {
			c.WriteArray(2)
		}
		c.WriteBulk(zm.Member)
		if withScores {
			c.WriteDouble(zm.Score)
		}
	})
}

func cmdZScan(c *client, args [][]byte, tx store.Tx) {
	cursor, ok := parseCursor(args[2])
	if !ok {
		c.errorReply("ERR invalid cursor")
		return
	}
	if _, err := tx.ZCard(args[1]); c.wrongType(err) {
		return
	}
	count, pattern, _, ok := scanArgs(c, args, false) // cmd_hash.go
	if !ok {
		return
	}
	var ms []store.ZMember
	next, _ := tx.ZScan(args[1], cursor, int(min(count, 1<<20)), func(zm store.ZMember) {
		if pattern == nil || glob.Match(pattern, zm.Member) {
			ms = append(ms, store.ZMember{Member: bytes.Clone(zm.Member), Score: zm.Score})
		}
	})
	c.WriteArray(2)
	c.WriteBulkString(strconv.FormatUint(next, 10))
	c.WriteArray(2 * len(ms))
	var buf [32]byte
	for _, zm := range ms {
		c.WriteBulk(zm.Member)
		c.WriteBulk(resp.AppendDouble(buf[:0], zm.Score))
	}
}
