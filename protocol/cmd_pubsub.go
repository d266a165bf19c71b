package protocol

import (
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/pubsub"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

func init() {
	const sub = flagPubSub | flagNoScript | flagLoading | flagStale
	const info = flagPubSub | flagLoading | flagStale
	slow := []string{"pubsub", "slow"}
	register(
		&command{name: "subscribe", arity: -2, flags: sub, acl: slow, run: cmdSubscribe},
		&command{name: "psubscribe", arity: -2, flags: sub, acl: slow, run: cmdPSubscribe},
		&command{name: "ssubscribe", arity: -2, flags: sub | flagChannels, firstKey: 1, lastKey: -1, keyStep: 1, acl: slow, run: cmdSSubscribe},
		&command{name: "unsubscribe", arity: -1, flags: sub, acl: slow, run: cmdUnsubscribe},
		&command{name: "punsubscribe", arity: -1, flags: sub, acl: slow, run: cmdPUnsubscribe},
		&command{name: "sunsubscribe", arity: -1, flags: sub | flagChannels, firstKey: 1, lastKey: -1, keyStep: 1, acl: slow, run: cmdSUnsubscribe},
		&command{name: "publish", arity: 3, flags: info | flagFast, acl: []string{"pubsub", "fast"}, run: cmdPublish},
		&command{name: "spublish", arity: 3, flags: info | flagFast | flagChannels, firstKey: 1, lastKey: 1, keyStep: 1, acl: []string{"pubsub", "fast"}, run: cmdSPublish},
		&command{name: "pubsub", arity: -2, acl: []string{"slow"}, subs: subcommands(
			&command{name: "channels", arity: -2, flags: info, acl: slow, run: cmdPubsubChannels},
			&command{name: "shardchannels", arity: -2, flags: info, acl: slow, run: cmdPubsubChannels},
			&command{name: "numsub", arity: -2, flags: info, acl: slow, run: cmdPubsubNumsub},
			&command{name: "shardnumsub", arity: -2, flags: info, acl: slow, run: cmdPubsubNumsub},
			&command{name: "numpat", arity: 2, flags: info, acl: slow, run: cmdPubsubNumpat},
			&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: []string{"slow"}, run: cmdPubsubHelp},
		)},
	)
}

// subscriptions are a client's channels, patterns and shard channels.
// Only its goroutine changes them; the counts are read by others
// (CLIENT LIST, and pushes choosing the pubsub output-buffer class).
type subscriptions struct {
	names [3]map[string]struct{} // by pubsub.Kind
	count [3]atomic.Int32
	total atomic.Int32
}

// subscribedRESP2 reports whether the client is in RESP2's subscribed
// mode, where only (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT and RESET
// may run.
func (c *client) subscribedRESP2() bool { return c.subs.total.Load() > 0 && !c.RESP3() }

// allowedSubscribed reports whether cmd may run in RESP2's subscribed mode.
func allowedSubscribed(cmd *command) bool {
	switch cmd.fullName {
	case "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "ping", "quit", "reset":
		return true
	}
	return false
}

// errSubscribedOnly is Redis's refusal of other commands in RESP2's
// subscribed mode.
func errSubscribedOnly(cmd *command) string {
	return "ERR Can't execute '" + cmd.fullName + "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
}

var kindVerbs = [3][2]string{
	pubsub.Channel:      {"subscribe", "unsubscribe"},
	pubsub.Pattern:      {"psubscribe", "punsubscribe"},
	pubsub.ShardChannel: {"ssubscribe", "sunsubscribe"},
}

// subCount is the count a (un)subscribe confirmation carries: channels and
// patterns together, shard channels apart, as in Redis 7.
func (c *client) subCount(k pubsub.Kind) int {
	if k == pubsub.ShardChannel {
		return int(c.subs.count[pubsub.ShardChannel].Load())
	}
	return int(c.subs.count[pubsub.Channel].Load() + c.subs.count[pubsub.Pattern].Load())
}

func (c *client) subscribe(k pubsub.Kind, names [][]byte) {
	o := c.outbox()
	for _, n := range names {
		name := string(n)
		if c.subs.names[k] == nil {
			c.subs.names[k] = map[string]struct{}{}
		}
		if _, ok := c.subs.names[k][name]; !ok {
			c.subs.names[k][name] = struct{}{}
			c.subs.count[k].Add(1)
			c.subs.total.Add(1)
			c.srv.pubsub.Subscribe(k, o, name)
		}
		c.WritePush(3)
		c.WriteBulkString(kindVerbs[k][0])
		c.WriteBulk(n)
		c.WriteInt(c.subCount(k))
	}
}

func (c *client) unsubscribe(k pubsub.Kind, names [][]byte) {
	if len(names) == 0 {
		if len(c.subs.names[k]) == 0 {
			c.WritePush(3)
			c.WriteBulkString(kindVerbs[k][1])
			c.WriteNull()
			c.WriteInt(c.subCount(k))
			return
		}
		for name := range c.subs.names[k] {
			names = append(names, []byte(name))
		}
	}
	for _, n := range names {
		name := string(n)
		if _, ok := c.subs.names[k][name]; ok {
			delete(c.subs.names[k], name)
			c.subs.count[k].Add(-1)
			c.subs.total.Add(-1)
			c.srv.pubsub.Unsubscribe(k, c.out.Load(), name)
		}
		c.WritePush(3)
		c.WriteBulkString(kindVerbs[k][1])
		c.WriteBulk(n)
		c.WriteInt(c.subCount(k))
	}
}

// unsubscribeAll drops every subscription without replying (RESET, and a
// client going away).
func (c *client) unsubscribeAll() {
	for k := range c.subs.names {
		for name := range c.subs.names[k] {
			c.srv.pubsub.Unsubscribe(pubsub.Kind(k), c.out.Load(), name)
		}
		c.subs.names[k] = nil
		c.subs.count[k].Store(0)
	}
	c.subs.total.Store(0)
}

func cmdSubscribe(c *client, args [][]byte, _ store.Tx) {
	c.subscribe(pubsub.Channel, args[1:])
}

func cmdPSubscribe(c *client, args [][]byte, _ store.Tx) {
	c.subscribe(pubsub.Pattern, args[1:])
}

func cmdSSubscribe(c *client, args [][]byte, _ store.Tx) {
	c.subscribe(pubsub.ShardChannel, args[1:])
}

func cmdUnsubscribe(c *client, args [][]byte, _ store.Tx) {
	c.unsubscribe(pubsub.Channel, args[1:])
}

func cmdPUnsubscribe(c *client, args [][]byte, _ store.Tx) {
	c.unsubscribe(pubsub.Pattern, args[1:])
}

func cmdSUnsubscribe(c *client, args [][]byte, _ store.Tx) {
	c.unsubscribe(pubsub.ShardChannel, args[1:])
}

// cmdPublish delivers to this node's subscribers and, in a cluster, to
// every other node's (Redis Cluster broadcasts PUBLISH); the reply counts
// this node's receivers, as Redis Cluster's does.
func cmdPublish(c *client, args [][]byte, _ store.Tx) {
	n := c.srv.pubsub.Publish(args[1], args[2], c.publisherSelf())
	c.srv.broadcast(peerPublish, args[1], args[2])
	c.WriteInt(n)
}

// cmdSPublish runs on the node that owns the shard channel's slot (the
// router forwards it there, or answers MOVED). In redirect mode only the
// owner has subscribers, as in Redis Cluster; in proxy mode any node may
// (a client subscribes through the node it talks to), so the owner
// broadcasts.
func cmdSPublish(c *client, args [][]byte, _ store.Tx) {
	n := c.srv.pubsub.SPublish(args[1], args[2], c.publisherSelf())
	if r := c.srv.router; r != nil && r.Mode() == route.Proxy {
		c.srv.broadcast(peerSPublish, args[1], args[2])
	}
	c.WriteInt(n)
}

func cmdPubsubChannels(c *client, args [][]byte, _ store.Tx) {
	if len(args) > 3 {
		c.errorReply("ERR unknown subcommand or wrong number of arguments for '" + resp.Clip(args[1], 128) + "'. Try PUBSUB HELP.")
		return
	}
	k := pubsub.Channel
	if strings.EqualFold(string(args[1]), "shardchannels") {
		k = pubsub.ShardChannel
	}
	var pattern []byte
	if len(args) == 3 {
		pattern = args[2]
	}
	c.WriteStringArray(c.srv.pubsub.Names(k, pattern))
}

func cmdPubsubNumsub(c *client, args [][]byte, _ store.Tx) {
	k := pubsub.Channel
	if strings.EqualFold(string(args[1]), "shardnumsub") {
		k = pubsub.ShardChannel
	}
	c.WriteArray(2 * (len(args) - 2)) // a flat array in RESP3 too, as Redis 7.0
	for _, ch := range args[2:] {
		c.WriteBulk(ch)
		c.WriteInt(c.srv.pubsub.Count(k, string(ch)))
	}
}

func cmdPubsubNumpat(c *client, _ [][]byte, _ store.Tx) {
	c.WriteInt(c.srv.pubsub.Len(pubsub.Pattern))
}

func cmdPubsubHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "PUBSUB",
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
	)
}

// pubsubInfo is CLIENT LIST's sub=, psub= and ssub=.
func (c *client) pubsubInfo() string {
	return "sub=" + strconv.Itoa(int(c.subs.count[pubsub.Channel].Load())) +
		" psub=" + strconv.Itoa(int(c.subs.count[pubsub.Pattern].Load())) +
		" ssub=" + strconv.Itoa(int(c.subs.count[pubsub.ShardChannel].Load()))
}

// publisherSelf is the client's own subscriber, for a message it
// publishes to itself; nil (not a nil *outbox) when it has none.
func (c *client) publisherSelf() pubsub.Subscriber {
	if o := c.out.Load(); o != nil {
		return o
	}
	return nil
}
