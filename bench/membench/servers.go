package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/bench/internal/sysstat"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// The servers membench compares, by the names -servers takes.
const (
	cachesrvName = "cachesrv"
	redisName    = "redis-server"
)

// adminTimeout bounds connecting for, and each of, the admin commands
// (PING, INFO, DBSIZE).
const adminTimeout = 30 * time.Second

// server is one fresh process started on a free 127.0.0.1 port. Every
// measurement starts its own and stops it when done, so that no run
// inherits another's heap.
type server struct {
	name    string
	addr    string
	args    []string // what it was started with
	p       *proc.Process
	logPath string
	admin   *resp.Conn // one connection for INFO and DBSIZE, open for the process's life
	gctrace bool       // its log has GODEBUG=gctrace=1 lines
}

func (s *server) pid() int { return s.p.Pid() }

// rss is the process's resident set size (VmRSS).
func (s *server) rss() (int64, error) {
	if err := s.exited(); err != nil {
		return 0, err
	}
	return sysstat.PidRSS(s.pid())
}

// exited returns an error with the end of its log if the process is gone.
func (s *server) exited() error {
	select {
	case <-s.p.Exited():
		return s.p.Failure("exited: " + s.p.ExitState())
	default:
		return nil
	}
}

// launcher starts and stops the servers of one membench run.
type launcher struct {
	cfg      *config
	dir      string // logs, and the cachesrv binary when built here
	bins     map[string]string
	versions map[string]string

	mu   sync.Mutex
	live []*server
	seq  int
}

// resolve finds the binary of every server in cfg.servers: -cachesrv-bin
// or a build of ./cmd/cachesrv; -redis-bin or redis-server from PATH. It
// returns the servers that can run; a missing redis-server is dropped
// with a note, not an error.
func (l *launcher) resolve(logf func(string, ...any)) (servers []string, notes []string, err error) {
	l.bins, l.versions = map[string]string{}, map[string]string{}
	for _, name := range l.cfg.servers {
		switch name {
		case cachesrvName:
			bin := l.cfg.cachesrvBin
			if bin == "" {
				logf("building ./cmd/cachesrv ...")
				if bin, err = proc.BuildCachesrv(l.dir); err != nil {
					return nil, nil, err
				}
			}
			l.bins[name] = bin
		case redisName:
			bin := l.cfg.redisBin
			if bin == "" {
				bin, _ = exec.LookPath("redis-server")
			}
			if bin == "" {
				notes = append(notes, "redis-server was not found in PATH (-redis-bin): not run, no ratio.")
				continue
			}
			l.bins[name] = bin
		}
		if out, err := exec.Command(l.bins[name], "--version").Output(); err == nil {
			l.versions[name] = strings.TrimSpace(string(out))
		} else {
			l.versions[name] = name
		}
		servers = append(servers, name)
	}
	return servers, notes, nil
}

// startError is a server that did not come up; rejected says it exited
// before answering PING, most often because it refused one of its flags
// (reason is the log line that says why).
type startError struct {
	server   string
	args     []string
	rejected bool
	reason   string
	err      error
}

func (e *startError) Error() string {
	if e.rejected {
		return fmt.Sprintf("%s exited at start, run as `%s`: %s", e.server, strings.Join(quoteArgs(e.args), " "), e.reason)
	}
	return fmt.Sprintf("%s did not start: %v", e.server, e.err)
}

// rejectionReason picks out of a server's log why it refused to start:
// Redis's config parser names the directive after ">>> " and the reason
// on the next line; Go's flag package (cachesrv) writes one line before
// the usage. Otherwise the first non-empty line.
func rejectionReason(log string) string {
	lines := strings.Split(strings.ReplaceAll(log, "\r", ""), "\n")
	for i, l := range lines {
		if d, ok := strings.CutPrefix(l, ">>> "); ok {
			if i+1 < len(lines) && strings.TrimSpace(lines[i+1]) != "" {
				return d + ": " + strings.TrimSpace(lines[i+1])
			}
			return d
		}
	}
	for _, l := range lines {
		if strings.Contains(l, "flag provided but not defined") || strings.HasPrefix(l, "invalid value") ||
			strings.HasPrefix(l, "invalid boolean") || strings.HasPrefix(l, "cachesrv: ") {
			return strings.TrimSpace(l)
		}
	}
	for _, l := range lines {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "***") {
			return l
		}
	}
	return "no message"
}

// start starts a fresh process of the named server with the standard
// flags, then -cachesrv-args or -redis-args, then extra; waits until it
// answers PING; and opens its admin connection.
func (l *launcher) start(name string, extra []string) (*server, error) {
	port, err := servertest.FindFreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var args, env []string
	switch name {
	case cachesrvName:
		args = []string{"--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--metrics-addr", "", "--log-level", "warn"}
		args = append(args, strings.Fields(l.cfg.cachesrvArgs)...)
		if l.cfg.gctrace {
			// Keep any GODEBUG settings this process was given.
			d := "gctrace=1"
			if old := os.Getenv("GODEBUG"); old != "" {
				d = old + "," + d
			}
			env = []string{"GODEBUG=" + d}
		}
	case redisName:
		args = []string{"--bind", "127.0.0.1", "--port", fmt.Sprint(port), "--save", "", "--appendonly", "no"}
		args = append(args, strings.Fields(l.cfg.redisArgs)...)
	default:
		return nil, fmt.Errorf("unknown server %q", name)
	}
	args = append(args, extra...)

	l.mu.Lock()
	l.seq++
	logPath := filepath.Join(l.dir, fmt.Sprintf("%s-%d.log", name, l.seq))
	p, err := proc.StartEnv(name, addr, l.bins[name], args, env, logPath)
	s := &server{name: name, addr: addr, args: args, p: p, logPath: logPath, gctrace: len(env) > 0}
	if err == nil {
		l.live = append(l.live, s)
	}
	l.mu.Unlock()
	if err != nil {
		return nil, &startError{server: name, args: args, err: err}
	}
	if err := p.WaitReady(20*time.Second, func() error { return ping(addr) }); err != nil {
		l.stop(s)
		se := &startError{server: name, args: args, err: err}
		select {
		case <-p.Exited():
			log, _ := os.ReadFile(logPath)
			se.rejected = true
			se.reason = rejectionReason(string(log)) + " (" + p.ExitState() + ")"
		default:
		}
		return nil, se
	}
	if s.admin, err = resp.Dial(addr, "", adminTimeout); err != nil {
		l.stop(s)
		return nil, err
	}
	return s, nil
}

func ping(addr string) error {
	c, err := resp.Dial(addr, "", adminTimeout)
	if err != nil {
		return err
	}
	defer c.Close()
	reply, err := c.Do("PING")
	if err == nil && reply != "PONG" {
		err = fmt.Errorf("PING answered %q", reply)
	}
	return err
}

// stop stops a server (SIGTERM, SIGKILL after 10 s) and forgets it.
func (l *launcher) stop(s *server) {
	if s.admin != nil {
		s.admin.Close()
	}
	s.p.Stop(10 * time.Second)
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, x := range l.live {
		if x == s {
			l.live = append(l.live[:i], l.live[i+1:]...)
			break
		}
	}
}

// stopAll stops every server still running: on return and on interrupt.
func (l *launcher) stopAll() {
	l.mu.Lock()
	live := append([]*server(nil), l.live...)
	l.mu.Unlock()
	for _, s := range live {
		l.stop(s)
	}
}

// idleRSS waits a moment after the start for the process to settle and
// reads its RSS: the empty server's memory.
func idleRSS(s *server) (int64, error) {
	time.Sleep(500 * time.Millisecond)
	return s.rss()
}

// quoteArgs shows an empty argument as ” so a command line reads right.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t'\"") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}
