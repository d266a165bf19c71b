package protocol

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/cachesrv/cachesrv/store"
	"github.com/redis/go-redis/v9"
)

// outOfDescriptors is a listener whose next fails accepts fail as
// accept(2) does when the process has no descriptor left.
type outOfDescriptors struct {
	net.Listener
	fails atomic.Int64
}

func (l *outOfDescriptors) Accept() (net.Conn, error) {
	if l.fails.Add(-1) >= 0 {
		errno := syscall.EMFILE
		if l.fails.Load()%2 == 1 {
			errno = syscall.ENFILE
		}
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: os.NewSyscallError("accept4", errno)}
	}
	return l.Listener.Accept()
}

// The accept loop outlives EMFILE and ENFILE: it waits and accepts again,
// and the client waiting meanwhile is served (finding 3 of issue 17: the
// loop used to return, and every later client hung).
func TestAcceptSurvivesRunningOutOfDescriptors(t *testing.T) {
	cfg := config.New()
	cfg.Shards = 1
	st, err := store.New(cfg.StoreOptions())
	if err != nil {
		t.Fatal(err)
	}
	ln := &outOfDescriptors{Listener: servertest.Listen(t)}
	ln.fails.Store(6)
	addr := servertest.ServeListener(t, NewServer(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil))), ln)
	for i := range 3 {
		c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, ReadTimeout: 10 * time.Second})
		if err := c.Ping(context.Background()).Err(); err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		c.Close()
		ln.fails.Store(3) // and again after a successful accept
	}
}

func TestAcceptBackoffDoublesToOneSecond(t *testing.T) {
	var got []time.Duration
	for d := time.Duration(0); len(got) < 10; {
		d = nextAcceptBackoff(d)
		got = append(got, d)
	}
	want := []time.Duration{5, 10, 20, 40, 80, 160, 320, 640, 1000, 1000}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("back-off %v, want %v ms", got, want)
		}
	}
	if temporaryAcceptError(net.ErrClosed) || temporaryAcceptError(&net.OpError{Op: "accept", Err: net.ErrClosed}) {
		t.Error("a closed listener counts as temporary")
	}
}
