package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/protocol"
	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/cachesrv/cachesrv/store"
)

// testCA is a throwaway certificate authority whose certificates and keys
// are PEM files in a test's temporary directory.
type testCA struct {
	dir    string
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	file   string // the CA certificate, PEM
	pool   *x509.CertPool
	serial int64
}

// testLeaf is a certificate issued by a testCA.
type testLeaf struct {
	certFile, keyFile string
	pair              tls.Certificate
}

func newTestCA(t testing.TB, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	ca := &testCA{dir: t.TempDir(), cert: cert, key: key, pool: x509.NewCertPool(), serial: 1}
	ca.pool.AddCert(cert)
	ca.file = filepath.Join(ca.dir, name+".crt")
	writePEM(t, ca.file, "CERTIFICATE", der)
	return ca
}

// issue makes a certificate for 127.0.0.1 and localhost usable by a
// server and a client alike.
func (ca *testCA) issue(t testing.TB, name string) testLeaf {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(ca.serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	l := testLeaf{certFile: filepath.Join(ca.dir, name+".crt"), keyFile: filepath.Join(ca.dir, name+".key")}
	writePEM(t, l.certFile, "CERTIFICATE", der)
	writePEM(t, l.keyFile, "PRIVATE KEY", keyDER)
	if l.pair, err = tls.LoadX509KeyPair(l.certFile, l.keyFile); err != nil {
		t.Fatal(err)
	}
	return l
}

func writePEM(t testing.TB, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tlsServer runs a server configured by the command-line args (plus a free
// tls-port) the way run does, serving the plain port and the TLS port,
// and returns the config and both addresses.
func tlsServer(t testing.TB, args ...string) (cfg *config.Config, plain, tlsAddr string) {
	t.Helper()
	return tlsServerLog(t, io.Discard, args...)
}

// tlsServerLog is tlsServer with the server's log written to w.
func tlsServerLog(t testing.TB, w io.Writer, args ...string) (cfg *config.Config, plain, tlsAddr string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(w, nil))
	args = append([]string{"--tls-port", strconv.Itoa(servertest.FreePort(t))}, args...)
	cfg, _, err := parseConfig(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	tln, err := listenTLS(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.New(cfg.StoreOptions())
	if err != nil {
		t.Fatal(err)
	}
	srv := protocol.NewServer(cfg, st, log)
	plain = servertest.Serve(t, srv)
	return cfg, plain, servertest.ServeListener(t, srv, tln)
}

// serverFiles are the usual flags of a TLS server with a certificate
// from ca.
func serverFiles(ca *testCA, server testLeaf) []string {
	return []string{"--tls-cert-file", server.certFile, "--tls-key-file", server.keyFile, "--tls-ca-cert-file", ca.file}
}

// tlsPing connects with conf and returns the reply to PING and the
// server's certificate.
func tlsPing(addr string, conf *tls.Config) (string, *x509.Certificate, error) {
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, conf)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "*1\r\n$4\r\nPING\r\n"); err != nil {
		return "", nil, err
	}
	// With TLS 1.3 a refused client certificate shows only here, when the
	// server's alert arrives instead of a reply.
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "", nil, err
	}
	return line, conn.ConnectionState().PeerCertificates[0], nil
}

func TestTLSGoRedisWithClientCertificate(t *testing.T) {
	ca := newTestCA(t, "ca")
	server, client := ca.issue(t, "server"), ca.issue(t, "client")
	_, plain, addr := tlsServer(t, serverFiles(ca, server)...)
	ctx := context.Background()

	rdb := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{client.pair}}})
	defer rdb.Close()
	if err := rdb.Set(ctx, "k", "over tls", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// One keyspace behind both ports.
	plainClient := redis.NewClient(&redis.Options{Addr: plain})
	defer plainClient.Close()
	if v, err := plainClient.Get(ctx, "k").Result(); err != nil || v != "over tls" {
		t.Fatalf("GET on the plain port = %q, %v", v, err)
	}
	// A pipeline of 16, as the benchmark runs.
	cmds, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for range 16 {
			p.Incr(ctx, "n")
		}
		return nil
	})
	if err != nil || len(cmds) != 16 || cmds[15].(*redis.IntCmd).Val() != 16 {
		t.Fatalf("pipeline: %d replies, %v", len(cmds), err)
	}
}

func TestTLSAuthClients(t *testing.T) {
	ca, other := newTestCA(t, "ca"), newTestCA(t, "other")
	server, client, stranger := ca.issue(t, "server"), ca.issue(t, "client"), other.issue(t, "stranger")
	for _, tc := range []struct {
		mode                  string
		noCert, foreignCertOK bool
	}{
		{"yes", false, false},
		{"optional", true, false},
		{"no", true, true}, // not asked for, so not checked
	} {
		t.Run(tc.mode, func(t *testing.T) {
			_, _, addr := tlsServer(t, append(serverFiles(ca, server), "--tls-auth-clients", tc.mode)...)
			check := func(what string, certs []tls.Certificate, wantOK bool) {
				t.Helper()
				// Sent whatever CAs the server names (Go's client would
				// otherwise keep back a certificate they did not sign).
				send := func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
					if len(certs) == 0 {
						return &tls.Certificate{}, nil
					}
					return &certs[0], nil
				}
				reply, _, err := tlsPing(addr, &tls.Config{RootCAs: ca.pool, GetClientCertificate: send})
				if ok := err == nil && reply == "+PONG\r\n"; ok != wantOK {
					t.Errorf("%s: PING = %q, %v; want accepted %v", what, reply, err, wantOK)
				}
			}
			check("client certificate", []tls.Certificate{client.pair}, true)
			check("no certificate", nil, tc.noCert)
			check("certificate from another CA", []tls.Certificate{stranger.pair}, tc.foreignCertOK)
		})
	}
}

func TestTLSRedisCli(t *testing.T) {
	cli := servertest.RequireTool(t, "redis-cli")
	ca := newTestCA(t, "ca")
	server, client := ca.issue(t, "server"), ca.issue(t, "client")
	_, _, addr := tlsServer(t, serverFiles(ca, server)...)
	host, port, _ := net.SplitHostPort(addr)
	base := []string{"-h", host, "-p", port, "--tls", "--cacert", ca.file}
	out, err := exec.Command(cli, append(base, "--cert", client.certFile, "--key", client.keyFile, "ping")...).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "PONG" {
		t.Fatalf("redis-cli --tls ping: %q, %v", out, err)
	}
	// tls-auth-clients yes: no certificate, no PONG.
	out, _ = exec.Command(cli, append(base, "ping")...).CombinedOutput()
	if strings.Contains(string(out), "PONG") {
		t.Fatalf("redis-cli --tls without a certificate got %q", out)
	}
}

func TestTLSRedisPy(t *testing.T) {
	python := ""
	for _, p := range []string{"python3", "/usr/bin/python3"} { // pyenv's, then Debian's (python3-redis)
		if exec.Command(p, "-c", "import redis").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		t.Skip("no python3 with the redis package (pip install redis, or apt-get install python3-redis)")
	}
	ca := newTestCA(t, "ca")
	server, client := ca.issue(t, "server"), ca.issue(t, "client")
	_, _, addr := tlsServer(t, serverFiles(ca, server)...)
	host, port, _ := net.SplitHostPort(addr)
	script := `import sys, redis
r = redis.Redis(host=sys.argv[1], port=int(sys.argv[2]), ssl=True, ssl_ca_certs=sys.argv[3], ssl_certfile=sys.argv[4], ssl_keyfile=sys.argv[5])
r.set("py", "tls")
print(r.ping(), r.get("py").decode())`
	out, err := exec.Command(python, "-c", script, host, port, ca.file, client.certFile, client.keyFile).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "True tls" {
		t.Fatalf("redis-py over TLS: %q, %v", out, err)
	}
}

func TestTLSConfigSetReloadsCertificate(t *testing.T) {
	ca := newTestCA(t, "ca")
	first, second, client := ca.issue(t, "first"), ca.issue(t, "second"), ca.issue(t, "client")
	_, _, addr := tlsServer(t, serverFiles(ca, first)...)
	conf := &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{client.pair}}
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: conf, PoolSize: 1})
	defer rdb.Close()
	served := func() string {
		t.Helper()
		reply, cert, err := tlsPing(addr, conf)
		if err != nil || reply != "+PONG\r\n" {
			t.Fatalf("PING = %q, %v", reply, err)
		}
		return cert.Subject.CommonName
	}
	if cn := served(); cn != "first" {
		t.Fatalf("served %q, want first", cn)
	}

	// Refused, with Redis's reply, and nothing changes: a missing file, and
	// a certificate without its key (they are checked as a pair).
	for _, args := range [][]any{
		{"tls-cert-file", filepath.Join(t.TempDir(), "missing.crt")},
		{"tls-cert-file", second.certFile},
		{"tls-ca-cert-file", first.keyFile},
		{"tls-protocols", "TLSv1.2 SSLv3"},
		{"tls-ciphers", "BOGUS"},
	} {
		err := rdb.ConfigSet(ctx, args[0].(string), args[1].(string)).Err()
		want := "ERR CONFIG SET failed (possibly related to argument '" + args[0].(string) + "') - Unable to update TLS configuration. Check server logs."
		if err == nil || err.Error() != want {
			t.Errorf("CONFIG SET %v = %v, want %q", args, err, want)
		}
	}
	if got := rdb.ConfigGet(ctx, "tls-cert-file").Val()["tls-cert-file"]; got != first.certFile {
		t.Errorf("after refused CONFIG SETs, tls-cert-file = %q", got)
	}
	if cn := served(); cn != "first" {
		t.Fatalf("after refused CONFIG SETs, served %q, want first", cn)
	}

	if err := rdb.Do(ctx, "config", "set", "tls-cert-file", second.certFile, "tls-key-file", second.keyFile).Err(); err != nil {
		t.Fatal(err)
	}
	if cn := served(); cn != "second" {
		t.Fatalf("after CONFIG SET, served %q, want second", cn)
	}
	// The connection CONFIG SET came on keeps its session.
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}

func TestTLSPlainClientOnTLSPort(t *testing.T) {
	ca := newTestCA(t, "ca")
	server, client := ca.issue(t, "server"), ca.issue(t, "client")
	var log lockedBuffer
	_, _, addr := tlsServerLog(t, &log, serverFiles(ca, server)...)
	for range 3 {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(conn, "*1\r\n$4\r\nPING\r\n")
		b, err := io.ReadAll(conn)
		conn.Close()
		if strings.Contains(string(b), "PONG") || errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("plain PING on the TLS port: %q, %v; want the connection closed", b, err)
		}
	}
	if reply, _, err := tlsPing(addr, &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{client.pair}}); err != nil || reply != "+PONG\r\n" {
		t.Fatalf("TLS PING after plain clients: %q, %v", reply, err)
	}
	if n := strings.Count(log.String(), "TLS handshake failed"); n != 3 {
		t.Errorf("%d handshake failures logged, want 3:\n%s", n, log.String())
	}
}

// lockedBuffer is a log destination that server goroutines share.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestTLSStartRefusesBadSettings(t *testing.T) {
	ca := newTestCA(t, "ca")
	server, other := ca.issue(t, "server"), ca.issue(t, "other")
	missing := filepath.Join(t.TempDir(), "missing.pem")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert-file", missing, "--tls-key-file", server.keyFile, "--tls-ca-cert-file", ca.file}, "tls-cert-file"},
		{[]string{"--tls-cert-file", server.certFile, "--tls-key-file", other.keyFile, "--tls-ca-cert-file", ca.file}, "tls-key-file"},
		{[]string{"--tls-cert-file", server.certFile, "--tls-key-file", server.keyFile}, "tls-auth-clients: Either tls-ca-cert-file or tls-ca-cert-dir must be specified"},
		{[]string{"--tls-cert-file", server.certFile, "--tls-key-file", server.keyFile, "--tls-ca-cert-dir", t.TempDir()}, "tls-ca-cert-dir"},
		{append(serverFiles(ca, server), "--tls-protocols", "TLSv1.4"), "tls-protocols: Invalid tls-protocols specified."},
		{append(serverFiles(ca, server), "--tls-ciphersuites", "TLS_AES_256_GCM_SHA384"), "tls-ciphersuites"},
	} {
		cfg, _, err := parseConfig(append([]string{"--tls-port", "1"}, tc.args...), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := listenTLS(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil {
			ln.Close()
		}
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error starting %q", tc.args, err, tc.want)
		}
	}
	// No CA is needed when client certificates are not asked for.
	_, _, addr := tlsServer(t, "--tls-cert-file", server.certFile, "--tls-key-file", server.keyFile, "--tls-auth-clients", "no")
	if reply, _, err := tlsPing(addr, &tls.Config{RootCAs: ca.pool}); reply != "+PONG\r\n" {
		t.Errorf("tls-auth-clients no without a CA: %q, %v", reply, err)
	}
	if _, _, err := parseConfig([]string{"--tls-auth-clients", "maybe"}, io.Discard); err == nil || !strings.Contains(err.Error(), "must be one of the following: no, yes, optional") {
		t.Errorf("--tls-auth-clients maybe: %v", err)
	}
}

func TestTLSProtocolsAndCiphers(t *testing.T) {
	ca := newTestCA(t, "ca")
	server, client := ca.issue(t, "server"), ca.issue(t, "client")
	certs := []tls.Certificate{client.pair}

	_, _, addr := tlsServer(t, append(serverFiles(ca, server), "--tls-protocols", "tlsv1.3")...)
	if _, _, err := tlsPing(addr, &tls.Config{RootCAs: ca.pool, Certificates: certs, MaxVersion: tls.VersionTLS12}); err == nil {
		t.Error("TLS 1.2 client accepted with tls-protocols TLSv1.3")
	}
	if _, _, err := tlsPing(addr, &tls.Config{RootCAs: ca.pool, Certificates: certs}); err != nil {
		t.Errorf("TLS 1.3 client: %v", err)
	}

	// OpenSSL's names, as a Redis configuration has them.
	_, _, addr = tlsServer(t, append(serverFiles(ca, server), "--tls-protocols", "TLSv1.2", "--tls-ciphers", "ECDHE-ECDSA-AES256-GCM-SHA384")...)
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.pool, Certificates: certs})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Handshake(); err != nil {
		t.Fatal(err)
	}
	if cs := conn.ConnectionState(); cs.Version != tls.VersionTLS12 || cs.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 {
		t.Errorf("negotiated %s %s", tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite))
	}
}

// The binary serves both ports, or TLS only with --port 0 as Redis does,
// stops on SIGTERM with both listeners open, and refuses to start on a
// certificate that does not load, naming the setting.
func TestTLSProcess(t *testing.T) {
	bin := servertest.Cachesrv(t)
	ca := newTestCA(t, "ca")
	server, client := ca.issue(t, "server"), ca.issue(t, "client")
	conf := &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{client.pair}}
	start := func(args ...string) (*exec.Cmd, *bufio.Scanner, string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"--metrics-addr", "", "--log-format", "json"}, args...)...)
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			if strings.Contains(lines.Text(), `"msg":"cachesrv started"`) || strings.Contains(lines.Text(), `"level":"ERROR"`) {
				return cmd, lines, lines.Text()
			}
		}
		t.Fatalf("no start or error line from %v", args)
		return nil, nil, ""
	}
	stop := func(cmd *exec.Cmd, lines *bufio.Scanner) {
		t.Helper()
		cmd.Process.Signal(syscall.SIGTERM)
		for lines.Scan() {
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
	}
	ports := servertest.FreePorts(t, 2)
	plain, tlsPort := strconv.Itoa(ports[0]), strconv.Itoa(ports[1])

	cmd, lines, line := start(append(serverFiles(ca, server), "--port", plain, "--tls-port", tlsPort)...)
	if !strings.Contains(line, `"tls":"127.0.0.1:`+tlsPort+`"`) {
		t.Errorf("start line: %s", line)
	}
	if reply, _, err := tlsPing("127.0.0.1:"+tlsPort, conf); reply != "+PONG\r\n" {
		t.Errorf("TLS PING: %q, %v", reply, err)
	}
	pc := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + plain})
	if err := pc.Ping(context.Background()).Err(); err != nil {
		t.Errorf("plain PING: %v", err)
	}
	pc.Close()
	stop(cmd, lines)

	cmd, lines, line = start(append(serverFiles(ca, server), "--port", "0", "--tls-port", tlsPort)...)
	if !strings.Contains(line, `"addr":"127.0.0.1:`+tlsPort+`"`) || !strings.Contains(line, `"tls":"off"`) {
		t.Errorf("TLS-only start line: %s", line)
	}
	if reply, _, err := tlsPing("127.0.0.1:"+tlsPort, conf); reply != "+PONG\r\n" {
		t.Errorf("TLS-only PING: %q, %v", reply, err)
	}
	stop(cmd, lines)

	cmd, _, line = start("--port", plain, "--tls-port", tlsPort, "--tls-cert-file", filepath.Join(t.TempDir(), "none.crt"),
		"--tls-key-file", server.keyFile, "--tls-ca-cert-file", ca.file)
	if !strings.Contains(line, "tls-cert-file") {
		t.Errorf("bad certificate: %s", line)
	}
	if err := cmd.Wait(); err == nil {
		t.Error("started with a missing certificate")
	}
}

// tls-ca-cert-dir: every PEM file of the directory is a CA, whatever its
// name (OpenSSL's hashed names or others), and files that are not PEM
// certificates are skipped.
func TestTLSCACertDir(t *testing.T) {
	ca, other := newTestCA(t, "ca"), newTestCA(t, "other")
	server, client, second := ca.issue(t, "server"), ca.issue(t, "client"), other.issue(t, "second")
	dir := t.TempDir()
	for name, src := range map[string]string{"a1b2c3d4.0": ca.file, "other.pem": other.file, "README": client.keyFile} {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	_, _, addr := tlsServer(t, "--tls-cert-file", server.certFile, "--tls-key-file", server.keyFile, "--tls-ca-cert-dir", dir)
	for _, c := range []testLeaf{client, second} {
		if reply, _, err := tlsPing(addr, &tls.Config{RootCAs: ca.pool, Certificates: []tls.Certificate{c.pair}}); reply != "+PONG\r\n" {
			t.Errorf("client certificate of %s: %q, %v", c.pair.Leaf.Issuer.CommonName, reply, err)
		}
	}
}
