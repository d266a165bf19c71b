package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/cmd/cachesrv/top"
	"github.com/cachesrv/cachesrv/protocol/config"
)

// `cachesrv healthcheck` asks a running server's HTTP listener whether it
// is healthy and exits 0 if it answers 200, 1 otherwise. It exists for
// container images built FROM scratch, which have no curl or wget for a
// HEALTHCHECK or an exec probe:
//
//	HEALTHCHECK CMD ["/cachesrv", "healthcheck"]
//
// By default it asks /healthz at the address the server itself would
// listen on: CACHESRV_METRICS_ADDR if set (so one environment serves both),
// else the metrics-addr default, with a wildcard host (0.0.0.0, ::) read
// as loopback.

const healthcheckUsage = `Usage: cachesrv healthcheck [--url URL | --ready] [--timeout 2s]

Exits 0 if the server's /healthz (with --ready: /readyz) answers 200 OK,
1 otherwise. Meant for container health checks and exec probes.

`

func runHealthcheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("cachesrv healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("url", "", "URL to ask (default http://<metrics-addr>/healthz, metrics-addr from $CACHESRV_METRICS_ADDR or "+defaultMetricsAddr()+")")
	ready := fs.Bool("ready", false, "ask /readyz instead of /healthz (ignored with --url)")
	timeout := fs.Duration("timeout", 2*time.Second, "give up after this long")
	if code, ok := top.ParseFlags(fs, "healthcheck", healthcheckUsage, args, stderr); !ok {
		return code
	}
	target := *url
	if target == "" {
		path := "/healthz"
		if *ready {
			path = "/readyz"
		}
		addr, ok := os.LookupEnv(envName("metrics-addr"))
		if !ok {
			addr = defaultMetricsAddr()
		}
		if addr == "" {
			fmt.Fprintf(stderr, "cachesrv healthcheck: %s is empty: the server has no HTTP listener to ask\n", envName("metrics-addr"))
			return 1
		}
		target = "http://" + dialableAddr(addr) + path
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		fmt.Fprintln(stderr, "cachesrv healthcheck:", err)
		return 2
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, "cachesrv healthcheck:", err)
		return 1
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	resp.Body.Close()
	msg := strings.TrimSpace(string(body))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "cachesrv healthcheck: %s: %s %s\n", target, resp.Status, msg)
		return 1
	}
	fmt.Fprintf(stdout, "%s: %s\n", target, msg)
	return 0
}

// defaultMetricsAddr is the metrics-addr setting's default.
func defaultMetricsAddr() string { return config.FindSetting("metrics-addr").Default }

// dialableAddr turns a listen address into one to dial from the same
// host: a wildcard or empty host becomes loopback.
func dialableAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
