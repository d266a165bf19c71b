package protocol

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Per-command statistics, kept cheap enough to be always on: a few atomic
// adds per command, and a latency histogram with power-of-two bucket
// bounds (1 µs, 2 µs, … ~1 s, +Inf), so picking the bucket is a bit
// count rather than a search.
const latencyBuckets = 22 // 21 bounds, 2^0 … 2^20 µs, plus +Inf

// LatencyBucketBounds are the upper bounds of the latency histogram's
// buckets, the last one being +Inf in all but name.
var LatencyBucketBounds = func() []time.Duration {
	b := make([]time.Duration, latencyBuckets-1)
	for i := range b {
		b[i] = time.Duration(1<<i) * time.Microsecond
	}
	return b
}()

// cmdStat is what INFO commandstats and latencystats, and the metrics,
// report for one command.
type cmdStat struct {
	calls, nanos, rejected, failed atomic.Int64
	hist                           [latencyBuckets]atomic.Uint64
}

// pipelineStats gathers one connection's command statistics while it runs
// a pipeline, and adds them to the shared counters once at its end: the
// shared atomics are then touched once per kind of command per pipeline,
// not several times per command, which matters when every core runs the
// same few commands. A pipeline rarely uses more than a few kinds of
// command; when it does, the oldest slot is flushed early.
type pipelineStats struct {
	processed    int64
	hits, misses int64 // keyspace hits and misses (GET)
	// Bytes read from and written to the socket (INFO's total_net_*),
	// added to the server's counters at the start of the next pipeline
	// (flushNet): one shared atomic add per pipeline, not one per read
	// and per write.
	netIn, netOut int64
	slots         [4]localStat
	next          int // slot to evict next
}

// localStat is one command's share of a pipeline's statistics. A slot
// keeps its command after a flush, so that the next pipeline of the same
// command (the common case: pipeline 1) finds it at once; used marks the
// histogram buckets to add, so a flush touches only those.
type localStat struct {
	cmd                  *command
	calls, failed, nanos int64
	used                 uint32 // bit i: hist[i] != 0
	hist                 [latencyBuckets]uint32
}

// add counts one call of cmd; d < 0 means it was not timed.
func (p *pipelineStats) add(cmd *command, d time.Duration, failed bool) {
	var l *localStat
	for i := range p.slots {
		if p.slots[i].cmd == cmd {
			l = &p.slots[i]
			break
		}
	}
	if l == nil {
		l = &p.slots[p.next]
		p.next = (p.next + 1) % len(p.slots)
		l.flush()
		l.cmd = cmd
	}
	l.calls++
	if failed {
		l.failed++
	}
	if d >= 0 {
		l.nanos += int64(d)
		b := latencyBucket(d)
		l.hist[b]++
		l.used |= 1 << b
	}
}

// flush adds everything gathered to the shared counters.
func (p *pipelineStats) flush(s *statStripe) {
	if p.processed != 0 {
		s.processed.Add(p.processed)
		p.processed = 0
	}
	if p.hits != 0 {
		s.hits.Add(p.hits)
		p.hits = 0
	}
	if p.misses != 0 {
		s.misses.Add(p.misses)
		p.misses = 0
	}
	for i := range p.slots {
		p.slots[i].flush()
	}
}

// flushNet adds the bytes read and written since the last call to the
// server's counters. It runs before a pipeline's commands, so that an
// INFO sees its own request and every earlier reply counted, as Redis
// counts them when they cross the socket, and when the client goes.
func (p *pipelineStats) flushNet(s *statStripe) {
	if p.netIn != 0 {
		s.netIn.Add(p.netIn)
		p.netIn = 0
	}
	if p.netOut != 0 {
		s.netOut.Add(p.netOut)
		p.netOut = 0
	}
}

func (l *localStat) flush() {
	if l.calls == 0 {
		return
	}
	st := &l.cmd.stats
	st.calls.Add(l.calls)
	if l.failed != 0 {
		st.failed.Add(l.failed)
	}
	if l.nanos != 0 {
		st.nanos.Add(l.nanos)
	}
	for m := l.used; m != 0; m &= m - 1 {
		i := bits.TrailingZeros32(m)
		st.hist[i].Add(uint64(l.hist[i]))
		l.hist[i] = 0
	}
	l.calls, l.failed, l.nanos, l.used = 0, 0, 0, 0
}

// latencyBucket returns the first bucket whose bound is >= d.
func latencyBucket(d time.Duration) int {
	if d <= time.Microsecond {
		return 0
	}
	return min(bits.Len64(uint64(d-1)/1000), latencyBuckets-1)
}

func (s *cmdStat) reset() {
	s.calls.Store(0)
	s.nanos.Store(0)
	s.rejected.Store(0)
	s.failed.Store(0)
	for i := range s.hist {
		s.hist[i].Store(0)
	}
}

// CommandStats is a snapshot of one command's statistics.
type CommandStats struct {
	Name                    string // "get", "client|list"
	Calls, Rejected, Failed int64
	Total                   time.Duration
	// Buckets counts calls per latency bucket (not cumulative); bucket i
	// holds calls that took at most LatencyBucketBounds[i], the last one
	// the rest.
	Buckets [latencyBuckets]uint64
}

// Quantile estimates the q-th latency quantile (0 < q <= 1) by linear
// interpolation inside the bucket it falls in.
func (cs *CommandStats) Quantile(q float64) time.Duration {
	var total uint64
	for _, n := range cs.Buckets {
		total += n
	}
	if total == 0 {
		return 0
	}
	rank := q * float64(total)
	var seen uint64
	for i, n := range cs.Buckets {
		if n == 0 || float64(seen+n) < rank {
			seen += n
			continue
		}
		lo := time.Duration(0)
		if i > 0 {
			lo = LatencyBucketBounds[i-1]
		}
		if i == len(LatencyBucketBounds) {
			return lo // +Inf bucket: its lower bound is all we know
		}
		hi := LatencyBucketBounds[i]
		return lo + time.Duration(float64(hi-lo)*(rank-float64(seen))/float64(n))
	}
	return LatencyBucketBounds[len(LatencyBucketBounds)-1]
}

// CommandStats returns a snapshot of every command's statistics, commands
// never called included, in name order.
func (s *Server) CommandStats() []CommandStats {
	var out []CommandStats
	eachCommand(func(cmd *command) {
		cs := CommandStats{
			Name:     cmd.fullName,
			Calls:    cmd.stats.calls.Load(),
			Rejected: cmd.stats.rejected.Load(),
			Failed:   cmd.stats.failed.Load(),
			Total:    time.Duration(cmd.stats.nanos.Load()),
		}
		for i := range cs.Buckets {
			cs.Buckets[i] = cmd.stats.hist[i].Load()
		}
		out = append(out, cs)
	})
	return out
}

// Stats is a snapshot of the server-wide counters INFO stats reports.
type Stats struct {
	ConnectedClients    int
	ConnectionsReceived int64
	RejectedConnections int64
	CommandsProcessed   int64
	KeyspaceHits        int64
	KeyspaceMisses      int64
	MaxClients          int64 // the maxclients setting now
}

// Stats returns a snapshot of the server-wide counters.
func (s *Server) Stats() Stats {
	tot := s.stats.totals()
	return Stats{
		ConnectedClients:    s.ClientCount(),
		ConnectionsReceived: s.stats.connectionsReceived.Load(),
		RejectedConnections: s.stats.rejectedConns.Load(),
		CommandsProcessed:   tot.processed,
		KeyspaceHits:        tot.hits,
		KeyspaceMisses:      tot.misses,
		MaxClients:          int64(s.cfg.MaxClients.Load()),
	}
}
