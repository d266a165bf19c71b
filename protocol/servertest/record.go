package servertest

import (
	"bytes"
	"io"
	"net"
	"sync"
)

// Recorder keeps every byte the connections of a Recording listener read,
// and counts the connections: what a fake peer or a relay in front of a
// node was sent, for tests that check what crosses a link (no password,
// no clear text).
type Recorder struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	conns int
}

func (r *Recorder) write(p []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.buf.Write(p)
}

// Seen returns what was read so far and the number of connections
// accepted.
func (r *Recorder) Seen() (string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String(), r.conns
}

// Recording wraps ln so that rec sees what every accepted connection
// reads.
func Recording(ln net.Listener, rec *Recorder) net.Listener { return recordingListener{ln, rec} }

type recordingListener struct {
	net.Listener
	rec *Recorder
}

func (l recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.rec.mu.Lock()
	l.rec.conns++
	l.rec.mu.Unlock()
	return recordingConn{c, l.rec}, nil
}

type recordingConn struct {
	net.Conn
	rec *Recorder
}

func (c recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.rec.write(p[:n])
	return n, err
}

// Relay copies every connection accepted on ln to and from a new
// connection to addr, until ln is closed: a stand-in address for a node
// (to put a Recording in front of it, or to give it an address that
// differs from its listener's).
func Relay(ln net.Listener, addr string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			u, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer u.Close()
			go func() { io.Copy(u, c); u.Close() }()
			io.Copy(c, u)
		}()
	}
}
