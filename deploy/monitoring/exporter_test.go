package monitoring

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// TestRedisExporter points Redis's own exporter (redis_exporter, Debian's
// prometheus-redis-exporter) at a cachesrv node and checks the metrics
// its standard dashboards and alerts use: present, and agreeing with what
// the node itself says. Its log must hold no error.
func TestRedisExporter(t *testing.T) {
	exporter := needTools(t, "redis_exporter")[0]
	ports := servertest.FreePorts(t, 3)
	n := startNode(t, "cachesrv", ports[0], ports[1])
	ctx := context.Background()
	c := n.client

	const keys, expiring, misses = 500, 100, 50
	for i := range keys {
		ttl := time.Duration(0)
		if i < expiring {
			ttl = time.Hour
		}
		if err := c.Set(ctx, fmt.Sprintf("exporter:%d", i), "v", ttl).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range keys {
		c.Get(ctx, fmt.Sprintf("exporter:%d", i))
	}
	for i := range misses {
		c.Get(ctx, fmt.Sprintf("exporter:missing:%d", i))
	}
	dbsize, err := c.DBSize(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	maxclients, err := c.ConfigGet(ctx, "maxclients").Result()
	if err != nil {
		t.Fatal(err)
	}

	addr := fmt.Sprintf("127.0.0.1:%d", ports[2])
	p := start(t, "redis_exporter", exporter, "--redis.addr", "redis://"+n.addr, "--web.listen-address", addr)
	var text string
	if err := waitFor(15*time.Second, 100*time.Millisecond, func() error {
		if p.exited() {
			return fmt.Errorf("redis_exporter exited:\n%s", tail(p.output(), 20))
		}
		body, err := httpGet("http://" + addr + "/metrics")
		text = string(body)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	samples := parseText(text)
	get := func(name, labels string) (float64, bool) {
		for _, s := range samples {
			if s.name == name && (labels == "" || s.labels == labels) {
				return s.value, true
			}
		}
		return 0, false
	}

	for _, check := range []struct {
		name, labels string
		ok           func(v float64) bool
		want         string
	}{
		{"redis_up", "", func(v float64) bool { return v == 1 }, "1"},
		{"redis_connected_clients", "", func(v float64) bool { return v >= 2 }, "at least the test's client and the exporter"},
		{"redis_memory_used_bytes", "", func(v float64) bool { return v > 0 }, "above 0"},
		{"redis_keyspace_hits_total", "", func(v float64) bool { return v >= keys }, fmt.Sprintf("at least %d", keys)},
		{"redis_keyspace_misses_total", "", func(v float64) bool { return v >= misses }, fmt.Sprintf("at least %d", misses)},
		{"redis_commands_total", `{cmd="get"}`, func(v float64) bool { return v >= keys+misses }, fmt.Sprintf("at least %d", keys+misses)},
		{"redis_commands_total", `{cmd="set"}`, func(v float64) bool { return v >= keys }, fmt.Sprintf("at least %d", keys)},
		{"redis_commands_processed_total", "", func(v float64) bool { return v >= 2*keys+misses }, fmt.Sprintf("at least %d", 2*keys+misses)},
		{"redis_db_keys", `{db="db0"}`, func(v float64) bool { return v == float64(dbsize) }, fmt.Sprintf("DBSIZE %d", dbsize)},
		{"redis_db_keys_expiring", `{db="db0"}`, func(v float64) bool { return v == expiring }, strconv.Itoa(expiring)},
		{"redis_uptime_in_seconds", "", func(v float64) bool { return v >= 0 }, "present"},
		{"redis_config_maxclients", "", func(v float64) bool { return strconv.FormatFloat(v, 'f', -1, 64) == maxclients["maxclients"] },
			"CONFIG GET maxclients " + maxclients["maxclients"]},
		{"redis_connections_received_total", "", func(v float64) bool { return v >= 1 }, "at least 1"},
		{"redis_commands_duration_seconds_total", `{cmd="get"}`, func(v float64) bool { return v > 0 }, "above 0"},
		// The rest of what the exporter's standard Grafana dashboard shows.
		{"redis_memory_max_bytes", "", func(v float64) bool { return v == 0 }, "0 (no maxmemory)"},
		{"redis_expired_keys_total", "", func(v float64) bool { return v >= 0 }, "present"},
		{"redis_evicted_keys_total", "", func(v float64) bool { return v >= 0 }, "present"},
		{"redis_rejected_connections_total", "", func(v float64) bool { return v == 0 }, "0"},
		{"redis_net_input_bytes_total", "", func(v float64) bool { return v >= 20*(2*keys+misses) }, "at least 20 bytes a command sent"},
		{"redis_net_output_bytes_total", "", func(v float64) bool { return v >= 5*(2*keys+misses) }, "at least 5 bytes a reply"},
	} {
		v, ok := get(check.name, check.labels)
		switch {
		case !ok:
			t.Errorf("redis_exporter has no %s%s", check.name, check.labels)
		case !check.ok(v):
			t.Errorf("%s%s = %v, want %s", check.name, check.labels, v, check.want)
		default:
			t.Logf("%s%s = %v", check.name, check.labels, v)
		}
	}

	// Scrape once more so that anything the exporter logs only on a second
	// pass is in the log too, then read it.
	if _, err := httpGet("http://" + addr + "/metrics"); err != nil {
		t.Fatal(err)
	}
	bad := regexp.MustCompile(`level=(error|fatal|panic)`)
	for _, line := range strings.Split(p.output(), "\n") {
		if bad.MatchString(line) {
			t.Errorf("redis_exporter logged: %s", line)
		}
	}
}
