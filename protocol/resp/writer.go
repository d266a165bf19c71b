package resp

import (
	"io"

	"github.com/tidwall/redcon"
)

// Writer buffers a connection's replies until Flush. It is redcon's
// writer plus the reply shapes several command families share; every
// handler writes through it, so that the protocol version a client speaks
// is decided here and not in each handler.
type Writer struct {
	*redcon.Writer
}

// NewWriter returns a writer of replies to w.
func NewWriter(w io.Writer) Writer { return Writer{redcon.NewWriter(w)} }

// WriteStringArray replies with an array of bulk strings.
func (w Writer) WriteStringArray(items []string) {
	w.WriteArray(len(items))
	for _, s := range items {
		w.WriteBulkString(s)
	}
}

// nullArray is RESP2's null array, the reply of a failed EXEC or a
// BLPOP that timed out.
var nullArray = []byte("*-1\r\n")

// WriteNullArray replies with the null array.
func (w Writer) WriteNullArray() { w.WriteRaw(nullArray) }

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
