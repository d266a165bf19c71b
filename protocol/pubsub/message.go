package pubsub

import (
	"strconv"
	"sync"
)

// Message is one published message, encoded at most once per protocol
// however many subscribers receive it.
type Message struct {
	Kind    string // "message", "pmessage", "smessage"
	Pattern []byte // for pmessage
	Channel []byte
	Payload []byte

	once [2]sync.Once
	enc  [2][]byte
}

// Encode returns the message as a RESP2 array or, for RESP3, a push.
// The bytes are shared: callers must not modify them.
func (m *Message) Encode(resp3 bool) []byte {
	i := 0
	if resp3 {
		i = 1
	}
	m.once[i].Do(func() {
		n := 3
		if m.Pattern != nil {
			n = 4
		}
		b := AppendHeader(nil, resp3, n)
		b = AppendBulk(b, []byte(m.Kind))
		if m.Pattern != nil {
			b = AppendBulk(b, m.Pattern)
		}
		b = AppendBulk(b, m.Channel)
		m.enc[i] = AppendBulk(b, m.Payload)
	})
	return m.enc[i]
}

// AppendHeader appends the header of an out-of-band message of n
// elements: a RESP3 push, or in RESP2 an array.
func AppendHeader(b []byte, resp3 bool, n int) []byte {
	if resp3 {
		b = append(b, '>')
	} else {
		b = append(b, '*')
	}
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

// AppendBulk appends a bulk string.
func AppendBulk(b, s []byte) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}
