package protocol

import (
	"github.com/cachesrv/cachesrv/protocol/config"
)

// Keyspace notification classes: the letters of Redis's
// notify-keyspace-events. A handler that changes a key calls c.notify
// with its class and Redis's event name for the command ("set", "del",
// "hset", "sadd", "expire", ...), after the change and only if something
// changed, as Redis's commands call notifyKeyspaceEvent. The store itself
// reports expiry ('x', "expired") and eviction ('e', "evicted") through
// its change hook (storeChanged).
const (
	notifyGeneric = 'g' // DEL, EXPIRE, RENAME, ... (type-independent)
	notifyString  = '$'
	notifyList    = 'l'
	notifySet     = 's'
	notifyHash    = 'h'
	notifyZset    = 'z'
	notifyExpired = 'x'
	notifyEvicted = 'e'
	notifyStream  = 't'
	notifyKeyMiss = 'm'
	notifyNew     = 'n'
)

// notify publishes a keyspace notification for key, if
// notify-keyspace-events enables its class: one atomic load otherwise.
func (c *client) notify(class byte, event string, key []byte) {
	c.srv.notifyKeyspace(int(c.dbNum.Load()), class, event, key)
}

// The channels' prefixes in database 0 (keyspaceChannels gives others').
const (
	keyspacePrefix = "__keyspace@0__:"
	keyeventPrefix = "__keyevent@0__:"
)

// notifyKeyspace publishes the notification on __keyspace@<db>__:<key>
// (K) and __keyevent@<db>__:<event> (E), to this node's subscribers and,
// in a cluster, to every other node's: the node that owns the key emits
// it. It may run under a shard lock, and never waits for a subscriber.
func (s *Server) notifyKeyspace(db int, class byte, event string, key []byte) {
	flags := s.cfg.Notify.KeyspaceEvents.Load()
	if flags&config.EventClass(class) == 0 || flags&(config.EventKeyspace|config.EventKeyevent) == 0 {
		return
	}
	keyspace, keyevent := keyspaceChannels(db)
	if flags&config.EventKeyspace != 0 {
		ch := append([]byte(keyspace), key...)
		s.publish(ch, []byte(event))
	}
	if flags&config.EventKeyevent != 0 {
		s.publish([]byte(keyevent+event), key)
	}
}

// publish is PUBLISH from the server itself: here and on every other node.
func (s *Server) publish(channel, payload []byte) {
	s.pubsub.Publish(channel, payload, nil)
	s.broadcast(peerPublish, channel, payload)
}
