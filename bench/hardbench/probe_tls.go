package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// benchArgs is the redis-benchmark run of probe tls.
var benchArgs = []string{"-t", "get,set", "-P", "16", "-c", "50", "-n", "500000", "-r", "100000", "-d", "100", "-q"}

// probeTLS is probe tls: redis-benchmark's GET and SET over plain TCP
// and over TLS. One process of each server listens on both; the runs
// alternate between the servers (plain for each, then TLS for each) for
// -tls-rounds rounds, and each figure is the median of its rounds.
func probeTLS(e *env, kinds []string) ([]*result, error) {
	dir, err := e.certs()
	if err != nil {
		return nil, err
	}
	servers := make([]*server, len(kinds))
	for i, kind := range kinds {
		if servers[i], err = e.start(kind, options{tlsDir: dir}); err != nil {
			return nil, err
		}
		defer servers[i].stop()
	}
	tlsArgs := []string{"--tls", "--cacert", filepath.Join(dir, "ca.crt"),
		"--cert", filepath.Join(dir, "client.crt"), "--key", filepath.Join(dir, "client.key")}
	// ops[server][test+" "+transport] holds one figure per round.
	ops := make([]map[string][]float64, len(kinds))
	for i := range ops {
		ops[i] = map[string][]float64{}
	}
	for round := 1; round <= max(e.tlsRounds, 1); round++ {
		for _, transport := range []string{"plain", "TLS"} {
			for i, s := range servers {
				progress("  round %d: redis-benchmark %s against %s ...", round, transport, s.kind)
				_, port, _ := net.SplitHostPort(s.addr)
				args := []string{"-h", "127.0.0.1", "-p", port}
				if transport == "TLS" {
					args = append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.tlsPort)}, tlsArgs...)
				}
				got, err := redisBenchmark(append(args, benchArgs...))
				if err != nil {
					return nil, fmt.Errorf("redis-benchmark %s against %s: %v", transport, s.kind, err)
				}
				for test, v := range got {
					ops[i][test+" "+transport] = append(ops[i][test+" "+transport], v)
				}
			}
		}
	}
	results := make([]*result, len(kinds))
	for i, s := range servers {
		r := &result{}
		med := map[string]float64{}
		for _, test := range []string{"SET", "GET"} {
			for _, transport := range []string{"plain", "TLS"} {
				k := test + " " + transport
				med[k] = median(ops[i][k])
				r.addNum(k+" ops/s", med[k], "%.0f")
			}
		}
		for _, test := range []string{"SET", "GET"} {
			r.add(test+" TLS/plain", "%.2fx", med[test+" TLS"]/med[test+" plain"])
		}
		r.add("server alive at end", "%v", s.alive())
		results[i] = r
	}
	return results, nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// compareTLS adds the cachesrv/redis-server ratios under probe tls's
// table.
func compareTLS(t *table) {
	for _, test := range []string{"SET", "GET"} {
		var parts []string
		for _, run := range []string{"plain", "TLS"} {
			label := test + " " + run + " ops/s"
			c, ok1 := t.num(kindCachesrv, label)
			r, ok2 := t.num(kindRedis, label)
			if ok1 && ok2 && r > 0 {
				parts = append(parts, fmt.Sprintf("%s %.2fx", run, c/r))
			}
		}
		if len(parts) > 0 {
			t.summary = append(t.summary, "cachesrv/redis-server "+test+": "+strings.Join(parts, ", "))
		}
	}
}

var benchLine = regexp.MustCompile(`(?m)\b(SET|GET): ([0-9.]+) requests per second`)

// redisBenchmark runs redis-benchmark and returns ops/s per test.
func redisBenchmark(args []string) (map[string]float64, error) {
	out, err := exec.Command("redis-benchmark", args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%v: %s", err, lastBytes(out, 500))
	}
	got := map[string]float64{}
	for _, m := range benchLine.FindAllSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(string(m[2]), 64)
		got[string(m[1])] = v
	}
	if len(got) != 2 {
		return nil, fmt.Errorf("no GET and SET figures in its output: %s", lastBytes(out, 500))
	}
	return got, nil
}

func lastBytes(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}

var certsOnce struct {
	sync.Once
	dir string
	err error
}

// certs writes, once per run, a CA (ca.crt), a server certificate for
// 127.0.0.1 and localhost (server.crt, server.key) and a client
// certificate (client.crt, client.key), all ECDSA P-256, and returns
// their directory.
func (e *env) certs() (string, error) {
	certsOnce.Do(func() {
		dir := filepath.Join(e.dir, "tls")
		if certsOnce.err = os.MkdirAll(dir, 0o700); certsOnce.err != nil {
			return
		}
		certsOnce.dir, certsOnce.err = dir, writeCerts(dir)
	})
	return certsOnce.dir, certsOnce.err
}

func writeCerts(dir string) error {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "hardbench CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	if err := writePEM(filepath.Join(dir, "ca.crt"), "CERTIFICATE", caDER); err != nil {
		return err
	}
	leaf := func(name string, serial int64, usage x509.ExtKeyUsage) error {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: "hardbench " + name},
			NotBefore:    now.Add(-time.Hour),
			NotAfter:     now.Add(24 * time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			DNSNames:     []string{"localhost"},
			IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			return err
		}
		keyDER, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return err
		}
		if err := writePEM(filepath.Join(dir, name+".crt"), "CERTIFICATE", der); err != nil {
			return err
		}
		return writePEM(filepath.Join(dir, name+".key"), "PRIVATE KEY", keyDER)
	}
	if err := leaf("server", 2, x509.ExtKeyUsageServerAuth); err != nil {
		return err
	}
	return leaf("client", 3, x509.ExtKeyUsageClientAuth)
}

func writePEM(path, typ string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600)
}
