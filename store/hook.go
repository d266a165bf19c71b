package store

import "sync/atomic"

// Change is what happened to a key, as the change hook hears it.
type Change uint8

const (
	// Written: a command changed or deleted the key.
	Written Change = iota
	// Expired: its TTL passed and the store removed it (on access or in
	// the active expiry cycle).
	Expired
	// Evicted: the store removed it to stay under maxmemory.
	Evicted
)

// ChangeHook hears every change to a key: client-side caching's
// invalidations and keyspace notifications are built on it. It runs with
// the key's shard lock held (shard is the key's shard, as ShardOf gives),
// so it must be quick, must not block and must not call into the store;
// key is valid only during the call. FLUSHALL and FLUSHDB do not call it
// per key: their callers announce the flush themselves.
type ChangeHook func(shard int, key []byte, c Change)

// hooks is the store's change hook, shared by its shards. A store
// without one pays one atomic load per change.
type hooks struct {
	change atomic.Pointer[ChangeHook]
}

// SetChangeHook installs fn as the change hook (nil removes it).
func (s *Store) SetChangeHook(fn ChangeHook) {
	if fn == nil {
		s.hooks.change.Store(nil)
		return
	}
	s.hooks.change.Store(&fn)
}

// changed tells the hook, if there is one, that key changed.
func (s *shard) changed(key []byte, c Change) {
	if fn := s.hooks.change.Load(); fn != nil {
		(*fn)(s.id, key, c)
	}
}
