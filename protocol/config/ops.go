package config

import (
	"math"
	"strconv"
	"sync/atomic"
)

// OpsConfig holds the settings of the operator's diagnostics, the slow
// log and the latency monitor, read after every command without a lock.
type OpsConfig struct {
	// SlowlogSlowerThan is slowlog-log-slower-than in microseconds:
	// commands that take at least this long are logged; -1 = off, 0 =
	// every command.
	SlowlogSlowerThan atomic.Int64
	// SlowlogMaxLen is slowlog-max-len: how many entries SLOWLOG keeps.
	SlowlogMaxLen atomic.Int64
	// LatencyMonitorThreshold is latency-monitor-threshold in
	// milliseconds: commands at least this slow are latency events
	// (LATENCY LATEST); 0 = the latency monitor is off.
	LatencyMonitorThreshold atomic.Int64
}

func init() {
	i64 := func(name, def, usage string, field func(*Config) *atomic.Int64, lo int64) *Setting {
		return &Setting{Name: name, Default: def, Mutable: true, Usage: usage,
			get: func(c *Config) string { return strconv.FormatInt(field(c).Load(), 10) },
			set: intSetting(func(c *Config, n int64) { field(c).Store(n) }, lo, math.MaxInt64)}
	}
	Settings = append(Settings,
		i64("slowlog-log-slower-than", "10000", "microseconds a command must take to enter the slow log (SLOWLOG GET); -1 = off, 0 = every command",
			func(c *Config) *atomic.Int64 { return &c.Ops.SlowlogSlowerThan }, -1),
		i64("slowlog-max-len", "128", "entries the slow log keeps (the oldest go first)",
			func(c *Config) *atomic.Int64 { return &c.Ops.SlowlogMaxLen }, 0),
		i64("latency-monitor-threshold", "0", "milliseconds a command must take to be a latency event (LATENCY LATEST / HISTORY); 0 = latency monitor off",
			func(c *Config) *atomic.Int64 { return &c.Ops.LatencyMonitorThreshold }, 0),
	)
}
