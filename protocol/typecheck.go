package protocol

import (
	"strings"

	"github.com/cachesrv/cachesrv/store"
)

// String commands that read or modify a value answer WRONGTYPE when a key
// holds a collection, as Redis's checkType does; SET, MSET and friends
// replace whatever is there, and MGET answers nil for it. GET checks in
// its handler, at no cost (Tx.GetString); the others are wrapped here, one
// type lookup before they run, so the string handlers need not know about
// other types. (This file's init runs after cmd_strings.go's: Go runs a
// package's init functions in file name order.)
func init() {
	for _, name := range []string{
		"getset", "getdel", "getex", "append", "strlen", "getrange", "substr",
		"setrange", "incr", "decr", "incrby", "decrby", "incrbyfloat",
	} {
		stringsOnly(commands[name], nil, store.ErrWrongType.Error())
	}
	stringsOnly(commands["lcs"], nil, "ERR The specified keys must contain string values")
	// SET checks the type only with GET, which returns the old value.
	stringsOnly(commands["set"], func(args [][]byte) bool {
		for _, a := range args[3:] {
			if strings.EqualFold(string(a), "get") {
				return true
			}
		}
		return false
	}, store.ErrWrongType.Error())
}

// stringsOnly wraps cmd's handler so that it answers WRONGTYPE when one of
// its keys holds something other than a string (only when check says so,
// if check is not nil), with msg.
func stringsOnly(cmd *command, check func(args [][]byte) bool, msg string) {
	run := cmd.run
	cmd.run = func(c *client, args [][]byte, tx store.Tx) {
		if check == nil || check(args) {
			wrong := false
			cmd.keyPositions(args, func(key []byte) {
				if t := tx.Type(key); t != store.TypeNone && t != store.TypeString {
					wrong = true
				}
			})
			if wrong {
				c.errorReply(msg)
				return
			}
		}
		run(c, args, tx)
	}
}
