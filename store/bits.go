package store

// In-place edits of string values, for the commands that treat a string
// as an array of bits or registers (SETBIT, BITFIELD, PFADD, PFMERGE and
// PFCOUNT's cached cardinality): the value is changed where it lies,
// without the copy a Get and Set would make, and grows geometrically when
// it must grow, like APPEND's.

// EditString lets fn change key's string value in place.
//
// fn gets the value zero-padded to at least minLen bytes, with the
// entry's spare room as its capacity, and the value's length before the
// padding, -1 when the key did not exist: a missing key is created
// (empty, then padded) when create is set, else fn is not called. fn returns the new value, either v resliced within its
// capacity (edited in place) or a new slice, which the store copies in;
// and whether it changed anything. The key counts as written (WATCH,
// client tracking, the change hook) when it was created, padded or
// changed (the change hook must hear of every write: cluster hand-off
// relies on it); its expiry is kept. fn must not call into the store,
// and must not keep v.
//
// EditString returns ErrWrongType, without calling fn, when key holds a
// collection; existed reports whether the key was there before.
func (t Tx) EditString(key []byte, minLen int, create bool, fn func(v []byte, oldLen int) ([]byte, bool)) (existed bool, err error) {
	sh, h := t.hashed(key)
	e, l, ok := sh.lookup(key, h, t.now)
	switch {
	case ok && e.isColl():
		return true, ErrWrongType
	case !ok && !create:
		return false, nil
	}
	written, oldLen := false, -1
	if !ok {
		sh.reap(key, h, t.now)
		e = sh.insert(key, h, nil, minLen, 0, t.now)
		e.setValLen(uint32(minLen))
		l, _ = sh.find(key, h)
		written = true
	} else {
		t.accessed(sh, e)
		oldLen = int(e.valLen())
		if old := oldLen; minLen > old {
			e = sh.resize(key, h, l, e, minLen)
			clear(e.valueSpace()[old:minLen])
			e.setValLen(uint32(minLen))
			l, _ = sh.find(key, h)
			written = true
		}
	}
	space := e.valueSpace()
	n := int(e.valLen())
	nv, changed := fn(space[:n:len(space)], oldLen)
	if changed || written {
		sh.touch(key)
	}
	if changed {
		switch {
		case len(nv) == 0:
			e.setValLen(0)
		case len(space) > 0 && &nv[:1][0] == &space[0]:
			e.setValLen(uint32(len(nv)))
		default:
			c := len(nv)
			if c <= 2*int(e.valCap()) {
				// Growing step by step (a sparse HLL): leave room.
				c = c + c/4 + 8
			}
			sh.relocate(key, h, l, e, nv, c, e.expireAt())
		}
	}
	sh.settle()
	return ok, nil
}
