package protocol

import (
	"time"

	"github.com/cachesrv/cachesrv/store"
)

// Commands of cachesrv's own, named as Redis modules name theirs
// (PREFIX.VERB), so that they cannot clash with a future Redis command.

func init() {
	register(
		&command{name: "cachesrv.shards", arity: 1, flags: flagLoading | flagStale, acl: []string{"slow"}, run: cmdCachesrvShards},
	)
}

// shardFields are the field names of one CACHESRV.SHARDS entry, in reply
// order. Counters count from server start; CONFIG RESETSTAT does not
// clear them (Prometheus takes them as ever-growing counters).
var shardFields = [...]string{
	"shard",              // index, 0 … shards-1
	"keys",               // keys held, expired ones not yet reclaimed included (as DBSIZE)
	"expires",            // keys with a TTL
	"bytes",              // bytes of live entries: key, value and per-entry header
	"arena_bytes",        // bytes of chunks held (live entries plus space not yet reclaimed)
	"expired_keys",       // keys removed because their TTL passed
	"lock_acquisitions",  // times the shard's lock was taken
	"lock_contended",     // acquisitions that had to wait for another holder
	"lock_wait_usec",     // total time spent waiting, microseconds
	"lock_max_wait_usec", // longest single wait, microseconds
	"used_memory",        // what counts against maxmemory: chunks, index and ghost tables
	"evicted_keys",       // keys evicted to stay under maxmemory
}

// cmdCachesrvShards replies with the per-shard statistics table: an array
// with one entry per shard, each a map of field to integer (in RESP2 a
// flat field/value array, as CONFIG GET and COMMAND DOCS send maps).
func cmdCachesrvShards(c *client, _ [][]byte, _ store.Tx) {
	stats := c.srv.ShardStats()
	c.WriteArray(len(stats))
	for i, s := range stats {
		values := [len(shardFields)]int64{
			int64(i), s.Keys, s.KeysWithTTL, s.LiveBytes, s.Arena, s.Expired,
			int64(s.LockAcquisitions), int64(s.LockContended),
			int64(s.LockWait / time.Microsecond), int64(s.LockMaxWait / time.Microsecond),
			s.Mem, s.Evicted,
		}
		c.WriteMap(len(shardFields))
		for j, name := range shardFields {
			c.WriteBulkString(name)
			c.WriteInt64(values[j])
		}
	}
}
