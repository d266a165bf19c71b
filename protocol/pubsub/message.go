package pubsub

import (
	"sync"

	"github.com/cachesrv/cachesrv/protocol/resp"
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
		b := resp.AppendPushHeader(nil, resp3, n)
		b = resp.AppendBulk(b, []byte(m.Kind))
		if m.Pattern != nil {
			b = resp.AppendBulk(b, m.Pattern)
		}
		b = resp.AppendBulk(b, m.Channel)
		m.enc[i] = resp.AppendBulk(b, m.Payload)
	})
	return m.enc[i]
}
