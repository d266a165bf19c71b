package protocol

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// TestDifferentialAgainstRedis sends the same command lines to cachesrv
// and to a real redis-server and compares the raw replies byte for byte,
// in RESP2 and in RESP3 (runDifferential).
func TestDifferentialAgainstRedis(t *testing.T) {
	runDifferential(t, differentialScript, 150, func(t *testing.T, ours, theirs *respConn) {
		// SCAN's cursors differ by design; a full iteration must find
		// the same keys.
		if g, w := scanAll(t, ours), scanAll(t, theirs); !slices.Equal(g, w) {
			t.Errorf("SCAN iteration:\n  cachesrv: %q\n  redis:    %q", g, w)
		}
	})
}

// differentialProtocols are the protocol versions every corpus runs in.
// RESP3 is a connection that sent HELLO 3 first, on both servers.
var differentialProtocols = []int{2, 3}

// runDifferential is the harness every differential corpus calls: it
// starts one redis-server and one cachesrv and runs script (one command
// per line, as differentialScript) once per protocol of
// differentialProtocols, as subtests "resp2" and "resp3", each on new
// connections after a FLUSHALL. Each run must compare at least
// minCompared lines. after, if given, runs at the end of each run with
// the run's connections (for checks a line cannot express). The RESP3
// run accepts no difference the RESP2 run does not: the same lines are
// left out of the corpora for the same reasons, and nothing else.
func runDifferential(t *testing.T, script string, minCompared int, after ...func(t *testing.T, ours, theirs *respConn)) {
	t.Helper()
	redisAddr := servertest.RedisServer(t)
	ts := startServer(t)
	for _, proto := range differentialProtocols {
		t.Run(fmt.Sprintf("resp%d", proto), func(t *testing.T) {
			ours := dialRESPProto(t, ts.addr, proto)
			theirs := dialRESPProto(t, redisAddr, proto)
			ours.exchange("FLUSHALL")
			theirs.exchange("FLUSHALL")
			if compared := compareScript(t, ours, theirs, script); compared < minCompared {
				t.Fatalf("compared only %d commands", compared)
			}
			for _, f := range after {
				f(t, ours, theirs)
			}
		})
	}
}

// compareScript sends each line of script to both connections, reports
// every reply that differs and returns how many lines it compared.
// KEYS replies, and RESP3 sets (SMEMBERS and the like), are compared with
// their elements sorted: their order is each server's hash table's.
func compareScript(t *testing.T, ours, theirs *respConn, script string) int {
	t.Helper()
	compared := 0
	for n, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		args, err := splitCommandLine(line)
		if err != nil {
			t.Fatalf("script line %d %q: %v", n+1, line, err)
		}
		got, want := ours.exchange(args...), theirs.exchange(args...)
		if strings.EqualFold(args[0], "keys") || strings.HasPrefix(want, "~") {
			got, want = sortedArrayReply(t, got), sortedArrayReply(t, want)
		}
		if got != want {
			t.Errorf("line %d: %s\n  cachesrv: %q\n  redis:    %q", n+1, line, got, want)
		}
		compared++
	}
	return compared
}

// differentialScript is one command per line, arguments split on spaces;
// a double-quoted argument is a Go string literal ("a b", "\xff").
//
// Left out on purpose, because the replies differ by design:
//   - INFO, CLIENT ID/LIST/INFO, TIME, COMMAND, HELLO, CONFIG, RANDOMKEY:
//     server identity, clock, ids, ports and command tables differ
//     (resp3_test.go compares HELLO with the id and version blanked, a
//     few CONFIG GETs, and the shapes of INFO, CLIENT INFO and COMMAND).
//   - SELECT n, SWAPDB, MOVE and COPY ... DB n: differential_db_test.go
//     compares them.
//   - TTL/PTTL of keys with an expiry: they depend on the wall clock (the
//     test server runs on a clock of its own); EXPIRETIME after EXAT and
//     the -1/-2 cases are compared instead.
//   - INCRBYFLOAT results beyond float64's range (e.g. 1.0e400): Redis
//     computes in long double, cachesrv in float64 ("ERR increment would
//     produce NaN or Infinity").
//   - SCAN with a negative cursor: Redis parses cursors with strtoul, so
//     "-1" wraps to 2^64-1; cachesrv answers "ERR invalid cursor". Cursors
//     are opaque, so only the error case would differ.
//   - An unknown command whose arguments are not valid UTF-8: cachesrv's
//     error preview (clip in command.go) turns each invalid byte into
//     U+FFFD, Redis copies the bytes. A cachesrv bug, reported; not fixed
//     here (command.go is not this test's to change).
//   - KEYS is compared with the elements sorted.
const differentialScript = `
# --- PING, ECHO, SELECT, unknown commands, arity ---
PING
PING hello
PING a b
ECHO "hello world"
ECHO
ECHO a b
SELECT 0
SELECT abc
SELECT -1
SELECT 99999999999999999999
SELECT
nosuchcommand
nosuchcommand a b "c d"
GET k extra
GET
SET k
GETRANGE k 0
SETRANGE k
LCS a
COPY a
RENAME
EXPIRE a
TTL a b
MSET a
MSETNX a
MGET
DEL
EXISTS
STRLEN
APPEND a
INCR
INCRBY a
DECR a b
SETEX a 1
PSETEX a
GETEX
GETDEL
GETSET a
KEYS
KEYS a b
SCAN
DBSIZE x
FLUSHALL async extra
FLUSHDB foo

# --- SET and its options ---
SET k v
GET k
GET missing
SET k v2 NX
SET k v2 XX
SET k2 v2 XX
SET k2 v2 NX
SET k v3 GET
SET knew v GET
SET k v NX XX
SET k v nx get
SET k v2 xx get
SET k v EX 1000 PX 1000
SET k v EX 0
SET k v EX -5
SET k v EX abc
SET k v EX
SET k v foo
SET k v PX 9223372036854775807
SET k v EX 9223372036854775807
SET k v EX 10000000000000000
SET k v EXAT 1
EXISTS k
SET k v EXAT 0
SET k v PXAT -1
SET k v EXAT 4102444800
EXPIRETIME k
PEXPIRETIME k
SET k v PXAT 4102444800123
PEXPIRETIME k
SET k v KEEPTTL
PEXPIRETIME k
SET k v EX 100 KEEPTTL
SET k v KEEPTTL EX 100
SET k v
TTL k
PTTL k
TTL missing
PTTL missing
EXPIRETIME k
EXPIRETIME missing
SET bin "\x00\xff\r\nend"
GET bin
STRLEN bin
SET empty ""
GET empty
STRLEN empty

# --- SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX ---
SETNX k x
SETNX newk x
SETEX sk 100 v
SETEX sk 0 v
SETEX sk -1 v
SETEX sk abc v
SETEX sk 9223372036854775807 v
PSETEX psk 100000 v
PSETEX psk 0 v
GETSET k newv
GETSET gs x
GETDEL gs
GETDEL gs
GETEX k
GETEX k EXAT 4102444800
EXPIRETIME k
GETEX k PERSIST
TTL k
GETEX k EX 0
GETEX k EX abc
GETEX k foo
GETEX k EX 10 PX 10
GETEX k KEEPTTL
GETEX missing EX 100
GETEX k PXAT 1
EXISTS k

# --- MSET, MGET, MSETNX ---
MSET a 1 b 2 c 3
MSET a 1 b
MGET a b c missing
MSET k1 v1 k2 v2 k1 v3
MGET k1 k2
MSETNX a 1 z 26
MSETNX y 25 z 26
MSETNX y 25 z
MGET y z
MSETNX k3 a k3 b
GET k3

# --- INCR family, overflow, not-an-integer ---
INCR cnt
INCR cnt
INCRBY cnt 10
INCRBY cnt abc
INCRBY cnt 9223372036854775807
DECR cnt
DECRBY cnt 5
DECRBY cnt -9223372036854775808
DECRBY cnt 9223372036854775808
SET big 9223372036854775807
INCR big
SET small -9223372036854775808
DECR small
INCR bin
SET spaced " 12"
INCR spaced
SET lz 012
INCR lz
INCRBY cnt ""
INCRBY cnt " 1"
INCRBY cnt 1.5
INCRBY cnt +1
INCRBY cnt -0
INCRBY cnt 00
DECRBY cnt 0x10
INCR empty
INCRBYFLOAT fl 1.5
INCRBYFLOAT fl 1e2
INCRBYFLOAT fl abc
INCRBYFLOAT fl inf
INCRBYFLOAT fl 0.1
INCRBYFLOAT bin 1
SET fl2 5.0e3
INCRBYFLOAT fl2 1
INCRBYFLOAT fl2 -5001
SET x 10
INCRBYFLOAT x 0.5
INCRBYFLOAT x -0.5
GET x
INCRBYFLOAT x " 1"
INCRBYFLOAT x "1 "
INCRBYFLOAT x ""

# --- APPEND, STRLEN, GETRANGE, SETRANGE ---
APPEND ap hello
APPEND ap " world"
GET ap
STRLEN ap
STRLEN missing
GETRANGE ap 0 4
GETRANGE ap -5 -1
GETRANGE ap 0 -1
GETRANGE ap 5 2
GETRANGE ap -1 -5
GETRANGE ap 100 200
GETRANGE ap -100 2
GETRANGE ap 0 100
GETRANGE missing 0 10
GETRANGE ap a b
GETRANGE ap 9223372036854775807 9223372036854775807
GETRANGE ap -9223372036854775808 9223372036854775807
SUBSTR ap 0 2
SETRANGE sr 5 hi
GET sr
SETRANGE sr 0 HE
GET sr
SETRANGE sr -1 x
SETRANGE sr 0 ""
SETRANGE missing2 0 ""
EXISTS missing2
SETRANGE sr abc x
SETRANGE sr 536870912 x
SET e ""
SETRANGE e 3 abc
GET e
GETRANGE e 1 1

# --- LCS ---
SET lcs1 ohmytext
SET lcs2 mynewtext
LCS lcs1 lcs2
LCS lcs1 lcs2 LEN
LCS lcs1 lcs2 IDX
LCS lcs1 lcs2 IDX MINMATCHLEN 4
LCS lcs1 lcs2 IDX WITHMATCHLEN
LCS lcs1 lcs2 IDX MINMATCHLEN 4 WITHMATCHLEN
LCS lcs1 lcs2 LEN IDX
LCS lcs1 lcs2 foo
LCS lcs1 missing
LCS missing missing2
LCS lcs1 lcs2 MINMATCHLEN
LCS lcs1 lcs2 MINMATCHLEN abc
LCS lcs1 lcs2 IDX MINMATCHLEN -1

# --- keys: DEL, EXISTS, TYPE, KEYS ---
DEL a b c missing
DEL k1 k1 k2
EXISTS y z y missing
UNLINK y
TOUCH z missing
TYPE z
TYPE missing
KEYS *
KEYS k*
KEYS l?s[0-9]
KEYS nomatch*

# --- expiry: EXPIRE family with NX/XX/GT/LT, PERSIST ---
EXPIRE z 1000
EXPIRE z 1000 NX
EXPIRE z 2000 XX
EXPIRE z 500 GT
EXPIRE z 5000 LT
EXPIRE z 1000 NX XX
EXPIRE z 1000 GT LT
EXPIRE z 1000 foo
EXPIRE z abc
EXPIRE missing 100
EXPIRE z 9223372036854775807
EXPIRE z -9223372036854775808
PEXPIRE z 9223372036854775807
EXPIREAT z 4102444800
EXPIRETIME z
PEXPIREAT z 4102444800000
PEXPIRETIME z
EXPIREAT z 4102444900 GT
EXPIRETIME z
EXPIREAT z 4102444700 GT
PERSIST z
PERSIST z
PERSIST missing
TTL z
EXPIRE z 0
EXISTS z
SET z v
EXPIREAT z 1
EXISTS z
SET z v
PEXPIRE z -1
EXISTS z
SET z v
EXPIREAT z -1
EXISTS z
SET z v
EXPIRE z 10 GT
EXPIRE z 10 LT
PERSIST z

# --- RENAME, RENAMENX, COPY ---
SET r1 v1
RENAME r1 r2
GET r2
RENAME r1 r3
RENAME r2 r2
RENAMENX r2 r2
SET r4 v4
RENAMENX r2 r4
RENAMENX r2 r5
RENAMENX missing x
SET rt v EXAT 4102444800
RENAME rt rt2
EXPIRETIME rt2
SET src srcv
COPY src dst
COPY src dst
COPY src dst REPLACE
COPY src src
COPY missing dst
COPY src dst DB 0 REPLACE
COPY src dst2 DB abc
COPY src dst2 foo
COPY src dst2 DB
COPY rt2 rt3
EXPIRETIME rt3
DBSIZE

# --- MULTI / EXEC / DISCARD / EXECABORT / WATCH ---
MULTI
SET m1 v
INCR m1
GET m1
EXEC
MULTI
SET m2 v
badcmd
EXEC
MULTI
SET m2
EXEC
GET m2
MULTI
DISCARD
DISCARD
EXEC
MULTI
MULTI
DISCARD
WATCH k
UNWATCH
MULTI
WATCH k
DISCARD
WATCH m1
MULTI
GET m1
EXEC
MULTI
PING
ECHO x
SELECT 0
EXEC
MULTI
EXEC
FLUSHDB async
FLUSHALL sync
DBSIZE
# No latency events: Redis's latency-monitor-threshold is 0 by default.
LATENCY LATEST
LATENCY RESET
LATENCY RESET command
LATENCY LATEST x
LATENCY NOSUCH
`

// respConn is a raw RESP connection that reads whole replies.
type respConn struct {
	t    testing.TB
	conn net.Conn
	rd   *bufio.Reader
}

func dialRESP(t testing.TB, addr string) *respConn {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &respConn{t: t, conn: conn, rd: bufio.NewReader(conn)}
}

// dialRESPProto is dialRESP speaking protocol proto: for 3 it sends
// HELLO 3 first and checks that the reply is RESP3's map.
func dialRESPProto(t testing.TB, addr string, proto int) *respConn {
	t.Helper()
	c := dialRESP(t, addr)
	if proto != 2 {
		if reply := c.exchange("HELLO", strconv.Itoa(proto)); !strings.HasPrefix(reply, "%") {
			t.Fatalf("HELLO %d to %s: %q", proto, addr, reply)
		}
	}
	return c
}

// exchange sends one command as a RESP array and returns the raw reply.
func (c *respConn) exchange(args ...string) string {
	c.t.Helper()
	// A guard against a hang, not a timing check: generous, since a large
	// reply under -race on a loaded machine can take seconds.
	c.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c.conn, respCommand(args...)); err != nil {
		c.t.Fatalf("%q: write: %v", args, err)
	}
	reply, err := readRESP(c.rd)
	if err != nil {
		c.t.Fatalf("%q: read: %v (got %q)", args, err, reply)
	}
	return reply
}

// respCommand encodes args as a RESP array of bulk strings.
func respCommand(args ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.String()
}

// readRESP reads one complete reply of any type, nested arrays included,
// and returns its bytes as they came.
func readRESP(rd *bufio.Reader) (string, error) {
	line, err := rd.ReadString('\n')
	if err != nil {
		return line, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return line, fmt.Errorf("malformed reply line %q", line)
	}
	switch line[0] {
	case '+', '-', ':', '_', ',', '#', '(':
		return line, nil
	case '$', '!', '=':
		n, err := strconv.Atoi(line[1 : len(line)-2])
		if err != nil {
			return line, err
		}
		if n < 0 {
			return line, nil
		}
		body := make([]byte, n+2)
		if _, err := io.ReadFull(rd, body); err != nil {
			return line, err
		}
		return line + string(body), nil
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(line[1 : len(line)-2])
		if err != nil {
			return line, err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		out := line
		for i := 0; i < n; i++ {
			elem, err := readRESP(rd)
			out += elem
			if err != nil {
				return out, err
			}
		}
		return out, nil
	}
	return line, fmt.Errorf("unknown reply type in %q", line)
}

// parseArrayReply splits a raw reply that is a flat array (or a RESP3
// set) into its raw elements.
func parseArrayReply(t testing.TB, raw string) []string {
	t.Helper()
	rd := bufio.NewReader(strings.NewReader(raw))
	header, err := rd.ReadString('\n')
	if err != nil || header[0] != '*' && header[0] != '~' {
		t.Fatalf("not an array reply: %q", raw)
	}
	n, _ := strconv.Atoi(strings.TrimSpace(header[1:]))
	elems := make([]string, 0, max(n, 0))
	for i := 0; i < n; i++ {
		e, err := readRESP(rd)
		if err != nil {
			t.Fatalf("bad array reply %q: %v", raw, err)
		}
		elems = append(elems, e)
	}
	return elems
}

// sortedArrayReply re-encodes an array or RESP3 set reply with its
// elements sorted; other replies are returned unchanged.
func sortedArrayReply(t testing.TB, raw string) string {
	if !strings.HasPrefix(raw, "*") && !strings.HasPrefix(raw, "~") || strings.HasPrefix(raw, "*-1") {
		return raw
	}
	elems := parseArrayReply(t, raw)
	slices.Sort(elems)
	return fmt.Sprintf("%c%d\r\n", raw[0], len(elems)) + strings.Join(elems, "")
}

// scanAll iterates SCAN to the end and returns the keys found, sorted.
func scanAll(t testing.TB, c *respConn) []string {
	t.Helper()
	cursor := "0"
	var keys []string
	for i := 0; ; i++ {
		if i > 10000 {
			t.Fatal("SCAN does not terminate")
		}
		elems := parseArrayReply(t, c.exchange("SCAN", cursor, "COUNT", "7"))
		if len(elems) != 2 {
			t.Fatalf("SCAN reply has %d elements", len(elems))
		}
		cursor = bulkValue(t, elems[0])
		for _, k := range parseArrayReply(t, elems[1]) {
			keys = append(keys, bulkValue(t, k))
		}
		if cursor == "0" {
			break
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// bulkValue decodes a raw bulk string reply.
func bulkValue(t testing.TB, raw string) string {
	t.Helper()
	if !strings.HasPrefix(raw, "$") {
		t.Fatalf("not a bulk reply: %q", raw)
	}
	_, body, _ := strings.Cut(raw, "\r\n")
	return strings.TrimSuffix(body, "\r\n")
}

// splitCommandLine splits a script line on spaces; an argument in double
// quotes is a Go string literal, so it may hold spaces and any byte.
func splitCommandLine(line string) ([]string, error) {
	var args []string
	for i := 0; i < len(line); {
		switch {
		case line[i] == ' ':
			i++
		case line[i] == '"':
			j := i + 1
			for ; j < len(line) && line[j] != '"'; j++ {
				if line[j] == '\\' {
					j++
				}
			}
			if j >= len(line) {
				return nil, fmt.Errorf("unterminated quote")
			}
			s, err := strconv.Unquote(line[i : j+1])
			if err != nil {
				return nil, err
			}
			args = append(args, s)
			i = j + 1
		default:
			j := strings.IndexByte(line[i:], ' ')
			if j < 0 {
				j = len(line) - i
			}
			args = append(args, line[i:i+j])
			i += j
		}
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("empty command")
	}
	return args, nil
}
