package protocol

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/protocol/resp"
)

// Keyspace-wide commands in proxy mode cover the whole cluster, so that a
// client of any node sees one server: DBSIZE sums every node's count,
// KEYS joins their keys, SCAN walks the nodes one after another with a
// cursor that names the node, RANDOMKEY picks a node in proportion to its
// keys, FLUSHALL and FLUSHDB empty every node. The node asks the others
// over its peer links, where the same commands run node-locally (as they
// do in redirect mode, as in Redis Cluster).
//
// SCAN's cursor keeps the node's position in the top 8 bits, so it needs
// every node's own cursor to fit in 56 bits: 256 shards or fewer (the
// default). A membership change during a SCAN voids Redis's guarantee for
// that iteration.

// scanNodeShift is where the node's position starts in a cluster cursor.
const scanNodeShift = 56

// fanOut runs a keyspace-wide command across the cluster, and reports
// whether it did (the command is one it knows).
func (c *client) fanOut(cmd *command, args [][]byte) bool {
	switch cmd.name {
	case "dbsize", "keys", "scan", "randomkey", "flushall", "flushdb":
	default:
		return false
	}
	nodes := clusterNodes(c.srv.router.Cluster())
	if len(nodes) < 2 {
		return false
	}
	switch cmd.name {
	case "dbsize":
		var sum int64
		for _, n := range nodes {
			v, err := c.onNode(n, cmd, args)
			if err != nil {
				c.errorReply(err.Error())
				return true
			}
			i, _ := v.(int64)
			sum += i
		}
		c.WriteInt64(sum)
	case "keys":
		var all []any
		for _, n := range nodes {
			v, err := c.onNode(n, cmd, args)
			if err != nil {
				c.errorReply(err.Error())
				return true
			}
			keys, _ := v.([]any)
			all = append(all, keys...)
		}
		c.WriteArray(len(all))
		for _, k := range all {
			s, _ := k.(string)
			c.WriteBulkString(s)
		}
	case "scan":
		c.scanCluster(nodes, cmd, args)
	case "randomkey":
		c.randomKeyCluster(nodes)
	case "flushall", "flushdb":
		for _, n := range nodes {
			if _, err := c.onNode(n, cmd, args); err != nil {
				c.errorReply(err.Error())
				return true
			}
		}
		c.WriteString("OK")
	}
	return true
}

// clusterNode is a member as fanOut addresses it: "" for this node.
type clusterNode struct{ id, addr string }

// clusterNodes lists the members in ID order, this node as addr "".
func clusterNodes(cl *cluster.Cluster) []clusterNode {
	self := cl.ID()
	var out []clusterNode
	for _, m := range cl.Members() {
		addr := m.RESPAddr
		if m.ID == self {
			addr = ""
		}
		out = append(out, clusterNode{m.ID, addr})
	}
	slices.SortFunc(out, func(a, b clusterNode) int { return strings.Compare(a.id, b.id) })
	return out
}

// fanOutError is an error reply from a node.
type fanOutError string

func (e fanOutError) Error() string { return string(e) }

// onNode runs args on node n (here, or over the peer link) and returns the
// reply decoded (RESP2, whatever the client speaks), or the node's error.
func (c *client) onNode(n clusterNode, cmd *command, args [][]byte) (any, error) {
	var raw []byte
	if n.addr == "" {
		saved := c.Proto()
		c.SetProto(2)
		raw = c.runCaptured(cmd, args)
		c.SetProto(saved)
	} else {
		raw = c.srv.router.Forward(n.addr, args, 2)
	}
	v, err := resp.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return nil, fanOutError("ERR reading a node's reply: " + err.Error())
	}
	if e, ok := v.(resp.Error); ok {
		return nil, fanOutError(e)
	}
	return v, nil
}

func (c *client) scanCluster(nodes []clusterNode, cmd *command, args [][]byte) {
	cursor, ok := parseCursor(args[1])
	if !ok {
		c.errorReply("ERR invalid cursor")
		return
	}
	i := int(cursor >> scanNodeShift)
	if i >= len(nodes) {
		c.WriteArray(2)
		c.WriteBulkString("0")
		c.WriteArray(0)
		return
	}
	sub := slices.Clone(args)
	sub[1] = []byte(strconv.FormatUint(cursor&(1<<scanNodeShift-1), 10))
	v, err := c.onNode(nodes[i], cmd, sub)
	if err != nil {
		c.errorReply(err.Error())
		return
	}
	reply, _ := v.([]any)
	if len(reply) != 2 {
		c.errorReply("ERR a node's SCAN reply is malformed")
		return
	}
	cs, _ := reply[0].(string)
	next, _ := strconv.ParseUint(cs, 10, 64)
	if next >= 1<<scanNodeShift {
		c.errorReply("ERR SCAN across the cluster needs every node to have at most 256 shards")
		return
	}
	switch {
	case next != 0:
		next |= uint64(i) << scanNodeShift
	case i+1 < len(nodes):
		next = uint64(i+1) << scanNodeShift
	}
	keys, _ := reply[1].([]any)
	c.WriteArray(2)
	c.WriteBulkString(strconv.FormatUint(next, 10))
	c.WriteArray(len(keys))
	for _, k := range keys {
		s, _ := k.(string)
		c.WriteBulkString(s)
	}
}

func (c *client) randomKeyCluster(nodes []clusterNode) {
	dbsize := commands["dbsize"]
	sizes := make([]int64, len(nodes))
	var total int64
	for i, n := range nodes {
		v, err := c.onNode(n, dbsize, [][]byte{[]byte("DBSIZE")})
		if err != nil {
			c.errorReply(err.Error())
			return
		}
		sizes[i], _ = v.(int64)
		total += sizes[i]
	}
	if total == 0 {
		c.WriteNull()
		return
	}
	pick := rand.Int64N(total)
	for i, n := range sizes {
		if pick < n {
			v, err := c.onNode(nodes[i], commands["randomkey"], [][]byte{[]byte("RANDOMKEY")})
			if err != nil {
				c.errorReply(err.Error())
				return
			}
			if s, ok := v.(string); ok {
				c.WriteBulkString(s)
			} else {
				c.WriteNull()
			}
			return
		}
		pick -= n
	}
	c.WriteNull()
}
