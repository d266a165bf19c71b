package main

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestHealthcheck(t *testing.T) {
	var draining atomic.Bool
	h := newHTTPHandler(prometheus.NewRegistry(), func() bool { return !draining.Load() }, false, slog.New(slog.NewTextHandler(io.Discard, nil)))
	srv := httptest.NewServer(h)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	check := func(env string, args ...string) (int, string) {
		t.Helper()
		t.Setenv("CACHESRV_METRICS_ADDR", env)
		var out, errOut strings.Builder
		code := run(append([]string{"healthcheck"}, args...), &out, &errOut)
		return code, out.String() + errOut.String()
	}
	if code, out := check(addr); code != 0 || !strings.Contains(out, "/healthz: ok") {
		t.Errorf("healthy server: exit %d, %q", code, out)
	}
	// A listen address with a wildcard host is asked on loopback.
	port := addr[strings.LastIndex(addr, ":"):]
	if code, out := check("0.0.0.0" + port); code != 0 || !strings.Contains(out, "http://127.0.0.1"+port+"/healthz") {
		t.Errorf("wildcard metrics-addr: exit %d, %q", code, out)
	}
	if code, out := check("", "--url", srv.URL+"/readyz"); code != 0 || !strings.Contains(out, "ready") {
		t.Errorf("--url: exit %d, %q", code, out)
	}
	draining.Store(true) // shutting down: alive, not ready
	if code, out := check(addr, "--ready"); code != 1 || !strings.Contains(out, "503") {
		t.Errorf("--ready while draining: exit %d, %q", code, out)
	}
	if code, _ := check(addr); code != 0 {
		t.Errorf("/healthz while draining: exit %d, want 0", code)
	}
	if code, out := check("", "--url", srv.URL+"/nowhere"); code != 1 || !strings.Contains(out, "404") {
		t.Errorf("404: exit %d, %q", code, out)
	}
	if code, out := check(""); code != 1 || !strings.Contains(out, "no HTTP listener") {
		t.Errorf("metrics off: exit %d, %q", code, out)
	}
	srv.Close()
	if code, _ := check(addr, "--timeout", "1s"); code != 1 {
		t.Errorf("nothing listening: exit %d, want 1", code)
	}
	if code, _ := check(addr, "extra"); code != 2 {
		t.Errorf("stray argument: exit %d, want 2", code)
	}
}
