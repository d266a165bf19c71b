package protocol

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// Hardening against clients that make the server hold memory (issue 17's
// findings 1, 4 and 8). Each test counts what the server reports about
// the offending connection (CLIENT LIST) rather than timing anything.

// Before AUTH a client gets Redis's limits and errors: a bulk of more
// than 16 KiB or a multibulk of more than 10 arguments is a protocol
// error, before a byte of it is reserved.
func TestUnauthenticatedLimits(t *testing.T) {
	ts := startServer(t, withPassword("pw"))
	for _, tc := range []struct{ send, want string }{
		{"*1\r\n$536870000\r\n", "-ERR Protocol error: unauthenticated bulk length"},
		{"*2\r\n$3\r\nGET\r\n$16385\r\n", "-ERR Protocol error: unauthenticated bulk length"},
		{"*11\r\n", "-ERR Protocol error: unauthenticated multibulk length"},
	} {
		r := ts.raw(t)
		r.send(tc.send)
		if got := r.line(); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.send, got, tc.want)
		}
		if !r.closed() {
			t.Errorf("%q: connection left open", tc.send)
		}
	}
	// A client may send AUTH and what follows in one write: the command
	// after AUTH is framed under the limits of an authenticated client.
	r := ts.raw(t)
	r.send("AUTH pw\r\n*12\r\n$6\r\nEXISTS\r\n" + strings.Repeat("$1\r\na\r\n", 11))
	if got := r.line(); got != "+OK" {
		t.Fatalf("AUTH: %q", got)
	}
	if got := r.line(); got != ":0" {
		t.Fatalf("EXISTS after AUTH in the same write: %q", got)
	}
	// Within the limits, an unauthenticated client still gets NOAUTH.
	r.send("*2\r\n$3\r\nGET\r\n$16384\r\n" + strings.Repeat("k", 16384) + "\r\n")
	if got := r.line(); got != ":0" && !strings.HasPrefix(got, "-NOAUTH") && got != "$-1" {
		t.Fatalf("GET within limits: %q", got)
	}
}

// clientField returns a field of the CLIENT LIST line of the client named
// name.
func clientField(t *testing.T, ts *testServer, name, field string) int64 {
	t.Helper()
	list, err := ts.client(t).ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+name+" ") {
			n, err := strconv.ParseInt(clientInfoField(t, line, field), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatalf("no client named %s in %q", name, list)
	return 0
}

// An announced bulk length reserves nothing: the query buffer grows with
// the bytes that arrive (finding 1, for authenticated clients too).
func TestAnnouncedBulkReservesNothing(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.send("CLIENT SETNAME big\r\n")
	if got := r.line(); got != "+OK" {
		t.Fatal(got)
	}
	header := "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870000\r\n"
	r.send(header + strings.Repeat("v", 100))
	// Wait (by counting, not by time) until the server has read it all.
	for deadline := time.Now().Add(10 * time.Second); clientField(t, ts, "big", "qbuf") < int64(len(header)+100); {
		if time.Now().After(deadline) {
			t.Fatal("the server did not read the header")
		}
		time.Sleep(time.Millisecond)
	}
	if rbs := clientField(t, ts, "big", "rbs"); rbs > 64<<10 {
		t.Fatalf("query buffer of %d bytes for %d bytes received", rbs, len(header)+100)
	}
	if tot := clientField(t, ts, "big", "tot-mem"); tot > 128<<10 {
		t.Fatalf("tot-mem %d", tot)
	}
}

// A client that sends many commands with large replies and never reads
// them holds about one flush threshold and one reply of memory, not all
// its replies, and other clients go on being served (finding 4).
func TestUnreadRepliesAreBounded(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	const valueSize = 256 << 10
	if err := c.Set(ctx, "big", strings.Repeat("v", valueSize), 0).Err(); err != nil {
		t.Fatal(err)
	}
	r := ts.raw(t)
	r.send("CLIENT SETNAME greedy\r\n")
	if got := r.line(); got != "+OK" {
		t.Fatal(got)
	}
	const gets = 400 // 100 MiB of replies
	r.send(strings.Repeat("GET big\r\n", gets))
	// The connection's goroutine ends up waiting for the socket to take
	// its replies (the client reads none).
	servertest.WaitForGoroutines(t, 1, "[IO wait", "protocol.(*client).flush(")
	omem := clientField(t, ts, "greedy", "omem")
	if limit := int64(replyFlushThreshold + valueSize + 64); omem > limit || omem == 0 {
		t.Fatalf("omem %d while blocked, want at most %d (and more than 0)", omem, limit)
	}
	if tot := clientField(t, ts, "greedy", "tot-mem"); tot > 1<<20 {
		t.Fatalf("tot-mem %d", tot)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// Reading the replies lets it finish: all of them arrive, in order.
	for i := range gets {
		if got := r.line(); got != fmt.Sprintf("$%d", valueSize) {
			t.Fatalf("reply %d: %q", i, got)
		}
		if got := r.line(); len(got) != valueSize {
			t.Fatalf("reply %d: %d bytes", i, len(got))
		}
	}
}

// --timeout counts idle time only: a client sending a large value slowly,
// with pauses well under the timeout, is not closed (finding 8).
func TestTimeoutCountsIdleTimeOnly(t *testing.T) {
	ts := startServer(t)
	if err := ts.client(t).ConfigSet(ctx, "timeout", "1").Err(); err != nil {
		t.Fatal(err)
	}
	r := ts.raw(t)
	r.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$25\r\n")
	for range 25 { // 2.5 s in all, 100 ms between bytes
		time.Sleep(100 * time.Millisecond)
		r.send("v")
	}
	r.send("\r\n")
	if got := r.line(); got != "+OK" {
		t.Fatalf("got %q", got)
	}
	// Idle, it is closed.
	if !r.closed() {
		t.Fatal("an idle client outlived the timeout")
	}
}

// CONFIG GET and SET of client-output-buffer-limit take Redis's syntax.
func TestClientOutputBufferLimitSetting(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	want := "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
	if got := c.ConfigGet(ctx, "client-output-buffer-limit").Val()["client-output-buffer-limit"]; got != want {
		t.Fatalf("default %q, want %q", got, want)
	}
	if err := c.ConfigSet(ctx, "client-output-buffer-limit", "normal 1mb 512kb 10").Err(); err != nil {
		t.Fatal(err)
	}
	want = "normal 1048576 524288 10 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
	if got := c.ConfigGet(ctx, "client-output-buffer-limit").Val()["client-output-buffer-limit"]; got != want {
		t.Fatalf("after SET %q, want %q", got, want)
	}
	for _, bad := range []string{"normal 1mb 512kb", "bogus 0 0 0", "normal x 0 0"} {
		if err := c.ConfigSet(ctx, "client-output-buffer-limit", bad).Err(); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// A normal-class hard limit closes a client whose replies pass it.
func TestClientOutputBufferHardLimit(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	if err := c.ConfigSet(ctx, "client-output-buffer-limit", "normal 100kb 0 0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "big", strings.Repeat("v", 200<<10), 0).Err(); err != nil {
		t.Fatal(err)
	}
	r := ts.raw(t)
	r.send("GET big\r\n")
	if !r.closed() {
		t.Fatal("a reply past the hard limit was sent")
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}
