package config

import (
	"strconv"
	"sync/atomic"
)

// HLLConfig holds hll-sparse-max-bytes: the size (header included) past
// which a sparse HyperLogLog turns dense, Redis's name and default.
type HLLConfig struct {
	SparseMaxBytes atomic.Int64
}

func init() {
	Settings = append(Settings, &Setting{Name: "hll-sparse-max-bytes", Default: "3000", Mutable: true,
		Usage: "a sparse HyperLogLog that would grow past this many bytes is converted to the dense form (12 KB)",
		get:   func(c *Config) string { return strconv.FormatInt(c.HLL.SparseMaxBytes.Load(), 10) },
		set:   sizeSetting(func(c *Config, n int64) { c.HLL.SparseMaxBytes.Store(n) }, 0)})
}
