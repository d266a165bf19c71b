package protocol

import (
	"bufio"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

// replyStream sends a pipeline in one write and returns every byte that
// comes back up to and including the final PING's +PONG.
func replyStream(t *testing.T, addr string, lines ...string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var req strings.Builder
	for _, l := range append(lines, "PING") {
		args, err := splitCommandLine(l)
		if err != nil {
			t.Fatal(err)
		}
		req.WriteString(respCommand(args...))
	}
	conn.Write([]byte(req.String()))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	rd := bufio.NewReader(conn)
	var got strings.Builder
	for !strings.HasSuffix(got.String(), "+PONG\r\n") {
		line, err := rd.ReadString('\n')
		got.WriteString(line)
		if err != nil {
			t.Fatalf("after %q: %v", got.String(), err)
		}
	}
	return got.String()
}

// TestClientReply: CLIENT REPLY OFF / ON / SKIP drop exactly the replies
// Redis drops, errors included, in pipelines with grouped commands too;
// compared byte for byte with redis-server.
func TestClientReply(t *testing.T) {
	redisAddr := servertest.RedisServer(t)
	ts := startServer(t)
	for _, pipeline := range [][]string{
		{"SET a 1", "CLIENT REPLY OFF", "GET a", "NOSUCH", "SET a 2", "CLIENT REPLY ON", "GET a"},
		{"CLIENT REPLY SKIP", "SET a 3", "SET b 4", "GET a", "GET b"},
		{"CLIENT REPLY SKIP", "CLIENT REPLY SKIP", "GET a", "GET b"},
		{"CLIENT REPLY SKIP", "CLIENT REPLY ON", "GET a"},
		{"CLIENT REPLY SKIP", "CLIENT REPLY OFF", "GET a", "CLIENT REPLY ON"},
		{"CLIENT REPLY OFF", "CLIENT REPLY SKIP", "GET a", "CLIENT REPLY ON", "GET b"},
		{"CLIENT REPLY OFF", "RESET", "GET a"},
		{"CLIENT REPLY OFF", "MULTI", "SET a 5", "EXEC", "CLIENT REPLY ON", "GET a"},
		{"HELLO 3", "CLIENT REPLY OFF", "HELLO 2", "CLIENT REPLY ON", "GET nokey"},
		// Pushes still arrive while replies are off.
		{"HELLO 3", "SUBSCRIBE ch", "CLIENT REPLY OFF", "PUBLISH ch self", "GET a", "CLIENT REPLY ON"},
	} {
		got, want := replyStream(t, ts.addr, pipeline...), replyStream(t, redisAddr, pipeline...)
		if strings.HasPrefix(pipeline[0], "HELLO") { // the HELLO map differs (server, version, id): from its last field on
			got, want = got[strings.Index(got, "modules"):], want[strings.Index(want, "modules"):]
		}
		if got != want {
			t.Errorf("%q:\n  cachesrv: %q\n  redis:    %q", pipeline, got, want)
		}
	}
}

// TestClientPause: under CLIENT PAUSE WRITE reads go on and writes wait
// (they do not fail) until CLIENT UNPAUSE; a pause ends by itself at its
// timeout; under ALL every command waits.
func TestClientPause(t *testing.T) {
	ts := startServer(t)
	admin, reader, writer := ts.client(t), ts.client(t), ts.client(t)
	must(t, admin.Do(ctx, "CLIENT", "PAUSE", "100000", "WRITE").Err())
	if err := reader.Get(ctx, "k").Err(); err != redis.Nil {
		t.Fatalf("GET during CLIENT PAUSE WRITE: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- writer.Set(ctx, "k", "v", 0).Err() }()
	select {
	case err := <-done:
		t.Fatalf("a SET ran during CLIENT PAUSE WRITE: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if v, err := reader.Exists(ctx, "k").Result(); err != nil || v != 0 {
		t.Fatalf("EXISTS k during the pause = %d, %v", v, err)
	}
	must(t, admin.Do(ctx, "CLIENT", "UNPAUSE").Err())
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("the SET still waits after CLIENT UNPAUSE")
	}

	must(t, admin.Do(ctx, "CLIENT", "PAUSE", "100", "ALL").Err())
	go func() { done <- reader.Ping(ctx).Err() }()
	select {
	case err := <-done:
		must(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("a PING still waits after the 100 ms pause ended")
	}
}

// TestDebugObject: DEBUG OBJECT in Redis's format for a key, Redis's
// error for none; DEBUG is refused inside MULTI (where EXEC may hold the
// key's shard lock that DEBUG OBJECT takes).
func TestDebugObject(t *testing.T) {
	ts := startServer(t)
	c := oneConn(t, ts)
	must(t, c.Set(ctx, "k", "hello", 0).Err())
	s, err := c.Do(ctx, "DEBUG", "OBJECT", "k").Text()
	if err != nil || !regexp.MustCompile(`^Value at:0x0 refcount:1 encoding:\S+ serializedlength:\d+ lru:0 lru_seconds_idle:0$`).MatchString(s) {
		t.Errorf("DEBUG OBJECT k = %q, %v", s, err)
	}
	if err := c.Do(ctx, "DEBUG", "OBJECT", "nokey").Err(); err == nil || err.Error() != "ERR no such key" {
		t.Errorf("DEBUG OBJECT nokey: %v", err)
	}
	must(t, c.Do(ctx, "MULTI").Err())
	must(t, c.Do(ctx, "SET", "k", "v").Err())
	if err := c.Do(ctx, "DEBUG", "OBJECT", "k").Err(); err == nil || err.Error() != "ERR Command not allowed inside a transaction" {
		t.Errorf("DEBUG inside MULTI: %v", err)
	}
	c.Do(ctx, "DISCARD")
}
