package resp

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
)

// The three reply readers below share one framing (readHeader): a line
// of a known type ending in CRLF, and for a length-prefixed string or an
// aggregate its length, -1 meaning nil. They read RESP2 and all of
// RESP3: the single-line null (_), double (,), boolean (#) and big number
// ((); the length-prefixed blob error (!) and verbatim string (=), read
// as a bulk string is; and the aggregates map (%), set (~), push (>) and
// attribute (|), read as an array is (a map or an attribute of n entries
// holds 2n replies).

// ErrMalformedReply is returned for bytes that are not a RESP reply.
var ErrMalformedReply = errors.New("malformed reply")

// Error is an error reply, such as "ERR unknown command": an answer, not
// a failure of the connection. ReadValue returns it as a value (inside
// an array too); Conn.Do returns it as the error. A RESP3 blob error
// (!) is one too.
type Error string

func (e Error) Error() string { return string(e) }

// The RESP3 aggregates as ReadValue returns them; an array is a []any.
type (
	// Map is a RESP3 map: its keys and values alternate, in the order
	// the server sent them (keys need not be strings, nor unique).
	Map []any
	// Set is a RESP3 set, its elements in the order they came.
	Set []any
	// Push is a RESP3 push message: out-of-band data, such as a pub/sub
	// message or an invalidation, that is not the reply to a command.
	Push []any
)

// Get returns the value of the first key equal to key.
func (m Map) Get(key string) (any, bool) {
	for i := 0; i+1 < len(m); i += 2 {
		if k, ok := m[i].(string); ok && k == key {
			return m[i+1], true
		}
	}
	return nil, false
}

// Verbatim is a RESP3 verbatim string: text with its three-letter format
// ("txt" or "mkd"). INFO and CLIENT INFO reply with one in RESP3.
type Verbatim struct {
	Format string
	Text   string
}

func (v Verbatim) String() string { return v.Text }

// isAggregate reports whether kind is a type whose header counts
// replies that follow: array, set, push, or (in pairs) map and attribute.
func isAggregate(kind byte) bool {
	switch kind {
	case '*', '%', '~', '>', '|':
		return true
	}
	return false
}

// elements is how many replies follow an aggregate header of count n.
func elements(kind byte, n int) int {
	if kind == '%' || kind == '|' {
		return 2 * n
	}
	return n
}

// readHeader reads a reply's first line and returns it whole, CRLF
// included (valid until r's next read), and for a length-prefixed string
// or an aggregate its length, at most limit. A line longer than r's
// buffer is bufio.ErrBufferFull.
func readHeader(r *bufio.Reader, limit int64) (line []byte, n int, err error) {
	line, err = r.ReadSlice('\n')
	if err != nil {
		return nil, 0, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return nil, 0, fmt.Errorf("%w %q", ErrMalformedReply, line)
	}
	switch line[0] {
	case '+', '-', ':', ',', '#', '_', '(':
		return line, 0, nil
	case '$', '*', '=', '!', '%', '~', '>', '|':
		// The request reader's length parser: digits or a sign and
		// digits, at most 18 of them and at most limit. Only RESP2's
		// bulk string and array have a nil length (-1).
		length, _, _, err := parseLength(line, 1, limit, "")
		if err != nil || length < -1 || length == -1 && line[0] != '$' && line[0] != '*' {
			return nil, 0, fmt.Errorf("%w: length %q", ErrMalformedReply, line[1:len(line)-2])
		}
		if line[0] == '=' && length < 4 { // "txt:" at least
			return nil, 0, fmt.Errorf("%w: verbatim string of %d bytes", ErrMalformedReply, length)
		}
		return line, int(length), nil
	}
	return nil, 0, fmt.Errorf("%w: unknown type %q", ErrMalformedReply, line[0])
}

// AppendReply reads one complete reply, nested aggregates included, and
// appends its bytes as they came to dst. An error reply is not a Go
// error: it is appended like any other. An attribute (|) is appended
// together with the reply it describes, which follows it.
func AppendReply(dst []byte, r *bufio.Reader) ([]byte, error) {
	line, n, err := readHeader(r, math.MaxInt64)
	if err != nil {
		return dst, err
	}
	dst = append(dst, line...)
	switch kind := line[0]; {
	case kind == '$' || kind == '=' || kind == '!':
		if n >= 0 {
			start := len(dst)
			dst = append(dst, make([]byte, n+2)...)
			_, err = io.ReadFull(r, dst[start:])
		}
	case isAggregate(kind):
		for range elements(kind, max(n, 0)) {
			if dst, err = AppendReply(dst, r); err != nil {
				return dst, err
			}
		}
		if kind == '|' {
			dst, err = AppendReply(dst, r)
		}
	}
	return dst, err
}

// Limits on what ReadValue accepts, so that a confused server cannot
// make the caller allocate without bound.
const (
	maxValueBulk  = 64 << 20 // bytes in a bulk string
	maxValueArray = 1 << 20  // elements in an aggregate
	maxValueDepth = 8        // aggregates within aggregates
)

// ReadValue reads one reply and decodes it: a simple or bulk string is a
// string, an integer an int64, an array []any, a nil (bulk, array or
// RESP3 null) nil, an error reply (or RESP3 blob error) an Error, a RESP3
// double a float64, a boolean a bool, a big number a *big.Int, a verbatim
// string a Verbatim, and a map, set or push a Map, Set or Push. An
// attribute is read and dropped: the value is the reply that follows it.
// The error is for the connection or the bytes (EOF, a timeout, a
// malformed reply), never for an error reply.
func ReadValue(r *bufio.Reader) (any, error) {
	return readValue(r, 0)
}

func readValue(r *bufio.Reader, depth int) (any, error) {
	line, n, err := readHeader(r, maxValueBulk)
	if err != nil {
		return nil, err
	}
	body := string(line[1 : len(line)-2])
	switch kind := line[0]; kind {
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
	case '(':
		i, ok := new(big.Int).SetString(body, 10)
		if !ok {
			return nil, fmt.Errorf("%w: big number %q", ErrMalformedReply, body)
		}
		return i, nil
	case '_':
		return nil, nil
	case '$', '=', '!':
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		if string(buf[n:]) != "\r\n" {
			return nil, fmt.Errorf("%w: %c string of %d bytes not ended by CRLF", ErrMalformedReply, kind, n)
		}
		switch kind {
		case '!':
			return Error(buf[:n]), nil
		case '=':
			if buf[3] != ':' {
				return nil, fmt.Errorf("%w: verbatim string %q", ErrMalformedReply, Clip(buf[:n], 16))
			}
			return Verbatim{Format: string(buf[:3]), Text: string(buf[4:n])}, nil
		}
		return string(buf[:n]), nil
	}
	// An aggregate: readHeader knows no other type.
	kind := line[0]
	if n > maxValueArray || depth >= maxValueDepth {
		return nil, fmt.Errorf("%w: aggregate of %d nested %d deep", ErrMalformedReply, n, depth)
	}
	if n < 0 {
		return nil, nil
	}
	elems := make([]any, elements(kind, n))
	for i := range elems {
		if elems[i], err = readValue(r, depth+1); err != nil {
			return nil, err
		}
	}
	switch kind {
	case '%':
		return Map(elems), nil
	case '~':
		return Set(elems), nil
	case '>':
		return Push(elems), nil
	case '|':
		return readValue(r, depth)
	}
	return elems, nil
}

// Kind is what a reply was, as Read tells it.
type Kind int

const (
	KindNil   Kind = iota // $-1, *-1 or _: a GET that missed
	KindValue             // a bulk or verbatim string: a GET that hit
	KindOK                // a simple string, an integer, a double, a boolean, a big number, or an aggregate without errors
	KindError             // an error reply, or an aggregate holding one
)

// Read reads one reply and says what kind it was, without allocating
// (but for an aggregate holding an error, or a blob error longer than
// r's buffer): the load path of the benchmarks, which only count hits,
// misses and errors. An error reply is not a Go error: it comes back as
// KindError with its text, valid until r's next read (for an aggregate,
// the first error inside it, copied). RESP3 push messages are not
// replies to a command: Read skips them and reads the reply after them;
// an attribute is skipped the same way.
func Read(r *bufio.Reader) (Kind, []byte, error) {
	for {
		line, n, err := readHeader(r, math.MaxInt64)
		if err != nil {
			return 0, nil, err
		}
		switch kind := line[0]; kind {
		case '-':
			return KindError, line[1 : len(line)-2], nil
		case '_':
			return KindNil, nil, nil
		case '$', '=':
			if n < 0 {
				return KindNil, nil, nil
			}
			_, err = r.Discard(n + 2)
			return KindValue, nil, err
		case '!':
			return readBlobError(r, n)
		case '>', '|':
			if err := skipReplies(r, elements(kind, n)); err != nil {
				return 0, nil, err
			}
			continue
		case '*', '%', '~':
			if n < 0 {
				return KindNil, nil, nil
			}
			var errReply []byte
			for range elements(kind, n) {
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
}

// readBlobError reads the body of a blob error of n bytes for Read: in
// place when r's buffer holds it, copied otherwise.
func readBlobError(r *bufio.Reader, n int) (Kind, []byte, error) {
	if body, err := r.Peek(n + 2); err == nil {
		_, err = r.Discard(n + 2)
		return KindError, body[:n], err
	}
	body := make([]byte, n+2)
	if _, err := io.ReadFull(r, body); err != nil {
		return 0, nil, err
	}
	return KindError, body[:n], nil
}

// skipReplies reads and drops n replies (a push message's or an
// attribute's elements).
func skipReplies(r *bufio.Reader, n int) error {
	for range n {
		if _, _, err := readSkipped(r); err != nil {
			return err
		}
	}
	return nil
}

// readSkipped is Read for the elements of a skipped aggregate: a push
// nested in one is an element like any other, not skipped again.
func readSkipped(r *bufio.Reader) (Kind, []byte, error) {
	line, n, err := readHeader(r, math.MaxInt64)
	if err != nil {
		return 0, nil, err
	}
	switch kind := line[0]; {
	case kind == '$' || kind == '=' || kind == '!':
		if n >= 0 {
			_, err = r.Discard(n + 2)
		}
	case isAggregate(kind):
		err = skipReplies(r, elements(kind, max(n, 0)))
	}
	return KindOK, nil, err
}
