package protocol

// COMMAND DOCS entries for the bitmap commands (Redis's "bitmap" group)
// and the HyperLogLog ones ("hyperloglog"), with Redis 7.0's arguments.
func init() {
	key := argDoc{name: "key", typ: "key"}
	integer := func(name string) argDoc { return argDoc{name: name, typ: "integer"} }
	unit := argDoc{name: "index_unit", typ: "oneof", optional: true, args: []argDoc{
		{name: "byte", typ: "pure-token", token: "BYTE"},
		{name: "bit", typ: "pure-token", token: "BIT"},
	}}
	encOffset := func(token string) argDoc {
		return argDoc{name: "encoding_offset", typ: "block", token: token, args: []argDoc{{name: "encoding", typ: "string"}, integer("offset")}}
	}
	bm := func(summary, since, complexity string, args ...argDoc) cmdDoc {
		return cmdDoc{summary: summary, since: since, group: "bitmap", complexity: complexity, args: args}
	}
	hl := func(summary, complexity string, args ...argDoc) cmdDoc {
		return cmdDoc{summary: summary, since: "2.8.9", group: "hyperloglog", complexity: complexity, args: args}
	}
	getOp := encOffset("GET")
	getOps := encOffset("GET")
	getOps.optional, getOps.multiple, getOps.multipleToken = true, true, true
	for name, doc := range map[string]cmdDoc{
		"setbit": bm("Sets or clears the bit at an offset of a string, growing it with zero bytes as needed; replies with the bit's old value.", "2.2.0", "O(1)",
			key, integer("offset"), integer("value")),
		"getbit": bm("Returns the bit at an offset of a string (0 past its end).", "2.2.0", "O(1)", key, integer("offset")),
		"bitcount": bm("Counts the set bits of a string, or of a range of its bytes or bits.", "2.6.0", "O(N)", key,
			argDoc{name: "index", typ: "block", optional: true, args: []argDoc{integer("start"), integer("end"), unit}}),
		"bitpos": bm("Returns the position of the first set or clear bit of a string, or of a range of it.", "2.8.7", "O(N)", key, integer("bit"),
			argDoc{name: "index", typ: "block", optional: true, args: []argDoc{integer("start"),
				{name: "end_index", typ: "block", optional: true, args: []argDoc{integer("end"), unit}}}}),
		"bitop": bm("Stores the bitwise AND, OR, XOR of strings, or the NOT of one, in a key.", "2.6.0", "O(N)",
			argDoc{name: "operation", typ: "string"}, argDoc{name: "destkey", typ: "key"}, argDoc{name: "key", typ: "key", multiple: true}),
		"bitfield": bm("Reads, sets and increments integer fields of any width up to 64 bits at any bit offset of a string.", "3.2.0", "O(1) for each subcommand specified", key,
			argDoc{name: "operation", typ: "oneof", optional: true, multiple: true, args: []argDoc{
				getOp,
				{name: "write", typ: "block", args: []argDoc{
					{name: "wrap_sat_fail", typ: "oneof", token: "OVERFLOW", optional: true, args: []argDoc{
						{name: "wrap", typ: "pure-token", token: "WRAP"},
						{name: "sat", typ: "pure-token", token: "SAT"},
						{name: "fail", typ: "pure-token", token: "FAIL"},
					}},
					{name: "write_operation", typ: "oneof", args: []argDoc{
						{name: "encoding_offset_value", typ: "block", token: "SET", args: []argDoc{{name: "encoding", typ: "string"}, integer("offset"), integer("value")}},
						{name: "encoding_offset_increment", typ: "block", token: "INCRBY", args: []argDoc{{name: "encoding", typ: "string"}, integer("offset"), integer("increment")}},
					}},
				}},
			}}),
		"bitfield_ro": bm("Reads integer fields of a string: BITFIELD's GET only, for read-only contexts.", "6.0.0", "O(1) for each subcommand specified", key, getOps),

		"pfadd": hl("Adds elements to a HyperLogLog, creating it; replies 1 when an estimate may have changed.", "O(1) to add every element.",
			key, argDoc{name: "element", typ: "string", optional: true, multiple: true}),
		"pfcount": hl("Returns the estimated number of distinct elements added to a HyperLogLog, or to the union of several.",
			"O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.",
			argDoc{name: "key", typ: "key", multiple: true}),
		"pfmerge": hl("Stores the union of HyperLogLogs in a key (merged into its own registers when it exists).", "O(N) to merge N HyperLogLogs, but with high constant times.",
			argDoc{name: "destkey", typ: "key"}, argDoc{name: "sourcekey", typ: "key", multiple: true}),
		"pfdebug":    hl("Debugging operations on a HyperLogLog: GETREG, DECODE, ENCODING, TODENSE.", "N/A", argDoc{name: "subcommand", typ: "string"}, key),
		"pfselftest": hl("Runs a quick self-test of the HyperLogLog implementation.", "N/A"),
	} {
		docs[name] = doc
	}
}
