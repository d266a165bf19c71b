package protocol

import (
	"strings"
	"testing"
)

// TestDifferentialDatabases compares numbered databases with
// redis-server 7.0 byte for byte: SELECT's errors, isolation, SWAPDB,
// MOVE, COPY ... DB, FLUSHDB and FLUSHALL, DBSIZE and KEYS per database,
// MULTI/EXEC with SELECT inside, and INFO keyspace's lines.
func TestDifferentialDatabases(t *testing.T) {
	runDifferential(t, differentialDBScript, 80, func(t *testing.T, ours, theirs *respConn) {
		// INFO keyspace: one line per non-empty database (no key has a
		// TTL, so avg_ttl is 0 on both).
		ours.exchange("FLUSHALL")
		theirs.exchange("FLUSHALL")
		for _, c := range []*respConn{ours, theirs} {
			for _, cmd := range [][]string{{"SELECT", "0"}, {"SET", "a", "1"}, {"SET", "b", "1"}, {"SELECT", "3"}, {"SET", "c", "1"},
				{"SELECT", "15"}, {"SET", "d", "1"}, {"EXPIRE", "d", "1000"}, {"SET", "e", "1"}, {"SELECT", "0"}} {
				c.exchange(cmd...)
			}
		}
		keyspace := func(c *respConn) string {
			var lines []string // from a bulk string, or RESP3's verbatim one
			for _, l := range strings.Split(c.exchange("INFO", "keyspace"), "\r\n") {
				if strings.HasPrefix(l, "db") {
					// avg_ttl is Redis's running estimate; compare the rest.
					lines = append(lines, l[:strings.Index(l, ",avg_ttl=")])
				}
			}
			return strings.Join(lines, "\n")
		}
		if g, w := keyspace(ours), keyspace(theirs); g != w {
			t.Errorf("INFO keyspace:\n  cachesrv: %q\n  redis:    %q", g, w)
		}
		ours.exchange("FLUSHALL")
		theirs.exchange("FLUSHALL")
	})
}

const differentialDBScript = `
# --- SELECT ---
SELECT 0
SELECT 15
SELECT 16
SELECT -1
SELECT 2147483648
SELECT -2147483649
SELECT abc
SELECT 1.5
SELECT ""
SELECT 1 2
# --- isolation ---
SELECT 0
SET k zero
SELECT 1
GET k
EXISTS k
SET k one
DBSIZE
KEYS *
SELECT 0
GET k
DBSIZE
SELECT 1
RPUSH list a b c
SADD set x y
SELECT 0
TYPE list
SELECT 1
TYPE list
LRANGE list 0 -1
# --- SWAPDB ---
SWAPDB 0 1
GET k
LRANGE list 0 -1
SELECT 0
GET k
TYPE list
SWAPDB 0 0
SWAPDB 1 0
GET k
SWAPDB 0 16
SWAPDB 16 0
SWAPDB -1 0
SWAPDB a 0
SWAPDB 0 b
SWAPDB a b
SWAPDB 2147483648 0
SWAPDB 0
SWAPDB 0 1 2
# --- MOVE ---
SELECT 0
SET mv v
EXPIRE mv 1000
MOVE mv 2
EXISTS mv
MOVE mv 2
SELECT 2
GET mv
TTL mv
MOVE mv 2
MOVE nosuch 0
SET clash here
SELECT 0
SET clash there
SELECT 2
MOVE clash 0
GET clash
MOVE mv 16
MOVE mv -1
MOVE mv abc
MOVE mv 2147483648
MOVE mv
HSET h f v
MOVE h 0
SELECT 0
HGETALL h
TYPE h
# --- per-database SORT, OBJECT, DUMP/RESTORE ---
SELECT 4
RPUSH sl 3 1 2
SORT sl
SORT sl STORE sorted
LRANGE sorted 0 -1
OBJECT ENCODING sl
RESTORE r 0 "\x00\x03bar\n\x00\xe6\xbeI\x60\xeef\xfd\x17"
DUMP r
GET r
SELECT 0
EXISTS sl sorted r
SORT sl
# --- COPY ... DB ---
SELECT 0
SET src v
COPY src src DB 3
COPY src src DB 3
COPY src src DB 3 REPLACE
COPY src other DB 3
COPY src src DB 0
COPY src src DB 16
COPY src src DB -1
COPY src src DB x
COPY src src DB
SELECT 3
GET src
GET other
COPY other src2 DB 0
SELECT 0
GET src2
# --- FLUSHDB / FLUSHALL ---
SELECT 3
DBSIZE
FLUSHDB
DBSIZE
FLUSHDB ASYNC
FLUSHDB SYNC
FLUSHDB bad
FLUSHDB SYNC extra
SELECT 0
DBSIZE
SET x 1
SELECT 5
SET y 1
FLUSHALL
DBSIZE
SELECT 0
DBSIZE
FLUSHALL ASYNC
FLUSHALL bad
# --- MULTI/EXEC with SELECT inside ---
SELECT 0
SET tx zero
MULTI
SELECT 6
SET tx six
GET tx
SELECT 0
GET tx
EXEC
SELECT 6
GET tx
MULTI
SELECT 7
SET in7 v
EXEC
GET in7
SELECT 7
GET in7
MULTI
SELECT 99
EXEC
MULTI
MOVE in7 8
SWAPDB 7 8
EXEC
DBSIZE
SELECT 8
DBSIZE
GET in7
MULTI
SELECT abc
EXEC
FLUSHALL
# --- scripts: a SELECT inside is the script's own (Redis 7) ---
SELECT 0
EVAL "redis.call('SELECT', 9); redis.call('SET', KEYS[1], 'nine'); return redis.call('GET', KEYS[1])" 1 sk
GET sk
SELECT 9
GET sk
EVAL "return redis.call('MOVE', KEYS[1], 10)" 1 sk
EXISTS sk
EVAL "redis.call('SELECT', 10); local v = redis.call('GET', KEYS[1]); redis.call('SELECT', 9); return {v, redis.call('EXISTS', KEYS[1])}" 1 sk
EVAL "return redis.call('SELECT', 99)" 0
EVAL "return redis.call('SELECT', 'x')" 0
EVAL "return redis.pcall('SELECT', 16)" 0
DBSIZE
MULTI
EVAL "redis.call('SELECT', 0); return redis.call('SET', KEYS[1], 'z')" 1 sk
SELECT 0
GET sk
EXEC
FLUSHALL
`
