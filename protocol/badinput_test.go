package protocol

import (
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/store"
)

// Each case sends raw bytes a well-behaved client never would, checks the
// reply and whether the connection is closed, then checks that the
// server and its data are untouched.
func TestBadInputLeavesServerAndDataIntact(t *testing.T) {
	ts := startServer(t, func(c *config.Config) {
		c.ProtoMaxBulkLen.Store(1024)
		c.ClientQueryBufferLimit.Store(128 * 1024)
	})
	good := ts.client(t)
	if err := good.Set(ctx, "keep", "me", 0).Err(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, send string
		reply      string // "" = no reply expected
		closed     bool
	}{
		{"unknown command", "FOO bar\r\n", "-ERR unknown command 'FOO', with args beginning with: 'bar' ", false},
		{"wrong arity", "*1\r\n$3\r\nGET\r\n", "-ERR wrong number of arguments for 'get' command", false},
		{"not an integer", "*2\r\n$4\r\nINCR\r\n$4\r\nkeep\r\n", "-ERR value is not an integer or out of range", false},
		{"bulk over proto-max-bulk-len", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2000\r\n", "-ERR Protocol error: invalid bulk length", true},
		{"negative bulk length", "*2\r\n$3\r\nGET\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length", true},
		{"non-numeric bulk length", "*2\r\n$3\r\nGET\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length", true},
		{"huge multibulk count", "*9223372036854775807\r\n$3\r\nGET\r\n", "-ERR Protocol error: invalid multibulk length", true},
		{"non-numeric multibulk count", "*x\r\n", "-ERR Protocol error: invalid multibulk length", true},
		{"missing dollar", "*1\r\n:3\r\n", "-ERR Protocol error: expected '$', got ':'", true},
		{"unbalanced quotes", "SET \"abc\r\n", "-ERR Protocol error: unbalanced quotes in request", true},
		{"huge inline", strings.Repeat("a", 70*1024) + "\r\n", "-ERR Protocol error: too big inline request", true},
		// A bulk within proto-max-bulk-len never sent in full: the query
		// buffer limit closes the client without a reply, as Redis does.
		{"query buffer limit", "*200\r\n" + strings.Repeat("$1000\r\n"+strings.Repeat("y", 1000)+"\r\n", 140), "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ts.raw(t)
			r.send(tc.send)
			if tc.reply != "" {
				if got := r.line(); got != tc.reply {
					t.Fatalf("reply %q, want %q", got, tc.reply)
				}
			}
			if tc.closed != r.closedSoon(tc.closed) {
				t.Fatalf("connection closed = %v, want %v", !tc.closed, tc.closed)
			}
			if v, err := good.Get(ctx, "keep").Result(); err != nil || v != "me" {
				t.Fatalf("data after bad input: %q, %v", v, err)
			}
		})
	}
}

// closedSoon reports whether the server closes the connection; when a
// close is not expected it waits only briefly.
func (r *rawConn) closedSoon(expect bool) bool {
	wait := 200 * time.Millisecond
	if expect {
		wait = 5 * time.Second
	}
	r.conn.SetReadDeadline(time.Now().Add(wait))
	_, err := r.rd.ReadByte()
	return err != nil && !isTimeout(err)
}

func TestCommandsBeforeBadFrameStillRun(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.ProtoMaxBulkLen.Store(1024) })
	r := ts.raw(t)
	r.send("*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$5000\r\n")
	for _, want := range []string{"+OK", "-ERR Protocol error: invalid bulk length"} {
		if got := r.line(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if v, _ := ts.client(t).Get(ctx, "a").Result(); v != "1" {
		t.Fatalf("a = %q", v)
	}
}

func TestBulkAtLimitIsAccepted(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.ProtoMaxBulkLen.Store(1024) })
	c := ts.client(t)
	if err := c.Set(ctx, "k", strings.Repeat("v", 1024), 0).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Append(ctx, "k", "x").Err(); err == nil || err.Error() != errTooBig {
		t.Fatalf("append past the limit: %v", err)
	}
}

func TestPanicInCommandIsRecovered(t *testing.T) {
	ts := startServer(t)
	commands["test.panic"] = &command{name: "test.panic", fullName: "test.panic", arity: 1,
		run: func(*client, [][]byte, store.Tx) { panic("boom") }}
	t.Cleanup(func() { delete(commands, "test.panic") })
	r := ts.raw(t)
	r.send("*1\r\n$10\r\ntest.panic\r\n*1\r\n$4\r\nPING\r\n")
	for _, want := range []string{"-ERR internal error while running 'test.panic'", "+PONG"} {
		if got := r.line(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	if err := ts.client(t).Ping(ctx).Err(); err != nil {
		t.Fatalf("server after panic: %v", err)
	}
}

func TestEmptyAndInlineCommands(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.send("\r\nset k \"hello world\"\r\nget k\r\n")
	for _, want := range []string{"+OK", "$11", "hello world"} {
		if got := r.line(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func TestUnknownCommandPreviewKeepsBytes(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.send("*3\r\n$4\r\nnope\r\n$4\r\n\xff\xfe\r\n\r\n$1\r\nx\r\n")
	want := "-ERR unknown command 'nope', with args beginning with: '\xff\xfe  ' 'x' "
	if got := r.line(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
