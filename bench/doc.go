// Package bench holds cachesrv's benchmark commands, one question each:
//
//   - storebench: how does the sharded store scale with goroutines and
//     shard count, and how much of the time goes to waiting for locks?
//   - poolbench: how many workers should a pool have, for CPU-bound and
//     for I/O-bound work?
//   - loadgen: how fast is the whole server over TCP, and how does it
//     compare with redis-server run side by side?
//   - membench: what does a key cost in RSS, does GET latency (GC) get
//     worse with 10M keys than with 10k, and does RSS stay within
//     maxmemory under TTL churn, each against redis-server?
//
// Each prints a table and writes <name>-<cores>c-<YYYYMMDD>.csv, .md and
// .svg under bench/results. What they share (tables, CSV, SVG charts,
// progress lines, key distributions) lives in bench/internal.
package bench
