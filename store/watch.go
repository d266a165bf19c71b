package store

import "sync/atomic"

// Watch is one client's WATCH on one key: it turns dirty when the key is
// written, deleted, flushed, or expires, which is what makes EXEC abort.
type Watch struct {
	key      string
	shard    int
	expireAt int64 // the key's expiry when watched; reaching it counts as a change
	dirty    atomic.Bool
}

// Watch starts watching key.
func (s *Store) Watch(key []byte) *Watch {
	h := s.hash(key)
	i := int(h & s.mask)
	sh := s.shards[i]
	sh.lock(true)
	defer sh.unlock(true)
	w := &Watch{key: string(key), shard: i}
	if e, _, ok := sh.lookup(key, h, s.now()); ok {
		w.expireAt = e.expireAt()
	}
	if sh.watches == nil {
		sh.watches = make(map[string][]*Watch)
	}
	sh.watches[w.key] = append(sh.watches[w.key], w)
	return w
}

// Unwatch stops w.
func (s *Store) Unwatch(w *Watch) {
	sh := s.shards[w.shard]
	sh.lock(true)
	defer sh.unlock(true)
	list := sh.watches[w.key]
	for i, x := range list {
		if x == w {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(sh.watches, w.key)
	} else {
		sh.watches[w.key] = list
	}
	if len(sh.watches) == 0 {
		sh.watches = nil
	}
}

// Changed reports whether the watched key changed; the caller holds the
// key's shard lock (as EXEC does) so that the answer still holds when it
// runs the transaction.
func (t Tx) Changed(w *Watch) bool {
	return w.dirty.Load() || (w.expireAt != 0 && w.expireAt <= t.now)
}

// Shard returns the shard a watch's key lives in, for locking.
func (w *Watch) Shard() int { return w.shard }

// touch marks the watches on key dirty and tells the change hook. Every
// write calls it; it costs a nil check and an atomic load unless someone
// is watching a key in this shard or a hook is set.
func (s *shard) touch(key []byte) { s.touchAs(key, Written) }

// touchAs is touch for a change of the given kind (expiry, eviction).
func (s *shard) touchAs(key []byte, why Change) {
	s.changed(key, why)
	if s.watches == nil {
		return
	}
	for _, w := range s.watches[string(key)] {
		w.dirty.Store(true)
	}
}
