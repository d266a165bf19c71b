package protocol

// COMMAND DOCS entries for the list commands (Redis's "list" group).
func init() {
	key := argDoc{name: "key", typ: "key"}
	keys := argDoc{name: "key", typ: "key", multiple: true}
	src := argDoc{name: "source", typ: "key"}
	dst := argDoc{name: "destination", typ: "key"}
	elem := argDoc{name: "element", typ: "string"}
	elems := argDoc{name: "element", typ: "string", multiple: true}
	timeout := argDoc{name: "timeout", typ: "double"}
	numkeys := argDoc{name: "numkeys", typ: "integer"}
	end := func(name string) argDoc {
		return argDoc{name: name, typ: "oneof", args: []argDoc{
			{name: "left", typ: "pure-token", token: "LEFT"},
			{name: "right", typ: "pure-token", token: "RIGHT"},
		}}
	}
	count := argDoc{name: "count", typ: "integer", optional: true}
	mcount := argDoc{name: "count", typ: "integer", token: "COUNT", optional: true}
	d := func(summary, since, complexity string, args ...argDoc) cmdDoc {
		return cmdDoc{summary: summary, since: since, group: "list", complexity: complexity, args: args}
	}
	o1 := "O(1)"
	push := "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."
	pop := "O(N) where N is the number of elements returned"
	bpop := "O(N) where N is the number of provided keys."
	walk := "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1)."
	mpop := "O(N+M) where N is the number of provided keys and M is the number of elements returned."
	for name, doc := range map[string]cmdDoc{
		"lpush":  d("Prepends elements to a list, creating it; replies with its length.", "1.0.0", push, key, elems),
		"rpush":  d("Appends elements to a list, creating it; replies with its length.", "1.0.0", push, key, elems),
		"lpushx": d("Prepends elements to a list only when it exists.", "2.2.0", push, key, elems),
		"rpushx": d("Appends elements to a list only when it exists.", "2.2.0", push, key, elems),
		"lpop":   d("Removes and returns the first elements of a list, and the list with its last element.", "1.0.0", pop, key, count),
		"rpop":   d("Removes and returns the last elements of a list, and the list with its last element.", "1.0.0", pop, key, count),
		"llen":   d("Returns the length of a list.", "1.0.0", o1, key),
		"lindex": d("Returns the element at an index of a list (negative from the end).", "1.0.0", walk, key, argDoc{name: "index", typ: "integer"}),
		"lset":   d("Replaces the element at an index of a list.", "1.0.0", walk, key, argDoc{name: "index", typ: "integer"}, elem),
		"lrange": d("Returns a range of elements of a list.", "1.0.0", "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
			key, argDoc{name: "start", typ: "integer"}, argDoc{name: "stop", typ: "integer"}),
		"ltrim": d("Keeps only a range of elements of a list, deleting it when the range is empty.", "1.0.0", "O(N) where N is the number of elements to be removed by the operation.",
			key, argDoc{name: "start", typ: "integer"}, argDoc{name: "stop", typ: "integer"}),
		"linsert": d("Inserts an element before or after the first occurrence of another.", "2.2.0", "O(N) where N is the number of elements to traverse before seeing the value pivot.",
			key, argDoc{name: "where", typ: "oneof", args: []argDoc{
				{name: "before", typ: "pure-token", token: "BEFORE"},
				{name: "after", typ: "pure-token", token: "AFTER"},
			}}, argDoc{name: "pivot", typ: "string"}, elem),
		"lrem": d("Removes occurrences of an element from a list.", "1.0.0", "O(N+M) where N is the length of the list and M is the number of elements removed.",
			key, argDoc{name: "count", typ: "integer"}, elem),
		"lpos": d("Returns the indexes of the elements of a list equal to a value.", "6.0.6", "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
			key, elem,
			argDoc{name: "rank", typ: "integer", token: "RANK", optional: true},
			argDoc{name: "num-matches", typ: "integer", token: "COUNT", optional: true},
			argDoc{name: "len", typ: "integer", token: "MAXLEN", optional: true}),
		"lmove":      d("Pops an element from one end of a list and pushes it to an end of another.", "6.2.0", o1, src, dst, end("wherefrom"), end("whereto")),
		"rpoplpush":  d("Pops the last element of a list and pushes it at the head of another.", "1.2.0", o1, src, dst),
		"lmpop":      d("Pops elements from the first non-empty list among several.", "7.0.0", mpop, numkeys, keys, end("where"), mcount),
		"blpop":      d("Pops the first element of the first non-empty list, blocking until one has one or the timeout passes.", "2.0.0", bpop, keys, timeout),
		"brpop":      d("Pops the last element of the first non-empty list, blocking until one has one or the timeout passes.", "2.0.0", bpop, keys, timeout),
		"blmove":     d("Pops an element from a list and pushes it to another, blocking until there is one.", "6.2.0", o1, src, dst, end("wherefrom"), end("whereto"), timeout),
		"brpoplpush": d("Pops the last element of a list and pushes it at the head of another, blocking until there is one.", "2.2.0", o1, src, dst, timeout),
		"blmpop":     d("Pops elements from the first non-empty list among several, blocking until one has some.", "7.0.0", mpop, timeout, numkeys, keys, end("where"), mcount),
	} {
		docs[name] = doc
	}
}
