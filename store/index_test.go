package store

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cespare/xxhash/v2"
)

// TestIndexChurn drives one shard's index through growth, shrinking and
// many back-shifting deletes, with hashes crowded onto few fingerprints so
// that probe runs are long and homes collide, checking it against a model.
func TestIndexChurn(t *testing.T) {
	for _, fps := range []uint64{7, 64, 1 << 32} {
		t.Run(fmt.Sprint("fingerprints=", fps), func(t *testing.T) {
			crowd := func(k []byte) uint64 {
				h := xxhash.Sum64(k)
				// Keep the fingerprints few but spread over the top bits,
				// where the home slot comes from.
				return (h>>32%fps)*(1<<32/fps)<<32 | h&0xffffffff
			}
			s, _ := newTestStore(t, Options{Shards: 1, Hash: crowd})
			r := rand.New(rand.NewPCG(fps, 9))
			model := map[string]string{}
			for i := range 20000 {
				// Grow to about 3000 keys, drain, grow again.
				k := fmt.Sprint("k", r.IntN(3000))
				if (i/5000)%2 == 1 || r.IntN(4) == 0 {
					delete(model, k)
					del(s, k)
				} else {
					v := randValue(r, r.IntN(40))
					model[k] = v
					set(s, k, v, 0)
				}
				if i%2000 == 0 {
					checkModel(t, s, model)
				}
			}
			checkModel(t, s, model)
			if n := s.shards[0].idx.resizes; n < 4 {
				t.Fatalf("only %d index resizes: the test does not shrink and grow the table", n)
			}
		})
	}
}
