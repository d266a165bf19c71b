package protocol

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// The bitmap corpus runs against redis-server 7.0.15 in RESP2 and RESP3
// (runCollDifferential): every command's replies, errors included, and
// GET of the strings they leave, byte for byte.

func TestDifferentialBitmaps(t *testing.T) {
	runCollDifferential(t, bitmapScript+bitmapGenerated(), 400)
}

// bitmapGenerated adds systematic cases: BITCOUNT and BITPOS over every
// small range of a fixed string, in both units, and BITFIELD writes of
// every width at unaligned offsets under each overflow policy.
func bitmapGenerated() string {
	var b strings.Builder
	b.WriteString("SET gen \"\\x00\\xff\\x0f\\xf0\\x81\\x00\\x00\\x7e\\xff\\xff\\x00\\x01\"\n")
	for _, r := range [][2]int{{0, 0}, {0, 1}, {1, 1}, {2, 5}, {-3, -1}, {-1, -3}, {5, 100}, {-100, 2}, {11, 11}, {3, 3}} {
		fmt.Fprintf(&b, "BITCOUNT gen %d %d\nBITCOUNT gen %d %d BIT\n", r[0], r[1], r[0], r[1])
		fmt.Fprintf(&b, "BITPOS gen 1 %d %d\nBITPOS gen 0 %d %d\n", r[0], r[1], r[0], r[1])
		fmt.Fprintf(&b, "BITPOS gen 1 %d %d BIT\nBITPOS gen 0 %d %d BIT\n", r[0], r[1], r[0], r[1])
		fmt.Fprintf(&b, "BITPOS gen 1 %d\nBITPOS gen 0 %d\n", r[0], r[0])
	}
	for _, r := range [][2]int{{1, 6}, {7, 9}, {3, 3}, {9, 20}, {8, 15}, {15, 16}, {-20, -9}, {60, 95}, {0, 95}, {90, 200}} {
		fmt.Fprintf(&b, "BITCOUNT gen %d %d BIT\nBITPOS gen 1 %d %d BIT\nBITPOS gen 0 %d %d BIT\n", r[0], r[1], r[0], r[1], r[0], r[1])
	}
	for _, typ := range []string{"i1", "u1", "i5", "u5", "i8", "u8", "i13", "u13", "i32", "u32", "i63", "u63", "i64"} {
		for _, ow := range []string{"WRAP", "SAT", "FAIL"} {
			fmt.Fprintf(&b, "BITFIELD bf%s OVERFLOW %s SET %s 3 -5 GET %s 3 INCRBY %s 3 1000 INCRBY %s 3 -9223372036854775808 SET %s 3 9223372036854775807 INCRBY %s 3 1\n",
				typ, ow, typ, typ, typ, typ, typ, typ)
			fmt.Fprintf(&b, "BITFIELD bf%s OVERFLOW %s INCRBY %s #2 -1 INCRBY %s #2 9223372036854775807 GET %s #2 SET %s #2 -9223372036854775808\n",
				typ, ow, typ, typ, typ, typ)
		}
		fmt.Fprintf(&b, "GET bf%s\n", typ)
	}
	// BITOP over strings of several lengths, word-sized and not.
	x := uint32(12345)
	rnd := func(n int) string {
		v := make([]byte, n)
		for i := range v {
			x = x*1103515245 + 12345
			v[i] = byte(x >> 16)
		}
		return strconv.Quote(string(v))
	}
	for i, n := range []int{37, 100, 8, 0, 1} {
		fmt.Fprintf(&b, "SET op%d %s\n", i, rnd(n))
	}
	for _, op := range []string{"AND", "OR", "XOR"} {
		fmt.Fprintf(&b, "BITOP %s r op0 op1 op2 op4\nGET r\nBITOP %s r op1 op0\nGET r\nBITOP %s r op3 op2\nGET r\nBITOP %s r op1\nGET r\n", op, op, op, op)
	}
	b.WriteString("BITOP NOT r op1\nGET r\nBITOP NOT r op3\nEXISTS r\nBITCOUNT op1\nBITCOUNT op1 3 77\nBITCOUNT op1 3 777 BIT\nBITPOS op1 0 9 90\nBITPOS op1 1 9 90 BIT\n")
	return b.String()
}

const bitmapScript = `
# --- arity ---
SETBIT
SETBIT k
SETBIT k 1
SETBIT k 1 1 1
GETBIT k
GETBIT k 1 1
BITCOUNT
BITPOS k
BITOP
BITOP AND
BITOP AND d
BITFIELD
BITFIELD_RO

# --- SETBIT / GETBIT ---
SETBIT b 7 1
GET b
SETBIT b 7 1
SETBIT b 7 0
SETBIT b 0 1
SETBIT b 100 1
GET b
STRLEN b
GETBIT b 0
GETBIT b 7
GETBIT b 100
GETBIT b 101
GETBIT b 1000000
GETBIT missing 5
SETBIT b -1 1
SETBIT b x 1
SETBIT b 1.5 1
SETBIT b 01 1
SETBIT b "" 1
SETBIT b 1 2
SETBIT b 1 -1
SETBIT b 1 x
SETBIT b 1 ""
SETBIT b 4294967296 1
SETBIT b 9223372036854775807 1
SETBIT b 18446744073709551616 1
GETBIT b -1
GETBIT b x
GETBIT b 4294967296
GETBIT b #1
SET num 12345
GETBIT num 2
SETBIT num 0 1
GET num
SET ttlkey abc EX 1000
SETBIT ttlkey 30 1
TTL ttlkey
GET ttlkey

# --- BITCOUNT ---
SET s foobar
BITCOUNT s
BITCOUNT s 0 0
BITCOUNT s 1 1
BITCOUNT s 0 -1
BITCOUNT s -2 -1
BITCOUNT s -1 -2
BITCOUNT s 5 30
BITCOUNT s 0 -1 BYTE
BITCOUNT s 0 -1 bit
BITCOUNT s 5 30 BIT
BITCOUNT s 1 1 BIT
BITCOUNT s -3 -1 BIT
BITCOUNT s -100 -1
BITCOUNT s 100 200
BITCOUNT s 0
BITCOUNT s 0 1 2
BITCOUNT s 0 1 foo
BITCOUNT s a 1
BITCOUNT s 0 b
BITCOUNT s 0 b BIT
BITCOUNT s 0 1 BIT extra
BITCOUNT missing
BITCOUNT missing 0
BITCOUNT missing a b
BITCOUNT missing 0 1 foo
BITCOUNT s -9223372036854775808 9223372036854775807
BITCOUNT s -9223372036854775808 9223372036854775807 BIT
SET empty ""
BITCOUNT empty
BITCOUNT empty 0 -1
BITCOUNT empty 0 -1 BIT

# --- BITPOS ---
SET p "\xff\xf0\x00"
BITPOS p 0
BITPOS p 1
BITPOS p 1 2
BITPOS p 0 2
BITPOS p 0 0 -1
BITPOS p 0 3
BITPOS p 1 3
BITPOS p 0 1 -1 BIT
BITPOS p 0 7 15 bit
BITPOS p 1 7 15 BIT
BITPOS p 1 12 15 BIT
BITPOS p 0 0 11 BIT
BITPOS p 0 0 12 BIT
BITPOS p 1 -1 -1
BITPOS p 0 -1 -1
BITPOS p 0 2 1
SET ones "\xff\xff\xff"
BITPOS ones 0
BITPOS ones 0 0
BITPOS ones 0 0 -1
BITPOS ones 0 1 2 BIT
BITPOS ones 0 1 BIT
BITPOS ones 1 24 30 BIT
SET zeros "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01"
BITPOS zeros 1
BITPOS zeros 1 3
BITPOS zeros 1 3 -2
BITPOS zeros 0
BITPOS zeros 1 100 153 BIT
BITPOS zeros 1 100 159 BIT
BITPOS missing 0
BITPOS missing 1
BITPOS missing 1 a
BITPOS missing 2
BITPOS p 2
BITPOS p -1
BITPOS p x
BITPOS p 1 x
BITPOS p 1 0 x
BITPOS p 1 0 1 x
BITPOS p 1 x 1 BIT
BITPOS p 1 0 1 BIT extra
BITPOS empty 0
BITPOS empty 1
BITPOS empty 0 0 -1

# --- BITOP ---
SET a1 "\xff\x0f"
SET a2 "\x0f\xff\x01"
BITOP AND d a1 a2
GET d
BITOP OR d a1 a2
GET d
BITOP XOR d a1 a2
GET d
BITOP NOT d a1
GET d
BITOP and d a1 a2 missing
GET d
BITOP or d a1 missing
GET d
BITOP NOT d a1 a2
BITOP NOT d
BITOP FOO d a1
BITOP AND d
SET d x EX 1000
BITOP AND d missing missing2
EXISTS d
SET d x EX 1000
BITOP OR d a1
TTL d
BITOP AND d a1 a1
GET d

# --- BITFIELD ---
BITFIELD f SET u8 0 255
GET f
BITFIELD f GET u8 0 GET i8 0 GET u4 4 GET i4 4 GET u1 0 GET i1 0
BITFIELD f SET i8 #1 -100 GET i8 #1 GET u8 #1 GET u8 8
GET f
BITFIELD f INCRBY u2 100 1 OVERFLOW SAT INCRBY u2 102 1
GET f
BITFIELD f OVERFLOW FAIL INCRBY u2 102 10 GET u2 102
BITFIELD f2 OVERFLOW FAIL SET u2 1000 100
GET f2
BITFIELD f INCRBY i5 100 1 GET u4 0
BITFIELD f incrby i64 0 9223372036854775807 incrby i64 0 1 overflow sat incrby i64 0 1 overflow fail incrby i64 0 1
BITFIELD f INCRBY u63 0 9223372036854775807 INCRBY u63 0 1
BITFIELD f GET i64 0 GET i64 3 GET u63 1 GET u63 60
BITFIELD f GET i64 1000 GET u8 10000
BITFIELD f
BITFIELD f OVERFLOW WRAP
BITFIELD missing GET u8 0 GET i64 100
EXISTS missing
BITFIELD f GET u64 0
BITFIELD f GET i65 0
BITFIELD f GET u0 0
BITFIELD f GET i0 0
BITFIELD f GET x8 0
BITFIELD f GET "" 0
BITFIELD f GET i 0
BITFIELD f GET i08 0
BITFIELD f GET u-8 0
BITFIELD f GET u8 -1
BITFIELD f GET u8 x
BITFIELD f GET u8 #x
BITFIELD f GET u8 #-1
BITFIELD f GET u8 ##1
BITFIELD f GET u8 4294967296
BITFIELD f GET u8 #536870912
BITFIELD f GET u8 #536870911
BITFIELD f GET i64 #1152921504606846976
BITFIELD f SET u8 0
BITFIELD f SET u8 0 x
BITFIELD f SET u8 0 1.5
BITFIELD f SET u8 0 99999999999999999999
BITFIELD f INCRBY u8 0
BITFIELD f GET u8
BITFIELD f GET
BITFIELD f OVERFLOW
BITFIELD f OVERFLOW FOO
BITFIELD f OVERFLOW FOO GET u8 0
BITFIELD f FOO
BITFIELD f GET u8 0 FOO
BITFIELD f GET u8 0 SET u8 0 1 GET x8 0
BITFIELD f overflow fail set u8 0 256 get u8 0 overflow sat set u8 0 256 get u8 0 overflow wrap set u8 0 256 get u8 0
BITFIELD f set i8 0 -129 overflow sat set i8 0 -129 get i8 0 overflow fail set i8 0 200
BITFIELD f set u8 0 -1 overflow sat set u8 0 -1 get u8 0
BITFIELD_RO f GET u8 0 GET i16 #1
BITFIELD_RO f SET u8 0 1
BITFIELD_RO f INCRBY u8 0 1
BITFIELD_RO f GET u8 0 INCRBY u8 0 1
BITFIELD_RO f OVERFLOW SAT GET u8 0
BITFIELD_RO f
BITFIELD_RO missing GET u8 0
BITFIELD_RO f GET x8 0
BITFIELD_RO f FOO
GET f

# --- wrong types ---
HSET h f v
SADD st m
SETBIT h 0 1
SETBIT h x 1
SETBIT h 0 5
GETBIT h 0
GETBIT h x
BITCOUNT h
BITCOUNT h 0 1
BITCOUNT h 0
BITPOS h 1
BITPOS h 2
BITPOS h 1 0 1 BIT
BITOP AND d h
BITOP AND d a1 st
BITOP NOT d h
BITOP AND h a1
TYPE h
GET h
HSET h f v
BITFIELD h GET u8 0
BITFIELD h SET u8 0 1
BITFIELD h GET x8 0
BITFIELD h
BITFIELD_RO h GET u8 0
BITFIELD_RO h SET u8 0 1
TYPE h

# --- a bigger bitmap: word-sized scans ---
SETBIT big 100000 1
SETBIT big 99999 1
SETBIT big 5 1
BITCOUNT big
BITCOUNT big 1 -1
BITCOUNT big 0 99999 BIT
BITPOS big 1 1
BITPOS big 1 13 -1
BITPOS big 0 0 -1
SETRANGE big2 12499 "\x00"
BITOP NOT big3 big2
BITPOS big3 0
BITPOS big3 0 0 -1
BITPOS big3 0 100
BITCOUNT big3
BITOP XOR big4 big big3
BITCOUNT big4
BITPOS big4 0
STRLEN big4

# --- proto-max-bulk-len bounds offsets ---
CONFIG SET proto-max-bulk-len 1mb
SETBIT lim 8388608 1
GETBIT lim 8388608
BITFIELD lim SET u8 8388608 1
BITFIELD lim SET u8 #1048576 1
SETBIT lim 8388607 1
STRLEN lim
BITCOUNT lim
BITPOS lim 1
CONFIG SET proto-max-bulk-len 512mb
`
