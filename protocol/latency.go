package protocol

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// latencySamples is how many samples each event keeps, one per second at
// most, as Redis's LATENCY_TS_LEN.
const latencySamples = 160

// latencyMonitor is Redis's latency monitor: for each event ("command",
// "fast-command"), the latest samples of commands at least
// latency-monitor-threshold milliseconds slow, one per second (the worst
// of that second), and the worst ever. Only slow commands reach it, so
// its lock is not on the hot path.
type latencyMonitor struct {
	mu     sync.Mutex
	events map[string]*latencySeries
}

type latencySeries struct {
	samples [latencySamples]latencySample // a ring; time 0 = unused
	idx     int                           // where the next sample goes
	max     int64                         // all-time high, ms
}

type latencySample struct {
	time    int64 // Unix seconds
	latency int64 // ms
}

// add records a sample of ms milliseconds at Unix second now: a second
// already sampled keeps its worst.
func (m *latencyMonitor) add(event string, now, ms int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.events == nil {
		m.events = make(map[string]*latencySeries)
	}
	ts := m.events[event]
	if ts == nil {
		ts = &latencySeries{}
		m.events[event] = ts
	}
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.idx+latencySamples-1)%latencySamples]
	if prev.time == now {
		prev.latency = max(prev.latency, ms)
		return
	}
	ts.samples[ts.idx] = latencySample{now, ms}
	ts.idx = (ts.idx + 1) % latencySamples
}

// latest returns, per event in name order, its newest sample and its
// all-time high (LATENCY LATEST).
func (m *latencyMonitor) latest() (out []struct {
	event       string
	at, ms, max int64
}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, name := range slices.Sorted(maps.Keys(m.events)) {
		ts := m.events[name]
		last := ts.samples[(ts.idx+latencySamples-1)%latencySamples]
		out = append(out, struct {
			event       string
			at, ms, max int64
		}{name, last.time, last.latency, ts.max})
	}
	return out
}

// history returns an event's samples, oldest first, and its all-time
// high; ok is false for an event never seen.
func (m *latencyMonitor) history(event string) (samples []latencySample, high int64, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ts := m.events[event]
	if ts == nil {
		return nil, 0, false
	}
	for j := range latencySamples {
		if s := ts.samples[(ts.idx+j)%latencySamples]; s.time != 0 {
			samples = append(samples, s)
		}
	}
	return samples, ts.max, true
}

// reset forgets the named events (all with none) and returns how many
// there were.
func (m *latencyMonitor) reset(events []string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(events) == 0 {
		n := len(m.events)
		clear(m.events)
		return n
	}
	n := 0
	for _, e := range events {
		if _, ok := m.events[e]; ok {
			delete(m.events, e)
			n++
		}
	}
	return n
}

func (m *latencyMonitor) names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Sorted(maps.Keys(m.events))
}

// latencyGraphCols is the width of LATENCY GRAPH, as Redis's.
const latencyGraphCols = 80

// graph renders an event's samples as Redis's LATENCY GRAPH does: a title
// line, a rule, then a four-row sparkline with each sample's age below it.
func latencyGraph(event string, samples []latencySample, high int64, now int64) string {
	var b strings.Builder
	lo, hi := int64(0), int64(0)
	labels := make([]string, len(samples))
	for i, s := range samples {
		if i == 0 {
			lo, hi = s.latency, s.latency
		}
		lo, hi = min(lo, s.latency), max(hi, s.latency)
		switch age := now - s.time; {
		case age < 60:
			labels[i] = fmt.Sprintf("%ds", age)
		case age < 3600:
			labels[i] = fmt.Sprintf("%dm", age/60)
		case age < 86400:
			labels[i] = fmt.Sprintf("%dh", age/3600)
		default:
			labels[i] = fmt.Sprintf("%dd", age/86400)
		}
	}
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, hi, lo, high)
	b.WriteString(strings.Repeat("-", latencyGraphCols))
	b.WriteByte('\n')
	for j := 0; j < len(samples); j += latencyGraphCols {
		if j != 0 {
			b.WriteByte('\n')
		}
		end := min(j+latencyGraphCols, len(samples))
		sparkline(&b, samples[j:end], labels[j:end], lo, hi)
	}
	return b.String()
}

// sparkline draws values between lo and hi in four rows of "_o#" (a bar
// under "|"), then their labels vertically after an empty row, as Redis's
// sparklineRenderRange with SPARKLINE_FILL does.
func sparkline(b *strings.Builder, samples []latencySample, labels []string, lo, hi int64) {
	const rows, fill = 4, "_o#"
	steps := len(fill) * rows
	rel := float64(hi - lo)
	if rel == 0 {
		rel = 1
	}
	line := make([]byte, len(samples))
	for row := 0; ; row++ {
		more := false
		for j := range line {
			line[j] = ' '
		}
		for j, s := range samples {
			if row < rows {
				more = true
				step := int(float64(int(float64(s.latency-lo)*float64(steps))) / rel)
				step = max(0, min(step, steps-1))
				switch idx := step - (rows-row-1)*len(fill); {
				case idx >= 0 && idx < len(fill):
					line[j] = fill[idx]
				case idx >= len(fill):
					line[j] = '|'
				}
				continue
			}
			if row == rows { // the empty row between bars and labels
				more = true
				break
			}
			if k := row - rows - 1; k < len(labels[j]) {
				more = true
				line[j] = labels[j][k]
			}
		}
		if !more {
			return
		}
		b.Write(line)
		b.WriteByte('\n')
	}
}

// latencyDoctor is LATENCY DOCTOR's report: Redis's opening lines, one
// line per event with Redis's figures (average, mean deviation, period,
// worst), and Redis's advice for slow commands. Redis's longer advice for
// events cachesrv does not have (fork, AOF, expire cycles) is left out.
func (m *latencyMonitor) doctor(threshold int64, slowlogOn bool, now int64) string {
	if threshold == 0 {
		return `I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.` + "\n"
	}
	names := m.names()
	if len(names) == 0 {
		return "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n"
	}
	var b strings.Builder
	b.WriteString("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n")
	for i, name := range names {
		samples, high, _ := m.history(name)
		var sum, oldest int64
		for _, s := range samples {
			sum += s.latency
			if oldest == 0 || s.time < oldest {
				oldest = s.time
			}
		}
		n := int64(max(len(samples), 1))
		avg := sum / n
		var mad int64
		for _, s := range samples {
			mad += max(avg-s.latency, s.latency-avg)
		}
		period := max(now-oldest, 1)
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %dms, mean deviation %dms, period %.2f sec). Worst all time event %dms.\n",
			i+1, name, len(samples), avg, mad/n, float64(period)/float64(n), high)
	}
	b.WriteString("\nI have a few advices for you:\n\n")
	if !slowlogOn {
		b.WriteString("- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than 10000'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n")
	}
	b.WriteString("- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n")
	b.WriteString("- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n")
	return b.String()
}

// timed is how many calls of the command were timed: those its latency
// histogram holds.
func (s *cmdStat) timed() uint64 {
	var n uint64
	for i := range s.hist {
		n += s.hist[i].Load()
	}
	return n
}
