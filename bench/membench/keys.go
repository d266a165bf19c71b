package main

import "strconv"

// membench speaks RESP through protocol/resp: commands are appended
// to a reused buffer and written in one Write per pipeline; the load paths
// only need to know whether a reply was an error or nil (resp.Read), the
// admin commands (INFO, DBSIZE) the value (resp.Conn).

// appendKey appends key:<i>, the key naming of the issue (key:%d).
func appendKey(buf []byte, i int) []byte {
	buf = append(buf, "key:"...)
	return strconv.AppendInt(buf, int64(i), 10)
}
