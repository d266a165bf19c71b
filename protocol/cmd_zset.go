package protocol

import (
	"bytes"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/cachesrv/cachesrv/store"
)

// Sorted set commands, Redis 7.0's (t_zset.c): adding, reading and ranges
// here; the multi-key, pop and scan commands in cmd_zset_ops.go.

func init() {
	zc := func(name string, arity int, flags cmdFlags, first, last int, acl string, run handler) *command {
		cat := []string{"write", "sortedset", acl}
		if flags&flagReadonly != 0 {
			cat[0] = "read"
		}
		if flags&flagBlocking != 0 {
			cat = append(cat, "blocking")
		}
		step := 1
		if first == 0 {
			step = 0
		}
		return &command{name: name, arity: arity, flags: flags, firstKey: first, lastKey: last, keyStep: step, acl: cat, run: run}
	}
	rd, wr := flagReadonly, flagWrite
	register(
		zc("zadd", -4, wr|flagDenyOOM|flagFast, 1, 1, "fast", cmdZAdd),
		zc("zincrby", 4, wr|flagDenyOOM|flagFast, 1, 1, "fast", cmdZIncrBy),
		zc("zrem", -3, wr|flagFast, 1, 1, "fast", cmdZRem),
		zc("zcard", 2, rd|flagFast, 1, 1, "fast", cmdZCard),
		zc("zcount", 4, rd|flagFast, 1, 1, "fast", cmdZCount),
		zc("zlexcount", 4, rd|flagFast, 1, 1, "fast", cmdZLexCount),
		zc("zscore", 3, rd|flagFast, 1, 1, "fast", cmdZScore),
		zc("zmscore", -3, rd|flagFast, 1, 1, "fast", cmdZMScore),
		zc("zrank", -3, rd|flagFast, 1, 1, "fast", cmdZRank),
		zc("zrevrank", -3, rd|flagFast, 1, 1, "fast", cmdZRank),
		zc("zrange", -4, rd, 1, 1, "slow", zrangeCmd(zrAuto, false)),
		zc("zrangestore", -5, wr|flagDenyOOM, 1, 2, "slow", zrangeCmd(zrAuto, false)),
		zc("zrevrange", -4, rd, 1, 1, "slow", zrangeCmd(zrRank, true)),
		zc("zrangebyscore", -4, rd, 1, 1, "slow", zrangeCmd(zrScore, false)),
		zc("zrevrangebyscore", -4, rd, 1, 1, "slow", zrangeCmd(zrScore, true)),
		zc("zrangebylex", -4, rd, 1, 1, "slow", zrangeCmd(zrLex, false)),
		zc("zrevrangebylex", -4, rd, 1, 1, "slow", zrangeCmd(zrLex, true)),
		zc("zremrangebyrank", 4, wr, 1, 1, "slow", cmdZRemRange),
		zc("zremrangebyscore", 4, wr, 1, 1, "slow", cmdZRemRange),
		zc("zremrangebylex", 4, wr, 1, 1, "slow", cmdZRemRange),
	)
}

// ---- parsing ----

// strtod parses b as C's strtod does, whole: leading white space (when
// space), a sign, "inf"/"infinity"/"nan" in any case, decimal and
// hexadecimal forms. rangeErr reports a finite literal that overflowed
// (ERANGE, ±HUGE_VAL) or underflowed to zero.
func strtod(b []byte, space bool) (f float64, rangeErr, ok bool) {
	s := string(b)
	if space {
		s = strings.TrimLeft(s, " \t\n\v\f\r")
	}
	low := strings.ToLower(s)
	body := low
	neg := false
	if len(body) > 0 && (body[0] == '+' || body[0] == '-') {
		neg, body = body[0] == '-', body[1:]
	}
	switch body {
	case "inf", "infinity":
		if neg {
			return math.Inf(-1), false, true
		}
		return math.Inf(1), false, true
	case "nan":
		return math.NaN(), false, true
	}
	var mant string
	if strings.HasPrefix(body, "0x") {
		m := hexFloat.FindStringSubmatch(body[2:])
		if m == nil || m[1] == "" || m[1] == "." {
			return 0, false, false
		}
		mant = m[1]
		if m[2] == "" {
			low += "p0"
		}
	} else {
		m := decFloat.FindStringSubmatch(body)
		if m == nil || m[1] == "" || m[1] == "." {
			return 0, false, false
		}
		mant = m[1]
	}
	f, err := strconv.ParseFloat(low, 64)
	if err != nil {
		if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange {
			return f, true, true
		}
		return 0, false, false
	}
	if f == 0 && strings.ContainsAny(mant, "123456789abcdef") {
		return f, true, true // underflow to zero
	}
	return f, false, true
}

var (
	decFloat = regexp.MustCompile(`^([0-9]*\.?[0-9]*)(e[+-]?[0-9]+)?$`)
	hexFloat = regexp.MustCompile(`^([0-9a-f]*\.?[0-9a-f]*)(p[+-]?[0-9]+)?$`)
)

func zbit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// parseScore parses a score, increment or weight as Redis's
// getDoubleFromObject: no leading space, no overflow, no NaN.
func parseScore(b []byte) (float64, bool) {
	if len(b) == 0 || isCSpace(b[0]) {
		return 0, false
	}
	f, rangeErr, ok := strtod(b, false)
	if !ok || rangeErr || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func isCSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// scoreArg parses a score, replying with Redis's error when it is not one.
func (c *client) scoreArg(b []byte) (float64, bool) {
	f, ok := parseScore(b)
	if !ok {
		c.errorReply(errNotFloat)
	}
	return f, ok
}

// parseScoreRange parses min and max as zslParseRange: "(" for an
// exclusive bound, strtod for the number (an empty string is 0).
func parseScoreRange(min, max []byte) (store.ZScoreRange, bool) {
	var r store.ZScoreRange
	var ok1, ok2 bool
	r.Min, r.MinEx, ok1 = scoreBound(min)
	r.Max, r.MaxEx, ok2 = scoreBound(max)
	return r, ok1 && ok2
}

func scoreBound(b []byte) (float64, bool, bool) {
	ex := len(b) > 0 && b[0] == '('
	if ex {
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, ex, true
	}
	f, _, ok := strtod(b, true)
	return f, ex, ok && !math.IsNaN(f)
}

// parseLexRange parses min and max as zslParseLexRange.
func parseLexRange(min, max []byte) (store.ZLexRange, bool) {
	a, ok1 := lexBound(min)
	b, ok2 := lexBound(max)
	return store.ZLexRange{Min: a, Max: b}, ok1 && ok2
}

func lexBound(b []byte) (store.ZLexBound, bool) {
	if len(b) == 0 {
		return store.ZLexBound{}, false
	}
	switch b[0] {
	case '-':
		return store.ZLexBound{Inf: -1}, len(b) == 1
	case '+':
		return store.ZLexBound{Inf: 1}, len(b) == 1
	case '(':
		return store.ZLexBound{Value: b[1:], Ex: true}, true
	case '[':
		return store.ZLexBound{Value: b[1:]}, true
	}
	return store.ZLexBound{}, false
}

const (
	errMinMaxFloat = "ERR min or max is not a float"
	errMinMaxLex   = "ERR min or max not valid string range item"
)

// ---- replies ----

// writeZMembers writes members, with their scores when withScores: flat
// in RESP2, [member, score] pairs in RESP3, as Redis 7.0 replies.
func writeZMembers(c *client, ms []store.ZMember, withScores bool) {
	switch {
	case !withScores || c.RESP3():
		c.WriteArray(len(ms))
	default:
		c.WriteArray(2 * len(ms))
	}
	for _, zm := range ms {
		if withScores && c.RESP3() {
			c.WriteArray(2)
		}
		c.WriteBulk(zm.Member)
		if withScores {
			c.WriteDouble(zm.Score)
		}
	}
}

// gather returns a callback that appends members (copied) to *ms.
func gather(ms *[]store.ZMember) func(store.ZMember) bool {
	return func(zm store.ZMember) bool {
		*ms = append(*ms, store.ZMember{Member: bytes.Clone(zm.Member), Score: zm.Score})
		return true
	}
}

// ---- commands ----

func cmdZAdd(c *client, args [][]byte, tx store.Tx) {
	var flags store.ZFlags
	ch, incr := false, false
	i := 2
	for ; i < len(args); i++ {
		switch strings.ToUpper(string(args[i])) {
		case "NX":
			flags |= store.ZNX
		case "XX":
			flags |= store.ZXX
		case "GT":
			flags |= store.ZGT
		case "LT":
			flags |= store.ZLT
		case "CH":
			ch = true
		case "INCR":
			incr = true
		default:
			goto scores
		}
	}
scores:
	n := len(args) - i
	if n%2 != 0 || n == 0 {
		c.errorReply(errSyntax)
		return
	}
	if flags&store.ZNX != 0 && flags&store.ZXX != 0 {
		c.errorReply("ERR XX and NX options at the same time are not compatible")
		return
	}
	if bits := zbit(flags&store.ZNX != 0) + zbit(flags&store.ZGT != 0) + zbit(flags&store.ZLT != 0); bits > 1 {
		c.errorReply("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	}
	if incr && n > 2 {
		c.errorReply("ERR INCR option supports a single increment-element pair")
		return
	}
	ms := make([]store.ZMember, 0, n/2)
	for j := i; j < len(args); j += 2 {
		s, ok := c.scoreArg(args[j])
		if !ok {
			return
		}
		ms = append(ms, store.ZMember{Member: args[j+1], Score: s})
	}
	if incr {
		zincr(c, tx, args[1], flags, ms[0].Member, ms[0].Score, true)
		return
	}
	added, updated, err := tx.ZAdd(args[1], flags, ms...)
	if c.wrongType(err) {
		return
	}
	if added+updated > 0 {
		c.notify(notifyZset, "zadd", args[1])
	}
	if ch {
		c.WriteInt(added + updated)
	} else {
		c.WriteInt(added)
	}
}

// zincr serves ZINCRBY and ZADD INCR (whose refusal by its flags is nil).
func zincr(c *client, tx store.Tx, key []byte, flags store.ZFlags, member []byte, by float64, zadd bool) {
	s, changed, ok, err := tx.ZIncr(key, flags, member, by)
	if c.wrongType(err) {
		return
	}
	if err != nil {
		c.errorReply(err.Error())
		return
	}
	if changed {
		c.notify(notifyZset, "zincr", key)
	}
	if !ok && zadd {
		c.WriteNull()
		return
	}
	c.WriteDouble(s)
}

func cmdZIncrBy(c *client, args [][]byte, tx store.Tx) {
	by, ok := c.scoreArg(args[2])
	if !ok {
		return
	}
	zincr(c, tx, args[1], 0, args[3], by, false)
}

func cmdZRem(c *client, args [][]byte, tx store.Tx) {
	n, err := tx.ZRem(args[1], args[2:]...)
	if c.wrongType(err) {
		return
	}
	if n > 0 {
		c.notify(notifyZset, "zrem", args[1])
		if !tx.Exists(args[1]) {
			c.notify(notifyGeneric, "del", args[1])
		}
	}
	c.WriteInt(n)
}

func cmdZCard(c *client, args [][]byte, tx store.Tx) {
	n, err := tx.ZCard(args[1])
	if c.wrongType(err) {
		return
	}
	c.WriteInt(n)
}

func cmdZCount(c *client, args [][]byte, tx store.Tx) {
	r, ok := parseScoreRange(args[2], args[3])
	if !ok {
		c.errorReply(errMinMaxFloat)
		return
	}
	n, err := tx.ZCount(args[1], r)
	if c.wrongType(err) {
		return
	}
	c.WriteInt(n)
}

func cmdZLexCount(c *client, args [][]byte, tx store.Tx) {
	r, ok := parseLexRange(args[2], args[3])
	if !ok {
		c.errorReply(errMinMaxLex)
		return
	}
	n, err := tx.ZLexCount(args[1], r)
	if c.wrongType(err) {
		return
	}
	c.WriteInt(n)
}

func cmdZScore(c *client, args [][]byte, tx store.Tx) {
	s, ok, err := tx.ZScore(args[1], args[2])
	if c.wrongType(err) {
		return
	}
	if !ok {
		c.WriteNull()
		return
	}
	c.WriteDouble(s)
}

func cmdZMScore(c *client, args [][]byte, tx store.Tx) {
	if _, err := tx.ZCard(args[1]); c.wrongType(err) {
		return
	}
	c.WriteArray(len(args) - 2)
	for _, m := range args[2:] {
		if s, ok, _ := tx.ZScore(args[1], m); ok {
			c.WriteDouble(s)
		} else {
			c.WriteNull()
		}
	}
}

// cmdZRank serves ZRANK and ZREVRANK, with Redis 7.2's WITHSCORE (the
// rank and the score). Any other extra argument gets 7.0's arity error,
// as the differential test against redis-server 7.0.15 expects (7.2
// answers a syntax error for a fourth argument other than WITHSCORE).
func cmdZRank(c *client, args [][]byte, tx store.Tx) {
	rev := len(args[0]) == len("zrevrank")
	withScore := len(args) == 4 && strings.EqualFold(string(args[3]), "withscore")
	if len(args) != 3 && !withScore {
		c.errorReply("ERR wrong number of arguments for '" + strings.ToLower(string(args[0])) + "' command")
		return
	}
	r, score, ok, err := tx.ZRank(args[1], args[2], rev)
	if c.wrongType(err) {
		return
	}
	switch {
	case !ok && withScore:
		c.WriteNullArray()
	case !ok:
		c.WriteNull()
	case withScore:
		c.WriteArray(2)
		c.WriteInt(r)
		c.WriteDouble(score)
	default:
		c.WriteInt(r)
	}
}

// ZRANGE's range kinds.
const (
	zrAuto = iota
	zrRank
	zrScore
	zrLex
)

// zrangeCmd serves ZRANGE, ZRANGESTORE and the legacy range commands, as
// Redis's zrangeGenericCommand parses them: kind and rev fixed by the
// legacy commands, chosen by options for ZRANGE.
func zrangeCmd(fixed int, rev bool) handler {
	return func(c *client, args [][]byte, tx store.Tx) {
		kind := fixed
		store_ := len(args[0]) == len("zrangestore") && strings.EqualFold(string(args[0]), "zrangestore")
		var dst []byte
		a := args
		if store_ {
			dst, a = args[1], args[1:]
		}
		key := a[1]
		autoDir := kind == zrAuto // ZRANGE and ZRANGESTORE take REV
		withScores, revOpt := false, false
		offset, limit := int64(0), int64(-1)
		for j := 4; j < len(a); j++ {
			opt := strings.ToUpper(string(a[j]))
			left := len(a) - j - 1
			switch {
			case !store_ && opt == "WITHSCORES":
				withScores = true
			case opt == "LIMIT" && left >= 2:
				var ok bool
				if offset, ok = c.intArg(a[j+1]); !ok {
					return
				}
				if limit, ok = c.intArg(a[j+2]); !ok {
					return
				}
				j += 2
			case autoDir && !revOpt && opt == "REV":
				revOpt = true
			case kind == zrAuto && opt == "BYLEX":
				kind = zrLex
			case kind == zrAuto && opt == "BYSCORE":
				kind = zrScore
			default:
				c.errorReply(errSyntax)
				return
			}
		}
		if kind == zrAuto {
			kind = zrRank
		}
		rv := rev || revOpt
		if limit != -1 && kind == zrRank {
			c.errorReply("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
			return
		}
		if withScores && kind == zrLex {
			c.errorReply("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
			return
		}
		lo, hi := a[2], a[3]
		if rv && kind != zrRank {
			lo, hi = hi, lo
		}
		var ms []store.ZMember
		var err error
		switch kind {
		case zrRank:
			start, ok1 := parseInt(lo)
			stop, ok2 := parseInt(hi)
			if !ok1 || !ok2 {
				c.errorReply(errNotInteger)
				return
			}
			_, err = tx.ZRangeByRank(key, clampInt(start), clampInt(stop), rv, gather(&ms))
		case zrScore:
			r, ok := parseScoreRange(lo, hi)
			if !ok {
				c.errorReply(errMinMaxFloat)
				return
			}
			_, err = tx.ZRangeByScore(key, r, rv, clampInt(offset), clampInt(limit), gather(&ms))
		case zrLex:
			r, ok := parseLexRange(lo, hi)
			if !ok {
				c.errorReply(errMinMaxLex)
				return
			}
			_, err = tx.ZRangeByLex(key, r, rv, clampInt(offset), clampInt(limit), gather(&ms))
		}
		if c.wrongType(err) {
			return
		}
		if store_ {
			zstoreReply(c, tx, dst, ms, "zrangestore")
			return
		}
		writeZMembers(c, ms, withScores)
	}
}

// clampInt narrows an int64 argument to int (the same on 64-bit builds).
func clampInt(n int64) int {
	return int(max(min(n, math.MaxInt), math.MinInt))
}

// zstoreReply stores ms under dst for a *STORE command and replies with
// its size: an empty result deletes dst, with a "del" event if it existed.
func zstoreReply(c *client, tx store.Tx, dst []byte, ms []store.ZMember, event string) {
	existed := tx.Exists(dst)
	n := tx.ZStore(dst, ms)
	switch {
	case n > 0:
		c.notify(notifyZset, event, dst)
	case existed:
		c.notify(notifyGeneric, "del", dst)
	}
	c.WriteInt(n)
}

func cmdZRemRange(c *client, args [][]byte, tx store.Tx) {
	var n int
	var err error
	var event string
	switch strings.ToLower(string(args[0])) {
	case "zremrangebyrank":
		start, ok1 := parseInt(args[2])
		stop, ok2 := parseInt(args[3])
		if !ok1 || !ok2 {
			c.errorReply(errNotInteger)
			return
		}
		event = "zremrangebyrank"
		n, err = tx.ZRemRangeByRank(args[1], clampInt(start), clampInt(stop))
	case "zremrangebyscore":
		r, ok := parseScoreRange(args[2], args[3])
		if !ok {
			c.errorReply(errMinMaxFloat)
			return
		}
		event = "zremrangebyscore"
		n, err = tx.ZRemRangeByScore(args[1], r)
	default:
		r, ok := parseLexRange(args[2], args[3])
		if !ok {
			c.errorReply(errMinMaxLex)
			return
		}
		event = "zremrangebylex"
		n, err = tx.ZRemRangeByLex(args[1], r)
	}
	if c.wrongType(err) {
		return
	}
	if n > 0 {
		c.notify(notifyZset, event, args[1])
		if !tx.Exists(args[1]) {
			c.notify(notifyGeneric, "del", args[1])
		}
	}
	c.WriteInt(n)
}
