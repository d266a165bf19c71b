package protocol

import (
	"bufio"
	"fmt"
	"net"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

// TestPubSubGoRedis: go-redis's Subscribe and PSubscribe receive what
// PUBLISH sends, in RESP2 and RESP3, and PUBSUB counts them.
func TestPubSubGoRedis(t *testing.T) {
	ts := startServer(t)
	for _, proto := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", proto), func(t *testing.T) {
			// Names of their own: the other subtest's subscriber may not be
			// gone yet.
			news, sport, pat := fmt.Sprintf("news%d", proto), fmt.Sprintf("sport%d", proto), fmt.Sprintf("n*%d", proto)
			sub := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: proto})
			defer sub.Close()
			ps := sub.Subscribe(ctx, news, sport)
			defer ps.Close()
			if _, err := ps.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			pps := sub.PSubscribe(ctx, pat)
			defer pps.Close()
			if _, err := pps.Receive(ctx); err != nil {
				t.Fatal(err)
			}
			pub := ts.client(t)
			// Wait until both subscriptions are in (the first Receive saw
			// only the first confirmation).
			deadline := time.Now().Add(5 * time.Second)
			for pub.PubSubNumSub(ctx, sport).Val()[sport] != 1 && time.Now().Before(deadline) {
				time.Sleep(5 * time.Millisecond)
			}
			if n := pub.Publish(ctx, news, "hello").Val(); n != 2 {
				t.Errorf("PUBLISH news reached %d subscribers, want 2 (channel and pattern)", n)
			}
			if n := pub.Publish(ctx, "other", "x").Val(); n != 0 {
				t.Errorf("PUBLISH other reached %d, want 0", n)
			}
			m, err := ps.ReceiveMessage(ctx)
			if err != nil || m.Channel != news || m.Payload != "hello" {
				t.Fatalf("channel message: %+v, %v", m, err)
			}
			pm, err := pps.ReceiveMessage(ctx)
			if err != nil || pm.Pattern != pat || pm.Channel != news || pm.Payload != "hello" {
				t.Fatalf("pattern message: %+v, %v", pm, err)
			}
			if got := pub.PubSubChannels(ctx, "*"+fmt.Sprint(proto)).Val(); strings.Join(got, ",") != news+","+sport {
				t.Errorf("PUBSUB CHANNELS = %v", got)
			}
			if got := pub.PubSubNumPat(ctx).Val(); got < 1 {
				t.Errorf("PUBSUB NUMPAT = %d", got)
			}
		})
	}
}

// TestPubSubBytesLikeRedis compares raw subscribed-mode exchanges with
// redis-server's, byte for byte (client IDs and the version aside).
func TestPubSubBytesLikeRedis(t *testing.T) {
	redisAddr := servertest.RedisServer(t)
	ts := startServer(t)
	scripts := [][]string{
		{"SUBSCRIBE a", "GET x", "PING", "PING hi", "UNSUBSCRIBE a", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SSUBSCRIBE s1", "SUNSUBSCRIBE s1", "PSUBSCRIBE p*", "PUBSUB NUMPAT", "HELLO 3", "RESET", "PING"},
		{"HELLO 3", "SUBSCRIBE a", "GET x", "PING", "PUBLISH a hello", "PUBLISH b x", "UNSUBSCRIBE", "SSUBSCRIBE s", "SPUBLISH s m", "SUNSUBSCRIBE", "PUBSUB NUMSUB a b", "PUBSUB SHARDNUMSUB s"},
		{"MULTI", "SUBSCRIBE a", "EXEC", "UNSUBSCRIBE a", "PUBSUB CHANNELS x y", "PUBSUB NUMSUB", "PUBSUB NUMPAT x", "SUBSCRIBE", "PUBLISH a"},
		{"CLIENT TRACKING ON", "CLIENT TRACKINGINFO", "CLIENT CACHING YES", "CLIENT TRACKING ON OPTIN", "CLIENT TRACKING ON OPTOUT", "CLIENT TRACKING ON BCAST",
			"CLIENT TRACKING OFF", "CLIENT TRACKING ON BCAST PREFIX a PREFIX ab", "CLIENT TRACKING ON PREFIX a", "CLIENT TRACKING ON OPTIN OPTOUT", "CLIENT TRACKING ON BCAST OPTIN",
			"CLIENT TRACKING ON REDIRECT 99999", "CLIENT TRACKING ON REDIRECT x", "CLIENT TRACKING maybe", "CLIENT TRACKING ON BCAST PREFIX a", "CLIENT TRACKING ON BCAST PREFIX abc",
			"CLIENT TRACKING ON BCAST PREFIX b", "CLIENT TRACKINGINFO", "CLIENT GETREDIR", "CLIENT TRACKING OFF", "CLIENT TRACKINGINFO", "CLIENT GETREDIR", "CLIENT CACHING NO"},
		{"HELLO 3", "CLIENT TRACKING ON", "GET k", "SET k 1", "GET k", "GET k", "MSET k 2 j 3", "GET j", "DEL j", "CLIENT TRACKINGINFO", "FLUSHALL", "CLIENT TRACKING OFF", "GET k", "SET k 2"},
		{"HELLO 3", "CLIENT TRACKING ON OPTIN", "GET k", "SET k 1", "CLIENT CACHING YES", "GET k", "SET k 2", "CLIENT TRACKINGINFO", "CLIENT TRACKING OFF", "CLIENT TRACKING ON OPTOUT NOLOOP", "CLIENT CACHING NO", "CLIENT TRACKINGINFO", "GET k", "SET k 3", "GET k", "SET k 4"},
		{"HELLO 3", "CLIENT TRACKING ON BCAST PREFIX user: PREFIX cfg", "SET user:1 a", "SET other b", "SET cfg c", "MSET user:2 x other y", "CLIENT TRACKING OFF", "SET user:1 b"},
	}
	for i, script := range scripts {
		got, want := rawExchange(t, ts.addr, script), rawExchange(t, redisAddr, script)
		if got != want {
			t.Errorf("script %d %q:\ncachesrv:\n%s\nredis-server:\n%s", i, script, got, want)
		}
	}
}

var (
	clientIDRE = regexp.MustCompile(`\$2\r\nid\r\n:\d+`) // HELLO's id
	versionRE  = regexp.MustCompile(`\$\d+\r\n7\.0\.\d+\r\n`)
)

// rawExchange sends each command (split on spaces) and returns the bytes
// that came back, waiting for each command's output to settle.
func rawExchange(t *testing.T, addr string, script []string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rd := bufio.NewReader(conn)
	var out strings.Builder
	giveUp := time.Now().Add(20 * time.Second) // fail, never hang
	for _, line := range script {
		if time.Now().After(giveUp) {
			t.Fatalf("%s: the exchange is taking over 20 s; so far:\n%s", addr, out.String())
		}
		args := strings.Fields(line)
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		conn.Write([]byte(b.String()))
		fmt.Fprintf(&out, "> %s\n", line)
		// Every command here answers something: wait for that first
		// whole reply however slow a loaded machine makes it, then for
		// what follows until 30 ms pass in silence (pushes).
		conn.SetReadDeadline(giveUp)
		first, err := readRESP(rd)
		out.WriteString(first)
		if err != nil {
			t.Fatalf("%s: %s: %v; so far:\n%s", addr, line, err, out.String())
		}
		for time.Now().Before(giveUp) {
			conn.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
			s, err := rd.ReadString('\n')
			out.WriteString(s)
			if err != nil {
				break
			}
		}
	}
	s := clientIDRE.ReplaceAllString(out.String(), "$$2\r\nid\r\n:ID")
	return versionRE.ReplaceAllString(s, "$V\r\n7.0\r\n")
}

// TestSubscribedModeRESP2: RESP2's subscribed mode refuses other commands
// with Redis's error; RESP3 allows them.
func TestSubscribedModeRESP2(t *testing.T) {
	ts := startServer(t)
	r := ts.raw(t)
	r.send("*2\r\n$9\r\nSUBSCRIBE\r\n$1\r\nc\r\n")
	for range 6 {
		r.line()
	}
	r.send("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
	if got, want := r.line(), "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"; got != want {
		t.Errorf("GET while subscribed: %q, want %q", got, want)
	}
	r3 := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 3})
	defer r3.Close()
	ps := r3.Subscribe(ctx, "c")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestSlowSubscriberDisconnected: a subscriber that does not read is
// closed once its pending messages pass client-output-buffer-limit's
// pubsub hard limit, and the server's heap does not grow with what is
// published to it.
func TestSlowSubscriberDisconnected(t *testing.T) {
	ts := startServer(t, func(c *config.Config) {
		if err := config.FindSetting("client-output-buffer-limit").Set(c, "pubsub 1mb 256kb 60"); err != nil {
			t.Fatal(err)
		}
	})
	slow, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if tc, ok := slow.(*net.TCPConn); ok {
		tc.SetReadBuffer(4096) // keep the kernel from absorbing much
	}
	slow.Write([]byte("*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nfeed\r\n"))
	pub := ts.client(t)
	deadline := time.Now().Add(5 * time.Second)
	for pub.PubSubNumSub(ctx, "feed").Val()["feed"] != 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	payload := strings.Repeat("x", 64<<10)
	sent := 0
	for i := 0; i < 3000; i++ { // 192 MiB in all
		n, err := pub.Publish(ctx, "feed", payload).Result()
		if err != nil {
			t.Fatal(err)
		}
		sent++
		if n == 0 {
			break // the subscriber was dropped
		}
	}
	if pub.PubSubNumSub(ctx, "feed").Val()["feed"] != 0 {
		t.Fatalf("after %d messages of 64 KiB the subscriber that never reads is still subscribed", sent)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 16<<20 {
		t.Errorf("the heap grew by %d MiB", grew>>20)
	}
	t.Logf("dropped after %d messages (%d KiB published)", sent, sent*64)
	if ts.srv.stats.outputLimitClosed.Load() != 1 {
		t.Errorf("output-limit closures counted: %d, want 1", ts.srv.stats.outputLimitClosed.Load())
	}
}

// TestKeyspaceNotifications: expiry, eviction and commands publish on the
// __keyspace@0__ and __keyevent@0__ channels as notify-keyspace-events
// says, and nothing while it is empty.
func TestKeyspaceNotifications(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	sub := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: 3})
	defer sub.Close()
	ps := sub.PSubscribe(ctx, "__key*@0__:*")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	ch := ps.Channel()
	c.Set(ctx, "quiet", "1", 0) // off: nothing
	if err := c.ConfigSet(ctx, "notify-keyspace-events", "KEA").Err(); err != nil {
		t.Fatal(err)
	}
	expect := func(what string, want ...string) {
		t.Helper()
		for _, w := range want {
			select {
			case m := <-ch:
				if got := m.Channel + " " + m.Payload; got != w {
					t.Errorf("%s: got %q, want %q", what, got, w)
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("%s: no notification, want %q", what, w)
			}
		}
	}
	c.Set(ctx, "k", "v", 0)
	expect("SET", "__keyspace@0__:k set", "__keyevent@0__:set k")
	c.Del(ctx, "k", "missing")
	expect("DEL", "__keyspace@0__:k del", "__keyevent@0__:del k")
	c.Set(ctx, "e", "v", 100*time.Millisecond)
	expect("SET PX", "__keyspace@0__:e set", "__keyevent@0__:set e", "__keyspace@0__:e expire", "__keyevent@0__:expire e")
	ts.advance(time.Second)
	ts.store.ExpireCycle(0, time.Second)
	expect("active expiry", "__keyspace@0__:e expired", "__keyevent@0__:expired e")
	c.Set(ctx, "n", "1", 0)
	expect("SET", "__keyspace@0__:n set", "__keyevent@0__:set n")
	c.IncrBy(ctx, "n", 2)
	expect("INCRBY", "__keyspace@0__:n incrby", "__keyevent@0__:incrby n")
	c.Rename(ctx, "n", "m")
	expect("RENAME", "__keyspace@0__:n rename_from", "__keyevent@0__:rename_from n", "__keyspace@0__:m rename_to", "__keyevent@0__:rename_to m")

	// A hash whose last field expires: hexpired, then del (Redis 7.4).
	c.HSet(ctx, "hx", "f", "v")
	expect("HSET", "__keyspace@0__:hx hset", "__keyevent@0__:hset hx")
	if err := c.HPExpire(ctx, "hx", 100*time.Millisecond, "f").Err(); err != nil {
		t.Fatal(err)
	}
	expect("HPEXPIRE", "__keyspace@0__:hx hexpire", "__keyevent@0__:hexpire hx")
	ts.advance(time.Second)
	for i := 0; i < 10 && c.Exists(ctx, "hx").Val() == 1; i++ {
		ts.store.ExpireCycle(0, time.Second)
	}
	expect("last field expired", "__keyspace@0__:hx hexpired", "__keyevent@0__:hexpired hx", "__keyspace@0__:hx del", "__keyevent@0__:del hx")

	// Eviction: a small maxmemory and more data than fits.
	c.ConfigSet(ctx, "notify-keyspace-events", "Ee")
	c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru")
	c.ConfigSet(ctx, "maxmemory", "2mb")
	val := strings.Repeat("v", 1000)
	for i := 0; i < 5000; i++ {
		if err := c.Set(ctx, fmt.Sprintf("fill:%d", i), val, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case m := <-ch:
		if m.Channel != "__keyevent@0__:evicted" || !strings.HasPrefix(m.Payload, "fill:") {
			t.Errorf("eviction: got %s %s", m.Channel, m.Payload)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no evicted notification after writing 5 MB into 2 MB")
	}
}

// notificationsOf runs script on a fresh connection to addr (FLUSHALL
// first, notify-keyspace-events KEA) and returns the keyspace and
// keyevent notifications matching pattern it caused, in order, up to the
// script's last command, which must be SET end: the differential
// notification tests run it against cachesrv and redis-server alike.
func notificationsOf(t *testing.T, addr, pattern string, script [][]any) []string {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer c.Close()
	c.FlushAll(ctx)
	if err := c.ConfigSet(ctx, "notify-keyspace-events", "KEA").Err(); err != nil {
		t.Fatal(err)
	}
	sub := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer sub.Close()
	ps := sub.PSubscribe(ctx, pattern)
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	ch := ps.Channel()
	for _, cmd := range script {
		c.Do(ctx, cmd...)
	}
	var got []string
	for {
		select {
		case m := <-ch:
			got = append(got, m.Channel+" "+m.Payload)
			if m.Channel == "__keyevent@0__:set" && m.Payload == "end" {
				return got
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: no end after %q", addr, got)
		}
	}
}
