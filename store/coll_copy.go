package store

import "bytes"

// Copy writes a copy of src's value, of any type, with its expiry, under
// dst, replacing what dst held; false if src is missing. src and dst
// differ.
func (t Tx) Copy(src, dst []byte) bool { return t.transfer(t, src, dst, false) }

// CopyTo is Copy to dst in d's store, another store of t's group
// (NewShared) whose dst shard the caller has locked too: COPY ... DB.
func (t Tx) CopyTo(d Tx, src, dst []byte) bool { return t.transfer(d, src, dst, false) }

// MoveTo moves key's value, of any type, with its expiry, to the same key
// in d's store (of t's group, its shard locked by the caller), replacing
// what it held there; false if key is missing: MOVE.
func (t Tx) MoveTo(d Tx, key []byte) bool { return t.transfer(d, key, key, true) }

// Rename moves src's value, of any type, with its expiry, to dst,
// replacing what dst held; false if src is missing. src and dst differ. A
// hashtable moves by reference, whatever its size.
func (t Tx) Rename(src, dst []byte) bool { return t.transfer(t, src, dst, true) }

// transfer copies or moves src in t's store to dst in d's.
func (t Tx) transfer(d Tx, src, dst []byte, move bool) bool {
	ssh, sh := t.hashed(src)
	e, l, ok := ssh.lookup(src, sh, t.now)
	if !ok {
		return false
	}
	at := e.expireAt()
	val := bytes.Clone(e.value())
	coll := e.isColl()
	var b bigValue
	if coll && isBigEnc(collEnc(val)) {
		if move {
			// Taken out before src goes, so that deleting src does not
			// drop it.
			b = ssh.detachBig(bigHandle(val))
		} else {
			b = ssh.bigValueOf(val).cloneValue()
		}
	}
	if move {
		if bc, ok := b.(*bigColl); ok && bc.ttls > 0 {
			// detachBig emptied the handle: forgetColl below cannot see
			// the table's field expiries, so count them here.
			ssh.fieldTTLKeys.Add(-1)
		}
		ssh.remove(src, sh, l, Written)
		ssh.settle()
	}
	dsh, dh := d.hashed(dst)
	dsh.delete(dst, dh, t.now)
	dsh.touch(dst)
	if b != nil {
		h := dsh.addBig(b)
		val[4], val[5], val[6], val[7] = byte(h), byte(h>>8), byte(h>>16), byte(h>>24)
	}
	ne := dsh.insert(dst, dh, val, len(val), at, t.now)
	if coll {
		ne.setCollLen(len(val))
		if b != nil {
			dsh.account(b)
		}
		if dsh.hasFieldTTLs(val) {
			dsh.fieldTTLKeys.Add(1)
		}
	}
	dsh.settle()
	return true
}
