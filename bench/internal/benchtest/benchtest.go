// Package benchtest holds what the benchmarks' tests share: a stand-in
// for a cachesrv process (the test binary itself, serving the real
// protocol and store) and the server it runs, which a test can also
// serve in-process with servertest.Serve. Only tests import it.
package benchtest

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol"
	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/store"
)

// StandIn runs the test binary as a cachesrv process: a test's TestMain
// calls it when an env var it set says so, and exits with its result.
// It accepts only the flags every bench passes (--bind, --port,
// --log-level, --metrics-addr, --version), so a bench's handling of a
// server that rejects a flag can be tested too, and serves until SIGTERM.
// name is what --version prints.
func StandIn(args []string, name string) int {
	fs := flag.NewFlagSet("stand-in", flag.ContinueOnError)
	bind := fs.String("bind", "127.0.0.1", "")
	port := fs.Int("port", 0, "")
	fs.String("log-level", "", "")
	fs.String("metrics-addr", "", "")
	version := fs.Bool("version", false, "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *version {
		os.Stdout.WriteString("cachesrv (" + name + ")\n")
		return 0
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(*bind, strconv.Itoa(*port)))
	if err != nil {
		return 1
	}
	srv, _ := NewServer()
	go srv.Serve(ln)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	return 0
}

// StandInBinary returns the test binary's path, for a bench to start as
// its cachesrv, and sets env (which the test's TestMain checks before
// calling StandIn) to 1 for the processes the test starts. It also has
// them exit at once: a binary built with -race otherwise waits a second
// at exit (GORACE atexit_sleep_ms), and a bench stops its server after
// every run.
func StandInBinary(t *testing.T, env string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(env, "1")
	t.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	return exe
}

// NewServer returns a cachesrv server (16 shards, no logging) and its
// store, for StandIn or a test to serve.
func NewServer() (*protocol.Server, *store.Store) {
	cfg := config.New()
	cfg.Shards = 16
	st, err := store.New(cfg.StoreOptions())
	if err != nil {
		panic(err)
	}
	return protocol.NewServer(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil))), st
}
