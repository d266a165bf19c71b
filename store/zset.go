package store

import "errors"

// Sorted sets (Redis's zset): members ordered by (score, member), scores
// IEEE doubles compared numerically (-0 equals 0), ties broken by the
// members' bytes. Small ones live inside their entry (zset_small.go), large
// ones in a pointer-free B+tree and member table of their own
// (zset_big.go). Every method takes the key of a sorted set: a key of
// another type is ErrWrongType; a missing key is an empty sorted set.
//
// The members handed to a callback alias the store's memory: they are
// valid until the next write made through any Tx, and must be copied
// before then.

// ZFlags are ZADD's conditions on each member.
type ZFlags uint8

const (
	ZNX ZFlags = 1 << iota // only add new members, never update
	ZXX                    // only update members that exist, never add
	ZGT                    // update only when the new score is greater
	ZLT                    // update only when the new score is less
)

// ZMember is a member of a sorted set with its score.
type ZMember struct {
	Member []byte
	Score  float64
}

// ErrNaN is Redis's reply when an increment makes a score NaN (inf + -inf).
var ErrNaN = errors.New("ERR resulting score is not a number (NaN)")

// ZScoreRange is the scores from Min to Max, each bound excluded when its
// Ex flag says so (Redis's "(" prefix); Min and Max may be infinite.
type ZScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// ZLexBound is one end of a lexicographical range: Inf -1 is "-" (before
// every member), +1 is "+" (after every member); otherwise Value, excluded
// when Ex ("(" prefix), included otherwise ("[" prefix).
type ZLexBound struct {
	Value []byte
	Ex    bool
	Inf   int8
}

// ZLexRange is the members from Min to Max by their bytes, as ZRANGEBYLEX
// reads them (meaningful when all scores are equal, as in Redis).
type ZLexRange struct{ Min, Max ZLexBound }

// ZAdd adds members with their scores to key's sorted set, creating the
// key, or updates the scores of those that exist, as ZADD does with flags
// (an invalid combination is the caller's to reject). It returns the number
// of members added and the number of existing members whose score changed.
// A member given twice is applied twice, in order.
func (t Tx) ZAdd(key []byte, flags ZFlags, members ...ZMember) (added, updated int, err error) {
	return t.zadd(key, flags, members)
}

// ZIncr adds incr to member's score (a missing member counts as 0), as
// ZINCRBY and ZADD INCR do, under flags' conditions; ok is false when
// they prevented it (ZADD INCR's nil reply). A NaN result is ErrNaN, with
// nothing changed. changed reports a new member or a new score (an
// increment of 0, or of an infinite score, changes nothing, and Redis
// then sends no keyspace event).
func (t Tx) ZIncr(key []byte, flags ZFlags, member []byte, incr float64) (score float64, changed, ok bool, err error) {
	return t.zincr(key, flags, member, incr)
}

// ZScore returns member's score in key's sorted set.
func (t Tx) ZScore(key, member []byte) (score float64, ok bool, err error) {
	return t.zscore(key, member)
}

// ZRem removes members from key's sorted set, and the key with its last
// member; it returns how many were there.
func (t Tx) ZRem(key []byte, members ...[]byte) (int, error) { return t.zrem(key, members) }

// ZCard returns the number of members of key's sorted set, 0 if missing.
func (t Tx) ZCard(key []byte) (int, error) { return t.zcard(key) }

// ZRank returns member's rank (0 for the lowest score; for the highest
// when rev) and its score.
func (t Tx) ZRank(key, member []byte, rev bool) (rank int, score float64, ok bool, err error) {
	return t.zrank(key, member, rev)
}

// ZCount returns the number of members with a score in r.
func (t Tx) ZCount(key []byte, r ZScoreRange) (int, error) { return t.zcount(key, r) }

// ZLexCount returns the number of members in lexicographical range r.
func (t Tx) ZLexCount(key []byte, r ZLexRange) (int, error) { return t.zlexcount(key, r) }

// ZRangeByScore calls fn for the members with a score in r, ascending
// (from Max down to Min when rev), after skipping offset of them (a
// negative offset selects nothing, as in Redis), for at most limit (all
// when limit < 0), until fn returns false. It reports whether key exists.
// O(log n + m) for a large set: the offset is skipped by rank.
func (t Tx) ZRangeByScore(key []byte, r ZScoreRange, rev bool, offset, limit int, fn func(ZMember) bool) (bool, error) {
	return t.zrangeScore(key, r, rev, offset, limit, fn)
}

// ZRangeByLex is ZRangeByScore for lexicographical range r.
func (t Tx) ZRangeByLex(key []byte, r ZLexRange, rev bool, offset, limit int, fn func(ZMember) bool) (bool, error) {
	return t.zrangeLex(key, r, rev, offset, limit, fn)
}

// ZRangeByRank calls fn for the members of ranks start to stop inclusive,
// as ZRANGE reads its indices: negative ones count from the end, both are
// clamped to the set, counted from the highest score when rev; until fn
// returns false. It reports whether key exists.
func (t Tx) ZRangeByRank(key []byte, start, stop int, rev bool, fn func(ZMember) bool) (bool, error) {
	return t.zrangeRank(key, start, stop, rev, fn)
}

// ZRemRangeByScore removes the members with a score in r and returns how
// many; the key goes with its last member.
func (t Tx) ZRemRangeByScore(key []byte, r ZScoreRange) (int, error) {
	return t.zremRange(key, zrangeSel{score: &r})
}

// ZRemRangeByLex removes the members in lexicographical range r.
func (t Tx) ZRemRangeByLex(key []byte, r ZLexRange) (int, error) {
	return t.zremRange(key, zrangeSel{lex: &r})
}

// ZRemRangeByRank removes the members of ranks start to stop, indices read
// as ZRangeByRank reads them.
func (t Tx) ZRemRangeByRank(key []byte, start, stop int) (int, error) {
	return t.zremRange(key, zrangeSel{rank: true, start: start, stop: stop})
}

// ZPop removes up to count members with the lowest scores (the highest
// when max), calling fn for each in that order before it goes, and
// returns how many; the key goes with its last member.
func (t Tx) ZPop(key []byte, max bool, count int, fn func(ZMember)) (int, error) {
	return t.zpop(key, max, count, fn)
}

// ZStore replaces what key holds, of any type, with a sorted set of
// members (in any order; a later duplicate replaces an earlier one), as
// the *STORE commands do; the key's expiry goes. With no members the key
// is deleted. members may alias the store's memory, key's included. It
// returns the new set's size.
func (t Tx) ZStore(key []byte, members []ZMember) int { return t.zstore(key, members) }

// ZRandMembers calls fn with random members, as ZRANDMEMBER chooses
// them: for count > 0, distinct ones (the whole set, from the highest score, when
// count reaches its size, as Redis 7.0 replies); for count < 0, -count members that may repeat. It
// reports whether key exists.
func (t Tx) ZRandMembers(key []byte, count int64, fn func(ZMember)) (bool, error) {
	return t.zrand(key, count, fn)
}

// ZScan continues a ZSCAN of key from cursor, calling fn for about count
// members, and returns the next cursor (0 at the end). A small set is
// returned whole at once, as Redis does with listpacks; a large one is
// walked in score order, every member of a score in one call, so that a
// member present for the whole scan with an unchanged score is returned.
func (t Tx) ZScan(key []byte, cursor uint64, count int, fn func(ZMember)) (uint64, error) {
	return t.zscan(key, cursor, count, fn)
}
