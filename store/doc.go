// Package store is cachesrv's keyspace: a fixed number of lock-sharded maps
// holding strings, hashes and sets with optional expiry, kept under a
// memory limit by eviction.
//
// The store knows nothing of the network or of Redis commands. Callers lock
// the shards they need (in ascending order, see Store.Lock) and operate
// through a Tx, which is how a pipeline of commands on one shard, or a
// MULTI/EXEC over several, runs under one lock acquisition. Writes that may
// add data call Store.Admit first, with no lock held, which evicts or
// refuses when the store is over its limit.
//
// The files follow the concerns: store.go (the Store, its options and
// counters), lock.go (shard locks), shard.go (a shard's key operations),
// alloc.go (chunks, logs, compaction), entry.go (an entry's bytes),
// index.go (key to entry), memory.go (accounting and limits), evict.go and
// ghost.go (eviction policies), meta.go (per-entry usage for eviction),
// expire.go (active expiry), pool.go (reused chunk buffers), tx.go
// (operations under the caller's locks), watch.go (WATCH), stats.go
// (per-shard counters), and for hashes and sets typed.go (the type tag),
// coll.go (their operations), coll_small.go (listpack and intset inside
// the entry), coll_big.go (hashtables), coll_expire.go (field expiry)
// and coll_copy.go (RENAME and COPY of any type).
//
// # Layout
//
// A map[string][]byte keeps two pointers per key, and with millions of keys
// Go's garbage collector spends a large share of the CPU marking them. Each
// shard here instead packs its entries into byte chunks (an arena with no
// pointers inside) and finds them through an open-addressing index of
// uint64 slots, each a 32-bit hash fingerprint and a 32-bit location; the
// collector has a few objects per chunk to mark, not one per key. Keys are
// compared in the arena when fingerprints match, so hash collisions need no
// special case.
//
// A key costs a 16-byte header, its key and value rounded up to 8 bytes
// (128 B in the measurement below) and about 11 bytes of index; the rest
// of the RSS is the Go runtime's. Measured with go run ./bench/membench
// -mode bytes: exactly 1,000,000 keys key:%d with 100-byte values, RSS
// after loading minus RSS when empty, on a 2-core VM with redis-server
// 7.0.15 in the same run (bench/results/membench-bytes-2c-20261127.md):
//
//	                      cachesrv   redis-server   ratio
//	RSS per key              150 B          192 B   0.78x
//	used_memory per key      140 B          184 B   0.76x
//
// Entries are appended; an overwrite that does not fit in place appends a
// new copy and marks the old one dead. A chunk whose dead share passes a
// threshold is compacted: its live entries move to a tail chunk and the
// chunk is released. A key's home slot in the index is monotonic in its
// fingerprint, so SCAN walks the index in fingerprint order, with a cursor
// that stays valid however the table is resized or entries move.
//
// # Hashes and sets
//
// Collections keep the rule: nothing per element that the collector must
// scan. Every entry carries a type tag, the top bit of its value length
// (a string's header is unchanged, so GET and SET pay one mask); a
// collection's value starts with its type and encoding. Small ones are
// encoded inside the entry's value bytes as Redis encodes them in one
// allocation (coll_small.go): a hash as a listpack of field and value
// pairs, with an 8-byte expiry after each once a field has one
// (listpackex); a set of integers as a sorted intset of 2, 4 or 8-byte
// members; another set as a listpack. A write re-encodes the value and
// writes it back in place when it fits, else as a new copy, as SET does;
// HSET and SADD with several arguments re-encode once (Tx.PutMany). Past
// Redis's thresholds (CollLimits, with its setting names and defaults)
// the collection becomes a hashtable (coll_big.go): the shard's own
// design applied to one collection, records appended to byte chunks that
// grow from 4 to 64 KiB and an open-addressing table of uint64 slots
// (fingerprint and record reference), referred to from the entry by a
// handle into the shard's table of them. That is one pointer per large
// collection and a few per 64 KiB of elements; none per element.
//
// Chosen over a B-tree of byte pages (Dragonfly's for sorted sets, which
// keeps order that hashes and sets do not need) and over a Go map per
// collection (two pointers an element) because it reuses what the store
// already does well: O(1) lookups, compaction of dead records, and a SCAN
// cursor (the fingerprint) that survives resizes, which HSCAN and SSCAN
// need for Redis's guarantee. Deleting, expiring or evicting a hashtable
// drops its handle: the collector frees the chunks without reading them,
// so a DEL of ten million fields takes constant time (Redis needs
// lazyfree for that). Measured with go run ./bench/collbench -n 1000000
// (RSS added per element, fresh processes, redis-server 7.0.15 in the
// same run, 2-core VM; bench/results/collbench-2c-20261202.txt):
//
//	                                          cachesrv  redis-server  ratio
//	(a) 1M hashes of 10 fields (8 B, 16 B)      37.2 B        39.7 B  0.94x
//	(b) one hash of 1M fields (8 B, 16 B)       60.3 B        98.0 B  0.61x
//	(c) one set of 1M 16-byte members           50.9 B        81.1 B  0.63x
//	(d) 1M sets of 5 small integers             11.5 B        22.4 B  0.51x
//
// Before HSET re-encoded once for all its pairs, (a) was 44.8 B (1.12x):
// ten re-encodings of a growing hash left dead copies behind; and before
// the hashtable's records went into chunks instead of one growing slice,
// (b) was 107.5 B (1.10x), the slices left behind by each doubling.
//
// # Sorted sets
//
// A small sorted set (up to zset-max-listpack-entries members of at most
// zset-max-listpack-value bytes) is a listpack-like payload in its entry,
// items ordered by (score, member): 8 bytes of score, uvarint(len), member
// (zset_small.go). Past the thresholds it becomes a zbig (zset_big.go), in
// the shard's table of large values like a hashtable: a B+tree over
// (score, member) whose nodes are byte pages in one slice, referred to by
// index, with each child's element count in its parent (ranks in
// O(log n), ranges in O(log n + m)), leaves linked both ways, and a member
// table (linear probing over 4-byte fingerprints and 8-byte scores) that
// finds a member's score, verified against the tree. A full leaf first
// shares items with a neighbour and splits only when both are full (at
// the insertion point at the set's ends, so ascending inserts fill
// pages); a leaf under a quarter full merges with one. Measured with
// go run ./bench/collbench -workloads z -n 1000000 (one sorted set of 1M
// 16-byte members, random scores; RSS added per member, 2-core VM under
// load): 73.6 B against redis-server 7.0.15's 133.4 B, 0.55x; the
// structure itself is 51.1 B a member (leaves 80% full, table 65%;
// go test -bench BenchmarkZSet -v ./store/).
//
// Field expiry (coll_expire.go): expired fields are never returned (reads
// compare the command's clock); the active expiry cycle also visits the
// hashes that have fields with an expiry (counted per shard, so a shard
// without any costs nothing) and removes expired fields, a bounded number
// of table slots per visit; a hash whose last field expires is deleted.
// Under go run ./bench/collbench -churn 90s (20k fields a second with TTLs
// of 1-60 s) used_memory levelled off after 60 s and every hash was gone
// 60 s after the last write.
//
// # Memory accounting
//
// Store.Used is what maxmemory limits and INFO reports as used_memory: the
// shards' chunks (live entries, dead ones not yet reclaimed,
// the unused ends of the chunks being filled), their index tables,
// S3-FIFO's ghost tables and the hashtables of large collections. Each shard adds and subtracts as it takes and
// gives back memory, so reading it is one atomic load. Released chunks
// kept for reuse (pool.go) do not count, as an allocator's free lists do
// not in Redis.
//
// Above the limit, a write (Store.Admit) first evicts under the policy,
// starting in the shard it writes to; if the policy may not (noeviction)
// or cannot (a volatile policy with no key that has a TTL) free anything,
// it gets ErrOOM, Redis's own error. Reads and deletes always work. The
// limit and policy come in through Options.Limits and change at run time
// through Store.SetLimits; a limit lowered below Used is enforced at once.
//
// # Choosing a policy
//
// Chunks form logs: FIFOs with a tail being filled. AllKeysS3FIFO (the
// server's default) is S3-FIFO (Yang et al., SOSP 2023) kept per shard:
// new keys enter a small FIFO (a tenth of the shard); those read twice
// before they reach its end move to the main FIFO, the others are dropped
// and their hash remembered in a ghost table, so a key that comes back
// soon goes straight to the main FIFO, where a key read since it last
// moved goes round again. Both FIFOs are logs of chunks, so eviction frees
// whole chunks and leaves no holes: more keys fit in the same bytes, and
// no sampling is needed. Use it unless you need one of the others.
//
// Redis's policies are kept too. AllKeysLRU and AllKeysLFU sample
// Limits.Samples keys and evict the least recently or least frequently used;
// they free entries one at a time, scattered over the chunks, and the
// space comes back when a chunk is compacted, so up to about 1/16 of
// maxmemory is holes. The LRU clock counts seconds in 16 bits (Redis:
// 24); LFU keeps Redis's logarithmic counter, with minutes mod 256 for the
// decay. AllKeysRandom is the cheapest and has the worst hit ratio. The
// volatile policies do the same among keys with a TTL only (VolatileTTL:
// soonest to expire first), for a cache that also holds data it must not
// lose: keys without a TTL are never evicted, and writes get ErrOOM once
// only they are left. NoEviction, Redis's default, refuses writes over the
// limit.
//
// Replaying traces of 2.5M requests over 1M keys cache-aside with room
// for 15% of the keys in Redis (go run ./bench/hitratio -rounds 3,
// bench/results/hitratio-2c-20261127.md), the store holds 1.35-1.38x
// Redis's keys in the same bytes, which lifts all its policies; S3-FIFO,
// which also wastes no space on holes, has the best mean hit ratio (62.2%
// against 61.6% for LFU and 60.7% for LRU) and is at least Redis
// allkeys-lru's on every trace (+2.5, +10.0, +2.8 and +0.8 points).
//
// # The Go runtime
//
// Unless GOGC or GOMEMLIMIT is set in the environment, cachesrv runs the
// collector at GOGC=25: with a pointer-free heap a collection is cheap,
// and running it after 25% growth instead of 100% keeps garbage (old index
// tables, request buffers) from padding the RSS (150 B a key in the
// measurement above, against 159 at GOGC=100). With a maxmemory it also
// sets the runtime's soft memory limit to maxmemory + 5% + 16 MiB
// (Options.GoMemoryLimit), so that memory freed by compaction and eviction
// is returned rather than left to pad the RSS.
package store
