package servertest

import (
	"io"
	"net"
	"strconv"
	"testing"
)

// FindFreePorts asks the kernel for n distinct ports that are free on
// 127.0.0.1 for both TCP and UDP (a cluster node's gossip port is both),
// holding each until all are found, so that the kernel cannot hand out
// one twice. Another process may still take one before the caller binds
// it; the server then fails to start, and says so.
func FindFreePorts(n int) ([]int, error) {
	var (
		ports []int
		held  []io.Closer
	)
	defer func() {
		for _, c := range held {
			c.Close()
		}
	}()
	for len(ports) < n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		held = append(held, ln)
		port := ln.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // its UDP twin is taken: try another
		}
		held = append(held, pc)
		ports = append(ports, port)
	}
	return ports, nil
}

// FindFreePort is FindFreePorts for one port.
func FindFreePort() (int, error) {
	ports, err := FindFreePorts(1)
	if err != nil {
		return 0, err
	}
	return ports[0], nil
}

// FreePorts is FindFreePorts for a test, which it fails if the kernel
// has no port to give.
func FreePorts(t testing.TB, n int) []int {
	t.Helper()
	ports, err := FindFreePorts(n)
	if err != nil {
		t.Fatal(err)
	}
	return ports
}

// FreePort returns a port free on 127.0.0.1 (TCP and UDP), for a test
// that passes it to a server it starts.
func FreePort(t testing.TB) int {
	t.Helper()
	return FreePorts(t, 1)[0]
}

// Listen listens on a free 127.0.0.1 port until the test ends. A test
// that can hand a listener to its server avoids the moment in which
// another process could take a port found free.
func Listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}
