package store

// ScanShard visits part of shard i for hand-off (a cluster node moving the
// keys of the slots it lost to their new owners): from cursor (0 starts
// the shard) it walks about count of the shard's keys under the shard's
// read lock, and calls fn, still under that lock, with a Tx and each live
// key for which pick holds, so the caller can read the key's value and
// TTL. pick sees every live key of the part walked: one pass over each
// shard picks the keys of all the slots lost at once. It returns the
// cursor to go on from and whether the shard is done.
//
// The lock is held for one call only, so a caller walking a large shard
// in parts of a few hundred keys never holds up the shard's clients
// longer than that. The cursor is SCAN's (see shard.scan): a key that
// exists for the whole walk is visited exactly once, whatever the shard's
// table does in between. Keys are valid during fn only.
func (s *Store) ScanShard(i int, cursor uint64, count int, pick func(key []byte) bool, fn func(tx Tx, key []byte)) (next uint64, done bool) {
	sh := s.shards[i]
	sh.lock(false)
	defer sh.unlock(false)
	tx := s.Tx()
	var picked [][]byte
	hi := sh.scan(cursor, max(count, 1), tx.now, func(e entry) {
		if k := e.key(); pick(k) {
			picked = append(picked, k)
		}
	})
	// fn runs after the walk, so that what it reads (and the access times
	// it updates) cannot disturb the walk itself.
	for _, k := range picked {
		fn(tx, k)
	}
	return hi, hi >= scanEnd
}
