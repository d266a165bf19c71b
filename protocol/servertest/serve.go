package servertest

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// Server is what Serve runs; protocol.Server is one (this package cannot
// name it: protocol's own tests import this package).
type Server interface {
	Serve(net.Listener) error
	Shutdown(context.Context) error
}

// Serve serves srv on a free 127.0.0.1 port until the test ends and
// returns its address (host:port). See ServeListener.
func Serve(t testing.TB, srv Server) string {
	t.Helper()
	return ServeListener(t, srv, Listen(t))
}

// ServeListener serves srv on ln, from Listen, for a test that needs the
// address before the server exists (a cluster node announces it to its
// peers), and returns that address. When the test ends it shuts srv
// down, giving its clients 5 s to finish, and fails the test if they do
// not or if Serve returned an error. The test may have shut srv down
// itself already: the second Shutdown's complaint about that is ignored.
func ServeListener(t testing.TB, srv Server, ln net.Listener) string {
	t.Helper()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}
