package protocol

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/protocol/hll"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

// The HyperLogLog corpus runs against redis-server 7.0.15 in RESP2 and
// RESP3 (runCollDifferential). Its GETs compare the HLLs' bytes: the
// representation is deterministic, so after the same commands both
// servers hold the same bytes, sparse and dense, cache included.

func TestDifferentialHLL(t *testing.T) { runCollDifferential(t, hllScript+hllGenerated(), 150) }

// hllGenerated grows HLLs through the sparse form into the dense one, in
// batches, comparing bytes, encoding and count after each; and again
// with a small hll-sparse-max-bytes.
func hllGenerated() string {
	var b strings.Builder
	batch := func(key string, from, to int) {
		b.WriteString("PFADD " + key)
		for i := from; i < to; i++ {
			fmt.Fprintf(&b, " el:%d", i)
		}
		b.WriteString("\n")
	}
	for n := 0; n < 3000; n += 150 {
		batch("grow", n, n+150)
		b.WriteString("GET grow\nPFDEBUG ENCODING grow\nPFCOUNT grow\nGET grow\n")
	}
	b.WriteString("CONFIG SET hll-sparse-max-bytes 200\n")
	for n := 0; n < 400; n += 20 {
		batch("small", n, n+20)
		b.WriteString("GET small\nPFDEBUG ENCODING small\n")
	}
	b.WriteString("PFCOUNT small\nCONFIG SET hll-sparse-max-bytes 3000\n")
	// One element at a time: every sparse edit, byte for byte.
	for i := 0; i < 120; i++ {
		fmt.Fprintf(&b, "PFADD one x%d\nGET one\n", i)
	}
	b.WriteString("PFDEBUG DECODE one\nPFMERGE merged one grow\nGET merged\nPFCOUNT merged\n")
	b.WriteString("PFMERGE msparse one small\nGET msparse\nPFCOUNT one small\nPFCOUNT one grow small missing\n")
	// A hand-made dense HLL with registers past what PFADD ever reaches
	// in practice (33, 51, 63): the estimator's top bins, and merging
	// values too big for a sparse VAL opcode.
	regs := make([]byte, 12288)
	set := func(i int, v byte) { // register i (i%4 == 0): the low 6 bits of byte i/4*3
		regs[i/4*3] |= v
	}
	set(0, 63)
	set(4, 51)
	set(8, 33)
	set(400, 20)
	dense := "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80" + string(regs)
	fmt.Fprintf(&b, "SET handmade %s\nPFCOUNT handmade\nGET handmade\nPFMERGE fromhand handmade\nGET fromhand\nPFDEBUG ENCODING fromhand\n", strconv.Quote(dense))
	b.WriteString("PFMERGE one handmade\nGET one\nPFCOUNT handmade one grow\nPFDEBUG GETREG handmade\n")
	return b.String()
}

const hllScript = `
# --- arity ---
PFADD
PFCOUNT
PFMERGE
PFDEBUG
PFDEBUG GETREG
PFDEBUG GETREG k extra
PFSELFTEST extra

# --- PFADD / PFCOUNT ---
PFADD h
GET h
PFADD h
PFCOUNT h
GET h
PFADD h a b c
GET h
PFADD h a b c
PFADD h a
PFCOUNT h
GET h
PFCOUNT h
PFADD h2 "" "x y" "\x00\xff"
GET h2
PFCOUNT h2
PFCOUNT missing
PFCOUNT h h2
PFCOUNT h h2 missing
PFCOUNT missing missing2
GET h
SET ttlh x
DEL ttlh
PFADD ttlh a
EXPIRE ttlh 1000
PFADD ttlh b
TTL ttlh

# --- PFMERGE ---
PFMERGE dest h h2
GET dest
PFCOUNT dest
PFMERGE dest
GET dest
PFMERGE newdest
GET newdest
PFMERGE dest2 missing
GET dest2
PFMERGE dest h
GET dest

# --- PFDEBUG ---
PFDEBUG ENCODING h
PFDEBUG encoding h
PFDEBUG DECODE h
PFDEBUG DECODE newdest
PFDEBUG TODENSE h2
PFDEBUG TODENSE h2
PFDEBUG ENCODING h2
PFDEBUG DECODE h2
GET h2
PFCOUNT h2
PFADD h2 more
PFCOUNT h2
PFDEBUG GETREG h
PFDEBUG ENCODING h
PFDEBUG FOO h
PFDEBUG FOO missing
PFDEBUG GETREG missing
PFMERGE dest h2
PFDEBUG ENCODING dest
PFCOUNT dest
PFSELFTEST

# --- not HyperLogLogs ---
SET str hello
SET num 12345
SET shortmagic HYLL
SET badenc "HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
SET shortdense "HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
SET badmagic "HYLX\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
HSET hash f v
PFADD str a
PFADD num a
PFADD shortmagic a
PFADD badenc a
PFADD shortdense a
PFADD badmagic a
PFADD hash a
PFCOUNT str
PFCOUNT hash
PFCOUNT h str
PFCOUNT h hash
PFCOUNT hash str
PFMERGE str h
PFMERGE h str
PFMERGE hash h
PFMERGE h hash
PFDEBUG ENCODING str
PFDEBUG ENCODING hash
PFDEBUG DECODE badenc
GET h

# --- corrupt HyperLogLogs ---
SET short "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe"
PFCOUNT short
PFCOUNT short h
PFMERGE m2 short
EXISTS m2
PFDEBUG GETREG short
PFDEBUG TODENSE short
PFDEBUG DECODE short
PFADD short a b c d e f g h i j k l m n o p
SET cached "HYLL\x01\x00\x00\x00\x05\x00\x00\x00\x00\x00\x00\x00\x7f\xfe"
PFCOUNT cached
PFCOUNT cached h
SET over "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x80"
PFCOUNT over
PFMERGE m3 over
SET trunc "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f"
PFCOUNT trunc
PFDEBUG DECODE trunc
SET bigval "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe\xfc"
PFCOUNT bigval
PFDEBUG DECODE bigval
PFDEBUG TODENSE bigval
PFCOUNT bigval
GET bigval
SET stale "HYLL\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x80\x7f\xff"
PFCOUNT stale
GET stale
SET valid "HYLL\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x7f\xff"
PFCOUNT valid
PFADD valid z
GET valid
`

// TestHLLAcrossServers moves HLLs between redis-server and cachesrv by
// GET and SET: PFADD many elements on one, SET the bytes on the other,
// and the counts agree; PFMERGE of the two servers' dumps on either side
// gives the same bytes.
func TestHLLAcrossServers(t *testing.T) {
	ctx := context.Background()
	theirs := redis.NewClient(&redis.Options{Addr: servertest.RedisServer(t)})
	ours := redis.NewClient(&redis.Options{Addr: startServer(t).addr})
	defer theirs.Close()
	defer ours.Close()
	add := func(c *redis.Client, key string, from, to int) {
		for i := from; i < to; i += 1000 {
			els := make([]any, 0, 1000)
			for j := i; j < min(i+1000, to); j++ {
				els = append(els, fmt.Sprintf("user:%d", j))
			}
			if err := c.PFAdd(ctx, key, els...).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, n := range []int{50, 1500, 100000} {
		key := fmt.Sprintf("r%d", n)
		add(theirs, key, 0, n)
		add(ours, "o"+key, n/2, n+n/2)
		dump := theirs.Get(ctx, key).Val()
		ours.Set(ctx, key, dump, 0)
		want := theirs.PFCount(ctx, key).Val()
		if got := ours.PFCount(ctx, key).Val(); got != want {
			t.Errorf("n=%d: PFCOUNT of redis's bytes here %d, redis %d", n, got, want)
		}
		// And the reverse.
		odump := ours.Get(ctx, "o"+key).Val()
		theirs.Set(ctx, "o"+key, odump, 0)
		if got, want := theirs.PFCount(ctx, "o"+key).Val(), ours.PFCount(ctx, "o"+key).Val(); got != want {
			t.Errorf("n=%d: PFCOUNT of our bytes on redis %d, here %d", n, got, want)
		}
		// Merge on both sides.
		for _, c := range []*redis.Client{theirs, ours} {
			if err := c.PFMerge(ctx, "m"+key, key, "o"+key).Err(); err != nil {
				t.Fatal(err)
			}
		}
		if a, b := theirs.Get(ctx, "m"+key).Val(), ours.Get(ctx, "m"+key).Val(); a != b {
			t.Errorf("n=%d: PFMERGE results differ (%d and %d bytes)", n, len(a), len(b))
		}
		if a, b := theirs.PFCount(ctx, key, "o"+key).Val(), ours.PFCount(ctx, key, "o"+key).Val(); a != b {
			t.Errorf("n=%d: PFCOUNT of two keys %d (redis) vs %d", n, a, b)
		}
		if err := hll.Check([]byte(dump)); err != nil {
			t.Errorf("n=%d: redis's HLL fails our check: %v", n, err)
		}
	}
}
