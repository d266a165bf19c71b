package store

// indexOverhead estimates what one key costs in a shard's index map: a
// 16-byte slot in a Go swiss-table group, at its typical load.
const indexOverhead = 24

// MemoryUsage estimates the bytes key takes: its entry in the arena (header,
// key, reserved value space) plus its index slot. False if it is missing.
func (t Tx) MemoryUsage(key []byte) (int64, bool) {
	sh, h := t.hashed(key)
	e, _, ok := sh.lookup(key, h, t.now)
	if !ok {
		return 0, false
	}
	return int64(e.size()) + indexOverhead, true
}
