package config

// cluster-bootstrap lets a node whose seeds name other nodes form a
// cluster alone when none of them answers (cluster/bootstrap.go says when
// a node does so by itself).
func init() {
	Settings = append(Settings,
		&Setting{Name: "cluster-bootstrap", Default: "no", Bool: true, Usage: "form a new cluster alone if no seed of --join answers (without it such a node answers CLUSTERDOWN and retries, unless its seeds resolve only to itself)",
			get: func(c *Config) string { return yesNo(c.Cluster.Bootstrap) },
			set: boolSetting(func(c *Config, b bool) { c.Cluster.Bootstrap = b })},
	)
}
