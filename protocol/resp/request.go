package resp

import (
	"bytes"
	"io"

	"github.com/tidwall/redcon"
)

// Why cachesrv frames requests itself rather than through redcon's
// server loop (replies still go through redcon's Writer, inline commands
// through redcon.Parse): measured over loopback, redcon's reader made two
// allocations per command (a copy of the raw command and its argument
// slice, ~590 B per 100-byte SET) and, having no limits, grew its buffer
// for as long as a client kept a command incomplete, and looped over a
// multibulk count before checking the bytes were there, so one client
// could make the server allocate without bound or spin. This reader hands
// over every complete command in its buffer at once (the pipeline), with
// arguments that alias the buffer (no copy, no allocation once warm), and
// refuses what Redis refuses, with Redis's errors.
const (
	maxMultibulkLen = 1024 * 1024 // arguments in one command (Redis 2.x's limit)
	maxInlineLen    = 64 * 1024   // Redis's PROTO_INLINE_MAX_SIZE
	readBufSize     = 16 * 1024   // a connection's read buffer, grown for large commands
)

// ProtocolError is a framing error: the client gets
// "-ERR Protocol error: <msg>" and is closed. ErrQueryBufferLimit, the
// empty message, closes it without a reply, as Redis does.
type ProtocolError string

func (e ProtocolError) Error() string { return string(e) }

// ErrQueryBufferLimit: the client kept more unfinished input than
// client-query-buffer-limit allows.
var ErrQueryBufferLimit = ProtocolError("")

// Limits are the settings the reader enforces, read on every fill so that
// CONFIG SET applies to connections already open.
type Limits interface {
	ProtoMaxBulkLen() int64        // largest bulk string
	ClientQueryBufferLimit() int64 // largest unfinished command
}

// Reader frames RESP requests read from one connection.
type Reader struct {
	rd         io.Reader
	lim        Limits
	buf        []byte
	start, end int        // unread bytes are buf[start:end]
	argv       [][]byte   // arguments of the commands handed out, reused
	cmds       [][][]byte // the commands handed out, reused
	need       int        // bytes a pending incomplete command needs, when known
}

// NewReader returns a reader of the requests arriving on rd.
func NewReader(rd io.Reader, lim Limits) *Reader {
	return &Reader{rd: rd, lim: lim, buf: make([]byte, readBufSize)}
}

// ReadPipeline returns every complete command buffered, reading from the
// connection until there is at least one. The argument slices alias the
// reader's buffer and are valid until the next call.
func (r *Reader) ReadPipeline() ([][][]byte, error) {
	r.argv, r.cmds = r.argv[:0], r.cmds[:0]
	for {
		if err := r.parse(); err != nil {
			return r.cmds, err
		}
		if len(r.cmds) > 0 {
			return r.cmds, nil
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// fill reads more bytes, first making room: the unread bytes move to the
// front, and the buffer grows when a command needs more than it holds.
func (r *Reader) fill() error {
	pending := r.end - r.start
	if int64(pending) >= r.lim.ClientQueryBufferLimit() {
		return ErrQueryBufferLimit
	}
	if r.start > 0 {
		copy(r.buf, r.buf[r.start:r.end])
		r.start, r.end = 0, pending
	}
	if r.end == len(r.buf) || r.need > len(r.buf) {
		size := max(2*len(r.buf), r.need)
		size = int(min(int64(size), r.lim.ClientQueryBufferLimit()+1))
		nb := make([]byte, size)
		copy(nb, r.buf[:r.end])
		r.buf = nb
	}
	n, err := r.rd.Read(r.buf[r.end:])
	r.end += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// Shrink drops a buffer grown for one large command once it is idle, so a
// quiet connection does not keep it.
func (r *Reader) Shrink() {
	if r.start == r.end && len(r.buf) > 4*readBufSize {
		r.buf, r.start, r.end = make([]byte, readBufSize), 0, 0
	}
}

// parse appends every complete command in the buffer to r.cmds.
func (r *Reader) parse() error {
	for r.start < r.end {
		b := r.buf[r.start:r.end]
		var n int
		var err error
		if b[0] == '*' {
			n, err = r.parseMultibulk(b)
		} else {
			n, err = r.parseInline(b)
		}
		if err != nil || n == 0 {
			return err
		}
		r.start += n
		r.need = 0
	}
	r.start, r.end = 0, 0
	return nil
}

// parseInline handles a telnet-style command line, rare enough to leave
// to redcon's parser (quotes and escapes included).
func (r *Reader) parseInline(b []byte) (int, error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(b) > maxInlineLen {
			return 0, ProtocolError("too big inline request")
		}
		return 0, nil
	}
	if i > maxInlineLen {
		return 0, ProtocolError("too big inline request")
	}
	line := b[:i+1]
	if len(bytes.TrimSpace(line)) == 0 {
		return i + 1, nil // an empty line is ignored, as in Redis
	}
	cmd, err := redcon.Parse(line)
	if err != nil {
		var msg string
		if msg = err.Error(); len(msg) > len("Protocol error: ") && msg[:16] == "Protocol error: " {
			msg = msg[16:]
		}
		return 0, ProtocolError(msg)
	}
	r.cmds = append(r.cmds, cmd.Args)
	return i + 1, nil
}

// parseMultibulk parses "*<n>\r\n" and n "$<len>\r\n<bytes>\r\n". It
// returns 0 bytes consumed while the command is incomplete.
func (r *Reader) parseMultibulk(b []byte) (int, error) {
	count, pos, ok, err := parseLength(b, 1, maxMultibulkLen, "invalid multibulk length")
	if !ok || err != nil {
		return 0, err
	}
	if count <= 0 {
		return pos, nil // "*0" and "*-1" are ignored, as in Redis
	}
	first := len(r.argv)
	maxBulk := r.lim.ProtoMaxBulkLen()
	for range count {
		if pos >= len(b) {
			r.argv = r.argv[:first]
			return 0, nil
		}
		if b[pos] != '$' {
			return 0, ProtocolError("expected '$', got '" + string(b[pos]) + "'")
		}
		size, next, ok, err := parseLength(b, pos+1, maxBulk, "invalid bulk length")
		if err != nil {
			return 0, err
		}
		if !ok || next+int(size)+2 > len(b) {
			if ok {
				// Known size: let fill grow the buffer once, to fit.
				r.need = next + int(size) + 2
			}
			r.argv = r.argv[:first]
			return 0, nil
		}
		if size < 0 || b[next+int(size)] != '\r' || b[next+int(size)+1] != '\n' {
			return 0, ProtocolError("invalid bulk length")
		}
		r.argv = append(r.argv, b[next:next+int(size):next+int(size)])
		pos = next + int(size) + 2
	}
	r.cmds = append(r.cmds, r.argv[first:len(r.argv):len(r.argv)])
	return pos, nil
}

// parseLength parses the decimal after b[i-1] ('*' or '$') up to CRLF. ok
// is false while the line is incomplete. A value above limit, or anything
// but an optional '-' and digits, is the protocol error msg.
func parseLength(b []byte, i int, limit int64, msg string) (n int64, next int, ok bool, err error) {
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	digits := 0
	for ; i < len(b); i++ {
		ch := b[i]
		if ch >= '0' && ch <= '9' {
			n = n*10 + int64(ch-'0')
			if digits++; digits > 18 || n > limit {
				return 0, 0, false, ProtocolError(msg)
			}
			continue
		}
		if ch != '\r' {
			return 0, 0, false, ProtocolError(msg)
		}
		if i+1 >= len(b) {
			return 0, 0, false, nil
		}
		if b[i+1] != '\n' || digits == 0 {
			return 0, 0, false, ProtocolError(msg)
		}
		if neg {
			n = -n
		}
		return n, i + 2, true, nil
	}
	return 0, 0, false, nil // the line is not complete yet
}
