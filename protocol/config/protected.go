package config

import "net/netip"

func init() {
	Settings = append(Settings,
		&Setting{Name: "protected-mode", Default: "yes", Bool: true, Mutable: true,
			Usage: "while no password is set (requirepass), refuse clients that are not on the loopback interface with -DENIED, as Redis does",
			get:   func(c *Config) string { return yesNo(c.ProtectedMode.Load()) },
			set:   boolSetting(func(c *Config, b bool) { c.ProtectedMode.Store(b) })})
}

// ListenNetwork is the network to listen on for bind, as Redis binds:
// an IPv4 address listens on IPv4 only and an IPv6 one on IPv6 only
// (0.0.0.0 is every IPv4 address, :: every IPv6 one). Go's "tcp" would
// make 0.0.0.0 a dual-stack socket that also serves every IPv6 address,
// a wider exposure than the operator asked for. A host name stays "tcp".
func (c *Config) ListenNetwork() string {
	ip, err := netip.ParseAddr(c.Bind)
	switch {
	case err != nil:
		return "tcp"
	case ip.Is4():
		return "tcp4"
	}
	return "tcp6"
}
