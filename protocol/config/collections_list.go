package config

import (
	"math"
	"strconv"
)

// Lists' settings, Redis 7.0's names and defaults: list-max-listpack-size
// (old name list-max-ziplist-size) bounds a list kept compactly inside its
// entry and each page of a large list (negative: -1..-5 for 4..64 KiB;
// positive: a number of elements); list-compress-depth is accepted and
// reported, with no effect (pages are never compressed).
func init() {
	size := func(c *Config) string { return strconv.FormatInt(c.Coll.ListMaxListpackSize.Load(), 10) }
	setSize := intSetting(func(c *Config, n int64) { c.Coll.ListMaxListpackSize.Store(n) }, math.MinInt32, math.MaxInt32)
	const usage = "largest list kept compactly inside its entry, and largest page of a large list: -1..-5 for 4, 8, 16, 32, 64 KiB, or a positive number of elements"
	Settings = append(Settings,
		&Setting{Name: "list-max-listpack-size", Default: "-2", Mutable: true, Usage: usage, get: size, set: setSize},
		&Setting{Name: "list-max-ziplist-size", Default: "-2", Mutable: true, Usage: "old name of list-max-listpack-size", get: size, set: setSize},
		&Setting{Name: "list-compress-depth", Default: "0", Mutable: true,
			Usage: "accepted for Redis compatibility; list pages are never compressed",
			get:   func(c *Config) string { return strconv.FormatInt(c.Coll.ListCompressDepth.Load(), 10) },
			set:   intSetting(func(c *Config, n int64) { c.Coll.ListCompressDepth.Store(n) }, 0, math.MaxInt32)},
	)
}
