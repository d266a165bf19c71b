package store

// Put adds el to key's collection of type typ (creating the key), or
// replaces the element with the same field as mode says. added reports a
// new field, written whether anything changed.
func (t Tx) Put(key []byte, typ Type, el Elem, mode PutMode) (added, written bool, err error) {
	n, w, err := t.PutMany(key, typ, mode, el)
	return n > 0, w, err
}

// PutMany is Put for several elements, applied in order, as HSET and SADD
// with several arguments: a small collection is re-encoded once for all
// of them, not once each. It returns the number of new fields.
func (t Tx) PutMany(key []byte, typ Type, mode PutMode, els ...Elem) (added int, written bool, err error) {
	sh, h, l, e, err := t.openColl(key, typ)
	if err != nil || len(els) == 0 {
		return 0, false, err
	}
	defer sh.settle()
	if e != nil {
		e, l = sh.purgeSmall(key, h, l, e, t.now)
	}
	lim := sh.memory.coll.get()
	before := e != nil && sh.hasFieldTTLs(e.value())
	var b *bigColl
	var cur []byte // the small payload being built
	switch {
	case e == nil:
		sh.reap(key, h, t.now)
		sh.scratch = emptySmall(sh.scratch[:0], typ, els[0].Field, lim)
		cur = sh.scratch
	case collEnc(e.value()) == encHashtable:
		b = sh.bigOf(e.value())
	default:
		cur = e.value()
	}
	i := 0
	if b == nil {
		// Small: apply into the shard's two buffers in turn, so that no
		// step reads what it writes.
		buf := 0
		for ; i < len(els); i++ {
			np, a, w, ok := smallApply(sh.bufs[buf][:0], cur, typ, els[i], mode, lim)
			if !ok {
				break
			}
			if w {
				sh.bufs[buf] = np
				cur, buf = np, 1-buf
				written = true
			}
			if a {
				added++
			}
		}
		if i < len(els) {
			// Past the small encoding's limits: the rest goes to a table.
			b = bigFromSmall(cur)
		} else {
			if !written {
				return added, false, nil
			}
			sh.touch(key)
			if e == nil {
				ne := sh.insert(key, h, cur, len(cur), 0, t.now)
				ne.setCollLen(len(cur))
			} else {
				sh.writeColl(key, h, l, e, cur)
			}
			sh.ttlMode(before, collEnc(cur) == encListpackEx)
			return added, true, nil
		}
	}
	for ; i < len(els); i++ {
		a, w := b.apply(els[i], typ, mode, t.now)
		if a {
			added++
		}
		written = written || w
	}
	if e == nil || collEnc(e.value()) != encHashtable {
		// A new table: point the entry at it.
		p := sh.bigPayload(typ, encHashtable, sh.addBig(b))
		if e == nil {
			ne := sh.insert(key, h, p, len(p), 0, t.now)
			ne.setCollLen(len(p))
		} else {
			sh.writeColl(key, h, l, e, p)
		}
		written = true
	}
	if written {
		sh.touch(key)
	}
	sh.account(b)
	sh.ttlMode(before, b.ttls > 0)
	return added, written, nil
}

// emptySmall appends to dst the payload of an empty small collection of
// type typ, in the encoding its first field calls for.
func emptySmall(dst []byte, typ Type, first []byte, lim *CollLimits) []byte {
	if typ == TypeSet {
		if _, ok := parseIntMember(first); ok && lim.SetMaxIntsetEntries >= 1 {
			return append(dst, byte(TypeSet), encIntset, 0, 0, 2)
		}
		return append(dst, byte(TypeSet), encListpack, 0, 0)
	}
	return append(dst, byte(TypeHash), encListpack, 0, 0)
}

// smallApply adds el to small payload p as Put does, writing the new
// payload into dst (which must not overlap p); ok is false when the
// result would pass the small encoding's limits.
func smallApply(dst, p []byte, typ Type, el Elem, mode PutMode, lim *CollLimits) (np []byte, added, written, ok bool) {
	old, off, end, found := smallFind(p, el.Field)
	switch {
	case found && (mode == PutNX || typ == TypeSet):
		return p, false, false, true
	case found && mode == PutKeepTTL:
		el.ExpireAt = old.ExpireAt
	}
	n := smallCount(p)
	if !found {
		n++
	}
	enc := collEnc(p)
	switch {
	case enc == encIntset:
		if v, isInt := parseIntMember(el.Field); isInt && n <= min(lim.SetMaxIntsetEntries, maxSmall) {
			return intsetInsert(dst, p, v), true, true, true
		}
		if n <= min(lim.SetMaxListpackEntries, maxSmall) && len(el.Field) <= lim.SetMaxListpackValue && lim.SetMaxListpackValue >= 20 {
			return smallSplice(dst, p, encListpack, -1, -1, &el), true, true, true
		}
	case typ == TypeSet:
		if n <= min(lim.SetMaxListpackEntries, maxSmall) && len(el.Field) <= lim.SetMaxListpackValue {
			return smallSplice(dst, p, enc, -1, -1, &el), true, true, true
		}
	default:
		if n <= min(lim.HashMaxListpackEntries, maxSmall) && len(el.Field) <= lim.HashMaxListpackValue && len(el.Value) <= lim.HashMaxListpackValue {
			if el.ExpireAt != 0 {
				enc = encListpackEx
			}
			if !found {
				off, end = -1, -1
			}
			return smallSplice(dst, p, enc, off, end, &el), !found, true, true
		}
	}
	return nil, false, false, false
}

// bigFromSmall builds a table holding small payload p's elements.
func bigFromSmall(p []byte) *bigColl {
	b := newBig(Type(p[0]) == TypeHash)
	b.rebuild(max(minIndexSlots, smallCount(p)*2))
	smallEach(p, func(el Elem, _, _ int) bool { b.put(el); return true })
	return b
}

// apply adds el to the table as Put does.
func (b *bigColl) apply(el Elem, typ Type, mode PutMode, now int64) (added, written bool) {
	old, found := b.get(el.Field)
	if found && !old.live(now) {
		found, old = false, Elem{}
	}
	switch {
	case found && (mode == PutNX || typ == TypeSet):
		return false, false
	case found && mode == PutKeepTTL:
		el.ExpireAt = old.ExpireAt
	}
	b.put(el)
	return !found, true
}
