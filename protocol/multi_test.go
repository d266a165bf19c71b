package protocol

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"

	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/redis/go-redis/v9"
)

func TestMultiExecQueuesAndRuns(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.send("MULTI\r\nSET a 1\r\nINCR a\r\nGET a\r\nINCR nope-not-int-later\r\nEXEC\r\n")
	want := []string{"+OK", "+QUEUED", "+QUEUED", "+QUEUED", "+QUEUED", "*4", "+OK", ":2", "$1", "2", ":1"}
	for _, w := range want {
		if got := r.line(); got != w {
			t.Fatalf("got %q, want %q", got, w)
		}
	}
}

func TestMultiErrorsInsideExecDoNotAbort(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	c.Set(ctx, "s", "abc", 0)
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "s")
		p.Set(ctx, "t", "1", 0)
		return nil
	})
	if err == nil || err.Error() != errNotInteger {
		t.Fatalf("exec error = %v", err)
	}
	if cmds[1].Err() != nil {
		t.Fatalf("second command should have run: %v", cmds[1].Err())
	}
	if v, _ := c.Get(ctx, "t").Result(); v != "1" {
		t.Fatalf("t = %q", v)
	}
}

func TestMultiQueueErrorAbortsExec(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.send("MULTI\r\nSET a 1\r\nGET\r\nNOSUCHCMD x\r\nEXEC\r\nGET a\r\n")
	want := []string{"+OK", "+QUEUED",
		"-ERR wrong number of arguments for 'get' command",
		"-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' ",
		"-EXECABORT Transaction discarded because of previous errors.",
		"$-1"}
	for _, w := range want {
		if got := r.line(); got != w {
			t.Fatalf("got %q, want %q", got, w)
		}
	}
}

func TestMultiControlErrors(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.send("EXEC\r\nDISCARD\r\nMULTI\r\nMULTI\r\nWATCH k\r\nSET k v\r\nDISCARD\r\nGET k\r\n")
	want := []string{"-ERR EXEC without MULTI", "-ERR DISCARD without MULTI", "+OK",
		"-ERR MULTI calls can not be nested", "-ERR WATCH inside MULTI is not allowed",
		"+QUEUED", "+OK", "$-1"}
	for _, w := range want {
		if got := r.line(); got != w {
			t.Fatalf("got %q, want %q", got, w)
		}
	}
}

func TestWatchAbortsWhenKeyChanges(t *testing.T) {
	ts := startServer(t)
	a, b := ts.client(t), ts.client(t)
	a.Set(ctx, "k", "1", 0)
	err := a.Watch(ctx, func(tx *redis.Tx) error {
		b.Set(ctx, "k", "changed", 0) // another client writes the watched key
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "k", "mine", 0)
			return nil
		})
		return err
	}, "k")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("err = %v, want TxFailedErr", err)
	}
	if v, _ := a.Get(ctx, "k").Result(); v != "changed" {
		t.Fatalf("k = %q", v)
	}
	// A write to another key does not abort.
	err = a.Watch(ctx, func(tx *redis.Tx) error {
		b.Set(ctx, "other", "x", 0)
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "k", "mine", 0)
			return nil
		})
		return err
	}, "k")
	if err != nil {
		t.Fatalf("unrelated write aborted the transaction: %v", err)
	}
}

func TestWatchAbortsWhenKeyExpires(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	c.Set(ctx, "k", "v", 0)
	c.Expire(ctx, "k", 10e9)
	err := c.Watch(ctx, func(tx *redis.Tx) error {
		ts.advance(11e9)
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "x", "1", 0)
			return nil
		})
		return err
	}, "k")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("err = %v, want TxFailedErr", err)
	}
}

// TestMultiExecIsAtomicAcrossShards moves value between keys on different
// shards in transactions while readers check, in their own transactions,
// that the total never changes: a reader that saw a half-done transfer
// would see a different sum.
func TestMultiExecIsAtomicAcrossShards(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.Shards = 8 })
	const accounts, total = 8, 8000
	setup := ts.client(t)
	keys := make([]string, accounts)
	for i := range keys {
		keys[i] = fmt.Sprintf("acct:%d", i)
		setup.Set(ctx, keys[i], total/accounts, 0)
	}
	shards := map[int]bool{}
	for _, k := range keys {
		shards[ts.store.ShardOf([]byte(k))] = true
	}
	if len(shards) < 2 {
		t.Fatal("keys should span several shards")
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ts.client(t)
			for i := range 300 {
				from, to := keys[(w+i)%accounts], keys[(w+3*i+1)%accounts]
				if from == to {
					continue
				}
				if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.DecrBy(ctx, from, 7)
					p.IncrBy(ctx, to, 7)
					return nil
				}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := ts.client(t)
			for range 300 {
				var get *redis.SliceCmd
				if _, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
					get = p.MGet(ctx, keys...)
					return nil
				}); err != nil {
					errs <- err
					return
				}
				sum := 0
				for _, v := range get.Val() {
					n, _ := strconv.Atoi(v.(string))
					sum += n
				}
				if sum != total {
					errs <- fmt.Errorf("reader saw total %d, want %d", sum, total)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestMultiWithKeyspaceCommand runs a keyspace-wide command (which locks
// every shard) inside EXEC next to key commands, and must not deadlock.
func TestMultiWithKeyspaceCommand(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "a", "1", 0)
		p.Keys(ctx, "*")
		p.DBSize(ctx)
		p.FlushAll(ctx)
		p.DBSize(ctx)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := cmds[1].(*redis.StringSliceCmd).Val(); len(got) != 1 || got[0] != "a" {
		t.Fatalf("KEYS = %v", got)
	}
	if n := cmds[4].(*redis.IntCmd).Val(); n != 0 {
		t.Fatalf("DBSIZE after FLUSHALL = %d", n)
	}
}
