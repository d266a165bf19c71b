package protocol

import (
	"fmt"
	"strings"
	"testing"
)

// The list commands against redis-server, raw replies byte for byte in
// RESP2 and RESP3 (runCollDifferential): every error path, small lists
// and lists of thousands of elements (a quicklist of many pages here),
// and the blocking commands where they do not block (a non-empty list,
// MULTI, a script).
func TestDifferentialLists(t *testing.T) {
	runCollDifferential(t, listScript+bigListScript(), 250)
}

// bigListScript builds lists past one page (8 KiB) and walks them.
func bigListScript() string {
	var b strings.Builder
	var elems []string
	for i := range 1500 {
		elems = append(elems, fmt.Sprintf("e%05d", i))
	}
	fmt.Fprintf(&b, "RPUSH big %s\n", strings.Join(elems, " "))
	fmt.Fprintf(&b, "LPUSH big %s\n", strings.Join(elems[:700], " "))
	for _, line := range []string{
		"LLEN big", "LINDEX big 0", "LINDEX big -1", "LINDEX big 1100", "LINDEX big -1100", "LINDEX big 2200", "LINDEX big 5000",
		"LRANGE big 1000 1010", "LRANGE big -10 -1", "LRANGE big 0 4", "LRANGE big 2195 2300",
		"LSET big 1500 replaced", "LSET big -3 " + strings.Repeat("x", 300), "LINDEX big 1500", "LINDEX big -3",
		"LINSERT big BEFORE e00750 ins1", "LINSERT big AFTER e01499 ins2", "LPOS big e00750", "LPOS big e00001 RANK -1", "LPOS big e00001 COUNT 0",
		"LPOS big e00001 RANK 2 MAXLEN 1000", "LPOS big ins2",
		"LREM big 1 e00010", "LREM big -1 e00011", "LREM big 0 e00012", "LLEN big",
		"LPOP big 3", "RPOP big 3", "LMOVE big big2 LEFT RIGHT", "LMOVE big big2 RIGHT LEFT", "RPOPLPUSH big big2", "LRANGE big2 0 -1",
		"LMPOP 2 nokey big RIGHT COUNT 4", "BLPOP big 0", "BRPOP big 0", "BLMOVE big big2 LEFT LEFT 0", "BRPOPLPUSH big big2 0",
		"BLMPOP 0 1 big LEFT COUNT 2", "LTRIM big 100 -100", "LLEN big", "LINDEX big 0", "LINDEX big -1", "LRANGE big 500 505",
		"COPY big bigcopy", "LRANGE bigcopy 0 2", "RENAME big bigr", "LLEN bigr", "EXISTS big", "OBJECT ENCODING bigr", "TYPE bigr",
		"LTRIM bigr 0 5", "LRANGE bigr 0 -1", "LRANGE bigcopy -3 -1", "DEL bigcopy bigr big2",
	} {
		b.WriteString(line + "\n")
	}
	return b.String()
}

const listScript = `
# pushes, lengths, ranges
LPUSH l a b c
RPUSH l d e f
LPUSHX l x
RPUSHX l y
LPUSHX nol x
RPUSHX nol y
EXISTS nol
LLEN l
LLEN nol
LRANGE l 0 -1
LRANGE l -100 100
LRANGE l 2 1
LRANGE l 5 100
LRANGE l -3 -2
LRANGE l 100 200
LRANGE nol 0 -1
LRANGE l a 1
LRANGE l 0 b
LRANGE l 0 99999999999999999999
TYPE l
OBJECT ENCODING l
# LINDEX / LSET
LINDEX l 0
LINDEX l -1
LINDEX l 7
LINDEX l 8
LINDEX l -9
LINDEX nol 0
LINDEX l x
LSET l 0 first
LSET l -1 last
LSET l 9 z
LSET l -10 z
LSET nol 0 z
LSET l x z
LRANGE l 0 -1
# pops
LPOP l
RPOP l
LPOP l 2
RPOP l 2
LPOP l 0
LPOP l -1
LPOP l x
LPOP l 1 2
LPOP nol
LPOP nol 2
LPOP nol 0
RPOP nol 0
LRANGE l 0 -1
LPOP l 100
EXISTS l
RPUSH p 1 2 3
RPOP p 10
RPOP p
# LTRIM
RPUSH t 1 2 3 4 5 6 7 8 9
LTRIM t 1 -2
LRANGE t 0 -1
LTRIM t -3 100
LRANGE t 0 -1
LTRIM t 5 2
EXISTS t
LTRIM nol 0 1
LTRIM t x 1
LTRIM t 0 y
# LINSERT
RPUSH i a b c b
LINSERT i BEFORE b X
LINSERT i AFTER b Y
LINSERT i before c Z
LINSERT i after nope Z
LINSERT i middle a Z
LINSERT nol BEFORE a Z
LRANGE i 0 -1
LINSERT i BEFORE "" Z
# LREM
RPUSH r a b a c a b a
LREM r 2 a
LRANGE r 0 -1
LREM r -1 a
LRANGE r 0 -1
LREM r 0 b
LRANGE r 0 -1
LREM r 0 zz
LREM r x a
LREM nol 1 a
LREM r 0 a
LREM r 0 c
EXISTS r
# LPOS
RPUSH ps a b c 1 2 3 c c
LPOS ps c
LPOS ps c RANK 2
LPOS ps c RANK -1
LPOS ps c RANK -3
LPOS ps c RANK 4
LPOS ps c COUNT 2
LPOS ps c COUNT 0
LPOS ps c COUNT 0 RANK -1
LPOS ps c COUNT 0 RANK 2
LPOS ps c MAXLEN 3
LPOS ps c MAXLEN 3 COUNT 0
LPOS ps c RANK -1 MAXLEN 2 COUNT 0
LPOS ps zz
LPOS ps zz COUNT 3
LPOS nol c
LPOS nol c COUNT 1
LPOS ps c RANK 0
LPOS ps c RANK x
LPOS ps c RANK -9223372036854775808
LPOS ps c COUNT -1
LPOS ps c COUNT x
LPOS ps c MAXLEN -1
LPOS ps c MAXLEN x
LPOS ps c RANK
LPOS ps c BOGUS 1
LPOS ps c COUNT 1 MAXLEN
# LMOVE / RPOPLPUSH
RPUSH src 1 2 3
LMOVE src dst LEFT RIGHT
LMOVE src dst RIGHT LEFT
LMOVE src dst left left
LRANGE dst 0 -1
EXISTS src
LMOVE src dst LEFT RIGHT
LMOVE dst dst LEFT RIGHT
LRANGE dst 0 -1
LMOVE dst dst RIGHT LEFT
LRANGE dst 0 -1
LMOVE dst dst UP LEFT
LMOVE dst dst LEFT DOWN
RPOPLPUSH dst dst
RPOPLPUSH dst other
RPOPLPUSH nol other
LRANGE other 0 -1
RPUSH one x
LMOVE one one LEFT RIGHT
LRANGE one 0 -1
# LMPOP
RPUSH m1 a b c
RPUSH m2 d e
LMPOP 2 nol m1 LEFT
LMPOP 2 m1 m2 RIGHT COUNT 10
LMPOP 2 m1 m2 RIGHT COUNT 10
LMPOP 2 m1 m2 LEFT
LMPOP 1 nol LEFT
LMPOP 0 m1 LEFT
LMPOP -1 m1 LEFT
LMPOP x m1 LEFT
LMPOP 3 m1 m2 LEFT
LMPOP 2 m1 LEFT
LMPOP 1 m1 MIDDLE
LMPOP 1 m1 LEFT COUNT 0
LMPOP 1 m1 LEFT COUNT -1
LMPOP 1 m1 LEFT COUNT x
LMPOP 1 m1 LEFT COUNT 1 COUNT 1
LMPOP 1 m1 LEFT COUNT
LMPOP 1 m1 LEFT BOGUS
# wrong types
SET s str
HSET h f v
LPUSH s a
RPUSH s a
LPUSHX s a
RPUSHX h a
LPOP s
RPOP s 2
LLEN s
LINDEX s 0
LSET s 0 a
LRANGE s 0 -1
LTRIM s 0 1
LINSERT s BEFORE a b
LREM s 0 a
LPOS s a
LMOVE s dst LEFT LEFT
LMOVE dst s LEFT LEFT
LMOVE nol s LEFT LEFT
RPOPLPUSH s dst
RPOPLPUSH dst h
LMPOP 2 nol s LEFT
LMPOP 2 m2 s LEFT
BLPOP s 0
BLPOP nol s 0
BRPOP h 1
BLMOVE s dst LEFT LEFT 0
BRPOPLPUSH dst h 0
BLMPOP 0 2 nol h LEFT
# arity
LPUSH l
RPUSH
LPOP
LLEN l x
LINDEX l
LSET l 0
LRANGE l 0
LTRIM l 0
LINSERT l BEFORE a
LREM l 0
LPOS l
LMOVE a b LEFT
RPOPLPUSH a
LMPOP 1 a
BLPOP l
BRPOP
BLMOVE a b LEFT LEFT
BRPOPLPUSH a b
BLMPOP 0 1 a
# blocking commands that do not block: data there, errors
RPUSH bl a b c d e f g h i j
BLPOP nol bl 0
BRPOP bl nol 0.5
BLPOP bl 1.5
BLMOVE bl bdst LEFT RIGHT 0
BLMOVE bl bdst RIGHT LEFT 0.01
BRPOPLPUSH bl bdst 0
LRANGE bdst 0 -1
BLMPOP 0 2 nol bl RIGHT COUNT 5
EXISTS bl
BLPOP bl -1
BLPOP bl abc
BLPOP bl 1e20
BLPOP bl inf
BLPOP bl -inf
BLPOP bl nan
BLPOP bl ""
BLPOP bl 1x
BRPOP bl -0.5
BLMOVE bl bdst LEFT LEFT -1
BLMOVE bl bdst LEFT LEFT x
BLMOVE bl bdst SIDE LEFT x
BRPOPLPUSH bl bdst -2
BLMPOP -1 1 bl LEFT
BLMPOP x 1 bl LEFT
BLMPOP 0 0 bl LEFT
BLMPOP 0 1 bl UP
BLMPOP 0 1 bl LEFT COUNT 0
BLMPOP 0 3 bl LEFT
# in MULTI they answer at once
MULTI
BLPOP nol 0
BRPOP nol 1
BLMOVE nol bdst LEFT LEFT 0
BRPOPLPUSH nol bdst 0
BLMPOP 0 1 nol LEFT
LPUSH ml x
BLPOP ml 0
EXEC
# and in a script
EVAL "return redis.call('BLPOP', KEYS[1], 0)" 1 nol
EVAL "return redis.call('BRPOPLPUSH', KEYS[1], KEYS[2], 0)" 2 nol bdst
EVAL "redis.call('RPUSH', KEYS[1], 'v'); return redis.call('BLPOP', KEYS[1], 0)" 1 sl
EVAL "return redis.call('BLMPOP', 0, 1, KEYS[1], 'LEFT')" 1 nol
EVAL "redis.call('RPUSH', KEYS[1], 'v', 'w'); return redis.call('BLMPOP', 0, 1, KEYS[1], 'LEFT', 'COUNT', 5)" 1 sl2
# notifications are configured, and list settings
CONFIG GET list-max-listpack-size
CONFIG GET list-max-ziplist-size
CONFIG GET list-compress-depth
CONFIG SET list-max-ziplist-size 5
CONFIG GET list-max-listpack-size
RPUSH small 1 2 3 4 5 6 7 8 9 10 11 12
LRANGE small 3 8
OBJECT ENCODING small
CONFIG SET list-max-listpack-size -2
CONFIG SET list-max-listpack-size x
CONFIG SET list-compress-depth -1
CONFIG SET list-compress-depth 1
CONFIG GET list-compress-depth
CONFIG SET list-compress-depth 0
# empty elements and binary
RPUSH e "" "" x
LRANGE e 0 -1
LPOS e ""
LREM e 0 ""
LRANGE e 0 -1
`
