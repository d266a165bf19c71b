package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// Every boolean setting takes Redis's yes|no the same way as a flag (with
// the value as the next argument or after '='), and a bare flag means yes.
func TestBooleanFlagsTakeYesOrNo(t *testing.T) {
	for _, tc := range []struct {
		args                    []string
		cluster, pprof, latency bool
	}{
		{[]string{"--cluster", "yes"}, true, false, true},
		{[]string{"--cluster"}, true, false, true},
		{[]string{"--cluster", "no", "--pprof"}, false, true, true},
		{[]string{"--pprof", "YES", "--latency-tracking", "no"}, false, true, false},
		{[]string{"--pprof=yes", "--latency-tracking=no", "--cluster=yes"}, true, true, false},
		{[]string{"-cluster", "--port", "7000"}, true, false, true},
		// A value that looks like a flag stays the value of its flag.
		{[]string{"--requirepass", "--cluster"}, false, false, true},
	} {
		cfg, _, err := parseConfig(tc.args, &bytes.Buffer{})
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if cfg.Cluster.Enabled != tc.cluster || cfg.Pprof != tc.pprof || cfg.LatencyTracking.Load() != tc.latency {
			t.Errorf("%q: cluster=%v pprof=%v latency-tracking=%v", tc.args, cfg.Cluster.Enabled, cfg.Pprof, cfg.LatencyTracking.Load())
		}
	}
	cfg, _, err := parseConfig([]string{"--requirepass", "--cluster"}, &bytes.Buffer{})
	if err != nil || cfg.Requirepass() != "--cluster" {
		t.Errorf("--requirepass --cluster: password %q, err %v", cfg.Requirepass(), err)
	}
	for _, bad := range [][]string{{"--pprof", "maybe"}, {"--cluster=true"}, {"--latency-tracking", "1"}} {
		if _, _, err := parseConfig(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestBooleanEnvTakesYesOrNo(t *testing.T) {
	t.Setenv("CACHESRV_CLUSTER", "yes")
	t.Setenv("CACHESRV_PPROF", "no")
	cfg, _, err := parseConfig(nil, &bytes.Buffer{})
	if err != nil || !cfg.Cluster.Enabled || cfg.Pprof {
		t.Fatalf("cluster=%v pprof=%v err=%v", cfg.Cluster.Enabled, cfg.Pprof, err)
	}
	t.Setenv("CACHESRV_CLUSTER", "true")
	if _, _, err := parseConfig(nil, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "CACHESRV_CLUSTER") {
		t.Errorf("CACHESRV_CLUSTER=true: err %v, want a refusal naming the variable", err)
	}
}

// A metrics address already taken stops the server with a message that
// names the flag to change and how to turn the listener off.
func TestMetricsAddrInUseNamesTheFlag(t *testing.T) {
	taken := servertest.Listen(t)
	var stderr bytes.Buffer
	code := run([]string{"--port", strconv.Itoa(servertest.FreePort(t)), "--metrics-addr", taken.Addr().String()}, &stderr, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, stderr.String())
	}
	for _, want := range []string{"--metrics-addr", "--metrics-addr ''", taken.Addr().String()} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("the error does not say %q: %s", want, stderr.String())
		}
	}
}
