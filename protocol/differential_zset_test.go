package protocol

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// The sorted set commands against redis-server 7.0, byte for byte, in
// RESP2 and RESP3: every reply shape and every error path.
func TestDifferentialZSet(t *testing.T) { runCollDifferential(t, zsetScript+zsetBigScript(), 400) }

// zsetBigScript grows sets past zset-max-listpack-entries and -value, so
// that the B+tree answers the same as Redis's skiplist.
func zsetBigScript() string {
	var b strings.Builder
	b.WriteString("# --- large sets ---\nZADD big")
	for i := range 300 {
		fmt.Fprintf(&b, " %d m%03d", i%37, i)
	}
	b.WriteString("\nZADD lexbig")
	for i := range 200 {
		fmt.Fprintf(&b, " 0 w%03d", i)
	}
	b.WriteString(`
OBJECT ENCODING big
OBJECT ENCODING lexbig
ZCARD big
ZSCORE big m007
ZRANK big m007
ZREVRANK big m007
ZRANK big nope
ZRANGE big 0 20 WITHSCORES
ZRANGE big -20 -1 WITHSCORES
ZRANGE big 100 110
ZRANGE big 0 -1 REV
ZRANGE big 5 (9 BYSCORE LIMIT 3 10 WITHSCORES
ZRANGE big (30 10 BYSCORE REV LIMIT 2 5 WITHSCORES
ZRANGEBYSCORE big -inf +inf LIMIT 290 20
ZREVRANGEBYSCORE big +inf -inf LIMIT 0 7 WITHSCORES
ZCOUNT big 10 20
ZCOUNT big (10 (20
ZCOUNT big -inf +inf
ZRANGEBYLEX lexbig [w050 (w060
ZREVRANGEBYLEX lexbig + - LIMIT 10 5
ZRANGE lexbig [w190 + BYLEX
ZLEXCOUNT lexbig - +
ZLEXCOUNT lexbig (w010 [w020
ZINCRBY big 100 m000
ZRANGE big -3 -1 WITHSCORES
ZADD big GT CH 50 m001 0 m002
ZADD big LT CH 50 m003 -1 m004
ZRANGE big 0 2 WITHSCORES
ZMSCORE big m001 m002 m003 m004 nope
ZREM big m010 m011 nope
ZCARD big
ZREMRANGEBYRANK big 0 9
ZREMRANGEBYSCORE big 30 33
ZREMRANGEBYLEX lexbig [w100 [w149
ZCARD big
ZCARD lexbig
ZPOPMIN big
ZPOPMAX big 3
ZMPOP 2 nokey big MAX COUNT 2
ZRANGE big 0 4 WITHSCORES
ZRANGESTORE small big 0 9
OBJECT ENCODING small
ZRANGESTORE dstbig big 0 199
OBJECT ENCODING dstbig
ZUNIONSTORE u 2 big lexbig WEIGHTS 2 1
OBJECT ENCODING u
ZRANGE u 0 9 WITHSCORES
ZINTERSTORE i 2 big dstbig AGGREGATE MAX
ZCARD i
ZDIFFSTORE d 2 big small
ZCARD d
ZINTERCARD 2 big dstbig
ZINTERCARD 2 big dstbig LIMIT 17
ZRANDMEMBER big 1000 WITHSCORES
SORTED ZRANDMEMBER big 1000
ZSCAN big 0 MATCH nomatch* COUNT 1000
COPY big bigcopy
ZRANGE bigcopy 0 4 WITHSCORES
RENAME bigcopy bigmoved
ZRANGE bigmoved -4 -1 WITHSCORES
EXISTS bigcopy
ZPOPMAX lexbig 1000
EXISTS lexbig
ZREMRANGEBYSCORE dstbig -inf +inf
EXISTS dstbig
ZREMRANGEBYRANK bigmoved 0 -1
EXISTS bigmoved
DEL big lexbig u i d small dstbig bigmoved
`)
	// Past zset-max-listpack-value with one member.
	b.WriteString("ZADD longm 1 " + strings.Repeat("x", 65) + "\nOBJECT ENCODING longm\nZADD longm2 1 a 2 " + strings.Repeat("y", 65) + "\nOBJECT ENCODING longm2\nZRANGE longm2 0 -1 WITHSCORES\nDEL longm longm2\n")
	return b.String()
}

const zsetScript = `
# --- arity ---
ZADD
ZADD z
ZADD z 1
ZINCRBY z 1
ZREM z
ZCARD
ZCOUNT z 1
ZLEXCOUNT z -
ZSCORE z
ZMSCORE z
ZRANK z
ZRANK z a b
ZREVRANK z
ZRANGE z 0
ZRANGESTORE d z 0
ZREVRANGE z 0
ZRANGEBYSCORE z 0
ZREVRANGEBYSCORE z 0
ZRANGEBYLEX z -
ZREVRANGEBYLEX z +
ZREMRANGEBYRANK z 0
ZREMRANGEBYSCORE z 0
ZREMRANGEBYLEX z -
ZPOPMIN
ZPOPMAX
ZMPOP 1 z
ZRANDMEMBER
ZUNION 1
ZUNIONSTORE d 1
ZINTER 1
ZINTERSTORE d 1
ZINTERCARD 1
ZDIFF 1
ZDIFFSTORE d 1
ZSCAN z
BZPOPMIN z
BZMPOP 0 1 z
# --- ZADD ---
ZADD z 1 a 2 b 3 c
ZADD z 1 a
ZADD z CH 5 a 2 b 7 d
ZRANGE z 0 -1 WITHSCORES
ZADD z NX 100 a 8 e
ZADD z XX 100 a 9 f
ZADD z XX CH 100 a
ZADD z GT 50 a 200 b
ZADD z GT CH 50 a 200 b
ZADD z LT CH 1 a 300 b
ZADD z XX GT CH 2 a 1 nothere
ZADD z INCR 10 a
ZADD z INCR NX 10 a
ZADD z INCR XX 10 nothere
ZADD z INCR GT -100 a
ZADD z INCR LT -100 a
ZADD z INCR CH 1 newm
ZADD z CH INCR 1 newm
ZADD nokey XX 1 a
EXISTS nokey
ZADD nokey XX INCR 1 a
ZADD z NX XX 1 a
ZADD z GT LT 1 a
ZADD z NX GT 1 a
ZADD z NX LT 1 a
ZADD z INCR 1 a 2 b
ZADD z 1 a 2
ZADD z FOO 1 a
ZADD z nan a
ZADD z abc a
ZADD z "" a
ZADD z " 1" a
ZADD z "1 " a
ZADD z 1e400 a
ZADD z -1e400 a
ZADD z 1e-400 a
ZADD z 1e a
ZADD z 0x10 hex
ZADD z 0x1p-2 hexp
ZADD z 0x hexbad
ZADD z 1.5e2 sci
ZADD z .5 dot
ZADD z 5. dot2
ZADD z +3 plus
ZADD z inf pinf
ZADD z -inf ninf
ZADD z +INF pinf2
ZADD z -Infinity ninf2
ZADD z 1e-310 denorm
ZADD z 0.1 tenth
ZADD z 1234567890123456789 bigint
ZADD z -0 negzero
ZADD z 1 a 2 b nan c
ZRANGE z 0 -1 WITHSCORES
ZSCORE z tenth
ZSCORE z negzero
ZSCORE z bigint
ZSCORE z denorm
ZSCORE z nope
ZSCORE nokey a
ZMSCORE z a nope pinf
ZMSCORE nokey a b
ZCARD z
ZCARD nokey
# --- ZINCRBY ---
ZINCRBY z 2.5 a
ZINCRBY z -2.5 a
ZINCRBY z 1 brandnew
ZINCRBY z abc a
ZINCRBY z nan a
ZINCRBY z "" a
ZINCRBY z -inf pinf
ZINCRBY z inf pinf
ZSCORE z pinf
ZINCRBY z 1e400 a
ZINCRBY nokey2 5 m
ZRANGE nokey2 0 -1 WITHSCORES
DEL nokey2
# --- ranks ---
ZRANK z a
ZREVRANK z a
ZRANK z nope
ZRANK nokey a
ZREVRANK nokey a
# --- ZRANGE by rank ---
DEL z
ZADD z 1 a 2 b 3 c 4 d 5 e 5 f 5 g 6 h
ZRANGE z 0 -1
ZRANGE z 0 -1 WITHSCORES
ZRANGE z 2 4
ZRANGE z -3 -1
ZRANGE z -100 100
ZRANGE z 5 2
ZRANGE z 100 200
ZRANGE z 0 0 REV
ZRANGE z 0 2 REV WITHSCORES
ZRANGE z 0 1 withscores rev
ZRANGE z a b
ZRANGE z 0 1 LIMIT 0 1
ZRANGE z 0 1 LIMIT 5 -1
ZRANGE z 0 1 LIMIT 0
ZRANGE z 0 1 FOO
ZRANGE z 0 1 REV REV
ZRANGE z 0 1 BYSCORE BYLEX
ZRANGE z 0 1 BYSCORE BYSCORE
ZRANGE nokey 0 -1
ZREVRANGE z 0 2
ZREVRANGE z 0 2 WITHSCORES
ZREVRANGE z 0 2 REV
ZREVRANGE z 0 2 BYSCORE
ZREVRANGE z 0 2 LIMIT 0 1
# --- ZRANGE by score ---
ZRANGE z 2 5 BYSCORE
ZRANGE z (2 (5 BYSCORE WITHSCORES
ZRANGE z -inf +inf BYSCORE LIMIT 1 3
ZRANGE z -inf +inf BYSCORE LIMIT 1 -1
ZRANGE z -inf +inf BYSCORE LIMIT -1 3
ZRANGE z -inf +inf BYSCORE LIMIT 100 3
ZRANGE z -inf +inf BYSCORE LIMIT 0 0
ZRANGE z -inf +inf BYSCORE LIMIT a 1
ZRANGE z 5 2 BYSCORE REV
ZRANGE z (5 2 BYSCORE REV WITHSCORES LIMIT 1 2
ZRANGE z 2 5 BYSCORE REV
ZRANGE z x 5 BYSCORE
ZRANGE z 1 (x BYSCORE
ZRANGE z nan 5 BYSCORE
ZRANGE z "" "" BYSCORE
ZRANGE z " 2" 5 BYSCORE
ZRANGE z 1e400 -1e400 BYSCORE REV
ZRANGEBYSCORE z 2 5
ZRANGEBYSCORE z 2 5 WITHSCORES
ZRANGEBYSCORE z 2 5 LIMIT 1 2 WITHSCORES
ZRANGEBYSCORE z 2 5 WITHSCORES LIMIT 1 2
ZRANGEBYSCORE z 2 5 LIMIT 1
ZRANGEBYSCORE z 2 5 REV
ZRANGEBYSCORE z 2 5 BYSCORE
ZRANGEBYSCORE z (5 (5
ZRANGEBYSCORE z 5 5
ZRANGEBYSCORE z 6 1
ZRANGEBYSCORE z a b
ZRANGEBYSCORE nokey 0 1
ZREVRANGEBYSCORE z 5 2
ZREVRANGEBYSCORE z +inf -inf WITHSCORES LIMIT 2 3
ZREVRANGEBYSCORE z 2 5
# --- ZRANGE by lex ---
DEL l
ZADD l 0 a 0 b 0 c 0 d 0 e 0 f 0 g
ZRANGE l [b [d BYLEX
ZRANGE l (b (d BYLEX
ZRANGE l - + BYLEX LIMIT 2 3
ZRANGE l + - BYLEX REV
ZRANGE l [d - BYLEX REV LIMIT 1 2
ZRANGE l - + BYLEX WITHSCORES
ZRANGE l b d BYLEX
ZRANGE l [b d BYLEX
ZRANGE l -a + BYLEX
ZRANGE l + - BYLEX
ZRANGE l [e [b BYLEX
ZRANGE l "" + BYLEX
ZRANGE l [ + BYLEX
ZRANGE l ( + BYLEX
ZRANGEBYLEX l - +
ZRANGEBYLEX l [aa (e
ZRANGEBYLEX l - + LIMIT 1 2
ZRANGEBYLEX l - + WITHSCORES
ZRANGEBYLEX l a b
ZRANGEBYLEX nokey - +
ZREVRANGEBYLEX l + -
ZREVRANGEBYLEX l (e [b
ZREVRANGEBYLEX l + - LIMIT 0 2
ZLEXCOUNT l - +
ZLEXCOUNT l [b (e
ZLEXCOUNT l (g +
ZLEXCOUNT l a +
ZLEXCOUNT nokey - +
# --- ZCOUNT ---
ZCOUNT z 2 5
ZCOUNT z (2 5
ZCOUNT z -inf +inf
ZCOUNT z 5 2
ZCOUNT z a 2
ZCOUNT z ((2 5
ZCOUNT nokey 0 1
# --- ZRANGESTORE ---
ZRANGESTORE dst z 0 2
ZRANGE dst 0 -1 WITHSCORES
ZRANGESTORE dst z 2 5 BYSCORE LIMIT 0 2
ZRANGE dst 0 -1 WITHSCORES
ZRANGESTORE dst l [b [c BYLEX
ZRANGE dst 0 -1
ZRANGESTORE dst z 5 2 BYSCORE REV
ZRANGE dst 0 -1 WITHSCORES
ZRANGESTORE dst z 0 -1 WITHSCORES
ZRANGESTORE dst z 100 200
EXISTS dst
ZRANGESTORE dst nokey 0 -1
ZRANGESTORE dst z a b
OBJECT ENCODING z
SET str v
ZRANGESTORE str z 0 1
TYPE str
ZRANGESTORE dst str 0 1
# --- removal ---
ZREM z a nope b
ZREM z nope
ZREM nokey a
ZREMRANGEBYRANK z 0 0
ZREMRANGEBYRANK z -1 -1
ZREMRANGEBYRANK z 10 20
ZREMRANGEBYRANK z a 1
ZRANGE z 0 -1 WITHSCORES
ZREMRANGEBYSCORE z (4 5
ZREMRANGEBYSCORE z x 5
ZREMRANGEBYSCORE nokey 0 1
ZRANGE z 0 -1 WITHSCORES
ZREMRANGEBYLEX l [b (d
ZREMRANGEBYLEX l x y
ZRANGE l 0 -1
ZREMRANGEBYLEX l - +
EXISTS l
ZREM z c d
EXISTS z
# --- pops ---
ZADD p 1 a 2 b 3 c 4 d 5 e
ZPOPMIN p
ZPOPMAX p
ZPOPMIN p 2
ZPOPMAX p 0
ZPOPMIN p -1
ZPOPMIN p abc
ZPOPMIN p 1 2
ZPOPMAX p 10
EXISTS p
ZPOPMIN nokey
ZPOPMIN nokey 3
ZADD p 1 a 2 b 3 c
ZMPOP 1 p MIN
ZMPOP 2 nokey p MAX COUNT 5
ZMPOP 1 p MIN
ZMPOP 0 p MIN
ZMPOP -1 p MIN
ZMPOP a p MIN
ZMPOP 1 p
ZMPOP 2 p
ZMPOP 1 p FOO
ZMPOP 1 p MIN COUNT 0
ZMPOP 1 p MIN COUNT -3
ZMPOP 1 p MIN COUNT x
ZMPOP 1 p MIN COUNT
ZMPOP 1 p MIN COUNT 1 COUNT 1
ZMPOP 1 p MIN FOO 1
ZADD p 1 a
BZPOPMIN p 0
BZPOPMAX p 0.01
ZADD p 1 a 2 b
BZPOPMAX nokey p 0
BZPOPMIN p -1
BZPOPMIN p abc
BZMPOP 0 2 nokey p MIN COUNT 3
BZMPOP 0.01 1 p MIN
BZMPOP abc 1 p MIN
BZMPOP 0 0 p MIN
BZMPOP 0 1 p FOO
MULTI
BZPOPMIN nokey 0
BZMPOP 0 1 nokey MIN
ZADD p 5 x
BZPOPMAX nokey p 0
EXEC
# --- ZRANDMEMBER ---
ZADD r 1 a 2 b 3 c
ZRANDMEMBER r 3
ZRANDMEMBER r 10 WITHSCORES
ZRANDMEMBER r 0
ZRANDMEMBER r 1 FOO
ZRANDMEMBER r 1 WITHSCORES FOO
ZRANDMEMBER r abc
ZRANDMEMBER r -9223372036854775808
ZRANDMEMBER r -9223372036854775807 WITHSCORES
ZRANDMEMBER nokey
ZRANDMEMBER nokey 5
ZRANDMEMBER nokey 5 WITHSCORES
ZADD one 7 only
ZRANDMEMBER one
ZRANDMEMBER one -3
ZRANDMEMBER one -3 WITHSCORES
# --- ZSCAN ---
ZSCAN r 0
ZSCAN r 0 MATCH a*
ZSCAN r 0 COUNT 1
ZSCAN r 0 COUNT 0
ZSCAN r 0 FOO
ZSCAN r 0 MATCH
ZSCAN r x
ZSCAN nokey 0
# --- union, intersection, difference ---
DEL za zb s1
ZADD za 1 a 2 b 3 c
ZADD zb 10 b 20 c 30 d
SADD s1 c d e
ZUNION 2 za zb
ZUNION 2 za zb WITHSCORES
ZUNION 2 za zb WEIGHTS 2 3 WITHSCORES
ZUNION 2 za zb AGGREGATE MIN WITHSCORES
ZUNION 2 za zb AGGREGATE MAX WITHSCORES
ZUNION 3 za zb s1 WITHSCORES
ZUNION 3 za zb nokey WITHSCORES
ZUNION 2 za zb WITHSCORES WITHSCORES
ZUNION 2 za zb WEIGHTS 1
ZUNION 2 za zb WEIGHTS 1 x
ZUNION 2 za zb WEIGHTS 1 nan
ZUNION 2 za zb WEIGHTS 1 2 3
ZUNION 2 za zb AGGREGATE
ZUNION 2 za zb AGGREGATE FOO
ZUNION 2 za zb FOO
ZUNION 3 za zb
ZUNION 0 za
ZUNION -1 za
ZUNION x za
ZUNION 2 za str
ZUNION 2 za str FOO
ZINTER 2 za zb WITHSCORES
ZINTER 2 za zb AGGREGATE MAX WITHSCORES
ZINTER 3 za zb s1 WITHSCORES
ZINTER 2 za nokey
ZINTER 2 zb s1 WEIGHTS 1 5 WITHSCORES
ZDIFF 2 za zb
ZDIFF 2 za zb WITHSCORES
ZDIFF 2 zb s1 WITHSCORES
ZDIFF 1 nokey
ZDIFF 2 za zb WEIGHTS 1 1
ZDIFF 2 za zb AGGREGATE SUM
ZUNIONSTORE out 2 za zb
ZRANGE out 0 -1 WITHSCORES
ZUNIONSTORE out 2 za zb WITHSCORES
ZINTERSTORE out 2 za zb WEIGHTS 1 -1
ZRANGE out 0 -1 WITHSCORES
ZINTERSTORE out 2 za nokey
EXISTS out
ZDIFFSTORE out 2 zb za
ZRANGE out 0 -1 WITHSCORES
ZDIFFSTORE out 2 za za
EXISTS out
ZUNIONSTORE za 2 za zb
ZRANGE za 0 -1 WITHSCORES
ZUNIONSTORE out 1 str
ZUNIONSTORE out 0 za
ZINTERCARD 2 za zb
ZINTERCARD 2 za zb LIMIT 1
ZINTERCARD 2 za zb LIMIT 0
ZINTERCARD 2 za zb LIMIT -1
ZINTERCARD 2 za zb LIMIT x
ZINTERCARD 2 za zb FOO
ZINTERCARD 2 za s1
ZINTERCARD 0 za
ZINTERCARD 3 za zb
ZINTERCARD 2 za str
ZADD inf1 inf a -inf b
ZADD inf2 -inf a inf b
ZUNION 2 inf1 inf2 WITHSCORES
ZINTER 2 inf1 inf2 WEIGHTS 0 1 WITHSCORES
# --- edges ---
DEL e
ZADD e 1 a 1 a
ZADD e CH 1 a 2 a
ZADD e 0 ""
ZRANGE e 0 -1 WITHSCORES
ZRANGEBYLEX e [ +
ZRANGEBYLEX e - (a
ZSCORE e ""
ZRANGE e 0 9223372036854775807
ZRANGE e -9223372036854775808 -1
ZRANGE e 9223372036854775807 -9223372036854775808
ZRANGE e 0 99999999999999999999
ZRANGEBYSCORE e -inf +inf LIMIT 0 9223372036854775807
ZRANGEBYSCORE e -inf +inf LIMIT 9223372036854775807 1
ZRANGEBYSCORE e (-inf (inf
ZRANGEBYSCORE e -INF +Inf
ZRANGEBYSCORE e -infinity infinity
ZRANGEBYSCORE e 0x0 0x10
ZCOUNT e (1 (1
ZCOUNT e [1 [2
ZREMRANGEBYRANK e -9223372036854775808 9223372036854775807
EXISTS e
ZADD e inf a
ZINCRBY e -inf a
ZADD e INCR -inf a
ZSCORE e a
ZADD w 0 a 5 b
ZADD w2 inf a
ZINTER 2 w w2 WITHSCORES
ZINTER 2 w w2 WEIGHTS inf 0 WITHSCORES
ZUNION 2 w w2 WEIGHTS -inf 1 WITHSCORES
ZUNION 2 w w2 WEIGHTS 1e400 1
SADD someset x y
ZUNIONSTORE someset 2 w w2
TYPE someset
ZRANGE someset 0 -1 WITHSCORES
ZUNIONSTORE w 2 w w
ZRANGE w 0 -1 WITHSCORES
ZDIFFSTORE w 1 w
ZRANGE w 0 -1 WITHSCORES
DEL w w2 someset e
# --- conversions with CONFIG SET ---
CONFIG SET zset-max-listpack-entries 3
ZADD cv 1 a 2 b 3 c
OBJECT ENCODING cv
ZADD cv 4 d
OBJECT ENCODING cv
ZREM cv a b c
OBJECT ENCODING cv
ZRANGESTORE cv2 cv 0 -1
OBJECT ENCODING cv2
CONFIG SET zset-max-listpack-entries 0
ZADD cv3 1 a
OBJECT ENCODING cv3
ZUNIONSTORE cv4 1 cv3
OBJECT ENCODING cv4
CONFIG SET zset-max-listpack-entries 128
CONFIG SET zset-max-listpack-value 2
ZADD cv5 1 abc
OBJECT ENCODING cv5
ZADD cv6 1 ab
ZINCRBY cv6 1 abc
OBJECT ENCODING cv6
ZADD cv7 1 a
ZADD cv7 -0 a
ZSCORE cv7 a
ZADD cv8 -0 abc
ZSCORE cv8 abc
CONFIG SET zset-max-listpack-value 64
CONFIG GET zset-max-listpack-entries
CONFIG GET zset-max-ziplist-value
DEL cv cv2 cv3 cv4 cv5 cv6 cv7 cv8
# --- WRONGTYPE ---
DEL str
SET str v
ZPOPMIN str 0
ZRANDMEMBER str 0
ZINTERCARD 1 str
ZMPOP 1 str MIN COUNT 0
ZDIFF 2 str nokey
ZUNIONSTORE out 1 str
ZADD str 1 a
ZINCRBY str 1 a
ZREM str a
ZCARD str
ZCOUNT str 0 1
ZLEXCOUNT str - +
ZSCORE str a
ZMSCORE str a
ZRANK str a
ZREVRANK str a
ZRANGE str 0 1
ZREVRANGE str 0 1
ZRANGEBYSCORE str 0 1
ZRANGEBYLEX str - +
ZREMRANGEBYRANK str 0 1
ZREMRANGEBYSCORE str 0 1
ZREMRANGEBYLEX str - +
ZPOPMIN str
ZPOPMAX str 2
ZMPOP 1 str MIN
BZPOPMIN str 0
ZRANDMEMBER str
ZRANDMEMBER str 2
ZSCAN str 0
ZRANGE str x y
ZCOUNT str x y
GET za
# --- keys ---
TYPE za
OBJECT ENCODING za

EXPIRE za 100
TTL za
COPY za za2
ZRANGE za2 0 -1 WITHSCORES
TTL za2
RENAME za2 za3
ZRANGE za3 0 -1 WITHSCORES
UNLINK za3
EXISTS za3
`

// TestDifferentialZSetRandom runs a long random sequence of sorted set
// commands against both servers, with zset-max-listpack-entries at 16 so
// that sets move between the encodings, and compares every reply.
func TestDifferentialZSetRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261202, 14))
	keys := []string{"ra", "rb", "rc"}
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	member := func() string { return fmt.Sprintf("m%02d", rng.IntN(40)) }
	score := func() string {
		return pick("0", "1", "2", "2.5", "-1", "3", "7", "10", "0.1", "-inf", "inf", "1e3", fmt.Sprint(rng.IntN(20)))
	}
	bound := func() string { return pick("", "(") + pick("0", "1", "2", "3", "5", "10", "-inf", "+inf", "2.5") }
	lex := func() string {
		switch rng.IntN(6) {
		case 0:
			return "-"
		case 1:
			return "+"
		}
		return pick("[", "(") + member()
	}
	limit := func() string {
		if rng.IntN(3) > 0 {
			return ""
		}
		return fmt.Sprintf(" LIMIT %d %d", rng.IntN(5)-1, rng.IntN(8)-1)
	}
	var b strings.Builder
	b.WriteString("CONFIG SET zset-max-listpack-entries 16\n")
	for range 1500 {
		k := pick(keys...)
		switch rng.IntN(16) {
		case 0, 1, 2, 3:
			fmt.Fprintf(&b, "ZADD %s%s", k, pick("", "", " NX", " XX", " GT", " LT", " CH", " XX CH GT"))
			for range rng.IntN(6) + 1 {
				fmt.Fprintf(&b, " %s %s", score(), member())
			}
			b.WriteString("\n")
		case 4:
			// The lex key: one score for all, as ZRANGEBYLEX needs.
			fmt.Fprintf(&b, "ZADD lx 0 %s 0 %s 0 %s\n", member(), member(), member())
		case 5:
			fmt.Fprintf(&b, "ZINCRBY %s %s %s\n", k, score(), member())
		case 6:
			fmt.Fprintf(&b, "ZREM %s %s %s\n", k, member(), member())
		case 7:
			fmt.Fprintf(&b, "ZRANGE %s %d %d%s%s\n", k, rng.IntN(30)-10, rng.IntN(30)-10, pick("", " REV"), pick("", " WITHSCORES"))
		case 8:
			fmt.Fprintf(&b, "ZRANGE %s %s %s BYSCORE%s%s%s\n", k, bound(), bound(), pick("", " REV"), limit(), pick("", " WITHSCORES"))
		case 9:
			fmt.Fprintf(&b, "ZRANGE lx %s %s BYLEX%s%s\n", lex(), lex(), pick("", " REV"), limit())
			fmt.Fprintf(&b, "ZLEXCOUNT lx %s %s\n", lex(), lex())
		case 10:
			fmt.Fprintf(&b, "ZCOUNT %s %s %s\nZRANK %s %s\nZREVRANK %s %s\nZSCORE %s %s\n", k, bound(), bound(), k, member(), k, member(), k, member())
		case 11:
			switch rng.IntN(4) {
			case 0:
				fmt.Fprintf(&b, "ZREMRANGEBYRANK %s %d %d\n", k, rng.IntN(10)-5, rng.IntN(10)-5)
			case 1:
				fmt.Fprintf(&b, "ZREMRANGEBYSCORE %s %s %s\n", k, bound(), bound())
			case 2:
				fmt.Fprintf(&b, "ZREMRANGEBYLEX lx %s %s\n", lex(), lex())
			default:
				fmt.Fprintf(&b, "ZPOPMIN %s %d\nZPOPMAX %s\n", k, rng.IntN(4), k)
			}
		case 12:
			op := pick("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE")
			fmt.Fprintf(&b, "%s %s 2 %s %s", op, k, pick(keys...), pick(keys...))
			if op != "ZDIFFSTORE" {
				b.WriteString(pick("", " WEIGHTS 2 0.5", " AGGREGATE MIN", " AGGREGATE MAX", " WEIGHTS -1 1 AGGREGATE SUM"))
			}
			b.WriteString("\n")
		case 13:
			fmt.Fprintf(&b, "%s 2 %s %s WITHSCORES\n", pick("ZUNION", "ZINTER", "ZDIFF"), pick(keys...), pick(keys...))
			fmt.Fprintf(&b, "ZINTERCARD 2 %s %s\n", pick(keys...), pick(keys...))
		case 14:
			fmt.Fprintf(&b, "ZRANGESTORE %s %s %d %d\n", k, pick(keys...), rng.IntN(20)-5, rng.IntN(20)-5)
		case 15:
			fmt.Fprintf(&b, "ZMPOP 2 %s %s %s COUNT %d\n", pick(keys...), pick(keys...), pick("MIN", "MAX"), rng.IntN(3)+1)
		}
		fmt.Fprintf(&b, "ZCARD %s\nOBJECT ENCODING %s\n", k, k)
	}
	for _, k := range append(keys, "lx") {
		fmt.Fprintf(&b, "ZRANGE %s 0 -1 WITHSCORES\n", k)
	}
	b.WriteString("CONFIG SET zset-max-listpack-entries 128\n")
	runCollDifferential(t, b.String(), 3000)
}
