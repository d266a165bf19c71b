package store

import (
	"bytes"
	"fmt"
	"testing"
)

// ScanShard, walked over every shard in small parts, visits each live key
// the pick function picks exactly once, with its value readable through
// the Tx, and skips expired keys, while other keys are written between
// the parts.
func TestScanShardPicksEachKeyOnce(t *testing.T) {
	for _, shards := range []int{1, 4, 16} {
		s, clk := newTestStore(t, Options{Shards: shards})
		want := map[string]string{}
		for i := range 3000 {
			k, v := fmt.Sprint("key:", i), fmt.Sprint("value-", i)
			var at int64
			if i%10 == 0 {
				at = clk.now() + 1000 // expires before the walk
			}
			set(s, k, v, at)
			if at == 0 && i%3 != 0 {
				want[k] = v
			}
		}
		clk.advance(2000)
		pick := func(k []byte) bool {
			var n int
			fmt.Sscan(string(bytes.TrimPrefix(k, []byte("key:"))), &n)
			return bytes.HasPrefix(k, []byte("key:")) && n%3 != 0
		}
		got := map[string]int{}
		for _, count := range []int{1, 7, 500} {
			clear(got)
			extra := 0
			for i := range s.Shards() {
				cur := uint64(0)
				for {
					next, done := s.ScanShard(i, cur, count, pick, func(tx Tx, k []byte) {
						v, ok := tx.Get(k)
						if !ok || string(v) != want[string(k)] {
							t.Fatalf("%d shards, count %d: %s reads %q %v, want %q", shards, count, k, v, ok, want[string(k)])
						}
						got[string(k)]++
					})
					// Writes between parts: new keys the pick skips.
					set(s, fmt.Sprint("other:", count, ":", extra), "x", 0)
					extra++
					if done {
						break
					}
					cur = next
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d shards, count %d: visited %d keys, want %d", shards, count, len(got), len(want))
			}
			for k, n := range got {
				if n != 1 {
					t.Fatalf("%d shards, count %d: %s visited %d times", shards, count, k, n)
				}
			}
		}
	}
}
