package batcher

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/store"
)

// BenchmarkWriteCombining asks whether cross-connection write combining
// pays: many goroutines (clients at pipeline depth 1) each SET one key and
// wait until it is applied, either by locking the key's shard themselves
// ("lock") or by handing the write to a per-shard batcher that applies a
// whole batch under one lock acquisition and then wakes the writers
// ("batcher").
func BenchmarkWriteCombining(b *testing.B) {
	val := make([]byte, 100)
	for _, shards := range []int{1, 16} {
		st, _ := store.New(store.Options{Shards: shards})
		keys := make([][]byte, 4096)
		for i := range keys {
			keys[i] = []byte("key:" + strconv.Itoa(i))
		}
		b.Run(fmt.Sprintf("lock/shards=%d", shards), func(b *testing.B) {
			b.SetParallelism(32)
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					k := keys[i%len(keys)]
					sh := st.ShardOf(k)
					st.LockShard(sh, true)
					st.Tx().Set(k, val, 0)
					st.UnlockShard(sh, true)
					i++
				}
			})
		})
		b.Run(fmt.Sprintf("batcher/shards=%d", shards), func(b *testing.B) {
			type write struct {
				key  []byte
				done chan struct{}
			}
			batchers := make([]*Batcher[write], shards)
			for i := range batchers {
				shard := i
				batchers[i] = New(64, 50*time.Microsecond, func(ws []write) {
					st.LockShard(shard, true)
					tx := st.Tx()
					for _, w := range ws {
						tx.Set(w.key, val, 0)
					}
					st.UnlockShard(shard, true)
					for _, w := range ws {
						w.done <- struct{}{}
					}
				})
			}
			b.SetParallelism(32)
			b.RunParallel(func(pb *testing.PB) {
				done := make(chan struct{}, 1)
				i := 0
				for pb.Next() {
					k := keys[i%len(keys)]
					batchers[st.ShardOf(k)].Add(context.Background(), write{k, done})
					<-done
					i++
				}
			})
			for _, bt := range batchers {
				bt.Close()
			}
		})
	}
}
