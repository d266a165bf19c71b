// Package store is cachesrv's keyspace: a fixed number of lock-sharded maps
// holding byte-string values with optional expiry, kept under a memory
// limit by eviction.
//
// Why the layout looks the way it does: a map[string][]byte keeps two
// pointers per key, and with millions of keys Go's garbage collector then
// spends a large share of the CPU marking them (see DESIGN.md). Each shard
// here instead keeps its entries packed into byte chunks (an arena, no
// pointers inside) and an open-addressing index of uint64 slots, each a
// 32-bit hash fingerprint and a 32-bit location, which the collector never
// needs to scan. Keys are compared in the arena when fingerprints match,
// so hash collisions need no special case. An entry costs a 16-byte
// header, its key and value rounded up to 8 bytes, and about 11 bytes of
// index: with 1M keys of 100 B, 148 B of RSS a key against Redis 7's 192.
//
// Entries are appended; an overwrite that does not fit in place appends a
// new copy and marks the old one dead. A chunk whose dead share passes a
// threshold is compacted: its live entries move to a tail chunk and the
// chunk is released. A key's home slot in the index is monotonic in its
// fingerprint, so SCAN walks the index in fingerprint order, with a cursor
// that stays valid however the table is resized or entries move.
//
// Chunks form logs: FIFOs with a tail being filled. Under maxmemory the
// default policy, S3-FIFO, keeps two logs per shard and evicts the oldest
// chunk of one, moving the entries worth keeping to a tail: eviction frees
// whole chunks and leaves no holes. Redis's sampling policies (LRU, LFU,
// random, TTL) are kept too; they free entries one by one and compact
// chunks as the holes add up. See evict.go.
//
// The store knows nothing of the network or of Redis commands. Callers lock
// the shards they need (in ascending order, see Store.Lock) and operate
// through a Tx, which is how a pipeline of commands on one shard, or a
// MULTI/EXEC over several, runs under one lock acquisition. Writes that may
// add data call Store.Admit first, with no lock held, which evicts or
// refuses when the store is over its limit.
package store
