package protocol

// COMMAND DOCS entries for scripts and functions (Redis's "scripting"
// group), with Redis 7's arguments.
func init() {
	numkeys := argDoc{name: "numkeys", typ: "integer"}
	keys := argDoc{name: "key", typ: "key", optional: true, multiple: true}
	argv := argDoc{name: "arg", typ: "string", optional: true, multiple: true}
	evalArgs := func(first argDoc) []argDoc { return []argDoc{first, numkeys, keys, argv} }
	flushMode := argDoc{name: "flush-type", typ: "oneof", optional: true, args: []argDoc{
		{name: "async", typ: "pure-token", token: "ASYNC"}, {name: "sync", typ: "pure-token", token: "SYNC"}}}
	for name, d := range map[string]cmdDoc{
		"eval":             {summary: "Executes a server-side Lua script, atomically over the shards of its declared keys.", since: "2.6.0", group: "scripting", complexity: "Depends on the script that is executed.", args: evalArgs(argDoc{name: "script", typ: "string"})},
		"evalsha":          {summary: "Executes a server-side Lua script by SHA1 digest.", since: "2.6.0", group: "scripting", complexity: "Depends on the script that is executed.", args: evalArgs(argDoc{name: "sha1", typ: "string"})},
		"eval_ro":          {summary: "Executes a read-only server-side Lua script.", since: "7.0.0", group: "scripting", complexity: "Depends on the script that is executed.", args: evalArgs(argDoc{name: "script", typ: "string"})},
		"evalsha_ro":       {summary: "Executes a read-only server-side Lua script by SHA1 digest.", since: "7.0.0", group: "scripting", complexity: "Depends on the script that is executed.", args: evalArgs(argDoc{name: "sha1", typ: "string"})},
		"script":           {summary: "A container for Lua scripts management commands.", since: "2.6.0", group: "scripting", complexity: "Depends on subcommand."},
		"script|load":      {summary: "Loads a server-side Lua script to the script cache (on every node of a cluster).", since: "2.6.0", group: "scripting", complexity: "O(N) with N being the length in bytes of the script body.", args: []argDoc{{name: "script", typ: "string"}}},
		"script|exists":    {summary: "Determines whether server-side Lua scripts exist in the script cache.", since: "2.6.0", group: "scripting", complexity: "O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).", args: []argDoc{{name: "sha1", typ: "string", multiple: true}}},
		"script|flush":     {summary: "Removes all server-side Lua scripts from the script cache (on every node of a cluster).", since: "2.6.0", group: "scripting", complexity: "O(N) with N being the number of scripts in cache", args: []argDoc{flushMode}},
		"script|kill":      {summary: "Terminates a server-side Lua script that has run past busy-reply-threshold and has not written.", since: "2.6.0", group: "scripting", complexity: "O(1)"},
		"script|help":      {summary: "Returns helpful text about the different subcommands.", since: "5.0.0", group: "scripting", complexity: "O(1)"},
		"fcall":            {summary: "Invokes a function, atomically over the shards of its declared keys.", since: "7.0.0", group: "scripting", complexity: "Depends on the function that is executed.", args: evalArgs(argDoc{name: "function", typ: "string"})},
		"fcall_ro":         {summary: "Invokes a read-only function.", since: "7.0.0", group: "scripting", complexity: "Depends on the function that is executed.", args: evalArgs(argDoc{name: "function", typ: "string"})},
		"function":         {summary: "A container for function commands.", since: "7.0.0", group: "scripting", complexity: "Depends on subcommand."},
		"function|load":    {summary: "Creates a library (on every node of a cluster).", since: "7.0.0", group: "scripting", complexity: "O(1) (considering compilation time is redundant)", args: []argDoc{{name: "replace", typ: "pure-token", token: "REPLACE", optional: true}, {name: "function-code", typ: "string"}}},
		"function|delete":  {summary: "Deletes a library and its functions (on every node of a cluster).", since: "7.0.0", group: "scripting", complexity: "O(1)", args: []argDoc{{name: "library-name", typ: "string"}}},
		"function|flush":   {summary: "Deletes all libraries and functions (on every node of a cluster).", since: "7.0.0", group: "scripting", complexity: "O(N) where N is the number of functions deleted", args: []argDoc{flushMode}},
		"function|list":    {summary: "Returns information about all libraries.", since: "7.0.0", group: "scripting", complexity: "O(N) where N is the number of functions", args: []argDoc{{name: "library-name-pattern", typ: "string", token: "LIBRARYNAME", optional: true}, {name: "withcode", typ: "pure-token", token: "WITHCODE", optional: true}}},
		"function|dump":    {summary: "Dumps all libraries into a serialized binary payload (Redis's format).", since: "7.0.0", group: "scripting", complexity: "O(N) where N is the number of functions"},
		"function|restore": {summary: "Restores all libraries from a payload.", since: "7.0.0", group: "scripting", complexity: "O(N) where N is the number of functions on the payload", args: []argDoc{{name: "serialized-value", typ: "string"}, {name: "policy", typ: "oneof", optional: true, args: []argDoc{{name: "flush", typ: "pure-token", token: "FLUSH"}, {name: "append", typ: "pure-token", token: "APPEND"}, {name: "replace", typ: "pure-token", token: "REPLACE"}}}}},
		"function|stats":   {summary: "Returns information about a function that runs long, and the engines.", since: "7.0.0", group: "scripting", complexity: "O(1)"},
		"function|kill":    {summary: "Terminates a function that has run past busy-reply-threshold and has not written.", since: "7.0.0", group: "scripting", complexity: "O(1)"},
		"function|help":    {summary: "Returns helpful text about the different subcommands.", since: "7.0.0", group: "scripting", complexity: "O(1)"},
	} {
		docs[name] = d
	}
}
