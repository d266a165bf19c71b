package protocol

import (
	"github.com/cachesrv/cachesrv/store"
)

// The blocking list commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP.
// Each serves at once as its non-blocking form would, or blocks
// (blocking.go) and runs again when one of its keys is written.

// cmdBPop is BLPOP and BRPOP: [key, element] from the first non-empty
// list, in the order given.
func cmdBPop(c *client, args [][]byte, tx store.Tx) {
	timeout, ok := c.blockTimeout(args[len(args)-1])
	if !ok {
		return
	}
	head := args[0][1]|0x20 == 'l' // BLPOP
	keys := args[1 : len(args)-1]
	for _, key := range keys {
		n, err := tx.ListLen(key)
		if err != nil {
			if c.blockRerun() {
				continue // Redis serves a blocked client only from a list
			}
			c.wrongType(err)
			return
		}
		if n == 0 {
			continue
		}
		c.WriteArray(2)
		c.WriteBulk(key)
		_, left, _ := tx.ListPop(key, head, 1, func(e []byte) { c.WriteBulk(e) })
		c.notifyPopped(key, head, left)
		return
	}
	if c.block(keys, timeout) {
		return
	}
	c.WriteNullArray()
}

// blmove is BLMOVE and BRPOPLPUSH once their arguments are parsed.
func (c *client) blmove(tx store.Tx, args [][]byte, src, dst []byte, from, to bool, timeoutArg []byte) {
	timeout, ok := c.blockTimeout(timeoutArg)
	if !ok {
		return
	}
	if c.blockRerun() {
		if n, err := tx.ListLen(src); err != nil || n == 0 {
			// Not a list (any more), or taken by another: wait on.
			if c.block([][]byte{src}, timeout) {
				return
			}
			c.WriteNullArray() // Redis 7.0 answers a timed-out BLMOVE so
			return
		}
	}
	if c.moveElem(tx, src, dst, from, to) {
		return
	}
	if c.block([][]byte{src}, timeout) {
		return
	}
	if c.blk.expired {
		c.WriteNullArray() // timed out (Redis 7.0's reply to a blocked BLMOVE)
		return
	}
	c.WriteNull() // inside MULTI or a script: at once
}

func cmdBLMove(c *client, args [][]byte, tx store.Tx) {
	from, ok := c.listEnd(args[3])
	if !ok {
		return
	}
	to, ok := c.listEnd(args[4])
	if !ok {
		return
	}
	c.blmove(tx, args, args[1], args[2], from, to, args[5])
}

func cmdBRPopLPush(c *client, args [][]byte, tx store.Tx) {
	c.blmove(tx, args, args[1], args[2], false, true, args[3])
}

func cmdBLMPop(c *client, args [][]byte, tx store.Tx) {
	timeout, ok := c.blockTimeout(args[1])
	if !ok {
		return
	}
	keys, head, count, ok := c.mpopArgs(args, 2)
	if !ok {
		return
	}
	if c.mpop(tx, keys, head, count) {
		return
	}
	if c.block(keys, timeout) {
		return
	}
	c.WriteNullArray()
}
