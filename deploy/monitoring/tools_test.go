package monitoring

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

// needTools returns the path of each tool, or skips the test with a
// message (fails it when CACHESRV_REQUIRE_MONITORING=1) if one is missing.
// Debian's package calls redis_exporter prometheus-redis-exporter; either
// name is taken.
func needTools(t *testing.T, names ...string) []string {
	t.Helper()
	var paths, missing []string
	for _, name := range names {
		candidates := []string{name}
		if name == "redis_exporter" {
			candidates = []string{"prometheus-redis-exporter", "redis_exporter"}
		}
		found := ""
		for _, c := range candidates {
			if p, err := exec.LookPath(c); err == nil {
				found = p
				break
			}
		}
		if found == "" {
			missing = append(missing, strings.Join(candidates, " or "))
		}
		paths = append(paths, found)
	}
	if len(missing) > 0 {
		msg := fmt.Sprintf("%s not installed (apt-get install prometheus prometheus-redis-exporter)", strings.Join(missing, ", "))
		if os.Getenv("CACHESRV_REQUIRE_MONITORING") == "1" {
			t.Fatal(msg + " and CACHESRV_REQUIRE_MONITORING=1")
		}
		t.Skip(msg)
	}
	return paths
}

func TestMain(m *testing.M) { servertest.Main(m) }

// process is a program the test started, its output in a file.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// start runs a program until the test ends, stdout and stderr to a log
// file in the test's temporary directory.
func start(t *testing.T, name, bin string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("%s: %v", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { cmd.Wait(); f.Close(); close(p.done) }()
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("%s's log:\n%s", name, tail(p.output(), 40))
		}
	})
	return p
}

// kill ends the process by its PID (SIGKILL) and waits for it.
func (p *process) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Kill()
	<-p.done
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func (p *process) output() string {
	b, _ := os.ReadFile(p.log)
	return string(b)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitFor polls cond every interval until it returns nil or the deadline
// passes, then returns its last error.
func waitFor(timeout, interval time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(interval)
	}
}

// httpGet returns the body of a 200 answer.
func httpGet(url string) ([]byte, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels string // as written, braces included; "" if none
	value  float64
}

// parseText reads the Prometheus text format's samples (comments left
// out), enough for the exporters tested here: no spaces in label values.
func parseText(text string) []sample {
	var out []sample
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		series, val, ok := cutLast(line)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil {
			continue
		}
		s := sample{name: series, value: v}
		if i := strings.IndexByte(series, '{'); i >= 0 {
			s.name, s.labels = series[:i], series[i:]
		}
		out = append(out, s)
	}
	return out
}

// cutLast splits "series value" (or "series value timestamp") at the
// space before the value.
func cutLast(line string) (series, value string, ok bool) {
	end := strings.LastIndexByte(line, '}')
	rest := line
	if end >= 0 {
		series, rest = line[:end+1], line[end+1:]
		f := strings.Fields(rest)
		if len(f) == 0 {
			return "", "", false
		}
		return series, f[0], true
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return "", "", false
	}
	return f[0], f[1], true
}

// node is a cachesrv process and a client to it.
type node struct {
	proc    *process
	addr    string // RESP
	metrics string // host:port of /metrics
	client  *redis.Client
}

// startNode runs cachesrv with args plus --port and --metrics-addr, and
// waits until it answers PING.
func startNode(t *testing.T, name string, port, metricsPort int, args ...string) *node {
	t.Helper()
	n := &node{
		addr:    fmt.Sprintf("127.0.0.1:%d", port),
		metrics: fmt.Sprintf("127.0.0.1:%d", metricsPort),
	}
	args = append(args, "--port", strconv.Itoa(port), "--metrics-addr", n.metrics)
	n.proc = start(t, name, servertest.Cachesrv(t), args...)
	n.client = redis.NewClient(&redis.Options{Addr: n.addr, Protocol: 2, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
	t.Cleanup(func() { n.client.Close() })
	err := waitFor(10*time.Second, 50*time.Millisecond, func() error {
		if n.proc.exited() {
			return fmt.Errorf("%s exited:\n%s", name, tail(n.proc.output(), 20))
		}
		return n.client.Ping(context.Background()).Err()
	})
	if err != nil {
		t.Fatalf("%s did not answer PING: %v", name, err)
	}
	return n
}
