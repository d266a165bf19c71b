package main

import (
	"bufio"
	"context"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

func TestPlanOpenFiles(t *testing.T) {
	for _, tc := range []struct {
		maxclients int64
		cur, hard  uint64
		soft       uint64
		fit        int64
	}{
		{10000, 1 << 20, 1 << 20, 1 << 20, 10000}, // fits
		{10000, 1024, 1 << 20, 1 << 20, 10000},    // the soft limit goes up to the hard one
		{10000, 1024, 4096, 4096, 4064},           // and if that is not enough, fewer clients
		{10000, 1024, 1024, 1024, 992},            // Redis's 1024 - 32
		{100, 64, 64, 64, 32},
		{10, 1024, 1024, 1024, 10},
	} {
		p, err := planOpenFiles(tc.maxclients, tc.cur, tc.hard)
		if err != nil || p.soft != tc.soft || p.maxclients != tc.fit {
			t.Errorf("planOpenFiles(%d, %d, %d) = %+v, %v; want soft %d, maxclients %d", tc.maxclients, tc.cur, tc.hard, p, err, tc.soft, tc.fit)
		}
	}
	if _, err := planOpenFiles(10000, 32, 32); err == nil || !strings.Contains(err.Error(), "10032") {
		t.Errorf("a limit of 32 leaves no client: err %v", err)
	}
}

// A server started with fewer descriptors than maxclients needs lowers
// maxclients with a warning, answers every client past it with the
// max-clients error (none waits), and keeps serving (finding 3 of issue
// 17: its accept loop exited on EMFILE, and later clients hung); CONFIG
// SET cannot raise maxclients past the limit either.
func TestDescriptorLimitLowersMaxclients(t *testing.T) {
	bin := servertest.Cachesrv(t)
	const limit, clients = 64, 60
	port := strconv.Itoa(servertest.FreePort(t))
	// sh's ulimit -n sets the hard limit too: a Go program raises its soft
	// limit to the hard one at start, so a soft limit alone would be lost.
	cmd := exec.Command("sh", "-c", `ulimit -n `+strconv.Itoa(limit)+` && exec "$0" "$@"`,
		bin, "--port", port, "--metrics-addr", "", "--log-format", "json")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	var log lockedBuffer // tls_test.go
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			log.Write([]byte(sc.Text() + "\n"))
			if strings.Contains(sc.Text(), "cachesrv started") {
				close(started)
			}
		}
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		<-exited
	})
	select {
	case <-started:
	case err := <-exited:
		t.Fatalf("exited: %v\n%s", err, log.String())
	case <-time.After(30 * time.Second):
		t.Fatal("no start line in 30 s")
	}
	startLog := log.String()
	wantMax := limit - reservedFDs
	if !strings.Contains(startLog, `"msg":"maxclients reduced to fit the open files limit`) || !strings.Contains(startLog, `"maxclients":`+strconv.Itoa(wantMax)) {
		t.Errorf("no warning that maxclients was reduced to %d:\n%s", wantMax, startLog)
	}

	addr := "127.0.0.1:" + port
	conns, replies := dialAndPing(t, addr, clients)
	pong, full := 0, 0
	for _, r := range replies {
		switch r {
		case "+PONG":
			pong++
		case "-ERR max number of clients reached":
			full++
		}
	}
	if pong != wantMax || full != clients-wantMax {
		t.Fatalf("%d clients: %d served, %d refused with the max-clients error, want %d and %d; replies %q",
			clients, pong, full, wantMax, clients-wantMax, replies)
	}
	// The clients served go on being served: on one of them (go-redis
	// over its connection), CONFIG SET cannot raise maxclients past the
	// limit either, with Redis's error.
	served := slices.Index(replies, "+PONG")
	rdb := redis.NewClient(&redis.Options{MaxRetries: -1, PoolSize: 1,
		Dialer: func(context.Context, string, string) (net.Conn, error) { return conns[served], nil }})
	defer rdb.Close()
	ctx := context.Background()
	if n, err := rdb.ConfigGet(ctx, "maxclients").Result(); err != nil || n["maxclients"] != strconv.Itoa(wantMax) {
		t.Fatalf("CONFIG GET maxclients = %v, %v", n, err)
	}
	want := "ERR CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to handle the specified number of clients, try with " + strconv.Itoa(wantMax)
	if err := rdb.ConfigSet(ctx, "maxclients", "1000").Err(); err == nil || err.Error() != want {
		t.Errorf("CONFIG SET maxclients 1000: %v, want %q", err, want)
	}
	if err := rdb.ConfigSet(ctx, "maxclients", strconv.Itoa(wantMax-1)).Err(); err != nil {
		t.Errorf("CONFIG SET maxclients %d: %v", wantMax-1, err)
	}
	select {
	case err := <-exited:
		t.Fatalf("the server exited: %v\n%s", err, log.String())
	default:
	}
}

// dialAndPing opens n connections to addr, sends PING on each, and returns
// them with the first reply line of each ("" if none came in 10 s).
func dialAndPing(t *testing.T, addr string, n int) ([]net.Conn, []string) {
	t.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", i, err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := c.Write([]byte("PING\r\n")); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		conns[i] = c
	}
	deadline := time.Now().Add(10 * time.Second)
	replies := make([]string, n)
	for i, c := range conns {
		c.SetReadDeadline(deadline)
		line, _ := bufio.NewReader(c).ReadString('\n')
		replies[i] = strings.TrimSpace(line)
	}
	return conns, replies
}
