package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

func TestConfigFromEnvAndFlags(t *testing.T) {
	t.Setenv("CACHESRV_PORT", "7777")
	t.Setenv("CACHESRV_MAXCLIENTS", "5")
	cfg, _, err := parseConfig([]string{"--maxclients", "9", "--proto-max-bulk-len", "100mb"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 7777 {
		t.Errorf("port from env = %d", cfg.Port)
	}
	if got := cfg.MaxClients.Load(); got != 9 {
		t.Errorf("flag should win over env: maxclients = %d", got)
	}
	if got := cfg.ProtoMaxBulkLen.Load(); got != 100<<20 {
		t.Errorf("proto-max-bulk-len = %d", got)
	}
}

func TestConfigRefusesBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"--shards", "100"},
		{"--shards", "0"},
		{"--port", "99999"},
		{"--proto-max-bulk-len", "lots"},
		{"--log-format", "xml"},
		{"stray"},
	} {
		var stderr bytes.Buffer
		if code := run(args, &stderr, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, stderr.String())
		}
	}
	var stderr bytes.Buffer
	run([]string{"--shards", "100"}, &stderr, &stderr)
	if !strings.Contains(stderr.String(), "power of two") {
		t.Errorf("shards error does not explain: %s", stderr.String())
	}
}

func TestHelpListsEveryFlagWithDefaults(t *testing.T) {
	var out bytes.Buffer
	if code := run([]string{"--help"}, &out, &out); code != 0 {
		t.Fatalf("--help exit %d", code)
	}
	for _, want := range []string{"--port", "6379", "CACHESRV_PORT", "--shards", "256", "--proto-max-bulk-len", "512mb", "--client-query-buffer-limit", "1gb", "--maxclients", "10000", "--timeout", "--bind", "127.0.0.1", "--log-format", "--log-level"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--help lacks %q:\n%s", want, out.String())
		}
	}
}

// TestProcessServesAndStopsOnSIGTERM builds the real binary, starts it,
// talks to it, and checks that SIGTERM ends it with exit status 0.
func TestProcessServesAndStopsOnSIGTERM(t *testing.T) {
	bin := servertest.Cachesrv(t)
	port := strconv.Itoa(servertest.FreePort(t))
	cmd := exec.Command(bin, "--port", port, "--log-format", "json")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stderr)
	if !lines.Scan() || !strings.Contains(lines.Text(), `"msg":"cachesrv started"`) || !strings.Contains(lines.Text(), `"shards":256`) {
		t.Fatalf("first log line: %q", lines.Text())
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port})
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "greeting", "hello", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Get(ctx, "greeting").Result(); v != "hello" {
		t.Fatalf("get = %q", v)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() {
		for lines.Scan() {
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no exit within 10 s of SIGTERM")
	}
}
