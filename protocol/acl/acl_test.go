package acl

import (
	"slices"
	"strings"
	"testing"
)

// testTable is a small command table: two containers, plain commands,
// categories that overlap.
func testTable() *Table {
	return NewTable([]CommandInfo{
		{Name: "auth", Categories: []string{"fast", "connection"}, NoAuth: true},
		{Name: "client", Categories: []string{"slow"}},
		{Name: "client|id", Categories: []string{"slow", "connection"}},
		{Name: "client|kill", Categories: []string{"admin", "slow", "dangerous", "connection"}},
		{Name: "config", Categories: []string{"slow"}},
		{Name: "config|get", Categories: []string{"admin", "slow", "dangerous"}},
		{Name: "config|set", Categories: []string{"admin", "slow", "dangerous"}},
		{Name: "del", Categories: []string{"keyspace", "write", "slow"}},
		{Name: "get", Categories: []string{"read", "string", "fast"}},
		{Name: "keys", Categories: []string{"keyspace", "read", "slow", "dangerous"}},
		{Name: "ping", Categories: []string{"fast", "connection"}},
		{Name: "select", Categories: []string{"fast", "connection"}},
		{Name: "set", Categories: []string{"write", "string", "slow"}},
	})
}

// TestDescribeRebuildsTheSameUser: the rules Describe prints, applied to
// a new user, give the same permissions: what ACL SAVE writes, ACL LOAD
// reads back as it was (Redis panics if its rule string does not).
func TestDescribeRebuildsTheSameUser(t *testing.T) {
	tab := testTable()
	for _, rules := range [][]string{
		{"+@all", "-@dangerous", "+config|get"},
		{"-@all", "+@read", "-keys", "+client|id", "+select|0"},
		{"+@all", "-client", "+client|id"},
		{"on", ">a", "#" + HashPassword("b"), "~k*", "%R~r*", "%W~w*", "%RW~x", "&c", "+@string", "-@write"},
		{"allcommands", "-@slow", "+del"},
		{"nocommands", "+config"},
	} {
		us := NewUsers(tab)
		if err := us.SetUser("u", rules); err != nil {
			t.Fatalf("%q: %v", rules, err)
		}
		desc := us.Get("u").Load().Describe()
		if err := us.SetUser("v", strings.Fields(desc)); err != nil {
			t.Fatalf("%q described as %q: %v", rules, desc, err)
		}
		u, v := us.Get("u").Load(), us.Get("v").Load()
		if !slices.Equal(u.cmds, v.cmds) || !slices.Equal(u.keys, v.keys) || !slices.Equal(u.passwords, v.passwords) ||
			u.allCmds != v.allCmds || u.enabled != v.enabled || v.Describe() != desc {
			t.Errorf("%q: described as %q, rebuilt as %q", rules, desc, v.Describe())
		}
	}
}

// TestPermissions: commands, subcommands, first-args and key patterns.
func TestPermissions(t *testing.T) {
	us := NewUsers(testTable())
	if err := us.SetUser("u", []string{"on", "nopass", "-@all", "+get", "+client|id", "+select|0", "%R~r:*", "%W~w:*", "~rw:*"}); err != nil {
		t.Fatal(err)
	}
	u := us.Get("u").Load()
	id := func(name string) int { i, _ := us.Table().Lookup(name); return i }
	for _, c := range []struct {
		cmd   string
		first string
		ok    bool
	}{
		{"get", "", true}, {"set", "", false}, {"auth", "", true}, {"client|id", "", true},
		{"client|kill", "", false}, {"select", "0", true}, {"select", "1", false},
	} {
		var first []byte
		if c.first != "" {
			first = []byte(c.first)
		}
		if got := u.CanRun(id(c.cmd), first); got != c.ok {
			t.Errorf("CanRun(%s %s) = %v", c.cmd, c.first, got)
		}
	}
	for _, c := range []struct {
		key  string
		need Perm
		ok   bool
	}{
		{"r:1", Read, true}, {"r:1", Write, false}, {"w:1", Write, true}, {"w:1", ReadWrite, false},
		{"rw:1", ReadWrite, true}, {"other", 0, false}, {"w:1", 0, true},
	} {
		if got := u.CanAccess([]byte(c.key), c.need); got != c.ok {
			t.Errorf("CanAccess(%s, %d) = %v", c.key, c.need, got)
		}
	}
	if u.Unrestricted() || !us.Default().Load().Unrestricted() {
		t.Error("Unrestricted is wrong")
	}
}

// BenchmarkCheck is what dispatch adds per command for a restricted user:
// the command bit and one key against three patterns.
func BenchmarkCheck(b *testing.B) {
	us := NewUsers(testTable())
	if err := us.SetUser("u", []string{"on", "nopass", "+@all", "-@dangerous", "%R~r:*", "%W~w:*", "~app:*"}); err != nil {
		b.Fatal(err)
	}
	ref := us.Get("u")
	get, _ := us.Table().Lookup("get")
	key := []byte("app:user:12345")
	for b.Loop() {
		u := ref.Load()
		if u.Unrestricted() || !u.CanRun(get, nil) || !u.CanAccess(key, Read) {
			b.Fatal("denied")
		}
	}
}
