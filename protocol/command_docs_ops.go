package protocol

// COMMAND DOCS entries for the operator's tools: SLOWLOG, MONITOR, the
// LATENCY subcommands beyond LATEST / RESET / HELP (those are in
// command_docs.go), ROLE, DEBUG and CLIENT REPLY / PAUSE / UNPAUSE /
// UNBLOCK.
func init() {
	event := []argDoc{{name: "event", typ: "string"}}
	for name, d := range map[string]cmdDoc{
		"slowlog":       {summary: "A container for slow log commands.", since: "2.2.12", group: "server", complexity: "Depends on subcommand."},
		"slowlog|get":   {summary: "Returns the slow log's entries, newest first.", since: "2.2.12", group: "server", complexity: "O(N) where N is the number of entries returned", args: []argDoc{{name: "count", typ: "integer", optional: true}}},
		"slowlog|len":   {summary: "Returns the number of entries in the slow log.", since: "2.2.12", group: "server", complexity: "O(1)"},
		"slowlog|reset": {summary: "Clears all entries from the slow log.", since: "2.2.12", group: "server", complexity: "O(N) where N is the number of entries in the slowlog"},
		"slowlog|help":  {summary: "Shows helpful text about the different subcommands.", since: "6.2.0", group: "server", complexity: "O(1)"},
		"monitor":       {summary: "Listens for all requests received by the server in real time.", since: "1.0.0", group: "server", complexity: "O(1)"},
		"latency|history": {summary: "Returns the timestamp-latency samples of a latency monitor event.", since: "2.8.13", group: "server",
			complexity: "O(1)", args: event},
		"latency|graph":  {summary: "Returns a latency graph of an event.", since: "2.8.13", group: "server", complexity: "O(1)", args: event},
		"latency|doctor": {summary: "Returns a human-readable latency analysis report.", since: "2.8.13", group: "server", complexity: "O(1)"},
		"latency|histogram": {summary: "Returns the cumulative distribution of latencies of a subset or all commands.", since: "7.0.0", group: "server",
			complexity: "O(N) where N is the number of commands with latency information being retrieved.",
			args:       []argDoc{{name: "command", typ: "string", optional: true, multiple: true}}},
		"role": {summary: "Returns the replication role: always master; with --cluster-replicas, the nodes replicating this node's slots.", since: "2.8.12", group: "server", complexity: "O(1)"},
		"debug": {summary: "A container for debugging commands: SLEEP, OBJECT, SET-ACTIVE-EXPIRE, CHANGE-REPL-ID, QUICKLIST-PACKED-THRESHOLD, HELP.", since: "1.0.0", group: "server",
			complexity: "Depends on subcommand."},
		"client|reply": {summary: "Instructs the server whether to reply to commands.", since: "3.2.0", group: "connection", complexity: "O(1)",
			args: []argDoc{{name: "action", typ: "oneof", args: []argDoc{
				{name: "on", typ: "pure-token", token: "ON"}, {name: "off", typ: "pure-token", token: "OFF"}, {name: "skip", typ: "pure-token", token: "SKIP"}}}}},
		"client|pause": {summary: "Suspends commands processing (all, or those that write) for a number of milliseconds.", since: "3.0.0", group: "connection", complexity: "O(1)",
			args: []argDoc{{name: "timeout", typ: "integer"}, {name: "mode", typ: "oneof", optional: true, args: []argDoc{
				{name: "write", typ: "pure-token", token: "WRITE"}, {name: "all", typ: "pure-token", token: "ALL"}}}}},
		"client|unpause": {summary: "Resumes processing commands from paused clients.", since: "6.2.0", group: "connection", complexity: "O(N) Where N is the number of paused clients"},
		"client|unblock": {summary: "Unblocks a client blocked by a blocking command from a different connection (none block here yet: 0).", since: "5.0.0", group: "connection",
			complexity: "O(log N) where N is the number of client connections",
			args: []argDoc{{name: "client-id", typ: "integer"}, {name: "unblock-type", typ: "oneof", optional: true, args: []argDoc{
				{name: "timeout", typ: "pure-token", token: "TIMEOUT"}, {name: "error", typ: "pure-token", token: "ERROR"}}}}},
	} {
		docs[name] = d
	}
}
