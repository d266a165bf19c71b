package protocol

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/cachesrv/cachesrv/store"
	"github.com/redis/go-redis/v9"
)

// testServer is a real cachesrv listening on a free loopback port, with a
// clock the test can move forward.
type testServer struct {
	addr  string
	srv   *Server
	store *store.Store
	cfg   *config.Config
	nowMs atomic.Int64
}

// startServer starts a server for the test; configure may change the
// config before it starts. It is shut down when the test ends.
func startServer(t testing.TB, configure ...func(*config.Config)) *testServer {
	t.Helper()
	ts := &testServer{cfg: config.New()}
	ts.cfg.Shards = 16
	for _, f := range configure {
		f(ts.cfg)
	}
	ts.nowMs.Store(time.Now().UnixMilli())
	opts := ts.cfg.StoreOptions()
	opts.Now = ts.nowMs.Load
	st, err := store.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ts.store = st
	ts.srv = NewServer(ts.cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts.addr = servertest.Serve(t, ts.srv)
	return ts
}

// advance moves the server's clock forward.
func (ts *testServer) advance(d time.Duration) { ts.nowMs.Add(d.Milliseconds()) }

// client returns a go-redis client for the server, closed when the test ends.
func (ts *testServer) client(t testing.TB) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2, MaxRetries: -1, ReadTimeout: testIOTimeout, WriteTimeout: testIOTimeout})
	t.Cleanup(func() { c.Close() })
	return c
}

// raw opens a plain TCP connection, for sending bytes no client library would.
func (ts *testServer) raw(t testing.TB) *rawConn {
	t.Helper()
	conn, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawConn{t: t, conn: conn, rd: bufio.NewReader(conn)}
}

type rawConn struct {
	t    testing.TB
	conn net.Conn
	rd   *bufio.Reader
}

// send writes bytes as they are.
func (r *rawConn) send(s string) {
	r.t.Helper()
	if _, err := r.conn.Write([]byte(s)); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// line reads one reply line (without CRLF), failing the test after 5 s.
func (r *rawConn) line() string {
	r.t.Helper()
	r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := r.rd.ReadString('\n')
	if err != nil {
		r.t.Fatalf("read: %v (got %q)", err, s)
	}
	return s[:len(s)-2]
}

// closed reports whether the server closed the connection (EOF within 5 s).
func (r *rawConn) closed() bool {
	r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := r.rd.ReadByte()
	return err == io.EOF || (err != nil && !isTimeout(err))
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

var ctx = context.Background()

// testIOTimeout bounds a test client's wait for a reply: a guard against
// a hang, long enough that a machine loaded by parallel race-detector
// tests does not fail a test whose server is merely slow (go-redis's
// default is 3 s).
const testIOTimeout = 30 * time.Second
