package protocol

import "testing"

// TestDifferentialSort runs SORT and SORT_RO against redis-server 7.0.15
// in RESP2 and RESP3. Left out: orders Redis takes from its hash tables
// (a set or a sorted set with BY a constant and no LIMIT, no STORE), and
// ALPHA sorts BY values that tie, which Redis's unstable quicksort leaves
// in no defined order.
func TestDifferentialSort(t *testing.T) { runCollDifferential(t, sortScript, 60) }

const sortScript = `
RPUSH l 3 1 2 10 -5 2.5 1e2 0x10
SORT l
SORT l DESC
SORT l LIMIT 1 3
SORT l LIMIT 0 0
SORT l LIMIT 5 100
SORT l LIMIT 100 2
SORT l LIMIT -3 2
SORT l LIMIT 2 -1
SORT l ALPHA
SORT l ALPHA DESC LIMIT 0 3
SORT_RO l DESC LIMIT 1 2
SORT l BY nosort
SORT l BY nosort LIMIT 2 3
SORT l BY nosort DESC LIMIT 2 3
SORT l BY nosort DESC
RPUSH words banana apple cherry apple
SORT words
SORT words ALPHA
SORT words ALPHA DESC
SORT words ALPHA STORE dst
LRANGE dst 0 -1
TYPE dst
SORT words ALPHA LIMIT 0 0 STORE dst
EXISTS dst
RPUSH nums 3 1 2
MSET w_1 30 w_2 10 w_3 20 o_1 one o_2 two o_3 three
SORT nums BY w_*
SORT nums BY w_* DESC
SORT nums BY w_* GET o_*
SORT nums BY w_* GET # GET o_* GET nosuch_*
SORT nums GET o_* GET #
SORT nums BY w_* GET o_* STORE dst
LRANGE dst 0 -1
SORT nums BY missing_*
SORT nums BY w_* ALPHA
SORT nums GET fixedkey
HSET h_1 f 5 name x1
HSET h_2 f 15 name x2
HSET h_3 f 1 name x3
SORT nums BY h_*->f GET h_*->name
SORT nums BY h_*->f DESC GET h_*->name GET h_*->nofield
SORT nums BY h_*-> GET h_*->
SORT nums GET w_*->f
SADD s 5 3 9 1
SORT s
SORT s DESC LIMIT 1 2
SORT s BY nosort STORE sdst
LRANGE sdst 0 -1
SADD ss b a c
SORT ss ALPHA
ZADD z 1 30 2 10 3 20
SORT z
SORT z DESC
SORT z BY nosort LIMIT 0 2
SORT z BY nosort DESC LIMIT 0 2
SORT z BY nosort LIMIT 1 1
RPUSH bad 1 x 2
SORT bad
SORT bad ALPHA
SORT bad BY nosort
SORT nokey
SORT nokey STORE dst
EXISTS dst
SET str v
SORT str
SORT l LIMIT 1
SORT l LIMIT a 1
SORT l BOGUS
SORT l STORE
SORT_RO l STORE dst
SORT
RPUSH sp " 7" "" 3
SORT sp
SET dst keep
SORT nums STORE dst
TYPE dst
LRANGE dst 0 -1
`
