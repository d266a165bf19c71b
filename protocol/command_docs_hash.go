package protocol

// COMMAND DOCS entries for the hash commands (Redis's "hash" group).
func init() {
	key := argDoc{name: "key", typ: "key"}
	field := argDoc{name: "field", typ: "string"}
	fields := argDoc{name: "fields", typ: "block", token: "FIELDS", args: []argDoc{
		{name: "numfields", typ: "integer"},
		{name: "field", typ: "string", multiple: true},
	}}
	pairs := argDoc{name: "data", typ: "block", multiple: true, args: []argDoc{field, {name: "value", typ: "string"}}}
	expireCond := argDoc{name: "condition", typ: "oneof", optional: true, args: []argDoc{
		{name: "nx", typ: "pure-token", token: "NX"},
		{name: "xx", typ: "pure-token", token: "XX"},
		{name: "gt", typ: "pure-token", token: "GT"},
		{name: "lt", typ: "pure-token", token: "LT"},
	}}
	expire := func(name, typ string) []argDoc {
		return []argDoc{key, {name: name, typ: typ}, expireCond, fields}
	}
	d := func(summary, since, complexity string, args ...argDoc) cmdDoc {
		return cmdDoc{summary: summary, since: since, group: "hash", complexity: complexity, args: args}
	}
	o1, on := "O(1)", "O(N) where N is the size of the hash."
	onf := "O(N) where N is the number of fields given."
	for name, doc := range map[string]cmdDoc{
		"hset":         d("Sets fields of a hash to values, creating the hash; replies with the number of new fields.", "2.0.0", "O(1) for each field/value pair added", key, pairs),
		"hmset":        d("Sets fields of a hash to values (deprecated: HSET takes several pairs).", "2.0.0", "O(N) where N is the number of fields being set.", key, pairs),
		"hsetnx":       d("Sets a field of a hash only if the field does not exist.", "2.0.0", o1, key, field, argDoc{name: "value", typ: "string"}),
		"hget":         d("Returns the value of a field of a hash.", "2.0.0", o1, key, field),
		"hmget":        d("Returns the values of fields of a hash, nil for each one missing.", "2.0.0", onf, key, argDoc{name: "field", typ: "string", multiple: true}),
		"hgetall":      d("Returns every field and value of a hash.", "2.0.0", on, key),
		"hkeys":        d("Returns every field of a hash.", "2.0.0", on, key),
		"hvals":        d("Returns every value of a hash.", "2.0.0", on, key),
		"hdel":         d("Deletes fields from a hash, and the hash with its last field.", "2.0.0", onf, key, argDoc{name: "field", typ: "string", multiple: true}),
		"hlen":         d("Returns the number of fields of a hash.", "2.0.0", o1, key),
		"hstrlen":      d("Returns the length of the value of a field of a hash.", "3.2.0", o1, key, field),
		"hexists":      d("Reports whether a field exists in a hash.", "2.0.0", o1, key, field),
		"hincrby":      d("Adds an integer to the integer value of a field of a hash.", "2.0.0", o1, key, field, argDoc{name: "increment", typ: "integer"}),
		"hincrbyfloat": d("Adds a floating point number to the value of a field of a hash.", "2.6.0", o1, key, field, argDoc{name: "increment", typ: "double"}),
		"hrandfield": d("Returns random fields of a hash, optionally with their values.", "6.2.0", "O(N) where N is the number of fields returned", key,
			argDoc{name: "options", typ: "block", optional: true, args: []argDoc{
				{name: "count", typ: "integer"},
				{name: "withvalues", typ: "pure-token", token: "WITHVALUES", optional: true},
			}}),
		"hscan": d("Iterates over the fields and values of a hash.", "2.8.0", "O(1) for every call. O(N) for a complete iteration.", key,
			argDoc{name: "cursor", typ: "integer"},
			argDoc{name: "pattern", typ: "pattern", token: "MATCH", optional: true},
			argDoc{name: "count", typ: "integer", token: "COUNT", optional: true},
			argDoc{name: "novalues", typ: "pure-token", token: "NOVALUES", optional: true}),
		"hexpire":      d("Sets the time to live of hash fields in seconds.", "7.4.0", onf, expire("seconds", "integer")...),
		"hpexpire":     d("Sets the time to live of hash fields in milliseconds.", "7.4.0", onf, expire("milliseconds", "integer")...),
		"hexpireat":    d("Sets the expiry of hash fields as a Unix time in seconds.", "7.4.0", onf, expire("unix-time-seconds", "unix-time")...),
		"hpexpireat":   d("Sets the expiry of hash fields as a Unix time in milliseconds.", "7.4.0", onf, expire("unix-time-milliseconds", "unix-time")...),
		"httl":         d("Returns the time to live of hash fields in seconds.", "7.4.0", onf, key, fields),
		"hpttl":        d("Returns the time to live of hash fields in milliseconds.", "7.4.0", onf, key, fields),
		"hexpiretime":  d("Returns the expiry of hash fields as a Unix time in seconds.", "7.4.0", onf, key, fields),
		"hpexpiretime": d("Returns the expiry of hash fields as a Unix time in milliseconds.", "7.4.0", onf, key, fields),
		"hpersist":     d("Removes the expiry of hash fields.", "7.4.0", onf, key, fields),
		"hgetdel":      d("Returns the values of hash fields and deletes them.", "8.0.0", onf, key, fields),
		"hgetex": d("Returns the values of hash fields and optionally sets or removes their expiry.", "8.0.0", onf, key,
			argDoc{name: "expiration", typ: "oneof", optional: true, args: []argDoc{
				{name: "seconds", typ: "integer", token: "EX"},
				{name: "milliseconds", typ: "integer", token: "PX"},
				{name: "unix-time-seconds", typ: "unix-time", token: "EXAT"},
				{name: "unix-time-milliseconds", typ: "unix-time", token: "PXAT"},
				{name: "persist", typ: "pure-token", token: "PERSIST"},
			}}, fields),
		"hsetex": d("Sets hash fields to values, optionally only if none or all exist, and optionally sets their expiry.", "8.0.0", onf, key,
			argDoc{name: "condition", typ: "oneof", optional: true, args: []argDoc{
				{name: "fnx", typ: "pure-token", token: "FNX"},
				{name: "fxx", typ: "pure-token", token: "FXX"},
			}},
			argDoc{name: "expiration", typ: "oneof", optional: true, args: []argDoc{
				{name: "seconds", typ: "integer", token: "EX"},
				{name: "milliseconds", typ: "integer", token: "PX"},
				{name: "unix-time-seconds", typ: "unix-time", token: "EXAT"},
				{name: "unix-time-milliseconds", typ: "unix-time", token: "PXAT"},
				{name: "keepttl", typ: "pure-token", token: "KEEPTTL"},
			}},
			argDoc{name: "fields", typ: "block", token: "FIELDS", args: []argDoc{{name: "numfields", typ: "integer"}, pairs}}),
	} {
		docs[name] = doc
	}
}
