package protocol

import (
	"bytes"

	"github.com/cachesrv/cachesrv/protocol/rdb"
	"github.com/cachesrv/cachesrv/store"
)

// DUMP and RESTORE of sorted sets (cmd_dump.go calls these), which
// cluster hand-off and MIGRATE use too.

// zsetDump serializes key's sorted set as RDB_TYPE_ZSET_2.
func zsetDump(tx store.Tx, key []byte) []byte {
	var members [][]byte
	var scores []float64
	tx.ZRangeByRank(key, 0, -1, false, func(zm store.ZMember) bool {
		members = append(members, bytes.Clone(zm.Member))
		scores = append(scores, zm.Score)
		return true
	})
	return rdb.AppendZSet(nil, members, scores)
}

// zsetRestore decodes a sorted set payload (RDB_TYPE_ZSET_2 or Redis 7's
// RDB_TYPE_ZSET_LISTPACK) and returns what stores it.
func zsetRestore(typ byte, body []byte) (func(tx store.Tx, key []byte), error) {
	members, scores, err := rdb.ReadZSet(typ, body)
	if err != nil || len(members) == 0 {
		return nil, rdb.ErrBadFormat
	}
	ms := make([]store.ZMember, len(members))
	for i, m := range members {
		ms[i] = store.ZMember{Member: bytes.Clone(m), Score: scores[i]}
	}
	return func(tx store.Tx, key []byte) { tx.ZStore(key, ms) }, nil
}
