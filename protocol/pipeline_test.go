package protocol

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/protocol/config"
)

// TestPipelineMatchesSequentialExecution sends random mixed pipelines to
// one server in a single write, and the same commands one at a time (each
// reply read before the next command is sent) to another, and requires the
// same reply bytes. With 2 shards and a handful of keys, same-shard groups
// are frequent, and so are the commands that must break them: multi-key
// commands, keyspace commands, MULTI/EXEC, unknown commands, wrong arity.
func TestPipelineMatchesSequentialExecution(t *testing.T) {
	piped := startServer(t, func(c *config.Config) { c.Shards = 2 })
	seq := startServer(t, func(c *config.Config) { c.Shards = 2 })
	pc, sc := dialRESP(t, piped.addr), dialRESP(t, seq.addr)
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []string{"a", "b", "c", "d", "e", "n"}
	key := func() string { return keys[rng.IntN(len(keys))] }
	gen := []func() []string{
		func() []string { return []string{"SET", key(), fmt.Sprint(rng.IntN(100))} },
		func() []string { return []string{"GET", key()} },
		func() []string { return []string{"INCR", key()} },
		func() []string { return []string{"APPEND", key(), "x"} },
		func() []string { return []string{"DEL", key()} },
		func() []string { return []string{"EXISTS", key()} },
		func() []string { return []string{"STRLEN", key()} },
		func() []string { return []string{"GETSET", key(), "7"} },
		func() []string { return []string{"SET", key(), "v", "NX"} },
		func() []string { return []string{"EXPIRE", key(), "100"} },
		func() []string { return []string{"TTL", key()} },
		func() []string { return []string{"MSET", key(), "1", key(), "2"} },
		func() []string { return []string{"MGET", key(), key(), key()} },
		func() []string { return []string{"RENAME", key(), key()} },
		func() []string { return []string{"DBSIZE"} },
		func() []string { return []string{"KEYS", "*"} },
		func() []string { return []string{"GET"} },                // wrong arity
		func() []string { return []string{"NOPE", key()} },        // unknown
		func() []string { return []string{"INCRBY", key(), "x"} }, // not an integer
		func() []string { return []string{"MULTI"} },
		func() []string { return []string{"EXEC"} },
		func() []string { return []string{"DISCARD"} },
		func() []string { return []string{"PING"} },
	}
	for round := range 200 {
		var cmds [][]string
		for range 1 + rng.IntN(40) {
			cmds = append(cmds, gen[rng.IntN(len(gen))]())
		}
		var batch strings.Builder
		for _, c := range cmds {
			batch.WriteString(respCommand(c...))
		}
		if _, err := pc.conn.Write([]byte(batch.String())); err != nil {
			t.Fatal(err)
		}
		for i, c := range cmds {
			want := sc.exchange(c...)
			got, err := readRESP(pc.rd)
			if err != nil {
				t.Fatalf("round %d, command %d %q: %v", round, i, c, err)
			}
			if got != want {
				t.Fatalf("round %d, command %d %q: pipelined reply %q, sequential %q", round, i, c, got, want)
			}
		}
	}
	// Leave no open transaction behind on either side.
	pc.exchange("DISCARD")
	sc.exchange("DISCARD")
	if a, b := pc.exchange("KEYS", "*"), sc.exchange("KEYS", "*"); sortedArrayReply(t, a) != sortedArrayReply(t, b) {
		t.Fatalf("final keyspaces differ: %q vs %q", a, b)
	}
}

// TestPipelineGroupTakesLockOnce checks the point of grouping: a pipeline
// of commands on one shard acquires that shard's lock once.
func TestPipelineGroupTakesLockOnce(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.Shards = 1 })
	pc := dialRESP(t, ts.addr)
	before := ts.store.Stats()[0].LockAcquisitions
	var batch strings.Builder
	const n = 50
	for i := range n {
		batch.WriteString(respCommand("SET", fmt.Sprint("k", i), "v"))
	}
	pc.conn.Write([]byte(batch.String()))
	for range n {
		if r, err := readRESP(pc.rd); err != nil || r != "+OK\r\n" {
			t.Fatalf("reply %q, %v", r, err)
		}
	}
	// redcon may split a pipeline across reads; a handful of acquisitions
	// is fine, one per command is what grouping removes.
	if got := ts.store.Stats()[0].LockAcquisitions - before; got > 5 {
		t.Fatalf("%d lock acquisitions for %d pipelined SETs on one shard", got, n)
	}
}
