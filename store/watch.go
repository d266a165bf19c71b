package store

import "sync/atomic"

// Watch is one client's WATCH on one key: it turns dirty when the key is
// written, deleted, flushed, or expires, which is what makes EXEC abort.
type Watch struct {
	key      string
	shard    int
	owner    atomic.Pointer[shard] // where it is registered; SwapWatches moves it
	expireAt int64                 // the key's expiry when watched; reaching it counts as a change
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
	w.owner.Store(sh)
	if e, _, ok := sh.lookup(key, h, s.now()); ok {
		w.expireAt = e.expireAt()
	}
	if sh.watches == nil {
		sh.watches = make(map[string][]*Watch)
	}
	sh.watches[w.key] = append(sh.watches[w.key], w)
	return w
}

// Unwatch stops w, whichever store of s's group it is registered in now
// (SwapWatches moves watches between stores).
func (s *Store) Unwatch(w *Watch) {
	sh := w.owner.Load()
	sh.lock(true)
	for sh != w.owner.Load() { // moved while we waited for the lock
		sh.unlock(true)
		sh = w.owner.Load()
		sh.lock(true)
	}
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

// SwapWatches is SWAPDB's part for WATCH, with both stores' every shard
// locked for writing by the caller (LockAll), a and b of one group: as in
// Redis 7.0, a watch on a key that exists in either store turns dirty,
// and every watch moves to the other store, since a watch belongs to the
// database number while the stores trade numbers.
func SwapWatches(a, b *Store) {
	for i := range a.shards {
		sa, sb := a.shards[i], b.shards[i]
		dirtyIfExists(sa.watches, sa, sb)
		dirtyIfExists(sb.watches, sa, sb)
		sa.watches, sb.watches = sb.watches, sa.watches
		for _, list := range sa.watches {
			for _, w := range list {
				w.owner.Store(sa)
			}
		}
		for _, list := range sb.watches {
			for _, w := range list {
				w.owner.Store(sb)
			}
		}
	}
}

// dirtyIfExists marks dirty the watches of each key that is in one of the
// shards, expired or not (Redis looks in its dictionary).
func dirtyIfExists(watches map[string][]*Watch, shards ...*shard) {
	for k, list := range watches {
		key := []byte(k)
		for _, sh := range shards {
			if sh.has(key) {
				for _, w := range list {
					w.dirty.Store(true)
				}
				break
			}
		}
	}
}
