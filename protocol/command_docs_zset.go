package protocol

// COMMAND DOCS entries for the sorted set commands (Redis's "sorted-set"
// group).
func init() {
	key := argDoc{name: "key", typ: "key"}
	keys := argDoc{name: "key", typ: "key", multiple: true}
	dst := argDoc{name: "destination", typ: "key"}
	src := argDoc{name: "source", typ: "key"}
	mem := argDoc{name: "member", typ: "string"}
	mems := argDoc{name: "member", typ: "string", multiple: true}
	numkeys := argDoc{name: "numkeys", typ: "integer"}
	withScores := argDoc{name: "withscores", typ: "pure-token", token: "WITHSCORES", optional: true}
	withScore := argDoc{name: "withscore", typ: "pure-token", token: "WITHSCORE", optional: true} // Redis 7.2
	minS := argDoc{name: "min", typ: "double"}
	maxS := argDoc{name: "max", typ: "double"}
	minL := argDoc{name: "min", typ: "string"}
	maxL := argDoc{name: "max", typ: "string"}
	limit := argDoc{name: "limit", typ: "block", token: "LIMIT", optional: true, args: []argDoc{
		{name: "offset", typ: "integer"}, {name: "count", typ: "integer"}}}
	weights := argDoc{name: "weight", typ: "integer", token: "WEIGHTS", optional: true, multiple: true}
	agg := argDoc{name: "aggregate", typ: "oneof", token: "AGGREGATE", optional: true, args: []argDoc{
		{name: "sum", typ: "pure-token", token: "SUM"},
		{name: "min", typ: "pure-token", token: "MIN"},
		{name: "max", typ: "pure-token", token: "MAX"}}}
	where := argDoc{name: "where", typ: "oneof", args: []argDoc{
		{name: "min", typ: "pure-token", token: "MIN"},
		{name: "max", typ: "pure-token", token: "MAX"}}}
	count := argDoc{name: "count", typ: "integer", token: "COUNT", optional: true}
	timeout := argDoc{name: "timeout", typ: "double"}
	rangeArgs := []argDoc{{name: "start", typ: "string"}, {name: "stop", typ: "string"},
		{name: "sortby", typ: "oneof", optional: true, args: []argDoc{
			{name: "byscore", typ: "pure-token", token: "BYSCORE"},
			{name: "bylex", typ: "pure-token", token: "BYLEX"}}},
		{name: "rev", typ: "pure-token", token: "REV", optional: true}, limit}
	d := func(summary, since, complexity string, args ...argDoc) cmdDoc {
		return cmdDoc{summary: summary, since: since, group: "sorted-set", complexity: complexity, args: args}
	}
	logN, o1 := "O(log(N)) where N is the number of elements in the sorted set.", "O(1)"
	logNM := "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned."
	union := "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set."
	inter := "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set."
	diff := "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set."
	for name, doc := range map[string]cmdDoc{
		"zadd": d("Adds members with scores to a sorted set, creating it, or updates their scores.", "1.2.0", "O(log(N)) for each item added, where N is the number of elements in the sorted set.", key,
			argDoc{name: "condition", typ: "oneof", optional: true, args: []argDoc{
				{name: "nx", typ: "pure-token", token: "NX"}, {name: "xx", typ: "pure-token", token: "XX"}}},
			argDoc{name: "comparison", typ: "oneof", optional: true, args: []argDoc{
				{name: "gt", typ: "pure-token", token: "GT"}, {name: "lt", typ: "pure-token", token: "LT"}}},
			argDoc{name: "change", typ: "pure-token", token: "CH", optional: true},
			argDoc{name: "increment", typ: "pure-token", token: "INCR", optional: true},
			argDoc{name: "data", typ: "block", multiple: true, args: []argDoc{{name: "score", typ: "double"}, mem}}),
		"zincrby":   d("Increments the score of a member of a sorted set, creating both if needed.", "1.2.0", logN, key, argDoc{name: "increment", typ: "integer"}, mem),
		"zrem":      d("Removes members from a sorted set, and the key with its last member.", "1.2.0", "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.", key, mems),
		"zcard":     d("Returns the number of members of a sorted set.", "1.2.0", o1, key),
		"zcount":    d("Returns the number of members with a score in a range.", "2.0.0", logN, key, minS, maxS),
		"zlexcount": d("Returns the number of members in a lexicographical range.", "2.8.9", logN, key, minL, maxL),
		"zscore":    d("Returns the score of a member of a sorted set.", "1.2.0", o1, key, mem),
		"zmscore":   d("Returns the scores of members of a sorted set.", "6.2.0", "O(N) where N is the number of members being requested.", key, mems),
		"zrank":     d("Returns the rank of a member, by ascending score.", "2.0.0", logN, key, mem, withScore),
		"zrevrank":  d("Returns the rank of a member, by descending score.", "2.0.0", logN, key, mem, withScore),
		"zrange":    d("Returns members by rank, score or lexicographical range.", "1.2.0", logNM, append([]argDoc{key}, append(rangeArgs, withScores)...)...),
		"zrangestore": d("Stores a range of a sorted set in a key.", "6.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
			append([]argDoc{{name: "dst", typ: "key"}, src}, rangeArgs...)...),
		"zrevrange":        d("Returns members by rank, from the highest score.", "1.2.0", logNM, key, argDoc{name: "start", typ: "integer"}, argDoc{name: "stop", typ: "integer"}, withScores),
		"zrangebyscore":    d("Returns members with a score in a range.", "1.0.5", logNM, key, minS, maxS, withScores, limit),
		"zrevrangebyscore": d("Returns members with a score in a range, from the highest.", "2.2.0", logNM, key, maxS, minS, withScores, limit),
		"zrangebylex":      d("Returns members in a lexicographical range.", "2.8.9", logNM, key, minL, maxL, limit),
		"zrevrangebylex":   d("Returns members in a lexicographical range, in reverse.", "2.8.9", logNM, key, maxL, minL, limit),
		"zremrangebyrank":  d("Removes the members of a range of ranks.", "2.0.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", key, argDoc{name: "start", typ: "integer"}, argDoc{name: "stop", typ: "integer"}),
		"zremrangebyscore": d("Removes the members with a score in a range.", "1.2.0", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", key, minS, maxS),
		"zremrangebylex":   d("Removes the members in a lexicographical range.", "2.8.9", "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.", key, minL, maxL),
		"zpopmin":          d("Removes and returns the members with the lowest scores.", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", key, argDoc{name: "count", typ: "integer", optional: true}),
		"zpopmax":          d("Removes and returns the members with the highest scores.", "5.0.0", "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.", key, argDoc{name: "count", typ: "integer", optional: true}),
		"zmpop":            d("Removes and returns members from the first non-empty sorted set of several.", "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", numkeys, keys, where, count),
		"bzpopmin":         d("Removes and returns the member with the lowest score, blocking until one is there.", "5.0.0", logN, keys, timeout),
		"bzpopmax":         d("Removes and returns the member with the highest score, blocking until one is there.", "5.0.0", logN, keys, timeout),
		"bzmpop":           d("Removes and returns members from the first non-empty sorted set of several, blocking until one is there.", "7.0.0", "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.", timeout, numkeys, keys, where, count),
		"zrandmember": d("Returns random members of a sorted set; a negative count may repeat them.", "6.2.0", "O(N) where N is the number of members returned", key,
			argDoc{name: "options", typ: "block", optional: true, args: []argDoc{{name: "count", typ: "integer"}, withScores}}),
		"zunion":      d("Returns the union of sorted sets (sets count with score 1).", "6.2.0", union, numkeys, keys, weights, agg, withScores),
		"zunionstore": d("Stores the union of sorted sets in a key.", "2.0.0", union, dst, numkeys, keys, weights, agg),
		"zinter":      d("Returns the intersection of sorted sets (sets count with score 1).", "6.2.0", inter, numkeys, keys, weights, agg, withScores),
		"zinterstore": d("Stores the intersection of sorted sets in a key.", "2.0.0", inter, dst, numkeys, keys, weights, agg),
		"zintercard":  d("Returns the number of members in the intersection of sorted sets, up to a limit.", "7.0.0", "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.", numkeys, keys, argDoc{name: "limit", typ: "integer", token: "LIMIT", optional: true}),
		"zdiff":       d("Returns the members of the first sorted set that are in none of the others.", "6.2.0", diff, numkeys, keys, withScores),
		"zdiffstore":  d("Stores the difference of sorted sets in a key.", "6.2.0", diff, dst, numkeys, keys),
		"zscan": d("Iterates over the members and scores of a sorted set.", "2.8.0", "O(1) for every call. O(N) for a complete iteration.", key,
			argDoc{name: "cursor", typ: "integer"},
			argDoc{name: "pattern", typ: "pattern", token: "MATCH", optional: true},
			argDoc{name: "count", typ: "integer", token: "COUNT", optional: true}),
	} {
		docs[name] = doc
	}
}
