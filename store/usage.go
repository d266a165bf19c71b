package store

// MemoryUsage estimates the bytes key takes: its entry in the arena (header,
// key, reserved value space) plus its share of the shard's index table.
// False if it is missing.
func (t Tx) MemoryUsage(key []byte) (int64, bool) {
	sh, h := t.hashed(key)
	e, _, ok := sh.lookup(key, h, t.now)
	if !ok {
		return 0, false
	}
	return int64(e.size()) + sh.idx.bytes()/int64(sh.idx.used), true
}
