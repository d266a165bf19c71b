package protocol

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/glob"

	"github.com/redis/go-redis/v9"
)

// Integration tests for the key commands; replies as redis-server 7.0
// gives them (skConn and skStep are in strings_test.go).

func TestKeyDelExistsTouchType(t *testing.T) {
	ts := startServer(t)
	newSKConn(t, ts).run([]skStep{
		{"MSET a 1 b 2 c 3 d 4", "+OK"},
		{"EXISTS a", ":1"},
		{"EXISTS a a b nokey a", ":4"}, // repeats count
		{"EXISTS nokey", ":0"},
		{"TOUCH a a nokey", ":2"},
		{"TYPE a", "+string"},
		{"TYPE nokey", "+none"},
		{"DEL a a b nokey", ":2"},
		{"DEL a", ":0"},
		{"UNLINK c c d nokey", ":2"},
		{"EXISTS a b c d", ":0"},
		{"DEL", "-ERR wrong number of arguments for 'del' command"},
		{"UNLINK", "-ERR wrong number of arguments for 'unlink' command"},
		{"EXISTS", "-ERR wrong number of arguments for 'exists' command"},
		{"TOUCH", "-ERR wrong number of arguments for 'touch' command"},
		{"TYPE", "-ERR wrong number of arguments for 'type' command"},
		{"TYPE a b", "-ERR wrong number of arguments for 'type' command"},
	})
	// Many keys over every shard in one DEL.
	rc := ts.client(t)
	var keys []string
	for i := range 300 {
		keys = append(keys, "k"+strconv.Itoa(i))
		rc.Set(ctx, keys[i], i, 0)
	}
	if n, err := rc.Exists(ctx, append(keys, keys...)...).Result(); err != nil || n != 600 {
		t.Fatalf("EXISTS = %d, %v", n, err)
	}
	if n, err := rc.Del(ctx, append(keys, "nokey")...).Result(); err != nil || n != 300 {
		t.Fatalf("DEL = %d, %v", n, err)
	}
}

func TestKeyExpireOptions(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	c.run([]skStep{
		{"SET a 1", "+OK"},
		// A key without a TTL: XX fails, GT fails (no TTL is infinite), LT and NX succeed.
		{"EXPIRE a 100 XX", ":0"},
		{"EXPIRE a 100 GT", ":0"},
		{"TTL a", ":-1"},
		{"EXPIRE a 100 LT", ":1"},
		{"TTL a", ":100"},
		{"PERSIST a", ":1"},
		{"EXPIRE a 100 NX", ":1"},
		{"EXPIRE a 200 NX", ":0"},
		{"EXPIRE a 200 nx", ":0"},
		{"EXPIRE a 50 GT", ":0"},
		{"EXPIRE a 100 GT", ":0"}, // equal is not greater
		{"EXPIRE a 500 GT", ":1"},
		{"EXPIRE a 600 LT", ":0"},
		{"EXPIRE a 500 LT", ":0"}, // equal is not less
		{"EXPIRE a 50 lt", ":1"},
		{"TTL a", ":50"},
		{"EXPIRE a 70 XX", ":1"},
		{"EXPIRE a 150 XX GT", ":1"},
		{"EXPIRE a 100 XX GT", ":0"},
		{"EXPIRE a 120 XX LT", ":1"},
		{"EXPIRE a 120 GT GT", ":0"},
		{"TTL a", ":120"},
		{"PEXPIRE a 1500 LT", ":1"},
		{"PTTL a", ":1500"},
		{"PEXPIRE a 1000 GT", ":0"},
		{"EXPIRE a", "-ERR wrong number of arguments for 'expire' command"},
		// Option errors come before the time is read.
		{"EXPIRE a 100 NX XX", "-ERR NX and XX, GT or LT options at the same time are not compatible"},
		{"EXPIRE a 100 NX GT", "-ERR NX and XX, GT or LT options at the same time are not compatible"},
		{"EXPIRE a 100 LT NX", "-ERR NX and XX, GT or LT options at the same time are not compatible"},
		{"EXPIRE a 100 GT LT", "-ERR GT and LT options at the same time are not compatible"},
		{"PEXPIREAT a 100 GT LT", "-ERR GT and LT options at the same time are not compatible"},
		{"EXPIRE a 100 FOO", "-ERR Unsupported option FOO"},
		{"EXPIRE a 100 NX foo", "-ERR Unsupported option foo"},
		{"EXPIRE a abc FOO", "-ERR Unsupported option FOO"},
		{"EXPIRE a abc NX XX", "-ERR NX and XX, GT or LT options at the same time are not compatible"},
		{"EXPIRE nokey 100 FOO", "-ERR Unsupported option FOO"},
		{"EXPIRE a abc", "-ERR value is not an integer or out of range"},
		{"EXPIRE a 1.5", "-ERR value is not an integer or out of range"},
		{"EXPIRE nokey abc", "-ERR value is not an integer or out of range"},
		{"EXPIRE a 9223372036854775807", "-ERR invalid expire time in 'expire' command"},
		{"EXPIRE a -9223372036854775808", "-ERR invalid expire time in 'expire' command"},
		{"PEXPIRE a 9223372036854775807", "-ERR invalid expire time in 'pexpire' command"},
		{"EXPIREAT a 9223372036854775807", "-ERR invalid expire time in 'expireat' command"},
		{"PTTL a", ":1500"}, // no failed command touched it
		{"EXPIRE nokey 100", ":0"},
		{"EXPIRE nokey 100 NX", ":0"},
		{"PEXPIREAT a 9223372036854775807", ":1"},
		{"PEXPIRETIME a", ":9223372036854775807"},
		{"EXPIRETIME a", ":9223372036854776"},
	})
	long := strings.Repeat("x", 200) // the option is echoed whole
	c.expect("-ERR Unsupported option "+long, "EXPIRE", "a", "10", long)
	c.expect("-ERR Unsupported option a  b", "EXPIRE", "a", "10", "a\r\nb")

	// The absolute forms, against the server's clock.
	sec, ms := skNow(ts)
	c.run([]skStep{
		{"SET b 1", "+OK"},
		{"EXPIREAT b " + skItoa(sec+100), ":1"},
		{"TTL b", ":" + skItoa(((sec+100)*1000-ms+500)/1000)}, // 99 or 100, by the clock's ms
		{"EXPIRETIME b", ":" + skItoa(sec+100)},
		{"EXPIREAT b " + skItoa(sec+50) + " GT", ":0"},
		{"EXPIREAT b " + skItoa(sec+50) + " LT", ":1"},
		{"PEXPIREAT b " + skItoa(ms+1234), ":1"},
		{"PTTL b", ":1234"},
		{"PEXPIRETIME b", ":" + skItoa(ms+1234)},
		{"PEXPIREAT b " + skItoa(ms+5000) + " NX", ":0"},
		{"PEXPIREAT b " + skItoa(ms+5000) + " XX", ":1"},
		{"PTTL b", ":5000"},
	})
}

func TestKeyExpirePastTimeDeletes(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	_, ms := skNow(ts)
	for _, cmd := range []string{
		"EXPIRE k 0", "EXPIRE k -1", "PEXPIRE k -100", "EXPIREAT k 1", "PEXPIREAT k 0",
		"EXPIREAT k -1", "PEXPIREAT k " + skItoa(ms), "EXPIRE k -9223372036854775", "EXPIREAT k -1 LT",
	} {
		c.run([]skStep{
			{"SET k v EX 100", "+OK"},
			{cmd, ":1"},
			{"EXISTS k", ":0"},
			{"TTL k", ":-2"},
		})
	}
	c.run([]skStep{
		{"SET k v", "+OK"},
		{"EXPIREAT k -1 GT", ":0"}, // no TTL is infinite: nothing is greater
		{"EXPIRE k -1 XX", ":0"},
		{"EXISTS k", ":1"},
		{"EXPIRE nokey -1", ":0"},
		{"EXISTS nokey", ":0"},
	})
}

func TestKeyTTLFamily(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	sec, ms := skNow(ts)
	c.run([]skStep{
		{"TTL nokey", ":-2"},
		{"PTTL nokey", ":-2"},
		{"EXPIRETIME nokey", ":-2"},
		{"PEXPIRETIME nokey", ":-2"},
		{"SET k v", "+OK"},
		{"TTL k", ":-1"},
		{"PTTL k", ":-1"},
		{"EXPIRETIME k", ":-1"},
		{"PEXPIRETIME k", ":-1"},
		{"PEXPIRE k 1499", ":1"},
		{"TTL k", ":1"}, // rounded to the nearest second
		{"PEXPIRE k 1500", ":1"},
		{"TTL k", ":2"},
		{"PEXPIRE k 499", ":1"},
		{"TTL k", ":0"},
		{"PTTL k", ":499"},
		{"PEXPIREAT k " + skItoa(sec*1000+100500), ":1"},
		{"EXPIRETIME k", ":" + skItoa(sec+101)}, // rounded, too
		{"PEXPIREAT k " + skItoa(sec*1000+100499), ":1"},
		{"EXPIRETIME k", ":" + skItoa(sec+100)},
		{"PEXPIRETIME k", ":" + skItoa(sec*1000+100499)},
		{"PTTL k", ":" + skItoa(sec*1000+100499-ms)},
		{"TTL", "-ERR wrong number of arguments for 'ttl' command"},
		{"PTTL a b", "-ERR wrong number of arguments for 'pttl' command"},
	})
}

func TestKeyPersist(t *testing.T) {
	ts := startServer(t)
	newSKConn(t, ts).run([]skStep{
		{"PERSIST nokey", ":0"},
		{"SET k v", "+OK"},
		{"PERSIST k", ":0"},
		{"EXPIRE k 100", ":1"},
		{"PERSIST k", ":1"},
		{"TTL k", ":-1"},
		{"PERSIST k", ":0"},
		{"GET k", "$v"},
	})
}

func TestKeyLazyExpiry(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	c.run([]skStep{
		{"SET k v PX 1000", "+OK"},
		{"SET dst x", "+OK"},
		{"SET keep y", "+OK"},
	})
	ts.advance(999 * time.Millisecond)
	c.run([]skStep{
		{"GET k", "$v"},
		{"PTTL k", ":1"},
		{"TTL k", ":0"},
	})
	ts.advance(time.Millisecond) // now the key's time has come
	c.run([]skStep{
		{"GET k", "(nil)"},
		{"EXISTS k", ":0"},
		{"TTL k", ":-2"},
		{"PTTL k", ":-2"},
		{"TYPE k", "+none"},
		{"STRLEN k", ":0"},
		{"GETRANGE k 0 -1", "$"},
		{"MGET k keep", "[(nil) $y]"},
		{"KEYS k", "[]"},
		{"PERSIST k", ":0"},
		{"EXPIRE k 100", ":0"},
		{"RENAME k z", "-ERR no such key"},
		{"COPY k z", ":0"},
		{"GETDEL k", "(nil)"},
		{"DEL k", ":0"},
		{"SET k v2 NX", "+OK"},
		{"TTL k", ":-1"},
	})
	// Expired keys are not offered by KEYS, SCAN or RANDOMKEY.
	c.run([]skStep{
		{"FLUSHALL", "+OK"},
		{"SET a 1 PX 10", "+OK"},
		{"SET b 1 PX 10", "+OK"},
	})
	ts.advance(10 * time.Millisecond)
	c.run([]skStep{
		{"KEYS *", "[]"},
		{"SCAN 0 COUNT 100", "[$0 []]"},
		{"RANDOMKEY", "(nil)"},
	})
}

// skGlobCases are glob patterns as Redis's stringmatchlen reads them.
var skGlobCases = []struct {
	pattern, s string
	want       bool
}{
	{"", "", true},
	{"", "a", false},
	{"*", "", false}, // Redis's loop never starts on an empty string (KEYS * has its own path)
	{"**", "", false},
	{"*", "abc", true},
	{"***", "abc", true},
	{"a*", "a", true},
	{"*a", "a", true},
	{"a*", "b", false},
	{"?", "", false},
	{"?", "a", true},
	{"?*", "a", true},
	{"*?*?*", "ab", true},
	{"*?*?*", "a", false},
	{"h?llo", "hello", true},
	{"h?llo", "hllo", false},
	{"h*llo", "hllo", true},
	{"h*llo", "heeeello", true},
	{"h*llo", "hello!", false},
	{"h*l*o", "hello", true},
	{"a*b*c", "aXbYc", true},
	{"a*b*c", "aXcYb", false},
	{"*.txt", "file.txt", true},
	{"*.txt", "file.txt.gz", false},
	{"h[ae]llo", "hallo", true},
	{"h[ae]llo", "hillo", false},
	{"h[^e]llo", "hallo", true},
	{"h[^e]llo", "hello", false},
	{"h[a-c]llo", "hbllo", true},
	{"h[a-c]llo", "hdllo", false},
	{"h[c-a]llo", "hbllo", true}, // a reversed range is swapped
	{"[!a]", "!", true},          // '!' does not negate
	{"[!a]", "b", false},
	{"[]", "a", false},
	{"[^]", "a", true},
	{"[a-]", "_", true}, // a range from 'a' down to ']'
	{"[a-]", "]", true},
	{"[a-]", "-", false},
	{"[h-]*", "b", true}, // the class runs to the end, '*' inside it
	{"[h-]*", "hello", false},
	{"[a-", "a", true}, // unterminated: the rest is the class
	{"[a-", "-", true},
	{"h[a", "ha", true},
	{"[", "a", false},
	{"*[", "a[", false},
	{"[\\]]", "]", true},
	{"[\\-a]", "-", true},
	{"[\\-a]", "b", false},
	{"h\\*llo", "h*llo", true},
	{"h\\*llo", "hello", false},
	{"h\\[a]llo", "h[a]llo", true},
	{"\\?", "?", true},
	{"\\?", "a", false},
	{"\\", "\\", true}, // a trailing backslash is itself
	{"a\\", "a\\", true},
	{"\\\\", "\\", true},
	{"a?c", "a\x00c", true},
	{"*\x00*", "x\x00y", true},
	{"*b", strings.Repeat("a", 50) + "b", true},
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range skGlobCases {
		if got := glob.Match([]byte(tc.pattern), []byte(tc.s)); got != tc.want {
			t.Errorf("glob.Match(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestGlobMatchPathological(t *testing.T) {
	// A backtracking matcher takes exponential time here; this one is
	// O(len(pattern) * len(s)).
	s := []byte(strings.Repeat("a", 10*1024))
	for range 10 {
		if glob.Match([]byte("a*a*a*a*a*a*a*b"), s) {
			t.Fatal("matched a string without b")
		}
		if glob.Match([]byte("*a*a*a*a*a*a*a*a*a*a*a*a*c*"), s) {
			t.Fatal("matched a string without c")
		}
	}
	if !glob.Match([]byte("a*a*a*a*a*a*a*b"), append(s, 'b')) {
		t.Fatal("did not match a...ab")
	}
	// The same through the server.
	ts := startServer(t)
	c := newSKConn(t, ts)
	c.expect("+OK", "SET", string(s), "v")
	c.expect("[]", "KEYS", "a*a*a*a*a*a*a*a*a*a*a*b")
}

func TestKeyKeysGlob(t *testing.T) {
	ts := startServer(t)
	rc := ts.client(t)
	keys := []string{"hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h[a]llo", "a-", "_", "]", "b", "\\", "foo:1", "foo:22", "bar:1"}
	for _, k := range keys {
		rc.Set(ctx, k, "v", 0)
	}
	for _, tc := range []struct {
		pattern string
		want    []string
	}{
		{"*", keys},
		{"**", keys},
		{"h?llo", []string{"hello", "hallo", "hxllo", "h*llo"}},
		{"h*llo", []string{"hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h[a]llo"}},
		{"h[ae]llo", []string{"hello", "hallo"}},
		{"h[^e]llo", []string{"hallo", "hxllo", "h*llo"}},
		{"h[a-c]llo", []string{"hallo"}},
		{"h\\*llo", []string{"h*llo"}},
		{"h\\[a]llo", []string{"h[a]llo"}},
		{"[a-]", []string{"_", "]"}},
		{"[h-]*", []string{"_", "]", "b"}},
		{"[\\]]", []string{"]"}},
		{"\\\\", []string{"\\"}},
		{"foo:*", []string{"foo:1", "foo:22"}},
		{"*:?", []string{"foo:1", "bar:1"}},
		{"nothing*", nil},
	} {
		got, err := rc.Keys(ctx, tc.pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		if !skSameSet(got, tc.want) {
			t.Errorf("KEYS %q = %q, want %q", tc.pattern, got, tc.want)
		}
	}
	c := newSKConn(t, ts)
	c.expect("-ERR wrong number of arguments for 'keys' command", "KEYS")
	c.expect("+OK", "SET", "", "empty")
	c.expect("[$]", "KEYS", "")
	if got, _ := rc.Keys(ctx, "*").Result(); !slices.Contains(got, "") {
		t.Errorf("KEYS * misses the empty key")
	}
	if got, _ := rc.Keys(ctx, "**").Result(); slices.Contains(got, "") {
		t.Errorf("KEYS ** matches the empty key; Redis's matcher does not")
	}
}

// skSameSet reports whether a and b hold the same strings, in any order.
func skSameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// skScanAll runs a whole SCAN iteration and returns how often each key came back.
func skScanAll(t testing.TB, rc *redis.Client, match string, count int64, typ string) map[string]int {
	t.Helper()
	seen := map[string]int{}
	var cursor uint64
	for calls := 0; ; calls++ {
		if calls > 1_000_000 {
			t.Fatal("SCAN did not finish")
		}
		var keys []string
		var err error
		if typ != "" {
			keys, cursor, err = rc.ScanType(ctx, cursor, match, count, typ).Result()
		} else {
			keys, cursor, err = rc.Scan(ctx, cursor, match, count).Result()
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			seen[k]++
		}
		if cursor == 0 {
			return seen
		}
	}
}

func TestKeyScanOptions(t *testing.T) {
	ts := startServer(t)
	rc := ts.client(t)
	var all []string
	for i := range 1000 {
		k := "user:" + strconv.Itoa(i)
		if i%2 == 1 {
			k = "item:" + strconv.Itoa(i)
		}
		all = append(all, k)
		rc.Set(ctx, k, strings.Repeat("v", i%50), 0)
	}
	for _, tc := range []struct {
		match string
		count int64
		typ   string
		want  func(string) bool
	}{
		{"", 10, "", func(string) bool { return true }},
		{"*", 1, "", func(string) bool { return true }},
		{"", 1000000, "", func(string) bool { return true }},
		{"user:*", 7, "", func(k string) bool { return strings.HasPrefix(k, "user:") }},
		{"item:?", 100, "", func(k string) bool { return strings.HasPrefix(k, "item:") && len(k) == 6 }},
		{"", 50, "string", func(string) bool { return true }},
		{"", 50, "STRING", func(string) bool { return true }},
		{"", 50, "list", func(string) bool { return false }},
		{"", 50, "nosuchtype", func(string) bool { return false }},
		{"user:1*", 50, "string", func(k string) bool { return strings.HasPrefix(k, "user:1") }},
	} {
		seen := skScanAll(t, rc, tc.match, tc.count, tc.typ)
		for _, k := range all {
			if tc.want(k) && seen[k] == 0 {
				t.Errorf("SCAN MATCH %q COUNT %d TYPE %q missed %q", tc.match, tc.count, tc.typ, k)
			}
			if !tc.want(k) && seen[k] != 0 {
				t.Errorf("SCAN MATCH %q COUNT %d TYPE %q returned %q", tc.match, tc.count, tc.typ, k)
			}
		}
		if len(seen) > len(all) {
			t.Errorf("SCAN returned keys that do not exist: %d > %d", len(seen), len(all))
		}
	}
	// Without writes, a whole iteration returns each key once.
	for k, n := range skScanAll(t, rc, "", 10, "") {
		if n != 1 {
			t.Errorf("SCAN returned %q %d times", k, n)
		}
	}
	c := newSKConn(t, ts)
	for _, cursor := range []string{"abc", " 1", "1 ", "1.5", "0x10", "-", "+", "18446744073709551616", "99999999999999999999999"} {
		c.expect("-ERR invalid cursor", "SCAN", cursor)
	}
	// strtoul's syntax: a sign, or nothing at all, is a cursor.
	for _, cursor := range []string{"", "+0", "-0", "-1", "18446744073709551615"} {
		if got := c.do("SCAN", cursor, "COUNT", "5"); !strings.HasPrefix(got, "[$") {
			t.Errorf("SCAN %q = %q", cursor, got)
		}
	}
	c.run([]skStep{
		{"SCAN 0 COUNT 0", "-ERR syntax error"},
		{"SCAN 0 COUNT -1", "-ERR syntax error"},
		{"SCAN 0 COUNT abc", "-ERR value is not an integer or out of range"},
		{"SCAN 0 COUNT", "-ERR syntax error"},
		{"SCAN 0 MATCH", "-ERR syntax error"},
		{"SCAN 0 TYPE", "-ERR syntax error"},
		{"SCAN 0 FOO bar", "-ERR syntax error"},
		{"SCAN abc COUNT 0", "-ERR invalid cursor"}, // the cursor is read first
		{"SCAN", "-ERR wrong number of arguments for 'scan' command"},
		{"FLUSHALL", "+OK"},
		{"SCAN 0", "[$0 []]"},
	})
}

// TestKeyScanGuaranteeUnderChurn checks SCAN's promise: a key present for
// the whole iteration is returned, while another client overwrites keys
// with values of changing size (which moves them about the store),
// deletes and re-creates others, and adds new ones.
func TestKeyScanGuaranteeUnderChurn(t *testing.T) {
	ts := startServer(t)
	rc := ts.client(t)
	writer := ts.client(t)
	const stable, moving, churn = 1500, 500, 500
	pipe := rc.Pipeline()
	for i := range stable {
		pipe.Set(ctx, "stable:"+strconv.Itoa(i), "s"+strconv.Itoa(i), 0)
	}
	for i := range moving {
		pipe.Set(ctx, "moving:"+strconv.Itoa(i), "m", 0)
	}
	for i := range churn {
		pipe.Set(ctx, "churn:"+strconv.Itoa(i), "c", 0)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}

	// The writer does one batch per kick, concurrently with the scans that
	// follow; pacing it by the scan keeps an iteration finite (keys that
	// move are met again further on).
	kick := make(chan struct{}, 1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	batches := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		sizes := []int{1, 300, 5, 3000, 17000, 60, 1200}
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-kick:
			}
			p := writer.Pipeline()
			for j := range 10 {
				i := n*10 + j
				p.Set(ctx, "moving:"+strconv.Itoa(i%moving), strings.Repeat("m", sizes[i%len(sizes)]), 0)
				p.Del(ctx, "churn:"+strconv.Itoa(i%churn))
				p.Set(ctx, "churn:"+strconv.Itoa((i+churn/2)%churn), strings.Repeat("c", sizes[(i+3)%len(sizes)]), 0)
				if j == 0 {
					p.Set(ctx, "new:"+strconv.Itoa(n), "n", 0)
				}
			}
			if _, err := p.Exec(ctx); err != nil {
				writeErr = err
				return
			}
			batches++
		}
	}()
	defer func() {
		close(stop)
		wg.Wait()
		if writeErr != nil {
			t.Errorf("writer: %v", writeErr)
		}
		if batches < 10 {
			t.Errorf("the writer ran only %d batches", batches)
		}
	}()

	for iteration := range 5 {
		seen := map[string]bool{}
		var cursor uint64
		for calls := 0; ; calls++ {
			if calls > 100_000 {
				t.Fatal("SCAN did not finish")
			}
			keys, next, err := rc.Scan(ctx, cursor, "", 25).Result()
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				seen[k] = true
			}
			select {
			case kick <- struct{}{}:
			default:
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
		missed := 0
		for i := range stable {
			if !seen["stable:"+strconv.Itoa(i)] {
				missed++
			}
		}
		for i := range moving {
			if !seen["moving:"+strconv.Itoa(i)] {
				missed++
			}
		}
		if missed > 0 {
			t.Errorf("iteration %d: %d keys present throughout were not returned", iteration, missed)
		}
	}
}

func TestKeyRandomKey(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	c.run([]skStep{
		{"RANDOMKEY", "(nil)"},
		{"SET only v", "+OK"},
		{"RANDOMKEY", "$only"},
		{"RANDOMKEY x", "-ERR wrong number of arguments for 'randomkey' command"},
		{"DEL only", ":1"},
		{"RANDOMKEY", "(nil)"},
	})
	// One live key among many expired ones is still found.
	rc := ts.client(t)
	pipe := rc.Pipeline()
	for i := range 5000 {
		pipe.Set(ctx, "exp"+strconv.Itoa(i), "v", time.Second)
	}
	pipe.Set(ctx, "live", "v", 0)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	ts.advance(time.Second)
	for range 20 {
		c.expect("$live", "RANDOMKEY")
	}
	rc.Del(ctx, "live")
	c.expect("(nil)", "RANDOMKEY")

	rc.FlushAll(ctx)
	for i := range 50 {
		rc.Set(ctx, "k"+strconv.Itoa(i), "v", 0)
	}
	for range 100 {
		k, err := rc.RandomKey(ctx).Result()
		if err != nil || !strings.HasPrefix(k, "k") {
			t.Fatalf("RANDOMKEY = %q, %v", k, err)
		}
		if n, _ := strconv.Atoi(k[1:]); n < 0 || n >= 50 {
			t.Fatalf("RANDOMKEY = %q", k)
		}
	}
}

func TestKeyRename(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	c.run([]skStep{
		{"SET a v EX 100", "+OK"},
	})
	ts.advance(10 * time.Second)
	c.run([]skStep{
		{"RENAME a b", "+OK"},
		{"EXISTS a", ":0"},
		{"GET b", "$v"},
		{"TTL b", ":90"}, // the TTL moves with the value
		{"RENAME a c", "-ERR no such key"},
		{"RENAME nokey nokey", "-ERR no such key"},
		{"RENAME b b", "+OK"},
		{"TTL b", ":90"},
		{"SET d old EX 500", "+OK"},
		{"SET e plain", "+OK"},
		{"RENAME e d", "+OK"}, // overwrites, TTL and all
		{"GET d", "$plain"},
		{"TTL d", ":-1"},
		{"RENAMENX nokey x", "-ERR no such key"},
		{"RENAMENX nokey nokey", "-ERR no such key"},
		{"RENAMENX b d", ":0"},
		{"GET d", "$plain"},
		{"RENAMENX b b", ":0"},
		{"RENAMENX b f", ":1"},
		{"TTL f", ":90"},
		{"EXISTS b", ":0"},
		{"RENAME a", "-ERR wrong number of arguments for 'rename' command"},
		{"RENAMENX a", "-ERR wrong number of arguments for 'renamenx' command"},
	})
	// Over many keys, across shards, with values of several sizes.
	rc := ts.client(t)
	for i := range 200 {
		from, to := "from"+strconv.Itoa(i), "to"+strconv.Itoa(i)
		val := strings.Repeat("x", i*97)
		rc.Set(ctx, from, val, 0)
		if err := rc.Rename(ctx, from, to).Err(); err != nil {
			t.Fatal(err)
		}
		if got, _ := rc.Get(ctx, to).Result(); got != val {
			t.Fatalf("after RENAME %s: len %d, want %d", to, len(got), len(val))
		}
	}
}

func TestKeyCopy(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	c.run([]skStep{
		{"SET src v EX 100", "+OK"},
		{"COPY src dst", ":1"},
		{"GET dst", "$v"},
		{"TTL dst", ":100"},
		{"SET src w", "+OK"},
		{"GET dst", "$v"}, // a copy, not a reference
		{"COPY src dst", ":0"},
		{"GET dst", "$v"},
		{"COPY src dst REPLACE", ":1"},
		{"GET dst", "$w"},
		{"TTL dst", ":-1"},
		{"COPY src dst DB 0", ":0"},
		{"COPY src dst DB 0 REPLACE", ":1"},
		{"COPY src dst replace db 0", ":1"},
		{"COPY src dst DB 16", "-ERR DB index is out of range"},
		{"COPY src dst DB -1", "-ERR DB index is out of range"},
		{"COPY src dst DB abc", "-ERR value is not an integer or out of range"},
		{"COPY src dst DB 4294967296", "-ERR value is out of range, value must between -2147483648 and 2147483647"},
		{"COPY src dst DB", "-ERR syntax error"},
		{"COPY src dst FOO", "-ERR syntax error"},
		{"COPY src src", "-ERR source and destination objects are the same"},
		{"COPY nokey nokey", "-ERR source and destination objects are the same"},
		{"COPY nokey dst", ":0"},
		{"COPY nokey dst REPLACE", ":0"},
		{"GET dst", "$w"},
		{"COPY src", "-ERR wrong number of arguments for 'copy' command"},
	})
}

func TestKeyDBSizeFlush(t *testing.T) {
	ts := startServer(t)
	c := newSKConn(t, ts)
	fill := skStep{"MSET a 1 b 2 c 3", "+OK"}
	c.run([]skStep{
		{"DBSIZE", ":0"},
		fill,
		{"DBSIZE", ":3"},
		{"SET a 10", "+OK"},
		{"DBSIZE", ":3"},
		{"DEL a", ":1"},
		{"DBSIZE", ":2"},
		{"DBSIZE x", "-ERR wrong number of arguments for 'dbsize' command"},
		{"FLUSHDB", "+OK"},
		{"DBSIZE", ":0"},
		fill,
		{"FLUSHDB ASYNC", "+OK"},
		{"DBSIZE", ":0"},
		fill,
		{"flushdb sync", "+OK"},
		{"DBSIZE", ":0"},
		fill,
		{"FLUSHALL", "+OK"},
		{"EXISTS a b c", ":0"},
		fill,
		{"FLUSHALL ASYNC", "+OK"},
		{"DBSIZE", ":0"},
		fill,
		{"FLUSHALL SYNC", "+OK"},
		{"DBSIZE", ":0"},
		fill,
		{"FLUSHDB FOO", "-ERR syntax error"},
		{"FLUSHDB ASYNC SYNC", "-ERR syntax error"},
		{"FLUSHALL foo", "-ERR syntax error"},
		{"FLUSHALL SYNC SYNC", "-ERR syntax error"},
		{"DBSIZE", ":3"},
		{"GET a", "$1"},
	})
	// Flushing empties every shard and the store is usable afterwards.
	rc := ts.client(t)
	for i := range 1000 {
		rc.Set(ctx, "k"+strconv.Itoa(i), strings.Repeat("v", i), 0)
	}
	if n, _ := rc.DBSize(ctx).Result(); n != 1003 {
		t.Fatalf("DBSIZE = %d", n)
	}
	if err := rc.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if keys, _ := rc.Keys(ctx, "*").Result(); len(keys) != 0 {
		t.Fatalf("KEYS after FLUSHALL = %d keys", len(keys))
	}
	c.run([]skStep{
		{"SET a again", "+OK"},
		{"GET a", "$again"},
		{"DBSIZE", ":1"},
	})
}
