package config

// cluster-allow-insecure is the explicit way to run a cluster whose
// gossip other hosts can reach without a secret (see cluster.ErrNoSecret):
// the node then starts, with a warning, and anyone who reaches its gossip
// port can join.
func init() {
	Settings = append(Settings,
		&Setting{Name: "cluster-allow-insecure", Default: "no", Bool: true, Usage: "let a cluster node gossip on a non-loopback address without gossip-secret (anyone who reaches the port can join and get data; logs a warning)",
			get: func(c *Config) string { return yesNo(c.Cluster.AllowInsecure) },
			set: boolSetting(func(c *Config, b bool) { c.Cluster.AllowInsecure = b })},
	)
}
