package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sys/unix"
)

// The address the protected-mode tests give a network namespace: not
// loopback, and reachable from nowhere else.
const nsAddr = "10.11.12.1"

// netnsServer is a process running alone in a new network namespace
// that has loopback and nsAddr (on one end of a veth pair).
type netnsServer struct {
	pid int
	out *lockedBuffer // its output (tls_test.go)
}

// startInNetns runs prog with args in a new network namespace (unshare
// -n), and waits until it accepts connections on port 6379 of addr. Each
// namespace is its own, so the port is always free. It needs root and
// the unshare and ip programs: without them the test is skipped.
func startInNetns(t *testing.T, addr, prog string, args ...string) *netnsServer {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("protected mode is tested in a network namespace, which needs root")
	}
	for _, tool := range []string{"unshare", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("protected mode is tested in a network namespace, which needs %s: %v", tool, err)
		}
	}
	setup := "ip link set lo up && ip link add veth0 type veth peer name veth1 && ip addr add " + nsAddr + "/24 dev veth0 && " +
		"ip link set veth0 up && ip link set veth1 up && exec \"$0\" \"$@\""
	cmd := exec.Command("unshare", "-n", "sh", "-c", setup, prog)
	cmd.Args = append(cmd.Args, args...)
	s := &netnsServer{out: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
	})
	s.pid = cmd.Process.Pid
	for range 400 {
		select {
		case <-exited:
			t.Fatalf("%s exited: %s", prog, s.out)
		default:
		}
		if c, err := s.dial(net.JoinHostPort(addr, "6379")); err == nil {
			c.Close()
			return s
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s does not accept on %s in 10 s: %s", prog, addr, s.out)
	return nil
}

// dial connects to addr from inside the server's namespace: a socket
// belongs to the namespace of the thread that creates it, so one thread
// enters the namespace (setns), creates and connects the socket, and
// returns to its own. A thread that cannot return is not reused: its
// goroutine ends still locked to it, and the runtime discards it.
func (s *netnsServer) dial(addr string) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	done := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		own, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			done <- result{nil, err}
			return
		}
		defer own.Close()
		target, err := os.Open(fmt.Sprintf("/proc/%d/ns/net", s.pid))
		if err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		defer target.Close()
		// Until unshare has run, the process is still in the test's own
		// namespace: never connect from there.
		if sameFile(own, target) {
			runtime.UnlockOSThread()
			done <- result{nil, errors.New("the server is not in a namespace of its own yet")}
			return
		}
		if err := setns(target); err != nil {
			runtime.UnlockOSThread()
			done <- result{nil, err}
			return
		}
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if setns(own) == nil {
			runtime.UnlockOSThread()
		}
		done <- result{c, err}
	}()
	r := <-done
	return r.c, r.err
}

// startBeside runs prog in s's namespace (nsenter) and waits until it
// accepts connections on addr.
func (s *netnsServer) startBeside(t *testing.T, addr, prog string, args ...string) *netnsServer {
	t.Helper()
	if _, err := exec.LookPath("nsenter"); err != nil {
		t.Skipf("needs nsenter: %v", err)
	}
	cmd := exec.Command("nsenter", append([]string{"--net=/proc/" + strconv.Itoa(s.pid) + "/ns/net", prog}, args...)...)
	b := &netnsServer{pid: s.pid, out: &lockedBuffer{}}
	cmd.Stdout, cmd.Stderr = b.out, b.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	})
	for range 400 {
		if c, err := s.dial(addr); err == nil {
			c.Close()
			return b
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s does not accept on %s in 10 s: %s", prog, addr, b.out)
	return nil
}

func sameFile(a, b *os.File) bool {
	sa, erra := a.Stat()
	sb, errb := b.Stat()
	return erra == nil && errb == nil && os.SameFile(sa, sb)
}

func setns(ns *os.File) error {
	return unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET)
}

// client returns a go-redis client that connects to addr from inside the
// namespace.
func (s *netnsServer) client(t *testing.T, addr, password string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Password: password, MaxRetries: -1, Protocol: 2,
		Dialer: func(context.Context, string, string) (net.Conn, error) { return s.dial(addr) }})
	t.Cleanup(func() { c.Close() })
	return c
}

// denied connects to addr, sends PING, and returns all the server sent
// until it closed the connection.
func (s *netnsServer) denied(t *testing.T, addr string) string {
	t.Helper()
	c, err := s.dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("PING\r\n"))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(c)
	if err != nil && !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("%s: %v after %q", addr, err, b)
	}
	return string(b)
}

// Protected mode as Redis has it (finding 7 of issue 17): with no
// password, a client from a non-loopback address gets Redis's -DENIED,
// word for word, and is closed; with a password, or protected-mode no,
// it is served; loopback clients always are. 0.0.0.0 listens on IPv4
// only and :: on IPv6 only, as with Redis.
func TestProtectedModeInNetworkNamespace(t *testing.T) {
	bin := servertest.Cachesrv(t)
	ctx := context.Background()
	remote := net.JoinHostPort(nsAddr, "6379")
	const deniedPrefix = "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user."

	var redisDenied string
	if servertest.HaveTool(t, "redis-server") {
		rs := startInNetns(t, nsAddr, "redis-server", "--bind", nsAddr, "--port", "6379", "--save", "", "--appendonly", "no")
		redisDenied = rs.denied(t, remote)
		if !strings.HasPrefix(redisDenied, deniedPrefix) {
			t.Fatalf("redis-server itself does not deny: %q", redisDenied)
		}
	}

	t.Run("bound to the address, no password", func(t *testing.T) {
		s := startInNetns(t, nsAddr, bin, "--bind", nsAddr, "--metrics-addr", "")
		got := s.denied(t, remote)
		if !strings.HasPrefix(got, deniedPrefix) || !strings.HasSuffix(got, "to start accepting connections from the outside.\r\n") {
			t.Fatalf("reply %q, want Redis's -DENIED", got)
		}
		if redisDenied != "" && got != redisDenied {
			t.Errorf("reply differs from redis-server's:\n%q\n%q", got, redisDenied)
		}
	})
	t.Run("bound to the address, with a password", func(t *testing.T) {
		s := startInNetns(t, nsAddr, bin, "--bind", nsAddr, "--metrics-addr", "", "--requirepass-file", writeSecret(t, "pw"))
		if err := s.client(t, remote, "").Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
			t.Errorf("PING before AUTH: %v, want NOAUTH", err)
		}
		if err := s.client(t, remote, "pw").Ping(ctx).Err(); err != nil {
			t.Errorf("PING after AUTH: %v", err)
		}
	})
	t.Run("bound to the address, protected-mode no", func(t *testing.T) {
		s := startInNetns(t, nsAddr, bin, "--bind", nsAddr, "--metrics-addr", "", "--protected-mode", "no")
		if err := s.client(t, remote, "").Ping(ctx).Err(); err != nil {
			t.Errorf("PING: %v", err)
		}
	})
	t.Run("bound to 0.0.0.0", func(t *testing.T) {
		s := startInNetns(t, nsAddr, bin, "--bind", "0.0.0.0", "--metrics-addr", "")
		local := s.client(t, "127.0.0.1:6379", "")
		if err := local.Ping(ctx).Err(); err != nil {
			t.Fatalf("loopback client: %v", err)
		}
		if got := s.denied(t, remote); !strings.HasPrefix(got, deniedPrefix) {
			t.Errorf("%s: %q, want -DENIED", remote, got)
		}
		if c, err := s.dial("[::1]:6379"); err == nil {
			c.Close()
			t.Errorf("--bind 0.0.0.0 also listens on IPv6 (::1 connected)")
		}
		// A password given to the default user by ACL counts, as in Redis.
		if err := local.Do(ctx, "ACL", "SETUSER", "default", ">pw").Err(); err != nil {
			t.Fatal(err)
		}
		if err := s.client(t, remote, "").Ping(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOAUTH") {
			t.Errorf("with ACL SETUSER default >pw: %v, want NOAUTH", err)
		}
		if err := local.Do(ctx, "ACL", "SETUSER", "default", "nopass").Err(); err != nil {
			t.Fatal(err)
		}
		if got := s.denied(t, remote); !strings.HasPrefix(got, deniedPrefix) {
			t.Errorf("with ACL SETUSER default nopass: %q, want -DENIED", got)
		}
		// Redis's first remedy: turn protected mode off from loopback.
		if err := local.ConfigSet(ctx, "protected-mode", "no").Err(); err != nil {
			t.Fatal(err)
		}
		if err := s.client(t, remote, "").Ping(ctx).Err(); err != nil {
			t.Errorf("after CONFIG SET protected-mode no: %v", err)
		}
	})
	// Nodes forward to each other's RESP port from their own address:
	// protected mode lets a link through once it proves the cluster
	// secret, and still refuses clients from other hosts.
	t.Run("cluster with a secret and no password", func(t *testing.T) {
		secret := writeSecret(t, "cluster secret")
		node := func(port, gossip int) []string {
			return []string{"--bind", "0.0.0.0", "--port", strconv.Itoa(port), "--metrics-addr", "", "--cluster",
				"--gossip-bind", nsAddr, "--gossip-port", strconv.Itoa(gossip), "--gossip-secret-file", secret,
				"--advertise-addr", net.JoinHostPort(nsAddr, strconv.Itoa(port)), "--join", nsAddr + ":7946"}
		}
		a := startInNetns(t, nsAddr, bin, node(6379, 7946)...)
		b := a.startBeside(t, nsAddr+":6380", bin, node(6380, 7947)...)
		ca, cb := a.client(t, "127.0.0.1:6379", ""), b.client(t, "127.0.0.1:6380", "")
		for deadline := time.Now().Add(20 * time.Second); !strings.Contains(ca.ClusterInfo(ctx).Val(), "cluster_known_nodes:2"); {
			if time.Now().After(deadline) {
				t.Fatalf("the nodes did not meet: %s", a.out)
			}
			time.Sleep(50 * time.Millisecond)
		}
		for i := range 100 { // about half of them owned by the other node
			key := "k" + strconv.Itoa(i)
			if err := ca.Set(ctx, key, i, 0).Err(); err != nil {
				t.Fatalf("SET %s through node 1: %v", key, err)
			}
			if got, err := cb.Get(ctx, key).Int(); err != nil || got != i {
				t.Fatalf("GET %s through node 2: %v %v", key, got, err)
			}
		}
		na, _ := nodeKeys(ctx, ca)
		nb, _ := nodeKeys(ctx, cb)
		if na == 0 || nb == 0 || na+nb != 100 {
			t.Fatalf("keys held by the nodes: %d and %d, want both some, 100 in all", na, nb)
		}
		if got := a.denied(t, remote); !strings.HasPrefix(got, deniedPrefix) {
			t.Errorf("a client from %s: %q, want -DENIED", nsAddr, got)
		}
	})
	t.Run("bound to ::", func(t *testing.T) {
		if _, err := os.Stat("/proc/sys/net/ipv6"); err != nil {
			t.Skip("no IPv6")
		}
		s := startInNetns(t, "::1", bin, "--bind", "::", "--metrics-addr", "")
		if err := s.client(t, "[::1]:6379", "").Ping(ctx).Err(); err != nil {
			t.Errorf("::1 is loopback: %v", err)
		}
		if c, err := s.dial("127.0.0.1:6379"); err == nil {
			c.Close()
			t.Errorf("--bind :: also listens on IPv4 (127.0.0.1 connected)")
		}
	})
}
