package resp

import (
	"io"

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
}

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

// WriteNull replies with the null bulk string.
func (w *Writer) WriteNull() { w.b = redcon.AppendNull(w.b) }

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

// WriteNullArray replies with the null array.
func (w *Writer) WriteNullArray() { w.WriteRaw(nullArray) }

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
