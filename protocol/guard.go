package protocol

import (
	"bytes"
	"errors"
	"net"
	"sync/atomic"
	"time"
)

// Limits redcon does not enforce on its own. redcon's reader grows its
// buffer for as long as a command is incomplete, and loops over a
// multibulk count before it knows the bytes are there; unchecked, one
// client could make the server allocate without bound or spin. guardConn
// sits between the socket and redcon and follows the RESP framing as bytes
// stream past (no copying, O(1) state), refusing what Redis would refuse.
const (
	maxMultibulkLen = 1024 * 1024 // arguments in one command (Redis 2.x's limit)
	maxInlineLen    = 64 * 1024   // Redis's PROTO_INLINE_MAX_SIZE
	maxHeaderLen    = 32          // digits and sign of a length header, with slack
)

// errClientClosed ends a connection the server decided to drop; the reply,
// if any, has already been written.
var errClientClosed = errors.New("client closed by server")

type frameState uint8

const (
	stStart     frameState = iota // before a command
	stInline                      // inside an inline (telnet-style) command
	stMultiLen                    // inside "*<count>\r\n"
	stBulkStart                   // expecting '$'
	stBulkLen                     // inside "$<len>\r\n"
	stBulkBody                    // inside a bulk's bytes and its CRLF
)

type guardConn struct {
	net.Conn
	cfg     *Config
	closing *atomic.Bool // server shutting down: stop reading

	state   frameState
	num     int64 // length being parsed
	neg     bool
	digits  int
	args    int64  // bulks left in this command
	skip    int64  // bulk bytes (and CRLF) left
	pending int64  // bytes of the current, incomplete command
	failed  error  // reported by the next Read
	reply   string // error reply to write before reporting failed
	timed   bool   // a read deadline is set
}

func (g *guardConn) Read(p []byte) (int, error) {
	if g.failed != nil {
		// redcon has run and flushed the commands before the bad one.
		if g.reply != "" {
			g.Conn.Write([]byte(g.reply))
			g.reply = ""
		}
		return 0, g.failed
	}
	if g.closing.Load() {
		return 0, errClientClosed
	}
	if t := g.cfg.Timeout.Load(); t > 0 {
		g.SetReadDeadline(time.Now().Add(time.Duration(t) * time.Second))
		g.timed = true
	} else if g.timed {
		g.SetReadDeadline(time.Time{})
		g.timed = false
	}
	if g.closing.Load() { // lost a race with shutdown's wake-up deadline
		return 0, errClientClosed
	}
	n, err := g.Conn.Read(p)
	if n == 0 {
		return n, err
	}
	cut, ferr := g.scan(p[:n])
	if ferr == nil {
		return n, err
	}
	if msg := ferr.Error(); msg != "" {
		g.reply = "-ERR Protocol error: " + msg + "\r\n"
	}
	g.failed = errClientClosed
	if cut > 0 {
		// Let redcon run the complete commands before the bad one; the
		// error goes out after their replies, on the next Read.
		return cut, nil
	}
	return g.Read(p)
}

// protoErr is a framing error; an empty message closes without a reply.
type protoErr string

func (e protoErr) Error() string { return string(e) }

// scan advances the framing state over b. On a violation it returns the
// offset in b where the offending command began (0 if before b) and the
// error.
func (g *guardConn) scan(b []byte) (int, error) {
	cmdStart := 0
	if g.state != stStart {
		cmdStart = -int(g.pending) // began in an earlier read
	}
	limit := g.cfg.ClientQueryBufferLimit.Load()
	fail := func(e protoErr) (int, error) { return max(cmdStart, 0), e }
	for i := 0; i < len(b); {
		switch g.state {
		case stStart:
			cmdStart = i
			g.pending = 0
			if b[i] == '*' {
				g.state, g.num, g.neg, g.digits = stMultiLen, 0, false, 0
				i++
			} else {
				g.state = stInline
			}
		case stInline:
			j := bytes.IndexByte(b[i:], '\n')
			if j < 0 {
				g.pending += int64(len(b) - i)
				i = len(b)
			} else {
				g.pending += int64(j + 1)
				i += j + 1
				g.state = stStart
			}
			if g.pending > maxInlineLen {
				return fail("too big inline request")
			}
			continue
		case stMultiLen, stBulkLen:
			c := b[i]
			i++
			switch {
			case c >= '0' && c <= '9':
				g.num = g.num*10 + int64(c-'0')
				g.digits++
			case c == '-' && g.digits == 0 && !g.neg:
				g.neg = true
			case c == '\r':
			case c == '\n':
				if g.state == stMultiLen {
					if g.digits == 0 || g.num > maxMultibulkLen {
						return fail("invalid multibulk length")
					}
					if g.neg || g.num == 0 {
						// redcon answers these itself.
						g.state = stStart
						break
					}
					g.args, g.state = g.num, stBulkStart
				} else {
					if g.digits == 0 || g.neg || g.num > g.cfg.ProtoMaxBulkLen.Load() {
						return fail("invalid bulk length")
					}
					g.skip, g.state = g.num+2, stBulkBody
				}
			default:
				if g.state == stMultiLen {
					return fail("invalid multibulk length")
				}
				return fail("invalid bulk length")
			}
			if g.digits > maxHeaderLen {
				return fail("invalid bulk length")
			}
			g.pending++
		case stBulkStart:
			if b[i] != '$' {
				return fail(protoErr("expected '$', got '" + string(b[i]) + "'"))
			}
			g.state, g.num, g.neg, g.digits = stBulkLen, 0, false, 0
			g.pending++
			i++
		case stBulkBody:
			n := min(g.skip, int64(len(b)-i))
			g.skip -= n
			g.pending += n
			i += int(n)
			if g.skip == 0 {
				g.args--
				if g.args == 0 {
					g.state = stStart
				} else {
					g.state = stBulkStart
				}
			}
		}
		if g.pending > limit {
			return fail("") // Redis closes such a client without a reply
		}
	}
	return 0, nil
}
