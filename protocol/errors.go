package protocol

import (
	"fmt"
	"strings"

	"github.com/cachesrv/cachesrv/protocol/resp"
)

// Redis's error replies, word for word: clients and their users match on them.
const (
	errSyntax      = "ERR syntax error"
	errNotInteger  = "ERR value is not an integer or out of range"
	errNotFloat    = "ERR value is not a valid float"
	errOverflow    = "ERR increment or decrement would overflow"
	errNaNOrInf    = "ERR increment would produce NaN or Infinity"
	errNoSuchKey   = "ERR no such key"
	errDBRange     = "ERR DB index is out of range"
	errTooBig      = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	errOffsetRange = "ERR offset is out of range"
)

// errWrongArgs is Redis's arity error.
func errWrongArgs(fullName string) string {
	return "ERR wrong number of arguments for '" + fullName + "' command"
}

// errUnknownCommand is Redis's reply to an unknown command: the name and a
// preview of the arguments, each clipped to keep the line short.
func errUnknownCommand(args [][]byte) string {
	var b strings.Builder
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		fmt.Fprintf(&b, "'%s' ", resp.Clip(a, 128-b.Len()))
	}
	return fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", resp.Clip(args[0], 128), b.String())
}
