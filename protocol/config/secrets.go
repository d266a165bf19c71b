package config

import (
	"fmt"
	"os"
	"strings"
)

// SecretFiles name files holding the secrets, so that the secrets stay off
// the command line, which every local user reads (ps, /proc/PID/cmdline).
// LoadSecretFiles reads them once the flags are parsed.
type SecretFiles struct {
	Requirepass  string // requirepass-file
	GossipSecret string // gossip-secret-file
}

// SecretFlags are the settings whose value is a secret, each with the
// setting that reads it from a file instead: a secret given on the
// command line deserves a warning.
var SecretFlags = map[string]string{
	"requirepass":   "requirepass-file",
	"gossip-secret": "gossip-secret-file",
}

func init() {
	sf := func(c *Config) *SecretFiles { return &c.SecretFiles }
	Settings = append(Settings,
		&Setting{Name: "requirepass-file", Default: "", Usage: "file holding requirepass (a trailing newline is ignored); keeps the password off the command line",
			get: func(c *Config) string { return sf(c).Requirepass },
			set: func(c *Config, v string) error { sf(c).Requirepass = v; return nil }},
		&Setting{Name: "gossip-secret-file", Default: "", Usage: "file holding gossip-secret (a trailing newline is ignored); keeps the secret off the command line",
			get: func(c *Config) string { return sf(c).GossipSecret },
			set: func(c *Config, v string) error { sf(c).GossipSecret = v; return nil }},
	)
}

// LoadSecretFiles sets requirepass and gossip-secret from the files named
// by requirepass-file and gossip-secret-file. Both a secret and its file,
// a file that cannot be read, or an empty one (which would silently mean
// "no password") are errors naming the flag.
func (c *Config) LoadSecretFiles() error {
	for _, f := range []struct {
		file, secret string
		path         string
		current      string
		set          func(string)
	}{
		{"requirepass-file", "requirepass", c.SecretFiles.Requirepass, c.Requirepass(),
			func(v string) { c.mu.Lock(); c.requirepass = v; c.mu.Unlock() }},
		{"gossip-secret-file", "gossip-secret", c.SecretFiles.GossipSecret, c.Cluster.GossipSecret,
			func(v string) { c.Cluster.GossipSecret = v }},
	} {
		if f.path == "" {
			continue
		}
		if f.current != "" {
			return fmt.Errorf("--%s and --%s both given: choose one", f.secret, f.file)
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			return fmt.Errorf("--%s: %w", f.file, err)
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if v == "" {
			return fmt.Errorf("--%s: %s is empty", f.file, f.path)
		}
		f.set(v)
	}
	return nil
}
