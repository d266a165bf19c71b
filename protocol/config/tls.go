package config

import (
	"crypto/tls"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// TLSConfig holds the tls-* settings: Redis's directives for serving RESP
// over TLS on a second port. The file settings can change at run time
// (CONFIG SET), as in Redis: each change rebuilds the TLS configuration
// from the files, and new connections get it while open ones keep theirs.
type TLSConfig struct {
	Port int // tls-port; 0 = no TLS listener. Fixed at start.

	mu sync.Mutex // guards s
	s  tlsSettings

	// current is what the next handshake uses: built by Load and by
	// CONFIG SET, read by ServerConfig's GetConfigForClient.
	current atomic.Pointer[tls.Config]
	// With tls-cluster (tls_cluster.go), peer is the server configuration
	// of a handshake that offers route.PeerALPN, and client the one a peer
	// link dials with; both nil without it. Built with current.
	peer, client atomic.Pointer[tls.Config]
}

// tlsSettings are the values the TLS configuration is built from
// (tlsbuild.go); a build copies them under the lock.
type tlsSettings struct {
	CertFile     string // tls-cert-file
	KeyFile      string // tls-key-file
	CAFile       string // tls-ca-cert-file
	CADir        string // tls-ca-cert-dir
	AuthClients  string // tls-auth-clients: yes, no or optional
	Protocols    string // tls-protocols, e.g. "TLSv1.2 TLSv1.3"; "" = those two
	Ciphers      string // tls-ciphers: TLS 1.2 and older
	Ciphersuites string // tls-ciphersuites: TLS 1.3
	Cluster      bool   // tls-cluster: peer links over mutual TLS (tls_cluster.go); fixed at start
}

// Enabled reports whether the server listens with TLS (tls-port set).
func (t *TLSConfig) Enabled() bool { return t.Port != 0 }

// Load builds the TLS configuration from the settings and makes it the
// one new connections get, at the start and after CONFIG SET; the error
// names the setting at fault, and the previous configuration stays.
// Without tls-port it does nothing (Redis too loads no files then).
func (t *TLSConfig) Load() error {
	if !t.Enabled() {
		return nil
	}
	t.mu.Lock()
	s := t.s
	t.mu.Unlock()
	conf, peer, client, err := buildTLS(s)
	if err != nil {
		return err
	}
	t.current.Store(conf)
	t.peer.Store(peer)
	t.client.Store(client)
	return nil
}

// ServerConfig returns the configuration for the TLS listener
// (tls.Server on each accepted connection): each handshake takes the configuration current at
// that moment, so a CONFIG SET of the certificate, key, CA or
// tls-auth-clients reaches the next client without a restart. Call it
// after Load.
func (t *TLSConfig) ServerConfig() *tls.Config {
	return &tls.Config{
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			return t.configFor(hello), nil
		},
	}
}

// applyTLS is the tls-* settings' CONFIG SET check: with TLS on, the new
// values must build a configuration, which then serves new clients.
func applyTLS(c *Config) error { return c.TLS.Load() }

// tlsString declares a tls-* setting that holds a string of tlsSettings;
// check, when given, validates it alone (the files are checked together,
// by applyTLS).
func tlsString(name, def, usage string, field func(*tlsSettings) *string, check func(string) (string, error)) *Setting {
	return &Setting{Name: name, Default: def, Usage: usage, Mutable: true, apply: applyTLS,
		get: func(c *Config) string {
			c.TLS.mu.Lock()
			defer c.TLS.mu.Unlock()
			return *field(&c.TLS.s)
		},
		set: func(c *Config, v string) error {
			if check != nil {
				var err error
				if v, err = check(v); err != nil {
					return err
				}
			}
			c.TLS.mu.Lock()
			*field(&c.TLS.s) = v
			c.TLS.mu.Unlock()
			return nil
		}}
}

// parseAuthClients checks tls-auth-clients with Redis's enum error.
func parseAuthClients(v string) (string, error) {
	switch v = strings.ToLower(v); v {
	case "yes", "no", "optional":
		return v, nil
	}
	return "", fmt.Errorf("argument(s) must be one of the following: no, yes, optional")
}

func init() {
	Settings = append(Settings,
		&Setting{Name: "tls-port", Default: "0", Usage: "TCP port for RESP clients over TLS, on the same bind address (0 = no TLS listener); needs tls-cert-file and tls-key-file",
			get: func(c *Config) string { return strconv.Itoa(c.TLS.Port) },
			set: intSetting(func(c *Config, n int64) { c.TLS.Port = int(n) }, 0, 65535)},
		tlsString("tls-cert-file", "", "server certificate (PEM, may include the chain); CONFIG SET reloads it for new connections",
			func(s *tlsSettings) *string { return &s.CertFile }, nil),
		tlsString("tls-key-file", "", "private key of tls-cert-file (PEM, unencrypted)",
			func(s *tlsSettings) *string { return &s.KeyFile }, nil),
		tlsString("tls-ca-cert-file", "", "CA certificates (PEM) that client certificates must chain to",
			func(s *tlsSettings) *string { return &s.CAFile }, nil),
		tlsString("tls-ca-cert-dir", "", "directory of CA certificates (PEM files), instead of or besides tls-ca-cert-file",
			func(s *tlsSettings) *string { return &s.CADir }, nil),
		tlsString("tls-auth-clients", "yes", "client certificates: yes (required), optional (verified if sent) or no (not asked for)",
			func(s *tlsSettings) *string { return &s.AuthClients }, parseAuthClients),
		tlsString("tls-protocols", "", `TLS versions allowed, space-separated from TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 (empty = "TLSv1.2 TLSv1.3")`,
			func(s *tlsSettings) *string { return &s.Protocols }, nil),
		tlsString("tls-ciphers", "", "TLS 1.2 cipher suites, ':'-separated OpenSSL or IANA names, e.g. ECDHE-RSA-AES128-GCM-SHA256 (empty = Go's secure defaults)",
			func(s *tlsSettings) *string { return &s.Ciphers }, nil),
		tlsString("tls-ciphersuites", "", "TLS 1.3 cipher suites, ':'-separated IANA names; Go cannot leave one out, so empty or all three (to exclude one, use tls-protocols TLSv1.2 and tls-ciphers)",
			func(s *tlsSettings) *string { return &s.Ciphersuites }, nil),
	)
}
