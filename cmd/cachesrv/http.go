package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// The HTTP listener serves what operators and orchestrators ask of a
// server rather than what clients ask of a cache: Prometheus metrics,
// liveness and readiness probes, and (only when asked for) the profiler.

// newHTTPHandler returns the handler for the metrics listener:
//
//	/metrics        Prometheus text format, from reg
//	/healthz        200 while the process runs (liveness)
//	/readyz         200 while ready() (accepting clients), else 503
//	/debug/pprof/   Go's profiler, only when withPprof (not cmdline)
func newHTTPHandler(reg *prometheus.Registry, ready func() bool, withPprof bool, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// A scrape reads every shard's counters; a handful at once is
		// plenty, and a flood of them must not pile up.
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
		// Uncompressed, a 256-shard scrape is ~120 KB: nothing at a 15 s
		// interval, while gzip would add ~40% to the scrape's CPU, taken
		// from the cores serving clients.
		DisableCompression: true,
	}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	if withPprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		// No /debug/pprof/cmdline: it shows the command line, and with it
		// a --requirepass or --gossip-secret given there, to whoever
		// reaches this port.
		mux.HandleFunc("/debug/pprof/cmdline", http.NotFound)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "cachesrv: /metrics /healthz /readyz")
		if withPprof {
			fmt.Fprintln(w, "profiler: /debug/pprof/")
		}
	})
	return mux
}

// startHTTP listens on addr and serves h in the background. The caller
// shuts the returned server down.
func startHTTP(addr string, h http.Handler, log *slog.Logger) (*http.Server, net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Error("metrics listener stopped", "addr", ln.Addr().String(), "err", err)
		}
	}()
	return srv, ln, nil
}
