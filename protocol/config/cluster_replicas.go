package config

import "strconv"

func init() {
	Settings = append(Settings,
		&Setting{Name: "cluster-replicas", Default: "0", Usage: "how many more nodes keep a copy of each slot (the next ones clockwise on the ring), replicated asynchronously; the same on every node (0 = none: a killed node's keys are lost)",
			get: func(c *Config) string { return strconv.Itoa(c.Cluster.Replicas) },
			set: intSetting(func(c *Config, n int64) { c.Cluster.Replicas = int(n) }, 0, 16)},
	)
}
