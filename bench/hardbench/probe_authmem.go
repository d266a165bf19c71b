package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// authMemHeader announces a 536,870,000-byte bulk string, a little under
// Redis's 512 MB proto-max-bulk-len, and nothing follows: a server that
// allocates the announced size before authentication spends half a
// gigabyte per connection.
const authMemHeader = "*1\r\n$536870000\r\n"

// heldConn is a connection that sent authMemHeader and holds on, reading
// whatever the server sends until it closes.
type heldConn struct {
	c *conn

	mu     sync.Mutex
	reply  []byte
	closed bool
	done   chan struct{}
}

func holdHeader(addr string) (*heldConn, error) {
	c, err := dial(addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write([]byte(authMemHeader)); err != nil {
		c.Close()
		return nil, err
	}
	h := &heldConn{c: c, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		buf := make([]byte, 512)
		for {
			n, err := c.Read(buf)
			h.mu.Lock()
			if len(h.reply) < 512 {
				h.reply = append(h.reply, buf[:n]...)
			}
			if err != nil {
				h.closed = true
			}
			h.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return h, nil
}

// state describes what the connection has seen so far.
func (h *heldConn) state() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	reply := "no reply"
	if len(h.reply) > 0 {
		reply = strings.TrimSpace(string(h.reply))
	}
	if h.closed {
		return reply + ", closed by server"
	}
	return reply + ", still open"
}

// probeAuthMemory is probe 1: memory before authentication.
func probeAuthMemory(e *env, kind string) (*result, error) {
	s, err := e.start(kind, options{password: "hardbench-" + fmt.Sprint(time.Now().UnixNano())})
	if err != nil {
		return nil, err
	}
	defer s.stop()
	r := &result{}
	time.Sleep(500 * time.Millisecond)
	r.add("RSS before", "%s", mib(s.rss()))
	sm := s.sample(100 * time.Millisecond)
	var held []*heldConn
	defer func() {
		for _, h := range held {
			h.c.Close()
		}
	}()
	const rounds, perRound = 3, 8
	for round := 1; round <= rounds; round++ {
		for range perRound {
			h, err := holdHeader(s.addr)
			if err != nil {
				r.add(fmt.Sprintf("round %d", round), "connect/write failed: %v", err)
				break
			}
			held = append(held, h)
		}
		time.Sleep(time.Second)
		r.add(fmt.Sprintf("RSS after round %d (%d held)", round, len(held)), "%s", mib(s.rss()))
	}
	// What each connection got, grouped: "24 x -ERR ..., closed by server".
	counts := map[string]int{}
	for _, h := range held {
		counts[h.state()]++
	}
	states := make([]string, 0, len(counts))
	for st := range counts {
		states = append(states, st)
	}
	slices.Sort(states)
	for i, st := range states {
		label := "replies"
		if i > 0 {
			label = fmt.Sprintf("replies (%d)", i+1)
		}
		r.add(label, "%d x %s", counts[st], st)
	}
	for _, h := range held {
		h.c.Close()
		<-h.done
	}
	held = nil
	time.Sleep(5 * time.Second)
	r.add("RSS 5 s after all closed", "%s", mib(s.rss()))
	r.add("peak RSS (100 ms samples)", "%s", mib(sm.finish()))
	if sm.killed.Load() {
		r.add("killed at -rss-limit", "yes")
	}
	r.add("server alive at end", "%v", s.alive())
	return r, nil
}
