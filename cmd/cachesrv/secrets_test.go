package main

import (
	"bufio"
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
)

// writeSecret writes a secret file as an editor or `echo` would: with a
// trailing newline, which is not part of the secret.
func writeSecret(t *testing.T, secret string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The secrets can come from files, named by flag or environment variable
// (finding 6 of issue 17: --requirepass and --gossip-secret showed in ps).
func TestSecretsFromFiles(t *testing.T) {
	t.Setenv("CACHESRV_GOSSIP_SECRET_FILE", writeSecret(t, "gossip secret"))
	cfg, _, err := parseConfig([]string{"--requirepass-file", writeSecret(t, "s3cret")}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Requirepass() != "s3cret" || cfg.Cluster.GossipSecret != "gossip secret" {
		t.Errorf("requirepass %q, gossip-secret %q", cfg.Requirepass(), cfg.Cluster.GossipSecret)
	}

	missing := filepath.Join(t.TempDir(), "nosuchfile")
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--requirepass-file", missing}, "--requirepass-file: open " + missing},
		{[]string{"--gossip-secret-file", missing}, "--gossip-secret-file: open " + missing},
		{[]string{"--requirepass-file", empty}, "--requirepass-file: " + empty + " is empty"},
		{[]string{"--requirepass", "x", "--requirepass-file", writeSecret(t, "y")}, "--requirepass and --requirepass-file both given"},
	} {
		var stderr bytes.Buffer
		if code := run(tc.args, &stderr, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, %q; want exit 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// A secret given as a flag gets a warning naming the safer ways; from the
// environment or a file it does not.
func TestSecretOnCommandLineWarns(t *testing.T) {
	warnings := func(args ...string) string {
		_, _, given, err := parseFlags(args, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		secretsOnCommandLine(given, slog.New(slog.NewTextHandler(&out, nil)))
		return out.String()
	}
	got := warnings("--requirepass", "pw", "--gossip-secret=gs", "--port", "7000")
	for _, want := range []string{"--requirepass on the command line is visible", "--requirepass-file", "CACHESRV_REQUIREPASS",
		"--gossip-secret on the command line", "--gossip-secret-file", "CACHESRV_GOSSIP_SECRET"} {
		if !strings.Contains(got, want) {
			t.Errorf("warnings lack %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "pw") || strings.Contains(got, "gs ") {
		t.Errorf("the warning repeats the secret:\n%s", got)
	}
	t.Setenv("CACHESRV_REQUIREPASS", "pw")
	if got := warnings("--gossip-secret-file", writeSecret(t, "gs"), "--port", "7000"); got != "" {
		t.Errorf("secrets from the environment and a file warned:\n%s", got)
	}
}

// The profiler does not serve the command line.
func TestPprofHasNoCmdline(t *testing.T) {
	h := newHTTPHandler(prometheus.NewRegistry(), func() bool { return true }, true, slog.New(slog.DiscardHandler))
	for path, want := range map[string]int{"/debug/pprof/cmdline": http.StatusNotFound, "/debug/pprof/goroutine?debug=1": http.StatusOK} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want || strings.Contains(rec.Body.String(), os.Args[0]) {
			t.Errorf("GET %s = %d, want %d; body %.200q", path, rec.Code, want, rec.Body.String())
		}
	}
}

// The real process takes its password from a file: clients must AUTH with
// it, and it is not on the process's command line.
func TestProcessPasswordFromFile(t *testing.T) {
	bin := servertest.Cachesrv(t)
	port := strconv.Itoa(servertest.FreePort(t))
	cmd := exec.Command(bin, "--port", port, "--metrics-addr", "", "--requirepass-file", writeSecret(t, "file-pw"))
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); cmd.Wait() })
	lines := bufio.NewScanner(stderr)
	if !lines.Scan() || !strings.Contains(lines.Text(), "cachesrv started") {
		t.Fatalf("first log line: %q", lines.Text())
	}
	go func() {
		for lines.Scan() {
		}
	}()
	ctx := context.Background()
	anon := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port, MaxRetries: -1})
	defer anon.Close()
	if err := anon.Get(ctx, "k").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
		t.Errorf("GET without AUTH: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + port, Password: "file-pw", MaxRetries: -1, DialTimeout: 5 * time.Second})
	defer c.Close()
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	// Redis 7 shows requirepass to a client that has authenticated.
	if v, err := c.ConfigGet(ctx, "requirepass").Result(); err != nil || v["requirepass"] != "file-pw" {
		t.Errorf("CONFIG GET requirepass = %v, %v", v, err)
	}
	argv, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/cmdline")
	if err == nil && bytes.Contains(argv, []byte("file-pw")) {
		t.Errorf("the password is on the command line: %q", argv)
	}
}
