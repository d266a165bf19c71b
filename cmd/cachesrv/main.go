// Command cachesrv is a sharded in-memory cache server that speaks the
// Redis protocol.
//
// Every setting is a flag (--port 6380) and an environment variable
// (CACHESRV_PORT=6380); a flag wins over the variable. --help lists them
// (flags.go derives all three from protocol/config's table).
//
// Besides RESP it serves Prometheus /metrics, /healthz and /readyz on
// --metrics-addr (127.0.0.1:8379). `cachesrv top` is a live terminal view
// of a running server (package top), `cachesrv healthcheck` a probe for
// container health checks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/cachesrv/cachesrv/cmd/cachesrv/top"
	"github.com/cachesrv/cachesrv/protocol"
	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/store"
)

// shutdownGrace bounds how long a graceful shutdown waits for clients to
// finish what they sent.
const shutdownGrace = 10 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: &cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "top" {
		return top.Run(args[1:], os.Stdin, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "healthcheck" {
		return runHealthcheck(args[1:], stdout, stderr)
	}
	cfg, showVersion, given, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "cachesrv:", err)
		return 2
	}
	if showVersion {
		fmt.Fprintln(stdout, "cachesrv", protocol.Version)
		return 0
	}
	log := newLogger(cfg, stderr)
	secretsOnCommandLine(given, log)
	warnProtectedCluster(cfg, log)
	if err := adjustOpenFilesLimit(cfg, log); err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}

	opts := cfg.StoreOptions()
	// GOMEMLIMIT, when set, is the operator's; otherwise the store ties
	// the runtime's limit to maxmemory.
	opts.GoMemoryLimit = os.Getenv("GOMEMLIMIT") == ""
	st, err := store.New(opts)
	if err != nil {
		log.Error("cannot create store", "err", err)
		return 1
	}
	ln, err := net.Listen(cfg.ListenNetwork(), cfg.Addr())
	if err != nil {
		log.Error("cannot listen", "addr", cfg.Addr(), "err", err)
		return 1
	}
	tln, err := listenTLS(cfg, log) // nil without tls-port (tls.go)
	if err != nil {
		ln.Close()
		log.Error("cannot serve TLS", "err", err)
		return 1
	}
	if tlsOnly(cfg) { // --port 0 --tls-port N: TLS only, as in Redis
		ln.Close()
		ln, tln = tln, nil
	}
	srv := protocol.NewServer(cfg, st, log)
	if err := srv.LoadACLFile(); err != nil {
		// As Redis: a bad aclfile stops the start rather than leave the
		// users it should have restricted open.
		ln.Close()
		if tln != nil {
			tln.Close()
		}
		log.Error("cannot load the aclfile", "err", err)
		return 1
	}
	if os.Getenv("GOGC") == "" {
		// The store's memory is pointer-free chunks, so a collection marks
		// a few objects per chunk, not one per key (about 2 ms of CPU at
		// 100 MB of data, by GODEBUG=gctrace=1), and running it after 25%
		// growth instead of 100% keeps garbage
		// (old index tables, request buffers) from padding the RSS: with 1M
		// keys of 100 B, 150 B/key of RSS against 159 at GOGC=100
		// (bench/membench -mode bytes).
		debug.SetGCPercent(25)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		// Go code runs on one core fewer than the process may use (at
		// least one), leaving a core to the kernel's TCP stack, which does
		// most of a request's work, and to whatever shares the machine.
		// On 2 cores, co-located with redis-benchmark (bench/rbcompare,
		// 2026-12-02), GOMAXPROCS=1 served 1.55x the GETs at pipeline 1 of
		// GOMAXPROCS=2, at 0.77x the CPU per request; see
		// docs/configuration.md#threads. Redis's io-threads guidance is
		// the same: a thread or two fewer than the cores.
		if n := runtime.GOMAXPROCS(0); n > 1 {
			runtime.GOMAXPROCS(n - 1)
		}
	}
	leave := func() {}
	if cfg.Cluster.Enabled {
		if leave, err = joinCluster(cfg, srv, ln.Addr().String(), log); err != nil {
			ln.Close()
			log.Error("cannot join the cluster", "err", err)
			return 1
		}
	}

	metricsAddr := "off"
	var httpSrv *http.Server
	if cfg.MetricsAddr != "" {
		h := newHTTPHandler(newRegistry(st, srv), srv.Ready, cfg.Pprof, log)
		var hln net.Listener
		httpSrv, hln, err = startHTTP(cfg.MetricsAddr, h, log)
		if err != nil {
			ln.Close()
			log.Error("cannot listen for metrics: choose another address with --metrics-addr, or turn the HTTP listener off with --metrics-addr ''",
				"addr", cfg.MetricsAddr, "err", err)
			return 1
		}
		metricsAddr = hln.Addr().String()
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go st.RunExpiry(ctx)

	// Catch signals before announcing the start: whoever waits for the
	// "started" line may signal at once.
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)

	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(ln) }()
	serving, tlsAddr := 1, "off"
	if tln != nil {
		serving, tlsAddr = 2, tln.Addr().String()
		go func() { serveErr <- srv.Serve(tln) }()
	}
	log.Info("cachesrv started", "version", protocol.Version, "addr", ln.Addr().String(), "tls", tlsAddr, "shards", st.Shards(),
		"metrics", metricsAddr, "pprof", cfg.Pprof && httpSrv != nil)

	select {
	case err := <-serveErr:
		log.Error("server stopped", "err", err)
		return 1
	case sig := <-sigs:
		log.Info("shutting down", "signal", sig.String())
	case <-srv.ShutdownRequested():
		log.Info("shutting down", "reason", "SHUTDOWN command")
	}
	go func() {
		sig := <-sigs
		log.Warn("second signal, exiting at once", "signal", sig.String())
		os.Exit(1)
	}()
	// Peers stop routing here, and this node's keys go to the new owners
	// of its slots (at most cluster-leave-timeout), before clients are
	// closed: until then they are served, by forwarding.
	leave()
	sctx, cancel := context.WithTimeout(ctx, shutdownGrace)
	defer cancel()
	// /readyz answers 503 from here on; /metrics stays up while clients
	// drain, and goes last.
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("clients did not finish in time", "err", err)
	}
	for range serving {
		<-serveErr
	}
	if httpSrv != nil {
		hctx, hcancel := context.WithTimeout(context.Background(), time.Second)
		httpSrv.Shutdown(hctx)
		hcancel()
	}
	log.Info("stopped")
	return 0
}
