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

	"github.com/cachesrv/cachesrv/bench/internal/workload"
)

// Just enough RESP2 for the replay: GET and SET encoded into one reused
// buffer per pipeline, GET replies classified as hit, miss or error
// without allocating, and a plain request/reply call for INFO and DBSIZE.

var errProtocol = errors.New("malformed reply")

// keyHeader is the bulk header of every key: all keys have one length
// (see workload.AppendKey).
var keyHeader = fmt.Sprintf("$%d\r\n", len(workload.AppendKey(nil, 0)))

func appendGet(buf []byte, key uint32) []byte {
	buf = append(buf, "*2\r\n$3\r\nGET\r\n"...)
	buf = append(buf, keyHeader...)
	buf = workload.AppendKey(buf, int(key))
	return append(buf, "\r\n"...)
}

// setTail is "$<len>\r\n<value>\r\n", the end of every SET.
func setTail(value []byte) []byte {
	t := fmt.Appendf(nil, "$%d\r\n", len(value))
	t = append(t, value...)
	return append(t, "\r\n"...)
}

func appendSet(buf []byte, key uint32, tail []byte) []byte {
	buf = append(buf, "*3\r\n$3\r\nSET\r\n"...)
	buf = append(buf, keyHeader...)
	buf = workload.AppendKey(buf, int(key))
	buf = append(buf, "\r\n"...)
	return append(buf, tail...)
}

// replyKind is how a reply to GET or SET reads.
type replyKind int

const (
	replyNil   replyKind = iota // $-1 (or *-1, _): GET missed
	replyValue                  // a bulk string: GET hit
	replyOK                     // a simple string or an integer
	replyError                  // -ERR ...: the text is returned
)

// readKind reads one reply and says what it was; an error reply's text
// is valid until the next read. Arrays are read through and count as
// replyOK.
func readKind(r *bufio.Reader) (replyKind, []byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return 0, nil, errProtocol
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', ':':
		return replyOK, nil, nil
	case '-':
		return replyError, body, nil
	case '_':
		return replyNil, nil, nil
	case '$':
		n, err := atoi(body)
		if err != nil {
			return 0, nil, err
		}
		if n < 0 {
			return replyNil, nil, nil
		}
		_, err = r.Discard(n + 2)
		return replyValue, nil, err
	case '*':
		n, err := atoi(body)
		if err != nil {
			return 0, nil, err
		}
		if n < 0 {
			return replyNil, nil, nil
		}
		for range n {
			if _, _, err := readKind(r); err != nil {
				return 0, nil, err
			}
		}
		return replyOK, nil, nil
	}
	return 0, nil, errProtocol
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
	if len(b) == 0 {
		return 0, errProtocol
	}
	return n, nil
}

// client is one connection to a server.
type client struct {
	c net.Conn
	r *bufio.Reader
}

func dial(addr string) (*client, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &client{c: c, r: bufio.NewReaderSize(c, 64<<10)}, nil
}

func (c *client) Close() error { return c.c.Close() }

// call sends one command and returns its reply as a string (bulk,
// simple or integer), or the server's error reply as an error.
func (c *client) call(args ...string) (string, error) {
	c.c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.c.SetDeadline(time.Time{})
	buf := fmt.Appendf(nil, "*%d\r\n", len(args))
	for _, a := range args {
		buf = fmt.Appendf(buf, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.c.Write(buf); err != nil {
		return "", err
	}
	line, err := c.r.ReadString('\n')
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
		if _, err := io.ReadFull(c.r, b); err != nil {
			return "", err
		}
		return string(b[:n]), nil
	}
	return "", errProtocol
}

// info runs INFO section and returns its fields.
func (c *client) info(section string) (map[string]string, error) {
	s, err := c.call("INFO", section)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			m[k] = v
		}
	}
	return m, nil
}

// infoInt reads an integer field, -1 when absent or not a number.
func infoInt(m map[string]string, k string) int64 {
	v, err := strconv.ParseInt(m[k], 10, 64)
	if err != nil {
		return -1
	}
	return v
}
