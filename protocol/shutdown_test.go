package protocol

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/store"
)

// TestShutdownFinishesInFlightCommands starts a shutdown while a client's
// pipeline is running and expects: every command the server had read is
// answered, then the connection closes; an idle client is closed; new
// connections are refused; Serve returns nil.
func TestShutdownFinishesInFlightCommands(t *testing.T) {
	ts := startServer(t)
	running, release := make(chan struct{}), make(chan struct{})
	commands["test.block"] = &command{name: "test.block", fullName: "test.block", arity: 1,
		run: func(c *client, _ [][]byte, _ store.Tx) {
			close(running)
			<-release
			c.WriteString("OK")
		}}
	t.Cleanup(func() { delete(commands, "test.block") })

	busy, idle := ts.raw(t), ts.raw(t)
	idle.send("PING\r\n")
	if got := idle.line(); got != "+PONG" {
		t.Fatalf("idle ping: %q", got)
	}
	busy.send("*1\r\n$10\r\ntest.block\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n")
	<-running
	shut := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		shut <- ts.srv.Shutdown(ctx)
	}()
	// The idle client is closed while the busy one is still running.
	if !idle.closed() {
		t.Fatal("idle client not closed")
	}
	select {
	case err := <-shut:
		t.Fatalf("shutdown returned (%v) before the in-flight command finished", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	busy.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, err := io.ReadAll(busy.rd)
	if err != nil {
		t.Fatalf("reading replies: %v", err)
	}
	if string(rest) != "+OK\r\n+OK\r\n" {
		t.Fatalf("replies %q, want both commands answered", rest)
	}
	if err := <-shut; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if c, err := net.DialTimeout("tcp", ts.addr, time.Second); err == nil {
		c.Close()
		t.Fatal("new connection accepted after shutdown")
	}
	if v, _, ok := ts.store.Tx().Lookup([]byte("k")); !ok || string(v) != "v" {
		t.Fatal("the pipelined SET did not run")
	}
}

func TestShutdownCommand(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.send("SHUTDOWN ABORT\r\nSHUTDOWN BOGUS\r\n")
	for _, want := range []string{"-ERR No shutdown in progress.", "-ERR syntax error"} {
		if got := r.line(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	select {
	case <-ts.srv.ShutdownRequested():
		t.Fatal("shutdown requested by a refused SHUTDOWN")
	default:
	}
	r.send("SHUTDOWN NOSAVE\r\n")
	if !r.closed() {
		t.Fatal("connection still open after SHUTDOWN")
	}
	select {
	case <-ts.srv.ShutdownRequested():
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN did not signal")
	}
}
