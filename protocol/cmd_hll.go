package protocol

import (
	"strings"

	"github.com/cachesrv/cachesrv/protocol/hll"
	"github.com/cachesrv/cachesrv/store"
)

// HyperLogLog commands, Redis 7.0's: PFADD, PFCOUNT, PFMERGE, PFDEBUG and
// PFSELFTEST. An HLL is a string value in Redis's representation
// (protocol/hll), so HLLs move between cachesrv and redis-server with
// GET and SET.

func init() {
	register(
		&command{name: "pfadd", arity: -2, flags: flagWrite | flagDenyOOM | flagFast, firstKey: 1, lastKey: 1, keyStep: 1,
			acl: []string{"write", "hyperloglog", "fast"}, run: cmdPFAdd},
		&command{name: "pfcount", arity: -2, flags: flagReadonly | flagWriteLock, firstKey: 1, lastKey: -1, keyStep: 1,
			acl: []string{"read", "hyperloglog", "slow"}, run: cmdPFCount},
		&command{name: "pfmerge", arity: -2, flags: flagWrite | flagDenyOOM, firstKey: 1, lastKey: -1, keyStep: 1,
			acl: []string{"write", "hyperloglog", "slow"}, run: cmdPFMerge},
		&command{name: "pfdebug", arity: 3, flags: flagWrite | flagDenyOOM | flagAdmin, firstKey: 2, lastKey: 2, keyStep: 1,
			acl: []string{"write", "hyperloglog", "admin", "slow", "dangerous"}, run: cmdPFDebug},
		&command{name: "pfselftest", arity: 1, flags: flagAdmin,
			acl: []string{"hyperloglog", "admin", "slow", "dangerous"}, run: cmdPFSelfTest},
	)
}

func (c *client) hllSparseMax() int { return int(c.srv.cfg.HLL.SparseMaxBytes.Load()) }

func cmdPFAdd(c *client, args [][]byte, tx store.Tx) {
	maxBytes := c.hllSparseMax()
	var herr error
	updated := 0
	_, err := tx.EditString(args[1], 0, true, func(v []byte, oldLen int) ([]byte, bool) {
		existed := oldLen >= 0
		if !existed {
			v = hll.New()
			updated++
		} else if herr = hll.Check(v); herr != nil {
			return v, false
		}
		for _, e := range args[2:] {
			nv, changed, err := hll.Add(v, e, maxBytes)
			v = nv
			if err != nil {
				// Redis keeps the registers already raised, and
				// replies with the error.
				herr = err
				return v, updated > 0
			}
			if changed {
				updated++
			}
		}
		if updated > 0 {
			hll.Invalidate(v)
		}
		return v, updated > 0
	})
	if c.wrongType(err) || c.wrongType(herr) {
		return
	}
	if updated > 0 {
		c.notify(notifyString, "pfadd", args[1])
		c.WriteInt(1)
		return
	}
	c.WriteInt(0)
}

// inReadOnlyScript reports whether the command runs from a read-only
// script, under read locks: PFCOUNT then leaves the cache alone.
func (c *client) inReadOnlyScript() bool {
	h := c.script
	return h != nil && h.readOnly && c.multi == nil && c.Writer == h.w
}

func cmdPFCount(c *client, args [][]byte, tx store.Tx) {
	if len(args) > 2 {
		// The union's count, computed in a register array; nothing is
		// written.
		var max hll.Max
		for _, k := range args[1:] {
			v, found, wrong := c.readString(tx, k)
			switch {
			case wrong:
				c.errorReply(store.ErrWrongType.Error())
				return
			case !found:
				continue
			}
			if err := hll.Check(v); err != nil {
				c.errorReply(err.Error())
				return
			}
			if err := hll.MergeInto(&max, v); err != nil {
				c.errorReply(err.Error())
				return
			}
		}
		c.WriteInt64(int64(hll.CountMax(&max)))
		return
	}
	// One key: the cached count, or a fresh one, cached in the header
	// (a write, as in Redis: WATCH and client tracking see it).
	var card uint64
	var herr error
	count := func(v []byte) bool {
		if herr = hll.Check(v); herr != nil {
			return false
		}
		if n, ok := hll.Cached(v); ok {
			card = n
			return false
		}
		card, herr = hll.Count(v)
		return herr == nil
	}
	var existed bool
	var err error
	if c.inReadOnlyScript() {
		v, found, wrong := tx.GetString(args[1])
		existed = found || wrong
		if wrong {
			err = store.ErrWrongType
		} else if found {
			count(v)
		}
	} else {
		existed, err = tx.EditString(args[1], 0, false, func(v []byte, _ int) ([]byte, bool) {
			if !count(v) {
				return v, false
			}
			hll.SetCached(v, card)
			return v, true
		})
	}
	c.lookedUp(existed)
	if c.wrongType(err) || c.wrongType(herr) {
		return
	}
	c.WriteInt64(int64(card))
}

func cmdPFMerge(c *client, args [][]byte, tx store.Tx) {
	var max hll.Max
	dense := false
	for _, k := range args[1:] {
		v, found, wrong := c.readString(tx, k)
		switch {
		case wrong:
			c.errorReply(store.ErrWrongType.Error())
			return
		case !found:
			continue
		}
		if err := hll.Check(v); err != nil {
			c.errorReply(err.Error())
			return
		}
		if !hll.IsSparse(v) {
			dense = true
		}
		if err := hll.MergeInto(&max, v); err != nil {
			c.errorReply(err.Error())
			return
		}
	}
	maxBytes := c.hllSparseMax()
	var herr error
	_, err := tx.EditString(args[1], 0, true, func(v []byte, oldLen int) ([]byte, bool) {
		existed := oldLen >= 0
		if !existed {
			v = hll.New()
		}
		nv, err := hll.Store(v, &max, dense, maxBytes)
		if err != nil {
			herr = err
			return v, !existed
		}
		return nv, true
	})
	if c.wrongType(err) || c.wrongType(herr) {
		return
	}
	// Redis sends "pfadd" for PFMERGE too.
	c.notify(notifyString, "pfadd", args[1])
	c.WriteString("OK")
}

func cmdPFDebug(c *client, args [][]byte, tx store.Tx) {
	sub := strings.ToLower(string(args[1]))
	var herr error
	existed, err := tx.EditString(args[2], 0, false, func(v []byte, _ int) ([]byte, bool) {
		if herr = hll.Check(v); herr != nil {
			return v, false
		}
		switch sub {
		case "getreg", "todense":
			converted := false
			if hll.IsSparse(v) {
				d, err := hll.ToDense(v)
				if err != nil {
					herr = err
					return v, false
				}
				v, converted = d, true
			}
			if sub == "todense" {
				c.WriteInt(boolInt(converted))
				return v, converted
			}
			regs := hll.DenseRegisters(v)
			c.WriteArray(len(regs))
			for _, r := range regs {
				c.WriteInt(int(r))
			}
			return v, converted
		case "decode":
			if !hll.IsSparse(v) {
				c.errorReply("ERR HLL encoding is not sparse")
				return v, false
			}
			c.WriteBulkString(hll.Decode(v))
		case "encoding":
			c.WriteString(hll.Encoding(v))
		default:
			c.errorReply("ERR Unknown PFDEBUG subcommand '" + string(args[1]) + "'")
		}
		return v, false
	})
	switch {
	case c.wrongType(err), c.wrongType(herr):
	case !existed:
		c.errorReply("ERR The specified key does not exist")
	}
}

func cmdPFSelfTest(c *client, args [][]byte, tx store.Tx) {
	if err := hll.SelfTest(); err != nil {
		c.errorReply(err.Error())
		return
	}
	c.WriteString("OK")
}
