package protocol

import (
	"github.com/cachesrv/cachesrv/store"
)

// OBJECT ENCODING, FREQ, IDLETIME and REFCOUNT: what Redis's debugging
// helpers report that applies here. FREQ and IDLETIME read the 16 bits of
// eviction bookkeeping each entry keeps (store/meta.go): an LFU counter
// under the LFU policies, an access clock under every other, so each
// answers under the policies Redis answers it under, with Redis's errors
// under the others.
func init() {
	sub := func(name string, run handler) *command {
		return &command{name: name, arity: 3, flags: flagReadonly, firstKey: 2, lastKey: 2, keyStep: 1,
			acl: []string{"keyspace", "read", "slow"}, run: run}
	}
	register(&command{name: "object", arity: -2, acl: []string{"slow"}, subs: subcommands(
		sub("encoding", cmdObjectEncoding),
		sub("freq", cmdObjectFreq),
		sub("idletime", cmdObjectIdletime),
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

const policySwitchNote = " Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."

func cmdObjectFreq(c *client, args [][]byte, tx store.Tx) {
	a, ok := tx.Access(args[2])
	switch {
	case !ok:
		c.WriteNull()
	case !a.HasFreq:
		c.WriteError("ERR An LFU maxmemory policy is not selected, access frequency not tracked." + policySwitchNote)
	default:
		c.WriteInt(a.Freq)
	}
}

func cmdObjectIdletime(c *client, args [][]byte, tx store.Tx) {
	a, ok := tx.Access(args[2])
	switch {
	case !ok:
		c.WriteNull()
	case !a.HasIdle:
		c.WriteError("ERR An LFU maxmemory policy is selected, idle time not tracked." + policySwitchNote)
	default:
		c.WriteInt64(a.Idle)
	}
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
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
	)
}
