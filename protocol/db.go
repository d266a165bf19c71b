package protocol

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/store"
)

// Numbered databases (SELECT, SWAPDB, MOVE, COPY ... DB, FLUSHDB).
//
// Each database is a store.Store of its own, made on first use with
// Store.NewShared from database 0's: the stores share one memory budget,
// so maxmemory counts every database and eviction picks victims from any
// of them, and one active expiry cycle covers them all. Unused databases
// cost a slot here, not 256 shards. A client holds a pointer to its
// database's slot and loads the store from it per command: one pointer
// load on the path of every command, no lock and no map.
//
// SWAPDB trades two slots' stores (and the numbers their change hooks
// report) under the table's mutex, with both stores' every shard locked:
// O(1), as in Redis. WATCHes belong to the number, not the store, and
// move across (store.SwapWatches); blocked clients of both numbers look
// again. Unlike Redis, whose one thread orders every command before or
// after a SWAPDB, a command of another connection that loaded its
// database's store just before the swap, and locks it just after, runs on
// that store, which by then has the other number.
//
// Commands that touch two databases (MOVE, COPY ... DB, SWAPDB, FLUSHALL
// inside EXEC, EXEC with SELECT) lock the stores in the order they were
// created (store.ID), then by shard, so they cannot deadlock one another.
// A script already holds its own store's locks when it SELECTs another
// database: it takes that store's without waiting (store.TryLock), and
// its SELECT fails with -BUSY if it cannot within a second.
//
// A cluster node serves database 0 only, as Redis Cluster: SELECT n (n
// not 0), SWAPDB, MOVE and COPY ... DB are refused there. Hand-off,
// routing and proxying deal with database 0's store (Server.store, which
// SWAPDB cannot move there).

// databases is the server's table of numbered databases.
type databases struct {
	mu    sync.Mutex // creation of a database's store and SWAPDB
	slots []dbSlot
}

// dbSlot is one database number.
type dbSlot struct {
	st   atomic.Pointer[store.Store] // nil until the database is first used
	info *dbInfo                     // what st's change hook reports; follows st on SWAPDB (guarded by mu)
}

// dbInfo is a store's current database number, read by its change hook.
type dbInfo struct{ num atomic.Int32 }

// initDatabases makes the table with st as database 0.
func (s *Server) initDatabases(st *store.Store) {
	n := max(s.cfg.Databases, 1)
	s.dbs.slots = make([]dbSlot, n)
	s.attachDB(0, st)
}

// attachDB puts st in slot i and installs its change hook; with dbs.mu
// held, or before the server serves.
func (s *Server) attachDB(i int, st *store.Store) {
	info := &dbInfo{}
	info.num.Store(int32(i))
	s.dbs.slots[i].info = info
	st.SetChangeHook(func(shard int, key []byte, why store.Change) {
		s.storeChanged(int(info.num.Load()), shard, key, why)
	})
	s.dbs.slots[i].st.Store(st)
}

// dbStore returns database i's store, making it on first use.
func (s *Server) dbStore(i int) *store.Store {
	if st := s.dbs.slots[i].st.Load(); st != nil {
		return st
	}
	s.dbs.mu.Lock()
	defer s.dbs.mu.Unlock()
	if st := s.dbs.slots[i].st.Load(); st != nil {
		return st
	}
	st := s.store.NewShared()
	s.attachDB(i, st)
	return st
}

// dbStores returns the databases that have a store, with their numbers,
// in the order of the numbers.
func (s *Server) dbStores() (nums []int, stores []*store.Store) {
	for i := range s.dbs.slots {
		if st := s.dbs.slots[i].st.Load(); st != nil {
			nums = append(nums, i)
			stores = append(stores, st)
		}
	}
	return nums, stores
}

// db returns the store of the client's selected database.
func (c *client) db() *store.Store {
	if st := c.dbSlot.st.Load(); st != nil {
		return st
	}
	return c.srv.dbStore(int(c.dbNum.Load()))
}

// selectDB makes database i the client's.
func (c *client) selectDB(i int) {
	c.dbSlot = &c.srv.dbs.slots[i]
	c.dbNum.Store(int32(i))
}

// dbIndex parses a database number, replying with Redis's error for one
// that is not an integer or is out of range.
func (c *client) dbIndex(arg []byte) (int, bool) {
	n, ok := c.intArg(arg)
	if !ok {
		return 0, false
	}
	if n < 0 || n >= int64(len(c.srv.dbs.slots)) {
		c.errorReply(errDBRange)
		return 0, false
	}
	return int(n), true
}

// lockStores takes, for each store, the locks of the given shards (all
// of them for a nil list), stores ordered by ID so that callers locking
// several cannot deadlock one another; the returned func releases them.
func lockStores(write bool, stores []*store.Store, shards [][]int) func() {
	order := make([]int, len(stores))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return stores[order[a]].ID() < stores[order[b]].ID() })
	for _, i := range order {
		if shards[i] == nil {
			stores[i].LockAll(write)
		} else {
			stores[i].Lock(shards[i], write)
		}
	}
	return func() {
		for _, i := range order {
			if shards[i] == nil {
				stores[i].UnlockAll(write)
			} else {
				stores[i].Unlock(shards[i], write)
			}
		}
	}
}

// keyspaceChannels returns the keyspace and keyevent channel prefixes of
// database db.
func keyspaceChannels(db int) (keyspace, keyevent string) {
	if db == 0 {
		return keyspacePrefix, keyeventPrefix
	}
	n := strconv.Itoa(db)
	return "__keyspace@" + n + "__:", "__keyevent@" + n + "__:"
}

// ShardStats returns every shard's counters summed over the databases
// (shard i of each database's store): what the metrics, INFO shards and
// CACHESRV.SHARDS show.
func (s *Server) ShardStats() []store.ShardStats {
	_, stores := s.dbStores()
	out := stores[0].Stats()
	for _, st := range stores[1:] {
		for i, x := range st.Stats() {
			out[i].Add(x)
		}
	}
	return out
}

func init() {
	register(
		&command{name: "swapdb", arity: 3, flags: flagWrite | flagFast, acl: []string{"keyspace", "write", "fast", "dangerous"},
			run: cmdSwapDB, crossDB: func(_ *client, args [][]byte) []int { return dbNums(args[1], args[2]) }},
		&command{name: "move", arity: 3, flags: flagWrite | flagFast, firstKey: 1, lastKey: 1, keyStep: 1,
			acl: []string{"keyspace", "write", "fast"}, run: cmdMove,
			crossDB: func(_ *client, args [][]byte) []int { return dbNums(args[2]) }},
	)
	commands["select"].crossDB = func(_ *client, args [][]byte) []int { return dbNums(args[1]) }
	commands["flushall"].crossDB = func(*client, [][]byte) []int { return []int{} }
	commands["copy"].crossDB = func(c *client, args [][]byte) []int {
		for i := 3; i+1 < len(args); i++ {
			if strings.EqualFold(string(args[i]), "db") {
				if nums := dbNums(args[i+1]); len(nums) == 1 && nums[0] != int(c.dbNum.Load()) {
					return nums
				}
			}
		}
		return nil
	}
	docs["swapdb"] = cmdDoc{summary: "Swaps two Redis databases.", since: "4.0.0", group: "server",
		complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
		args:       []argDoc{{name: "index1", typ: "integer"}, {name: "index2", typ: "integer"}}}
	docs["move"] = cmdDoc{summary: "Moves a key to another database.", since: "1.0.0", group: "generic", complexity: "O(1)",
		args: []argDoc{{name: "key", typ: "key"}, {name: "db", typ: "integer"}}}
}

// dbNums parses database numbers, leaving out those that are not one
// (the handler replies with the error).
func dbNums(args ...[]byte) []int {
	nums := []int{}
	for _, a := range args {
		if n, ok := parseInt(a); ok && n >= 0 && n < config.MaxDatabases {
			nums = append(nums, int(n))
		}
	}
	return nums
}

// int32Arg parses a C int as Redis's getIntFromObjectOrReply does,
// replying with msg when it is not one (msg "": Redis's own errors).
func (c *client) int32Arg(b []byte, msg string) (int32, bool) {
	n, ok := parseInt(b)
	switch {
	case ok && n >= math.MinInt32 && n <= math.MaxInt32:
		return int32(n), true
	case msg != "":
		c.errorReply(msg)
	case ok:
		c.errorReply("ERR value is out of range, value must between -2147483648 and 2147483647")
	default:
		c.errorReply(errNotInteger)
	}
	return 0, false
}

// lockDBs locks, for each store, the given shards (nil: every shard) and
// returns a Tx on each and the function that releases them. Inside an
// EXEC that locked every database (execAllDBs) it takes nothing. Inside a
// script, the script's own locks serve (its declared keys' shards, in
// each store as its SELECT takes them: scriptCtx.txFor); a call that
// needs every shard of a store gets an error unless the script holds
// every shard (lua-undeclared-keys all-shards-lock).
func (c *client) lockDBs(stores []*store.Store, shards [][]int) ([]store.Tx, func(), bool) {
	txs := make([]store.Tx, len(stores))
	if c.dbsLocked {
		for i, st := range stores {
			txs[i] = st.TxAll()
		}
		return txs, func() {}, true
	}
	if c.runningScript() {
		h := c.script
		for i, st := range stores {
			if shards[i] == nil && !h.all {
				c.errorReply("ERR this command needs every shard's lock: a script may call it only with lua-undeclared-keys all-shards-lock")
				return nil, nil, false
			}
			tx, ok := h.txFor(st)
			if !ok {
				c.errorReply("BUSY another client holds the keys of a database this command needs")
				return nil, nil, false
			}
			txs[i] = tx
		}
		return txs, func() {}, true
	}
	unlock := lockStores(true, stores, shards)
	for i, st := range stores {
		if shards[i] == nil {
			txs[i] = st.TxAll()
		} else {
			txs[i] = st.Tx()
		}
	}
	return txs, unlock, true
}

// cmdSwapDB swaps two databases' stores: O(1) whatever they hold. As in
// Redis 7.0, a WATCH on a key that exists in either turns dirty; every
// watch stays with its number, and clients blocked in either look again.
func cmdSwapDB(c *client, args [][]byte, _ store.Tx) {
	if c.srv.router != nil {
		c.errorReply("ERR SWAPDB is not allowed in cluster mode")
		return
	}
	a, ok := c.int32Arg(args[1], "ERR invalid first DB index")
	if !ok {
		return
	}
	b, ok := c.int32Arg(args[2], "ERR invalid second DB index")
	if !ok {
		return
	}
	s := c.srv
	if a < 0 || b < 0 || int(a) >= len(s.dbs.slots) || int(b) >= len(s.dbs.slots) {
		c.errorReply(errDBRange)
		return
	}
	if a == b {
		c.WriteString("OK")
		return
	}
	sa, sb := s.dbStore(int(a)), s.dbStore(int(b))
	_, unlock, ok := c.lockDBs([]*store.Store{sa, sb}, [][]int{nil, nil})
	if !ok {
		return
	}
	store.SwapWatches(sa, sb)
	s.dbs.mu.Lock()
	x, y := &s.dbs.slots[a], &s.dbs.slots[b]
	x.st.Store(sb)
	y.st.Store(sa)
	x.info, y.info = y.info, x.info
	x.info.num.Store(a)
	y.info.num.Store(b)
	s.dbs.mu.Unlock()
	unlock()
	s.blocking.dbsChanged(int(a), int(b))
	c.WriteString("OK")
}

// cmdMove moves a key, with its TTL, to another database, unless it is
// there already.
func cmdMove(c *client, args [][]byte, _ store.Tx) {
	if c.srv.router != nil {
		c.errorReply("ERR MOVE is not allowed in cluster mode")
		return
	}
	n, ok := c.int32Arg(args[2], "")
	if !ok {
		return
	}
	if n < 0 || int(n) >= len(c.srv.dbs.slots) {
		c.errorReply(errDBRange)
		return
	}
	srcDB := int(c.dbNum.Load())
	if int(n) == srcDB {
		c.errorReply("ERR source and destination objects are the same")
		return
	}
	key := args[1]
	src, dst := c.db(), c.srv.dbStore(int(n))
	shard := []int{src.ShardOf(key)}
	txs, unlock, ok := c.lockDBs([]*store.Store{src, dst}, [][]int{shard, shard})
	if !ok {
		return
	}
	defer unlock()
	if _, _, found := txs[0].Lookup(key); !found || txs[1].Exists(key) {
		c.WriteInt(0)
		return
	}
	txs[0].MoveTo(txs[1], key)
	c.WriteInt(1)
	c.srv.notifyKeyspace(srcDB, notifyGeneric, "move_from", key)
	c.srv.notifyKeyspace(int(n), notifyGeneric, "move_to", key)
}

// copyToDB is COPY src dst DB n for n not the client's database.
func (c *client) copyToDB(src, dst []byte, n int, replace bool, _ store.Tx) {
	from, to := c.db(), c.srv.dbStore(n)
	txs, unlock, ok := c.lockDBs([]*store.Store{from, to}, [][]int{{from.ShardOf(src)}, {to.ShardOf(dst)}})
	if !ok {
		return
	}
	defer unlock()
	if _, _, found := txs[0].Lookup(src); !found || (!replace && txs[1].Exists(dst)) {
		c.WriteInt(0)
		return
	}
	txs[0].CopyTo(txs[1], src, dst)
	c.srv.notifyKeyspace(n, notifyGeneric, "copy_to", dst)
	c.WriteInt(1)
}

// flushAll empties every database (tx is the client's own database's),
// or replies with an error and reports false.
func (c *client) flushAll(tx store.Tx) bool {
	if c.dbsLocked {
		for _, st := range c.lockedStores {
			st.TxAll().Flush()
		}
		return true
	}
	_, stores := c.srv.dbStores()
	if c.runningScript() {
		// The script holds its stores' every shard (FLUSHALL needs
		// all-shards-lock); the others' are taken without waiting.
		txs, _, ok := c.lockDBs(stores, make([][]int, len(stores)))
		if !ok {
			return false
		}
		for _, t := range txs {
			t.Flush()
		}
		return true
	}
	for _, st := range stores {
		if st == c.db() {
			tx.Flush()
		} else {
			st.Tx().Flush() // one store at a time: no two held at once
		}
	}
	return true
}

// execAllDBs is EXEC of a transaction with a command that works on
// another database than the client's (SELECT, MOVE, SWAPDB, ...): it
// makes the databases those name, then holds every shard of every
// database's store, taken in the stores' order, while its commands run.
func (c *client) execAllDBs(m *multiState) {
	s := c.srv
	c.db()
	for _, q := range m.queued {
		if q.cmd.crossDB != nil {
			for _, n := range q.cmd.crossDB(c, q.args) {
				if n < len(s.dbs.slots) {
					s.dbStore(n)
				}
			}
		}
	}
	_, stores := s.dbStores()
	shards := make([][]int, len(stores))
	unlock := lockStores(true, stores, shards)
	c.dbsLocked, c.lockedStores = true, stores
	defer func() {
		c.dbsLocked, c.lockedStores = false, nil
		unlock()
	}()
	for _, w := range c.watches {
		if c.db().TxAll().Changed(w) {
			c.WriteNullArray()
			return
		}
	}
	c.WriteArray(len(m.queued))
	for _, q := range m.queued {
		if c.aclDeniedAtExec(q.cmd, q.args) {
			continue
		}
		c.run(q.cmd, q.args, c.db().TxAll()) // the database SELECT, run just before, chose
	}
}

// scriptDB is a database a script's SELECT locked.
type scriptDB struct {
	st *store.Store
	tx store.Tx
}

// selectDB switches a running script to database n: the commands it
// calls next run on n's store, under the locks of the same shards the
// script holds in its own (its declared keys' shards, or all of them).
// Those are taken without waiting (the script holds its own store's
// locks, so it cannot wait for another's in the stores' order): tried
// for up to a second, then the SELECT fails. Inside an EXEC only an EXEC
// that locked every database lets a script SELECT another.
func (h *scriptCtx) selectDB(n int) string {
	c := h.c
	st := c.srv.dbStore(n)
	tx, ok := h.txFor(st)
	if !ok {
		return "BUSY database " + strconv.Itoa(n) + "'s keys are locked by another client: the script could not SELECT it"
	}
	h.tx = tx
	c.selectDB(n)
	return ""
}

func (h *scriptCtx) txFor(st *store.Store) (store.Tx, bool) {
	c := h.c
	if st == h.home {
		return h.homeTx, true
	}
	for _, d := range h.dbs {
		if d.st == st {
			return d.tx, true
		}
	}
	if c.dbsLocked {
		return st.TxAll(), true
	}
	if c.multi != nil {
		return store.Tx{}, false
	}
	write := !h.readOnly
	for deadline := time.Now().Add(time.Second); ; time.Sleep(50 * time.Microsecond) {
		var tx store.Tx
		switch {
		case h.all && st.TryLockAll(write):
			tx = st.TxAll()
		case !h.all && st.TryLock(h.run.shards, write):
			tx = st.Tx()
		default:
			if time.Now().After(deadline) {
				return store.Tx{}, false
			}
			continue
		}
		h.dbs = append(h.dbs, scriptDB{st: st, tx: tx})
		return tx, true
	}
}

// endSelects releases what the script's SELECTs locked and gives the
// caller back its database.
func (h *scriptCtx) endSelects(write bool, slot *dbSlot, num int) {
	for _, d := range h.dbs {
		if h.all {
			d.st.UnlockAll(write)
		} else {
			d.st.Unlock(h.run.shards, write)
		}
	}
	clear(h.dbs)
	h.dbs = h.dbs[:0]
	h.home = nil
	h.c.dbSlot = slot
	h.c.dbNum.Store(int32(num))
}
