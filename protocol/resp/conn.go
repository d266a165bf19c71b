package resp

import (
	"bufio"
	"fmt"
	"net"
	"time"
)

// Conn is a client connection for a few commands at a time: `cachesrv
// top`'s refreshes and the benchmarks' admin commands around a run. A
// caller may also pipeline on it itself: Write a batch built with
// AppendCommand and Read the replies from R.
type Conn struct {
	conn    net.Conn
	timeout time.Duration
	R       *bufio.Reader // the replies, for callers that pipeline themselves
}

// Dial connects to addr and, given a password, authenticates with AUTH.
// timeout bounds the dial and then each Do; 0 means none.
func Dial(addr, password string, timeout time.Duration) (*Conn, error) {
	nc, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return nil, err
	}
	c := &Conn{conn: nc, timeout: timeout, R: bufio.NewReaderSize(nc, 64<<10)}
	if password != "" {
		if _, err := c.Do("AUTH", password); err != nil {
			nc.Close()
			return nil, err
		}
	}
	return c, nil
}

// Do sends one command and returns its reply as ReadValue decodes it. An
// error reply is the error, an Error wrapped with the command's name
// ("DBSIZE: ERR ..."); errors.As tells it from a failed connection.
func (c *Conn) Do(args ...string) (any, error) {
	if c.timeout > 0 {
		c.conn.SetDeadline(time.Now().Add(c.timeout))
		defer c.conn.SetDeadline(time.Time{})
	}
	if _, err := c.conn.Write(appendArray(nil, args)); err != nil {
		return nil, err
	}
	reply, err := ReadValue(c.R)
	if err != nil {
		return nil, err
	}
	if e, ok := reply.(Error); ok {
		return nil, fmt.Errorf("%s: %w", args[0], e)
	}
	return reply, nil
}

// Info runs INFO with the given sections and returns its fields.
func (c *Conn) Info(sections ...string) (map[string]string, error) {
	reply, err := c.Do(append([]string{"INFO"}, sections...)...)
	if err != nil {
		return nil, err
	}
	switch text := reply.(type) {
	case string:
		return ParseInfo(text), nil
	case Verbatim: // RESP3
		return ParseInfo(text.Text), nil
	}
	return nil, fmt.Errorf("INFO replied %T, not a bulk string", reply)
}

// DBSize runs DBSIZE.
func (c *Conn) DBSize() (int64, error) {
	reply, err := c.Do("DBSIZE")
	if err != nil {
		return 0, err
	}
	n, ok := reply.(int64)
	if !ok {
		return 0, fmt.Errorf("DBSIZE replied %T, not an integer", reply)
	}
	return n, nil
}

// Write writes raw bytes, such as a pipeline built with AppendCommand.
func (c *Conn) Write(b []byte) (int, error) { return c.conn.Write(b) }

// SetDeadline sets the connection's read and write deadline, for a
// caller that pipelines (Do sets its own).
func (c *Conn) SetDeadline(t time.Time) error { return c.conn.SetDeadline(t) }

// Close closes the connection.
func (c *Conn) Close() error { return c.conn.Close() }
