package protocol

import (
	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/store"
)

func init() {
	register(
		&command{name: "multi", arity: 1, flags: flagNoScript | flagLoading | flagStale | flagFast | flagAllowBusy | flagNotQueued, acl: []string{"fast", "transaction"}, run: cmdMulti},
		&command{name: "exec", arity: 1, flags: flagNoScript | flagLoading | flagStale | flagSkipSlowlog | flagNotQueued, acl: []string{"slow", "transaction"}, run: cmdExec},
		&command{name: "discard", arity: 1, flags: flagNoScript | flagLoading | flagStale | flagFast | flagAllowBusy | flagNotQueued, acl: []string{"fast", "transaction"}, run: cmdDiscard},
		&command{name: "watch", arity: -2, flags: flagNoScript | flagLoading | flagStale | flagFast | flagAllowBusy | flagNotQueued | flagSelfLocking, firstKey: 1, lastKey: -1, keyStep: 1, acl: []string{"fast", "transaction"}, run: cmdWatch},
		&command{name: "unwatch", arity: 1, flags: flagNoScript | flagLoading | flagStale | flagFast | flagAllowBusy, acl: []string{"fast", "transaction"}, run: cmdUnwatch},
	)
}

func cmdMulti(c *client, _ [][]byte, _ store.Tx) {
	if c.multi != nil {
		c.errorReply("ERR MULTI calls can not be nested")
		return
	}
	c.multi = &multiState{}
	if c.pinned != nil {
		c.multi.remote = c.pinned.Addr // the transaction runs where its WATCH is
	}
	c.multiLen.Store(0)
	c.WriteString("OK")
}

func (c *client) endMulti() {
	c.multi = nil
	c.multiLen.Store(-1)
	c.mem.multi.Store(0)
	c.unwatchAll()
}

func cmdDiscard(c *client, _ [][]byte, _ store.Tx) {
	if c.multi == nil {
		c.errorReply("ERR DISCARD without MULTI")
		return
	}
	c.endMulti()
	c.WriteString("OK")
}

// cmdWatch runs without shard locks of its own (Store.Watch takes them);
// it is listed with keys so that COMMAND reports them.
func cmdWatch(c *client, args [][]byte, _ store.Tx) {
	if c.multi != nil {
		c.errorReply("ERR WATCH inside MULTI is not allowed")
		return
	}
	if c.pinned != nil {
		// Keys here, a WATCH on another node: no one node can run it.
		c.errorReply(route.ErrCrossSlot)
		return
	}
	for _, key := range args[1:] {
		c.watches = append(c.watches, c.db().Watch(key))
	}
	c.WriteString("OK")
}

func cmdUnwatch(c *client, _ [][]byte, _ store.Tx) {
	c.unwatchAll()
	c.WriteString("OK")
}

// cmdExec runs the queued commands atomically: it takes the write locks
// of every shard they (and the watched keys) touch, in ascending order so
// that concurrent transactions cannot deadlock, or of all shards when one
// of them works over the whole keyspace.
func cmdExec(c *client, _ [][]byte, _ store.Tx) {
	m := c.multi
	if m == nil {
		c.errorReply("ERR EXEC without MULTI")
		return
	}
	if m.aborted {
		c.endMulti()
		c.errorReply("EXECABORT Transaction discarded because of previous errors.")
		return
	}
	if m.remote != "" {
		c.execRemote(m) // tx_remote.go
		c.endMulti()
		return
	}
	c.execLocked(m)
	// Unwatching takes shard locks, so it waits until execLocked has
	// released its own.
	c.endMulti()
}

// execLocked runs m's commands under their shards' locks, unless a watched
// key changed, in which case it answers with a null array.
func (c *client) execLocked(m *multiState) {
	for _, q := range m.queued {
		if q.cmd.crossDB != nil && q.cmd.crossDB(c, q.args) != nil {
			c.execAllDBs(m)
			return
		}
	}
	st := c.db()
	all := false
	shards := c.shardsBuf[:0]
	for _, q := range m.queued {
		if q.cmd.flags&flagKeyspace != 0 || (q.cmd.lockAll != nil && q.cmd.lockAll(q.args)) {
			all = true
			break
		}
		shards = c.appendShards(shards, q.cmd, q.args)
	}
	for _, w := range c.watches {
		shards = append(shards, w.Shard())
	}
	var tx store.Tx
	if all {
		st.LockAll(true)
		defer st.UnlockAll(true)
		tx = st.TxAll()
	} else {
		shards = sortedUnique(shards)
		c.shardsBuf = shards
		st.Lock(shards, true)
		defer st.Unlock(shards, true)
		for _, i := range shards {
			st.CountOps(i, true, 1) // a transaction counts once per shard it locks
		}
		tx = st.Tx()
	}
	for _, w := range c.watches {
		if tx.Changed(w) {
			c.WriteNullArray()
			return
		}
	}
	c.WriteArray(len(m.queued))
	c.execing = true
	defer func() { c.execing = false }()
	for _, q := range m.queued {
		if c.aclDeniedAtExec(q.cmd, q.args) {
			continue
		}
		c.run(q.cmd, q.args, tx)
	}
}
