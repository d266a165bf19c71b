package servertest

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// requireToolsEnv, set to 1, makes a missing Redis program fail the
// tests that need it instead of skipping them: CI sets it, so that the
// comparisons with redis-server cannot pass by not running.
const requireToolsEnv = "CACHESRV_REQUIRE_REDIS_TOOLS"

// RequireTool returns the path of the Redis program name (redis-server,
// redis-cli, redis-benchmark). Without it on PATH it skips the test, or
// fails it where CACHESRV_REQUIRE_REDIS_TOOLS=1.
func RequireTool(t testing.TB, name string) string {
	t.Helper()
	path := lookTool(t, name)
	if path == "" {
		t.Skipf("%s not found on PATH", name)
	}
	return path
}

// HaveTool reports whether the Redis program name is on PATH, for a test
// that covers less without it rather than nothing; where
// CACHESRV_REQUIRE_REDIS_TOOLS=1 its absence fails the test.
func HaveTool(t testing.TB, name string) bool {
	t.Helper()
	return lookTool(t, name) != ""
}

// lookTool returns the path of name, or "" if it is not on PATH and the
// tools are not required.
func lookTool(t testing.TB, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil && os.Getenv(requireToolsEnv) == "1" {
		t.Fatalf("%s not found, and %s=1: %v", name, requireToolsEnv, err)
	}
	return path
}

// RedisServer runs a redis-server (see RequireTool) on a free loopback
// port for the test, without persistence and with args added to its
// command line (e.g. "--cluster-enabled", "yes"), waits until it answers
// PING, and returns its address. It kills the process when the test
// ends. A port taken between finding it free and redis-server binding
// it costs another try, up to three.
func RedisServer(t testing.TB, args ...string) string {
	t.Helper()
	bin := RequireTool(t, "redis-server")
	for range 3 {
		port := FreePort(t)
		cmd := exec.Command(bin, append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", t.TempDir(), "--daemonize", "no"}, args...)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() {
			cmd.Process.Kill()
			<-exited
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		if waitForPong(addr, exited, 10*time.Second) {
			t.Cleanup(stop)
			return addr
		}
		stop()
		t.Logf("redis-server on port %d did not come up:\n%s", port, out.String())
	}
	t.Fatal("could not start redis-server")
	return ""
}

// waitForPong polls addr with PING until it answers, the process exits,
// or the time is up.
func waitForPong(addr string, exited <-chan struct{}, limit time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			conn.SetDeadline(time.Now().Add(2 * time.Second))
			io.WriteString(conn, "*1\r\n$4\r\nPING\r\n")
			line, _ := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if line == "+PONG\r\n" {
				return true
			}
		}
		select {
		case <-exited:
			return false
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
}
