// Package resp is the benchmarks' own small RESP client: commands are
// appended to a reused buffer and written one pipeline per Write, replies
// read from a bufio.Reader without allocating on the load paths. A client
// library would add its own costs to what the benchmarks measure; this
// adds next to none. Conn is for the few admin commands (PING, INFO,
// DBSIZE, CONFIG) around a run.
package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// ErrProtocol is returned for bytes that are not a RESP reply.
var ErrProtocol = errors.New("malformed reply")

// AppendCommand appends a RESP array of bulk strings.
func AppendCommand(buf []byte, args ...[]byte) []byte {
	buf = append(buf, '*')
	buf = strconv.AppendInt(buf, int64(len(args)), 10)
	buf = append(buf, "\r\n"...)
	for _, a := range args {
		buf = append(buf, '$')
		buf = strconv.AppendInt(buf, int64(len(a)), 10)
		buf = append(buf, "\r\n"...)
		buf = append(buf, a...)
		buf = append(buf, "\r\n"...)
	}
	return buf
}

// Kind is what a reply was.
type Kind int

const (
	Nil   Kind = iota // $-1, *-1 or _: a GET that missed
	Value             // a bulk string: a GET that hit
	OK                // a simple string, an integer, a double, a boolean, or an array without errors
	Error             // -ERR ..., or an array holding one
)

// Read reads one reply of any type. An error reply is not a Go error: it
// comes back as Error with its text, valid until the next read (for an
// array, the first error inside it, copied).
func Read(r *bufio.Reader) (Kind, []byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return 0, nil, ErrProtocol
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', ':', ',', '#':
		return OK, nil, nil
	case '_':
		return Nil, nil, nil
	case '-':
		return Error, body, nil
	case '$':
		n, err := Atoi(body)
		if err != nil {
			return 0, nil, err
		}
		if n < 0 {
			return Nil, nil, nil
		}
		_, err = r.Discard(n + 2)
		return Value, nil, err
	case '*':
		n, err := Atoi(body)
		if err != nil {
			return 0, nil, err
		}
		if n < 0 {
			return Nil, nil, nil
		}
		var errReply []byte
		for range n {
			k, e, err := Read(r)
			if err != nil {
				return 0, nil, err
			}
			if k == Error && errReply == nil {
				errReply = append([]byte(nil), e...) // the next read overwrites e
			}
		}
		if errReply != nil {
			return Error, errReply, nil
		}
		return OK, nil, nil
	}
	return 0, nil, ErrProtocol
}

// Atoi parses a RESP length: digits, or -1.
func Atoi(b []byte) (int, error) {
	if len(b) == 2 && b[0] == '-' && b[1] == '1' {
		return -1, nil
	}
	if len(b) == 0 {
		return 0, ErrProtocol
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: bad length %s", ErrProtocol, strconv.Quote(string(b)))
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// Conn is one connection for admin commands.
type Conn struct {
	c net.Conn
	R *bufio.Reader // for callers that pipeline on the connection themselves
}

// Dial connects to addr.
func Dial(addr string) (*Conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &Conn{c: c, R: bufio.NewReaderSize(c, 64<<10)}, nil
}

// Write writes raw bytes, such as a pipeline built with AppendCommand.
func (c *Conn) Write(b []byte) (int, error) { return c.c.Write(b) }

// SetDeadline sets the connection's read and write deadline.
func (c *Conn) SetDeadline(t time.Time) error { return c.c.SetDeadline(t) }

func (c *Conn) Close() error { return c.c.Close() }

// Do sends one command and returns its reply as text: a simple string,
// the decimal integer, or the bulk string; a nil reply is "". An error
// reply is an error.
func (c *Conn) Do(args ...string) (string, error) {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	c.c.SetDeadline(time.Now().Add(30 * time.Second))
	defer c.c.SetDeadline(time.Time{})
	if _, err := c.c.Write(AppendCommand(nil, bs...)); err != nil {
		return "", err
	}
	line, err := c.R.ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return "", ErrProtocol
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', ':':
		return body, nil
	case '-':
		return "", fmt.Errorf("%s: %s", args[0], body)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil {
			return "", ErrProtocol
		}
		if n < 0 {
			return "", nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(c.R, b); err != nil {
			return "", err
		}
		return string(b[:n]), nil
	}
	return "", fmt.Errorf("%s: unexpected reply %q", args[0], strings.TrimSpace(line))
}

// Info runs INFO with the given sections and returns its fields.
func (c *Conn) Info(sections ...string) (map[string]string, error) {
	s, err := c.Do(append([]string{"INFO"}, sections...)...)
	if err != nil {
		return nil, err
	}
	return ParseInfo(s), nil
}

// DBSize runs DBSIZE.
func (c *Conn) DBSize() (int64, error) {
	s, err := c.Do("DBSIZE")
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(s, 10, 64)
}

// ParseInfo reads INFO's "name:value" lines, skipping "# Section" lines
// and blanks.
func ParseInfo(s string) map[string]string {
	f := map[string]string{}
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			f[k] = v
		}
	}
	return f
}

// InfoInt is an integer field of INFO, -1 if absent or not a number.
func InfoInt(f map[string]string, name string) int64 {
	n, err := strconv.ParseInt(f[name], 10, 64)
	if err != nil {
		return -1
	}
	return n
}
