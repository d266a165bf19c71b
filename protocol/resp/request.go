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
//
// What a client can make it hold is bounded by what the client actually
// sent: the buffer grows (doubling) only when the bytes that arrived fill
// it, never to a length a header announces, so an 18-byte
// "*1\r\n$536870000\r\n" costs nothing. An incomplete command's parse
// state is kept between reads, so a command sent a few bytes at a time
// costs work linear in its length, not quadratic.
const (
	maxMultibulkLen = 1024 * 1024 // arguments in one command (Redis 2.x's limit)
	maxInlineLen    = 64 * 1024   // Redis's PROTO_INLINE_MAX_SIZE
	readBufSize     = 16 * 1024   // a connection's read buffer, grown for large commands

	// What Redis accepts from a client that has not authenticated yet
	// (networking.c): enough for AUTH and HELLO, nothing an attacker can
	// use to make the server hold memory.
	unauthMaxMultibulk = 10
	unauthMaxBulk      = 16 * 1024
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

	// Unauthenticated makes the reader apply Redis's limits for clients
	// that have not authenticated, and hand over one command at a time:
	// the command that authenticates must run before the next is framed
	// under the stricter limits.
	Unauthenticated bool

	pend pending // the incomplete command at buf[start:], if any

	// scanned counts the bytes parsed, for tests that check the work is
	// linear in the input.
	scanned int
}

// pending is the parse state of a command whose bytes have not all
// arrived, kept between reads. Offsets are relative to the command's
// first byte, so they survive the buffer moving or growing.
type pending struct {
	multibulk bool   // the header "*<n>" has been parsed
	count     int    // arguments announced
	pos       int    // where the next unparsed argument starts
	args      []span // the arguments parsed so far
	inline    int    // for an inline command: bytes already searched for '\n'
}

type span struct{ off, len int }

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

// Buffered returns the bytes received and not yet handed over (Redis's
// qbuf) and the free space after them (qbuf-free).
func (r *Reader) Buffered() (used, free int) { return r.end - r.start, len(r.buf) - r.end }

// Size returns the bytes the reader's buffer takes.
func (r *Reader) Size() int { return cap(r.buf) }

// fill reads more bytes, first making room when the buffer is full: the
// unread bytes move to the front when that frees at least half the
// buffer, else the buffer doubles. Either way the bytes copied are paid
// for by the bytes that arrived, so a slowly sent command costs linear
// work, and the buffer is never more than twice what the client sent.
func (r *Reader) fill() error {
	pending := r.end - r.start
	if int64(pending) >= r.lim.ClientQueryBufferLimit() {
		return ErrQueryBufferLimit
	}
	if r.end == len(r.buf) {
		if r.start >= len(r.buf)/2 {
			copy(r.buf, r.buf[r.start:r.end])
		} else {
			size := int(min(int64(2*len(r.buf)), r.lim.ClientQueryBufferLimit()+1))
			nb := make([]byte, size)
			copy(nb, r.buf[r.start:r.end])
			r.buf = nb
		}
		r.start, r.end = 0, pending
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
// quiet connection does not keep it. It returns the bytes let go.
func (r *Reader) Shrink() int {
	if r.start == r.end && len(r.buf) > 4*readBufSize {
		n := len(r.buf)
		r.buf, r.start, r.end = make([]byte, readBufSize), 0, 0
		return n
	}
	return 0
}

// parse appends every complete command in the buffer to r.cmds (only the
// first while Unauthenticated).
func (r *Reader) parse() error {
	for r.start < r.end {
		if r.Unauthenticated && len(r.cmds) > 0 {
			return nil
		}
		var n int
		var err error
		if r.pend.multibulk || r.buf[r.start] == '*' {
			n, err = r.parseMultibulk()
		} else {
			n, err = r.parseInline()
		}
		if err != nil || n == 0 {
			return err
		}
		r.start += n
		r.pend = pending{args: r.pend.args[:0]}
	}
	r.start, r.end = 0, 0
	return nil
}

// parseInline handles a telnet-style command line, rare enough to leave
// to redcon's parser (quotes and escapes included). It returns 0 while the
// line is incomplete, remembering how far it has searched.
func (r *Reader) parseInline() (int, error) {
	b := r.buf[r.start:r.end]
	i := bytes.IndexByte(b[r.pend.inline:], '\n')
	r.scanned += len(b) - r.pend.inline
	if i < 0 {
		if len(b) > maxInlineLen {
			return 0, ProtocolError("too big inline request")
		}
		r.pend.inline = len(b)
		return 0, nil
	}
	i += r.pend.inline
	if i > maxInlineLen {
		return 0, ProtocolError("too big inline request")
	}
	line := b[:i+1]
	if len(bytes.TrimSpace(line)) == 0 {
		return i + 1, nil // an empty line is ignored, as in Redis
	}
	if bytes.IndexByte(line, '"') < 0 && bytes.IndexByte(line, '\'') < 0 {
		// No quotes: split on spaces in place, as redcon.Parse would, but
		// with the arguments aliasing the buffer as a multibulk's do;
		// redcon re-encodes the line as a multibulk and copies each
		// argument (6 allocations for an inline PING).
		text := line[:len(line)-1] // without the '\n'
		if n := len(text); n > 0 && text[n-1] == '\r' {
			text = text[:n-1]
		}
		first := len(r.argv)
		for len(text) > 0 {
			j := bytes.IndexByte(text, ' ')
			if j < 0 {
				j = len(text)
			}
			if j > 0 {
				r.argv = append(r.argv, text[:j:j])
			}
			text = text[min(j+1, len(text)):]
		}
		r.cmds = append(r.cmds, r.argv[first:len(r.argv):len(r.argv)])
		return i + 1, nil
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

// parseMultibulk parses "*<n>\r\n" and n "$<len>\r\n<bytes>\r\n",
// going on from where the previous call stopped. It returns 0 bytes
// consumed while the command is incomplete.
func (r *Reader) parseMultibulk() (int, error) {
	b := r.buf[r.start:r.end]
	p := &r.pend
	if !p.multibulk {
		count, pos, ok, err := parseLength(b, 1, maxMultibulkLen, "invalid multibulk length")
		r.scanned += min(len(b), pos+1)
		if !ok || err != nil {
			return 0, err
		}
		if count <= 0 {
			return pos, nil // "*0" and "*-1" are ignored, as in Redis
		}
		if r.Unauthenticated && count > unauthMaxMultibulk {
			return 0, ProtocolError("unauthenticated multibulk length")
		}
		p.multibulk, p.count, p.pos = true, int(count), pos
	}
	maxBulk := r.lim.ProtoMaxBulkLen()
	for len(p.args) < p.count {
		pos := p.pos
		if pos >= len(b) {
			return 0, nil
		}
		if b[pos] != '$' {
			return 0, ProtocolError("expected '$', got '" + string(b[pos]) + "'")
		}
		size, next, ok, err := parseLength(b, pos+1, maxBulk, "invalid bulk length")
		if err != nil {
			return 0, err
		}
		if ok && size < 0 {
			return 0, ProtocolError("invalid bulk length")
		}
		if ok && r.Unauthenticated && size > unauthMaxBulk {
			return 0, ProtocolError("unauthenticated bulk length")
		}
		if !ok || next+int(size)+2 > len(b) {
			r.scanned += min(len(b)-pos, 22) // the header, parsed again next time
			return 0, nil
		}
		end := next + int(size)
		if b[end] != '\r' || b[end+1] != '\n' {
			return 0, ProtocolError("invalid bulk length")
		}
		r.scanned += end + 2 - pos
		p.args = append(p.args, span{next, int(size)})
		p.pos = end + 2
	}
	first := len(r.argv)
	for _, a := range p.args {
		r.argv = append(r.argv, b[a.off:a.off+a.len:a.off+a.len])
	}
	r.cmds = append(r.cmds, r.argv[first:len(r.argv):len(r.argv)])
	return p.pos, nil
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
