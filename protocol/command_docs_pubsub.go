package protocol

// COMMAND DOCS entries for pub/sub (Redis's "pubsub" group) and the CLIENT
// subcommands of client-side caching.
func init() {
	channels := []argDoc{{name: "channel", typ: "string", multiple: true}}
	optChannels := []argDoc{{name: "channel", typ: "string", optional: true, multiple: true}}
	shard := []argDoc{{name: "shardchannel", typ: "string", multiple: true}}
	optShard := []argDoc{{name: "shardchannel", typ: "string", optional: true, multiple: true}}
	optPattern := []argDoc{{name: "pattern", typ: "pattern", optional: true}}
	for name, d := range map[string]cmdDoc{
		"subscribe":    {summary: "Listens for messages published to the given channels.", since: "2.0.0", group: "pubsub", complexity: "O(N) where N is the number of channels to subscribe to.", args: channels},
		"unsubscribe":  {summary: "Stops listening to messages posted to channels (all when none is given).", since: "2.0.0", group: "pubsub", complexity: "O(N) where N is the number of channels to unsubscribe.", args: optChannels},
		"psubscribe":   {summary: "Listens for messages published to channels that match the given patterns.", since: "2.0.0", group: "pubsub", complexity: "O(N) where N is the number of patterns to subscribe to.", args: []argDoc{{name: "pattern", typ: "pattern", multiple: true}}},
		"punsubscribe": {summary: "Stops listening to messages published to channels that match the given patterns (all when none is given).", since: "2.0.0", group: "pubsub", complexity: "O(N) where N is the number of patterns to unsubscribe.", args: []argDoc{{name: "pattern", typ: "pattern", optional: true, multiple: true}}},
		"ssubscribe":   {summary: "Listens for messages published to shard channels.", since: "7.0.0", group: "pubsub", complexity: "O(N) where N is the number of shard channels to subscribe to.", args: shard},
		"sunsubscribe": {summary: "Stops listening to messages posted to shard channels (all when none is given).", since: "7.0.0", group: "pubsub", complexity: "O(N) where N is the number of shard channels to unsubscribe.", args: optShard},
		"publish": {summary: "Posts a message to a channel; returns how many clients of this node received it.", since: "2.0.0", group: "pubsub",
			complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).",
			args:       []argDoc{{name: "channel", typ: "string"}, {name: "message", typ: "string"}}},
		"spublish": {summary: "Posts a message to a shard channel, on the node that owns its slot.", since: "7.0.0", group: "pubsub",
			complexity: "O(N) where N is the number of clients subscribed to the receiving shard channel.",
			args:       []argDoc{{name: "shardchannel", typ: "string"}, {name: "message", typ: "string"}}},
		"pubsub":               {summary: "A container for Pub/Sub commands.", since: "2.8.0", group: "pubsub", complexity: "Depends on subcommand."},
		"pubsub|channels":      {summary: "Returns the active channels (those with subscribers), optionally matching a pattern.", since: "2.8.0", group: "pubsub", complexity: "O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)", args: optPattern},
		"pubsub|shardchannels": {summary: "Returns the active shard channels, optionally matching a pattern.", since: "7.0.0", group: "pubsub", complexity: "O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).", args: optPattern},
		"pubsub|numsub":        {summary: "Returns the count of subscribers of channels.", since: "2.8.0", group: "pubsub", complexity: "O(N) for the NUMSUB subcommand, where N is the number of requested channels", args: optChannels},
		"pubsub|shardnumsub":   {summary: "Returns the count of subscribers of shard channels.", since: "7.0.0", group: "pubsub", complexity: "O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels", args: optShard},
		"pubsub|numpat":        {summary: "Returns a count of unique pattern subscriptions.", since: "2.8.0", group: "pubsub", complexity: "O(1)"},
		"pubsub|help":          {summary: "Returns helpful text about the different subcommands.", since: "6.2.0", group: "pubsub", complexity: "O(1)"},
		"client|tracking": {summary: "Turns server-assisted client-side caching on or off for the connection.", since: "6.0.0", group: "connection",
			complexity: "O(1). Some options may introduce additional complexity.", args: []argDoc{
				{name: "status", typ: "oneof", args: []argDoc{{name: "on", typ: "pure-token", token: "ON"}, {name: "off", typ: "pure-token", token: "OFF"}}},
				{name: "client-id", typ: "integer", token: "REDIRECT", optional: true},
				{name: "prefix", typ: "string", token: "PREFIX", optional: true, multiple: true, multipleToken: true},
				{name: "bcast", typ: "pure-token", token: "BCAST", optional: true},
				{name: "optin", typ: "pure-token", token: "OPTIN", optional: true},
				{name: "optout", typ: "pure-token", token: "OPTOUT", optional: true},
				{name: "noloop", typ: "pure-token", token: "NOLOOP", optional: true},
			}},
		"client|caching": {summary: "Says whether the next command's keys are tracked (OPTIN and OPTOUT modes).", since: "6.0.0", group: "connection", complexity: "O(1)",
			args: []argDoc{{name: "mode", typ: "oneof", args: []argDoc{{name: "yes", typ: "pure-token", token: "YES"}, {name: "no", typ: "pure-token", token: "NO"}}}}},
		"client|trackinginfo": {summary: "Returns the connection's client-side caching state.", since: "6.2.0", group: "connection", complexity: "O(1)"},
		"client|getredir":     {summary: "Returns the ID of the client the connection's invalidations are redirected to.", since: "6.0.0", group: "connection", complexity: "O(1)"},
	} {
		docs[name] = d
	}
}
