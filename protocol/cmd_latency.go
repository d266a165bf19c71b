package protocol

import (
	"strings"
	"time"

	"github.com/cachesrv/cachesrv/store"
)

// LATENCY: Redis's latency monitor (latency.go), fed by client.run with
// the commands at least latency-monitor-threshold milliseconds slow
// ("command", and "fast-command" for commands flagged fast), and
// HISTOGRAM from the per-command latency histograms of cmdstats.go.
// Monitoring tools (redis_exporter) ask LATENCY LATEST on every scrape.

func init() {
	admin := flagAdmin | flagNoScript | flagLoading | flagStale
	acl := []string{"admin", "slow", "dangerous"}
	register(&command{name: "latency", arity: -2, acl: []string{"slow"}, subs: subcommands(
		&command{name: "latest", arity: 2, flags: admin, acl: acl, run: cmdLatencyLatest},
		&command{name: "history", arity: 3, flags: admin, acl: acl, run: cmdLatencyHistory},
		&command{name: "reset", arity: -2, flags: admin, acl: acl, run: cmdLatencyReset},
		&command{name: "graph", arity: 3, flags: admin, acl: acl, run: cmdLatencyGraph},
		&command{name: "doctor", arity: 2, flags: admin, acl: acl, run: cmdLatencyDoctor},
		&command{name: "histogram", arity: -2, flags: admin, acl: acl, run: cmdLatencyHistogram},
		&command{name: "help", arity: 2, flags: flagLoading | flagStale, acl: []string{"slow"}, run: cmdLatencyHelp},
	)})
}

// cmdLatencyLatest replies, per event, its name, the time and latency of
// its newest sample and its all-time high.
func cmdLatencyLatest(c *client, _ [][]byte, _ store.Tx) {
	latest := c.srv.ops.latency.latest()
	c.WriteArray(len(latest))
	for _, e := range latest {
		c.WriteArray(4)
		c.WriteBulkString(e.event)
		c.WriteInt64(e.at)
		c.WriteInt64(e.ms)
		c.WriteInt64(e.max)
	}
}

// cmdLatencyHistory replies with an event's samples as (time, latency)
// pairs, oldest first; an unknown event has none.
func cmdLatencyHistory(c *client, args [][]byte, _ store.Tx) {
	samples, _, _ := c.srv.ops.latency.history(string(args[2]))
	c.WriteArray(len(samples))
	for _, s := range samples {
		c.WriteArray(2)
		c.WriteInt64(s.time)
		c.WriteInt64(s.latency)
	}
}

func cmdLatencyReset(c *client, args [][]byte, _ store.Tx) {
	events := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		events = append(events, string(a))
	}
	c.WriteInt64(int64(c.srv.ops.latency.reset(events)))
}

func cmdLatencyGraph(c *client, args [][]byte, _ store.Tx) {
	event := string(args[2])
	samples, high, ok := c.srv.ops.latency.history(event)
	if !ok {
		c.errorReply("ERR No samples available for event '" + event + "'")
		return
	}
	c.WriteVerbatim("txt", latencyGraph(event, samples, high, time.Now().Unix()))
}

func cmdLatencyDoctor(c *client, _ [][]byte, _ store.Tx) {
	o := &c.srv.cfg.Ops
	c.WriteVerbatim("txt", c.srv.ops.latency.doctor(o.LatencyMonitorThreshold.Load(), o.SlowlogSlowerThan.Load() >= 0, time.Now().Unix()))
}

// cmdLatencyHistogram replies, for the named commands (all with none),
// each one's calls and cumulative latency distribution, as Redis 7 does;
// commands never timed are left out, unknown names skipped. Redis's
// buckets are HdrHistogram's powers of two from 1024 ns, labelled with
// the highest microsecond they hold (1, 2, 4, 8, 16, 33, 66...); the
// buckets here are powers of two from 1 µs, given Redis's labels.
func cmdLatencyHistogram(c *client, args [][]byte, _ store.Tx) {
	var cmds []*command
	add := func(cmd *command) {
		if cmd.stats.timed() > 0 {
			cmds = append(cmds, cmd)
		}
	}
	if len(args) == 2 {
		eachCommand(add)
	}
	for _, a := range args[2:] {
		name, sub, isSub := strings.Cut(strings.ToLower(string(a)), "|")
		cmd := commands[name]
		if cmd != nil && isSub {
			cmd = cmd.subs[sub]
		}
		if cmd == nil {
			continue
		}
		add(cmd)
		for _, s := range sortedSubs(cmd) {
			add(s)
		}
	}
	c.WriteMap(len(cmds))
	for _, cmd := range cmds {
		c.WriteBulkString(cmd.fullName)
		var counts [latencyBuckets]uint64
		n, total := 0, uint64(0)
		for i := range counts {
			counts[i] = cmd.stats.hist[i].Load()
			if counts[i] > 0 {
				n++
			}
			total += counts[i]
		}
		c.WriteMap(2)
		c.WriteBulkString("calls")
		c.WriteInt64(int64(total))
		c.WriteBulkString("histogram_usec")
		c.WriteMap(n)
		cum := uint64(0)
		for i, k := range counts {
			if k == 0 {
				continue
			}
			cum += k
			c.WriteInt64((1032<<i - 1) / 1000)
			c.WriteInt64(int64(cum))
		}
	}
}

func cmdLatencyHelp(c *client, _ [][]byte, _ store.Tx) {
	writeHelp(c, "LATENCY",
		"DOCTOR", "    Return a human readable latency analysis report.",
		"GRAPH <event>", "    Return an ASCII latency graph for the <event> class.",
		"HISTORY <event>", "    Return time-latency samples for the <event> class.",
		"LATEST", "    Return the latest latency samples for all events.",
		"RESET [<event> ...]", "    Reset latency data of one or more <event> classes.", "    (default: reset all data for all event classes)",
		"HISTOGRAM [COMMAND ...]", "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
		"    If no commands are specified then all histograms are replied.",
	)
}
