package top

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/protocol"
	"github.com/cachesrv/cachesrv/protocol/config"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/cachesrv/cachesrv/store"
)

// server is a cachesrv serving on a free loopback port until the test
// ends.
type server struct {
	addr, port string
}

// startServer starts a server with the given shard count and, if not
// empty, requirepass.
func startServer(t *testing.T, shards int, password string) server {
	t.Helper()
	cfg := config.New()
	cfg.Shards = shards
	if err := config.FindSetting("requirepass").Set(cfg, password); err != nil {
		t.Fatal(err)
	}
	st, err := store.New(store.Options{Shards: cfg.Shards})
	if err != nil {
		t.Fatal(err)
	}
	addr := servertest.Serve(t, protocol.NewServer(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil))))
	_, port, _ := net.SplitHostPort(addr)
	return server{addr: addr, port: port}
}

// topFrames splits plain `cachesrv top` output into frames: each starts
// with the "cachesrv <version>" header line.
func topFrames(out string) [][]string {
	var frames [][]string
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if strings.HasPrefix(l, "cachesrv ") {
			frames = append(frames, nil)
		}
		if len(frames) > 0 {
			frames[len(frames)-1] = append(frames[len(frames)-1], l)
		}
	}
	return frames
}

// topField returns the number after label in a frame line, commas
// dropped, e.g. topField(frame, "ops/s").
func topField(t *testing.T, frame []string, label string) float64 {
	t.Helper()
	for _, l := range frame {
		if i := strings.Index(l, label+" "); i >= 0 {
			f := strings.Fields(l[i+len(label):])
			if len(f) > 0 {
				v, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSuffix(f[0], "%"), ",", ""), 64)
				if err == nil {
					return v
				}
			}
		}
	}
	t.Fatalf("no number after %q in frame:\n%s", label, strings.Join(frame, "\n"))
	return 0
}

// TestTopAgainstServer runs `cachesrv top --iterations 2` against a
// server under load and checks what the frames say.
func TestTopAgainstServer(t *testing.T) {
	n := startServer(t, 16, "")
	ctx, cancel := context.WithCancel(context.Background())
	var load sync.WaitGroup
	for w := range 4 {
		c := redis.NewClient(&redis.Options{Addr: n.addr, Protocol: 2, MaxRetries: -1})
		defer c.Close()
		load.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				key := fmt.Sprintf("k:%d:%d", w, i%500)
				c.Set(ctx, key, "v", 0)
				c.Get(ctx, key)
				c.Get(ctx, "missing")
			}
		})
	}
	var out, errOut bytes.Buffer
	code := Run([]string{"-h", "127.0.0.1", "-p", n.port, "--iterations", "2", "--interval", "300ms"}, nil, &out, &errOut)
	cancel()
	load.Wait()
	if code != 0 {
		t.Fatalf("cachesrv top exit %d: %s", code, errOut.String())
	}
	text := out.String()
	if strings.Contains(text, "\x1b") {
		t.Errorf("plain frames contain terminal control codes: %q", text)
	}
	frames := topFrames(text)
	if len(frames) != 2 {
		t.Fatalf("%d frames, want 2:\n%s", len(frames), text)
	}
	for i, f := range frames {
		joined := strings.Join(f, "\n")
		for _, want := range []string{protocol.Version, n.addr, "16 shards", "ops/s", "hit ratio", "clients", "keys",
			"memory", "used", "rss", "locks", "contended", "shard", "waiting/s", "acq/s", "contended % by shard"} {
			if !strings.Contains(joined, want) {
				t.Errorf("frame %d lacks %q:\n%s", i, want, joined)
			}
		}
		for _, l := range f {
			if w := utf8.RuneCountInString(l); w > topWidth {
				t.Errorf("frame %d: line of %d columns: %q", i, w, l)
			}
		}
		if ops := topField(t, f, "ops/s"); ops <= 0 {
			t.Errorf("frame %d: ops/s = %v under load", i, ops)
		}
		// One hit and one miss per round of the load: about 50%.
		if r := topField(t, f, "hit ratio"); r < 20 || r > 80 {
			t.Errorf("frame %d: hit ratio %v%%, want about 50%%", i, r)
		}
		if c := topField(t, f, "clients"); c < 5 {
			t.Errorf("frame %d: clients = %v, want at least 5 (4 loaders and top)", i, c)
		}
		// Ten shard rows (the plain default), each a shard number.
		var rows int
		for _, l := range f {
			if fs := strings.Fields(l); len(fs) >= 4 && strings.HasSuffix(fs[2], "%") {
				if s, err := strconv.Atoi(fs[0]); err == nil && s >= 0 && s < 16 {
					rows++
				}
			}
		}
		if rows != 10 {
			t.Errorf("frame %d: %d shard rows, want 10:\n%s", i, rows, joined)
		}
	}
}

func TestTopAuthAndErrors(t *testing.T) {
	n := startServer(t, 2, "s3cret")
	topRun := func(args ...string) (int, string, string) {
		var out, errOut bytes.Buffer
		code := Run(append([]string{"--once", "--interval", "50ms"}, args...), nil, &out, &errOut)
		return code, out.String(), errOut.String()
	}
	t.Setenv("REDISCLI_AUTH", "")
	if code, _, errOut := topRun("-p", n.port); code != 1 || !strings.Contains(errOut, "NOAUTH") {
		t.Errorf("no password: exit %d, %q", code, errOut)
	}
	if code, _, errOut := topRun("-p", n.port, "-a", "wrong"); code != 1 || !strings.Contains(errOut, "AUTH") {
		t.Errorf("wrong password: exit %d, %q", code, errOut)
	}
	if code, out, errOut := topRun("-p", n.port, "-a", "s3cret"); code != 0 || len(topFrames(out)) != 1 {
		t.Errorf("-a: exit %d, %q %q", code, out, errOut)
	}
	t.Setenv("REDISCLI_AUTH", "s3cret")
	if code, out, errOut := topRun("-p", n.port); code != 0 || len(topFrames(out)) != 1 {
		t.Errorf("REDISCLI_AUTH: exit %d, %q %q", code, out, errOut)
	}
	if code, _, errOut := topRun("-p", strconv.Itoa(servertest.FreePort(t))); code != 1 || !strings.Contains(errOut, "refused") {
		t.Errorf("nothing listening: exit %d, %q", code, errOut)
	}
	if code, _, _ := topRun("--interval", "0s"); code != 2 {
		t.Errorf("--interval 0s: exit %d, want 2", code)
	}
	if code, _, _ := topRun("stray"); code != 2 {
		t.Errorf("stray argument: exit %d, want 2", code)
	}
	var help bytes.Buffer
	if code := Run([]string{"--help"}, nil, &help, &help); code != 0 || !strings.Contains(help.String(), "-iterations") {
		t.Errorf("top --help: exit %d\n%s", code, help.String())
	}
}

// fakeSample builds a sample with the given per-shard cumulative counters.
func fakeSample(at time.Time, ops int64, shards []shardRow) *topSample {
	return &topSample{
		at: at,
		info: map[string]string{
			"cachesrv_version": "9.9.9", "uptime_in_seconds": "90061",
			"total_commands_processed": strconv.FormatInt(ops, 10),
			"keyspace_hits":            strconv.FormatInt(ops/2, 10), "keyspace_misses": strconv.FormatInt(ops/4, 10),
			"connected_clients": "12345", "db0": "keys=123456789,expires=42,avg_ttl=0",
			"used_memory": "123456789012", "used_memory_rss": "2000000000000", "used_memory_dataset": "5", "store_arena_bytes": "7000",
		},
		shards: shards,
	}
}

// TestTopLayout renders frames from made-up samples: 80 columns at most
// whatever the numbers, shards sorted by wait, the heat strip bounded.
func TestTopLayout(t *testing.T) {
	now := time.Now()
	for _, nshards := range []int{1, 16, 256, 4096} {
		prev, cur := make([]shardRow, nshards), make([]shardRow, nshards)
		for i := range cur {
			prev[i] = shardRow{acquisitions: 1000, contended: 10, waitUsec: 100}
			cur[i] = shardRow{acquisitions: 1000 + int64(i+1)*1000, contended: 10 + int64(i%7)*50, waitUsec: 100 + int64((i*37)%nshards)*1e6, maxWaitUsec: 123456}
		}
		lines := renderTop(fakeSample(now, 0, prev), fakeSample(now.Add(time.Second), 99_999_999_999, cur), "127.0.0.1:6379", 8, "q or Ctrl-C to quit")
		text := strings.Join(lines, "\n")
		for _, l := range lines {
			if w := utf8.RuneCountInString(l); w > topWidth {
				t.Errorf("%d shards: line of %d columns: %q", nshards, w, l)
			}
		}
		// The busiest shard by wait comes first: (i*37)%n is largest at...
		best, bestWait := 0, int64(-1)
		for i, r := range cur {
			if r.waitUsec > bestWait {
				best, bestWait = i, r.waitUsec
			}
		}
		var first string
		for i, l := range lines {
			if strings.HasPrefix(l, "shard ") {
				first = strings.Fields(lines[i+1])[0]
				break
			}
		}
		if first != strconv.Itoa(best) {
			t.Errorf("%d shards: first row is shard %s, want %d:\n%s", nshards, first, best, text)
		}
		heat := 0
		for _, l := range lines {
			if strings.HasSuffix(l, "|") && strings.Contains(l, " |") {
				heat++
			}
		}
		wantHeat := min(4, (nshards+63)/64)
		if nshards == 1 {
			wantHeat = 0
		}
		if heat != wantHeat {
			t.Errorf("%d shards: %d heat rows, want %d:\n%s", nshards, heat, wantHeat, text)
		}
		if !strings.HasSuffix(text, "q or Ctrl-C to quit") || !strings.Contains(text, "1d 01:01:01") {
			t.Errorf("%d shards: frame:\n%s", nshards, text)
		}
	}
	// A server without CACHESRV.SHARDS (a real Redis) still gets a view.
	lines := renderTop(fakeSample(now, 0, nil), fakeSample(now.Add(time.Second), 1000, nil), "127.0.0.1:6379", 8, "")
	if text := strings.Join(lines, "\n"); !strings.Contains(text, "no per-shard view") || !strings.Contains(text, "ops/s") {
		t.Errorf("no shards:\n%s", text)
	}
}
