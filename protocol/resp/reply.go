package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

// The three reply readers below share one framing (readHeader): a line
// of a known type ending in CRLF, and for a bulk string or an array its
// length, -1 meaning nil. Besides RESP2's types they take RESP3's null
// (_), double (,) and boolean (#), each a single line.

// ErrMalformedReply is returned for bytes that are not a RESP reply.
var ErrMalformedReply = errors.New("malformed reply")

// Error is an error reply, such as "ERR unknown command": an answer, not
// a failure of the connection. ReadValue returns it as a value (inside
// an array too); Conn.Do returns it as the error.
type Error string

func (e Error) Error() string { return string(e) }

// readHeader reads a reply's first line and returns it whole, CRLF
// included (valid until r's next read), and for a bulk string or an
// array its length, at most limit. A line longer than r's buffer is
// bufio.ErrBufferFull.
func readHeader(r *bufio.Reader, limit int64) (line []byte, n int, err error) {
	line, err = r.ReadSlice('\n')
	if err != nil {
		return nil, 0, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, 0, fmt.Errorf("%w %q", ErrMalformedReply, line)
	}
	switch line[0] {
	case '+', '-', ':', ',', '#', '_':
		return line, 0, nil
	case '$', '*':
		// The request reader's length parser: digits or a sign and
		// digits, at most 18 of them and at most limit.
		length, _, _, err := parseLength(line, 1, limit, "")
		if err != nil || length < -1 {
			return nil, 0, fmt.Errorf("%w: length %q", ErrMalformedReply, line[1:len(line)-2])
		}
		return line, int(length), nil
	}
	return nil, 0, fmt.Errorf("%w: unknown type %q", ErrMalformedReply, line[0])
}

// AppendReply reads one complete reply, nested arrays included, and
// appends its bytes as they came to dst. An error reply is not a Go
// error: it is appended like any other.
func AppendReply(dst []byte, r *bufio.Reader) ([]byte, error) {
	line, n, err := readHeader(r, math.MaxInt64)
	if err != nil {
		return dst, err
	}
	dst = append(dst, line...)
	switch line[0] {
	case '$':
		if n >= 0 {
			start := len(dst)
			dst = append(dst, make([]byte, n+2)...)
			_, err = io.ReadFull(r, dst[start:])
		}
	case '*':
		for range max(n, 0) {
			if dst, err = AppendReply(dst, r); err != nil {
				break
			}
		}
	}
	return dst, err
}

// Limits on what ReadValue accepts, so that a confused server cannot
// make the caller allocate without bound.
const (
	maxValueBulk  = 64 << 20 // bytes in a bulk string
	maxValueArray = 1 << 20  // elements in an array
	maxValueDepth = 8        // arrays within arrays
)

// ReadValue reads one reply and decodes it: a simple or bulk string is a
// string, an integer an int64, an array []any, a nil (bulk, array or
// RESP3 null) nil, an error reply an Error, a RESP3 double a float64 and
// a boolean a bool. The error is for the connection or the bytes (EOF,
// a timeout, a malformed reply), never for an error reply.
func ReadValue(r *bufio.Reader) (any, error) {
	return readValue(r, 0)
}

func readValue(r *bufio.Reader, depth int) (any, error) {
	line, n, err := readHeader(r, maxValueBulk)
	if err != nil {
		return nil, err
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return Error(body), nil
	case ':':
		i, err := strconv.ParseInt(body, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: integer %q", ErrMalformedReply, body)
		}
		return i, nil
	case ',':
		f, err := strconv.ParseFloat(body, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: double %q", ErrMalformedReply, body)
		}
		return f, nil
	case '#':
		if body != "t" && body != "f" {
			return nil, fmt.Errorf("%w: boolean %q", ErrMalformedReply, body)
		}
		return body == "t", nil
	case '_':
		return nil, nil
	case '$':
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	}
	// An array: readHeader knows no other type.
	if n > maxValueArray || depth >= maxValueDepth {
		return nil, fmt.Errorf("%w: array of %d nested %d deep", ErrMalformedReply, n, depth)
	}
	if n < 0 {
		return nil, nil
	}
	elems := make([]any, n)
	for i := range elems {
		if elems[i], err = readValue(r, depth+1); err != nil {
			return nil, err
		}
	}
	return elems, nil
}

// Kind is what a reply was, as Read tells it.
type Kind int

const (
	KindNil   Kind = iota // $-1, *-1 or _: a GET that missed
	KindValue             // a bulk string: a GET that hit
	KindOK                // a simple string, an integer, a double, a boolean, or an array without errors
	KindError             // an error reply, or an array holding one
)

// Read reads one reply and says what kind it was, without allocating
// (but for an array holding an error): the load path of the benchmarks,
// which only count hits, misses and errors. An error reply is not a Go
// error: it comes back as KindError with its text, valid until r's next
// read (for an array, the first error inside it, copied).
func Read(r *bufio.Reader) (Kind, []byte, error) {
	line, n, err := readHeader(r, math.MaxInt64)
	if err != nil {
		return 0, nil, err
	}
	switch line[0] {
	case '-':
		return KindError, line[1 : len(line)-2], nil
	case '_':
		return KindNil, nil, nil
	case '$':
		if n < 0 {
			return KindNil, nil, nil
		}
		_, err = r.Discard(n + 2)
		return KindValue, nil, err
	case '*':
		if n < 0 {
			return KindNil, nil, nil
		}
		var errReply []byte
		for range n {
			k, e, err := Read(r)
			if err != nil {
				return 0, nil, err
			}
			if k == KindError && errReply == nil {
				errReply = append([]byte(nil), e...) // the next read overwrites e
			}
		}
		if errReply != nil {
			return KindError, errReply, nil
		}
	}
	return KindOK, nil, nil
}
