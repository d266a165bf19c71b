// Command cachesrv is a sharded in-memory cache server that speaks the
// Redis protocol.
//
// Every setting is a flag (--port 6380) and an environment variable
// (CACHESRV_PORT=6380); a flag wins over the variable. --help lists them.
//
// Besides RESP it serves Prometheus /metrics, /healthz and /readyz on
// --metrics-addr (127.0.0.1:9121). `cachesrv top` is a live terminal view
// of a running server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/cachesrv/cachesrv/protocol"
	"github.com/cachesrv/cachesrv/store"
)

// shutdownGrace bounds how long a graceful shutdown waits for clients to
// finish what they sent.
const shutdownGrace = 10 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// envName is the environment variable that sets a flag: CACHESRV_ and the
// flag's name in upper snake case.
func envName(flagName string) string {
	return "CACHESRV_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// settingFlag adapts a protocol.Setting to flag.Value.
type settingFlag struct {
	s   *protocol.Setting
	cfg *protocol.Config
}

func (f settingFlag) String() string {
	if f.s == nil {
		return ""
	}
	return f.s.Default
}
func (f settingFlag) Set(v string) error { return f.s.Set(f.cfg, v) }

// parseConfig builds the configuration from defaults, then environment
// variables, then flags.
func parseConfig(args []string, stderr io.Writer) (*protocol.Config, bool, error) {
	cfg := protocol.NewConfig()
	fs := flag.NewFlagSet("cachesrv", flag.ContinueOnError)
	fs.SetOutput(stderr)
	showVersion := fs.Bool("version", false, "print the version and exit")
	for _, s := range protocol.Settings {
		fs.Var(settingFlag{s, cfg}, s.Name, s.Usage)
		if v, ok := os.LookupEnv(envName(s.Name)); ok {
			if err := s.Set(cfg, v); err != nil {
				return nil, false, fmt.Errorf("%s: %w", envName(s.Name), err)
			}
		}
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: cachesrv [flags]\n\nA sharded in-memory cache server speaking the Redis protocol.\n"+
			"Sizes take Redis's units (100mb, 1gb). Every flag can also be set by the\n"+
			"environment variable shown; a flag wins over its variable.\n\n")
		for _, s := range protocol.Settings {
			def := s.Default
			if def == "" {
				def = `""`
			}
			fmt.Fprintf(stderr, "  --%s (default %s, env %s)\n      %s\n", s.Name, def, envName(s.Name), s.Usage)
		}
		fmt.Fprintf(stderr, "  --version\n      print the version and exit\n")
		fmt.Fprintf(stderr, "\nSubcommands:\n  cachesrv top [-h host] [-p port] [-a password]\n      live view of a running server (cachesrv top --help)\n"+
			"  cachesrv healthcheck [--url URL | --ready]\n      exit 0 if a running server's /healthz answers 200 (for container health checks)\n")
	}
	if err := fs.Parse(args); err != nil {
		return nil, false, err
	}
	if fs.NArg() > 0 {
		return nil, false, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return cfg, *showVersion, nil
}

func newLogger(cfg *protocol.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: &cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "top" {
		return runTop(args[1:], os.Stdin, stdout, stderr)
	}
	if len(args) > 0 && args[0] == "healthcheck" {
		return runHealthcheck(args[1:], stdout, stderr)
	}
	cfg, showVersion, err := parseConfig(args, stderr)
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

	st, err := store.New(store.Options{Shards: cfg.Shards})
	if err != nil {
		log.Error("cannot create store", "err", err)
		return 1
	}
	ln, err := net.Listen("tcp", cfg.Addr())
	if err != nil {
		log.Error("cannot listen", "addr", cfg.Addr(), "err", err)
		return 1
	}
	srv := protocol.NewServer(cfg, st, log)
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
	if os.Getenv("GOMEMLIMIT") == "" {
		cfg.OnMemoryChange(func(c *protocol.Config) { debug.SetMemoryLimit(goMemoryLimit(c.MaxMemory.Load())) })
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
			log.Error("cannot listen for metrics", "addr", cfg.MetricsAddr, "err", err)
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

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	log.Info("cachesrv started", "version", protocol.Version, "addr", ln.Addr().String(), "shards", st.Shards(),
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
	sctx, cancel := context.WithTimeout(ctx, shutdownGrace)
	defer cancel()
	// /readyz answers 503 from here on; /metrics stays up while clients
	// drain, and goes last.
	leave() // peers stop routing here before clients are closed
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("clients did not finish in time", "err", err)
	}
	<-serveErr
	if httpSrv != nil {
		hctx, hcancel := context.WithTimeout(context.Background(), time.Second)
		httpSrv.Shutdown(hctx)
		hcancel()
	}
	log.Info("stopped")
	return 0
}

// goMemoryLimit is the Go runtime's soft memory limit for a maxmemory of
// max bytes (none for 0). The store keeps its own memory under max; the
// runtime limit makes the collector return garbage (chunks released by
// compaction or eviction, old index tables) before the heap grows far
// beyond that, where GOGC alone would let it reach twice the live heap.
// The twentieth and the 16 MiB are room for pooled chunks (at most a 64th
// of maxmemory and 1 MiB), connection buffers and the runtime. With more
// (a tenth and 64 MiB), bench/membench's churn run held 1.20x maxmemory of
// RSS: the runtime keeps freed spans up to its limit. A live heap above
// the limit (thousands of clients with big buffers) makes the collector
// run often, at no more than half the CPU; set GOMEMLIMIT to override.
func goMemoryLimit(max int64) int64 {
	if max <= 0 {
		return math.MaxInt64
	}
	return max + max/20 + 16<<20
}
