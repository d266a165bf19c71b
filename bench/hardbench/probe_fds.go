package main

import (
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// probeFileDescriptors is probe 3: more clients than the server's
// open-files limit allows.
func probeFileDescriptors(e *env, kind string) (*result, error) {
	const limit, clients = 1024, 1100
	s, err := e.start(kind, options{nofile: limit})
	if err != nil {
		return nil, err
	}
	defer s.stop()
	r := &result{}
	for _, l := range s.logLines("maxclients") {
		r.note("log: %s", l)
	}
	if c, err := dial(s.addr, 5*time.Second); err == nil {
		v, err := c.do("CONFIG", "GET", "maxclients")
		if err != nil {
			v = err.Error()
		}
		r.add("CONFIG GET maxclients", "%s", v)
		c.Close()
	}

	// Connect all, 64 at a time, holding every one.
	conns := make([]*conn, clients)
	var dialFailed int
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range conns {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := dial(s.addr, 3*time.Second)
			if err != nil {
				mu.Lock()
				dialFailed++
				mu.Unlock()
				return
			}
			conns[i] = c
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()

	// PING on each, one reply awaited for 5 s.
	var pong, maxErr, otherReply, closedNoReply, hung int
	var others []string
	deadline := time.Now().Add(5 * time.Second)
	for _, c := range conns {
		if c == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.SetDeadline(deadline)
			reply, err := c.do("PING")
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && reply == "+PONG":
				pong++
			case err == nil && reply == "-ERR max number of clients reached":
				maxErr++
			case err == nil:
				otherReply++
				if len(others) < 3 {
					others = append(others, reply)
				}
			case errors.Is(err, os.ErrDeadlineExceeded):
				hung++
			default:
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					hung++
				} else {
					closedNoReply++
				}
			}
		}()
	}
	wg.Wait()
	r.add("connections", "%d (%d failed to connect in 3 s)", clients-dialFailed, dialFailed)
	r.add("+PONG", "%d", pong)
	r.add("-ERR max number of clients reached", "%d", maxErr)
	r.add("closed with no reply", "%d", closedNoReply)
	r.add("no reply after 5 s (hangs)", "%d", hung)
	if otherReply > 0 {
		r.add("other replies", "%d: %s", otherReply, strings.Join(others, "; "))
	}
	for i, c := range conns {
		if c != nil {
			c.Close()
			conns[i] = nil
		}
	}

	time.Sleep(time.Second)
	fresh := "no PONG"
	if c, err := dial(s.addr, 5*time.Second); err != nil {
		fresh = "connect failed: " + err.Error()
	} else {
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if v, err := c.do("PING"); err != nil {
			fresh = err.Error()
		} else {
			fresh = v
		}
		c.Close()
	}
	r.add("new client after closing all", "%s", fresh)
	r.add("server alive at end", "%v", s.alive())
	return r, nil
}
