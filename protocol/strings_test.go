package protocol

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/config"
)

// Integration tests for the string commands. The expected replies are
// those of redis-server 7.0: every table here was checked against one.

// skConn is a raw connection that renders each reply as one string, so a
// test states the exact reply type as well as the value:
//
//	+OK status   -ERR ... error   :3 integer   $abc bulk   $ empty bulk
//	(nil) null bulk   (nil-array) null array   [:1 $a [...]] array
type skConn struct {
	t testing.TB
	r *rawConn
}

func newSKConn(t testing.TB, ts *testServer) *skConn {
	return &skConn{t: t, r: ts.raw(t)}
}

// do sends one command, binary-safe, and returns its rendered reply.
func (c *skConn) do(args ...string) string {
	c.t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.r.send(b.String())
	return c.reply()
}

func (c *skConn) reply() string {
	c.t.Helper()
	line := c.r.line()
	if line == "" {
		c.t.Fatalf("empty reply line")
	}
	switch line[0] {
	case '+', '-', ':':
		return line
	case '$', '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			c.t.Fatalf("bad length in %q", line)
		}
		if n < 0 && line[0] == '$' {
			return "(nil)"
		}
		if n < 0 {
			return "(nil-array)"
		}
		if line[0] == '$' {
			buf := make([]byte, n+2)
			c.r.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(c.r.rd, buf); err != nil {
				c.t.Fatalf("read bulk: %v", err)
			}
			return "$" + string(buf[:n])
		}
		elems := make([]string, n)
		for i := range elems {
			elems[i] = c.reply()
		}
		return "[" + strings.Join(elems, " ") + "]"
	}
	c.t.Fatalf("unexpected reply line %q", line)
	return ""
}

// expect fails the test unless the command's rendered reply is want.
func (c *skConn) expect(want string, args ...string) {
	c.t.Helper()
	if got := c.do(args...); got != want {
		c.t.Errorf("%q: got %q, want %q", args, got, want)
	}
}

// skStep is one command (split on spaces) and its rendered reply.
type skStep struct{ cmd, want string }

// run sends each step in order on one connection.
func (c *skConn) run(steps []skStep) {
	c.t.Helper()
	for _, s := range steps {
		if got := c.do(strings.Fields(s.cmd)...); got != s.want {
			c.t.Errorf("%s: got %q, want %q", s.cmd, got, s.want)
		}
	}
}

// skNow returns the test server's clock in Unix seconds and milliseconds.
func skNow(ts *testServer) (sec, ms int64) {
	ms = ts.nowMs.Load()
	return ms / 1000, ms
}

func skItoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestStringGet(t *testing.T) {
	ts := startServer(t)
	newSKConn(t, ts).run([]skStep{
		{"GET nokey", "(nil)"},
		{"SET k hello", "+OK"},
		{"GET k", "$hello"},
		{"SET k world", "+OK"},
		{"GET k", "$world"},
		{"SET empty ''", "+OK"},
		{"GET", "-ERR wrong number of arguments for 'get' command"},
		{"GET a b", "-ERR wrong number of arguments for 'get' command"},
		{"SET k", "-ERR wrong number of arguments for 'set' command"},
	})
	c := newSKConn(t, ts)
	c.expect("+OK", "SET", "empty", "")
	c.expect("$", "GET", "empty")
	c.expect("+OK", "set", "MiXeD", "case") // command names are case-insensitive
	c.expect("$case", "gEt", "MiXeD")
	c.expect("(nil)", "GET", "mixed") // keys are not
}

// skSetCases are SET's option combinations; none depends on the clock.
var skSetCases = []skStep{
	{"SET k v", "+OK"},
	// Repeating an option is allowed, the last value wins; two different
	// expiry options conflict.
	{"SET k v EX 10 EX 20", "+OK"},
	{"TTL k", ":20"},
	{"SET k v KEEPTTL KEEPTTL", "+OK"},
	{"TTL k", ":20"},
	{"SET k v NX NX", "(nil)"},
	{"SET k v XX XX", "+OK"},
	{"SET k v GET GET", "$v"},
	{"SET k v EX 10 PX 100", "-ERR syntax error"},
	{"SET k v EX 10 EXAT 100", "-ERR syntax error"},
	{"SET k v PXAT 10 PX 100", "-ERR syntax error"},
	{"SET k v EX 10 KEEPTTL", "-ERR syntax error"},
	{"SET k v KEEPTTL EX 10", "-ERR syntax error"},
	{"SET k v NX XX", "-ERR syntax error"},
	{"SET k v XX NX", "-ERR syntax error"},
	{"SET k v PERSIST", "-ERR syntax error"},
	{"SET k v foo", "-ERR syntax error"},
	{"SET k v EX", "-ERR syntax error"},
	{"SET k v EX 10 EX", "-ERR syntax error"},
	{"SET k v EX NX", "-ERR value is not an integer or out of range"},
	{"SET k v EX 0", "-ERR invalid expire time in 'set' command"},
	{"SET k v EX -1", "-ERR invalid expire time in 'set' command"},
	{"SET k v PX 0", "-ERR invalid expire time in 'set' command"},
	{"SET k v EXAT 0", "-ERR invalid expire time in 'set' command"},
	{"SET k v PXAT -1", "-ERR invalid expire time in 'set' command"},
	{"SET k v EX abc", "-ERR value is not an integer or out of range"},
	{"SET k v EX 1.5", "-ERR value is not an integer or out of range"},
	{"SET k v EX 9223372036854775808", "-ERR value is not an integer or out of range"},
	{"SET k v EX 9223372036854775807", "-ERR invalid expire time in 'set' command"},
	{"SET k v EX 9223372036854776", "-ERR invalid expire time in 'set' command"},
	{"SET k v PX 9223372036854775807", "-ERR invalid expire time in 'set' command"},
	{"SET k v EXAT 9223372036854775807", "-ERR invalid expire time in 'set' command"},
	{"GET k", "$v"}, // no failed SET touched it
	// NX / XX, with and without GET.
	{"SET n 1 NX", "+OK"},
	{"SET n 2 NX", "(nil)"},
	{"GET n", "$1"},
	{"SET x 1 XX", "(nil)"},
	{"EXISTS x", ":0"},
	{"SET n 3 XX", "+OK"},
	{"GET n", "$3"},
	{"SET g 1 GET", "(nil)"},
	{"SET g 2 GET", "$1"},
	{"SET g 3 NX GET", "$2"},
	{"GET g", "$2"},
	{"SET g2 1 GET NX", "(nil)"},
	{"GET g2", "$1"},
	{"SET g3 1 XX GET", "(nil)"},
	{"EXISTS g3", ":0"},
	{"SET g 4 XX GET", "$2"},
	{"GET g", "$4"},
	// A plain SET drops the TTL; KEEPTTL keeps it, also with GET.
	{"SET t 1 EX 100", "+OK"},
	{"SET t 2", "+OK"},
	{"TTL t", ":-1"},
	{"SET t 1 EX 100", "+OK"},
	{"SET t 2 GET KEEPTTL", "$1"},
	{"TTL t", ":100"},
	{"SET nt 1 KEEPTTL", "+OK"},
	{"TTL nt", ":-1"},
	// An absolute time in the past: OK, and the key is gone.
	{"SET p v PXAT 1", "+OK"},
	{"EXISTS p", ":0"},
	{"SET p v", "+OK"},
	{"SET p w EXAT 1 GET", "$v"},
	{"EXISTS p", ":0"},
}

func TestStringSetOptions(t *testing.T) {
	ts := startServer(t)
	newSKConn(t, ts).run(skSetCases)
}

func TestStringSetExpiry(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	sec, ms := skNow(ts)
	c.run([]skStep{
		{"SET ex v EX 100", "+OK"},
		{"PTTL ex", ":100000"},
		{"SET px v PX 1500", "+OK"},
		{"PTTL px", ":1500"},
		{"TTL px", ":2"}, // rounded, as Redis does
		{"SET exat v EXAT " + skItoa(sec+50), "+OK"},
		{"EXPIRETIME exat", ":" + skItoa(sec+50)},
		{"SET pxat v PXAT " + skItoa(ms+2500), "+OK"},
		{"PEXPIRETIME pxat", ":" + skItoa(ms+2500)},
		{"PTTL pxat", ":2500"},
		{"SET pxat v PXAT " + skItoa(ms), "+OK"}, // now is already the past
		{"EXISTS pxat", ":0"},
		{"SET keep v2 KEEPTTL", "+OK"}, // on a new key: no TTL
		{"TTL keep", ":-1"},
		{"SET px v2 KEEPTTL", "+OK"},
		{"PTTL px", ":1500"},
	})
	ts.advance(1499 * time.Millisecond)
	c.run([]skStep{
		{"GET px", "$v2"},
		{"PTTL px", ":1"},
	})
	ts.advance(time.Millisecond)
	c.run([]skStep{
		{"GET px", "(nil)"},
		{"TTL px", ":-2"},
		{"SET px again XX", "(nil)"}, // expired counts as missing
		{"SET px again NX GET", "(nil)"},
		{"GET px", "$again"},
		{"TTL px", ":-1"},
	})
}

func TestStringSetNXSetEX(t *testing.T) {
	ts := startServer(t)
	newSKConn(t, ts).run([]skStep{
		{"SETNX k 1", ":1"},
		{"SETNX k 2", ":0"},
		{"GET k", "$1"},
		{"SETEX k 100 v", "+OK"},
		{"GET k", "$v"},
		{"TTL k", ":100"},
		{"PSETEX k 2500 w", "+OK"},
		{"PTTL k", ":2500"},
		{"SETNX k x", ":0"},
		{"SETEX k 0 v", "-ERR invalid expire time in 'setex' command"},
		{"SETEX k -5 v", "-ERR invalid expire time in 'setex' command"},
		{"setex k 9223372036854775807 v", "-ERR invalid expire time in 'setex' command"},
		{"SETEX k abc v", "-ERR value is not an integer or out of range"},
		{"PSETEX k 0 v", "-ERR invalid expire time in 'psetex' command"},
		{"PSETEX k 9223372036854775807 v", "-ERR invalid expire time in 'psetex' command"},
		{"GET k", "$w"},
		{"SETEX k 10", "-ERR wrong number of arguments for 'setex' command"},
		{"SETNX k", "-ERR wrong number of arguments for 'setnx' command"},
	})
	// SETNX sees an expired key as missing.
	ts.advance(2500 * time.Millisecond)
	newSKConn(t, ts).run([]skStep{
		{"SETNX k fresh", ":1"},
		{"GET k", "$fresh"},
		{"TTL k", ":-1"},
	})
}

func TestStringGetSetGetDel(t *testing.T) {
	ts := startServer(t)
	newSKConn(t, ts).run([]skStep{
		{"GETSET k 1", "(nil)"},
		{"GETSET k 2", "$1"},
		{"GET k", "$2"},
		{"SETEX t 100 v", "+OK"},
		{"GETSET t w", "$v"},
		{"TTL t", ":-1"}, // GETSET drops the TTL
		{"GETDEL k", "$2"},
		{"GETDEL k", "(nil)"},
		{"EXISTS k", ":0"},
		{"GETDEL", "-ERR wrong number of arguments for 'getdel' command"},
	})
}

// skGetExCases are GETEX's options and errors that do not depend on the clock.
var skGetExCases = []skStep{
	{"GETEX missing", "(nil)"},
	// A missing key answers nil before the expire value is checked.
	{"GETEX missing EX 0", "(nil)"},
	{"GETEX missing EX abc", "(nil)"},
	{"GETEX missing PXAT -1", "(nil)"},
	{"GETEX missing FOO", "-ERR syntax error"},
	{"SET k v", "+OK"},
	{"GETEX k", "$v"},
	{"TTL k", ":-1"},
	{"GETEX k EX 100", "$v"},
	{"TTL k", ":100"},
	{"GETEX k EX 10 EX 20", "$v"}, // repeated: the last wins
	{"TTL k", ":20"},
	{"GETEX k PERSIST", "$v"},
	{"TTL k", ":-1"},
	{"GETEX k PERSIST PERSIST", "$v"},
	{"GETEX k EX 0", "-ERR invalid expire time in 'getex' command"},
	{"GETEX k PX -1", "-ERR invalid expire time in 'getex' command"},
	{"GETEX k EX 9223372036854775807", "-ERR invalid expire time in 'getex' command"},
	{"GETEX k EX abc", "-ERR value is not an integer or out of range"},
	{"GETEX k PERSIST EX 10", "-ERR syntax error"},
	{"GETEX k EX 10 PERSIST", "-ERR syntax error"},
	{"GETEX k EX 10 PX 10", "-ERR syntax error"},
	{"GETEX k KEEPTTL", "-ERR syntax error"},
	{"GETEX k NX", "-ERR syntax error"},
	{"GETEX k GET", "-ERR syntax error"},
	{"GETEX k EX", "-ERR syntax error"},
	{"GETEX k FOO", "-ERR syntax error"},
	{"TTL k", ":-1"},         // no failed GETEX touched it
	{"GETEX k EXAT 1", "$v"}, // in the past: answered, then deleted
	{"EXISTS k", ":0"},
	{"GETEX", "-ERR wrong number of arguments for 'getex' command"},
}

func TestStringGetEx(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	c.run(skGetExCases)
	sec, ms := skNow(ts)
	c.run([]skStep{
		{"SET k v", "+OK"},
		{"GETEX k PX 1500", "$v"},
		{"PTTL k", ":1500"},
		{"GETEX k EXAT " + skItoa(sec+100), "$v"},
		{"EXPIRETIME k", ":" + skItoa(sec+100)},
		{"GETEX k PXAT " + skItoa(ms+1234), "$v"},
		{"PEXPIRETIME k", ":" + skItoa(ms+1234)},
		{"GETEX k PXAT " + skItoa(ms), "$v"},
		{"EXISTS k", ":0"},
	})
}

func TestStringMGetMSet(t *testing.T) {
	ts := startServer(t)
	newSKConn(t, ts).run([]skStep{
		{"MSET a 1 b 2 c 3", "+OK"},
		{"MGET a b nokey c a", "[$1 $2 (nil) $3 $1]"},
		{"MSET a 10 a 11", "+OK"}, // the last one wins
		{"GET a", "$11"},
		{"MSET a", "-ERR wrong number of arguments for 'mset' command"},
		{"MSET a 1 b", "-ERR wrong number of arguments for 'mset' command"},
		{"MGET", "-ERR wrong number of arguments for 'mget' command"},
		{"SETEX t 100 v", "+OK"},
		{"MSET t w", "+OK"},
		{"TTL t", ":-1"},
		{"MSETNX x 1 y 2", ":1"},
		{"MSETNX y 3 z 4", ":0"}, // all or nothing
		{"MGET x y z", "[$1 $2 (nil)]"},
		{"MSETNX z 1 z 2", ":1"},
		{"GET z", "$2"},
		{"MSETNX a", "-ERR wrong number of arguments for 'msetnx' command"},
		{"MSETNX a 1 b", "-ERR wrong number of arguments for 'msetnx' command"},
	})
	// Many keys, over every shard.
	c := ts.client(t)
	args := []any{}
	var keys []string
	for i := range 500 {
		keys = append(keys, "key:"+strconv.Itoa(i))
		args = append(args, keys[i], "v"+strconv.Itoa(i))
	}
	if err := c.MSet(ctx, args...).Err(); err != nil {
		t.Fatal(err)
	}
	vals, err := c.MGet(ctx, keys...).Result()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vals {
		if v != "v"+strconv.Itoa(i) {
			t.Fatalf("MGET[%d] = %v", i, v)
		}
	}
}

func TestStringIncrDecr(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	c.run([]skStep{
		{"INCR n", ":1"},
		{"INCR n", ":2"},
		{"DECR n", ":1"},
		{"INCRBY n 10", ":11"},
		{"DECRBY n 20", ":-9"},
		{"INCRBY n -1", ":-10"},
		{"DECRBY n -10", ":0"},
		{"GET n", "$0"},
		{"DECR m", ":-1"},
		{"SET n 007", "+OK"},
		{"INCR n", "-ERR value is not an integer or out of range"},
		{"SET n abc", "+OK"},
		{"INCR n", "-ERR value is not an integer or out of range"},
		{"SET n 1.5", "+OK"},
		{"INCRBY n 1", "-ERR value is not an integer or out of range"},
		{"SET n +1", "+OK"},
		{"INCR n", "-ERR value is not an integer or out of range"},
		{"SET n -0", "+OK"},
		{"INCR n", "-ERR value is not an integer or out of range"},
		{"SET n 9223372036854775807", "+OK"},
		{"INCR n", "-ERR increment or decrement would overflow"},
		{"INCRBY n 1", "-ERR increment or decrement would overflow"},
		{"GET n", "$9223372036854775807"},
		{"DECRBY n 9223372036854775807", ":0"},
		{"SET n -9223372036854775808", "+OK"},
		{"DECR n", "-ERR increment or decrement would overflow"},
		{"DECRBY n 9223372036854775807", "-ERR increment or decrement would overflow"},
		{"INCRBY n 9223372036854775807", ":-1"},
		{"DECRBY n -9223372036854775808", "-ERR decrement would overflow"},
		{"INCRBY n -9223372036854775808", "-ERR increment or decrement would overflow"},
		{"INCRBY n abc", "-ERR value is not an integer or out of range"},
		{"INCRBY n 9223372036854775808", "-ERR value is not an integer or out of range"},
		{"INCRBY n 1.0", "-ERR value is not an integer or out of range"},
		{"GET n", "$-1"},
		{"INCR", "-ERR wrong number of arguments for 'incr' command"},
		{"INCRBY n", "-ERR wrong number of arguments for 'incrby' command"},
	})
	// A key being incremented keeps its TTL; an expired one starts at 0.
	c.run([]skStep{
		{"SET t 10 EX 100", "+OK"},
		{"INCR t", ":11"},
		{"DECRBY t 5", ":6"},
		{"TTL t", ":100"},
	})
	ts.advance(100 * time.Second)
	c.run([]skStep{
		{"INCR t", ":1"},
		{"TTL t", ":-1"},
	})
	// Spaces cannot be sent through run's split.
	c.expect("+OK", "SET", "s", " 1")
	c.expect("-ERR value is not an integer or out of range", "INCR", "s")
	c.expect("-ERR value is not an integer or out of range", "INCRBY", "x", " 1")
}

// skFloatCases pin INCRBYFLOAT to Redis's long double arithmetic and its
// "%.17Lf" formatting, artefacts included.
var skFloatCases = []skStep{
	{"SET f 10.5", "+OK"},
	{"INCRBYFLOAT f 0.1", "$10.6"},
	{"INCRBYFLOAT f -5", "$5.6"},
	{"INCRBYFLOAT z 0.1", "$0.1"},
	{"INCRBYFLOAT z 0.2", "$0.3"},
	{"INCRBYFLOAT e 5.0e3", "$5000"},
	{"INCRBYFLOAT e 0.3", "$5000.29999999999999982"},
	{"INCRBYFLOAT e 1E-2", "$5000.30999999999999961"},
	{"INCRBYFLOAT i 3", "$3"},
	{"INCRBYFLOAT i -3.0", "$0"},
	{"INCRBYFLOAT i -0.0", "$0"},
	{"INCRBYFLOAT i -.5", "$-0.5"},
	{"INCRBYFLOAT i +2.", "$1.5"},
	{"INCRBYFLOAT i 0x10", "$17.5"},
	{"INCRBYFLOAT i 0x1p-2", "$17.75"},
	{"INCRBYFLOAT i 00012", "$29.75"},
	{"INCRBYFLOAT tiny 1e-20", "$0"},
	{"INCRBYFLOAT p 1.23456789012345678901234567890", "$1.23456789012345679"},
	{"INCRBYFLOAT h 1e17", "$100000000000000000"},
	{"INCRBYFLOAT h 3", "$100000000000000003"},
	{"INCRBYFLOAT h 12345678901234567890", "$12445678901234567893"},
	{"INCRBYFLOAT big 99999999999999999999", "$100000000000000000000"},
	{"INCRBYFLOAT big 1", "$100000000000000000000"},
	{"INCRBYFLOAT r 123456789.123456789", "$123456789.12345678899873747"},
	// Infinity and NaN, written or reached.
	{"INCRBYFLOAT f inf", "-ERR increment would produce NaN or Infinity"},
	{"INCRBYFLOAT f -Infinity", "-ERR increment would produce NaN or Infinity"},
	{"INCRBYFLOAT f nan", "-ERR value is not a valid float"},
	{"INCRBYFLOAT f 1e4933", "-ERR value is not a valid float"},  // beyond long double
	{"INCRBYFLOAT f 1e-4960", "-ERR value is not a valid float"}, // underflows to zero
	{"INCRBYFLOAT f abc", "-ERR value is not a valid float"},
	{"INCRBYFLOAT f 1_000", "-ERR value is not a valid float"},
	{"INCRBYFLOAT f 0b1", "-ERR value is not a valid float"},
	{"INCRBYFLOAT f 1e", "-ERR value is not a valid float"},
	{"INCRBYFLOAT f .", "-ERR value is not a valid float"},
	{"INCRBYFLOAT f 0x", "-ERR value is not a valid float"},
	{"INCRBYFLOAT f 1/2", "-ERR value is not a valid float"},
	{"GET f", "$5.6"},
	{"SET s abc", "+OK"},
	{"INCRBYFLOAT s 1", "-ERR value is not a valid float"},
	{"SET s 1e5", "+OK"},
	{"INCRBYFLOAT s 0", "$100000"},
	{"SET s inf", "+OK"},
	{"INCRBYFLOAT s 1", "-ERR increment would produce NaN or Infinity"},
	{"INCRBYFLOAT s", "-ERR wrong number of arguments for 'incrbyfloat' command"},
}

func TestStringIncrByFloat(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	c.run(skFloatCases)
	c.expect("-ERR value is not a valid float", "INCRBYFLOAT", "f", " 1")
	c.expect("-ERR value is not a valid float", "INCRBYFLOAT", "f", "1 ")
	c.expect("-ERR value is not a valid float", "INCRBYFLOAT", "f", "")
	// Past a double's range, still within a long double's.
	c.expect("$"+"99999999999999999996685879655845645660560099847415567207797047994921734868838061872100126921888539320446747225054013223152134749593960583597420814430196418767959100019603190778663109604507106667939153395788938914560543563061268364901618630217086589253444881623791300855757318142424510452728255046343928578048",
		"INCRBYFLOAT", "huge", "1e308")
	if got := c.do("INCRBYFLOAT", "huge", "1e308"); !strings.HasPrefix(got, "$1999999999999999999933717593116912913211201996948311344155940959898434697376761237442002538437770786408934944501080264463042694991879211671948416288603928375359182000392063815573262192090142133358783067915778778291210871261225367298032372604341731785068897632475826017115146362848490209054565100926878571560") {
		t.Errorf("1e308 twice = %.40s...", got)
	}
	// A key keeps its TTL.
	c.run([]skStep{
		{"SET t 1 EX 100", "+OK"},
		{"INCRBYFLOAT t 1.5", "$2.5"},
		{"TTL t", ":100"},
	})
}

func TestStringAppendStrlen(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	c.run([]skStep{
		{"STRLEN k", ":0"},
		{"APPEND k hello", ":5"},
		{"APPEND k _world", ":11"},
		{"GET k", "$hello_world"},
		{"STRLEN k", ":11"},
		{"SET t ab EX 100", "+OK"},
		{"APPEND t cd", ":4"},
		{"TTL t", ":100"},
		{"SET n 10", "+OK"},
		{"APPEND n 5", ":3"},
		{"INCR n", ":106"},
		{"APPEND", "-ERR wrong number of arguments for 'append' command"},
		{"STRLEN", "-ERR wrong number of arguments for 'strlen' command"},
	})
	c.expect(":11", "APPEND", "k", "")
	// Many appends grow the value, interleaved with other keys' writes so
	// that the value moves about the store.
	var want bytes.Buffer
	for i := range 2000 {
		piece := strings.Repeat(string(rune('a'+i%26)), i%37)
		want.WriteString(piece)
		c.expect(":"+strconv.Itoa(want.Len()), "APPEND", "grow", piece)
		if i%10 == 0 {
			c.expect("+OK", "SET", "other"+strconv.Itoa(i%7), strings.Repeat("x", i))
		}
	}
	c.expect("$"+want.String(), "GET", "grow")
	c.expect(":"+strconv.Itoa(want.Len()), "STRLEN", "grow")
	// An expired key is appended to as a new one.
	ts.advance(100 * time.Second)
	c.run([]skStep{
		{"APPEND t x", ":1"},
		{"GET t", "$x"},
		{"TTL t", ":-1"},
	})
}

// skRangeCases are GETRANGE/SUBSTR and SETRANGE.
var skRangeCases = []skStep{
	{"SET s Hello_World", "+OK"},
	{"GETRANGE s 0 -1", "$Hello_World"},
	{"GETRANGE s 0 4", "$Hello"},
	{"GETRANGE s -5 -1", "$World"},
	{"GETRANGE s -3 100", "$rld"},
	{"GETRANGE s 0 100", "$Hello_World"},
	{"GETRANGE s 5 3", "$"},
	{"GETRANGE s -1 -5", "$"},
	{"GETRANGE s -100 -50", "$H"},
	{"GETRANGE s -100 2", "$Hel"},
	{"GETRANGE s 0 -100", "$H"},
	{"GETRANGE s 10 -1", "$d"},
	{"GETRANGE s 11 -1", "$"},
	{"GETRANGE s 100 200", "$"},
	{"GETRANGE s 0 9223372036854775807", "$Hello_World"},
	{"GETRANGE s -9223372036854775808 9223372036854775807", "$Hello_World"},
	{"GETRANGE s abc 1", "-ERR value is not an integer or out of range"},
	{"GETRANGE s 0 9223372036854775808", "-ERR value is not an integer or out of range"},
	{"GETRANGE nokey 0 -1", "$"},
	{"SUBSTR s 6 -1", "$World"},
	{"GETRANGE s 0", "-ERR wrong number of arguments for 'getrange' command"},
	// SETRANGE pads with zero bytes, overwrites, and grows.
	{"SETRANGE r 3 abc", ":6"},
	{"GET r", "$\x00\x00\x00abc"},
	{"SETRANGE r 1 Z", ":6"},
	{"GET r", "$\x00Z\x00abc"},
	{"SETRANGE r 4 XYZW", ":8"},
	{"GET r", "$\x00Z\x00aXYZW"},
	{"SETRANGE r 10 !", ":11"},
	{"GET r", "$\x00Z\x00aXYZW\x00\x00!"},
	{"SETRANGE s 6 Redis", ":11"},
	{"GET s", "$Hello_Redis"},
	{"SETRANGE r -1 x", "-ERR offset is out of range"},
	{"SETRANGE r abc x", "-ERR value is not an integer or out of range"},
	{"SETRANGE r 9223372036854775807 x", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
	{"SETRANGE r 536870912 x", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
	{"SETRANGE r 4294967295 x", "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"},
	{"SETRANGE r 0", "-ERR wrong number of arguments for 'setrange' command"},
	{"STRLEN r", ":11"},
	{"SET t abc EX 100", "+OK"},
	{"SETRANGE t 1 B", ":3"},
	{"GET t", "$aBc"},
	{"TTL t", ":100"},
}

func TestStringGetRangeSetRange(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	c.run(skRangeCases)
	// An empty value: the length, and a missing key is not created.
	c.expect(":0", "SETRANGE", "missing", "5", "")
	c.expect(":0", "EXISTS", "missing")
	c.expect(":0", "SETRANGE", "missing", "9223372036854775807", "")
	c.expect(":0", "EXISTS", "missing")
	c.expect(":11", "SETRANGE", "r", "100", "")
	c.expect(":11", "SETRANGE", "r", "0", "")
	// Growing a value far past its first allocation.
	c.expect(":100001", "SETRANGE", "grow", "100000", "!")
	c.expect(":100001", "STRLEN", "grow")
	c.expect("$\x00\x00!", "GETRANGE", "grow", "99998", "-1")
	c.expect("$"+strings.Repeat("\x00", 10), "GETRANGE", "grow", "0", "9")
}

func TestStringSizeLimit(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.ProtoMaxBulkLen.Store(1024) })
	c := newSKConn(t, ts)
	tooBig := "-ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	c.run([]skStep{
		{"SETRANGE k 1023 x", ":1024"},
		{"SETRANGE k 1024 x", tooBig},
		{"SETRANGE k 1023 xy", tooBig},
		{"SETRANGE new 1024 x", tooBig},
		{"EXISTS new", ":0"},
		{"SETRANGE k 9223372036854775807 x", tooBig},
		{"APPEND k x", tooBig},
		{"STRLEN k", ":1024"},
		{"SET a " + strings.Repeat("a", 1000), "+OK"},
		{"APPEND a " + strings.Repeat("b", 24), ":1024"},
		{"APPEND a b", tooBig},
	})
	c.expect(":1024", "SETRANGE", "k", "9223372036854775807", "") // nothing to write
}

// skLCSCases are LCS's replies, as redis-server 7.0.15 gives them.
var skLCSCases = []skStep{
	{"MSET key1 ohmytext key2 mynewtext", "+OK"},
	{"LCS key1 key2", "$mytext"},
	{"LCS key1 key2 LEN", ":6"},
	{"LCS key1 key2 IDX", "[$matches [[[:4 :7] [:5 :8]] [[:2 :3] [:0 :1]]] $len :6]"},
	{"LCS key1 key2 IDX MINMATCHLEN 4", "[$matches [[[:4 :7] [:5 :8]]] $len :6]"},
	{"LCS key1 key2 IDX MINMATCHLEN 4 WITHMATCHLEN", "[$matches [[[:4 :7] [:5 :8] :4]] $len :6]"},
	{"LCS key1 key2 IDX WITHMATCHLEN", "[$matches [[[:4 :7] [:5 :8] :4] [[:2 :3] [:0 :1] :2]] $len :6]"},
	{"LCS key1 key2 MINMATCHLEN -5 IDX", "[$matches [[[:4 :7] [:5 :8]] [[:2 :3] [:0 :1]]] $len :6]"},
	{"LCS key1 key2 LEN WITHMATCHLEN", ":6"},
	{"LCS key1 key2 LEN MINMATCHLEN 3", ":6"},
	{"LCS key1 key1 IDX WITHMATCHLEN", "[$matches [[[:0 :7] [:0 :7] :8]] $len :8]"},
	{"LCS key1 key2 LEN IDX", "-ERR If you want both the length and indexes, please just use IDX."},
	{"LCS key1 key2 IDX LEN", "-ERR If you want both the length and indexes, please just use IDX."},
	{"LCS key1 key2 MINMATCHLEN", "-ERR syntax error"},
	{"LCS key1 key2 MINMATCHLEN abc", "-ERR value is not an integer or out of range"},
	{"LCS key1 key2 FOO", "-ERR syntax error"},
	{"LCS key1", "-ERR wrong number of arguments for 'lcs' command"},
	{"LCS key1 nokey", "$"},
	{"LCS key1 nokey IDX", "[$matches [] $len :0]"},
	{"LCS nokey1 nokey2 LEN", ":0"},
	{"MSET x1 ABCBDAB x2 BDCABA", "+OK"},
	{"LCS x1 x2", "$BDAB"},
	{"LCS x1 x2 IDX WITHMATCHLEN", "[$matches [[[:5 :6] [:3 :4] :2] [[:3 :4] [:0 :1] :2]] $len :4]"},
	{"LCS x2 x1 IDX WITHMATCHLEN", "[$matches [[[:5 :5] [:5 :5] :1] [[:4 :4] [:3 :3] :1] [[:2 :2] [:2 :2] :1] [[:0 :0] [:1 :1] :1]] $len :4]"},
	{"MSET y1 aaaaaaaaaa y2 aaa", "+OK"},
	{"LCS y1 y2 IDX", "[$matches [[[:7 :9] [:0 :2]]] $len :3]"},
	{"LCS y2 y1 IDX", "[$matches [[[:0 :2] [:7 :9]]] $len :3]"},
	{"MSET z1 the_quick_brown_fox z2 a_quick_brown_dog_jumps", "+OK"},
	{"LCS z1 z2", "$_quick_brown_o"},
	{"LCS z1 z2 IDX MINMATCHLEN 2 WITHMATCHLEN", "[$matches [[[:3 :15] [:1 :13] :13]] $len :14]"},
	{"LCS z1 z2 IDX", "[$matches [[[:17 :17] [:15 :15]] [[:3 :15] [:1 :13]]] $len :14]"},
}

func TestStringLCS(t *testing.T) {
	ts := startServer(t)
	newSKConn(t, ts).run(skLCSCases)
}

func TestStringBinarySafe(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	key := "k\x00ey\r\n"
	val := "a\x00b\r\nc\r\n\x00\xff$3\r\n"
	c.expect("+OK", "SET", key, val)
	c.expect("$"+val, "GET", key)
	c.expect("(nil)", "GET", "k")
	c.expect(":"+strconv.Itoa(len(val)), "STRLEN", key)
	c.expect("$\x00b\r\n", "GETRANGE", key, "1", "4")
	c.expect(":"+strconv.Itoa(len(val)+3), "APPEND", key, "\r\n\x00")
	c.expect("$"+val+"\r\n\x00", "GET", key)
	c.expect("+OK", "MSET", "\x00", "\r\n", "\r\n", "\x00")
	c.expect("[$\r\n $\x00 (nil)]", "MGET", "\x00", "\r\n", "\n")
	c.expect(":1", "EXISTS", key)
	c.expect("[$"+key+"]", "KEYS", "k?ey*")
	// go-redis agrees, byte for byte.
	rc := ts.client(t)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if err := rc.Set(ctx, string(all), all, 0).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := rc.Get(ctx, string(all)).Bytes()
	if err != nil || !bytes.Equal(got, all) {
		t.Fatalf("GET all bytes = %q, %v", got, err)
	}
}

func TestStringLargeValues(t *testing.T) {
	ts := startServer(t)
	rc := ts.client(t)
	for _, size := range []int{1 << 20, 10 << 20} {
		val := make([]byte, size)
		for i := range val {
			val[i] = byte(i*7 + i>>11)
		}
		key := "big" + strconv.Itoa(size)
		if err := rc.Set(ctx, key, val, 0).Err(); err != nil {
			t.Fatalf("SET %d bytes: %v", size, err)
		}
		got, err := rc.Get(ctx, key).Bytes()
		if err != nil || !bytes.Equal(got, val) {
			t.Fatalf("GET %d bytes: len %d, err %v", size, len(got), err)
		}
		if n, err := rc.StrLen(ctx, key).Result(); err != nil || n != int64(size) {
			t.Fatalf("STRLEN = %d, %v", n, err)
		}
		if s, err := rc.GetRange(ctx, key, int64(size-3), -1).Result(); err != nil || s != string(val[size-3:]) {
			t.Fatalf("GETRANGE tail = %q, %v", s, err)
		}
		// Overwrite with a smaller value, then append past the old size.
		if err := rc.Set(ctx, key, "small", 0).Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := rc.Append(ctx, key, string(val)).Result(); err != nil || n != int64(size+5) {
			t.Fatalf("APPEND = %d, %v", n, err)
		}
		got, err = rc.Get(ctx, key).Bytes()
		if err != nil || !bytes.Equal(got[5:], val) || string(got[:5]) != "small" {
			t.Fatalf("GET after APPEND: len %d, err %v", len(got), err)
		}
	}
	if n, _ := rc.DBSize(ctx).Result(); n != 2 {
		t.Fatalf("DBSIZE = %d, want 2", n)
	}
}
