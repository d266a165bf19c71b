// Package pubsub keeps who is subscribed to what, for PUBLISH, SPUBLISH,
// keyspace notifications and client-side caching's RESP2 redirection: the
// channel and pattern tables and the encoding of messages. Delivering the
// bytes to a connection is the subscriber's job (protocol's outbox); the
// hub never blocks on one.
package pubsub

import (
	"slices"
	"sync"

	"github.com/cachesrv/cachesrv/protocol/glob"
)

// Kind is the kind of a subscription: to a channel, to a pattern, or to a
// shard channel (SSUBSCRIBE).
type Kind uint8

const (
	Channel Kind = iota
	Pattern
	ShardChannel
	numKinds
)

// Subscriber is a connection that receives messages. Deliver queues one
// message; it must not block, and may drop the connection if its limits
// are passed. DeliverNow is for the publishing connection itself, which
// Redis answers with the message before PUBLISH's reply: it runs on that
// connection's own goroutine.
type Subscriber interface {
	Deliver(m *Message)
	DeliverNow(m *Message)
}

// deliver hands m to s, inline if s is the publisher.
func deliver(s, publisher Subscriber, m *Message) {
	if s == publisher {
		s.DeliverNow(m)
	} else {
		s.Deliver(m)
	}
}

// Hub is the server's subscription tables. Publishing takes a read lock,
// so publishers do not wait for one another.
type Hub struct {
	mu     sync.RWMutex
	tables [numKinds]map[string]map[Subscriber]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	h := &Hub{}
	for i := range h.tables {
		h.tables[i] = map[string]map[Subscriber]struct{}{}
	}
	return h
}

// Subscribe adds s to name's subscribers and reports whether it was not
// one already.
func (h *Hub) Subscribe(k Kind, s Subscriber, name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	subs := h.tables[k][name]
	if subs == nil {
		subs = map[Subscriber]struct{}{}
		h.tables[k][name] = subs
	}
	if _, ok := subs[s]; ok {
		return false
	}
	subs[s] = struct{}{}
	return true
}

// Unsubscribe removes s from name's subscribers and reports whether it
// was one.
func (h *Hub) Unsubscribe(k Kind, s Subscriber, name string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	subs := h.tables[k][name]
	if _, ok := subs[s]; !ok {
		return false
	}
	delete(subs, s)
	if len(subs) == 0 {
		delete(h.tables[k], name)
	}
	return true
}

// Publish delivers payload to channel's subscribers and to those of every
// matching pattern, and returns how many received it, as PUBLISH replies.
// publisher, if not nil, is the publishing connection's own subscriber.
func (h *Hub) Publish(channel, payload []byte, publisher Subscriber) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := 0
	if subs := h.tables[Channel][string(channel)]; len(subs) > 0 {
		m := &Message{Kind: "message", Channel: channel, Payload: payload}
		for s := range subs {
			deliver(s, publisher, m)
		}
		n += len(subs)
	}
	for pat, subs := range h.tables[Pattern] {
		if !glob.Match([]byte(pat), channel) {
			continue
		}
		m := &Message{Kind: "pmessage", Pattern: []byte(pat), Channel: channel, Payload: payload}
		for s := range subs {
			deliver(s, publisher, m)
		}
		n += len(subs)
	}
	return n
}

// SPublish delivers payload to a shard channel's subscribers.
func (h *Hub) SPublish(channel, payload []byte, publisher Subscriber) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	subs := h.tables[ShardChannel][string(channel)]
	if len(subs) == 0 {
		return 0
	}
	m := &Message{Kind: "smessage", Channel: channel, Payload: payload}
	for s := range subs {
		deliver(s, publisher, m)
	}
	return len(subs)
}

// Active reports whether anyone subscribes to anything: keyspace
// notifications skip building their channel names when no one listens.
func (h *Hub) Active() bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.tables[Channel])+len(h.tables[Pattern]) > 0
}

// Names returns the channels (or shard channels) with subscribers whose
// name matches pattern (all when pattern is nil), sorted, as PUBSUB
// CHANNELS lists them.
func (h *Hub) Names(k Kind, pattern []byte) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []string
	for name := range h.tables[k] {
		if pattern == nil || glob.Match(pattern, []byte(name)) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// Count returns the number of subscribers of one name.
func (h *Hub) Count(k Kind, name string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.tables[k][name])
}

// Len returns how many names of kind k have subscribers (PUBSUB NUMPAT
// for patterns).
func (h *Hub) Len(k Kind) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.tables[k])
}
