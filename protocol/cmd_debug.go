package protocol

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// DEBUG's safe subset, and ROLE. Every node is a master: ROLE answers as
// one with no replicas and offset 0, or, with --cluster-replicas, with
// the nodes that replicate its slots (replication.go).

func init() {
	register(
		// no_multi, unlike Redis's: DEBUG OBJECT takes its key's shard lock
		// itself, which EXEC may already hold.
		&command{name: "debug", arity: -2, flags: flagAdmin | flagNoScript | flagLoading | flagStale | flagNoMulti,
			acl: []string{"admin", "slow", "dangerous"}, run: cmdDebug},
		&command{name: "role", arity: 1, flags: flagNoScript | flagLoading | flagStale | flagFast,
			acl: []string{"admin", "fast", "dangerous"}, run: cmdRole},
	)
}

func cmdRole(c *client, _ [][]byte, _ store.Tx) {
	c.WriteArray(3)
	c.WriteBulkString("master")
	if c.srv.repl == nil {
		c.WriteInt64(0)
		c.WriteArray(0)
		return
	}
	// With --cluster-replicas: the nodes replicating this node's slots,
	// offsets as INFO replication's (replication.go).
	st := c.srv.repl.Stats()
	slices.SortFunc(st.Peers, func(a, b ReplicaPeer) int { return strings.Compare(a.ID, b.ID) })
	var offset uint64
	for _, p := range st.Peers {
		offset += p.Sent
	}
	c.WriteInt64(int64(offset))
	c.WriteArray(len(st.Peers))
	for _, p := range st.Peers {
		host, port := hostPort(p.Addr)
		c.WriteArray(3)
		c.WriteBulkString(host)
		c.WriteBulkString(strconv.Itoa(port))
		c.WriteBulkString(strconv.FormatUint(p.Acked, 10))
	}
}

// cmdDebug serves DEBUG SLEEP, SET-ACTIVE-EXPIRE, CHANGE-REPL-ID,
// QUICKLIST-PACKED-THRESHOLD (accepted: there are no lists yet), OBJECT
// and HELP; every other subcommand gets Redis's error for an unknown one.
// DEBUG SLEEP stops only the connection that sent it: Redis's stops the
// whole server, which has one thread.
func cmdDebug(c *client, args [][]byte, _ store.Tx) {
	sub := strings.ToLower(string(args[1]))
	switch {
	case sub == "help" && len(args) == 2:
		writeHelp(c, "DEBUG",
			"CHANGE-REPL-ID", "    Accepted; cachesrv has no replication ID to change.",
			"OBJECT <key>", "    Show low level info about the <key> and associated value.",
			"QUICKLIST-PACKED-THRESHOLD <size>", "    Accepted (cachesrv has no lists yet).",
			"SET-ACTIVE-EXPIRE <0|1>", "    Accepted; keys expire in the background regardless.",
			"SLEEP <seconds>", "    Stop this connection for <seconds> (a float; 0 = none).",
		)
	case sub == "sleep" && len(args) == 3:
		// Redis reads the seconds with strtod and ignores what does not parse.
		secs, _ := strconv.ParseFloat(string(args[2]), 64)
		if secs > 0 {
			time.Sleep(time.Duration(secs * float64(time.Second)))
		}
		c.WriteString("OK")
	case sub == "set-active-expire" && len(args) == 3, sub == "change-repl-id" && len(args) == 2:
		c.WriteString("OK")
	case sub == "quicklist-packed-threshold" && len(args) == 3:
		n, ok := parseMemory(args[2])
		if !ok || n >= 1<<32 {
			c.errorReply("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
			return
		}
		c.WriteString("OK")
	case sub == "object" && len(args) == 3:
		debugObject(c, args[2])
	default:
		c.errorReply(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP.", resp.Clip(args[1], 128)))
	}
}

// debugObject answers DEBUG OBJECT in Redis's format. Values have no
// address, shared refcount or LRU clock here: those fields are 0 and 1;
// serializedlength is the bytes the value takes in memory (MEMORY USAGE),
// not its RDB length.
func debugObject(c *client, key []byte) {
	st := c.db()
	i := st.ShardOf(key)
	st.LockShard(i, false) // DEBUG has no key positions: dispatch took no lock
	tx := st.Tx()
	enc, ok := tx.Encoding(key)
	size, _ := tx.MemoryUsage(key)
	access, _ := tx.Access(key)
	st.UnlockShard(i, false)
	if !ok {
		c.errorReply("ERR no such key")
		return
	}
	c.WriteString(fmt.Sprintf("Value at:0x0 refcount:1 encoding:%s serializedlength:%d lru:0 lru_seconds_idle:%d", enc, size, access.Idle))
}

// parseMemory parses a memory value as Redis's memtoull does: digits with
// an optional unit (b, k, kb, m, mb, g, gb; k = 1000, kb = 1024).
func parseMemory(b []byte) (int64, bool) {
	s := strings.ToLower(string(b))
	units := []struct {
		suffix string
		mul    int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}}
	mul := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mul = strings.TrimSuffix(s, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mul {
		return 0, false
	}
	return n * mul, true
}
