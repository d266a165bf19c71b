// Package store is cachesrv's keyspace: a fixed number of lock-sharded maps
// holding byte-string values with optional expiry.
//
// Why the layout looks the way it does: a map[string][]byte keeps two
// pointers per key, and with millions of keys Go's garbage collector then
// spends a large share of the CPU marking them (see DESIGN.md). Each shard
// here instead keeps its entries packed into large byte chunks (an arena,
// no pointers inside) and an index map[uint64]uint64 from the key's 64-bit
// hash to the entry's location, which the collector never needs to scan.
// Hash collisions are resolved by comparing the stored key; the rare
// colliding key lives in a small overflow map.
//
// Entries are appended; an overwrite that does not fit in place appends a
// new copy and marks the old one dead. A chunk whose dead share passes a
// threshold is compacted: its live entries move to the tail chunk and the
// chunk is released. Chunks carry a creation sequence number and entries
// only ever move to the newest chunk, so walking a shard in (sequence,
// offset) order is a valid SCAN cursor: a key present for the whole walk is
// seen at least once.
//
// The store knows nothing of the network or of Redis commands. Callers lock
// the shards they need (in ascending order, see Store.Lock) and operate
// through a Tx, which is how a pipeline of commands on one shard, or a
// MULTI/EXEC over several, runs under one lock acquisition.
package store
