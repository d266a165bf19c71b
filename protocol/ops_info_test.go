package protocol

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

// TestInfoErrorstats: error replies are counted per prefix (Errorstats)
// and in all (total_error_replies), and CONFIG RESETSTAT clears them.
func TestInfoErrorstats(t *testing.T) {
	ts := startServer(t)
	c := oneConn(t, ts)
	must(t, c.HSet(ctx, "h", "f", "v").Err())
	c.Do(ctx, "NOSUCH")
	c.Do(ctx, "GET")
	c.Get(ctx, "h")
	info := c.Info(ctx, "errorstats", "stats").Val()
	for _, want := range []string{"errorstat_ERR:count=2\r\n", "errorstat_WRONGTYPE:count=1\r\n", "total_error_replies:3\r\n"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO errorstats stats lacks %q:\n%s", want, info)
		}
	}
	must(t, c.ConfigResetStat(ctx).Err())
	if info := c.Info(ctx, "errorstats").Val(); info != "# Errorstats\r\n" {
		t.Errorf("INFO errorstats after CONFIG RESETSTAT = %q", info)
	}
}

// infoFieldNames returns the field names of an INFO reply.
func infoFieldNames(info string) []string {
	var names []string
	for _, line := range strings.Split(info, "\r\n") {
		if name, _, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			names = append(names, name)
		}
	}
	return names
}

// TestInfoSectionsAsRedis: the replication, persistence, modules and cpu
// sections have redis-server 7.0's fields, in its order, and
// master_replid is 40 hex digits.
func TestInfoSectionsAsRedis(t *testing.T) {
	r := redis.NewClient(&redis.Options{Addr: servertest.RedisServer(t), Protocol: 2})
	defer r.Close()
	c := startServer(t).client(t)
	for _, sec := range []string{"replication", "persistence", "modules", "cpu"} {
		got, want := infoFieldNames(c.Info(ctx, sec).Val()), infoFieldNames(r.Info(ctx, sec).Val())
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("INFO %s fields:\n  cachesrv: %v\n  redis:    %v", sec, got, want)
		}
	}
	if id := regexp.MustCompile(`master_replid:(.*)\r\n`).FindStringSubmatch(c.Info(ctx, "replication").Val()); id == nil || !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(id[1]) {
		t.Errorf("master_replid: %q", id)
	}
}

// TestRedisCliStatAndLatency: redis-cli --stat and --latency run against
// cachesrv and print their figures.
func TestRedisCliStatAndLatency(t *testing.T) {
	cli := servertest.RequireTool(t, "redis-cli")
	ts := startServer(t)
	_, port, _ := strings.Cut(ts.addr, ":")
	run := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, append([]string{"-p", port}, args...)...)
		cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
		out, _ := cmd.Output()
		return string(out)
	}
	// --stat writes to a pipe in 4 KiB blocks: a line every 10 ms fills some.
	stat := run("--stat", "-i", "0.01")
	if !strings.Contains(stat, "------- data ------") || !regexp.MustCompile(`(?m)^\d+\s+\S+B\s+\d+\s+\d+\s+\d+ \(\+\d+\)`).MatchString(stat) {
		t.Errorf("redis-cli --stat printed:\n%.600s", stat)
	}
	// --latency prints "min max avg samples" when interrupted.
	if lat := run("--latency"); !regexp.MustCompile(`^\d+ \d+ \d+\.\d+ \d+\s*$`).MatchString(lat) {
		t.Errorf("redis-cli --latency printed %q", lat)
	}
}

// TestKeyspaceHitsAsRedis: keyspace_hits and keyspace_misses count every
// read lookup as redis-server 7.0 counts them (MGET per key, GETEX,
// GETDEL, GETSET, EXISTS, STRLEN, GETRANGE, TTL, TYPE).
func TestKeyspaceHitsAsRedis(t *testing.T) {
	r := redis.NewClient(&redis.Options{Addr: servertest.RedisServer(t), Protocol: 2})
	defer r.Close()
	c := startServer(t).client(t)
	counts := func(cl *redis.Client) string {
		var out []string
		for _, line := range strings.Split(cl.Info(ctx, "stats").Val(), "\r\n") {
			if strings.HasPrefix(line, "keyspace_") {
				out = append(out, line)
			}
		}
		return strings.Join(out, " ")
	}
	for _, cl := range []*redis.Client{c, r} {
		for _, cmd := range [][]any{
			{"SET", "hk", "v"}, {"CONFIG", "RESETSTAT"},
			{"MGET", "hk", "hk", "nokey"}, {"GET", "hk"}, {"GET", "nokey"}, {"GETEX", "hk"}, {"GETEX", "nokey"},
			{"GETDEL", "nokey"}, {"EXISTS", "hk", "nokey", "hk"}, {"STRLEN", "hk"}, {"STRLEN", "nokey"},
			{"GETRANGE", "hk", "0", "1"}, {"GETRANGE", "nokey", "0", "1"}, {"TTL", "hk"}, {"PTTL", "nokey"},
			{"TYPE", "hk"}, {"TYPE", "nokey"}, {"GETSET", "hk", "v2"}, {"GETSET", "new", "v"},
		} {
			cl.Do(ctx, cmd...)
		}
	}
	if got, want := counts(c), counts(r); got != want {
		t.Errorf("cachesrv %q, redis-server %q", got, want)
	}
}
