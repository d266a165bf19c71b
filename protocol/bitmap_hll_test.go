package protocol

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

// Bit helpers against naive bit-by-bit versions, over random strings and
// ranges.
func TestBitHelpers(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	bit := func(v []byte, i int64) int { return int(v[i>>3]>>(7-i&7)) & 1 }
	for round := 0; round < 2000; round++ {
		v := make([]byte, 1+r.IntN(70))
		for i := range v {
			switch r.IntN(3) {
			case 0:
				v[i] = 0
			case 1:
				v[i] = 0xff
			default:
				v[i] = byte(r.Uint32())
			}
		}
		nbits := int64(len(v)) * 8
		first := r.Int64N(nbits)
		last := first + r.Int64N(nbits-first)
		want, pos1, pos0 := 0, int64(-1), int64(-1)
		for i := first; i <= last; i++ {
			b := bit(v, i)
			want += b
			if b == 1 && pos1 < 0 {
				pos1 = i
			}
			if b == 0 && pos0 < 0 {
				pos0 = i
			}
		}
		if got := countBits(v, first, last); got != want {
			t.Fatalf("countBits(%x, %d, %d) = %d, want %d", v, first, last, got, want)
		}
		if got := findBit(v, first, last, 1); got != pos1 {
			t.Fatalf("findBit(%x, %d, %d, 1) = %d, want %d", v, first, last, got, pos1)
		}
		if got := findBit(v, first, last, 0); got != pos0 {
			t.Fatalf("findBit(%x, %d, %d, 0) = %d, want %d", v, first, last, got, pos0)
		}
		if first == 0 && last == nbits-1 && popcount(v) != want {
			t.Fatal("popcount")
		}
		// BITFIELD's field reads and writes.
		n := 1 + r.IntN(64)
		off := uint64(r.Int64N(nbits))
		x := r.Uint64() & (1<<n - 1)
		if n == 64 {
			x = r.Uint64()
		}
		w := append(bytes.Clone(v), make([]byte, 9)...)
		setBits(w, off, n, x)
		if got := getBits(w, off, n); got != x {
			t.Fatalf("getBits after setBits(%d, %d, %x) = %x", off, n, x, got)
		}
		for i := int64(0); i < int64(len(v))*8; i++ {
			if (uint64(i) < off || uint64(i) >= off+uint64(n)) && bit(w, i) != bit(v, i) {
				t.Fatalf("setBits(%d, %d) changed bit %d", off, n, i)
			}
		}
	}
	// Redis's overflow rules, spot checks.
	for _, c := range []struct {
		value, incr int64
		bits, ow    int
		over        int
		res         int64
	}{
		{127, 1, 8, owWrap, 1, -128}, {127, 1, 8, owSat, 1, 127}, {-128, -1, 8, owWrap, -1, 127},
		{-128, -1, 8, owSat, -1, -128}, {300, 0, 8, owWrap, 1, 44}, {5, 1, 8, owWrap, 0, 0},
		{1<<63 - 1, 1, 64, owWrap, 1, -1 << 63}, {-1 << 63, -1, 64, owSat, -1, -1 << 63},
	} {
		over, res := signedOverflow(c.value, c.incr, c.bits, c.ow)
		if over != c.over || (over != 0 && res != c.res) {
			t.Errorf("signedOverflow(%d, %d, i%d, %d) = %d %d, want %d %d", c.value, c.incr, c.bits, c.ow, over, res, c.over, c.res)
		}
	}
	if over, res := unsignedOverflow(250, 10, 8, owWrap); over != 1 || res != 4 {
		t.Errorf("u8 250+10 wrap: %d %d", over, res)
	}
	if over, res := unsignedOverflow(5, -10, 8, owSat); over != -1 || res != 0 {
		t.Errorf("u8 5-10 sat: %d %d", over, res)
	}
}

// TestBitmapHLLNotifications: the keyspace events of the bitmap and HLL
// commands are Redis's, in the same order.
func TestBitmapHLLNotifications(t *testing.T) {
	redisAddr := servertest.RedisServer(t)
	ts := startServer(t)
	script := [][]any{
		{"SETBIT", "b", "7", "1"},
		{"SETBIT", "b", "7", "1"},
		{"SETBIT", "h", "0", "1"}, // fine: no such hash yet
		{"BITOP", "AND", "d", "b", "missing"},
		{"BITOP", "OR", "d", "missing"},
		{"BITOP", "OR", "d", "missing"},
		{"BITFIELD", "f", "SET", "u8", "0", "1"},
		{"BITFIELD", "f", "GET", "u8", "0"},
		{"BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1000"},
		{"BITFIELD", "g", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "10"},
		{"PFADD", "p", "a", "b"},
		{"PFADD", "p", "a"},
		{"PFADD", "q"},
		{"PFCOUNT", "p"},
		{"PFCOUNT", "p", "q"},
		{"PFMERGE", "m", "p", "q"},
		{"PFDEBUG", "TODENSE", "m"},
		{"SET", "end", "1"},
	}
	events := func(addr string) []string { return notificationsOf(t, addr, "__key*@0__:*", script) }
	want, got := events(redisAddr), events(ts.addr)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n cachesrv %q\n redis    %q", got, want)
	}
}

// TestBitmapHLLWatch: SETBIT, BITFIELD writes and PFADD dirty a WATCH;
// PFCOUNT does when it refreshes the cached count, not when the cache is
// valid; reads do not.
func TestBitmapHLLWatch(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: ts.addr})
	defer c.Close()
	other := redis.NewClient(&redis.Options{Addr: ts.addr})
	defer other.Close()
	c.PFAdd(ctx, "p", "a")
	c.SetBit(ctx, "b", 3, 1)
	for _, tc := range []struct {
		key   string
		cmd   []any
		dirty bool
	}{
		{"b", []any{"GETBIT", "b", "3"}, false},
		{"b", []any{"BITCOUNT", "b"}, false},
		{"b", []any{"BITFIELD_RO", "b", "GET", "u8", "0"}, false},
		{"b", []any{"SETBIT", "b", "3", "1"}, false}, // unchanged, as Redis 7.0.15
		{"b", []any{"SETBIT", "b", "3", "0"}, true},
		{"b", []any{"BITFIELD", "b", "INCRBY", "u8", "0", "1"}, true},
		{"p", []any{"PFCOUNT", "p"}, true}, // the cache is stale after PFADD
		{"p", []any{"PFCOUNT", "p"}, false},
		{"p", []any{"PFCOUNT", "p", "b2"}, false},
		{"p", []any{"PFADD", "p", "a"}, false},
		{"p", []any{"PFADD", "p", "zz"}, true},
	} {
		err := c.Watch(ctx, func(tx *redis.Tx) error {
			if err := other.Do(ctx, tc.cmd...).Err(); err != nil {
				return err
			}
			_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Get(ctx, "x"); return nil })
			if err == redis.Nil {
				err = nil
			}
			return err
		}, tc.key)
		if dirty := err == redis.TxFailedErr; dirty != tc.dirty || (err != nil && !dirty) {
			t.Errorf("%v: EXEC after it: %v, want dirty %v", tc.cmd, err, tc.dirty)
		}
	}
}

// TestPFCountConcurrent: PFCOUNT rewrites the cached count while other
// clients read and add, through pipelines, MULTI and read-only scripts;
// under -race this shows that PFCOUNT holds the write lock wherever it
// runs, and every count is right.
func TestPFCountConcurrent(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	seed := redis.NewClient(&redis.Options{Addr: ts.addr})
	defer seed.Close()
	for i := 0; i < 2000; i += 500 {
		els := make([]any, 500)
		for j := range els {
			els[j] = fmt.Sprint("e", i+j)
		}
		seed.PFAdd(ctx, "p", els...)
	}
	want := seed.PFCount(ctx, "p").Val()
	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: ts.addr})
			defer c.Close()
			for i := 0; i < 100; i++ {
				switch (w + i) % 4 {
				case 0:
					// Re-adding known elements leaves the count; a
					// raw SET of the same bytes makes the cache stale.
					v := c.Get(ctx, "p").Val()
					if len(v) > 16 {
						b := []byte(v)
						b[15] |= 0x80
						c.Set(ctx, "p", b, 0)
					}
				case 1:
					cmds, _ := c.Pipelined(ctx, func(p redis.Pipeliner) error {
						p.Get(ctx, "p")
						p.PFCount(ctx, "p")
						p.Get(ctx, "p")
						return nil
					})
					if n := cmds[1].(*redis.IntCmd).Val(); n != want {
						t.Errorf("pipelined PFCOUNT %d, want %d", n, want)
					}
				case 2:
					n, err := c.Do(ctx, "EVAL_RO", "return redis.call('PFCOUNT', KEYS[1])", 1, "p").Int64()
					if err != nil || n != want {
						t.Errorf("EVAL_RO PFCOUNT %d %v, want %d", n, err, want)
					}
				default:
					cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error { p.PFCount(ctx, "p"); return nil })
					if err != nil || cmds[0].(*redis.IntCmd).Val() != want {
						t.Errorf("MULTI PFCOUNT %v %v, want %d", cmds, err, want)
					}
				}
			}
		}()
	}
	wg.Wait()
}

// TestBitmapLarge: a bitmap past one chunk, grown a bit at a time from
// both ends, keeps its bits and TTL; BITCOUNT and BITPOS agree.
func TestBitmapLarge(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: ts.addr})
	defer c.Close()
	c.SetBit(ctx, "b", 0, 1)
	c.Expire(ctx, "b", time.Hour)
	var set []int64
	for off := int64(1); off < 3_000_000; off = off*2 + 1 {
		c.SetBit(ctx, "b", off, 1)
		set = append(set, off)
	}
	if n := c.BitCount(ctx, "b", nil).Val(); n != int64(len(set))+1 {
		t.Fatalf("BITCOUNT %d, want %d", n, len(set)+1)
	}
	for _, off := range set {
		if c.GetBit(ctx, "b", off).Val() != 1 || c.GetBit(ctx, "b", off+1).Val() != 0 {
			t.Fatalf("bit %d", off)
		}
		if p := c.Do(ctx, "BITPOS", "b", 1, off, -1, "BIT").Val(); p != off {
			t.Fatalf("BITPOS from %d: %v", off, p)
		}
	}
	if ttl := c.TTL(ctx, "b").Val(); ttl <= 0 {
		t.Fatalf("TTL lost: %v", ttl)
	}
	if n := c.StrLen(ctx, "b").Val(); n != set[len(set)-1]/8+1 {
		t.Fatalf("STRLEN %d", n)
	}
}

// BenchmarkBitmapHLL runs BITCOUNT over a 1 MiB string, PFADD of new
// elements to a dense HLL, PFADD+PFCOUNT (recount after a change) and a
// PFCOUNT of two dense HLLs, one go-redis client at a time, against
// cachesrv and a redis-server side by side.
func BenchmarkBitmapHLL(b *testing.B) {
	servers := []struct{ name, addr string }{{"cachesrv", startServer(b).addr}}
	if servertest.HaveTool(b, "redis-server") {
		servers = append(servers, struct{ name, addr string }{"redis", servertest.RedisServer(b)})
	}
	ctx := context.Background()
	for _, s := range servers {
		c := redis.NewClient(&redis.Options{Addr: s.addr})
		defer c.Close()
		r := rand.New(rand.NewPCG(1, 2))
		big := make([]byte, 1<<20)
		for i := range big {
			big[i] = byte(r.Uint32())
		}
		c.Set(ctx, "bits", big, 0)
		for _, k := range []string{"h1", "h2"} {
			for i := 0; i < 20000; i += 1000 {
				els := make([]any, 1000)
				for j := range els {
					els[j] = fmt.Sprint(k, i+j)
				}
				c.PFAdd(ctx, k, els...)
			}
		}
		b.Run("BITCOUNT-1MiB/"+s.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				c.BitCount(ctx, "bits", nil)
			}
		})
		b.Run("PFADD/"+s.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				c.PFAdd(ctx, "h1", fmt.Sprint("new", i))
			}
		})
		b.Run("PFADD+PFCOUNT/"+s.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				c.Pipelined(ctx, func(p redis.Pipeliner) error {
					p.PFAdd(ctx, "h2", fmt.Sprint("more", i))
					p.PFCount(ctx, "h2")
					return nil
				})
			}
		})
		b.Run("PFCOUNT-2keys/"+s.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				c.PFCount(ctx, "h1", "h2")
			}
		})
	}
}

// BenchmarkBitCount1MiB is the popcount loop alone over 1 MiB.
func BenchmarkBitCount1MiB(b *testing.B) {
	v := bytes.Repeat([]byte{0x5a, 0xff, 0x00, 0x13}, 1<<18)
	b.SetBytes(int64(len(v)))
	for i := 0; i < b.N; i++ {
		popcount(v)
	}
}

// TestBitmapHLLKeyspaceStats: the reads count keyspace_hits and
// keyspace_misses as Redis's do (a key of another type is a hit; the
// writes' lookups count nothing).
func TestBitmapHLLKeyspaceStats(t *testing.T) {
	redisAddr := servertest.RedisServer(t)
	ts := startServer(t)
	script := [][]any{
		{"SETBIT", "b", "7", "1"}, {"HSET", "h", "f", "v"}, {"PFADD", "p", "a"},
		{"GETBIT", "b", "1"}, {"GETBIT", "x", "1"}, {"GETBIT", "h", "1"},
		{"BITCOUNT", "b"}, {"BITCOUNT", "x"}, {"BITCOUNT", "h"},
		{"BITPOS", "b", "1"}, {"BITPOS", "x", "1"}, {"BITPOS", "h", "1"},
		{"BITOP", "OR", "d", "b", "x"}, {"BITOP", "OR", "d", "h"},
		{"BITFIELD", "b", "GET", "u8", "0"}, {"BITFIELD", "x", "GET", "u8", "0"}, {"BITFIELD_RO", "h", "GET", "u8", "0"},
		{"BITFIELD", "b", "SET", "u8", "0", "1"}, {"SETBIT", "y", "1", "1"},
		{"PFCOUNT", "p"}, {"PFCOUNT", "x"}, {"PFCOUNT", "h"}, {"PFCOUNT", "p", "x"}, {"PFCOUNT", "p", "h"},
		{"PFMERGE", "m", "p", "x"}, {"PFADD", "p", "b"}, {"PFDEBUG", "ENCODING", "p"},
	}
	stats := func(addr string) string {
		ctx := context.Background()
		c := redis.NewClient(&redis.Options{Addr: addr})
		defer c.Close()
		c.FlushAll(ctx)
		c.ConfigResetStat(ctx)
		for _, cmd := range script {
			c.Do(ctx, cmd...)
		}
		var out []string
		for _, line := range strings.Split(c.Info(ctx, "stats").Val(), "\n") {
			if strings.HasPrefix(line, "keyspace_") {
				out = append(out, strings.TrimSpace(line))
			}
		}
		return strings.Join(out, " ")
	}
	if got, want := stats(ts.addr), stats(redisAddr); got != want {
		t.Fatalf("cachesrv %q, redis %q", got, want)
	}
}
