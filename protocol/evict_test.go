package protocol

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clientsByName returns the CLIENT LIST lines of the named clients, and
// the tot-mem of all clients together.
func clientsByName(t *testing.T, c *redis.Client) (map[string]string, int64) {
	t.Helper()
	list, err := c.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	byName, total := map[string]string{}, int64(0)
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		byName[clientInfoField(t, line, "name")] = line
		total += fieldInt(t, line, "tot-mem")
	}
	return byName, total
}

func fieldInt(t *testing.T, line, name string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(clientInfoField(t, line, name), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// holdQueryBuffer opens a connection named name that sends n bytes of a
// SET whose value is announced as size bytes, and waits (by counting)
// until the server holds them all in the client's query buffer. It
// returns the connection and the rest of the command.
func holdQueryBuffer(t *testing.T, ts *testServer, ctl *redis.Client, name string, n, size int, noEvict bool) (*rawConn, string) {
	t.Helper()
	r := ts.raw(t)
	r.expectReply("+OK\r\n", "CLIENT", "SETNAME", name)
	if noEvict {
		r.expectReply("+OK\r\n", "CLIENT", "NO-EVICT", "on")
	}
	header := "*3\r\n$3\r\nSET\r\n$" + strconv.Itoa(len(name)) + "\r\n" + name + "\r\n$" + strconv.Itoa(size) + "\r\n"
	r.send(header + strings.Repeat("v", n))
	for deadline := time.Now().Add(10 * time.Second); ; {
		clients, _ := clientsByName(t, ctl)
		if line, ok := clients[name]; ok && fieldInt(t, line, "qbuf") >= int64(len(header)+n) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not read %s's bytes", name)
		}
		time.Sleep(time.Millisecond)
	}
	return r, strings.Repeat("v", size-n) + "\r\n"
}

// maxmemory-clients, as Redis 7's client eviction: over the limit, the
// clients holding the most are closed first until the total is under it;
// a CLIENT NO-EVICT client is not closed however large; INFO counts the
// evictions; the others go on being served.
func TestMaxMemoryClientsEvictsLargestFirst(t *testing.T) {
	ts := startServer(t)
	ctl := ts.client(t)
	if err := ctl.Do(ctx, "CLIENT", "SETNAME", "ctl").Err(); err != nil {
		t.Fatal(err)
	}
	keep, keepRest := holdQueryBuffer(t, ts, ctl, "keep", 400<<10, 400<<10+16, true)
	a, _ := holdQueryBuffer(t, ts, ctl, "a", 200<<10, 1<<20, false)
	b, _ := holdQueryBuffer(t, ts, ctl, "b", 100<<10, 1<<20, false)
	small, smallRest := holdQueryBuffer(t, ts, ctl, "small", 30<<10, 30<<10+16, false)
	idle := ts.raw(t)
	idle.expectReply("+OK\r\n", "CLIENT", "SETNAME", "idle")

	clients, total := clientsByName(t, ctl)
	if flags := clientInfoField(t, clients["keep"], "flags"); flags != "e" {
		t.Fatalf("CLIENT LIST flags of a no-evict client: %q, want e", flags)
	}
	memA, memB := fieldInt(t, clients["a"], "tot-mem"), fieldInt(t, clients["b"], "tot-mem")
	memKeep, memSmall := fieldInt(t, clients["keep"], "tot-mem"), fieldInt(t, clients["small"], "tot-mem")
	if !(memKeep > memA && memA > memB && memB > memSmall) {
		t.Fatalf("tot-mem keep %d, a %d, b %d, small %d: not in the order the test needs", memKeep, memA, memB, memSmall)
	}
	// Closing a alone leaves the total over this limit; closing b too
	// brings it under.
	limit := total - memA - memB/2
	if err := ctl.ConfigSet(ctx, "maxmemory-clients", strconv.FormatInt(limit, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	for _, r := range []*rawConn{a, b} {
		if !r.closed() {
			t.Fatal("a large client was not evicted")
		}
	}
	if got := infoField(t, ctl.Info(ctx, "stats").Val(), "evicted_clients"); got != "2" {
		t.Fatalf("evicted_clients %s, want 2", got)
	}
	clients, _ = clientsByName(t, ctl)
	for _, name := range []string{"keep", "small", "idle", "ctl"} {
		if _, ok := clients[name]; !ok {
			t.Errorf("%s was evicted", name)
		}
	}
	if len(clients) != 4 {
		t.Errorf("%d clients left, want 4", len(clients))
	}

	// Growing past the limit, a client whose query buffer is now the
	// largest evictable one is closed itself.
	grower, _ := holdQueryBuffer(t, ts, ctl, "grower", 0, 1<<20, false)
	// The server closes it while it is still sending: the write may fail.
	grower.conn.Write([]byte(strings.Repeat("v", 600<<10)))
	if !grower.closed() {
		t.Fatal("a client growing past maxmemory-clients was not evicted")
	}
	if got := infoField(t, ctl.Info(ctx, "stats").Val(), "evicted_clients"); got != "3" {
		t.Fatalf("evicted_clients %s, want 3", got)
	}

	// The survivors are served: their commands complete (without
	// growing their buffers).
	keep.send(keepRest)
	if got := keep.line(); got != "+OK" {
		t.Fatalf("no-evict client: %q", got)
	}
	small.send(smallRest)
	if got := small.line(); got != "+OK" {
		t.Fatalf("small client: %q", got)
	}
	idle.expectReply("+PONG\r\n", "PING")
	if err := ctl.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}

// CONFIG SET and GET of maxmemory-clients take bytes or a percentage of
// maxmemory, with Redis's errors; CLIENT NO-EVICT takes on or off.
func TestMaxMemoryClientsSetting(t *testing.T) {
	ts := startServer(t)
	c := ts.client(t)
	get := func() string { return c.ConfigGet(ctx, "maxmemory-clients").Val()["maxmemory-clients"] }
	if got := get(); got != "0" {
		t.Fatalf("default %q, want 0", got)
	}
	for set, want := range map[string]string{"10%": "10%", "1mb": "1048576", "0%": "0", "100%": "100%"} {
		if err := c.ConfigSet(ctx, "maxmemory-clients", set).Err(); err != nil {
			t.Fatalf("%s: %v", set, err)
		}
		if got := get(); got != want {
			t.Errorf("after SET %s: %q, want %q", set, got, want)
		}
	}
	const prefix = "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - "
	for bad, msg := range map[string]string{
		"101%": "percentage argument must be less or equal to 100",
		"-1%":  "argument must be a memory or percent value",
		"1.5%": "argument must be a memory or percent value",
		"abc":  "argument must be a memory or percent value",
		"-5":   "argument must be a memory or percent value",
	} {
		if err := c.ConfigSet(ctx, "maxmemory-clients", bad).Err(); err == nil || err.Error() != prefix+msg {
			t.Errorf("%s: %v, want %q", bad, err, prefix+msg)
		}
	}
	// A percentage is of maxmemory, and nothing while maxmemory is 0; a
	// limit under 128 KiB counts as 128 KiB.
	for _, tc := range []struct {
		maxmemory, clients string
		want               int64
	}{{"0", "10%", 0}, {"10mb", "10%", 1 << 20}, {"10mb", "1%", 128 << 10}, {"0", "1kb", 128 << 10}, {"0", "0", 0}} {
		if err := c.ConfigSet(ctx, "maxmemory", tc.maxmemory).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.ConfigSet(ctx, "maxmemory-clients", tc.clients).Err(); err != nil {
			t.Fatal(err)
		}
		if got := ts.cfg.ClientEvictionLimit(); got != tc.want {
			t.Errorf("maxmemory %s, maxmemory-clients %s: limit %d, want %d", tc.maxmemory, tc.clients, got, tc.want)
		}
	}
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"CLIENT", "NO-EVICT", "maybe"}, "ERR syntax error"},
		{[]any{"CLIENT", "NO-EVICT"}, "ERR wrong number of arguments for 'client|no-evict' command"},
	} {
		if err := c.Do(ctx, tc.args...).Err(); err == nil || err.Error() != tc.want {
			t.Errorf("%v: %v, want %q", tc.args, err, tc.want)
		}
	}
	if err := c.Do(ctx, "CLIENT", "NO-EVICT", "ON").Err(); err != nil {
		t.Fatal(err)
	}
	if s := c.Do(ctx, "CLIENT", "INFO").String(); !strings.Contains(s, " flags=e ") {
		t.Errorf("CLIENT INFO after NO-EVICT ON: %v", s)
	}
	if err := c.Do(ctx, "CLIENT", "NO-EVICT", "off").Err(); err != nil {
		t.Fatal(err)
	}
	if s := c.Do(ctx, "CLIENT", "INFO").String(); !strings.Contains(s, " flags=N ") {
		t.Errorf("CLIENT INFO after NO-EVICT off: %v", s)
	}
}
