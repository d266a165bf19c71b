package config

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
)

// ScriptingConfig holds the settings of Lua scripts and functions, read
// at every script call without a lock.
type ScriptingConfig struct {
	// BusyReplyThreshold is busy-reply-threshold (alias lua-time-limit),
	// in milliseconds: once a script has run this long, commands that
	// would wait for its locks get -BUSY and SCRIPT KILL may stop it.
	BusyReplyThreshold atomic.Int64
	// AllShardsLock is lua-undeclared-keys all-shards-lock: scripts run
	// under every shard's lock, so they may touch keys they did not
	// declare. Off (the default, "error"), a script locks the shards of
	// its KEYS only and a command on any other key fails.
	AllShardsLock atomic.Bool
	// MemoryLimit is lua-memory-limit: how much the Go heap may grow
	// while one script runs before the script is stopped (bytes; 0 = no
	// bound).
	MemoryLimit atomic.Int64
}

func init() {
	threshold := func(name, usage string) *Setting {
		return &Setting{Name: name, Default: "5000", Mutable: true, Usage: usage,
			get: func(c *Config) string { return strconv.FormatInt(c.Scripting.BusyReplyThreshold.Load(), 10) },
			set: intSetting(func(c *Config, n int64) { c.Scripting.BusyReplyThreshold.Store(n) }, 0, 1<<62)}
	}
	Settings = append(Settings,
		threshold("busy-reply-threshold", "milliseconds a script (or function) runs before commands waiting on its keys get -BUSY and SCRIPT KILL / FUNCTION KILL may stop it; 0 = at once"),
		threshold("lua-time-limit", "old name of busy-reply-threshold"),
		&Setting{Name: "lua-undeclared-keys", Default: "error", Mutable: true,
			Usage: "what a script may do with a key it did not pass in KEYS: error (refused: the script holds only its KEYS' shard locks) or all-shards-lock (scripts run under every shard's lock: atomic, but one script at a time)",
			get: func(c *Config) string {
				if c.Scripting.AllShardsLock.Load() {
					return "all-shards-lock"
				}
				return "error"
			},
			set: func(c *Config, v string) error {
				switch strings.ToLower(v) {
				case "error":
					c.Scripting.AllShardsLock.Store(false)
				case "all-shards-lock":
					c.Scripting.AllShardsLock.Store(true)
				default:
					return fmt.Errorf("argument must be one of the following: error, all-shards-lock")
				}
				return nil
			}},
		&Setting{Name: "lua-memory-limit", Default: "1gb", Mutable: true,
			Usage: "how much the heap may grow while one script runs before the script is stopped with an error (bytes, or 256mb...; 0 = no bound)",
			get:   func(c *Config) string { return strconv.FormatInt(c.Scripting.MemoryLimit.Load(), 10) },
			set:   sizeSetting(func(c *Config, n int64) { c.Scripting.MemoryLimit.Store(n) }, 0)},
	)
}
