package protocol

// COMMAND DOCS entries for ACL (Redis's "server" group); the arguments
// are Redis 7.0's.
func init() {
	user := argDoc{name: "username", typ: "string"}
	for name, d := range map[string]cmdDoc{
		"acl":         {summary: "A container for the commands that manage ACL users.", since: "6.0.0", group: "server", complexity: "Depends on subcommand."},
		"acl|cat":     {summary: "Lists the ACL categories, or the commands of one.", since: "6.0.0", group: "server", complexity: "O(1) since the categories and commands are a fixed set.", args: []argDoc{{name: "categoryname", typ: "string", optional: true}}},
		"acl|deluser": {summary: "Deletes users and closes their connections.", since: "6.0.0", group: "server", complexity: "O(1) amortized time considering the typical user.", args: []argDoc{{name: "username", typ: "string", multiple: true}}},
		"acl|dryrun":  {summary: "Tells whether a user may run a command, without running it.", since: "7.0.0", group: "server", complexity: "O(1).", args: []argDoc{user, {name: "command", typ: "string"}, {name: "arg", typ: "string", optional: true, multiple: true}}},
		"acl|genpass": {summary: "Returns a random password of the given number of bits (256 by default), in hex.", since: "6.0.0", group: "server", complexity: "O(1)", args: []argDoc{{name: "bits", typ: "integer", optional: true}}},
		"acl|getuser": {summary: "Returns a user's flags, password hashes, command rules, key and channel patterns.", since: "6.0.0", group: "server", complexity: "O(N). Where N is the number of password, command and pattern rules that the user has.", args: []argDoc{user}},
		"acl|help":    {summary: "Describes the ACL subcommands.", since: "6.0.0", group: "server", complexity: "O(1)"},
		"acl|list":    {summary: "Lists every user's rules, in the aclfile's format.", since: "6.0.0", group: "server", complexity: "O(N). Where N is the number of configured users."},
		"acl|load":    {summary: "Replaces the users with those of the aclfile.", since: "6.0.0", group: "server", complexity: "O(N). Where N is the number of configured users."},
		"acl|log": {summary: "Lists recent denied commands and failed authentications.", since: "6.0.0", group: "server", complexity: "O(N) with N being the number of entries shown.", args: []argDoc{
			{name: "operation", typ: "oneof", optional: true, args: []argDoc{{name: "count", typ: "integer"}, {name: "reset", typ: "pure-token", token: "RESET"}}},
		}},
		"acl|save":    {summary: "Writes the users to the aclfile.", since: "6.0.0", group: "server", complexity: "O(N). Where N is the number of configured users."},
		"acl|setuser": {summary: "Creates a user or changes its rules.", since: "6.0.0", group: "server", complexity: "O(N). Where N is the number of rules provided.", args: []argDoc{user, {name: "rule", typ: "string", optional: true, multiple: true}}},
		"acl|users":   {summary: "Lists the user names.", since: "6.0.0", group: "server", complexity: "O(N). Where N is the number of configured users."},
		"acl|whoami":  {summary: "Returns the name of the connection's user.", since: "6.0.0", group: "server", complexity: "O(1)"},
	} {
		docs[name] = d
	}
}
