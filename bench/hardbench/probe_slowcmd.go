package main

import (
	"fmt"
	"time"
)

// probeSlowCommand is probe 5: one large command sent in small pieces.
// A server that parses the whole buffered command again on every piece
// spends time quadratic in its size.
func probeSlowCommand(e *env, kind string) (*result, error) {
	const keys, piece = 600_000, 1400
	s, err := e.start(kind, options{})
	if err != nil {
		return nil, err
	}
	defer s.stop()
	r := &result{}

	args := make([]string, 0, keys+1)
	args = append(args, "EXISTS")
	for i := range keys {
		args = append(args, fmt.Sprintf("k%d", i))
	}
	cmd := encode(args...)
	c, err := dial(s.addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Minute))
	time.Sleep(200 * time.Millisecond)
	cpu0 := s.cpu()
	start := time.Now()
	for off := 0; off < len(cmd); off += piece {
		if _, err := c.Write(cmd[off:min(off+piece, len(cmd))]); err != nil {
			return nil, fmt.Errorf("write at byte %d of %d: %v", off, len(cmd), err)
		}
	}
	reply, err := c.reply()
	wall := time.Since(start)
	cpu := s.cpu() - cpu0
	if err != nil {
		reply = "error: " + err.Error()
	}
	r.add("command", "%d bytes in %d writes", len(cmd), (len(cmd)+piece-1)/piece)
	r.add("reply", "%s", reply)
	r.add("server CPU (utime+stime)", "%.2f s", cpu.Seconds())
	r.add("wall time", "%.2f s", wall.Seconds())
	r.add("server alive at end", "%v", s.alive())
	return r, nil
}
