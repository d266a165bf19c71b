// Package rdb reads and writes values in Redis's serialization format, the
// one DUMP returns and RESTORE takes (and RDB files hold): a type byte, the
// value's encoding, the RDB version (2 bytes) and a CRC-64 of the rest (8
// bytes), so that a DUMP taken from redis-server restores into cachesrv and
// the reverse.
package rdb

import (
	"encoding/binary"
	"errors"
)

// Version is the RDB version written, Redis 7.0's. Payloads of this
// version or older are read.
const Version = 10

// Value types, Redis's RDB_TYPE_* numbers.
const (
	TypeString = 0
	TypeSet    = 2
	TypeHash   = 4
	// Compact encodings of small values.
	TypeSetIntset    = 11
	TypeHashZiplist  = 13
	TypeHashListpack = 16
	TypeSetListpack  = 20
)

// ErrBadPayload is RESTORE's "version or checksum" error.
var ErrBadPayload = errors.New("DUMP payload version or checksum are wrong")

// ErrBadFormat is RESTORE's error for a payload that passed the checks but
// does not decode.
var ErrBadFormat = errors.New("Bad data format")

// Seal appends the RDB version and the CRC-64 of everything before it,
// turning a type byte and an encoded value into a DUMP payload.
func Seal(b []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, Version)
	return binary.LittleEndian.AppendUint64(b, CRC64(0, b))
}

// Open checks a DUMP payload's version and checksum and returns its type
// and encoded value.
func Open(p []byte) (typ byte, body []byte, err error) {
	if len(p) < 11 {
		return 0, nil, ErrBadPayload
	}
	footer := p[len(p)-10:]
	if binary.LittleEndian.Uint16(footer) > Version {
		return 0, nil, ErrBadPayload
	}
	// Redis skips the check when the checksum is zero (rdbchecksum no).
	if sum := binary.LittleEndian.Uint64(footer[2:]); sum != 0 && sum != CRC64(0, p[:len(p)-8]) {
		return 0, nil, ErrBadPayload
	}
	return p[0], p[1 : len(p)-10], nil
}
