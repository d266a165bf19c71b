package config

import (
	"strconv"
	"sync/atomic"

	"github.com/cachesrv/cachesrv/store"
)

// CollConfig holds the encoding thresholds of hashes and sets (Redis's
// names and defaults; the old *-ziplist-* names are aliases, as in Redis
// 7) and the lazyfree settings.
type CollConfig struct {
	HashMaxListpackEntries atomic.Int64
	HashMaxListpackValue   atomic.Int64
	SetMaxIntsetEntries    atomic.Int64
	SetMaxListpackEntries  atomic.Int64
	SetMaxListpackValue    atomic.Int64
	ZSetMaxListpackEntries atomic.Int64
	ZSetMaxListpackValue   atomic.Int64
	ListMaxListpackSize    atomic.Int64 // list-max-listpack-size (collections_list.go)
	ListCompressDepth      atomic.Int64 // list-compress-depth: accepted, no effect
	// lazyfree is the lazyfree-lazy-* settings by name: accepted and
	// reported for Redis's tools, with no effect, since deleting a
	// collection of any size never blocks here (see store/doc.go).
	lazyfree [len(lazyfreeNames)]atomic.Bool
}

var lazyfreeNames = [...]string{
	"lazyfree-lazy-eviction", "lazyfree-lazy-expire", "lazyfree-lazy-server-del",
	"lazyfree-lazy-user-del", "lazyfree-lazy-user-flush", "replica-lazy-flush",
}

// CollLimits returns the thresholds in the store's terms: the store takes
// them at construction and, after CONFIG SET, through SetCollLimits.
func (c *Config) CollLimits() store.CollLimits {
	return store.CollLimits{
		HashMaxListpackEntries: int(c.Coll.HashMaxListpackEntries.Load()),
		HashMaxListpackValue:   int(c.Coll.HashMaxListpackValue.Load()),
		SetMaxIntsetEntries:    int(c.Coll.SetMaxIntsetEntries.Load()),
		SetMaxListpackEntries:  int(c.Coll.SetMaxListpackEntries.Load()),
		SetMaxListpackValue:    int(c.Coll.SetMaxListpackValue.Load()),
		ZSetMaxListpackEntries: int(c.Coll.ZSetMaxListpackEntries.Load()),
		ZSetMaxListpackValue:   int(c.Coll.ZSetMaxListpackValue.Load()),
		ListMaxListpackSize:    int(c.Coll.ListMaxListpackSize.Load()),
	}
}

func init() {
	limit := func(name, def, usage string, v func(*Config) *atomic.Int64) *Setting {
		return &Setting{Name: name, Default: def, Mutable: true, Usage: usage,
			get: func(c *Config) string { return strconv.FormatInt(v(c).Load(), 10) },
			set: sizeSetting(func(c *Config, n int64) { v(c).Store(n) }, 0)}
	}
	hashEntries := func(c *Config) *atomic.Int64 { return &c.Coll.HashMaxListpackEntries }
	hashValue := func(c *Config) *atomic.Int64 { return &c.Coll.HashMaxListpackValue }
	const entries = "a hash with more fields than this is kept as a hashtable instead of compactly in its entry"
	const value = "a hash with a field or value longer than this (bytes) is kept as a hashtable"
	Settings = append(Settings,
		limit("hash-max-listpack-entries", "128", entries, hashEntries),
		limit("hash-max-ziplist-entries", "128", "old name of hash-max-listpack-entries", hashEntries),
		limit("hash-max-listpack-value", "64", value, hashValue),
		limit("hash-max-ziplist-value", "64", "old name of hash-max-listpack-value", hashValue),
		limit("set-max-intset-entries", "512", "a set of integers with more members than this is kept as a hashtable (or a listpack) instead of a sorted integer array",
			func(c *Config) *atomic.Int64 { return &c.Coll.SetMaxIntsetEntries }),
		limit("set-max-listpack-entries", "128", "a set with more members than this is kept as a hashtable instead of compactly in its entry",
			func(c *Config) *atomic.Int64 { return &c.Coll.SetMaxListpackEntries }),
		limit("set-max-listpack-value", "64", "a set with a member longer than this (bytes) is kept as a hashtable",
			func(c *Config) *atomic.Int64 { return &c.Coll.SetMaxListpackValue }),
	)
	zsetEntries := func(c *Config) *atomic.Int64 { return &c.Coll.ZSetMaxListpackEntries }
	zsetValue := func(c *Config) *atomic.Int64 { return &c.Coll.ZSetMaxListpackValue }
	Settings = append(Settings,
		limit("zset-max-listpack-entries", "128", "a sorted set with more members than this is kept as a B+tree (skiplist) instead of compactly in its entry", zsetEntries),
		limit("zset-max-ziplist-entries", "128", "old name of zset-max-listpack-entries", zsetEntries),
		limit("zset-max-listpack-value", "64", "a sorted set with a member longer than this (bytes) is kept as a B+tree (skiplist)", zsetValue),
		limit("zset-max-ziplist-value", "64", "old name of zset-max-listpack-value", zsetValue),
	)
	for i, name := range lazyfreeNames {
		Settings = append(Settings, &Setting{Name: name, Default: "no", Bool: true, Mutable: true,
			Usage: "accepted for Redis compatibility; deleting, expiring or evicting a collection of any size never blocks here",
			get:   func(c *Config) string { return yesNo(c.Coll.lazyfree[i].Load()) },
			set:   boolSetting(func(c *Config, b bool) { c.Coll.lazyfree[i].Store(b) })})
	}
}
