package protocol

// COMMAND DOCS entries for the set commands (Redis's "set" group), and
// OBJECT's (Redis's "generic" group).
func init() {
	key := argDoc{name: "key", typ: "key"}
	keys := argDoc{name: "key", typ: "key", multiple: true}
	dst := argDoc{name: "destination", typ: "key"}
	mem := argDoc{name: "member", typ: "string"}
	mems := argDoc{name: "member", typ: "string", multiple: true}
	d := func(summary, since, complexity string, args ...argDoc) cmdDoc {
		return cmdDoc{summary: summary, since: since, group: "set", complexity: complexity, args: args}
	}
	o1, on := "O(1)", "O(N) where N is the set cardinality."
	onm := "O(N) where N is the number of members given."
	for name, doc := range map[string]cmdDoc{
		"sadd":        d("Adds members to a set, creating it; replies with the number added.", "1.0.0", onm, key, mems),
		"srem":        d("Removes members from a set, and the set with its last member.", "1.0.0", onm, key, mems),
		"smembers":    d("Returns every member of a set.", "1.0.0", on, key),
		"sismember":   d("Reports whether a value is a member of a set.", "1.0.0", o1, key, mem),
		"smismember":  d("Reports for each value whether it is a member of a set.", "6.2.0", onm, key, mems),
		"scard":       d("Returns the number of members of a set.", "1.0.0", o1, key),
		"spop":        d("Removes and returns random members of a set.", "1.0.0", "O(N) where N is the value of the passed count.", key, argDoc{name: "count", typ: "integer", optional: true}),
		"srandmember": d("Returns random members of a set; a negative count may repeat them.", "1.0.0", "O(N) where N is the absolute value of the passed count.", key, argDoc{name: "count", typ: "integer", optional: true}),
		"smove":       d("Moves a member from one set to another.", "1.0.0", o1, argDoc{name: "source", typ: "key"}, dst, mem),
		"sinter":      d("Returns the intersection of sets.", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", keys),
		"sintercard": d("Returns the number of members in the intersection of sets, up to a limit.", "7.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
			argDoc{name: "numkeys", typ: "integer"}, keys, argDoc{name: "limit", typ: "integer", token: "LIMIT", optional: true}),
		"sinterstore": d("Stores the intersection of sets in a key.", "1.0.0", "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.", dst, keys),
		"sunion":      d("Returns the union of sets.", "1.0.0", "O(N) where N is the total number of elements in all given sets.", keys),
		"sunionstore": d("Stores the union of sets in a key.", "1.0.0", "O(N) where N is the total number of elements in all given sets.", dst, keys),
		"sdiff":       d("Returns the members of the first set that are in none of the others.", "1.0.0", "O(N) where N is the total number of elements in all given sets.", keys),
		"sdiffstore":  d("Stores the difference of sets in a key.", "1.0.0", "O(N) where N is the total number of elements in all given sets.", dst, keys),
		"sscan": d("Iterates over the members of a set.", "2.0.0", "O(1) for every call. O(N) for a complete iteration.", key,
			argDoc{name: "cursor", typ: "integer"},
			argDoc{name: "pattern", typ: "pattern", token: "MATCH", optional: true},
			argDoc{name: "count", typ: "integer", token: "COUNT", optional: true}),
		"object":          {summary: "A container for object introspection commands.", since: "2.2.3", group: "generic", complexity: "Depends on subcommand."},
		"object|encoding": {summary: "Returns the internal encoding of a key's value.", since: "2.2.3", group: "generic", complexity: o1, args: []argDoc{key}},
		"object|freq":     {summary: "Returns the logarithmic access frequency counter of a key's value (LFU policies only).", since: "4.0.0", group: "generic", complexity: o1, args: []argDoc{key}},
		"object|idletime": {summary: "Returns the time since the last access to a key's value, in seconds (every policy but LFU's).", since: "2.2.3", group: "generic", complexity: o1, args: []argDoc{key}},
		"object|refcount": {summary: "Returns the reference count of a key's value (always 1: values are not shared).", since: "2.2.3", group: "generic", complexity: o1, args: []argDoc{key}},
		"object|help":     {summary: "Returns helpful text about the OBJECT subcommands.", since: "6.2.0", group: "generic", complexity: o1},
	} {
		docs[name] = doc
	}
}
