// Package proc runs the server processes the bench commands start on
// this machine: it builds cachesrv, starts a binary with its output in a
// log file, waits until it answers, stops it (SIGTERM, then SIGKILL), and
// stops everything a command started when the command is interrupted.
package proc

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/report"
)

// BuildCachesrv builds ./cmd/cachesrv of this module into dir and returns
// the binary's path.
func BuildCachesrv(dir string) (string, error) {
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

// Process is a server process started by Start.
type Process struct {
	Name string // for messages: cachesrv, node1...
	Addr string // where it serves RESP

	cmd      *exec.Cmd
	exited   chan struct{}
	logPath  string
	stopOnce sync.Once
}

// Start runs bin with args, its stdout and stderr going to logPath. name
// and addr are for messages only.
func Start(name, addr, bin string, args []string, logPath string) (*Process, error) {
	return StartEnv(name, addr, bin, args, nil, logPath)
}

// StartEnv is Start with extra environment variables ("GODEBUG=gctrace=1")
// added to this process's environment; a later entry wins over an earlier
// one, so env overrides what this process has.
func StartEnv(name, addr, bin string, args, env []string, logPath string) (*Process, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Addr: addr, cmd: cmd, exited: make(chan struct{}), logPath: logPath}
	go func() { cmd.Wait(); close(p.exited) }()
	return p, nil
}

// Pid is the process ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed once the process has exited; ExitState then says how.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// ExitState describes how the process exited; call it after Exited.
func (p *Process) ExitState() string { return p.cmd.ProcessState.String() }

// Failure returns an error naming the process, saying what went wrong,
// and ending with the last 2000 bytes of its log.
func (p *Process) Failure(what string) error {
	log, _ := os.ReadFile(p.logPath)
	log = bytes.TrimSpace(log)
	if len(log) > 2000 {
		log = log[len(log)-2000:]
	}
	return fmt.Errorf("%s (%s): %s\n%s", p.Name, p.Addr, what, log)
}

// WaitReady calls ping every 50 ms until it succeeds, and fails if the
// process exits first or ping has not succeeded within limit.
func (p *Process) WaitReady(limit time.Duration, ping func() error) error {
	deadline := time.Now().Add(limit)
	for {
		select {
		case <-p.exited:
			return p.Failure("exited at start: " + p.ExitState())
		default:
		}
		err := ping()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return p.Failure(fmt.Sprintf("no PING reply within %v: %v", limit, err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop sends SIGTERM and waits for the process to exit, sending SIGKILL
// if it is still running after grace. It is safe to call more than once
// and from several goroutines (a deferred clean-up and StopOnInterrupt).
func (p *Process) Stop(grace time.Duration) {
	p.stopOnce.Do(func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(grace):
			p.cmd.Process.Kill()
			<-p.exited
		}
	})
}

// StopOnInterrupt makes SIGINT and SIGTERM print msg to w, call stop (to
// stop every process the command started), remove dir and exit with
// status 130. The returned function undoes it; defer it.
func StopOnInterrupt(w io.Writer, msg, dir string, stop func()) (cancel func()) {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sigs; ok {
			fmt.Fprintln(w, msg)
			stop()
			os.RemoveAll(dir)
			os.Exit(130)
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(sigs)
	}
}
