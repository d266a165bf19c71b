// Package benchtest holds what the benchmarks' tests share: a stand-in
// for a cachesrv process (the test binary itself, serving the real
// protocol and store), an in-process server, and the rule for tests that
// need redis-server. Only tests import it.
package benchtest

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol"
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
	srv, _ := Serve(ln)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
	return 0
}

// Serve starts a cachesrv server (16 shards, no logging) on ln.
func Serve(ln net.Listener) (*protocol.Server, *store.Store) {
	st, err := store.New(store.Options{Shards: 16})
	if err != nil {
		panic(err)
	}
	srv := protocol.NewServer(protocol.NewConfig(), st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	go srv.Serve(ln)
	return srv, st
}

// HaveRedis reports whether redis-server is in PATH; without it, a test
// that needs it fails when CACHESRV_REQUIRE_REDIS_TOOLS=1 (as in CI).
func HaveRedis(t *testing.T) bool {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CACHESRV_REQUIRE_REDIS_TOOLS") == "1" {
			t.Fatalf("redis-server not found, and CACHESRV_REQUIRE_REDIS_TOOLS=1: %v", err)
		}
		return false
	}
	return true
}
