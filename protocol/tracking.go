package protocol

import (
	"bytes"
	"sync"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"

	"github.com/cachesrv/cachesrv/protocol/pubsub"
	"github.com/cachesrv/cachesrv/protocol/resp"
)

// tracking is the server side of client-side caching (CLIENT TRACKING):
// which clients may hold which keys, and the invalidation messages sent
// when a key changes. The store's change hook (store.ChangeHook) calls
// changed for every write, expiry and eviction, under the key's shard
// lock, so an invalidation is queued before any client can read the new
// value.
//
// The table is split like the store, one part per store shard with a lock
// of its own, so tracking adds no lock that all shards share. A part maps
// the key's 64-bit hash, not the key, to the client IDs: the table then
// holds no pointer per key for the garbage collector to scan, and costs
// about 20-30 bytes per tracked key. Two keys with one hash would share an
// entry, so a change of either would invalidate both, and the client of
// the other would then miss a later change of it: at 1M tracked keys the
// chance that any two collide is about 3 in 100 million.
type tracking struct {
	parts []trackPart
	keys  atomic.Int64 // tracked keys in all parts
	items atomic.Int64 // client entries over them

	// clients are those that track, and those that receive another's
	// invalidations (REDIRECT), by ID.
	clients sync.Map // int64 -> *client
	// bcast lists the clients in BCAST mode; copied on change.
	bcast atomic.Pointer[[]*client]

	invalidations atomic.Int64 // invalidation messages sent
}

// trackPart is the table for one store shard.
type trackPart struct {
	mu   sync.Mutex
	one  map[uint64]int64   // key hash -> the client tracking it
	more map[uint64][]int64 // key hash -> the clients, when more than one
	// noloop marks a NOLOOP client (its ID<<16 | its database) while it
	// writes under this shard's write lock: it is not told of its own
	// changes (noLoop, cmd_tracking.go).
	noloop atomic.Int64
	_      [40]byte // keep parts' locks on separate cache lines
}

// trackOpts is a client's CLIENT TRACKING state. It is replaced, never
// changed, so that other goroutines may read it.
type trackOpts struct {
	bcast, optin, optout, noloop bool
	redirect                     int64
	prefixes                     [][]byte
}

func newTracking(shards int) *tracking {
	t := &tracking{parts: make([]trackPart, shards)}
	empty := []*client{}
	t.bcast.Store(&empty)
	return t
}

// remember notes that client id read key (in the store's shard shard).
func (t *tracking) remember(shard int, key []byte, id int64, max int64) {
	h := xxhash.Sum64(key)
	p := &t.parts[shard]
	p.mu.Lock()
	if p.one == nil {
		p.one = map[uint64]int64{}
	}
	added := false
	if first, ok := p.one[h]; !ok {
		p.one[h] = id
		added = true
		t.items.Add(1)
	} else if first != id {
		ids := p.more[h]
		for _, x := range ids {
			if x == id {
				p.mu.Unlock()
				return
			}
		}
		if p.more == nil {
			p.more = map[uint64][]int64{}
		}
		p.more[h] = append(ids, id)
		t.items.Add(1)
	}
	var dropped []int64
	if added && max > 0 && t.keys.Add(1) > max {
		dropped = p.dropSome(t)
	}
	p.mu.Unlock()
	for _, id := range dropped {
		t.send(id, nil, nil)
	}
}

// dropSome makes room when the table is over tracking-table-max-keys, as
// Redis does, by forgetting a few keys of this part. The table keeps key
// hashes, not keys, so their clients are told to drop their whole cache
// (an invalidation with a null key): wasteful, never stale.
func (p *trackPart) dropSome(t *tracking) []int64 {
	var ids []int64
	n := 0
	for h, id := range p.one {
		ids = append(ids, id)
		ids = append(ids, p.more[h]...)
		t.items.Add(-1 - int64(len(p.more[h])))
		delete(p.one, h)
		delete(p.more, h)
		t.keys.Add(-1)
		if n++; n == 8 {
			break
		}
	}
	return ids
}

// changed tells the clients that may hold key that it changed, except
// noloop (a NOLOOP client that made the change; 0 for none).
func (t *tracking) changed(shard int, key []byte, noloop int64) {
	if t.keys.Load() == 0 && len(*t.bcast.Load()) == 0 {
		return
	}
	p := &t.parts[shard]
	var msgs [2][]byte // the message, encoded once per protocol
	if t.keys.Load() > 0 {
		h := xxhash.Sum64(key)
		p.mu.Lock()
		first, ok := p.one[h]
		var more []int64
		if ok {
			more = p.more[h]
			delete(p.one, h)
			delete(p.more, h)
			t.keys.Add(-1)
			t.items.Add(-1 - int64(len(more)))
		}
		p.mu.Unlock()
		if ok {
			if first != noloop {
				t.send(first, key, &msgs)
			}
			for _, id := range more {
				if id != noloop {
					t.send(id, key, &msgs)
				}
			}
		}
	}
	for _, c := range *t.bcast.Load() {
		if c.id == noloop {
			continue
		}
		if o := c.track.Load(); o != nil && o.bcast && matchesPrefix(o.prefixes, key) {
			t.send(c.id, key, &msgs)
		}
	}
}

func matchesPrefix(prefixes [][]byte, key []byte) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if bytes.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// flushed tells every tracking client to drop its whole cache (FLUSHALL,
// FLUSHDB) and empties the table.
func (t *tracking) flushed() {
	for i := range t.parts {
		p := &t.parts[i]
		p.mu.Lock()
		t.keys.Add(-int64(len(p.one)))
		n := int64(len(p.one))
		for _, ids := range p.more {
			n += int64(len(ids))
		}
		t.items.Add(-n)
		p.one, p.more = nil, nil
		p.mu.Unlock()
	}
	t.clients.Range(func(_, v any) bool {
		if c := v.(*client); c.track.Load() != nil {
			t.send(c.id, nil, nil)
		}
		return true
	})
}

// send delivers an invalidation of key (nil: of everything) for the
// tracking client id: to the client itself in RESP3, or to its REDIRECT
// client, over RESP3 or, for a RESP2 client subscribed to anything, as a
// message on __redis__:invalidate. A client gone, or one that stopped
// tracking, is skipped. msgs, if not nil, caches the encoded message for
// the other clients told of the same change.
func (t *tracking) send(id int64, key []byte, msgs *[2][]byte) {
	v, ok := t.clients.Load(id)
	if !ok {
		return
	}
	c := v.(*client)
	o := c.track.Load()
	if o == nil {
		return
	}
	to := c
	if o.redirect != 0 {
		v, ok := t.clients.Load(o.redirect)
		if !ok {
			return
		}
		to = v.(*client)
	}
	out := to.outboxFromAny()
	resp3 := out.resp3.Load()
	if !resp3 && to.subs.total.Load() == 0 {
		return // a RESP2 client can only hear it as a subscriber
	}
	t.invalidations.Add(1)
	i := 0
	if resp3 {
		i = 1
	}
	if msgs == nil {
		out.push(invalidation(resp3, key))
		return
	}
	if msgs[i] == nil {
		msgs[i] = invalidation(resp3, key)
	}
	out.push(msgs[i])
}

// invalidationChannel is where RESP2 clients hear invalidations.
var invalidationChannel = []byte("__redis__:invalidate")

// invalidation encodes an invalidation message as Redis 7 sends it.
func invalidation(resp3 bool, key []byte) []byte {
	var b []byte
	if resp3 {
		b = resp.AppendPushHeader(b, true, 2)
		b = resp.AppendBulk(b, []byte("invalidate"))
	} else {
		b = resp.AppendPushHeader(b, false, 3)
		b = resp.AppendBulk(b, []byte("message"))
		b = resp.AppendBulk(b, invalidationChannel)
	}
	if key == nil {
		if resp3 {
			return append(b, "_\r\n"...)
		}
		return append(b, "$-1\r\n"...)
	}
	b = append(b, "*1\r\n"...)
	return resp.AppendBulk(b, key)
}

// Bytes per tracked key and per extra client entry, as measured by
// BenchmarkTrackingTableMemory (1M keys: 36 bytes each; Redis 7.0's table
// took 98 for the same keys, from its used_memory).
const (
	trackKeyBytes  = 36
	trackItemBytes = 16
)

// bytes estimates the table's memory, for INFO and the metrics.
func (t *tracking) bytes() int64 {
	keys := t.keys.Load()
	return keys*trackKeyBytes + (t.items.Load()-keys)*trackItemBytes
}

// PubSubStats is a snapshot of pub/sub and client-side caching, for the
// metrics.
type PubSubStats struct {
	Channels, Patterns, ShardChannels int   // with subscribers now
	TrackingClients                   int64 // connections with CLIENT TRACKING on
	TrackedKeys                       int64 // keys in the tracking table
	TrackingItems                     int64 // client entries over them
	TrackingBytes                     int64 // the table's memory, estimated
	Invalidations                     int64 // invalidation messages sent
	OutputLimitDisconnections         int64 // clients closed for client-output-buffer-limit
}

// PubSubStats returns a snapshot of pub/sub and tracking.
func (s *Server) PubSubStats() PubSubStats {
	clients, keys, items, _ := s.trackingInfo()
	return PubSubStats{
		Channels:                  s.pubsub.Len(pubsub.Channel),
		Patterns:                  s.pubsub.Len(pubsub.Pattern),
		ShardChannels:             s.pubsub.Len(pubsub.ShardChannel),
		TrackingClients:           clients,
		TrackedKeys:               keys,
		TrackingItems:             items,
		TrackingBytes:             s.tracking.bytes(),
		Invalidations:             s.tracking.invalidations.Load(),
		OutputLimitDisconnections: s.stats.outputLimitClosed.Load(),
	}
}
