package protocol

import (
	"math"
	"time"
)

// ops is the server's diagnostics an operator reaches for: the slow log
// (SLOWLOG), the latency monitor (LATENCY) and the clients that MONITOR;
// CLIENT PAUSE's state; and the error replies counted for INFO.
// They are fed by client.run after each command (observe, feedMonitors)
// and cost nothing beyond a clock read and a few atomic loads while off.
type ops struct {
	slowlog  slowlog         // slowlog.go
	latency  latencyMonitor  // latency.go
	monitors monitorRegistry // cmd_monitor.go
	pause    pauseState      // CLIENT PAUSE (cmd_connection_ops.go)
	errors   errorStats      // INFO errorstats (errorstats.go)
}

// fastestWatched returns the shortest duration a command must take to
// interest the slow log or the latency monitor, -1 while both are off:
// client.run then needs no clock read for them, and commands faster than
// it cost only the comparison.
func (c *client) fastestWatched() time.Duration {
	o := &c.srv.cfg.Ops
	d := time.Duration(-1)
	// Thresholds past what a Duration holds (292 years) are never met.
	if t := o.SlowlogSlowerThan.Load(); t >= 0 && t <= math.MaxInt64/int64(time.Microsecond) {
		d = time.Duration(t) * time.Microsecond
	}
	if t := o.LatencyMonitorThreshold.Load(); t > 0 && t <= math.MaxInt64/int64(time.Millisecond) {
		if l := time.Duration(t) * time.Millisecond; d < 0 || l < d {
			d = l
		}
	}
	return d
}

// observe hands a command that ran for d to the slow log and the latency
// monitor, as Redis's call() does after each command, nested ones (inside
// EXEC or a script) included.
func (c *client) observe(cmd *command, args [][]byte, d time.Duration) {
	o := &c.srv.cfg.Ops
	us := d.Microseconds()
	if t := o.SlowlogSlowerThan.Load(); t >= 0 && us >= t && cmd.flags&flagSkipSlowlog == 0 {
		c.srv.ops.slowlog.push(c.slowEntry(cmd, args, us), o.SlowlogMaxLen.Load())
	}
	if t := o.LatencyMonitorThreshold.Load(); t > 0 {
		ms := us / 1000
		if ms >= t {
			event := "command"
			if cmd.flags&flagFast != 0 {
				event = "fast-command"
			}
			c.srv.ops.latency.add(event, time.Now().Unix(), ms)
		}
	}
}

// lookedUp counts a read command's key lookup in INFO's keyspace_hits or
// keyspace_misses, where Redis's lookupKeyRead counts one: GET, MGET (per
// key), GETEX, GETDEL, GETSET, STRLEN, GETRANGE, EXISTS (per key), TYPE,
// TTL and its kin.
func (c *client) lookedUp(found bool) {
	if found {
		c.stats.hits++
	} else {
		c.stats.misses++
	}
}
