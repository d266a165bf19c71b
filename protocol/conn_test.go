package protocol

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/redis/go-redis/v9"
)

// do sends one command on a raw connection and returns the raw reply.
func (r *rawConn) do(args ...string) string {
	r.t.Helper()
	r.send(respCommand(args...))
	r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	reply, err := readRESP(r.rd)
	if err != nil {
		r.t.Fatalf("%q: read: %v (got %q)", args, err, reply)
	}
	return reply
}

// expectReply fails the test unless the command's raw reply is want.
func (r *rawConn) expectReply(want string, args ...string) {
	r.t.Helper()
	if got := r.do(args...); got != want {
		r.t.Errorf("%q = %q, want %q", args, got, want)
	}
}

// bulk is the raw encoding of a bulk string reply.
func bulk(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }

// errReply is the raw encoding of an error reply.
func errReply(msg string) string { return "-" + msg + "\r\n" }

// clientInfoField returns a field of a CLIENT INFO / CLIENT LIST line.
func clientInfoField(t testing.TB, line, name string) string {
	t.Helper()
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok && k == name {
			return v
		}
	}
	t.Fatalf("no %s= in %q", name, line)
	return ""
}

// withPassword configures requirepass.
func withPassword(pw string) func(*config.Config) {
	return func(c *config.Config) {
		if err := config.FindSetting("requirepass").Set(c, pw); err != nil {
			panic(err)
		}
	}
}

func TestPing(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	if v, err := c.Ping(ctx).Result(); err != nil || v != "PONG" {
		t.Fatalf("PING = %q, %v", v, err)
	}
	if v, err := c.Do(ctx, "PING", "hello there").Text(); err != nil || v != "hello there" {
		t.Fatalf("PING msg = %q, %v", v, err)
	}
	r := ts.raw(t)
	r.expectReply("+PONG\r\n", "PING")
	r.expectReply(bulk("x y"), "ping", "x y")
	r.expectReply(errReply("ERR wrong number of arguments for 'ping' command"), "PING", "a", "b")
	// Inline, as telnet users type it.
	r.send("PING\r\n")
	if got := r.line(); got != "+PONG" {
		t.Fatalf("inline PING = %q", got)
	}
}

func TestEcho(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	if v, err := c.Echo(ctx, "hello").Result(); err != nil || v != "hello" {
		t.Fatalf("ECHO = %q, %v", v, err)
	}
	r := ts.raw(t)
	r.expectReply(bulk(""), "ECHO", "")
	r.expectReply(bulk("a\r\nb\x00"), "ECHO", "a\r\nb\x00")
	r.expectReply(errReply("ERR wrong number of arguments for 'echo' command"), "ECHO")
	r.expectReply(errReply("ERR wrong number of arguments for 'echo' command"), "ECHO", "a", "b")
}

func TestQuitRepliesOKThenCloses(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	// One write: QUIT in the middle of a pipeline. What follows it must
	// not run.
	r.send(respCommand("SET", "before", "1") + respCommand("QUIT") + respCommand("SET", "after", "1") + respCommand("PING"))
	if got := r.line(); got != "+OK" {
		t.Fatalf("SET = %q", got)
	}
	if got := r.line(); got != "+OK" {
		t.Fatalf("QUIT = %q", got)
	}
	if !r.closed() {
		t.Fatal("connection still open after QUIT")
	}
	c := ts.client(t)
	if n, err := c.Exists(ctx, "before", "after").Result(); err != nil || n != 1 {
		t.Fatalf("EXISTS before after = %d, %v; want 1 (only the command before QUIT)", n, err)
	}
}

func TestSelect(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.expectReply("+OK\r\n", "SELECT", "0")
	r.expectReply("+OK\r\n", "SELECT", "15")
	r.expectReply(errReply("ERR DB index is out of range"), "SELECT", "16")
	r.expectReply(errReply("ERR DB index is out of range"), "SELECT", "-1")
	r.expectReply(errReply("ERR value is not an integer or out of range"), "SELECT", "abc")
	r.expectReply(errReply("ERR wrong number of arguments for 'select' command"), "SELECT")
	// go-redis selects on connect when DB is set.
	c := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, DB: 7})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}

// helloFields decodes HELLO's RESP2 reply (a flat array of name, value).
func helloFields(t testing.TB, v any) map[string]any {
	t.Helper()
	arr, ok := v.([]any)
	if !ok || len(arr)%2 != 0 {
		t.Fatalf("HELLO reply = %#v", v)
	}
	m := map[string]any{}
	for i := 0; i < len(arr); i += 2 {
		m[arr[i].(string)] = arr[i+1]
	}
	return m
}

func TestHello(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t).Conn() // one connection, so CLIENT ID is HELLO's
	defer c.Close()

	for _, args := range [][]any{{"HELLO"}, {"HELLO", "2"}} {
		v, err := c.Do(ctx, args...).Result()
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		m := helloFields(t, v)
		if m["server"] != "redis" || m["proto"] != int64(2) || m["mode"] != "standalone" || m["role"] != "master" {
			t.Errorf("%v = %v", args, m)
		}
		if ver, _ := m["version"].(string); !strings.HasPrefix(ver, "7.") {
			t.Errorf("%v version = %q", args, ver)
		}
		id, err := c.ClientID(ctx).Result()
		if err != nil || m["id"] != id {
			t.Errorf("%v id = %v, CLIENT ID = %d, %v", args, m["id"], id, err)
		}
		if mods, ok := m["modules"].([]any); !ok || len(mods) != 0 {
			t.Errorf("%v modules = %#v", args, m["modules"])
		}
	}

	r := ts.raw(t)
	r.expectReply(errReply("NOPROTO unsupported protocol version"), "HELLO", "4")
	r.expectReply(errReply("NOPROTO unsupported protocol version"), "HELLO", "1")
	r.expectReply(errReply("ERR Protocol version is not an integer or out of range"), "HELLO", "two")
	r.expectReply(errReply("ERR Syntax error in HELLO option 'FOO'"), "HELLO", "2", "FOO")
	r.expectReply(errReply("ERR Syntax error in HELLO option 'SETNAME'"), "HELLO", "2", "SETNAME")
	r.expectReply(errReply("ERR Client names cannot contain spaces, newlines or special characters."), "HELLO", "2", "SETNAME", "a b")
	if got := r.do("HELLO", "2", "SETNAME", "x"); !strings.HasPrefix(got, "*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n") {
		t.Fatalf("HELLO 2 SETNAME x = %q", got)
	}
	r.expectReply(bulk("x"), "CLIENT", "GETNAME")
	// A failed HELLO leaves the connection as it was.
	r.expectReply(errReply("NOPROTO unsupported protocol version"), "HELLO", "4", "SETNAME", "y")
	r.expectReply(bulk("x"), "CLIENT", "GETNAME")
}

// TestProtocol3ClientWithPassword: go-redis's default, Protocol 3, sends
// HELLO 3 AUTH ... and speaks RESP3 (resp3_test.go has more).
func TestProtocol3ClientWithPassword(t *testing.T) {
	ts := startServer(t, withPassword("sekret"))
	for _, opts := range []*redis.Options{
		{Addr: ts.addr, Password: "sekret"},
		{Addr: ts.addr, Username: "default", Password: "sekret", Protocol: 3},
	} {
		c := redis.NewClient(opts)
		if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
			t.Fatalf("SET over a protocol-3 client: %v", err)
		}
		if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
			t.Fatalf("GET = %q, %v", v, err)
		}
		if v, err := c.Do(ctx, "CLIENT", "INFO").Text(); err != nil || clientInfoField(t, v, "resp") != "3" {
			t.Fatalf("CLIENT INFO = %q, %v", v, err)
		}
		c.Close()
	}
	// And without a password.
	ts2 := startServer(t)
	c := redis.NewClient(&redis.Options{Addr: ts2.addr})
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestAuthWithoutPasswordConfigured(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.expectReply(errReply("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"), "AUTH", "x")
	// The two-argument form checks the user: default has no password.
	r.expectReply("+OK\r\n", "AUTH", "default", "anything")
	r.expectReply(errReply("WRONGPASS invalid username-password pair or user is disabled."), "AUTH", "bob", "x")
	r.expectReply(errReply("ERR syntax error"), "AUTH", "a", "b", "c")
	r.expectReply(errReply("ERR wrong number of arguments for 'auth' command"), "AUTH")
}

func TestRequirepass(t *testing.T) {
	ts := startServer(t, withPassword("sekret"))
	r := ts.raw(t)
	noauth := errReply("NOAUTH Authentication required.")
	r.expectReply(noauth, "GET", "k")
	r.expectReply(noauth, "PING")
	r.expectReply(noauth, "CLIENT", "ID")
	// Arity is checked before authentication, unknown commands first of all.
	r.expectReply(errReply("ERR wrong number of arguments for 'get' command"), "GET")
	r.expectReply(errReply("ERR unknown command 'nosuch', with args beginning with: 'a' "), "nosuch", "a")
	r.expectReply(errReply("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"), "HELLO", "2")
	wrongpass := errReply("WRONGPASS invalid username-password pair or user is disabled.")
	r.expectReply(wrongpass, "AUTH", "wrong")
	r.expectReply(wrongpass, "AUTH", "default", "wrong")
	r.expectReply(wrongpass, "AUTH", "bob", "sekret")
	r.expectReply(noauth, "GET", "k")
	r.expectReply("+OK\r\n", "AUTH", "sekret")
	r.expectReply("$-1\r\n", "GET", "k")
	r.expectReply("+OK\r\n", "AUTH", "default", "sekret")
	// RESET logs the connection out again.
	r.expectReply("+RESET\r\n", "RESET")
	r.expectReply(noauth, "GET", "k")

	// HELLO can authenticate and name the connection in one go.
	h := ts.raw(t)
	h.expectReply(wrongpass, "HELLO", "2", "AUTH", "default", "wrong")
	h.expectReply(noauth, "PING")
	if got := h.do("HELLO", "2", "AUTH", "default", "sekret", "SETNAME", "named"); !strings.HasPrefix(got, "*14\r\n") {
		t.Fatalf("HELLO 2 AUTH = %q", got)
	}
	h.expectReply("+PONG\r\n", "PING")
	h.expectReply(bulk("named"), "CLIENT", "GETNAME")

	// go-redis with the password works; without it, it gets NOAUTH.
	c := redis.NewClient(&redis.Options{Addr: ts.addr, Password: "sekret", Protocol: 2})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	bad := ts.client(t)
	if err := bad.Get(ctx, "k").Err(); err == nil || err.Error() != "NOAUTH Authentication required." {
		t.Fatalf("GET without AUTH: %v", err)
	}
}

func TestClientIDNameInfo(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	idReply := r.do("CLIENT", "ID")
	if !strings.HasPrefix(idReply, ":") {
		t.Fatalf("CLIENT ID = %q", idReply)
	}
	id := strings.TrimSpace(idReply[1:])
	r.expectReply("$-1\r\n", "CLIENT", "GETNAME")
	bad := errReply("ERR Client names cannot contain spaces, newlines or special characters.")
	r.expectReply(bad, "CLIENT", "SETNAME", "my name")
	r.expectReply(bad, "CLIENT", "SETNAME", "line\nbreak")
	r.expectReply(bad, "CLIENT", "SETNAME", "caf\xc3\xa9")
	r.expectReply("$-1\r\n", "CLIENT", "GETNAME")
	r.expectReply("+OK\r\n", "CLIENT", "SETNAME", "worker-1")
	r.expectReply(bulk("worker-1"), "CLIENT", "GETNAME")
	r.expectReply(errReply("ERR wrong number of arguments for 'client|setname' command"), "CLIENT", "SETNAME")

	info := bulkValue(t, r.do("CLIENT", "INFO"))
	if !strings.HasSuffix(info, "\n") || strings.Count(info, "\n") != 1 {
		t.Fatalf("CLIENT INFO = %q: want one line ending in a newline", info)
	}
	for field, want := range map[string]string{
		"id": id, "name": "worker-1", "db": "0", "flags": "N", "multi": "-1",
		"cmd": "client|info", "user": "default", "resp": "2",
		"laddr": ts.addr, "addr": r.conn.LocalAddr().String(),
	} {
		if got := clientInfoField(t, info, field); got != want {
			t.Errorf("CLIENT INFO %s = %q, want %q", field, got, want)
		}
	}
	// An empty name clears it.
	r.expectReply("+OK\r\n", "CLIENT", "SETNAME", "")
	r.expectReply("$-1\r\n", "CLIENT", "GETNAME")

	// go-redis's own helpers agree.
	c := ts.client(t).Conn()
	defer c.Close()
	if err := c.Do(ctx, "CLIENT", "SETNAME", "gr").Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.ClientGetName(ctx).Result(); err != nil || n != "gr" {
		t.Fatalf("CLIENT GETNAME = %q, %v", n, err)
	}
	if inf, err := c.ClientInfo(ctx).Result(); err != nil || inf.Name != "gr" || inf.DB != 0 {
		t.Fatalf("ClientInfo = %+v, %v", inf, err)
	}
}

// listLines returns the lines of a CLIENT LIST reply.
func listLines(t testing.TB, r *rawConn, args ...string) []string {
	t.Helper()
	s := bulkValue(t, r.do(append([]string{"CLIENT", "LIST"}, args...)...))
	if s == "" {
		return nil
	}
	if !strings.HasSuffix(s, "\n") {
		t.Fatalf("CLIENT LIST %q does not end in a newline", s)
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

func clientID(t testing.TB, r *rawConn) string {
	t.Helper()
	reply := r.do("CLIENT", "ID")
	if !strings.HasPrefix(reply, ":") {
		t.Fatalf("CLIENT ID = %q", reply)
	}
	return strings.TrimSpace(reply[1:])
}

func TestClientList(t *testing.T) {
	ts := startServer(t)
	a, b := ts.raw(t), ts.raw(t)
	idA, idB := clientID(t, a), clientID(t, b)
	b.expectReply("+OK\r\n", "CLIENT", "SETNAME", "bee")
	b.expectReply("+OK\r\n", "MULTI")

	all := listLines(t, a)
	if len(all) != 2 {
		t.Fatalf("CLIENT LIST = %q, want 2 lines", all)
	}
	if clientInfoField(t, all[0], "id") != idA || clientInfoField(t, all[1], "id") != idB {
		t.Fatalf("CLIENT LIST not in id order: %q", all)
	}
	if got := clientInfoField(t, all[0], "cmd"); got != "client|list" {
		t.Errorf("caller's cmd = %q", got)
	}
	if got := clientInfoField(t, all[1], "name"); got != "bee" {
		t.Errorf("b's name = %q", got)
	}
	if f, m := clientInfoField(t, all[1], "flags"), clientInfoField(t, all[1], "multi"); f != "x" || m != "0" {
		t.Errorf("b in MULTI: flags=%s multi=%s, want x and 0", f, m)
	}
	if got := listLines(t, a, "TYPE", "normal"); len(got) != 2 {
		t.Errorf("TYPE normal = %q", got)
	}
	for _, typ := range []string{"pubsub", "master", "replica", "slave"} {
		if got := listLines(t, a, "TYPE", typ); len(got) != 0 {
			t.Errorf("TYPE %s = %q", typ, got)
		}
	}
	if got := listLines(t, a, "ID", idB); len(got) != 1 || clientInfoField(t, got[0], "id") != idB {
		t.Errorf("ID %s = %q", idB, got)
	}
	if got := listLines(t, a, "ID", idB, "99999", idA); len(got) != 2 {
		t.Errorf("ID %s 99999 %s = %q", idB, idA, got)
	}
	if got := listLines(t, a, "ID", "0"); len(got) != 0 {
		t.Errorf("ID 0 = %q", got)
	}
	a.expectReply(errReply("ERR Invalid client ID"), "CLIENT", "LIST", "ID", "abc")
	a.expectReply(errReply("ERR Unknown client type 'foo'"), "CLIENT", "LIST", "TYPE", "foo")
	a.expectReply(errReply("ERR syntax error"), "CLIENT", "LIST", "TYPE", "normal", "ID", idA)
	a.expectReply(errReply("ERR syntax error"), "CLIENT", "LIST", "TYPE")
	a.expectReply(errReply("ERR syntax error"), "CLIENT", "LIST", "ID")
	a.expectReply(errReply("ERR syntax error"), "CLIENT", "LIST", "foo")

	// go-redis parses the list.
	c := ts.client(t)
	if s, err := c.ClientList(ctx).Result(); err != nil || strings.Count(s, "\n") != 3 {
		t.Fatalf("ClientList = %q, %v", s, err)
	}
}

func TestClientSetInfo(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	id := clientID(t, r)
	r.expectReply("+OK\r\n", "CLIENT", "SETINFO", "LIB-NAME", "mylib")
	r.expectReply("+OK\r\n", "CLIENT", "SETINFO", "lib-ver", "1.2.3")
	lines := listLines(t, ts.raw(t), "ID", id)
	if len(lines) != 1 {
		t.Fatalf("CLIENT LIST ID %s = %q", id, lines)
	}
	if n, v := clientInfoField(t, lines[0], "lib-name"), clientInfoField(t, lines[0], "lib-ver"); n != "mylib" || v != "1.2.3" {
		t.Errorf("lib-name=%q lib-ver=%q in %q", n, v, lines[0])
	}
	r.expectReply(errReply("ERR lib-name cannot contain spaces, newlines or special characters."), "CLIENT", "SETINFO", "lib-name", "my lib")
	r.expectReply(errReply("ERR LIB-VER cannot contain spaces, newlines or special characters."), "CLIENT", "SETINFO", "LIB-VER", "1\n2")
	r.expectReply(errReply("ERR Unrecognized option 'foo'"), "CLIENT", "SETINFO", "foo", "bar")
	r.expectReply(errReply("ERR Unrecognized option 'foo'"), "CLIENT", "SETINFO", "foo", "b a r")
	r.expectReply(errReply("ERR wrong number of arguments for 'client|setinfo' command"), "CLIENT", "SETINFO", "lib-name")
	// The failed calls changed nothing; an empty value clears.
	r.expectReply("+OK\r\n", "CLIENT", "SETINFO", "lib-ver", "")
	info := bulkValue(t, r.do("CLIENT", "INFO"))
	if n, v := clientInfoField(t, info, "lib-name"), clientInfoField(t, info, "lib-ver"); n != "mylib" || v != "" {
		t.Errorf("after clearing lib-ver: lib-name=%q lib-ver=%q", n, v)
	}
	// go-redis v9 sends CLIENT SETINFO itself on connect.
	c := ts.client(t)
	if inf, err := c.Do(ctx, "CLIENT", "INFO").Text(); err != nil || !strings.HasPrefix(clientInfoField(t, inf, "lib-name"), "go-redis") {
		t.Errorf("go-redis CLIENT INFO = %q, %v", inf, err)
	}
}

func TestClientKill(t *testing.T) {
	ts := startServer(t)
	admin := ts.raw(t)
	adminID := clientID(t, admin)

	t.Run("old form by address", func(t *testing.T) {
		victim := ts.raw(t)
		clientID(t, victim) // make sure it is registered
		admin.expectReply("+OK\r\n", "CLIENT", "KILL", victim.conn.LocalAddr().String())
		if !victim.closed() {
			t.Fatal("victim still connected")
		}
		admin.expectReply(errReply("ERR No such client"), "CLIENT", "KILL", victim.conn.LocalAddr().String())
		admin.expectReply(errReply("ERR No such client"), "CLIENT", "KILL", "1.2.3.4:5")
	})
	t.Run("ID", func(t *testing.T) {
		victim := ts.raw(t)
		id := clientID(t, victim)
		bystander := ts.raw(t)
		clientID(t, bystander)
		admin.expectReply(":1\r\n", "CLIENT", "KILL", "ID", id)
		if !victim.closed() {
			t.Fatal("victim still connected")
		}
		admin.expectReply(":0\r\n", "CLIENT", "KILL", "ID", id)
		bystander.expectReply("+PONG\r\n", "PING")
	})
	t.Run("ADDR and LADDR", func(t *testing.T) {
		victim := ts.raw(t)
		clientID(t, victim)
		admin.expectReply(":1\r\n", "CLIENT", "KILL", "ADDR", victim.conn.LocalAddr().String())
		if !victim.closed() {
			t.Fatal("victim still connected")
		}
		admin.expectReply(":0\r\n", "CLIENT", "KILL", "ADDR", "1.2.3.4:5")
		admin.expectReply(":0\r\n", "CLIENT", "KILL", "LADDR", "1.2.3.4:5")
		// LADDR is the server's address: every client but the caller.
		v1, v2 := ts.raw(t), ts.raw(t)
		clientID(t, v1)
		clientID(t, v2)
		waitClients(t, ts, 3) // the earlier subtests' connections are gone
		admin.expectReply(":2\r\n", "CLIENT", "KILL", "LADDR", ts.addr)
		if !v1.closed() || !v2.closed() {
			t.Fatal("LADDR victims still connected")
		}
		admin.expectReply("+PONG\r\n", "PING")
	})
	t.Run("SKIPME", func(t *testing.T) {
		// Default yes: the caller survives a filter that matches it.
		admin.expectReply(":0\r\n", "CLIENT", "KILL", "ID", adminID)
		admin.expectReply(":0\r\n", "CLIENT", "KILL", "ID", adminID, "SKIPME", "yes")
		admin.expectReply("+PONG\r\n", "PING")
		admin.expectReply(errReply("ERR syntax error"), "CLIENT", "KILL", "ID", adminID, "SKIPME", "maybe")
		// SKIPME no: the reply goes out, then the connection closes and
		// the rest of the pipeline is ignored.
		self := ts.raw(t)
		id := clientID(t, self)
		self.send(respCommand("CLIENT", "KILL", "ID", id, "SKIPME", "no") + respCommand("SET", "after-kill", "1"))
		if got := self.line(); got != ":1" {
			t.Fatalf("CLIENT KILL self = %q", got)
		}
		if !self.closed() {
			t.Fatal("still connected after killing itself")
		}
		if got := admin.do("EXISTS", "after-kill"); got != ":0\r\n" {
			t.Fatalf("command after self-kill ran: EXISTS = %q", got)
		}
		// The old form may kill the caller too, replying first.
		self2 := ts.raw(t)
		clientID(t, self2)
		self2.expectReply("+OK\r\n", "CLIENT", "KILL", self2.conn.LocalAddr().String())
		if !self2.closed() {
			t.Fatal("still connected after old-form self-kill")
		}
	})
	t.Run("TYPE and USER", func(t *testing.T) {
		victim := ts.raw(t)
		id := clientID(t, victim)
		for _, typ := range []string{"pubsub", "master", "replica", "slave"} {
			admin.expectReply(":0\r\n", "CLIENT", "KILL", "TYPE", typ)
		}
		admin.expectReply(errReply("ERR Unknown client type 'foo'"), "CLIENT", "KILL", "TYPE", "foo")
		admin.expectReply(errReply("ERR No such user 'nobody'"), "CLIENT", "KILL", "USER", "nobody")
		admin.expectReply(":1\r\n", "CLIENT", "KILL", "USER", "default", "TYPE", "normal", "ID", id)
		if !victim.closed() {
			t.Fatal("victim still connected")
		}
	})
	t.Run("errors", func(t *testing.T) {
		admin.expectReply(errReply("ERR client-id should be greater than 0"), "CLIENT", "KILL", "ID", "0")
		admin.expectReply(errReply("ERR client-id should be greater than 0"), "CLIENT", "KILL", "ID", "abc")
		admin.expectReply(errReply("ERR syntax error"), "CLIENT", "KILL", "FOO", "bar")
		admin.expectReply(errReply("ERR syntax error"), "CLIENT", "KILL", "ID", "1", "SKIPME")
		admin.expectReply(errReply("ERR wrong number of arguments for 'client|kill' command"), "CLIENT", "KILL")
	})
	t.Run("go-redis", func(t *testing.T) {
		victim := ts.raw(t)
		id, _ := strconv.ParseInt(clientID(t, victim), 10, 64)
		c := ts.client(t)
		if n, err := c.ClientKillByFilter(ctx, "ID", strconv.FormatInt(id, 10)).Result(); err != nil || n != 1 {
			t.Fatalf("ClientKillByFilter = %d, %v", n, err)
		}
		if !victim.closed() {
			t.Fatal("victim still connected")
		}
	})
}

// waitClients waits until the server has n clients: it notices closed
// connections asynchronously.
func waitClients(t testing.TB, ts *testServer, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for ts.srv.ClientCount() != n {
		if time.Now().After(deadline) {
			t.Fatalf("server has %d clients, want %d", ts.srv.ClientCount(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// ageClient makes the server think client id connected d ago.
func ageClient(t testing.TB, ts *testServer, id string, d time.Duration) {
	t.Helper()
	n, _ := strconv.ParseInt(id, 10, 64)
	ts.srv.mu.Lock()
	defer ts.srv.mu.Unlock()
	c := ts.srv.clients[n]
	if c == nil {
		t.Fatalf("no client %s", id)
	}
	c.created = c.created.Add(-d)
}

func TestClientKillMaxAge(t *testing.T) {
	ts := startServer(t)
	admin := ts.raw(t)
	adminID := clientID(t, admin)
	old, young := ts.raw(t), ts.raw(t)
	oldID := clientID(t, old)
	clientID(t, young)
	ageClient(t, ts, oldID, time.Hour)
	ageClient(t, ts, adminID, 2*time.Hour)

	if got := clientInfoField(t, bulkValue(t, old.do("CLIENT", "INFO")), "age"); got != "3600" {
		t.Fatalf("aged client's age = %s", got)
	}
	// No one but the (skipped) caller is two hours old.
	admin.expectReply(":0\r\n", "CLIENT", "KILL", "MAXAGE", "7200")
	// The old client is; the young one and the caller survive.
	admin.expectReply(":1\r\n", "CLIENT", "KILL", "MAXAGE", "3000")
	if !old.closed() {
		t.Fatal("old client still connected")
	}
	young.expectReply("+PONG\r\n", "PING")
	admin.expectReply("+PONG\r\n", "PING")
	// Filters combine: MAXAGE and ID both must match.
	young2 := ts.raw(t)
	id := clientID(t, young2)
	admin.expectReply(":0\r\n", "CLIENT", "KILL", "ID", id, "MAXAGE", "60")
	young2.expectReply("+PONG\r\n", "PING")

	admin.expectReply(errReply("ERR maxage is not an integer or out of range"), "CLIENT", "KILL", "MAXAGE", "abc")
	admin.expectReply(errReply("ERR maxage should be greater than 0"), "CLIENT", "KILL", "MAXAGE", "0")
	admin.expectReply(errReply("ERR maxage should be greater than 0"), "CLIENT", "KILL", "MAXAGE", "-5")
}

func TestClientHelpAndUnknownSubcommand(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	help := r.do("CLIENT", "HELP")
	if !strings.HasPrefix(help, "*") {
		t.Fatalf("CLIENT HELP = %q", help)
	}
	lines := parseArrayReply(t, help)
	// Redis's help is status lines, not bulk strings.
	for _, l := range lines {
		if !strings.HasPrefix(l, "+") {
			t.Fatalf("CLIENT HELP line %q is not a status reply", l)
		}
	}
	if lines[0] != "+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n" {
		t.Errorf("CLIENT HELP header = %q", lines[0])
	}
	joined := strings.Join(lines, "")
	for _, want := range []string{"+KILL <ip:port>\r\n", "MAXAGE", "+SETNAME <name>\r\n", "+HELP\r\n"} {
		if !strings.Contains(joined, want) {
			t.Errorf("CLIENT HELP lacks %q", want)
		}
	}
	r.expectReply(errReply("ERR unknown subcommand 'x'. Try CLIENT HELP."), "CLIENT", "x")
	r.expectReply(errReply("ERR unknown subcommand 'NO-SUCH'. Try CLIENT HELP."), "client", "NO-SUCH", "arg")
	r.expectReply(errReply("ERR wrong number of arguments for 'client' command"), "CLIENT")
	r.expectReply(errReply("ERR wrong number of arguments for 'client|id' command"), "CLIENT", "ID", "extra")
}

func TestReset(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.expectReply("+OK\r\n", "CLIENT", "SETNAME", "before")
	r.expectReply("+OK\r\n", "CLIENT", "SETINFO", "LIB-NAME", "lib")
	r.expectReply("+OK\r\n", "MULTI")
	r.expectReply("+QUEUED\r\n", "SET", "k", "v")
	// RESET is not queued: it runs at once and discards the transaction.
	r.expectReply("+RESET\r\n", "RESET")
	r.expectReply(errReply("ERR EXEC without MULTI"), "EXEC")
	r.expectReply("$-1\r\n", "CLIENT", "GETNAME")
	r.expectReply("$-1\r\n", "GET", "k")
	// As in Redis, the library name outlives RESET.
	if got := clientInfoField(t, bulkValue(t, r.do("CLIENT", "INFO")), "lib-name"); got != "lib" {
		t.Errorf("lib-name after RESET = %q", got)
	}
	// Watches are dropped too: a change to a key watched before RESET no
	// longer aborts a transaction.
	r.expectReply("+OK\r\n", "WATCH", "w")
	r.expectReply("+RESET\r\n", "RESET")
	other := ts.client(t)
	if err := other.Set(ctx, "w", "changed", 0).Err(); err != nil {
		t.Fatal(err)
	}
	r.expectReply("+OK\r\n", "MULTI")
	r.expectReply("+QUEUED\r\n", "GET", "w")
	r.expectReply("*1\r\n"+bulk("changed"), "EXEC")
	r.expectReply(errReply("ERR wrong number of arguments for 'reset' command"), "RESET", "x")
}
