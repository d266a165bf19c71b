package servertest

import (
	"bytes"
	"runtime"
	"testing"
	"time"
)

// WaitForGoroutines waits until at least n goroutines of the process
// show every one of frames in their traceback: function names as it
// prints them (e.g. "sync.(*RWMutex).Lock(") or the state in its header
// (e.g. "[select", "[chan receive"). It fails the test if they do not get
// there within 10 s. A test that holds a lock or a channel learns this
// way that its clients are blocked on it, where a sleep would only make
// that likely: on a busy machine they may not have got there yet.
func WaitForGoroutines(t testing.TB, n int, frames ...string) {
	t.Helper()
	buf := make([]byte, 1<<20)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		size := runtime.Stack(buf, true)
		if size == len(buf) { // possibly cut short: look again with more room
			buf = make([]byte, 2*len(buf))
			continue
		}
		found := 0
		for _, g := range bytes.Split(buf[:size], []byte("\n\n")) {
			if hasAll(g, frames) {
				found++
			}
		}
		if found >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines in %q after 10 s, want %d", found, frames, n)
		}
	}
}

func hasAll(stack []byte, frames []string) bool {
	for _, f := range frames {
		if !bytes.Contains(stack, []byte(f)) {
			return false
		}
	}
	return true
}
