package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

// startWithFile runs the binary with a config file (and extra flags) and
// returns a client once it serves; the process stops when the test ends
// or when stop is called.
func startWithFile(t *testing.T, bin, file string, port int, flags ...string) (c *redis.Client, stop func()) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{file}, flags...)...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
	}
	t.Cleanup(stop)
	lines := bufio.NewScanner(stderr)
	if !lines.Scan() || !strings.Contains(lines.Text(), "cachesrv started") {
		t.Fatalf("first log line: %q", lines.Text())
	}
	go func() {
		for lines.Scan() {
		}
	}()
	c = redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), MaxRetries: -1, DialTimeout: 5 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c, stop
}

// TestConfigFileRoundTrip: the server reads a redis.conf-style file as
// its first argument, a flag overrides it, CONFIG REWRITE writes CONFIG
// SET's changes into it, and a restart with the same file has them.
func TestConfigFileRoundTrip(t *testing.T) {
	bin := servertest.Cachesrv(t)
	port := servertest.FreePort(t)
	file := filepath.Join(t.TempDir(), "cachesrv.conf")
	os.WriteFile(file, []byte("# test config\nport "+strconv.Itoa(port)+"\nmetrics-addr \"\"\nmaxmemory 50mb\ntimeout 7\n"), 0o600)
	ctx := context.Background()

	c, stop := startWithFile(t, bin, file, port, "--timeout", "9")
	if v := c.ConfigGet(ctx, "maxmemory").Val()["maxmemory"]; v != strconv.Itoa(50<<20) {
		t.Errorf("maxmemory from the file: %q", v)
	}
	if v := c.ConfigGet(ctx, "timeout").Val()["timeout"]; v != "9" {
		t.Errorf("timeout: %q, want the flag's 9 over the file's 7", v)
	}
	if err := c.ConfigSet(ctx, "maxmemory", "80mb").Err(); err != nil {
		t.Fatal(err)
	}
	c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lfu")
	if err := c.ConfigRewrite(ctx).Err(); err != nil {
		t.Fatalf("CONFIG REWRITE: %v", err)
	}
	stop()
	data, _ := os.ReadFile(file)
	if !strings.HasPrefix(string(data), "# test config\n") {
		t.Errorf("the comment was lost:\n%s", data)
	}

	c2, _ := startWithFile(t, bin, file, port)
	got := c2.ConfigGet(ctx, "maxmemory*").Val()
	if got["maxmemory"] != strconv.Itoa(80<<20) || got["maxmemory-policy"] != "allkeys-lfu" {
		t.Errorf("after restart: %v\nfile:\n%s", got, data)
	}
	// The flag's timeout was CONFIG REWRITE's too, as in Redis.
	if v := c2.ConfigGet(ctx, "timeout").Val()["timeout"]; v != "9" {
		t.Errorf("timeout after restart: %q", v)
	}
}

// TestConfigFileError: a bad directive stops the start, naming the line.
func TestConfigFileError(t *testing.T) {
	bin := servertest.Cachesrv(t)
	file := filepath.Join(t.TempDir(), "bad.conf")
	os.WriteFile(file, []byte("maxmemory 1mb\nno-such-directive 1\n"), 0o600)
	out, err := exec.Command(bin, file).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "line 2: >>> 'no-such-directive 1': Bad directive or wrong number of arguments") {
		t.Errorf("a bad config file: %v\n%s", err, out)
	}
}
