package config

import (
	"strconv"
	"time"
)

// DefaultLeaveTimeout bounds a graceful leave, hand-off included.
const DefaultLeaveTimeout = 30 * time.Second

func init() {
	Settings = append(Settings,
		&Setting{Name: "cluster-leave-timeout", Default: "30", Usage: "seconds a graceful leave (SIGTERM, SHUTDOWN) may take to hand this node's keys to the new owners of its slots before it exits anyway",
			get: func(c *Config) string { return strconv.FormatInt(int64(c.Cluster.LeaveTimeout/time.Second), 10) },
			set: intSetting(func(c *Config, n int64) { c.Cluster.LeaveTimeout = time.Duration(n) * time.Second }, 0, 24*3600)},
	)
}
