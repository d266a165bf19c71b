package servertest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"testing"
)

// FindFreePorts returns n distinct ports that are free on 127.0.0.1 for
// both TCP and UDP (a cluster node's gossip port is both), holding each
// until all are found so that none is handed out twice.
//
// The ports come from below the kernel's ephemeral range
// (net.ipv4.ip_local_port_range). A port from that range, once released,
// can become the source port of any outgoing connection on the machine
// before the caller's server binds it; with many tests connecting at
// once, that happened (a Compose node failed to publish its port in CI).
// Below the range only another process choosing the same port at random
// can take it; the server then fails to start, and says so.
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
	lo, hi := 10000, ephemeralLow()
	if hi-lo < 1000 {
		lo, hi = 1024, 32768
	}
	for tries := 0; len(ports) < n; tries++ {
		if tries > 100*n+1000 {
			return nil, errors.New("servertest: no free port found below the ephemeral range")
		}
		port := lo + rand.IntN(hi-lo)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue
		}
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			ln.Close()
			continue // its UDP twin is taken: try another
		}
		held = append(held, ln, pc)
		ports = append(ports, port)
	}
	return ports, nil
}

// ephemeralLow is the first port of the kernel's ephemeral range, or
// 32768 (Linux's default) where it cannot be read.
func ephemeralLow() int {
	f, err := os.Open("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	defer f.Close()
	var lo, hi int
	if _, err := fmt.Fscan(bufio.NewReader(f), &lo, &hi); err != nil || lo <= 1024 {
		return 32768
	}
	return lo
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
