package protocol

import (
	"fmt"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"
)

// Every list command through go-redis, on a small list and on one of
// many pages, with COPY, RENAME, DEL, TYPE and OBJECT ENCODING.
func TestListCommands(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	for _, n := range []int{5, 20000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			c.FlushAll(ctx)
			var model []string
			var args []any
			for i := range n {
				e := fmt.Sprintf("%016d", i)
				model = append(model, e)
				args = append(args, e)
			}
			if got := c.RPush(ctx, "l", args...).Val(); got != int64(n) {
				t.Fatalf("RPUSH -> %d", got)
			}
			check := func(what string) {
				t.Helper()
				if got := c.LRange(ctx, "l", 0, -1).Val(); !slices.Equal(got, model) {
					t.Fatalf("%s: LRANGE has %d elements, want %d (first %v)", what, len(got), len(model), got[:min(3, len(got))])
				}
				if got := c.LLen(ctx, "l").Val(); got != int64(len(model)) {
					t.Fatalf("%s: LLEN %d, want %d", what, got, len(model))
				}
			}
			check("RPUSH")
			c.LPush(ctx, "l", "h1", "h2")
			model = append([]string{"h2", "h1"}, model...)
			c.LPushX(ctx, "l", "h3")
			c.RPushX(ctx, "l", "t1")
			c.LPushX(ctx, "none", "x")
			model = append(append([]string{"h3"}, model...), "t1")
			check("pushes")
			if v := c.LIndex(ctx, "l", int64(len(model)/2)).Val(); v != model[len(model)/2] {
				t.Errorf("LINDEX middle %q", v)
			}
			if err := c.LIndex(ctx, "l", int64(len(model))).Err(); err != redis.Nil {
				t.Errorf("LINDEX past the end: %v", err)
			}
			c.LSet(ctx, "l", -2, "set")
			model[len(model)-2] = "set"
			if err := c.LSet(ctx, "l", int64(len(model)), "x").Err(); err == nil || err.Error() != "ERR index out of range" {
				t.Errorf("LSET out of range: %v", err)
			}
			c.LInsertBefore(ctx, "l", "set", "before")
			model = slices.Insert(model, len(model)-2, "before")
			check("LSET, LINSERT")
			if p := c.LPos(ctx, "l", "set", redis.LPosArgs{Rank: -1}).Val(); p != int64(len(model)-2) {
				t.Errorf("LPOS %d", p)
			}
			if ps := c.LPosCount(ctx, "l", "h1", 0, redis.LPosArgs{}).Val(); len(ps) != 1 || ps[0] != 2 {
				t.Errorf("LPOS COUNT %v", ps)
			}
			c.RPush(ctx, "l", "dup", "dup")
			if r := c.LRem(ctx, "l", -1, "dup").Val(); r != 1 {
				t.Errorf("LREM %d", r)
			}
			model = append(model, "dup")
			if v := c.LPopCount(ctx, "l", 2).Val(); !slices.Equal(v, model[:2]) {
				t.Errorf("LPOP 2 %v", v)
			}
			if v := c.RPop(ctx, "l").Val(); v != "dup" {
				t.Errorf("RPOP %v", v)
			}
			model = model[2 : len(model)-1]
			check("pops")
			if v := c.LMove(ctx, "l", "other", "LEFT", "RIGHT").Val(); v != model[0] {
				t.Errorf("LMOVE %q", v)
			}
			if v := c.RPopLPush(ctx, "l", "other").Val(); v != model[len(model)-1] {
				t.Errorf("RPOPLPUSH %q", v)
			}
			model = model[1 : len(model)-1]
			if key, v := c.LMPop(ctx, "right", 2, "none", "l").Val(); key != "l" || !slices.Equal(v, []string{model[len(model)-1], model[len(model)-2]}) {
				t.Errorf("LMPOP %s %v", key, v)
			}
			model = model[:len(model)-2]
			check("moves")
			if typ, enc := c.Type(ctx, "l").Val(), c.ObjectEncoding(ctx, "l").Val(); typ != "list" || enc != "quicklist" {
				t.Errorf("TYPE %s, OBJECT ENCODING %s", typ, enc)
			}
			c.Copy(ctx, "l", "copy", 0, false)
			c.Rename(ctx, "l", "renamed")
			c.Rename(ctx, "renamed", "l")
			check("COPY, RENAME")
			c.LTrim(ctx, "copy", 1, -2)
			if got := c.LRange(ctx, "copy", 0, -1).Val(); !slices.Equal(got, model[1:len(model)-1]) {
				t.Errorf("LTRIM of the copy: %d elements", len(got))
			}
			check("the copy is a copy")
			if c.Del(ctx, "l", "copy", "other").Val() != 3 || c.Exists(ctx, "l").Val() != 0 {
				t.Error("DEL")
			}
			if u := c.MemoryUsage(ctx, "l").Err(); u != redis.Nil {
				t.Errorf("MEMORY USAGE of a deleted list: %v", u)
			}
		})
	}
}

// list-max-listpack-size changes how large a list stays in its entry and
// each page; behaviour is the same whatever it is.
func TestListSizeSetting(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	for _, size := range []string{"1", "3", "-1", "-5"} {
		c.ConfigSet(ctx, "list-max-listpack-size", size)
		c.Del(ctx, "s")
		for i := range 50 {
			c.RPush(ctx, "s", i)
		}
		c.LRem(ctx, "s", 0, "7")
		c.LInsertAfter(ctx, "s", "8", "x")
		got := c.LRange(ctx, "s", 5, 9).Val()
		if want := []string{"5", "6", "8", "x", "9"}; !slices.Equal(got, want) {
			t.Errorf("size %s: %v, want %v", size, got, want)
		}
	}
}
