package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// Server kinds, as -servers names them.
const (
	redisServer    = "redis"
	cachesrvServer = "cachesrv"
)

// noPolicy stands for "no maxmemory flags at all", which is what runs
// with -maxmemory 0: the server keeps every key.
const noPolicy = "none"

// adminTimeout bounds connecting for, and each of, the admin commands
// (PING, INFO, DBSIZE).
const adminTimeout = 30 * time.Second

// serverKind is a server binary and how to start it.
type serverKind struct {
	name    string // redis or cachesrv
	bin     string
	version string
	args    func(port int) []string // everything but the memory settings
}

func redisKind(bin, extra string) *serverKind {
	return &serverKind{name: redisServer, bin: bin, version: version(bin), args: func(port int) []string {
		a := []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--save", "", "--appendonly", "no"}
		return append(a, strings.Fields(extra)...)
	}}
}

func cachesrvKind(bin, extra string) *serverKind {
	return &serverKind{name: cachesrvServer, bin: bin, version: version(bin), args: func(port int) []string {
		a := []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--log-level", "warn", "--metrics-addr", ""}
		return append(a, strings.Fields(extra)...)
	}}
}

func version(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "unknown version"
	}
	return strings.TrimSpace(string(out))
}

// memoryArgs are the eviction settings, in the flag names Redis and
// cachesrv share; none with -maxmemory 0, and no --maxmemory-samples
// with -samples 0.
func memoryArgs(maxmemory int64, policy string, samples int) []string {
	if maxmemory == 0 {
		return nil
	}
	a := []string{"--maxmemory", strconv.FormatInt(maxmemory, 10), "--maxmemory-policy", policy}
	if samples > 0 {
		a = append(a, "--maxmemory-samples", strconv.Itoa(samples))
	}
	return a
}

// started is a server process of one run.
type started struct {
	p       *proc.Process
	addr    string
	logPath string
}

// errRejected is a server that exited at start: it did not accept its
// flags (an unknown flag, an unknown policy). It is a result, not a
// failure of the tool.
type errRejected struct{ reason string }

func (e *errRejected) Error() string { return "rejected: " + e.reason }

// start runs a fresh server of kind k with args, logging to dir/<name>.log,
// and waits until it answers PING.
func start(k *serverKind, args []string, dir, name string) (*started, error) {
	port, err := servertest.FindFreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logPath := filepath.Join(dir, name+".log")
	p, err := proc.Start(k.name, addr, k.bin, append(k.args(port), args...), logPath)
	if err != nil {
		return nil, err
	}
	s := &started{p: p, addr: addr, logPath: logPath}
	if err := p.WaitReady(15*time.Second, func() error { return ping(addr) }); err != nil {
		s.stop()
		select {
		case <-p.Exited():
			return nil, &errRejected{reason: s.logSummary()}
		default:
		}
		return nil, err
	}
	return s, nil
}

func (s *started) stop() { s.p.Stop(10 * time.Second) }

// exited reports whether the process has gone (crashed, killed).
func (s *started) exited() bool {
	select {
	case <-s.p.Exited():
		return true
	default:
		return false
	}
}

// logSummary is the gist of why a server exited, from its log: the
// first two lines that say something, leaving out banners and usage.
// "flag provided but not defined: -maxmemory" for a cachesrv without
// the flag; the offending line and the allowed values for redis-server.
func (s *started) logSummary() string {
	data, _ := os.ReadFile(s.logPath)
	var keep []string
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		l := strings.TrimSpace(string(line))
		if l == "" || strings.HasPrefix(l, "***") || strings.HasPrefix(l, "Reading the configuration file") {
			continue
		}
		if strings.HasPrefix(l, "Usage") {
			break
		}
		if keep = append(keep, l); len(keep) == 2 {
			break
		}
	}
	msg := strings.Join(keep, " ")
	if msg == "" {
		msg = "exited at start: " + s.p.ExitState()
	}
	if len(msg) > 200 {
		msg = msg[:197] + "..."
	}
	return msg
}

func ping(addr string) error {
	c, err := resp.Dial(addr, "", adminTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Do("PING")
	return err
}

// rss reads the resident set size and its peak (VmRSS, VmHWM) of pid
// from /proc/PID/status, in bytes; -1 when unknown.
func rss(pid int) (now, peak int64) {
	now, peak = -1, -1
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			now = n << 10
		case "VmHWM":
			peak = n << 10
		}
	}
	return
}

// current is the server running now, for the interrupt handler.
type current struct {
	mu sync.Mutex
	s  *started
}

func (c *current) set(s *started) {
	c.mu.Lock()
	c.s = s
	c.mu.Unlock()
}

func (c *current) stop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.s != nil {
		c.s.stop()
	}
}
