package config

// Building the server's TLS configuration from the tls-* settings. It lives
// here, not with the listener in cmd/cachesrv, because CONFIG SET must load
// the files to refuse bad ones and keep the old configuration, as Redis
// does.

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/cachesrv/cachesrv/cluster/route"
)

// tlsError is a tls-* setting that does not build a configuration. Its
// text names the setting (the start-up error, and the log line of a
// refused CONFIG SET, whose reply is Redis's fixed text).
type tlsError struct {
	setting string
	err     error
}

func (e *tlsError) Error() string { return e.setting + ": " + e.err.Error() }
func (e *tlsError) Unwrap() error { return e.err }

func tlsErrorf(setting, format string, args ...any) error {
	return &tlsError{setting, fmt.Errorf(format, args...)}
}

// buildTLS loads the certificate, key and CAs once and returns the server
// configuration one handshake uses and, with tls-cluster, the server
// configuration of a peer link's handshake and the client configuration
// peer links dial with (tls_cluster.go): one set of files, so that a
// CONFIG SET reloads all three alike.
func buildTLS(s tlsSettings) (server, peer, client *tls.Config, err error) {
	if server, err = buildServerTLS(s); err != nil {
		return nil, nil, nil, err
	}
	if s.Cluster {
		peer, client = peerTLS(server)
	}
	return server, peer, client, nil
}

// buildServerTLS loads the certificate, key and CAs and returns the
// configuration one client handshake uses.
func buildServerTLS(s tlsSettings) (*tls.Config, error) {
	conf := &tls.Config{}
	if s.CertFile == "" {
		return nil, tlsErrorf("tls-cert-file", "required with tls-port")
	}
	if s.KeyFile == "" {
		return nil, tlsErrorf("tls-key-file", "required with tls-port")
	}
	certPEM, err := os.ReadFile(s.CertFile)
	if err != nil {
		return nil, &tlsError{"tls-cert-file", err}
	}
	if !hasPEMCertificate(certPEM) {
		return nil, tlsErrorf("tls-cert-file", "%s: no PEM certificate", s.CertFile)
	}
	keyPEM, err := os.ReadFile(s.KeyFile)
	if err != nil {
		return nil, &tlsError{"tls-key-file", err}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, tlsErrorf("tls-key-file", "%s with %s: %w", s.KeyFile, s.CertFile, err)
	}
	conf.Certificates = []tls.Certificate{cert}

	switch s.AuthClients {
	case "yes":
		conf.ClientAuth = tls.RequireAndVerifyClientCert
	case "optional":
		conf.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		conf.ClientAuth = tls.NoClientCert
	}
	if s.CAFile != "" || s.CADir != "" {
		if conf.ClientCAs, err = loadCAs(s.CAFile, s.CADir); err != nil {
			return nil, err
		}
	} else if conf.ClientAuth != tls.NoClientCert || s.Cluster {
		// Redis's start-up error, word for word.
		return nil, tlsErrorf("tls-auth-clients", "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, tls-replication or tls-auth-clients are enabled!")
	}

	if conf.MinVersion, conf.MaxVersion, err = parseTLSProtocols(s.Protocols); err != nil {
		return nil, err
	}
	if conf.CipherSuites, err = parseTLSCiphers(s.Ciphers); err != nil {
		return nil, err
	}
	if err := checkTLSCiphersuites(s.Ciphersuites); err != nil {
		return nil, err
	}
	return conf, nil
}

// peerTLS derives from the server configuration (same certificate, CAs,
// versions and ciphers) the two ends of a peer link under tls-cluster.
//
// peer serves a handshake that offers route.PeerALPN: it requires a client
// certificate from the CAs whatever tls-auth-clients says, as Redis's
// cluster bus does, so both ends of a link prove a certificate.
//
// client is what a link dials with: the node's certificate as its client
// certificate, and the peer's certificate checked against the CAs only,
// not against a host name. Nodes are dialled at advertise addresses that
// are often pod IPs or names a certificate does not carry (one
// certificate shared by all nodes, as Redis's tls-cluster is usually set
// up, or IPs that change on every restart), and Redis does not check the
// name either. Which node answers is proved on top of TLS by the
// challenge and response (route's peerauth.go), whose proofs name the
// node meant; TLS adds that only holders of a certificate from the
// cluster's CAs get that far, and keeps the link secret.
func peerTLS(server *tls.Config) (peer, client *tls.Config) {
	peer = server.Clone()
	peer.ClientAuth = tls.RequireAndVerifyClientCert
	peer.NextProtos = []string{route.PeerALPN}
	client = &tls.Config{
		Certificates: server.Certificates,
		// The chain is checked by VerifyConnection, without the host name
		// check this turns off.
		InsecureSkipVerify: true,
		VerifyConnection:   verifyChain(server.ClientCAs),
		NextProtos:         []string{route.PeerALPN},
		MinVersion:         server.MinVersion,
		MaxVersion:         server.MaxVersion,
		CipherSuites:       server.CipherSuites,
	}
	return peer, client
}

// verifyChain checks that the peer's certificate chains to roots and may
// serve TLS, as crypto/tls's own verification does, minus the host name.
func verifyChain(roots *x509.CertPool) func(tls.ConnectionState) error {
	return func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("peer sent no certificate")
		}
		inter := x509.NewCertPool()
		for _, c := range cs.PeerCertificates[1:] {
			inter.AddCert(c)
		}
		_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
			Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		return err
	}
}

// hasPEMCertificate reports whether b holds a PEM certificate, so that a
// pair that does not load is blamed on the right file.
func hasPEMCertificate(b []byte) bool {
	for {
		var block *pem.Block
		if block, b = pem.Decode(b); block == nil {
			return false
		}
		if block.Type == "CERTIFICATE" {
			return true
		}
	}
}

// loadCAs reads the CA certificates of tls-ca-cert-file and every PEM
// file of tls-ca-cert-dir (OpenSSL's hashed names or any others).
func loadCAs(file, dir string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, &tlsError{"tls-ca-cert-file", err}
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, tlsErrorf("tls-ca-cert-file", "%s: no PEM certificate", file)
		}
	}
	if dir != "" {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, &tlsError{"tls-ca-cert-dir", err}
		}
		found := false
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && pool.AppendCertsFromPEM(b) {
				found = true
			}
		}
		if !found {
			return nil, tlsErrorf("tls-ca-cert-dir", "%s: no PEM certificate", dir)
		}
	}
	return pool, nil
}

var tlsVersions = map[string]uint16{
	"tlsv1": tls.VersionTLS10, "tlsv1.1": tls.VersionTLS11, "tlsv1.2": tls.VersionTLS12, "tlsv1.3": tls.VersionTLS13,
}

// parseTLSProtocols reads tls-protocols as Redis does (names separated by
// spaces, any case; empty means TLSv1.2 and TLSv1.3) into the lowest and
// highest version allowed: Go takes a range, so "TLSv1.1 TLSv1.3" also
// allows TLSv1.2.
func parseTLSProtocols(v string) (lo, hi uint16, err error) {
	fields := strings.Fields(v)
	if len(fields) == 0 {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	for _, f := range fields {
		ver, ok := tlsVersions[strings.ToLower(f)]
		if !ok {
			return 0, 0, tlsErrorf("tls-protocols", "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.")
		}
		if lo == 0 || ver < lo {
			lo = ver
		}
		hi = max(hi, ver)
	}
	return lo, hi, nil
}

// openSSLCiphers are the OpenSSL names of the TLS 1.2 suites Go offers,
// so that a tls-ciphers value written for Redis reads the same here.
var openSSLCiphers = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	"AES128-SHA":                    tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	"AES256-SHA":                    tls.TLS_RSA_WITH_AES_256_CBC_SHA,
}

// cipherList splits an OpenSSL cipher list (':', ',' or spaces).
func cipherList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ':' || r == ',' || r == ' ' })
}

// parseTLSCiphers reads tls-ciphers: explicit suite names only, OpenSSL's
// or IANA's (Go has no equivalent of OpenSSL's keywords such as HIGH).
// nil means Go's defaults.
func parseTLSCiphers(v string) ([]uint16, error) {
	var ids []uint16
	for _, name := range cipherList(v) {
		id, ok := openSSLCiphers[strings.ToUpper(name)]
		if !ok {
			id, ok = ianaCipher(name, false)
		}
		if !ok {
			return nil, tlsErrorf("tls-ciphers", "Failed to configure ciphers: %s", v)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// checkTLSCiphersuites checks tls-ciphersuites (TLS 1.3 suites, IANA
// names as OpenSSL takes them). Go's crypto/tls chooses among its TLS 1.3
// suites itself (AES-128-GCM first where the CPU has AES instructions)
// and cannot leave one out, so rather than accept a restriction it would
// not keep, a list must name all of them; to exclude one, serve TLS 1.2
// only (tls-protocols) and choose with tls-ciphers.
func checkTLSCiphersuites(v string) error {
	names := cipherList(v)
	if len(names) == 0 {
		return nil
	}
	listed := map[uint16]bool{}
	for _, name := range names {
		id, ok := ianaCipher(name, true)
		if !ok {
			return tlsErrorf("tls-ciphersuites", "Failed to configure ciphersuites: %s", v)
		}
		listed[id] = true
	}
	var all []string
	missing := false
	for _, cs := range tls.CipherSuites() {
		if isTLS13(cs) {
			all = append(all, cs.Name)
			missing = missing || !listed[cs.ID]
		}
	}
	if missing {
		return tlsErrorf("tls-ciphersuites", "%s: Go's TLS 1.3 cannot leave out a suite; list all of %s, or none", v, strings.Join(all, ":"))
	}
	return nil
}

// isTLS13 reports whether cs is a TLS 1.3 suite (usable with no other).
func isTLS13(cs *tls.CipherSuite) bool {
	return len(cs.SupportedVersions) == 1 && cs.SupportedVersions[0] == tls.VersionTLS13
}

// ianaCipher finds a suite Go supports by its IANA name: a TLS 1.3 one
// when tls13, else one for TLS 1.2 and older.
func ianaCipher(name string, tls13 bool) (uint16, bool) {
	for _, cs := range tls.CipherSuites() {
		if isTLS13(cs) == tls13 && strings.EqualFold(cs.Name, name) {
			return cs.ID, true
		}
	}
	return 0, false
}
