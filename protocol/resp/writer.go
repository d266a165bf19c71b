package resp

import (
	"io"
	"math"
	"strconv"
	"sync/atomic"

	"github.com/tidwall/redcon"
)

// Writer buffers a connection's replies until Flush. Every handler writes
// through it, so that the protocol version a client speaks is decided here
// and not in each handler, and so that the server can see how much is
// buffered (Buffered) and write it out before it grows large. The
// encoding is redcon's (its Append functions), byte for byte Redis's.
type Writer struct {
	w   io.Writer
	b   []byte
	err error // the first write error; later writes are dropped
	// proto is 2 or 3 (HELLO); the zero value speaks RESP2. Atomic
	// because other connections read it (CLIENT LIST's resp=); only the
	// connection's own goroutine sets it, and a load costs a plain read.
	proto atomic.Int32
}

// SetProto makes later replies RESP2 (2) or RESP3 (3).
func (w *Writer) SetProto(proto int) { w.proto.Store(int32(proto)) }

// Proto returns the protocol version replies are written in: 2 or 3.
// Another goroutine may call it.
func (w *Writer) Proto() int {
	if w.RESP3() {
		return 3
	}
	return 2
}

// RESP3 reports whether replies are written in RESP3.
func (w *Writer) RESP3() bool { return w.proto.Load() == 3 }

// maxKeptBuffer is the largest reply buffer kept for reuse after a Flush:
// a connection that once sent a large reply does not hold its buffer.
const maxKeptBuffer = 256 << 10

// NewWriter returns a writer of replies to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Buffered returns the bytes of replies not yet flushed.
func (w *Writer) Buffered() int { return len(w.b) }

// Flush writes the buffered replies in one write. After a write error
// every later Flush returns it.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if len(w.b) > 0 {
		_, w.err = w.w.Write(w.b)
	}
	if cap(w.b) > maxKeptBuffer || w.err != nil {
		w.b = nil
	} else {
		w.b = w.b[:0]
	}
	return w.err
}

// WriteNull replies with the null bulk string (RESP3: the null).
func (w *Writer) WriteNull() {
	if w.RESP3() {
		w.b = append(w.b, "_\r\n"...)
		return
	}
	w.b = redcon.AppendNull(w.b)
}

// WriteMap starts a map of count key-value pairs: RESP3's map, or in
// RESP2 a flat array of 2*count elements, as Redis sends.
func (w *Writer) WriteMap(count int) {
	if w.RESP3() {
		w.b = appendHeader(w.b, '%', count)
		return
	}
	w.b = redcon.AppendArray(w.b, 2*count)
}

// WriteSet starts a set of count elements: RESP3's set, or an array.
func (w *Writer) WriteSet(count int) {
	if w.RESP3() {
		w.b = appendHeader(w.b, '~', count)
		return
	}
	w.b = redcon.AppendArray(w.b, count)
}

// WritePush starts an out-of-band push message of count elements:
// RESP3's push type, or in RESP2 an array (pub/sub messages).
func (w *Writer) WritePush(count int) { w.b = AppendPushHeader(w.b, w.RESP3(), count) }

// AppendPushHeader appends the header of a push message of count
// elements, for encoders outside a Writer (a message published once and
// delivered to many connections): RESP3's push type, or a RESP2 array.
func AppendPushHeader(b []byte, resp3 bool, count int) []byte {
	if resp3 {
		return appendHeader(b, '>', count)
	}
	return redcon.AppendArray(b, count)
}

// AppendBulk appends a bulk string, encoded as the Writer encodes one.
func AppendBulk(b, bulk []byte) []byte { return redcon.AppendBulk(b, bulk) }

// WriteDouble replies with a double: RESP3's double, or in RESP2 a bulk
// string, formatted as Redis 7.0 does (%.17g; inf, -inf, nan).
func (w *Writer) WriteDouble(f float64) {
	if w.RESP3() {
		w.b = append(w.b, ',')
		w.b = AppendDouble(w.b, f)
		w.b = append(w.b, '\r', '\n')
		return
	}
	var buf [32]byte
	w.b = redcon.AppendBulk(w.b, AppendDouble(buf[:0], f))
}

// AppendDouble appends f as Redis 7.0 prints doubles in replies.
func AppendDouble(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

// WriteBool replies with a boolean: RESP3's, or the integer 1 or 0.
func (w *Writer) WriteBool(v bool) {
	resp3 := w.RESP3()
	switch {
	case resp3 && v:
		w.b = append(w.b, "#t\r\n"...)
	case resp3:
		w.b = append(w.b, "#f\r\n"...)
	case v:
		w.b = redcon.AppendInt(w.b, 1)
	default:
		w.b = redcon.AppendInt(w.b, 0)
	}
}

// WriteVerbatim replies with text as RESP3's verbatim string of the given
// three-letter format ("txt", "mkd"), or in RESP2 a bulk string.
func (w *Writer) WriteVerbatim(format, text string) {
	if !w.RESP3() {
		w.b = redcon.AppendBulkString(w.b, text)
		return
	}
	w.b = appendHeader(w.b, '=', len(format)+1+len(text))
	w.b = append(w.b, format...)
	w.b = append(w.b, ':')
	w.b = append(w.b, text...)
	w.b = append(w.b, '\r', '\n')
}

// WriteBigNumber replies with an integer of any size, given as its
// decimal digits (with an optional sign): RESP3's big number, or in RESP2
// a bulk string, as Redis converts one (a script's big_number reply).
func (w *Writer) WriteBigNumber(digits string) {
	if !w.RESP3() {
		w.b = redcon.AppendBulkString(w.b, digits)
		return
	}
	w.b = append(w.b, '(')
	w.b = append(w.b, digits...)
	w.b = append(w.b, '\r', '\n')
}

// appendHeader appends a RESP type byte, a count and CRLF.
func appendHeader(b []byte, kind byte, n int) []byte {
	b = append(b, kind)
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

// WriteArray starts an array of count elements.
func (w *Writer) WriteArray(count int) { w.b = redcon.AppendArray(w.b, count) }

// WriteBulk replies with a bulk string.
func (w *Writer) WriteBulk(bulk []byte) { w.b = redcon.AppendBulk(w.b, bulk) }

// WriteBulkString replies with a bulk string.
func (w *Writer) WriteBulkString(bulk string) { w.b = redcon.AppendBulkString(w.b, bulk) }

// WriteError replies with an error; msg starts with its code ("ERR ...").
func (w *Writer) WriteError(msg string) { w.b = redcon.AppendError(w.b, msg) }

// WriteString replies with a simple string.
func (w *Writer) WriteString(msg string) { w.b = redcon.AppendString(w.b, msg) }

// WriteInt replies with an integer.
func (w *Writer) WriteInt(n int) { w.b = redcon.AppendInt(w.b, int64(n)) }

// WriteInt64 replies with an integer.
func (w *Writer) WriteInt64(n int64) { w.b = redcon.AppendInt(w.b, n) }

// WriteRaw appends bytes that are already a RESP reply.
func (w *Writer) WriteRaw(data []byte) { w.b = append(w.b, data...) }

// WriteStringArray replies with an array of bulk strings.
func (w *Writer) WriteStringArray(items []string) {
	w.WriteArray(len(items))
	for _, s := range items {
		w.WriteBulkString(s)
	}
}

// nullArray is RESP2's null array, the reply of a failed EXEC or a
// BLPOP that timed out.
var nullArray = []byte("*-1\r\n")

// WriteNullArray replies with the null array (RESP3: the null).
func (w *Writer) WriteNullArray() {
	if w.RESP3() {
		w.b = append(w.b, "_\r\n"...)
		return
	}
	w.WriteRaw(nullArray)
}

// Clip shortens b to n bytes and makes it safe to quote inside a one-line
// error reply: CR and LF become spaces, every other byte passes as it is.
func Clip(b []byte, n int) string {
	if len(b) > n {
		b = b[:n]
	}
	out := []byte(string(b))
	for i, ch := range out {
		if ch == '\r' || ch == '\n' {
			out[i] = ' '
		}
	}
	return string(out)
}
