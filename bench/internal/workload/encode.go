package workload

import "fmt"

// Encoder appends RESP GET and SET commands for benchmark keys (AppendKey)
// to a buffer without allocating, so that a load generator's own cost
// stays out of what it measures.
type Encoder struct {
	setTail []byte // "$<len>\r\n<value>\r\n", the end of every SET
}

// NewEncoder returns an encoder whose SETs store value.
func NewEncoder(value []byte) *Encoder {
	t := fmt.Appendf(nil, "$%d\r\n", len(value))
	t = append(t, value...)
	return &Encoder{setTail: append(t, "\r\n"...)}
}

// keyHeader is the bulk header of every benchmark key, all of one length.
var keyHeader = fmt.Sprintf("$%d\r\n", len(AppendKey(nil, 0)))

// Get appends GET of key number key.
func (e *Encoder) Get(buf []byte, key int) []byte {
	buf = append(buf, "*2\r\n$3\r\nGET\r\n"...)
	buf = append(buf, keyHeader...)
	buf = AppendKey(buf, key)
	return append(buf, "\r\n"...)
}

// Set appends SET of key number key to the encoder's value.
func (e *Encoder) Set(buf []byte, key int) []byte {
	buf = append(buf, "*3\r\n$3\r\nSET\r\n"...)
	buf = append(buf, keyHeader...)
	buf = AppendKey(buf, key)
	buf = append(buf, "\r\n"...)
	return append(buf, e.setTail...)
}

// MaxLen is the most bytes one command appends.
func (e *Encoder) MaxLen() int { return 64 + len(e.setTail) }
