package main

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// server is a process that -compare started on a free 127.0.0.1 port and
// stops when done.
type server struct {
	target
	p       *proc.Process
	version string
}

// startServer runs path with the arguments args(port) gives, logging to
// dir/<name>.log, and waits until it answers PING.
func startServer(name, dir, path string, args func(port int) []string) (*server, error) {
	port, err := servertest.FindFreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := proc.Start(name, addr, path, args(port), filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, err
	}
	s := &server{target: target{name: name, addr: addr, pid: p.Pid()}, p: p}
	if err := p.WaitReady(15*time.Second, func() error { return ping(addr) }); err != nil {
		s.stop()
		return nil, err
	}
	if out, err := exec.Command(path, "--version").Output(); err == nil {
		s.version = strings.TrimSpace(string(out))
	}
	return s, nil
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
	_, e, err := resp.Read(bufio.NewReader(c))
	if err == nil && e != nil {
		err = fmt.Errorf("PING: %s", e)
	}
	return err
}

// stop sends SIGTERM, and SIGKILL if the server has not gone in 10 s.
func (s *server) stop() { s.p.Stop(10 * time.Second) }

// startServers builds and starts cachesrv and, if found, redis-server.
func startServers(cfg *config, dir string) ([]*server, error) {
	bin := cfg.bin
	if bin == "" {
		var err error
		if bin, err = proc.BuildCachesrv(dir); err != nil {
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
