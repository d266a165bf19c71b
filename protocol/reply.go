package protocol

import (
	"math"
	"strconv"
)

// Redis's error replies, word for word: clients and their users match on them.
const (
	errSyntax      = "ERR syntax error"
	errNotInteger  = "ERR value is not an integer or out of range"
	errNotFloat    = "ERR value is not a valid float"
	errOverflow    = "ERR increment or decrement would overflow"
	errNaNOrInf    = "ERR increment would produce NaN or Infinity"
	errNoSuchKey   = "ERR no such key"
	errDBRange     = "ERR DB index is out of range"
	errTooBig      = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errOffsetRange = "ERR offset is out of range"
)

var nullArray = []byte("*-1\r\n")

// parseInt parses a 64-bit integer the way Redis's string2ll does: an
// optional '-', then digits with no leading zero, nothing else.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	d := b
	if neg {
		d = b[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, ch := range d {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(ch-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// parseFloat parses a float as Redis's INCRBYFLOAT does: no surrounding
// space, no NaN.
func parseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || b[0] == ' ' || b[len(b)-1] == ' ' {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil && !isRangeErr(err) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// formatFloat renders a float the way Redis replies to INCRBYFLOAT: plain
// decimal, no exponent, no trailing zeros.
func formatFloat(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// writeIntArg parses args[i] as an integer, replying with Redis's error
// when it is not one.
func (c *client) intArg(b []byte) (int64, bool) {
	n, ok := parseInt(b)
	if !ok {
		c.errorReply(errNotInteger)
	}
	return n, ok
}

// writeBool replies 1 or 0.
func (c *client) writeBool(b bool) {
	if b {
		c.WriteInt(1)
	} else {
		c.WriteInt(0)
	}
}

// writeStringArray replies with an array of bulk strings.
func (c *client) writeStringArray(items []string) {
	c.WriteArray(len(items))
	for _, s := range items {
		c.WriteBulkString(s)
	}
}
