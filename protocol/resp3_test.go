package protocol

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

// RESP3: HELLO 3 switches a connection, and every reply is then written
// in RESP3's types where Redis 7.0 uses them. These tests compare with a
// real redis-server byte for byte where the bytes can agree, and by the
// reply's shape (its types and sizes) where they cannot (ids, versions,
// clocks); and they check that real RESP3 clients (go-redis with
// Protocol 3, rueidis, redis-cli -3) parse what cachesrv sends.

// identity matches what differs by design between the two servers in a
// HELLO reply or CLIENT INFO line: the connection's id, the version, and
// the fields of CLIENT INFO that are the server's own.
var identity = regexp.MustCompile(`(\$2\r\nid\r\n:)\d+|(\$7\r\nversion\r\n)\$\d+\r\n[0-9.]+\r\n`)

func normalizeIdentity(raw string) string {
	return identity.ReplaceAllString(raw, "${1}${2}N")
}

// TestHelloAgainstRedis: HELLO's replies and errors, the protocol switch
// (a failed HELLO leaves the protocol as it was) and RESET's switch back
// to RESP2, compared with redis-server on one connection each.
func TestHelloAgainstRedis(t *testing.T) {
	redisAddr := servertest.RedisServer(t)
	ts := startServer(t)
	ours, theirs := dialRESP(t, ts.addr), dialRESP(t, redisAddr)
	script := [][]string{
		{"HELLO"}, // RESP2's flat array
		{"GET", "missing"},
		{"HELLO", "3"}, // RESP3's map
		{"GET", "missing"},
		{"HELLO"}, // stays RESP3
		{"HELLO", "1"}, {"HELLO", "4"}, {"HELLO", "0"}, {"HELLO", "-1"},
		{"HELLO", "abc"}, {"HELLO", "99999999999999999999"},
		{"HELLO", "3", "SETNAME"}, {"HELLO", "3", "foo"}, {"HELLO", "2", "AUTH", "a"},
		{"HELLO", "2", "SETNAME", "a b"}, // refused name: nothing changes
		{"GET", "missing"},               // still RESP3
		{"HELLO", "2", "SETNAME", "conn1"},
		{"GET", "missing"},
		{"CLIENT", "GETNAME"},
		{"HELLO", "3", "AUTH", "default", "anything"}, // the default user has nopass
		{"MGET", "missing", "missing2"},
		{"RESET"},
		{"GET", "missing"}, // RESET went back to RESP2
		{"CLIENT", "GETNAME"},
	}
	for _, args := range script {
		got, want := normalizeIdentity(ours.exchange(args...)), normalizeIdentity(theirs.exchange(args...))
		if got != want {
			t.Errorf("%q:\n  cachesrv: %q\n  redis:    %q", args, got, want)
		}
	}
}

// TestHelloAuthAgainstRedis: HELLO's AUTH option with requirepass set:
// refused before AUTH, a wrong password changes nothing (neither the
// protocol nor who the connection is), the right one switches.
func TestHelloAuthAgainstRedis(t *testing.T) {
	redisAddr := servertest.RedisServer(t) // it waits for PING: the password comes after
	if got := dialRESP(t, redisAddr).exchange("CONFIG", "SET", "requirepass", "pw"); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET requirepass: %q", got)
	}
	ts := startServer(t, withPassword("pw"))
	ours, theirs := dialRESP(t, ts.addr), dialRESP(t, redisAddr)
	for _, args := range [][]string{
		{"HELLO", "3"},
		{"HELLO", "3", "AUTH", "default", "wrong"},
		{"GET", "x"},
		{"HELLO", "3", "AUTH", "default", "pw", "SETNAME", "n1"},
		{"GET", "x"},
		{"HELLO", "2", "AUTH", "default", "wrong"},
		{"GET", "x"}, // still RESP3, still authenticated
		{"CLIENT", "GETNAME"},
		{"HELLO", "2", "AUTH", "nosuch", "pw"},
		{"RESET"},
		{"GET", "x"}, // RESET: RESP2 and not authenticated
	} {
		got, want := normalizeIdentity(ours.exchange(args...)), normalizeIdentity(theirs.exchange(args...))
		if got != want {
			t.Errorf("%q:\n  cachesrv: %q\n  redis:    %q", args, got, want)
		}
	}
}

// resp3Script is a differential corpus (runDifferential runs it in RESP2
// and in RESP3) of replies whose RESP3 types differ from RESP2's and that
// differentialScript leaves out: CONFIG GET (a map), ACL GETUSER (a map
// with a set), COMMAND INFO/DOCS of unknown commands, nulls.
const resp3Script = `
CONFIG GET maxmemory
CONFIG GET timeout
CONFIG GET nosuch
ACL GETUSER default
ACL GETUSER nosuch
ACL SETUSER alice on >pw ~k* +get
ACL GETUSER alice
ACL DELUSER alice
COMMAND DOCS nosuch
COMMAND INFO nosuch
CLIENT GETNAME
MEMORY USAGE nosuch
GET nosuch
MGET nosuch a
SET a 1
MGET nosuch a
SET k v GET
GETDEL nosuch
GETEX nosuch
INCRBYFLOAT fl 1.5
INCRBYFLOAT fl 1e3
SET lcs1 ohmytext
SET lcs2 mynewtext
LCS lcs1 lcs2 IDX MINMATCHLEN 2 WITHMATCHLEN
LCS lcs1 nosuch IDX
LATENCY LATEST
`

func TestRESP3DifferentialAgainstRedis(t *testing.T) {
	runDifferential(t, resp3Script, 20)
}

// replyShape renders a raw reply as its types and sizes without the
// scalars' contents: "%2[$ : ~1[$]]". Verbatim strings show their format.
func replyShape(t testing.TB, raw string) string {
	t.Helper()
	var b strings.Builder
	rd := bufio.NewReader(strings.NewReader(raw))
	var walk func()
	walk = func() {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("shape of %q: %v", raw, err)
		}
		kind, body := line[0], strings.TrimSuffix(line[1:], "\r\n")
		switch kind {
		case '$', '=', '!':
			n, _ := strconv.Atoi(body)
			data := make([]byte, max(n+2, 0))
			if _, err := io.ReadFull(rd, data); err != nil {
				t.Fatalf("shape of %q: %v", raw, err)
			}
			b.WriteByte(kind)
			if kind == '=' {
				b.WriteString(string(data[:4]))
			}
		case '*', '~', '%', '>', '|':
			n, _ := strconv.Atoi(body)
			fmt.Fprintf(&b, "%c%d[", kind, n)
			if kind == '%' || kind == '|' {
				n *= 2
			}
			for i := range n {
				if i > 0 {
					b.WriteByte(' ')
				}
				walk()
			}
			b.WriteByte(']')
		default:
			b.WriteByte(kind)
		}
	}
	walk()
	return b.String()
}

// TestRESP3ShapesAgainstRedis: replies whose contents differ by design
// (server identity, clock, ids) have Redis's types in RESP3: HELLO's
// map, INFO's and CLIENT INFO/LIST's verbatim strings, ACL LOG's maps
// with a double, EXEC's null when a WATCHed key changed, COMMAND INFO's
// sets.
func TestRESP3ShapesAgainstRedis(t *testing.T) {
	redisAddr := servertest.RedisServer(t)
	ts := startServer(t)
	for _, addr := range []string{ts.addr, redisAddr} {
		c := dialRESP(t, addr)
		c.exchange("FLUSHALL")
		c.exchange("ACL", "LOG", "RESET")
		c.exchange("AUTH", "nosuchuser", "pw") // an ACL LOG entry
	}
	ours, theirs := dialRESPProto(t, ts.addr, 3), dialRESPProto(t, redisAddr, 3)
	for _, args := range [][]string{
		{"HELLO", "3"},
		{"HELLO", "3", "SETNAME", "shaped"},
		{"INFO", "server"},
		{"INFO", "keyspace"},
		{"CLIENT", "INFO"},
		{"CLIENT", "LIST", "TYPE", "normal"},
		{"CLIENT", "LIST", "ID", "999999"},
		{"ACL", "LOG", "1"},
		{"COMMAND", "INFO", "client|getname"},
		{"COMMAND", "DOCS", "echo"},
		{"COMMAND", "DOCS", "client|getname"},
		{"CONFIG", "GET", "maxmemory"},
	} {
		got, want := replyShape(t, ours.exchange(args...)), replyShape(t, theirs.exchange(args...))
		if got != want {
			t.Errorf("%q:\n  cachesrv: %s\n  redis:    %s", args, got, want)
		}
	}
	// EXEC after a WATCHed key changed is RESP3's null.
	for _, addr := range []string{ts.addr, redisAddr} {
		c, other := dialRESPProto(t, addr, 3), dialRESP(t, addr)
		c.exchange("WATCH", "w")
		other.exchange("SET", "w", "changed")
		c.exchange("MULTI")
		c.exchange("GET", "w")
		if got := c.exchange("EXEC"); got != "_\r\n" {
			t.Errorf("%s: EXEC after the watched key changed = %q, want _", addr, got)
		}
	}
	// CLIENT LIST, on another connection, tells the RESP3 client's
	// protocol.
	list := dialRESP(t, ts.addr).exchange("CLIENT", "LIST")
	if !strings.Contains(list, "name=shaped ") || !regexp.MustCompile(`name=shaped [^\n]* resp=3 `).MatchString(list) {
		t.Errorf("CLIENT LIST does not show the RESP3 client with resp=3:\n%s", list)
	}
	if info := dialRESP(t, ts.addr).exchange("CLIENT", "INFO"); !strings.HasPrefix(info, "$") || !strings.Contains(info, " resp=2 ") {
		t.Errorf("a RESP2 client's CLIENT INFO: %q", info)
	}
}

// TestGoRedisRESP3 runs a spread of commands through go-redis speaking
// RESP3 (it sends HELLO 3 on connect) and checks the parsed results.
func TestGoRedisRESP3(t *testing.T) {
	ts := startServer(t)
	c := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 3, MaxRetries: -1, ClientName: "gr3"})
	t.Cleanup(func() { c.Close() })

	hello, err := c.Do(ctx, "HELLO", "3").Result()
	m, ok := hello.(map[any]any)
	if err != nil || !ok || m["proto"] != int64(3) || m["server"] != "redis" || m["mode"] != "standalone" {
		t.Fatalf("HELLO 3 = %#v, %v", hello, err)
	}
	if err := c.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET k = %q, %v", v, err)
	}
	if err := c.Get(ctx, "missing").Err(); err != redis.Nil {
		t.Fatalf("GET missing: %v, want redis.Nil", err)
	}
	if vals, err := c.MGet(ctx, "k", "missing").Result(); err != nil || len(vals) != 2 || vals[0] != "v" || vals[1] != nil {
		t.Fatalf("MGET = %#v, %v", vals, err)
	}
	if f, err := c.IncrByFloat(ctx, "f", 2.5).Result(); err != nil || f != 2.5 {
		t.Fatalf("INCRBYFLOAT = %v, %v", f, err)
	}
	if n, err := c.Exists(ctx, "k", "f", "missing").Result(); err != nil || n != 2 {
		t.Fatalf("EXISTS = %d, %v", n, err)
	}
	if ttl, err := c.TTL(ctx, "k").Result(); err != nil || ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL = %v, %v", ttl, err)
	}
	if keys, err := c.Keys(ctx, "*").Result(); err != nil || len(keys) != 2 {
		t.Fatalf("KEYS = %v, %v", keys, err)
	}
	c.Set(ctx, "lcs1", "ohmytext", 0)
	c.Set(ctx, "lcs2", "mynewtext", 0)
	lcs, err := c.LCS(ctx, &redis.LCSQuery{Key1: "lcs1", Key2: "lcs2", Idx: true, WithMatchLen: true}).Result()
	if err != nil || lcs.Len != 6 || len(lcs.Matches) != 2 || lcs.Matches[0].MatchLen != 4 {
		t.Fatalf("LCS IDX = %+v, %v", lcs, err)
	}
	if cfg, err := c.ConfigGet(ctx, "maxmemory*").Result(); err != nil || cfg["maxmemory"] != "0" || len(cfg) < 3 {
		t.Fatalf("CONFIG GET = %v, %v", cfg, err)
	}
	info, err := c.Info(ctx, "server").Result()
	if err != nil || !strings.HasPrefix(info, "# Server\r\n") || !strings.Contains(info, "redis_version:") {
		t.Fatalf("INFO = %q, %v", info, err)
	}
	ci, err := c.ClientInfo(ctx).Result()
	if err != nil || ci.Name != "gr3" || ci.Resp != 3 {
		t.Fatalf("CLIENT INFO = %+v, %v", ci, err)
	}
	if list, err := c.ClientList(ctx).Result(); err != nil || !strings.Contains(list, "name=gr3 ") {
		t.Fatalf("CLIENT LIST = %q, %v", list, err)
	}
	docs, err := c.Do(ctx, "COMMAND", "DOCS", "get").Result()
	if get, ok := docs.(map[any]any)["get"].(map[any]any); err != nil || !ok || get["group"] != "string" || get["since"] != "1.0.0" {
		t.Fatalf("COMMAND DOCS = %#v, %v", docs, err)
	}
	cmds, err := c.Command(ctx).Result()
	if err != nil || cmds["get"] == nil || cmds["get"].Arity != 2 || !cmds["get"].ReadOnly || cmds["client"] == nil || len(cmds["get"].ACLFlags) != 3 {
		t.Fatalf("COMMAND: %v; get = %+v", err, cmds["get"])
	}
	// ACL GETUSER: a map whose flags are a set (go-redis: a []any).
	u, err := c.Do(ctx, "ACL", "GETUSER", "default").Result()
	if flags, ok := u.(map[any]any)["flags"].([]any); err != nil || !ok || fmt.Sprint(flags) != "[on nopass]" {
		t.Fatalf("ACL GETUSER = %#v, %v", u, err)
	}
	bad := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 3, Username: "nosuch", Password: "x", MaxRetries: -1})
	bad.Ping(ctx) // fails: an ACL LOG entry
	bad.Close()
	if entries, err := c.ACLLog(ctx, 1).Result(); err != nil || len(entries) != 1 || entries[0].Username != "nosuch" || entries[0].AgeSeconds < 0 {
		t.Fatalf("ACL LOG = %+v, %v", entries, err)
	}

	// MULTI/EXEC, and the null EXEC of a transaction whose WATCHed key
	// changed.
	res, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "n")
		p.Get(ctx, "missing")
		p.Set(ctx, "k2", "v2", 0)
		return nil
	})
	if err != redis.Nil || len(res) != 3 || res[0].(*redis.IntCmd).Val() != 1 || res[1].Err() != redis.Nil || res[2].Err() != nil {
		t.Fatalf("MULTI/EXEC: %v, %v", res, err)
	}
	err = c.Watch(ctx, func(tx *redis.Tx) error {
		c.Set(ctx, "watched", "changed", 0) // another connection of the pool
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Get(ctx, "watched")
			return nil
		})
		return err
	}, "watched")
	if err != redis.TxFailedErr {
		t.Fatalf("EXEC after a WATCHed change: %v, want redis.TxFailedErr", err)
	}
}

// TestRedisCLIRESP3: redis-cli -3 with commands piped in prints what it
// prints against redis-server, in its terminal formatting (--no-raw:
// maps as "1# key => value", sets as "1~") and in its raw one.
func TestRedisCLIRESP3(t *testing.T) {
	servertest.RequireTool(t, "redis-cli")
	redisAddr := servertest.RedisServer(t)
	ts := startServer(t)
	session := strings.Join([]string{
		"set k v", "get k", "get missing", "mget k missing",
		"config get maxmemory", "config get nosuch",
		"set lcs1 ohmytext", "set lcs2 mynewtext", "lcs lcs1 lcs2 idx withmatchlen",
		"incrbyfloat f 1.5", "client getname", "exists k missing",
		"acl getuser default", "command info nosuch", "command docs nosuch",
		"multi", "get k", "incr n", "exec",
		"hello 2", "get missing", "hello 3", "get missing",
	}, "\n") + "\n"
	// HELLO's id and version differ by design: normal blanks them.
	version := regexp.MustCompile(`7\.0\.\d+`)
	mapID := regexp.MustCompile(`(?m)("id" => \(integer\) |^id )\d+$`)
	normal := func(s string) string {
		lines := strings.Split(version.ReplaceAllString(mapID.ReplaceAllString(s, "${1}ID"), "VERSION"), "\n")
		for i := 0; i+1 < len(lines); i++ {
			if l := strings.TrimSpace(lines[i]); l == "id" || l == `7) "id"` {
				lines[i+1] = "ID"
			}
		}
		return strings.Join(lines, "\n")
	}
	for _, mode := range [][]string{{"--no-raw"}, {"--raw"}} {
		cli := func(addr string) string {
			out, errOut := runTool(t, 10*time.Second, session, "redis-cli", append([]string{"-3", "-h", "127.0.0.1", "-p", portOf(t, addr)}, mode...)...)
			if errOut != "" {
				t.Errorf("redis-cli -3 %v wrote to stderr: %q", mode, errOut)
			}
			return out
		}
		got, want := cli(ts.addr), cli(redisAddr)
		if normal(got) != normal(want) {
			t.Errorf("redis-cli -3 %v:\n--- cachesrv\n%s\n--- redis\n%s", mode, got, want)
		}
		if !strings.Contains(got, "proto") || strings.Count(got, "\n") < 40 {
			t.Errorf("redis-cli -3 %v: short output:\n%s", mode, got)
		}
	}
}

// TestRueidisRESP3 connects rueidis with its defaults but client-side
// caching off: it speaks RESP3 (HELLO 3 on connect) and runs commands.
func TestRueidisRESP3(t *testing.T) {
	ts := startServer(t)
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{ts.addr}, DisableCache: true})
	if err != nil {
		t.Fatalf("rueidis.NewClient: %v", err)
	}
	t.Cleanup(c.Close)
	if err := c.Do(ctx, c.B().Set().Key("k").Value("v").Build()).Error(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Do(ctx, c.B().Get().Key("k").Build()).ToString(); err != nil || v != "v" {
		t.Fatalf("GET k = %q, %v", v, err)
	}
	if err := c.Do(ctx, c.B().Get().Key("missing").Build()).Error(); !rueidis.IsRedisNil(err) {
		t.Fatalf("GET missing: %v, want a nil", err)
	}
	vals, err := c.Do(ctx, c.B().Mget().Key("k", "missing").Build()).ToArray()
	if err != nil || len(vals) != 2 {
		t.Fatalf("MGET = %v, %v", vals, err)
	}
	if s, _ := vals[0].ToString(); s != "v" || !vals[1].IsNil() {
		t.Fatalf("MGET = %v", vals)
	}
	cfg, err := c.Do(ctx, c.B().ConfigGet().Parameter("maxmemory").Build()).AsStrMap()
	if err != nil || cfg["maxmemory"] != "0" {
		t.Fatalf("CONFIG GET = %v, %v", cfg, err)
	}
	info, err := c.Do(ctx, c.B().Info().Section("server").Build()).ToString()
	if err != nil || !strings.Contains(info, "redis_version:") {
		t.Fatalf("INFO = %q, %v", info, err)
	}
	ci, err := c.Do(ctx, c.B().ClientInfo().Build()).ToString()
	if err != nil || !strings.Contains(ci, " resp=3 ") {
		t.Fatalf("CLIENT INFO = %q, %v", ci, err)
	}
	// A pipeline of several commands.
	results := c.DoMulti(ctx,
		c.B().Incr().Key("n").Build(),
		c.B().Incrbyfloat().Key("f").Increment(1.5).Build(),
		c.B().Exists().Key("k", "n", "missing").Build(),
	)
	if n, err := results[0].AsInt64(); err != nil || n != 1 {
		t.Fatalf("INCR = %d, %v", n, err)
	}
	if f, err := results[1].AsFloat64(); err != nil || f != 1.5 {
		t.Fatalf("INCRBYFLOAT = %v, %v", f, err)
	}
	if n, err := results[2].AsInt64(); err != nil || n != 2 {
		t.Fatalf("EXISTS = %d, %v", n, err)
	}
	// LCS IDX is a map in RESP3.
	lcs, err := c.Do(ctx, c.B().Lcs().Key1("k").Key2("k").Idx().Build()).AsMap()
	length := lcs["len"]
	if n, _ := length.AsInt64(); err != nil || n != 1 {
		t.Fatalf("LCS IDX = %v, %v", lcs, err)
	}
}

// TestRESP3ReadValueAgainstServer: the codec's reply reader decodes what
// the server sends in RESP3 (resp.Map, resp.Set, resp.Verbatim, nulls).
func TestRESP3ReadValueAgainstServer(t *testing.T) {
	ts := startServer(t)
	c, err := resp.Dial(ts.addr, "", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	v, err := c.Do("HELLO", "3")
	if m, ok := v.(resp.Map); err != nil || !ok {
		t.Fatalf("HELLO 3 = %#v, %v", v, err)
	} else if p, _ := m.Get("proto"); p != int64(3) {
		t.Fatalf("HELLO 3 proto = %v", p)
	}
	if v, err := c.Do("GET", "missing"); err != nil || v != nil {
		t.Fatalf("GET missing = %#v, %v", v, err)
	}
	if v, err := c.Do("ACL", "GETUSER", "default"); err != nil {
		t.Fatal(err)
	} else if flags, _ := v.(resp.Map).Get("flags"); fmt.Sprint(flags) != "[on nopass]" {
		t.Fatalf("ACL GETUSER flags = %#v", flags)
	} else if _, ok := flags.(resp.Set); !ok {
		t.Fatalf("ACL GETUSER flags are a %T, not a set", flags)
	}
	if v, err := c.Do("CLIENT", "INFO"); err != nil {
		t.Fatal(err)
	} else if vb, ok := v.(resp.Verbatim); !ok || vb.Format != "txt" || !strings.Contains(vb.Text, "resp=3") {
		t.Fatalf("CLIENT INFO = %#v", v)
	}
	if fields, err := c.Info("server"); err != nil || fields["redis_version"] == "" {
		t.Fatalf("Info over RESP3 = %v, %v", fields, err)
	}
}
