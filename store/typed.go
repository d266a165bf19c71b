package store

import (
	"errors"
	"strconv"
)

// Type is what a key holds.
type Type uint8

const (
	TypeNone Type = iota
	TypeString
	TypeHash
	TypeSet
	TypeZSet
	TypeList
)

var typeNames = [...]string{TypeNone: "none", TypeString: "string", TypeHash: "hash", TypeSet: "set", TypeZSet: "zset", TypeList: "list"}

// String is the name TYPE replies with.
func (t Type) String() string { return typeNames[t] }

// ParseType returns the type with the given TYPE name ("hash"), for
// SCAN's TYPE option.
func ParseType(name string) (Type, bool) {
	for t, n := range typeNames {
		if n == name && t != int(TypeNone) {
			return Type(t), true
		}
	}
	return TypeNone, false
}

// ErrWrongType is Redis's reply to a command on a key of another type.
var ErrWrongType = errors.New("WRONGTYPE Operation against a key holding the wrong kind of value")

// typ is the type of the value e holds.
func (e entry) typ() Type {
	if !e.isColl() {
		return TypeString
	}
	return Type(e.value()[0])
}

// Type returns what key holds, TypeNone if it is missing.
func (t Tx) Type(key []byte) Type {
	sh, h := t.hashed(key)
	e, _, ok := sh.lookup(key, h, t.now)
	if !ok {
		return TypeNone
	}
	return e.typ()
}

// GetString is Get that also tells a key of another type (wrong) from a
// missing one, for GET's WRONGTYPE, at no extra cost.
func (t Tx) GetString(key []byte) (val []byte, ok, wrong bool) {
	sh, h := t.hashed(key)
	e, _, ok := sh.lookup(key, h, t.now)
	if !ok {
		return nil, false, false
	}
	if e.isColl() {
		return nil, false, true
	}
	t.accessed(sh, e)
	return e.value(), true, false
}

// Encoding returns OBJECT ENCODING's answer for key, with Redis's names:
// a string is "int", "embstr" (up to 44 bytes) or "raw"; a hash
// "listpack", "listpackex" (listpack with field expiries, Redis 7.4) or
// "hashtable"; a set "intset", "listpack" or "hashtable".
func (t Tx) Encoding(key []byte) (string, bool) {
	sh, h := t.hashed(key)
	e, _, ok := sh.lookup(key, h, t.now)
	if !ok {
		return "", false
	}
	if !e.isColl() {
		v := e.value()
		if len(v) <= 20 {
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil && strconv.FormatInt(n, 10) == string(v) {
				return "int", true
			}
		}
		if len(v) <= 44 {
			return "embstr", true
		}
		return "raw", true
	}
	if Type(e.value()[0]) == TypeList {
		return "quicklist", true // Redis 7.0 keeps every list as a quicklist (list.go)
	}
	switch collEnc(e.value()) {
	case encListpack:
		return "listpack", true
	case encListpackEx:
		return "listpackex", true
	case encIntset:
		return "intset", true
	case encSkiplist:
		return "skiplist", true
	case encQuicklist:
		return "quicklist", true
	}
	return "hashtable", true
}
