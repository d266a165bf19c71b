// Package resp is the RESP codec both ways: the server's request reader
// (with Redis's limits), the reply writer, and for clients (forwarding
// links, `cachesrv top`, the benchmarks) the command encoder, the reply
// reader, INFO parsing and a small connection.
//
// The server reads requests with Reader and answers through Writer, in
// RESP2 or, after HELLO 3, RESP3 (Writer.SetProto): handlers write maps,
// sets, doubles, nulls and verbatim strings through it, and it writes
// each in RESP3's type or in RESP2's equivalent, as Redis does.
// Clients encode commands with AppendCommand and read replies with one of
// three readers over a *bufio.Reader, all framing replies the same way
// and reading every RESP2 and RESP3 type:
//
//   - AppendReply keeps a reply's bytes as they came, for relaying it
//     (a forwarding link hands a peer's reply to the client unchanged);
//   - ReadValue decodes it into Go values, within limits that keep a
//     confused server from making the caller allocate without bound
//     (`cachesrv top`, admin commands);
//   - Read only says what kind of reply it was, without allocating, for
//     load generators that must not measure their own costs.
//
// Conn is a connection for a few commands at a time (AUTH, INFO, DBSIZE,
// CACHESRV.SHARDS), with ParseInfo for INFO's text.
package resp
