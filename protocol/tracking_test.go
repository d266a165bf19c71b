package protocol

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"
)

// newRueidis returns a rueidis client with its defaults (RESP3,
// client-side caching in OPTIN mode) plus extra tracking options.
func newRueidis(t *testing.T, addr string, tracking ...string) rueidis.Client {
	t.Helper()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{addr}, DisableRetry: true, ClientTrackingOptions: tracking})
	if err != nil {
		t.Fatalf("rueidis with default options: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// cachedGet is DoCache of GET key: the value and whether it came from
// rueidis's local cache.
func cachedGet(t *testing.T, c rueidis.Client, key string) (string, bool) {
	t.Helper()
	r := c.DoCache(ctx, c.B().Get().Key(key).Cache(), time.Minute)
	v, err := r.ToString()
	if err != nil && !rueidis.IsRedisNil(err) {
		t.Fatalf("DoCache GET %s: %v", key, err)
	}
	return v, r.IsCacheHit()
}

// waitFresh reads key through the cache until it shows want (the
// invalidation is in flight for a moment), failing after 5 s.
func waitFresh(t *testing.T, c rueidis.Client, key, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		v, _ := cachedGet(t, c, key)
		if v == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s through the cache still gives %q, want %q: no invalidation arrived", key, v, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestRueidisClientSideCaching: rueidis with its default options caches
// a read locally, and a write from another client invalidates it.
func TestRueidisClientSideCaching(t *testing.T) {
	ts := startServer(t)
	other := ts.client(t)
	other.Set(ctx, "user:1", "alice", 0)
	c := newRueidis(t, ts.addr)
	if v, hit := cachedGet(t, c, "user:1"); v != "alice" || hit {
		t.Fatalf("first DoCache: %q hit=%v, want alice from the server", v, hit)
	}
	if v, hit := cachedGet(t, c, "user:1"); v != "alice" || !hit {
		t.Fatalf("second DoCache: %q hit=%v, want alice from the local cache", v, hit)
	}
	other.Set(ctx, "user:1", "bob", 0)
	waitFresh(t, c, "user:1", "bob")
	if _, hit := cachedGet(t, c, "user:1"); !hit {
		t.Error("after the invalidation the new value was not cached again")
	}

	// Every way a key changes invalidates it.
	changes := []struct {
		name   string
		setup  func()
		before string // the value setup leaves
		apply  func()
		want   string
	}{
		{"DEL", func() { other.Set(ctx, "k", "1", 0) }, "1", func() { other.Del(ctx, "k") }, ""},
		{"INCR", func() { other.Set(ctx, "k", "1", 0) }, "1", func() { other.Incr(ctx, "k") }, "2"},
		{"APPEND", func() { other.Set(ctx, "k", "a", 0) }, "a", func() { other.Append(ctx, "k", "b") }, "ab"},
		{"RENAME onto it", func() { other.Set(ctx, "k", "old", 0); other.Set(ctx, "src", "new", 0) }, "old", func() { other.Rename(ctx, "src", "k") }, "new"},
		{"COPY onto it", func() { other.Set(ctx, "k", "old", 0); other.Set(ctx, "src", "cp", 0) }, "old", func() { other.Copy(ctx, "src", "k", 0, true) }, "cp"},
		{"MULTI/EXEC", func() { other.Set(ctx, "k", "1", 0) }, "1", func() {
			other.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "k", "tx", 0); return nil })
		}, "tx"},
		{"FLUSHALL", func() { other.Set(ctx, "k", "1", 0) }, "1", func() { other.FlushAll(ctx) }, ""},
		{"expiry", func() { other.Set(ctx, "k", "1", time.Second) }, "1", func() {
			ts.advance(2 * time.Second)
			ts.store.ExpireCycle(0, time.Second)
		}, ""},
	}
	for _, ch := range changes {
		ch.setup()
		waitFresh(t, c, "k", ch.before)
		if _, hit := cachedGet(t, c, "k"); !hit {
			t.Errorf("%s: k not cached before the change", ch.name)
		}
		ch.apply()
		waitFresh(t, c, "k", ch.want)
	}
}

// TestTrackingEviction: a tracked key evicted under maxmemory is
// invalidated.
func TestTrackingEviction(t *testing.T) {
	ts := startServer(t)
	other := ts.client(t)
	other.Set(ctx, "victim", "v", 0)
	c := newRueidis(t, ts.addr)
	cachedGet(t, c, "victim")
	if _, hit := cachedGet(t, c, "victim"); !hit {
		t.Fatal("not cached")
	}
	other.ConfigSet(ctx, "maxmemory-policy", "allkeys-random")
	other.ConfigSet(ctx, "maxmemory", "1mb")
	val := strings.Repeat("x", 1000)
	for i := 0; other.Exists(ctx, "victim").Val() == 1; i++ {
		if i > 100000 {
			t.Fatal("victim never evicted")
		}
		other.Set(ctx, fmt.Sprintf("fill:%d", i), val, 0)
	}
	waitFresh(t, c, "victim", "")
}

// TestTrackingBcastAndOptin: BCAST with prefixes invalidates only keys
// under them, and OPTIN tracks only reads after CLIENT CACHING YES.
func TestTrackingBcastAndOptin(t *testing.T) {
	ts := startServer(t)
	other := ts.client(t)
	other.Set(ctx, "a:1", "x", 0)
	other.Set(ctx, "b:1", "x", 0)
	c := newRueidis(t, ts.addr, "BCAST", "PREFIX", "a:")
	cachedGet(t, c, "a:1")
	cachedGet(t, c, "b:1")
	other.Set(ctx, "b:1", "y", 0)
	other.Set(ctx, "a:1", "y", 0)
	waitFresh(t, c, "a:1", "y")
	// b: is not under the prefix: no invalidation, so the stale value
	// stays, as Redis's BCAST does.
	if v, hit := cachedGet(t, c, "b:1"); v != "x" || !hit {
		t.Errorf("b:1 outside the prefix: %q hit=%v, want the cached x", v, hit)
	}

	// OPTIN, raw: a read without CLIENT CACHING YES is not tracked.
	r := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 3})
	defer r.Close()
	conn := r.Conn()
	defer conn.Close()
	if err := conn.Do(ctx, "CLIENT", "TRACKING", "ON", "OPTIN").Err(); err != nil {
		t.Fatal(err)
	}
	conn.Get(ctx, "a:1")
	before := ts.srv.tracking.keys.Load()
	conn.Do(ctx, "CLIENT", "CACHING", "YES")
	conn.Get(ctx, "b:1")
	conn.Get(ctx, "a:2") // CACHING YES covers one command only
	if got := ts.srv.tracking.keys.Load() - before; got != 1 {
		t.Errorf("OPTIN tracked %d new keys, want 1 (the read right after CLIENT CACHING YES)", got)
	}
}

// TestTrackingRedirectRESP2: a RESP2 client tracks with REDIRECT to a
// connection subscribed to __redis__:invalidate, which receives the
// invalidated keys as messages, and a null on FLUSHALL.
func TestTrackingRedirectRESP2(t *testing.T) {
	ts := startServer(t)
	listener := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2})
	defer listener.Close()
	lconn := listener.Conn()
	defer lconn.Close()
	id := lconn.ClientID(ctx).Val()
	ps := listener.Subscribe(ctx) // a second connection: pub/sub needs its own
	defer ps.Close()
	// The listener must be the subscribed connection: find its ID.
	if err := ps.Subscribe(ctx, "__redis__:invalidate"); err != nil {
		t.Fatal(err)
	}
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	var subID int64
	for _, line := range strings.Split(ts.client(t).ClientList(ctx).Val(), "\n") {
		if strings.Contains(line, "sub=1") {
			fmt.Sscanf(line[strings.Index(line, "id="):], "id=%d", &subID)
		}
	}
	if subID == 0 || subID == id {
		t.Fatalf("could not find the subscribed connection's ID in CLIENT LIST")
	}
	tracker := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 2})
	defer tracker.Close()
	tc := tracker.Conn()
	defer tc.Close()
	if err := tc.Do(ctx, "CLIENT", "TRACKING", "ON", "REDIRECT", subID).Err(); err != nil {
		t.Fatal(err)
	}
	tc.Get(ctx, "k")
	ts.client(t).Set(ctx, "k", "v", 0)
	msg, err := ps.ReceiveMessage(ctx)
	if err != nil || msg.Channel != "__redis__:invalidate" || strings.Join(msg.PayloadSlice, ",") != "k" {
		t.Fatalf("invalidation message: %+v, %v", msg, err)
	}
	if got := tc.Do(ctx, "CLIENT", "GETREDIR").Val(); got != subID {
		t.Errorf("CLIENT GETREDIR = %v, want %d", got, subID)
	}
}

// TestTrackingNoLoop: a NOLOOP client is not told of its own writes, but
// is of others'.
func TestTrackingNoLoop(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.send("*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n")
	for l := r.line(); l != "*0"; l = r.line() { // modules is HELLO's last field
	}
	r.send("*4\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\nON\r\n$6\r\nNOLOOP\r\n")
	r.send("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
	for _, want := range []string{"+OK", "_", "+OK", "$1", "1"} {
		if got := r.line(); got != want {
			t.Fatalf("got %q, want %q (no invalidation for its own write)", got, want)
		}
	}
	ts.client(t).Set(ctx, "k", "2", 0)
	for _, want := range []string{">2", "$10", "invalidate", "*1", "$1", "k"} {
		if got := r.line(); got != want {
			t.Fatalf("got %q, want %q (invalidation for another's write)", got, want)
		}
	}
}

// TestTrackingTableBounded: past tracking-table-max-keys the table stays
// at its limit and the clients of the keys it drops are told to flush.
func TestTrackingTableBounded(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.Notify.TrackingTableMaxKeys.Store(100) })
	r := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 3})
	defer r.Close()
	conn := r.Conn()
	defer conn.Close()
	conn.Do(ctx, "CLIENT", "TRACKING", "ON")
	for i := 0; i < 1000; i++ {
		conn.Get(ctx, fmt.Sprintf("key:%d", i))
	}
	if n := ts.srv.tracking.keys.Load(); n > 100 {
		t.Errorf("the tracking table holds %d keys, limit 100", n)
	}
	if ts.srv.tracking.invalidations.Load() == 0 {
		t.Error("no invalidation sent for the keys dropped from the table")
	}
}

// TestTrackingNeverStale races cached reads against writes: readers use
// rueidis's client-side cache while writers change the same keys; once
// the writers stop, every reader must see every key's last value (an
// invalidation overtaking the reply it makes stale would leave an old
// value cached for good). Single node, and a client of a proxy node
// reading keys other nodes own.
func TestTrackingNeverStale(t *testing.T) {
	t.Run("single", func(t *testing.T) {
		ts := startServer(t)
		raceCachedReads(t, ts.addr, ts.addr)
	})
	t.Run("proxy", func(t *testing.T) {
		nodes := startCluster(t, 3, route.Proxy)
		raceCachedReads(t, nodes[0].addr, nodes[1].addr)
	})
}

func raceCachedReads(t *testing.T, readAddr, writeAddr string) {
	const keys = 20
	readers := make([]rueidis.Client, 4)
	for i := range readers {
		c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{readAddr}, ForceSingleClient: true, DisableRetry: true})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		readers[i] = c
	}
	w := redis.NewClient(&redis.Options{Addr: writeAddr, Protocol: 2})
	defer w.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				w.Incr(ctx, fmt.Sprintf("race:%d", i%keys))
			}
		}()
	}
	for _, c := range readers {
		wg.Add(1)
		go func(c rueidis.Client) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				c.DoCache(ctx, c.B().Get().Key(fmt.Sprintf("race:%d", i%keys)).Cache(), time.Minute)
			}
		}(c)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	wg.Wait()
	time.Sleep(200 * time.Millisecond) // invalidations in flight
	for k := 0; k < keys; k++ {
		key := fmt.Sprintf("race:%d", k)
		want := w.Get(ctx, key).Val()
		for i, c := range readers {
			got, err := c.DoCache(ctx, c.B().Get().Key(key).Cache(), time.Minute).ToString()
			if err != nil && !rueidis.IsRedisNil(err) {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("reader %d: %s is %q in its cache, the server has %q", i, key, got, want)
			}
		}
	}
}
