package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/bench/internal/sysstat"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

const (
	kindCachesrv = "cachesrv"
	kindRedis    = "redis-server"
)

// env is what every probe shares: a temporary directory, the two
// binaries, the RSS limit, and the servers running now (stopped on
// Ctrl-C).
type env struct {
	dir       string
	bins      map[string]string
	rssLimit  int64
	tlsRounds int // probe tls's rounds
	cancel    func()

	mu      sync.Mutex
	running map[*server]bool
	seq     int
}

func newEnv(cachesrvBin, redisBin string, rssLimit int64) (*env, error) {
	dir, err := os.MkdirTemp("", "hardbench")
	if err != nil {
		return nil, err
	}
	e := &env{dir: dir, rssLimit: rssLimit, running: map[*server]bool{}}
	e.cancel = proc.StopOnInterrupt(os.Stderr, "hardbench: interrupted, stopping the servers", dir, e.stopAll)
	if cachesrvBin == "" {
		progress("building ./cmd/cachesrv ...")
		if cachesrvBin, err = proc.BuildCachesrv(dir); err != nil {
			e.close()
			return nil, err
		}
	}
	e.bins = map[string]string{kindCachesrv: cachesrvBin, kindRedis: redisBin}
	return e, nil
}

func (e *env) close() {
	e.stopAll()
	e.cancel()
	os.RemoveAll(e.dir)
}

func (e *env) stopAll() {
	e.mu.Lock()
	var all []*server
	for s := range e.running {
		all = append(all, s)
	}
	e.mu.Unlock()
	for _, s := range all {
		s.stop()
	}
}

// options say how a probe wants its server started.
type options struct {
	password string   // requirepass (cachesrv: through --requirepass-file)
	nofile   int      // > 0: run under prlimit --nofile=N:N
	tlsDir   string   // with ca.crt, server.crt, server.key: also listen with TLS
	extra    []string // more flags for cachesrv
}

// server is one running server process.
type server struct {
	kind    string
	addr    string // plain RESP, 127.0.0.1:port
	tlsPort int    // 0 without TLS
	logPath string
	p       *proc.Process
	e       *env
}

// start starts a fresh server of kind and waits until it answers PING
// (with a password set, -NOAUTH counts as an answer).
func (e *env) start(kind string, o options) (*server, error) {
	ports, err := servertest.FindFreePorts(2)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.seq++
	logPath := filepath.Join(e.dir, fmt.Sprintf("%s-%d.log", kind, e.seq))
	e.mu.Unlock()
	s := &server{kind: kind, addr: fmt.Sprintf("127.0.0.1:%d", ports[0]), logPath: logPath, e: e}
	args := []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(ports[0])}
	if kind == kindRedis {
		args = append(args, "--save", "", "--appendonly", "no")
		if o.password != "" {
			args = append(args, "--requirepass", o.password)
		}
	} else {
		if !containsFlag(o.extra, "--metrics-addr") {
			args = append(args, "--metrics-addr", "")
		}
		if o.password != "" {
			f := filepath.Join(e.dir, fmt.Sprintf("pass-%d", e.seq))
			if err := os.WriteFile(f, []byte(o.password+"\n"), 0o600); err != nil {
				return nil, err
			}
			args = append(args, "--requirepass-file", f)
		}
		args = append(args, o.extra...)
	}
	if o.tlsDir != "" {
		s.tlsPort = ports[1]
		args = append(args, "--tls-port", strconv.Itoa(ports[1]),
			"--tls-cert-file", filepath.Join(o.tlsDir, "server.crt"),
			"--tls-key-file", filepath.Join(o.tlsDir, "server.key"),
			"--tls-ca-cert-file", filepath.Join(o.tlsDir, "ca.crt"))
	}
	bin := e.bins[kind]
	if o.nofile > 0 {
		// prlimit execs the server, so the PID is the server's.
		args = append([]string{fmt.Sprintf("--nofile=%d:%d", o.nofile, o.nofile), "--", bin}, args...)
		bin = "prlimit"
	}
	if s.p, err = proc.Start(kind, s.addr, bin, args, logPath); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.running[s] = true
	e.mu.Unlock()
	if err := s.p.WaitReady(20*time.Second, s.answers); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func containsFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

// answers is a readiness check: any reply to PING.
func (s *server) answers() error {
	c, err := dial(s.addr, 2*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.do("PING")
	return err
}

func (s *server) pid() int { return s.p.Pid() }

func (s *server) stop() {
	s.p.Stop(10 * time.Second)
	s.e.mu.Lock()
	delete(s.e.running, s)
	s.e.mu.Unlock()
}

// alive says whether the process is still running.
func (s *server) alive() bool {
	select {
	case <-s.p.Exited():
		return false
	default:
		return true
	}
}

// rss is the server's VmRSS, or -1 if it cannot be read (exited).
func (s *server) rss() int64 {
	b, err := sysstat.PidRSS(s.pid())
	if err != nil {
		return -1
	}
	return b
}

// cpu is the server's utime+stime.
func (s *server) cpu() time.Duration {
	d, _ := sysstat.PidCPU(s.pid())
	return d
}

// logLines returns the lines of the server's log that contain substr
// (case-insensitive).
func (s *server) logLines(substr string) []string {
	data, _ := os.ReadFile(s.logPath)
	var out []string
	for line := range strings.SplitSeq(string(data), "\n") {
		if strings.Contains(strings.ToLower(line), strings.ToLower(substr)) {
			out = append(out, strings.TrimSpace(line))
		}
	}
	return out
}

// sampler reads a server's RSS every interval, keeps the peak, and kills
// the server if it passes the env's limit.
type sampler struct {
	peak   atomic.Int64
	killed atomic.Bool
	stop   chan struct{}
	done   chan struct{}
}

func (s *server) sample(every time.Duration) *sampler {
	sm := &sampler{stop: make(chan struct{}), done: make(chan struct{})}
	sm.peak.Store(s.rss())
	go func() {
		defer close(sm.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-sm.stop:
				return
			case <-t.C:
			}
			r := s.rss()
			if r > sm.peak.Load() {
				sm.peak.Store(r)
			}
			if r > s.e.rssLimit && !sm.killed.Load() {
				sm.killed.Store(true)
				progress("%s RSS %s passed -rss-limit: killing PID %d", s.kind, mib(r), s.pid())
				s.p.Stop(0)
			}
		}
	}()
	return sm
}

// finish stops sampling and returns the peak.
func (sm *sampler) finish() int64 {
	close(sm.stop)
	<-sm.done
	return sm.peak.Load()
}

// conn is a raw RESP connection: the probes need to send exactly the
// bytes they choose.
type conn struct {
	net.Conn
	r *bufio.Reader
}

func dial(addr string, timeout time.Duration) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, r: bufio.NewReaderSize(c, 64<<10)}, nil
}

// do sends one command as a RESP multibulk and reads its reply.
func (c *conn) do(args ...string) (string, error) {
	if _, err := c.Write(encode(args...)); err != nil {
		return "", err
	}
	return c.reply()
}

func encode(args ...string) []byte {
	b := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b
}

// reply reads one RESP2 reply and returns it as text: a status or error
// line as sent ("+PONG", "-ERR ..."), an integer as ":N", a bulk string
// as its contents, an array as "[a b ...]".
func (c *conn) reply() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty reply line")
	}
	switch line[0] {
	case '+', '-', ':':
		return line, nil
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "(nil)", err
		}
		body := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, body); err != nil {
			return "", err
		}
		return string(body[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return "(nil array)", err
		}
		items := make([]string, n)
		for i := range items {
			if items[i], err = c.reply(); err != nil {
				return "", err
			}
		}
		return "[" + strings.Join(items, " ") + "]", nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

// mib formats bytes as MiB; -1 (unreadable) as "gone".
func mib(b int64) string {
	if b < 0 {
		return "gone (process exited)"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
