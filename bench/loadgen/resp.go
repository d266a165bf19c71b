package main

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"

	"github.com/cachesrv/cachesrv/bench/internal/workload"
)

// The generator speaks just enough RESP to send GET and SET and to read
// any reply, without allocating per command: a pipeline is encoded into
// one reused buffer and written with one Write, and replies are parsed in
// place from a bufio.Reader and dropped.

// encoder appends GET and SET commands for benchmark keys.
type encoder struct {
	setTail []byte // "$<len>\r\n<value>\r\n"
}

func newEncoder(value []byte) *encoder {
	t := fmt.Appendf(nil, "$%d\r\n", len(value))
	t = append(t, value...)
	return &encoder{setTail: append(t, "\r\n"...)}
}

// keyHeader is the bulk header of every benchmark key, all of one length
// (see workload.AppendKey).
var keyHeader = fmt.Sprintf("$%d\r\n", len(workload.AppendKey(nil, 0)))

func (e *encoder) get(buf []byte, key int) []byte {
	buf = append(buf, "*2\r\n$3\r\nGET\r\n"...)
	buf = append(buf, keyHeader...)
	buf = workload.AppendKey(buf, key)
	return append(buf, "\r\n"...)
}

func (e *encoder) set(buf []byte, key int) []byte {
	buf = append(buf, "*3\r\n$3\r\nSET\r\n"...)
	buf = append(buf, keyHeader...)
	buf = workload.AppendKey(buf, key)
	buf = append(buf, "\r\n"...)
	return append(buf, e.setTail...)
}

var errProtocol = errors.New("malformed reply")

// readReply reads one reply of any type. An error reply (-ERR ...) is not
// a Go error: it comes back as errReply, valid until the next read.
func readReply(r *bufio.Reader) (errReply []byte, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, errProtocol
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+', ':':
		return nil, nil
	case '-':
		return body, nil
	case '$':
		n, err := atoi(body)
		if err != nil || n < 0 {
			return nil, err // $-1 is nil
		}
		_, err = r.Discard(n + 2)
		return nil, err
	case '*':
		n, err := atoi(body)
		if err != nil {
			return nil, err
		}
		for range n {
			e, err := readReply(r)
			if err != nil {
				return nil, err
			}
			if e != nil && errReply == nil {
				errReply = append([]byte(nil), e...) // the next read overwrites e
			}
		}
		return errReply, nil
	}
	return nil, errProtocol
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
