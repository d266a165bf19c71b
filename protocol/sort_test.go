package protocol

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/cluster/route"
)

// TestSortPatternsLockEveryShard: SORT's BY and GET patterns read keys in
// other shards, inside MULTI/EXEC too; a script, which holds only its
// declared keys' shards, gets an error instead of reading unlocked keys.
func TestSortPatternsLockEveryShard(t *testing.T) {
	c := startServer(t).client(t)
	must(t, c.RPush(ctx, "ids", 3, 1, 2).Err())
	must(t, c.MSet(ctx, "w_1", 30, "w_2", 10, "w_3", 20, "o_1", "one", "o_2", "two", "o_3", "three").Err())
	want := []string{"two", "three", "one"}
	got, err := c.Sort(ctx, "ids", &redis.Sort{By: "w_*", Get: []string{"o_*"}}).Result()
	if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("SORT BY GET = %v, %v", got, err)
	}
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Sort(ctx, "ids", &redis.Sort{By: "w_*", Get: []string{"o_*"}})
		p.Set(ctx, "o_2", "TWO", 0)
		p.SortStore(ctx, "ids", "dst", &redis.Sort{By: "w_*", Get: []string{"o_*"}})
		return nil
	})
	if err != nil || strings.Join(cmds[0].(*redis.StringSliceCmd).Val(), ",") != "two,three,one" || cmds[2].(*redis.IntCmd).Val() != 3 {
		t.Fatalf("SORT in MULTI: %v, %v", cmds, err)
	}
	if got := c.LRange(ctx, "dst", 0, -1).Val(); strings.Join(got, ",") != "TWO,three,one" {
		t.Errorf("SORT STORE in MULTI stored %v", got)
	}
	err = c.Eval(ctx, "return redis.call('SORT', KEYS[1], 'BY', 'w_*')", []string{"ids"}).Err()
	if err == nil || !strings.Contains(err.Error(), "lua-undeclared-keys all-shards-lock") {
		t.Errorf("SORT BY in a script: %v", err)
	}
	// Without patterns a script may sort its key.
	if got, err := c.Eval(ctx, "return redis.call('SORT', KEYS[1])", []string{"ids"}).StringSlice(); err != nil || strings.Join(got, ",") != "1,2,3" {
		t.Errorf("SORT in a script = %v, %v", got, err)
	}
}

// TestSortPatternsInCluster: as in Redis Cluster, BY and GET patterns
// must name keys in the sorted key's slot, which a hash tag does.
func TestSortPatternsInCluster(t *testing.T) {
	nodes := startCluster(t, 1, route.Proxy)
	c := redis.NewClient(&redis.Options{Addr: nodes[0].addr})
	defer c.Close()
	must(t, c.RPush(ctx, "{u}ids", 2, 1).Err())
	must(t, c.MSet(ctx, "{u}w_1", 5, "{u}w_2", 1).Err())
	if got, err := c.Sort(ctx, "{u}ids", &redis.Sort{By: "{u}w_*", Get: []string{"#", "{u}w_*"}}).Result(); err != nil || strings.Join(got, ",") != "2,1,1,5" {
		t.Errorf("SORT with hash-tagged patterns = %v, %v", got, err)
	}
	err := c.Sort(ctx, "{u}ids", &redis.Sort{By: "w_*"}).Err()
	if err == nil || err.Error() != "ERR BY option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots." {
		t.Errorf("SORT BY an untagged pattern in a cluster: %v", err)
	}
	err = c.Sort(ctx, "{u}ids", &redis.Sort{Get: []string{"o_*"}}).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "ERR GET option of SORT denied in Cluster mode") {
		t.Errorf("SORT GET an untagged pattern in a cluster: %v", err)
	}
}
