package main

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

// membench speaks RESP itself: commands are appended to a reused buffer
// and written in one Write per pipeline; replies are read from a
// bufio.Reader. The load paths only need to know whether a reply was an
// error or nil (readReply); the admin commands (INFO, DBSIZE) need the
// value (conn.do).

// appendCommand appends a RESP array of bulk strings.
func appendCommand(buf []byte, args ...[]byte) []byte {
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

// appendKey appends key:<i>, the key naming of the issue (key:%d).
func appendKey(buf []byte, i int) []byte {
	buf = append(buf, "key:"...)
	return strconv.AppendInt(buf, int64(i), 10)
}

var errProtocol = errors.New("malformed reply")

// readReply reads one reply of any type. An error reply (-ERR ...) is not
// a Go error: it comes back as errReply, valid until the next read. isNil
// is set for a nil bulk or array ($-1, *-1, _).
func readReply(r *bufio.Reader) (errReply []byte, isNil bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return nil, false, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, false, errProtocol
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', ':', ',', '#':
		return nil, false, nil
	case '_':
		return nil, true, nil
	case '-':
		return body, false, nil
	case '$':
		n, err := atoi(body)
		if err != nil || n < 0 {
			return nil, n < 0, err
		}
		_, err = r.Discard(n + 2)
		return nil, false, err
	case '*':
		n, err := atoi(body)
		if err != nil || n < 0 {
			return nil, n < 0, err
		}
		for range n {
			e, _, err := readReply(r)
			if err != nil {
				return nil, false, err
			}
			if e != nil && errReply == nil {
				errReply = append([]byte(nil), e...) // the next read overwrites e
			}
		}
		return errReply, false, nil
	}
	return nil, false, errProtocol
}

func atoi(b []byte) (int, error) {
	if len(b) == 2 && b[0] == '-' && b[1] == '1' {
		return -1, nil
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%w: bad length %s", errProtocol, strconv.Quote(string(b)))
		}
		n = n*10 + int(c-'0')
	}
	return n, nil
}

// conn is one connection for admin commands: PING, INFO, DBSIZE.
type conn struct {
	c  net.Conn
	br *bufio.Reader
}

func dial(addr string) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, br: bufio.NewReader(c)}, nil
}

func (c *conn) Close() error { return c.c.Close() }

// do sends one command and returns its reply as text: a simple string,
// the decimal integer, or the bulk string. An error reply is an error; a
// nil reply is "".
func (c *conn) do(args ...string) (string, error) {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	c.c.SetDeadline(time.Now().Add(30 * time.Second))
	defer c.c.SetDeadline(time.Time{})
	if _, err := c.c.Write(appendCommand(nil, bs...)); err != nil {
		return "", err
	}
	line, err := c.br.ReadString('\n')
	if err != nil {
		return "", err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return "", errProtocol
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
			return "", errProtocol
		}
		if n < 0 {
			return "", nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(c.br, b); err != nil {
			return "", err
		}
		return string(b[:n]), nil
	}
	return "", fmt.Errorf("%s: unexpected reply %q", args[0], strings.TrimSpace(line))
}

// info runs INFO with the given sections and returns its fields.
func (c *conn) info(sections ...string) (map[string]string, error) {
	s, err := c.do(append([]string{"INFO"}, sections...)...)
	if err != nil {
		return nil, err
	}
	return parseInfo(s), nil
}

// dbsize runs DBSIZE.
func (c *conn) dbsize() (int64, error) {
	s, err := c.do("DBSIZE")
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(s, 10, 64)
}

// parseInfo reads INFO's "name:value" lines, skipping "# Section" lines
// and blanks.
func parseInfo(s string) map[string]string {
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

// infoInt is an integer field of INFO, -1 if absent or not a number.
func infoInt(f map[string]string, name string) int64 {
	n, err := strconv.ParseInt(f[name], 10, 64)
	if err != nil {
		return -1
	}
	return n
}
