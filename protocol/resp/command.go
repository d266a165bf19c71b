package resp

import "strconv"

// AppendCommand appends a command, args, to dst as a RESP array of bulk
// strings: what a client sends. A pipeline is several appended one after
// another and written at once.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	return appendArray(dst, args)
}

// appendArray is AppendCommand for arguments of either string type, so
// that Conn.Do encodes strings without converting each first.
func appendArray[S ~string | ~[]byte](dst []byte, args []S) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, "\r\n"...)
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, "\r\n"...)
		dst = append(dst, a...)
		dst = append(dst, "\r\n"...)
	}
	return dst
}
