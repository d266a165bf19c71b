package protocol

import (
	"github.com/cachesrv/cachesrv/store"
)

// OBJECT ENCODING and REFCOUNT: what Redis's debugging helpers report that
// applies here. (IDLETIME and FREQ are not served: the store keeps a
// 16-bit access clock or counter per entry only under the policy that
// uses it, see store/meta.go.)
func init() {
	sub := func(name string, run handler) *command {
		return &command{name: name, arity: 3, flags: flagReadonly, firstKey: 2, lastKey: 2, keyStep: 1,
			acl: []string{"keyspace", "read", "slow"}, run: run}
	}
	register(&command{name: "object", arity: -2, acl: []string{"slow"}, subs: subcommands(
		sub("encoding", cmdObjectEncoding),
		sub("refcount", cmdObjectRefcount),
		&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: []string{"keyspace", "slow"}, run: cmdObjectHelp},
	)})
}

func cmdObjectEncoding(c *client, args [][]byte, tx store.Tx) {
	enc, ok := tx.Encoding(args[2])
	if !ok {
		c.WriteNull()
		return
	}
	c.WriteBulkString(enc)
}

// cmdObjectRefcount answers 1 for any key: values are never shared here.
func cmdObjectRefcount(c *client, args [][]byte, tx store.Tx) {
	if !tx.Exists(args[2]) {
		c.WriteNull()
		return
	}
	c.WriteInt(1)
}

func cmdObjectHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "OBJECT",
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
	)
}
