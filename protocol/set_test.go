package protocol

import (
	"context"
	"slices"
	"strconv"
	"testing"
)

// TestSetPopAndRandom: SPOP and SRANDMEMBER with counts, on an intset, a
// listpack and a hashtable: distinct members for a positive count, -count
// members for a negative one, and SPOP removes what it returns.
func TestSetPopAndRandom(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	ctx := context.Background()
	for _, tc := range []struct {
		key  string
		n    int
		str  bool
		want string
	}{{"ints", 50, false, "intset"}, {"strs", 50, true, "listpack"}, {"big", 1000, true, "hashtable"}} {
		var members []any
		for i := range tc.n {
			m := strconv.Itoa(i)
			if tc.str {
				m = "m" + m
			}
			members = append(members, m)
		}
		c.SAdd(ctx, tc.key, members...)
		if enc := c.ObjectEncoding(ctx, tc.key).Val(); enc != tc.want {
			t.Errorf("%s: encoding %q, want %q", tc.key, enc, tc.want)
		}
		r := c.SRandMemberN(ctx, tc.key, 10).Val()
		if len(r) != 10 || len(slices.Compact(slices.Sorted(slices.Values(r)))) != 10 {
			t.Errorf("%s: SRANDMEMBER 10 = %v", tc.key, r)
		}
		if r := c.SRandMemberN(ctx, tc.key, -3*int64(tc.n)).Val(); len(r) != 3*tc.n {
			t.Errorf("%s: SRANDMEMBER -%d gave %d", tc.key, 3*tc.n, len(r))
		}
		popped := c.SPopN(ctx, tc.key, 7).Val()
		if len(popped) != 7 {
			t.Fatalf("%s: SPOP 7 = %v", tc.key, popped)
		}
		for _, m := range popped {
			if c.SIsMember(ctx, tc.key, m).Val() {
				t.Errorf("%s: popped %q still a member", tc.key, m)
			}
		}
		if n := c.SCard(ctx, tc.key).Val(); n != int64(tc.n-7) {
			t.Errorf("%s: SCARD %d after SPOP 7", tc.key, n)
		}
		all := c.SPopN(ctx, tc.key, int64(tc.n)).Val()
		if len(all) != tc.n-7 || c.Exists(ctx, tc.key).Val() != 0 {
			t.Errorf("%s: popping the rest gave %d, key exists %d", tc.key, len(all), c.Exists(ctx, tc.key).Val())
		}
	}
}

// TestSetAlgebraBig: SINTER/SUNION/SDIFF and their STORE forms on
// hashtables, checked against Go's own computation.
func TestSetAlgebraBig(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	ctx := context.Background()
	var a, b []any
	for i := range 600 {
		a = append(a, "x"+strconv.Itoa(i))
		b = append(b, "x"+strconv.Itoa(i+400))
	}
	c.SAdd(ctx, "a", a...)
	c.SAdd(ctx, "b", b...)
	if n := c.SInterCard(ctx, 0, "a", "b").Val(); n != 200 {
		t.Errorf("SINTERCARD = %d", n)
	}
	if n := c.SInterCard(ctx, 10, "a", "b").Val(); n != 10 {
		t.Errorf("SINTERCARD LIMIT 10 = %d", n)
	}
	if n := c.SUnionStore(ctx, "u", "a", "b").Val(); n != 1000 || c.SCard(ctx, "u").Val() != 1000 {
		t.Errorf("SUNIONSTORE = %d", n)
	}
	if d := c.SDiff(ctx, "a", "b").Val(); len(d) != 400 {
		t.Errorf("SDIFF has %d", len(d))
	}
	if n := c.SInterStore(ctx, "i", "a", "b").Val(); n != 200 || !c.SIsMember(ctx, "i", "x500").Val() {
		t.Errorf("SINTERSTORE = %d", n)
	}
}
