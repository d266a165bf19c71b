package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/report"
)

// server is a process that -compare started on a free 127.0.0.1 port and
// stops when done.
type server struct {
	target
	cmd     *exec.Cmd
	exited  chan struct{}
	logPath string
	version string
}

// buildCachesrv builds ./cmd/cachesrv of this module into dir.
func buildCachesrv(dir string) (string, error) {
	root := report.ModuleRoot()
	if root == "" {
		return "", fmt.Errorf("cannot find the %s module above the working directory; run from the checkout or pass -bin", report.ModulePath)
	}
	out := filepath.Join(dir, "cachesrv")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/cachesrv")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/cachesrv: %v\n%s", err, b)
	}
	return out, nil
}

// freePort asks the kernel for a free port on 127.0.0.1. Another process
// could take it before the server binds it; startServer then fails
// clearly rather than measuring the wrong thing.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startServer runs path with the arguments args(port) gives, logging to
// dir/<name>.log, and waits until it answers PING.
func startServer(name, dir, path string, args func(port int) []string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(path, args(port)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{
		target:  target{name: name, addr: fmt.Sprintf("127.0.0.1:%d", port), pid: cmd.Process.Pid},
		cmd:     cmd,
		exited:  make(chan struct{}),
		logPath: logPath,
	}
	go func() { cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(15 * time.Second); err != nil {
		s.stop()
		return nil, err
	}
	if out, err := exec.Command(path, "--version").Output(); err == nil {
		s.version = strings.TrimSpace(string(out))
	}
	return s, nil
}

func (s *server) waitReady(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-s.exited:
			log, _ := os.ReadFile(s.logPath)
			return fmt.Errorf("%s exited at start: %s\n%s", s.name, s.cmd.ProcessState, tail(log, 2000))
		default:
		}
		if ping(s.addr) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer PING on %s within %v", s.name, s.addr, limit)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	e, err := readReply(bufio.NewReader(c))
	if err == nil && e != nil {
		err = fmt.Errorf("PING: %s", e)
	}
	return err
}

// stop sends SIGTERM, and SIGKILL if the server has not gone in 10 s.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
}

func tail(b []byte, n int) []byte {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return b
}

// startServers builds and starts cachesrv and, if found, redis-server.
func startServers(cfg *config, dir string) ([]*server, error) {
	bin := cfg.bin
	if bin == "" {
		var err error
		if bin, err = buildCachesrv(dir); err != nil {
			return nil, err
		}
	}
	extra := strings.Fields(cfg.cachesrvArgs)
	cs, err := startServer("cachesrv", dir, bin, func(port int) []string {
		return append([]string{"--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--log-level", "warn"}, extra...)
	})
	if err != nil {
		return nil, err
	}
	servers := []*server{cs}
	redis := cfg.redis
	if redis == "" {
		redis, _ = exec.LookPath("redis-server")
	}
	if redis == "" || redis == "none" {
		return servers, nil
	}
	rs, err := startServer("redis-server", dir, redis, func(port int) []string {
		return []string{"--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--save", "", "--appendonly", "no"}
	})
	if err != nil {
		cs.stop()
		return nil, err
	}
	return append(servers, rs), nil
}
