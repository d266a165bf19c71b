package main

import (
	"bytes"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// probeUnreadReplies is probe 4: a client that asks for 3 GB of replies
// and never reads them, while another sends PINGs.
func probeUnreadReplies(e *env, kind string) (*result, error) {
	const gets, pings = 3000, 200
	s, err := e.start(kind, options{})
	if err != nil {
		return nil, err
	}
	defer s.stop()
	r := &result{}

	setter, err := dial(s.addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	if v, err := setter.do("SET", "big", string(bytes.Repeat([]byte("x"), 1<<20))); err != nil || v != "+OK" {
		setter.Close()
		return nil, fmt.Errorf("SET big: %q %v", v, err)
	}
	setter.Close()
	time.Sleep(500 * time.Millisecond)
	r.add("RSS before (1 MiB value set)", "%s", mib(s.rss()))

	pinger, err := dial(s.addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer pinger.Close()
	hog, err := dial(s.addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer hog.Close()

	sm := s.sample(100 * time.Millisecond)
	start := time.Now()
	if _, err := hog.Write(bytes.Repeat([]byte("GET big\r\n"), gets)); err != nil {
		sm.finish()
		return nil, fmt.Errorf("hog write: %v", err)
	}
	lat := make([]time.Duration, 0, pings)
	var pingErr error
	for range pings {
		t0 := time.Now()
		pinger.SetDeadline(t0.Add(60 * time.Second))
		v, err := pinger.do("PING")
		if err == nil && v != "+PONG" {
			err = fmt.Errorf("reply %q", v)
		}
		if err != nil {
			pingErr = err
			break
		}
		lat = append(lat, time.Since(t0))
	}
	pingsTook := time.Since(start)
	r.add("hog seen in CLIENT LIST after the PINGs", "%s", hogState(pinger))
	// The hog stays at least 2 s, so the peak includes what the server
	// does with its GETs after the PINGs are done.
	time.Sleep(time.Until(start.Add(2 * time.Second)))
	r.add("peak RSS while hog connected", "%s", mib(sm.peak.Load()))
	hog.Close()

	slices.Sort(lat)
	if len(lat) > 0 {
		p99 := lat[int(math.Ceil(0.99*float64(len(lat))))-1]
		r.add("PING p99 / max", "%v / %v", p99.Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
	}
	r.add("PINGs answered", "%d of %d in %v", len(lat), pings, pingsTook.Round(time.Millisecond))
	if pingErr != nil {
		r.add("PING failed", "%v", pingErr)
	}
	time.Sleep(5 * time.Second)
	r.add("RSS 5 s after hog closed", "%s", mib(s.rss()))
	peak := sm.finish()
	r.add("peak RSS overall", "%s", mib(peak))
	if sm.killed.Load() {
		r.add("killed at -rss-limit", "yes")
	}
	r.add("server alive at end", "%v", s.alive())
	return r, nil
}

// hogState finds the hog in CLIENT LIST (the client whose last command
// was not CLIENT) and returns its buffer fields.
func hogState(c *conn) string {
	c.SetDeadline(time.Now().Add(60 * time.Second))
	list, err := c.do("CLIENT", "LIST")
	if err != nil {
		return "CLIENT LIST: " + err.Error()
	}
	for line := range strings.SplitSeq(list, "\n") {
		if line == "" || strings.Contains(line, " cmd=client") {
			continue
		}
		var fields []string
		for f := range strings.FieldsSeq(line) {
			name, _, _ := strings.Cut(f, "=")
			if slices.Contains([]string{"cmd", "qbuf", "oll", "omem", "tot-mem"}, name) {
				fields = append(fields, f)
			}
		}
		return "connected: " + strings.Join(fields, " ")
	}
	return "not connected (the server closed it)"
}
