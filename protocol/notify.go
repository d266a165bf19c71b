package protocol

// Keyspace notification classes: the letters of Redis's
// notify-keyspace-events. A handler that changes a key calls c.notify
// with its class and Redis's event name for the command ("set", "del",
// "hset", "sadd", "expire", ...), after the change and only if something
// changed, as Redis's commands call notifyKeyspaceEvent. The store itself
// reports expiry ('x', "expired") and eviction ('e', "evicted").
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
	c.srv.notifyKeyspace(class, event, key)
}

// notifyKeyspace is notify for changes no client made (expiry, eviction).
func (s *Server) notifyKeyspace(class byte, event string, key []byte) {
	// Filled in with pub/sub (issue 12).
}
