package protocol

import (
	"bytes"
	"strings"

	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/store"
)

// CLIENT TRACKING, CACHING, TRACKINGINFO and GETREDIR join the CLIENT
// container registered in cmd_connection.go (this file's init runs after
// that one's: Go runs a package's files' init functions in file-name
// order).
func init() {
	flags := flagNoScript | flagLoading | flagStale
	acl := []string{"slow", "connection"}
	addSubcommands("client",
		&command{name: "tracking", arity: -3, flags: flags, acl: acl, run: cmdClientTracking},
		&command{name: "caching", arity: 3, flags: flags, acl: acl, run: cmdClientCaching},
		&command{name: "trackinginfo", arity: 2, flags: flags, acl: acl, run: cmdClientTrackingInfo},
		&command{name: "getredir", arity: 2, flags: flags, acl: acl, run: cmdClientGetRedir},
	)
}

// addSubcommands adds subcommands to a registered container.
func addSubcommands(parent string, subs ...*command) {
	p := commands[parent]
	for _, sub := range subs {
		sub.parent = p
		sub.fullName = p.name + "|" + sub.name
		p.subs[sub.name] = sub
	}
}

func cmdClientTracking(c *client, args [][]byte, _ store.Tx) {
	var (
		o        trackOpts
		redirSet bool
	)
	for j := 3; j < len(args); j++ {
		more := j+1 < len(args)
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "redirect" && more:
			j++
			if redirSet {
				c.errorReply("ERR A client can only redirect to a single other client")
				return
			}
			id, ok := parseInt(args[j])
			if !ok {
				c.errorReply(errNotInteger)
				return
			}
			if c.srv.clientByID(id) == nil {
				c.errorReply("ERR The client ID you want redirect to does not exist")
				return
			}
			o.redirect, redirSet = id, true
		case opt == "bcast":
			o.bcast = true
		case opt == "optin":
			o.optin = true
		case opt == "optout":
			o.optout = true
		case opt == "noloop":
			o.noloop = true
		case opt == "prefix" && more:
			j++
			o.prefixes = append(o.prefixes, bytes.Clone(args[j]))
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	switch strings.ToLower(string(args[2])) {
	case "on":
	case "off":
		c.trackingOff()
		c.WriteString("OK")
		return
	default:
		c.errorReply(errSyntax)
		return
	}
	old := c.track.Load()
	switch {
	case !o.bcast && len(o.prefixes) > 0:
		c.errorReply("ERR PREFIX option requires BCAST mode to be enabled")
		return
	case old != nil && old.bcast != o.bcast:
		c.errorReply("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.")
		return
	case o.bcast && (o.optin || o.optout):
		c.errorReply("ERR OPTIN and OPTOUT are not compatible with BCAST")
		return
	case o.optin && o.optout:
		c.errorReply("ERR You can't specify both OPTIN mode and OPTOUT mode")
		return
	case old != nil && ((o.optin && old.optout) || (o.optout && old.optin)):
		c.errorReply("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.")
		return
	}
	if o.bcast {
		if msg := prefixCollision(o.prefixes, old); msg != "" {
			c.errorReply(msg)
			return
		}
		if old != nil {
			o.prefixes = append(append([][]byte{}, old.prefixes...), o.prefixes...)
		}
	}
	t := c.srv.tracking
	if o.redirect != 0 {
		t.clients.Store(o.redirect, c.srv.clientByID(o.redirect))
	}
	t.clients.Store(c.id, c)
	if old == nil {
		c.outbox() // invalidations need a writer
	}
	c.track.Store(&o)
	if o.bcast && (old == nil || !old.bcast) {
		t.setBcast(c, true)
		c.srv.watchRemoteWrites()
	}
	c.WriteString("OK")
}

// prefixCollision returns Redis's error if two of the new prefixes, or a
// new one and one the client has, overlap (one is a prefix of the other).
func prefixCollision(prefixes [][]byte, old *trackOpts) string {
	overlap := func(a, b []byte) bool { return bytes.HasPrefix(a, b) || bytes.HasPrefix(b, a) }
	for i, p := range prefixes {
		if old != nil {
			for _, q := range old.prefixes {
				if overlap(p, q) {
					return "ERR Prefix '" + resp.Clip(p, 128) + "' overlaps with an existing prefix '" + resp.Clip(q, 128) + "'. Prefixes for a single client must not overlap."
				}
			}
		}
		for _, q := range prefixes[i+1:] {
			if overlap(p, q) {
				return "ERR Prefix '" + resp.Clip(p, 128) + "' overlaps with another provided prefix '" + resp.Clip(q, 128) + "'. Prefixes for a single client must not overlap."
			}
		}
	}
	return ""
}

// trackingOff ends CLIENT TRACKING for the client. Its entries in the
// table stay until their keys change (then they are skipped), as in Redis.
func (c *client) trackingOff() {
	old := c.track.Swap(nil)
	if old != nil && old.bcast {
		c.srv.tracking.setBcast(c, false)
	}
	c.caching = 0
}

// setBcast adds c to (or removes it from) the BCAST clients.
func (t *tracking) setBcast(c *client, on bool) {
	for {
		cur := t.bcast.Load()
		next := make([]*client, 0, len(*cur)+1)
		for _, x := range *cur {
			if x != c {
				next = append(next, x)
			}
		}
		if on {
			next = append(next, c)
		}
		if t.bcast.CompareAndSwap(cur, &next) {
			return
		}
	}
}

func cmdClientCaching(c *client, args [][]byte, _ store.Tx) {
	o := c.track.Load()
	if o == nil {
		c.errorReply("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
		return
	}
	switch strings.ToLower(string(args[2])) {
	case "yes":
		if !o.optin {
			c.errorReply("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
			return
		}
		c.caching = 1
	case "no":
		if !o.optout {
			c.errorReply("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
			return
		}
		c.caching = -1
	default:
		c.errorReply(errSyntax)
		return
	}
	c.WriteString("OK")
}

func cmdClientTrackingInfo(c *client, _ [][]byte, _ store.Tx) {
	o := c.track.Load()
	var flags []string
	redir := int64(-1)
	if o == nil {
		flags = []string{"off"}
	} else {
		flags = []string{"on"}
		if o.bcast {
			flags = append(flags, "bcast")
		}
		if o.optin {
			flags = append(flags, "optin")
			if c.caching == 1 {
				flags = append(flags, "caching-yes")
			}
		}
		if o.optout {
			flags = append(flags, "optout")
			if c.caching == -1 {
				flags = append(flags, "caching-no")
			}
		}
		if o.noloop {
			flags = append(flags, "noloop")
		}
		if o.redirect != 0 && c.srv.clientByID(o.redirect) == nil {
			flags = append(flags, "broken_redirect")
		}
		redir = o.redirect
	}
	c.WriteMap(3)
	c.WriteBulkString("flags")
	c.WriteSet(len(flags))
	for _, f := range flags {
		c.WriteBulkString(f)
	}
	c.WriteBulkString("redirect")
	c.WriteInt64(redir)
	c.WriteBulkString("prefixes")
	if o == nil {
		c.WriteArray(0)
		return
	}
	c.WriteArray(len(o.prefixes))
	for _, p := range o.prefixes {
		c.WriteBulk(p)
	}
}

func cmdClientGetRedir(c *client, _ [][]byte, _ store.Tx) {
	if o := c.track.Load(); o != nil {
		c.WriteInt64(o.redirect)
		return
	}
	c.WriteInt(-1)
}

// clientByID returns the connected client with the given ID, or nil.
func (s *Server) clientByID(id int64) *client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[id]
}

// trackKeys runs after a command with its locks held: a read of a client
// that tracks (not in BCAST mode) makes its keys tracked for it, as
// Redis's trackingRememberKeys does; CLIENT CACHING's answer applies to
// this one command (or transaction).
func (c *client) trackKeys(o *trackOpts, cmd *command, args [][]byte) {
	if cmd.fullName == "client|caching" {
		return
	}
	caching := c.caching
	if c.multi == nil || cmd.name == "exec" {
		// One command, or one whole transaction (EXEC runs after the
		// commands it ran were tracked).
		c.caching = 0
	}
	if c.forwardingTracked || !tracksRead(o, cmd, caching) {
		return
	}
	c.rememberKeys(cmd, args)
}

// tracksRead reports whether a read by cmd is tracked for a client with
// options o, given CLIENT CACHING's answer.
func tracksRead(o *trackOpts, cmd *command, caching int8) bool {
	if o.bcast || cmd.flags&flagReadonly == 0 || cmd.flags&flagChannels != 0 {
		return false
	}
	return !(o.optin && caching != 1) && !(o.optout && caching == -1)
}

// rememberKeys tracks cmd's keys for the client.
func (c *client) rememberKeys(cmd *command, args [][]byte) {
	max := c.srv.cfg.Notify.TrackingTableMaxKeys.Load()
	cmd.keyPositions(args, func(key []byte) {
		c.srv.tracking.remember(c.srv.store.ShardOf(key), key, c.id, max)
	})
}

// trackForward prepares a read that proxy mode forwards (or splits) for
// a tracking client: its keys are remembered here before the owner is
// asked, so that an invalidation coming back while the reply is on its
// way finds them, and the read must go over a tracked link
// (route.ForwardTracked). It reports whether that is the case.
func (c *client) trackForward(cmd *command, args [][]byte) bool {
	o := c.track.Load()
	if o == nil {
		return false
	}
	caching := c.caching
	if c.multi == nil {
		c.caching = 0
	}
	if !tracksRead(o, cmd, caching) {
		return false
	}
	c.rememberKeys(cmd, args)
	return true
}

// Tracked tells route.Split that the parts it forwards must go over
// tracked links: the client's command is a tracked read.
func (c *client) Tracked() bool { return c.forwardingTracked }

// remoteInvalidation hears a peer's invalidation of a key it owns, which
// this node's clients read through it (route.ForwardTracked); nil means
// everything.
func (s *Server) remoteInvalidation(key []byte) {
	if key == nil {
		s.tracking.flushed()
		s.watchRemoteWrites() // a lost listener: ask again
		return
	}
	s.tracking.changed(s.store.ShardOf(key), key, 0)
}

// noLoop marks (id != 0) or unmarks the shards of a write's keys as being
// written by a NOLOOP tracking client, which is then not told of its own
// changes.
//
// The mark carries the database too (id<<16 | db; databases are at most
// 1<<16): shard i of another database's store has the same mark slot, and
// a write there by another client must not pass for the NOLOOP client's.
// Two NOLOOP writers of shard i in two databases at once can only cost a
// client an invalidation of its own write, never a missed one.
func (c *client) noLoop(cmd *command, args [][]byte, id int64) {
	mark := int64(0)
	if id != 0 {
		mark = id<<16 | int64(c.dbNum.Load())
	}
	cmd.keyPositions(args, func(key []byte) {
		c.srv.tracking.parts[c.srv.store.ShardOf(key)].noloop.Store(mark)
	})
}

// noLoopWriter returns the NOLOOP client writing shard i of database db
// now, 0 for none (noLoop).
func (s *Server) noLoopWriter(shard, db int) int64 {
	if m := s.tracking.parts[shard].noloop.Load(); m != 0 && int(m&0xffff) == db {
		return m >> 16
	}
	return 0
}

// storeChanged is the store's change hook: invalidations for client-side
// caching, and the keyspace notifications of expiry and eviction.
func (s *Server) storeChanged(db, shard int, key []byte, why store.Change) {
	// The hook runs under the shard's lock: a NOLOOP client marked as
	// this shard's writer is the one making the change. Invalidations
	// name the key whatever its database, as Redis's do.
	s.tracking.changed(shard, key, s.noLoopWriter(shard, db))
	s.blockingKeyChanged(db, key, why) // blocking.go
	if db == 0 {
		// Hand-off records this node's writes to slots it imports
		// (handoff.go), and replicas get the keys this node owns
		// (replication.go): a cluster node serves database 0 only.
		s.handoff.keyChanged(shard, key, why)
		s.repl.keyChanged(key)
		if why != store.Written && s.repl.isCopy(key) {
			return // a replica's copy expired or was evicted: the owner announces its own
		}
	}
	switch why {
	case store.Expired:
		s.notifyKeyspace(db, notifyExpired, "expired", key)
	case store.Evicted:
		s.notifyKeyspace(db, notifyEvicted, "evicted", key)
	case store.FieldsExpired:
		s.notifyKeyspace(db, notifyHash, "hexpired", key)
	case store.EmptiedByExpiry:
		s.notifyKeyspace(db, notifyGeneric, "del", key) // after "hexpired", as Redis 7.4
	}
}

// trackingInfo is INFO's tracking fields: clients that track; keys in
// the table, and client entries over them (tracking_total_items); BCAST
// prefixes.
func (s *Server) trackingInfo() (clients, keys, items, prefixes int64) {
	s.tracking.clients.Range(func(_, v any) bool {
		if o := v.(*client).track.Load(); o != nil {
			clients++
			if o.bcast {
				prefixes += int64(max(len(o.prefixes), 1))
			}
		}
		return true
	})
	t := s.tracking
	items = t.items.Load()
	return clients, t.keys.Load(), items, prefixes
}

// watchRemoteWrites, in proxy mode with BCAST clients, asks the other
// nodes to report every write (route.Router.WatchAll), in the background.
func (s *Server) watchRemoteWrites() {
	if s.router == nil || s.router.Mode() != route.Proxy || len(*s.tracking.bcast.Load()) == 0 {
		return
	}
	go s.router.WatchAll()
}
