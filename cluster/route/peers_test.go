package route

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/resp"
)

// TestForwardToSilentPeerFails: a peer that takes requests but never
// answers fails the forwarded command after forwardTimeout instead of
// leaving the client waiting forever, and the link recovers afterwards.
func TestForwardToSilentPeerFails(t *testing.T) {
	defer func(d time.Duration) { forwardTimeout = d }(forwardTimeout)
	forwardTimeout = 200 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, conn) // reads, never answers
		}
	}()
	var p peers
	defer p.close()
	f := &call{req: resp.AppendCommand(nil, []byte("GET"), []byte("k"))}
	start := time.Now()
	p.link(ln.Addr().String(), 2).send(f)
	select {
	case <-f.done:
	case <-time.After(5 * time.Second):
		t.Fatal("forwarded command still waiting after 5 s")
	}
	if f.err == nil || !strings.Contains(f.err.Error(), "timeout") {
		t.Fatalf("err = %v, want a timeout", f.err)
	}
	if d := time.Since(start); d < forwardTimeout {
		t.Fatalf("failed after %v, before the timeout", d)
	}
	if s := p.snapshot(); len(s) != 1 || s[0].Errors != 1 {
		t.Fatalf("forward stats %+v", s)
	}
}
