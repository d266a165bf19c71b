package protocol

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/acl"
	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// userClient returns a go-redis client authenticated as user (go-redis
// sends HELLO ... AUTH or AUTH user pass on connect).
func (ts *testServer) userClient(t testing.TB, user, pass string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, MaxRetries: -1, Username: user, Password: pass})
	t.Cleanup(func() { c.Close() })
	return c
}

func mustDo(t testing.TB, c *redis.Client, args ...any) {
	t.Helper()
	if err := c.Do(ctx, args...).Err(); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
}

const (
	nopermCmd = "NOPERM this user has no permissions to run the '%s' command"
	nopermKey = "NOPERM this user has no permissions to access one of the keys used as arguments"
)

// TestACLMatrix: users restricted by key pattern (read, write, both) and by
// command and category, each command allowed or denied as Redis 7.0
// decides (the expectations were checked with ACL DRYRUN on
// redis-server 7.0.15), over go-redis, in single commands, pipelines
// (which must not skip the check through the grouped fast path) and
// MULTI.
func TestACLMatrix(t *testing.T) {
	ts := startServer(t)
	admin := ts.client(t)
	mustDo(t, admin, "ACL", "SETUSER", "app", "on", ">apppw", "~app:*", "%R~shared:*", "%W~inbox:*", "+@all", "-@dangerous", "-@admin")
	mustDo(t, admin, "ACL", "SETUSER", "reader", "on", ">rpw", "allkeys", "-@all", "+@read", "+@connection")
	mustDo(t, admin, "ACL", "SETUSER", "strings", "on", ">spw", "~*", "-@all", "+@string", "-incr", "+client|id", "+select|0")
	mustDo(t, admin, "MSET", "app:1", "a", "shared:1", "s", "inbox:1", "i", "other", "o")

	type check struct {
		user string
		args []any
		want string // "" = allowed; else the error
	}
	cmdErr := func(name string) string { return strings.Replace(nopermCmd, "%s", name, 1) }
	checks := []check{
		// key patterns: ~ is read and write, %R read only, %W write only
		{"app", []any{"GET", "app:1"}, ""},
		{"app", []any{"SET", "app:2", "x"}, ""},
		{"app", []any{"GET", "other"}, nopermKey},
		{"app", []any{"GET", ""}, nopermKey}, // the empty key matches no pattern here
		{"app", []any{"SET", "other", "x"}, nopermKey},
		{"app", []any{"GET", "shared:1"}, ""},
		{"app", []any{"SET", "shared:1", "x"}, nopermKey},
		{"app", []any{"APPEND", "shared:1", "x"}, nopermKey},
		{"app", []any{"SET", "inbox:2", "x"}, ""},
		{"app", []any{"DEL", "inbox:2"}, ""},
		{"app", []any{"GET", "inbox:1"}, nopermKey},
		{"app", []any{"INCR", "inbox:n"}, nopermKey}, // reads and writes
		{"app", []any{"SET", "inbox:1", "x", "GET"}, nopermKey},
		{"app", []any{"EXISTS", "inbox:1"}, ""}, // neither reads nor writes the value
		{"app", []any{"STRLEN", "shared:1"}, ""},
		{"app", []any{"MGET", "app:1", "shared:1"}, ""},
		{"app", []any{"MGET", "app:1", "other"}, nopermKey},
		{"app", []any{"COPY", "shared:1", "inbox:3"}, ""},
		{"app", []any{"COPY", "inbox:1", "shared:3"}, nopermKey},
		{"app", []any{"RENAME", "inbox:3", "app:3"}, nopermKey}, // the source is read too
		{"app", []any{"RENAME", "app:3x", "inbox:4"}, "ERR no such key"},
		// categories
		{"app", []any{"KEYS", "*"}, cmdErr("keys")},                // @dangerous
		{"app", []any{"FLUSHALL"}, cmdErr("flushall")},             // @dangerous
		{"app", []any{"CONFIG", "GET", "x"}, cmdErr("config|get")}, // @admin
		{"app", []any{"ACL", "WHOAMI"}, ""},
		{"app", []any{"DBSIZE"}, ""},
		{"reader", []any{"GET", "other"}, ""},
		{"reader", []any{"SET", "other", "x"}, cmdErr("set")},
		{"reader", []any{"DEL", "other"}, cmdErr("del")},
		{"reader", []any{"EXISTS", "other"}, ""},
		{"reader", []any{"PING"}, ""},
		{"reader", []any{"CLIENT", "ID"}, ""},
		{"reader", []any{"MULTI"}, cmdErr("multi")},
		{"strings", []any{"SET", "s", "1"}, ""},
		{"strings", []any{"INCRBY", "s", "1"}, ""},
		{"strings", []any{"INCR", "s"}, cmdErr("incr")},
		{"strings", []any{"EXPIRE", "s", "10"}, cmdErr("expire")},
		{"strings", []any{"CLIENT", "ID"}, ""},
		{"strings", []any{"CLIENT", "LIST"}, cmdErr("client|list")},
		{"strings", []any{"SELECT", "0"}, ""},
		{"strings", []any{"SELECT", "1"}, cmdErr("select")},
		{"strings", []any{"PING"}, cmdErr("ping")},
	}
	pass := map[string]string{"app": "apppw", "reader": "rpw", "strings": "spw"}
	clients := map[string]*redis.Client{}
	for u, p := range pass {
		clients[u] = ts.userClient(t, u, p)
	}
	errText := func(err error) string {
		if err == nil || errors.Is(err, redis.Nil) {
			return ""
		}
		return err.Error()
	}
	for _, ck := range checks {
		got := errText(clients[ck.user].Do(ctx, ck.args...).Err())
		if got != ck.want {
			t.Errorf("%s: %v = %q, want %q", ck.user, ck.args, got, ck.want)
		}
		// ACL DRYRUN agrees, with its own (verbose) texts.
		dry, err := admin.Do(ctx, append([]any{"ACL", "DRYRUN", ck.user}, ck.args...)...).Text()
		if err != nil {
			t.Fatalf("DRYRUN %v: %v", ck.args, err)
		}
		if (dry == "OK") != (ck.want == "" || !strings.HasPrefix(ck.want, "NOPERM")) {
			t.Errorf("DRYRUN %s %v = %q, want allowed=%v", ck.user, ck.args, dry, ck.want == "")
		}
	}

	// A pipeline of single-key commands runs grouped under one shard lock
	// without dispatch: a restricted user's commands must still be checked.
	app := clients["app"]
	cmds, _ := app.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Get(ctx, "app:1")
		p.Get(ctx, "other")
		p.Set(ctx, "other", "pwned", 0)
		p.Get(ctx, "app:1")
		return nil
	})
	wantPipe := []string{"", nopermKey, nopermKey, ""}
	for i, cmd := range cmds {
		if got := errText(cmd.Err()); got != wantPipe[i] {
			t.Errorf("pipeline command %d %v: %q, want %q", i, cmd.Args(), got, wantPipe[i])
		}
	}
	if v, _ := admin.Get(ctx, "other").Result(); v != "o" {
		t.Fatalf("a denied pipelined SET wrote: other = %q", v)
	}

	// Inside MULTI a denial dooms the transaction, as in Redis.
	_, err := app.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "app:9", "x", 0)
		p.Set(ctx, "other", "x", 0)
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "EXECABORT") {
		t.Fatalf("MULTI with a denied command: %v, want EXECABORT", err)
	}
	if n, _ := admin.Exists(ctx, "app:9").Result(); n != 0 {
		t.Fatal("an aborted transaction ran")
	}

	// EXEC checks queued commands again: the rules may have changed since
	// they were queued (Redis 7.0.15's reply and ACL LOG context).
	tx := ts.raw(t)
	tx.expectReply("+OK\r\n", "AUTH", "app", "apppw")
	tx.expectReply("+OK\r\n", "MULTI")
	tx.expectReply("+QUEUED\r\n", "SET", "app:tx", "1")
	tx.expectReply("+QUEUED\r\n", "GET", "app:1")
	mustDo(t, admin, "ACL", "SETUSER", "app", "resetkeys", "%R~app:*")
	tx.expectReply("*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. "+
		"This command is no longer allowed for the following reason: no permission to touch the specified keys\r\n$1\r\na\r\n", "EXEC")
	if e, _ := admin.Do(ctx, "ACL", "LOG", "1").Slice(); len(e) != 1 || e[0].([]any)[5] != "multi" || e[0].([]any)[7] != "app:tx" {
		t.Fatalf("ACL LOG after EXEC: %v", e)
	}

	// Rules changed by ACL SETUSER apply to connections already
	// authenticated as the user, at once.
	mustDo(t, admin, "ACL", "SETUSER", "reader", "-get")
	if got := errText(clients["reader"].Get(ctx, "other").Err()); got != cmdErr("get") {
		t.Fatalf("after -get: GET = %q", got)
	}
	// A deleted user's connections are closed.
	if n, err := admin.Do(ctx, "ACL", "DELUSER", "reader").Int(); err != nil || n != 1 {
		t.Fatalf("DELUSER = %d, %v", n, err)
	}
	if err := clients["reader"].Do(ctx, "PING").Err(); err == nil {
		t.Fatal("a deleted user's connection still runs commands")
	}
}

// TestACLAuthUsers: AUTH user pass and HELLO AUTH user pass with ACL users;
// the default user's password is requirepass (at start and by CONFIG SET).
func TestACLAuthUsers(t *testing.T) {
	ts := startServer(t, withPassword("defpw"))
	r := ts.raw(t)
	r.expectReply(errReply("NOAUTH Authentication required."), "GET", "k")
	r.expectReply(errReply("WRONGPASS invalid username-password pair or user is disabled."), "AUTH", "wrong")
	r.expectReply("+OK\r\n", "AUTH", "defpw")
	r.expectReply(bulk("default"), "ACL", "WHOAMI")
	r.expectReply("+OK\r\n", "AUTH", "default", "defpw")
	r.expectReply("+OK\r\n", "ACL", "SETUSER", "alice", "on", ">wonder", "~a:*", "+@all")
	r.expectReply("+OK\r\n", "ACL", "SETUSER", "bob", "off", ">builder", "allkeys", "+@all")
	r.expectReply(errReply("WRONGPASS invalid username-password pair or user is disabled."), "AUTH", "alice", "defpw")
	r.expectReply(errReply("WRONGPASS invalid username-password pair or user is disabled."), "AUTH", "bob", "builder") // off
	r.expectReply(errReply("WRONGPASS invalid username-password pair or user is disabled."), "AUTH", "nobody", "x")
	r.expectReply("+OK\r\n", "AUTH", "alice", "wonder")
	r.expectReply(bulk("alice"), "ACL", "WHOAMI")
	if got := r.do("CLIENT", "INFO"); !strings.Contains(got, " user=alice ") {
		t.Fatalf("CLIENT INFO does not name the user: %q", got)
	}
	r.expectReply(errReply(nopermKey), "GET", "k")
	// A failed AUTH keeps the user the connection had.
	r.expectReply(errReply("WRONGPASS invalid username-password pair or user is disabled."), "AUTH", "default", "bad")
	r.expectReply(bulk("alice"), "ACL", "WHOAMI")
	// RESET goes back to the default user, unauthenticated.
	r.expectReply("+RESET\r\n", "RESET")
	r.expectReply(errReply("NOAUTH Authentication required."), "ACL", "WHOAMI")

	// HELLO AUTH, as go-redis sends it on connect.
	h := ts.raw(t)
	h.expectReply(errReply("WRONGPASS invalid username-password pair or user is disabled."), "HELLO", "2", "AUTH", "alice", "nope")
	if got := h.do("HELLO", "2", "AUTH", "alice", "wonder"); !strings.Contains(got, "proto") {
		t.Fatalf("HELLO 2 AUTH alice: %q", got)
	}
	h.expectReply(bulk("alice"), "ACL", "WHOAMI")
	alice := ts.userClient(t, "alice", "wonder")
	if err := alice.Set(ctx, "a:1", "v", 0).Err(); err != nil {
		t.Fatalf("alice SET a:1: %v", err)
	}
	if err := alice.Set(ctx, "b:1", "v", 0).Err(); err == nil || err.Error() != nopermKey {
		t.Fatalf("alice SET b:1: %v", err)
	}
	if err := ts.userClient(t, "alice", "bad").Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "WRONGPASS") {
		t.Fatalf("go-redis with a wrong password: %v", err)
	}
	// CLIENT KILL USER closes the user's connections (h's, alice's).
	admin0 := ts.userClient(t, "default", "defpw")
	if err := admin0.Do(ctx, "CLIENT", "KILL", "USER", "nosuch").Err(); err == nil || err.Error() != "ERR No such user 'nosuch'" {
		t.Fatalf("CLIENT KILL USER nosuch: %v", err)
	}
	if n, err := admin0.Do(ctx, "CLIENT", "KILL", "USER", "alice").Int(); err != nil || n != 2 {
		t.Fatalf("CLIENT KILL USER alice = %d, %v; want 2", n, err)
	}

	// CONFIG SET requirepass changes the default user's password.
	admin := ts.userClient(t, "default", "defpw")
	mustDo(t, admin, "CONFIG", "SET", "requirepass", "newpw")
	if err := ts.userClient(t, "default", "defpw").Ping(ctx).Err(); err == nil {
		t.Fatal("the old requirepass still works")
	}
	if err := ts.userClient(t, "", "newpw").Ping(ctx).Err(); err != nil {
		t.Fatalf("AUTH with the new requirepass: %v", err)
	}
	if rules, _ := admin.Do(ctx, "ACL", "GETUSER", "default").Slice(); len(rules) < 4 {
		t.Fatalf("GETUSER default = %v", rules)
	} else if pw := rules[3].([]any); len(pw) != 1 || pw[0] != acl.HashPassword("newpw") {
		t.Fatalf("default user's passwords = %v, want the hash of newpw", pw)
	}
	// No requirepass: the default user is nopass again, and AUTH <pass>
	// says so.
	mustDo(t, admin, "CONFIG", "SET", "requirepass", "")
	ts.raw(t).expectReply(errReply("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"), "AUTH", "x")
}

// TestACLLogFailedAuth (finding 9): failed AUTH and HELLO AUTH attempts,
// and denied commands, are recorded in ACL LOG with Redis 7.0's fields;
// a repeat counts on the same entry; ACL LOG RESET empties it.
func TestACLLogFailedAuth(t *testing.T) {
	ts := startServer(t, withPassword("pw"))
	bad := ts.raw(t)
	bad.expectReply(errReply("WRONGPASS invalid username-password pair or user is disabled."), "AUTH", "wrong")
	bad.expectReply(errReply("WRONGPASS invalid username-password pair or user is disabled."), "AUTH", "wrong")
	bad.expectReply(errReply("WRONGPASS invalid username-password pair or user is disabled."), "HELLO", "2", "AUTH", "mallory", "x")
	admin := ts.userClient(t, "default", "pw")
	mustDo(t, admin, "ACL", "SETUSER", "limited", "on", "nopass", "~mine:*", "+get")
	lim := ts.raw(t)
	lim.expectReply("+OK\r\n", "AUTH", "limited", "any") // nopass: any password will do
	lim.expectReply(errReply(nopermKey), "GET", "yours")
	lim.expectReply(errReply(strings.Replace(nopermCmd, "%s", "set", 1)), "SET", "mine:1", "x")

	entries, err := admin.Do(ctx, "ACL", "LOG").Slice()
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		count                                         int64
		reason, context, object, username, clientInfo string
	}
	var got []entry
	for _, e := range entries {
		f := e.([]any)
		keys := []string{}
		m := map[string]any{}
		for i := 0; i < len(f); i += 2 {
			keys = append(keys, f[i].(string))
			m[f[i].(string)] = f[i+1]
		}
		if want := []string{"count", "reason", "context", "object", "username", "age-seconds", "client-info"}; !slices.Equal(keys, want) {
			t.Fatalf("entry fields %v, want Redis 7.0's %v", keys, want)
		}
		got = append(got, entry{m["count"].(int64), m["reason"].(string), m["context"].(string), m["object"].(string), m["username"].(string), m["client-info"].(string)})
	}
	want := []entry{
		{1, "command", "toplevel", "set", "limited", ""},
		{1, "key", "toplevel", "yours", "limited", ""},
		{1, "auth", "toplevel", "HELLO", "mallory", ""},
		{2, "auth", "toplevel", "AUTH", "default", ""}, // a repeat counts on its entry
	}
	if len(got) != len(want) {
		t.Fatalf("ACL LOG has %d entries, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g := got[i]
		if !strings.Contains(g.clientInfo, "id=") || !strings.Contains(g.clientInfo, " user=") {
			t.Errorf("entry %d client-info %q", i, g.clientInfo)
		}
		g.clientInfo = ""
		if g != want[i] {
			t.Errorf("entry %d = %+v, want %+v", i, g, want[i])
		}
	}
	if n, _ := admin.Do(ctx, "ACL", "LOG", "1").Slice(); len(n) != 1 {
		t.Fatalf("ACL LOG 1 returned %d entries", len(n))
	}
	mustDo(t, admin, "ACL", "LOG", "RESET")
	if n, _ := admin.Do(ctx, "ACL", "LOG").Slice(); len(n) != 0 {
		t.Fatalf("after RESET, %d entries", len(n))
	}
	// acllog-max-len bounds it.
	mustDo(t, admin, "CONFIG", "SET", "acllog-max-len", "2")
	for _, u := range []string{"u1", "u2", "u3"} {
		ts.raw(t).expectReply(errReply("WRONGPASS invalid username-password pair or user is disabled."), "AUTH", u, "x")
	}
	if n, _ := admin.Do(ctx, "ACL", "LOG").Slice(); len(n) != 2 {
		t.Fatalf("acllog-max-len 2: %d entries", len(n))
	}
}

// aclDifferentialRules are ACL SETUSER rule lists whose ACL LIST and ACL
// GETUSER replies must be byte for byte Redis 7.0.15's. Redis prints
// single commands (+get +set) in its hash table's order, which changes
// from process to process, so each case has at most one; those with more
// are in aclUnorderedRules.
//
// The categories in the rule string are chosen greedily by how many
// commands of each category the user has, so a set of categories that
// Redis counts differently for commands cachesrv lacks can come out
// otherwise: "-@all +@read +@string" is "-@all +@string +@read" here
// (cachesrv has more string commands than other read ones), and "+@read
// +@write -@keyspace" is "-@all +@string +memory|usage" here, where Redis
// names seven more categories, some commands cachesrv lacks, and must.
var aclDifferentialRules = [][]string{
	{},
	{"on", ">p1", "~k*", "%R~r*", "%W~w*", "&ch", "+get"},
	{"on", "nopass", "allkeys", "allchannels", "-@all", "+@read", "-get"},
	{"reset"},
	{"+@all", "-@dangerous"},
	{"+client|id", "-@all", "+select|0"},
	{"on", "#" + acl.HashPassword("x"), "%RW~x", "%R~x", "resetkeys", "~y", "%W~z"},
	{"+@all", "-@keyspace"},
	{"allcommands", "-config|set"},
	{"+@connection"},
	{"on", ">a", ">b", "<a", "resetpass", ">c"},
	{"+@transaction", "+@fast"},
	{"+@all", "-@slow"},
	{"skip-sanitize-payload", "off", "on", "nocommands", "+client"},
}

// aclUnorderedRules come out with several single commands, compared
// with the words of each line sorted.
var aclUnorderedRules = [][]string{
	{"-@all", "+get", "+set", "+client|id"},
	{"-@all", "+@string", "-@write"},
	{"+@all", "-get", "-set", "-@admin"},
}

// aclDifferentialErrors are ACL commands whose replies, errors included,
// must be Redis's.
var aclDifferentialErrors = [][]string{
	{"ACL", "SETUSER", "x", "bogus"},
	{"ACL", "SETUSER", "x", "+nocmd"},
	{"ACL", "SETUSER", "x", "+@nocat"},
	{"ACL", "SETUSER", "x", "%X~a"},
	{"ACL", "SETUSER", "x", "~*", "~a"},
	{"ACL", "SETUSER", "x", "&*", "&a"},
	{"ACL", "SETUSER", "x", "<nopass"},
	{"ACL", "SETUSER", "x", "#abc"},
	{"ACL", "SETUSER", "x", "+config|get|x"},
	{"ACL", "SETUSER", "x", "+config|"},
	{"ACL", "SETUSER", "x", "+config|nosuch"},
	{"ACL", "SETUSER", "a b"},
	{"ACL", "GETUSER", "x"},
	{"ACL", "GETUSER", "nosuch"},
	{"ACL", "DELUSER", "default"},
	{"ACL", "DELUSER", "nosuch"},
	{"ACL", "CAT"},
	{"ACL", "CAT", "nope"},
	{"ACL", "CAT", "a", "b"},
	{"ACL", "GENPASS", "0"},
	{"ACL", "GENPASS", "5000"},
	{"ACL", "LOG", "x"},
	{"ACL", "LOG", "-1"},
	{"ACL", "LOAD"},
	{"ACL", "SAVE"},
	{"ACL", "WHOAMI"},
	{"ACL", "USERS"},
	{"ACL", "HELP"},
	{"ACL", "nope"},
	{"ACL"},
	{"ACL", "SETUSER", "d", "on", "nopass", "~k", "+get", "+config|get"},
	{"ACL", "DRYRUN", "d", "get", "k"},
	{"ACL", "DRYRUN", "d", "get", "x"},
	{"ACL", "DRYRUN", "d", "set", "k", "v"},
	{"ACL", "DRYRUN", "d", "config", "get", "x"},
	{"ACL", "DRYRUN", "d", "nocmd"},
	{"ACL", "DRYRUN", "d", "get"},
	{"ACL", "DRYRUN", "nosuch", "get", "k"},
	{"AUTH", "d", "x"},
	{"SET", "k", "v"},
	{"GET", "x"},
	{"CONFIG", "GET", "x"},
	{"CONFIG", "SET", "x", "y"},
	{"AUTH", "default", "x"},
	{"ACL", "WHOAMI"},
}

// TestACLListMatchesRedis: for the same ACL SETUSER rules, ACL LIST, ACL
// GETUSER and the ACL commands' replies and errors are byte for byte
// those of a real redis-server 7.0.15.
func TestACLListMatchesRedis(t *testing.T) {
	redisAddr := servertest.RedisServer(t)
	ts := startServer(t)
	ours, theirs := dialRESP(t, ts.addr), dialRESP(t, redisAddr)
	compare := func(args ...string) {
		t.Helper()
		if got, want := ours.exchange(args...), theirs.exchange(args...); got != want {
			t.Errorf("%q\n  cachesrv: %q\n  redis:    %q", args, got, want)
		}
	}
	for i, rules := range aclDifferentialRules {
		name := "u" + string(rune('a'+i))
		compare(append([]string{"ACL", "SETUSER", name}, rules...)...)
		compare("ACL", "GETUSER", name)
	}
	compare("ACL", "LIST")
	compare("ACL", "USERS")
	for i, rules := range aclUnorderedRules {
		name := "v" + string(rune('a'+i))
		compare(append([]string{"ACL", "SETUSER", name}, rules...)...)
		got, want := ours.exchange("ACL", "GETUSER", name), theirs.exchange("ACL", "GETUSER", name)
		if sortedFields(got) != sortedFields(want) {
			t.Errorf("GETUSER %s:\n  cachesrv: %q\n  redis:    %q", name, got, want)
		}
	}
	for _, args := range aclDifferentialErrors {
		compare(args...)
	}
}

// sortedFields sorts the space-separated words of s, each line apart.
func sortedFields(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		f := strings.Fields(l)
		slices.Sort(f)
		lines[i] = strings.Join(f, " ")
	}
	return strings.Join(lines, "\n")
}

// TestACLSaveLoad: ACL SAVE writes Redis's aclfile format (the file
// redis-server writes for the same users, when it is installed), ACL LOAD
// reads it back, the server loads it at start, and a bad file changes
// nothing.
func TestACLSaveLoad(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "users.acl")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	withFile := func(c *config.Config) {
		if err := config.FindSetting("aclfile").Set(c, file); err != nil {
			t.Fatal(err)
		}
	}
	ts := startServer(t, withFile)
	admin := ts.client(t)
	mustDo(t, admin, "ACL", "SETUSER", "app", "on", ">pw", "~app:*", "%R~ro:*", "&news", "-@all", "+@read", "+set")
	mustDo(t, admin, "ACL", "SETUSER", "ops", "off", "nopass", "allkeys", "+@all", "-flushall")
	mustDo(t, admin, "ACL", "SAVE")
	saved, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	list, _ := admin.Do(ctx, "ACL", "LIST").StringSlice()
	if string(saved) != strings.Join(list, "\n")+"\n" {
		t.Fatalf("aclfile:\n%s\nACL LIST:\n%s", saved, strings.Join(list, "\n"))
	}
	if servertest.HaveTool(t, "redis-server") {
		// redis-server reads the file and writes it back the same.
		redisFile := filepath.Join(t.TempDir(), "users.acl")
		os.WriteFile(redisFile, saved, 0o600)
		rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisServer(t, "--aclfile", redisFile), Protocol: 2})
		defer rdb.Close()
		mustDo(t, admin, "ACL", "LOAD")
		ourList, _ := admin.Do(ctx, "ACL", "LIST").StringSlice()
		theirList, err := rdb.Do(ctx, "ACL", "LIST").StringSlice()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ourList, theirList) {
			t.Errorf("after loading the same file:\n  cachesrv: %q\n  redis:    %q", ourList, theirList)
		}
	}

	// Change the users, then load the file back.
	app := ts.userClient(t, "app", "pw")
	mustDo(t, app, "SET", "app:1", "x")
	mustDo(t, admin, "ACL", "DELUSER", "ops")
	mustDo(t, admin, "ACL", "SETUSER", "temp", "on", "nopass")
	mustDo(t, admin, "ACL", "LOAD")
	users, _ := admin.Do(ctx, "ACL", "USERS").StringSlice()
	if !slices.Equal(users, []string{"app", "default", "ops"}) {
		t.Fatalf("after ACL LOAD, users = %v", users)
	}
	if err := ts.userClient(t, "app", "pw").Get(ctx, "ro:1").Err(); err != nil && !errors.Is(err, redis.Nil) {
		t.Fatalf("app after LOAD: %v", err)
	}
	// A file with an error is refused whole, with Redis's message.
	os.WriteFile(file, append(saved, []byte("user bad on +nosuchcmd\nnotuser x\n")...), 0o600)
	err = admin.Do(ctx, "ACL", "LOAD").Err()
	n := bytes.Count(saved, []byte("\n"))
	wantErr := "ERR " + file + ":" + strconv.Itoa(n+1) + ": Error in applying operation '+nosuchcmd': Unknown command or category name in ACL. " +
		file + ":" + strconv.Itoa(n+2) + " should start with user keyword followed by the username. " +
		"WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	if err == nil || err.Error() != wantErr {
		t.Fatalf("ACL LOAD of a bad file: %v\nwant %s", err, wantErr)
	}
	if users, _ := admin.Do(ctx, "ACL", "USERS").StringSlice(); !slices.Equal(users, []string{"app", "default", "ops"}) {
		t.Fatalf("a refused ACL LOAD changed the users: %v", users)
	}

	// At start, the server loads the file.
	os.WriteFile(file, saved, 0o600)
	ts2 := startServer(t, withFile)
	if err := ts2.srv.LoadACLFile(); err != nil {
		t.Fatal(err)
	}
	if err := ts2.userClient(t, "app", "pw").Get(ctx, "other").Err(); err == nil || err.Error() != nopermKey {
		t.Fatalf("app on a server started with the aclfile: %v", err)
	}
}

// TestACLCluster: users are per node; with the same users on every node
// (as the same aclfile gives them), a client's command is checked on the
// node it talks to, and the forwarding link, which proved the cluster
// secret, is not limited by the rules of the user it runs as (default,
// restricted here to no keys at all).
func TestACLCluster(t *testing.T) {
	a := startNodeConfigured(t, route.Proxy, withSecret(testSecret), withPassword(testPassword))
	b := startNodeConfigured(t, route.Proxy, withSecret(testSecret), withPassword(testPassword), a.cl.Self().GossipAddr)
	waitConverged(t, []*testNode{a, b}, 2)
	for _, n := range []*testNode{a, b} {
		admin := redis.NewClient(&redis.Options{Addr: n.addr, Protocol: 2, Password: testPassword})
		t.Cleanup(func() { admin.Close() })
		mustDo(t, admin, "ACL", "SETUSER", "app", "on", ">apppw", "~key:*", "+@all")
		mustDo(t, admin, "ACL", "SETUSER", "default", "resetkeys")
	}
	app := redis.NewClient(&redis.Options{Addr: a.addr, Protocol: 2, Username: "app", Password: "apppw", MaxRetries: -1})
	t.Cleanup(func() { app.Close() })
	theirs := keysOwnedBy(a.cl.Table(), b.cl.ID(), 1)[0]
	if err := app.Set(ctx, theirs, "v", 0).Err(); err != nil {
		t.Fatalf("SET %s through a, owned by b: %v", theirs, err)
	}
	if v, err := app.Get(ctx, theirs).Result(); err != nil || v != "v" {
		t.Fatalf("GET %s through a = %q, %v", theirs, v, err)
	}
	if err := app.Set(ctx, "other", "v", 0).Err(); err == nil || err.Error() != nopermKey {
		t.Fatalf("SET other: %v, want NOPERM", err)
	}
}
