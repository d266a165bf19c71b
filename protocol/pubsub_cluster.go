package protocol

import (
	"github.com/cachesrv/cachesrv/store"
)

// What a node broadcasts to the others for pub/sub: a PUBLISH (and
// keyspace notifications, which are published messages), or an SPUBLISH
// whose shard channel another node's clients may subscribe to in proxy
// mode.
const (
	peerPublish  = "publish"
	peerSPublish = "spublish"
)

// broadcast hands a message to every other node of the cluster, without
// waiting; a single node does nothing. The peer runs it as CACHESRV.PEER
// PUBLISH, delivering to its own subscribers only.
func (s *Server) broadcast(kind string, channel, payload []byte) {
	if s.router == nil {
		return
	}
	s.router.Broadcast([][]byte{[]byte("CACHESRV.PEER"), []byte("PUBLISH"), []byte(kind), channel, payload})
}

func init() {
	flags := flagNoScript | flagLoading | flagStale | flagFast | flagNoMulti | flagPubSub
	addSubcommands("cachesrv.peer",
		&command{name: "publish", arity: 5, flags: flags, acl: []string{"pubsub", "fast"}, run: cmdPeerPublish})
	docs["cachesrv.peer|publish"] = cmdDoc{summary: "Delivers a message another node published (PUBLISH, SPUBLISH, keyspace notifications) to this node's subscribers.",
		since: "0.2.0", group: "cluster", complexity: "O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns", args: []argDoc{
			{name: "kind", typ: "string"}, {name: "channel", typ: "string"}, {name: "message", typ: "string"}}}
}

// cmdPeerPublish delivers a message published on another node. Only a
// peer link may send it.
func cmdPeerPublish(c *client, args [][]byte, _ store.Tx) {
	if !c.peerLink {
		c.errorReply("ERR CACHESRV.PEER PUBLISH is only accepted from another node's link")
		return
	}
	switch string(args[2]) {
	case peerPublish:
		c.WriteInt(c.srv.pubsub.Publish(args[3], args[4], nil))
	case peerSPublish:
		c.WriteInt(c.srv.pubsub.SPublish(args[3], args[4], nil))
	default:
		c.errorReply(errSyntax)
	}
}
