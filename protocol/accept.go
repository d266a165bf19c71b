package protocol

import (
	"errors"
	"syscall"
	"time"
)

// Accept back-off bounds, net/http's: a listener out of file descriptors
// (or kernel memory) is retried after 5 ms, then 10, 20, ... up to 1 s,
// until an accept succeeds. The connection waiting in the kernel's backlog
// is accepted as soon as a descriptor is free again, instead of the accept
// loop ending and every later client hanging on a listener nobody reads.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// nextAcceptBackoff returns the wait after a temporary accept error that
// followed a wait of last (0 after a successful accept).
func nextAcceptBackoff(last time.Duration) time.Duration {
	if last == 0 {
		return acceptBackoffMin
	}
	return min(2*last, acceptBackoffMax)
}

// temporaryAcceptError reports whether an accept error leaves the listener
// usable, so that Serve retries instead of returning. Out of descriptors
// (EMFILE, ENFILE) or kernel memory (ENOBUFS, ENOMEM) passes when clients
// leave; what the errno itself calls temporary (ECONNABORTED, EINTR, ...)
// or a timeout concerns one connection, not the listener.
func temporaryAcceptError(err error) bool {
	for _, errno := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM} {
		if errors.Is(err, errno) {
			return true
		}
	}
	var t interface {
		Temporary() bool
		Timeout() bool
	}
	return errors.As(err, &t) && (t.Temporary() || t.Timeout())
}
