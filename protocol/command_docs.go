package protocol

// Command documentation in the shape Redis 7 returns from COMMAND DOCS.
//
// The facts (group, the version that introduced a command, time complexity
// and the argument tree: names, types, tokens, optional/multiple flags and
// oneof/block nesting) follow Redis 7's command table (src/commands/*.json).
// The summaries are our own wording. Long complexity notes are condensed.

// cmdDoc is what COMMAND DOCS says about one command; redis-cli builds its
// interactive argument hints from args.
type cmdDoc struct {
	summary, since, group, complexity string
	args                              []argDoc
}

// argDoc is one argument as Redis 7's command docs describe it.
type argDoc struct {
	name, typ                         string // typ: "key", "string", "integer", "double", "pattern", "unix-time", "pure-token", "oneof", "block"
	token                             string // the literal keyword preceding the value, e.g. "EX", "MATCH"; "" if none
	display                           string // display_text, if Redis's docs give one
	optional, multiple, multipleToken bool
	args                              []argDoc // children of oneof / block
}

// Argument lists shared by several commands. They are never modified.
var (
	// docKeyArg is a single key argument named "key".
	docKeyArg = []argDoc{{name: "key", typ: "key"}}

	// docKeysArg is one or more keys.
	docKeysArg = []argDoc{{name: "key", typ: "key", multiple: true}}

	// docExpireCondition is the NX|XX|GT|LT choice of the EXPIRE family (7.0+).
	docExpireCondition = argDoc{name: "condition", typ: "oneof", optional: true, args: []argDoc{
		{name: "nx", typ: "pure-token", token: "NX"},
		{name: "xx", typ: "pure-token", token: "XX"},
		{name: "gt", typ: "pure-token", token: "GT"},
		{name: "lt", typ: "pure-token", token: "LT"},
	}}

	// docFlushType is the ASYNC|SYNC choice of FLUSHDB and FLUSHALL.
	docFlushType = []argDoc{{name: "flush-type", typ: "oneof", optional: true, args: []argDoc{
		{name: "async", typ: "pure-token", token: "ASYNC"},
		{name: "sync", typ: "pure-token", token: "SYNC"},
	}}}

	// docKeyValuePairs is the repeated key/value block of MSET and MSETNX.
	docKeyValuePairs = []argDoc{{name: "data", typ: "block", multiple: true, args: []argDoc{
		{name: "key", typ: "key"},
		{name: "value", typ: "string"},
	}}}

	// docRenameArgs is the source/target pair of RENAME and RENAMENX.
	docRenameArgs = []argDoc{
		{name: "key", typ: "key"},
		{name: "newkey", typ: "key"},
	}

	// docRangeArgs is the key/start/end triple of GETRANGE and SUBSTR.
	docRangeArgs = []argDoc{
		{name: "key", typ: "key"},
		{name: "start", typ: "integer"},
		{name: "end", typ: "integer"},
	}

	// docCommandNames is the optional list of names taken by COMMAND DOCS and COMMAND INFO.
	docCommandNames = []argDoc{{name: "command-name", typ: "string", optional: true, multiple: true}}
)

// docs maps a lower-case command name ("get") or "container|sub"
// ("client|setname") to its docs.
var docs = map[string]cmdDoc{
	// ---- connection ----
	"ping": {
		summary:    "Checks that the connection is alive; replies PONG or echoes the given message.",
		since:      "1.0.0",
		group:      "connection",
		complexity: "O(1)",
		args:       []argDoc{{name: "message", typ: "string", optional: true}},
	},
	"echo": {
		summary:    "Replies with the message it was sent.",
		since:      "1.0.0",
		group:      "connection",
		complexity: "O(1)",
		args:       []argDoc{{name: "message", typ: "string"}},
	},
	"quit": {
		summary:    "Asks the server to close this connection once the reply is written.",
		since:      "1.0.0",
		group:      "connection",
		complexity: "O(1)",
	},
	"select": {
		summary:    "Switches this connection to the logical database with the given index.",
		since:      "1.0.0",
		group:      "connection",
		complexity: "O(1)",
		args:       []argDoc{{name: "index", typ: "integer"}},
	},
	"hello": {
		summary:    "Negotiates the protocol version, optionally authenticates and names the connection, and reports server details.",
		since:      "6.0.0",
		group:      "connection",
		complexity: "O(1)",
		args: []argDoc{{name: "arguments", typ: "block", optional: true, args: []argDoc{
			{name: "protover", typ: "integer"},
			{name: "auth", typ: "block", token: "AUTH", optional: true, args: []argDoc{
				{name: "username", typ: "string"},
				{name: "password", typ: "string"},
			}},
			{name: "clientname", typ: "string", token: "SETNAME", optional: true},
		}}},
	},
	"reset": {
		summary:    "Returns the connection to its initial state: leaves MULTI, unwatches keys, selects DB 0 and logs out.",
		since:      "6.2.0",
		group:      "connection",
		complexity: "O(1)",
	},
	"auth": {
		summary:    "Logs the connection in with a password, or with a username and password.",
		since:      "1.0.0",
		group:      "connection",
		complexity: "O(N) where N is the number of passwords defined for the user",
		args: []argDoc{
			{name: "username", typ: "string", optional: true},
			{name: "password", typ: "string"},
		},
	},
	"client": {
		summary:    "Groups the subcommands that inspect and manage client connections.",
		since:      "2.4.0",
		group:      "connection",
		complexity: "Depends on subcommand.",
	},
	"client|setname": {
		summary:    "Gives the current connection a name.",
		since:      "2.6.9",
		group:      "connection",
		complexity: "O(1)",
		args:       []argDoc{{name: "connection-name", typ: "string"}},
	},
	"client|getname": {
		summary:    "Reports the name given to the current connection, if any.",
		since:      "2.6.9",
		group:      "connection",
		complexity: "O(1)",
	},
	"client|id": {
		summary:    "Reports the numeric ID of the current connection.",
		since:      "5.0.0",
		group:      "connection",
		complexity: "O(1)",
	},
	"client|info": {
		summary:    "Describes the current connection in CLIENT LIST format.",
		since:      "6.2.0",
		group:      "connection",
		complexity: "O(1)",
	},
	"client|list": {
		summary:    "Describes every open connection, optionally filtered by type or ID.",
		since:      "2.4.0",
		group:      "connection",
		complexity: "O(N) where N is the number of client connections",
		args: []argDoc{
			{name: "client-type", typ: "oneof", token: "TYPE", optional: true, args: []argDoc{
				{name: "normal", typ: "pure-token", token: "NORMAL"},
				{name: "master", typ: "pure-token", token: "MASTER"},
				{name: "replica", typ: "pure-token", token: "REPLICA"},
				{name: "pubsub", typ: "pure-token", token: "PUBSUB"},
			}},
			{name: "client-id", typ: "integer", token: "ID", optional: true, multiple: true},
		},
	},
	"client|setinfo": {
		summary:    "Records the client library's name or version on the current connection.",
		since:      "7.2.0",
		group:      "connection",
		complexity: "O(1)",
		args: []argDoc{{name: "attr", typ: "oneof", args: []argDoc{
			{name: "libname", typ: "string", token: "LIB-NAME"},
			{name: "libver", typ: "string", token: "LIB-VER"},
		}}},
	},
	"client|kill": {
		summary:    "Closes the connections selected by address or by a set of filters.",
		since:      "2.4.0",
		group:      "connection",
		complexity: "O(N) where N is the number of client connections",
		args: []argDoc{{name: "filter", typ: "oneof", args: []argDoc{
			{name: "old-format", typ: "string", display: "ip:port"},
			{name: "new-format", typ: "oneof", multiple: true, args: []argDoc{
				{name: "client-id", typ: "integer", token: "ID", optional: true},
				{name: "client-type", typ: "oneof", token: "TYPE", optional: true, args: []argDoc{
					{name: "normal", typ: "pure-token", token: "NORMAL"},
					{name: "master", typ: "pure-token", token: "MASTER"},
					{name: "slave", typ: "pure-token", token: "SLAVE"},
					{name: "replica", typ: "pure-token", token: "REPLICA"},
					{name: "pubsub", typ: "pure-token", token: "PUBSUB"},
				}},
				{name: "username", typ: "string", token: "USER", optional: true},
				{name: "addr", typ: "string", token: "ADDR", display: "ip:port", optional: true},
				{name: "laddr", typ: "string", token: "LADDR", display: "ip:port", optional: true},
				{name: "skipme", typ: "oneof", token: "SKIPME", optional: true, args: []argDoc{
					{name: "yes", typ: "pure-token", token: "YES"},
					{name: "no", typ: "pure-token", token: "NO"},
				}},
				{name: "maxage", typ: "integer", token: "MAXAGE", optional: true},
			}},
		}}},
	},
	"client|no-evict": {
		summary:    "Sets whether maxmemory-clients may evict the current connection.",
		since:      "7.0.0",
		group:      "connection",
		complexity: "O(1)",
		args: []argDoc{{name: "enabled", typ: "oneof", args: []argDoc{
			{name: "on", typ: "pure-token", token: "ON"},
			{name: "off", typ: "pure-token", token: "OFF"},
		}}},
	},
	"client|no-touch": {
		summary:    "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.",
		since:      "7.2.0",
		group:      "connection",
		complexity: "O(1)",
		args: []argDoc{{name: "enabled", typ: "oneof", args: []argDoc{
			{name: "on", typ: "pure-token", token: "ON"},
			{name: "off", typ: "pure-token", token: "OFF"},
		}}},
	},
	"client|help": {
		summary:    "Lists the CLIENT subcommands with a short description of each.",
		since:      "5.0.0",
		group:      "connection",
		complexity: "O(1)",
	},

	// ---- string ----
	"get": {
		summary:    "Fetches the string stored under a key.",
		since:      "1.0.0",
		group:      "string",
		complexity: "O(1)",
		args:       docKeyArg,
	},
	"set": {
		summary:    "Stores a string under a key, replacing any value of any type, with optional conditions and expiry.",
		since:      "1.0.0",
		group:      "string",
		complexity: "O(1)",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "value", typ: "string"},
			{name: "condition", typ: "oneof", optional: true, args: []argDoc{
				{name: "nx", typ: "pure-token", token: "NX"},
				{name: "xx", typ: "pure-token", token: "XX"},
			}},
			{name: "get", typ: "pure-token", token: "GET", optional: true},
			{name: "expiration", typ: "oneof", optional: true, args: []argDoc{
				{name: "seconds", typ: "integer", token: "EX"},
				{name: "milliseconds", typ: "integer", token: "PX"},
				{name: "unix-time-seconds", typ: "unix-time", token: "EXAT"},
				{name: "unix-time-milliseconds", typ: "unix-time", token: "PXAT"},
				{name: "keepttl", typ: "pure-token", token: "KEEPTTL"},
			}},
		},
	},
	"setnx": {
		summary:    "Stores a string under a key only if the key is absent.",
		since:      "1.0.0",
		group:      "string",
		complexity: "O(1)",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "value", typ: "string"},
		},
	},
	"setex": {
		summary:    "Stores a string under a key with a time to live in seconds.",
		since:      "2.0.0",
		group:      "string",
		complexity: "O(1)",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "seconds", typ: "integer"},
			{name: "value", typ: "string"},
		},
	},
	"psetex": {
		summary:    "Stores a string under a key with a time to live in milliseconds.",
		since:      "2.6.0",
		group:      "string",
		complexity: "O(1)",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "milliseconds", typ: "integer"},
			{name: "value", typ: "string"},
		},
	},
	"getset": {
		summary:    "Stores a new string under a key and replies with the string it replaced.",
		since:      "1.0.0",
		group:      "string",
		complexity: "O(1)",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "value", typ: "string"},
		},
	},
	"getdel": {
		summary:    "Fetches the string stored under a key and removes the key.",
		since:      "6.2.0",
		group:      "string",
		complexity: "O(1)",
		args:       docKeyArg,
	},
	"getex": {
		summary:    "Fetches the string stored under a key and optionally changes or clears its expiry.",
		since:      "6.2.0",
		group:      "string",
		complexity: "O(1)",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "expiration", typ: "oneof", optional: true, args: []argDoc{
				{name: "seconds", typ: "integer", token: "EX"},
				{name: "milliseconds", typ: "integer", token: "PX"},
				{name: "unix-time-seconds", typ: "unix-time", token: "EXAT"},
				{name: "unix-time-milliseconds", typ: "unix-time", token: "PXAT"},
				{name: "persist", typ: "pure-token", token: "PERSIST"},
			}},
		},
	},
	"mget": {
		summary:    "Fetches the strings stored under several keys in one atomic step.",
		since:      "1.0.0",
		group:      "string",
		complexity: "O(N) where N is the number of keys to retrieve.",
		args:       docKeysArg,
	},
	"mset": {
		summary:    "Stores several key/value pairs in one atomic step.",
		since:      "1.0.1",
		group:      "string",
		complexity: "O(N) where N is the number of keys to set.",
		args:       docKeyValuePairs,
	},
	"msetnx": {
		summary:    "Stores several key/value pairs atomically, but only if none of the keys exists.",
		since:      "1.0.1",
		group:      "string",
		complexity: "O(N) where N is the number of keys to set.",
		args:       docKeyValuePairs,
	},
	"incr": {
		summary:    "Adds one to the integer stored under a key, treating a missing key as 0.",
		since:      "1.0.0",
		group:      "string",
		complexity: "O(1)",
		args:       docKeyArg,
	},
	"decr": {
		summary:    "Subtracts one from the integer stored under a key, treating a missing key as 0.",
		since:      "1.0.0",
		group:      "string",
		complexity: "O(1)",
		args:       docKeyArg,
	},
	"incrby": {
		summary:    "Adds the given amount to the integer stored under a key, treating a missing key as 0.",
		since:      "1.0.0",
		group:      "string",
		complexity: "O(1)",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "increment", typ: "integer"},
		},
	},
	"decrby": {
		summary:    "Subtracts the given amount from the integer stored under a key, treating a missing key as 0.",
		since:      "1.0.0",
		group:      "string",
		complexity: "O(1)",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "decrement", typ: "integer"},
		},
	},
	"incrbyfloat": {
		summary:    "Adds a floating-point amount to the number stored under a key, treating a missing key as 0.",
		since:      "2.6.0",
		group:      "string",
		complexity: "O(1)",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "increment", typ: "double"},
		},
	},
	"append": {
		summary:    "Adds a string to the end of the value stored under a key, creating the key if needed.",
		since:      "2.0.0",
		group:      "string",
		complexity: "O(1), amortized over the string's growth",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "value", typ: "string"},
		},
	},
	"strlen": {
		summary:    "Reports how many bytes the string stored under a key holds.",
		since:      "2.2.0",
		group:      "string",
		complexity: "O(1)",
		args:       docKeyArg,
	},
	"getrange": {
		summary:    "Fetches the part of a stored string between two offsets, inclusive.",
		since:      "2.4.0",
		group:      "string",
		complexity: "O(N) where N is the length of the returned string",
		args:       docRangeArgs,
	},
	"setrange": {
		summary:    "Writes a string into a stored value starting at a byte offset, padding with zero bytes if needed.",
		since:      "2.2.0",
		group:      "string",
		complexity: "O(1) not counting the copy; O(M) where M is the length of the value argument",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "offset", typ: "integer"},
			{name: "value", typ: "string"},
		},
	},
	"substr": {
		summary:    "Older name for GETRANGE: fetches the part of a stored string between two offsets.",
		since:      "1.0.0",
		group:      "string",
		complexity: "O(N) where N is the length of the returned string",
		args:       docRangeArgs,
	},
	"lcs": {
		summary:    "Computes the longest common subsequence of the strings stored under two keys.",
		since:      "7.0.0",
		group:      "string",
		complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
		args: []argDoc{
			{name: "key1", typ: "key"},
			{name: "key2", typ: "key"},
			{name: "len", typ: "pure-token", token: "LEN", optional: true},
			{name: "idx", typ: "pure-token", token: "IDX", optional: true},
			{name: "min-match-len", typ: "integer", token: "MINMATCHLEN", optional: true},
			{name: "withmatchlen", typ: "pure-token", token: "WITHMATCHLEN", optional: true},
		},
	},

	// ---- generic (keyspace) ----
	"del": {
		summary:    "Removes the given keys, reporting how many existed.",
		since:      "1.0.0",
		group:      "generic",
		complexity: "O(N) where N is the number of keys; a non-string key costs O(M) in its number of elements",
		args:       docKeysArg,
	},
	"unlink": {
		summary:    "Removes the given keys at once and frees their memory in the background.",
		since:      "4.0.0",
		group:      "generic",
		complexity: "O(1) per key; memory is reclaimed later in O(N) of the value's allocations",
		args:       docKeysArg,
	},
	"exists": {
		summary:    "Counts how many of the given keys are present.",
		since:      "1.0.0",
		group:      "generic",
		complexity: "O(N) where N is the number of keys to check.",
		args:       docKeysArg,
	},
	"type": {
		summary:    "Names the kind of value stored under a key, or none.",
		since:      "1.0.0",
		group:      "generic",
		complexity: "O(1)",
		args:       docKeyArg,
	},
	"expire": {
		summary:    "Gives a key a time to live in seconds.",
		since:      "1.0.0",
		group:      "generic",
		complexity: "O(1)",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "seconds", typ: "integer"},
			docExpireCondition,
		},
	},
	"pexpire": {
		summary:    "Gives a key a time to live in milliseconds.",
		since:      "2.6.0",
		group:      "generic",
		complexity: "O(1)",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "milliseconds", typ: "integer"},
			docExpireCondition,
		},
	},
	"expireat": {
		summary:    "Makes a key expire at a Unix time given in seconds.",
		since:      "1.2.0",
		group:      "generic",
		complexity: "O(1)",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "unix-time-seconds", typ: "unix-time"},
			docExpireCondition,
		},
	},
	"pexpireat": {
		summary:    "Makes a key expire at a Unix time given in milliseconds.",
		since:      "2.6.0",
		group:      "generic",
		complexity: "O(1)",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "unix-time-milliseconds", typ: "unix-time"},
			docExpireCondition,
		},
	},
	"ttl": {
		summary:    "Reports how many seconds a key has left to live.",
		since:      "1.0.0",
		group:      "generic",
		complexity: "O(1)",
		args:       docKeyArg,
	},
	"pttl": {
		summary:    "Reports how many milliseconds a key has left to live.",
		since:      "2.6.0",
		group:      "generic",
		complexity: "O(1)",
		args:       docKeyArg,
	},
	"expiretime": {
		summary:    "Reports the Unix time, in seconds, at which a key will expire.",
		since:      "7.0.0",
		group:      "generic",
		complexity: "O(1)",
		args:       docKeyArg,
	},
	"pexpiretime": {
		summary:    "Reports the Unix time, in milliseconds, at which a key will expire.",
		since:      "7.0.0",
		group:      "generic",
		complexity: "O(1)",
		args:       docKeyArg,
	},
	"persist": {
		summary:    "Clears a key's expiry so that it lives until deleted.",
		since:      "2.2.0",
		group:      "generic",
		complexity: "O(1)",
		args:       docKeyArg,
	},
	"touch": {
		summary:    "Marks the given keys as recently used and counts how many exist.",
		since:      "3.2.1",
		group:      "generic",
		complexity: "O(N) where N is the number of keys that will be touched.",
		args:       docKeysArg,
	},
	"keys": {
		summary:    "Lists every key whose name matches a glob pattern.",
		since:      "1.0.0",
		group:      "generic",
		complexity: "O(N) with N being the number of keys in the database",
		args:       []argDoc{{name: "pattern", typ: "pattern"}},
	},
	"scan": {
		summary:    "Walks the keyspace a batch at a time using a cursor, with optional name and type filters.",
		since:      "2.8.0",
		group:      "generic",
		complexity: "O(1) per call; O(N) for a full iteration, where N is the number of keys",
		args: []argDoc{
			{name: "cursor", typ: "integer"},
			{name: "pattern", typ: "pattern", token: "MATCH", optional: true},
			{name: "count", typ: "integer", token: "COUNT", optional: true},
			{name: "type", typ: "string", token: "TYPE", optional: true},
		},
	},
	"randomkey": {
		summary:    "Picks the name of a key from the current database at random.",
		since:      "1.0.0",
		group:      "generic",
		complexity: "O(1)",
	},
	"rename": {
		summary:    "Moves a key to a new name, overwriting whatever the new name held.",
		since:      "1.0.0",
		group:      "generic",
		complexity: "O(1)",
		args:       docRenameArgs,
	},
	"renamenx": {
		summary:    "Moves a key to a new name only if the new name is not in use.",
		since:      "1.0.0",
		group:      "generic",
		complexity: "O(1)",
		args:       docRenameArgs,
	},
	"copy": {
		summary:    "Duplicates the value of one key under another name, optionally in another database.",
		since:      "6.2.0",
		group:      "generic",
		complexity: "O(N) worst case for collections, where N is the number of nested items; O(1) for strings",
		args: []argDoc{
			{name: "source", typ: "key"},
			{name: "destination", typ: "key"},
			{name: "destination-db", typ: "integer", token: "DB", optional: true},
			{name: "replace", typ: "pure-token", token: "REPLACE", optional: true},
		},
	},

	// ---- server ----
	"dbsize": {
		summary:    "Counts the keys in the current database.",
		since:      "1.0.0",
		group:      "server",
		complexity: "O(1)",
	},
	"flushdb": {
		summary:    "Deletes every key in the current database.",
		since:      "1.0.0",
		group:      "server",
		complexity: "O(N) where N is the number of keys in the selected database",
		args:       docFlushType,
	},
	"flushall": {
		summary:    "Deletes every key in every database.",
		since:      "1.0.0",
		group:      "server",
		complexity: "O(N) where N is the total number of keys in all databases",
		args:       docFlushType,
	},
	"info": {
		summary:    "Reports server state and statistics, for all sections or the ones named.",
		since:      "1.0.0",
		group:      "server",
		complexity: "O(1)",
		args:       []argDoc{{name: "section", typ: "string", optional: true, multiple: true}},
	},
	"command": {
		summary:    "Describes every command the server knows; its subcommands give counts, lists and docs.",
		since:      "2.8.13",
		group:      "server",
		complexity: "O(N) where N is the total number of commands",
	},
	"command|count": {
		summary:    "Reports how many commands the server knows.",
		since:      "2.8.13",
		group:      "server",
		complexity: "O(1)",
	},
	"command|docs": {
		summary:    "Gives the documentation of the named commands, or of all commands.",
		since:      "7.0.0",
		group:      "server",
		complexity: "O(N) where N is the number of commands to look up",
		args:       docCommandNames,
	},
	"command|info": {
		summary:    "Gives arity, flags and key positions of the named commands, or of all commands.",
		since:      "2.8.13",
		group:      "server",
		complexity: "O(N) where N is the number of commands to look up",
		args:       docCommandNames,
	},
	"command|list": {
		summary:    "Lists command names, optionally only those of a module, ACL category or name pattern.",
		since:      "7.0.0",
		group:      "server",
		complexity: "O(N) where N is the total number of commands",
		args: []argDoc{{name: "filterby", typ: "oneof", token: "FILTERBY", optional: true, args: []argDoc{
			{name: "module-name", typ: "string", token: "MODULE"},
			{name: "category", typ: "string", token: "ACLCAT"},
			{name: "pattern", typ: "pattern", token: "PATTERN"},
		}}},
	},
	"command|help": {
		summary:    "Lists the COMMAND subcommands with a short description of each.",
		since:      "5.0.0",
		group:      "server",
		complexity: "O(1)",
	},
	"config": {
		summary:    "Groups the subcommands that read and change server configuration.",
		since:      "2.0.0",
		group:      "server",
		complexity: "Depends on subcommand.",
	},
	"config|get": {
		summary:    "Reports the current values of the parameters matching the given glob patterns.",
		since:      "2.0.0",
		group:      "server",
		complexity: "O(N) when N is the number of configuration parameters provided",
		args:       []argDoc{{name: "parameter", typ: "string", multiple: true}},
	},
	"config|set": {
		summary:    "Changes one or more configuration parameters while the server runs.",
		since:      "2.0.0",
		group:      "server",
		complexity: "O(N) when N is the number of configuration parameters provided",
		args: []argDoc{{name: "data", typ: "block", multiple: true, args: []argDoc{
			{name: "parameter", typ: "string"},
			{name: "value", typ: "string"},
		}}},
	},
	"config|resetstat": {
		summary:    "Zeroes the statistics counters that INFO reports.",
		since:      "2.0.0",
		group:      "server",
		complexity: "O(1)",
	},
	"config|rewrite": {
		summary:    "Saves the running configuration back to the configuration file.",
		since:      "2.8.0",
		group:      "server",
		complexity: "O(1)",
	},
	"config|help": {
		summary:    "Lists the CONFIG subcommands with a short description of each.",
		since:      "5.0.0",
		group:      "server",
		complexity: "O(1)",
	},
	"shutdown": {
		summary:    "Stops the server gracefully: no new clients, running commands finish, then it exits.",
		since:      "1.0.0",
		group:      "server",
		complexity: "O(N) with N the number of connected clients",
		args: []argDoc{
			{name: "save-selector", typ: "oneof", optional: true, args: []argDoc{
				{name: "nosave", typ: "pure-token", token: "NOSAVE"},
				{name: "save", typ: "pure-token", token: "SAVE"},
			}},
			{name: "now", typ: "pure-token", token: "NOW", optional: true},
			{name: "force", typ: "pure-token", token: "FORCE", optional: true},
			{name: "abort", typ: "pure-token", token: "ABORT", optional: true},
		},
	},
	"time": {
		summary:    "Reports the server clock as Unix seconds plus microseconds.",
		since:      "2.6.0",
		group:      "server",
		complexity: "O(1)",
	},
	"memory": {
		summary:    "Groups the subcommands that report on memory use.",
		since:      "4.0.0",
		group:      "server",
		complexity: "Depends on subcommand.",
	},
	"memory|usage": {
		summary:    "Estimates how many bytes a key and its value take up.",
		since:      "4.0.0",
		group:      "server",
		complexity: "O(N) where N is the number of samples.",
		args: []argDoc{
			{name: "key", typ: "key"},
			{name: "count", typ: "integer", token: "SAMPLES", optional: true},
		},
	},
	"memory|help": {
		summary:    "Lists the MEMORY subcommands with a short description of each.",
		since:      "4.0.0",
		group:      "server",
		complexity: "O(1)",
	},
	"latency": {
		summary:    "Groups the subcommands of the latency monitor.",
		since:      "2.8.13",
		group:      "server",
		complexity: "Depends on subcommand.",
	},
	"latency|latest": {
		summary:    "Returns the latest latency sample of every latency monitor event (none while latency-monitor-threshold is 0).",
		since:      "2.8.13",
		group:      "server",
		complexity: "O(1)",
	},
	"latency|reset": {
		summary:    "Resets the latency data of the given events, or of all; returns how many were reset.",
		since:      "2.8.13",
		group:      "server",
		complexity: "O(1)",
		args: []argDoc{
			{name: "event", typ: "string", optional: true, multiple: true},
		},
	},
	"latency|help": {
		summary:    "Lists the LATENCY subcommands with a short description of each.",
		since:      "2.8.13",
		group:      "server",
		complexity: "O(1)",
	},

	// ---- cachesrv's own ----
	// since is the cachesrv version that added the command.
	"cachesrv.shards": {
		summary:    "Reports every shard's keys, bytes and lock contention: one flat field/value array per shard.",
		since:      "0.1.0",
		group:      "server",
		complexity: "O(N) where N is the number of shards",
	},

	// ---- transactions ----
	"multi": {
		summary:    "Begins a transaction: later commands are queued until EXEC or DISCARD.",
		since:      "1.2.0",
		group:      "transactions",
		complexity: "O(1)",
	},
	"exec": {
		summary:    "Runs the queued transaction, unless a watched key changed since WATCH.",
		since:      "1.2.0",
		group:      "transactions",
		complexity: "Depends on commands in the transaction",
	},
	"discard": {
		summary:    "Drops the queued transaction and leaves MULTI.",
		since:      "2.0.0",
		group:      "transactions",
		complexity: "O(N), when N is the number of queued commands",
	},
	"watch": {
		summary:    "Makes the next EXEC fail if any of the given keys is modified first.",
		since:      "2.2.0",
		group:      "transactions",
		complexity: "O(1) for every key.",
		args:       docKeysArg,
	},
	"unwatch": {
		summary:    "Stops watching all keys for this connection.",
		since:      "2.2.0",
		group:      "transactions",
		complexity: "O(1)",
	},
}
