package main

import (
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/cachesrv/cachesrv/protocol"
	"github.com/cachesrv/cachesrv/store"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
)

// The metrics are read, never counted here: each collector takes its
// part's snapshot (Store.Stats, Server.Stats, Server.CommandStats) when
// Prometheus scrapes, so serving a command costs nothing extra for them.

// newRegistry returns a private registry holding cachesrv's collectors,
// the Go runtime's and the process's, and the build info.
func newRegistry(st *store.Store, srv *protocol.Server) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		newStoreCollector(st, srv),
		newServerCollector(srv),
		newPubSubCollector(srv),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newBuildInfo(),
	)
	if cl := srv.Cluster(); cl != nil {
		reg.MustRegister(newClusterCollector(cl, srv))
		if cl.Table().ReplicaCount() > 0 {
			reg.MustRegister(newReplicationCollector(srv))
		}
	}
	return reg
}

func newDesc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("cachesrv_"+name, help, labels, nil)
}

// storeCollector exports the store's per-shard statistics.
type storeCollector struct {
	st          *store.Store // memory usage and limits, which every database shares
	srv         *protocol.Server
	shardLabels [][]*dto.LabelPair    // shard="0", shard="1", …: made once
	opsLabels   [][2][]*dto.LabelPair // kind="read"|"write", shard="0", …: made once

	shards, keys, expiring, bytes, arena          *prometheus.Desc
	acquisitions, contended, waitSeconds, maxWait *prometheus.Desc
	ops                                           *prometheus.Desc
	expired, evicted                              *prometheus.Desc
	used, maxmemory                               *prometheus.Desc
}

func newStoreCollector(st *store.Store, srv *protocol.Server) *storeCollector {
	c := &storeCollector{srv: srv,
		st:          st,
		shardLabels: make([][]*dto.LabelPair, st.Shards()),
		opsLabels:   make([][2][]*dto.LabelPair, st.Shards()),

		shards: newDesc("shards", "Number of lock shards the keyspace is split over."),
		keys:   newDesc("shard_keys", "Keys held by the shard, expired ones not yet reclaimed included (as DBSIZE counts them).", "shard"),
		bytes:  newDesc("shard_bytes", "Bytes of the shard's live entries: keys, values and per-entry headers.", "shard"),
		// Totals only: per shard, each would add a series per shard to
		// every scrape, for numbers CACHESRV.SHARDS gives when wanted.
		expiring: newDesc("keys_expiring", "Keys with a TTL, over all shards."),
		arena:    newDesc("arena_bytes", "Bytes of memory chunks the store holds: live entries plus space not yet reclaimed."),

		ops: newDesc("shard_ops_total", "Commands run on the shard, by the lock they ran under (kind read or write); a command, transaction or script on several shards counts once on each.", "shard", "kind"),

		acquisitions: newDesc("shard_lock_acquisitions_total", "Times the shard's lock was taken (one per command, or per same-shard run of a pipeline).", "shard"),
		contended:    newDesc("shard_lock_contended_total", "Lock acquisitions that had to wait because another holder had the lock.", "shard"),
		waitSeconds:  newDesc("shard_lock_wait_seconds_total", "Time spent waiting for the shard's lock.", "shard"),
		maxWait:      newDesc("shard_lock_max_wait_seconds", "Longest single wait for the shard's lock since start.", "shard"),

		expired:   newDesc("expired_keys_total", "Keys removed because their TTL passed, on access or by the active expiry cycle."),
		evicted:   newDesc("evicted_keys_total", "Keys evicted to stay under maxmemory."),
		used:      newDesc("used_memory_bytes", "Memory that counts against maxmemory: chunks, index and ghost tables (INFO's used_memory)."),
		maxmemory: newDesc("maxmemory_bytes", "The maxmemory limit, 0 if none."),
	}
	for i := range c.shardLabels {
		c.shardLabels[i] = prometheus.MakeLabelPairs(c.keys, []string{strconv.Itoa(i)})
		for k, kind := range [2]string{"read", "write"} {
			c.opsLabels[i][k] = prometheus.MakeLabelPairs(c.ops, []string{strconv.Itoa(i), kind})
		}
	}
	return c
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.shards, c.keys, c.expiring, c.bytes, c.arena,
		c.acquisitions, c.contended, c.waitSeconds, c.maxWait, c.ops, c.expired, c.evicted, c.used, c.maxmemory} {
		ch <- d
	}
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	stats := c.srv.ShardStats() // every database's shard i together
	ch <- prometheus.MustNewConstMetric(c.shards, prometheus.GaugeValue, float64(len(stats)))
	// One allocation for every per-shard sample of the scrape.
	const shardOnly = 6            // series labelled by shard alone
	const perShard = shardOnly + 2 // and shard_ops_total's two kinds
	samples := make([]shardSample, perShard*len(stats))
	var expired, expiring, arena int64
	for i, s := range stats {
		expired += s.Expired
		expiring += s.KeysWithTTL
		arena += s.Arena
		for j, v := range [shardOnly]struct {
			desc    *prometheus.Desc
			counter bool
			value   float64
		}{
			{c.keys, false, float64(s.Keys)},
			{c.bytes, false, float64(s.LiveBytes)},
			{c.acquisitions, true, float64(s.LockAcquisitions)},
			{c.contended, true, float64(s.LockContended)},
			{c.waitSeconds, true, s.LockWait.Seconds()},
			{c.maxWait, false, s.LockMaxWait.Seconds()},
		} {
			m := &samples[perShard*i+j]
			m.desc, m.labels, m.counter, m.value = v.desc, c.shardLabels[i], v.counter, v.value
			ch <- m
		}
		for k, n := range [2]uint64{s.Reads, s.Writes} {
			m := &samples[perShard*i+shardOnly+k]
			m.desc, m.labels, m.counter, m.value = c.ops, c.opsLabels[i][k], true, float64(n)
			ch <- m
		}
	}
	ch <- prometheus.MustNewConstMetric(c.expiring, prometheus.GaugeValue, float64(expiring))
	ch <- prometheus.MustNewConstMetric(c.arena, prometheus.GaugeValue, float64(arena))
	ch <- prometheus.MustNewConstMetric(c.expired, prometheus.CounterValue, float64(expired))
	ch <- prometheus.MustNewConstMetric(c.evicted, prometheus.CounterValue, float64(c.st.EvictedKeys()))
	ch <- prometheus.MustNewConstMetric(c.used, prometheus.GaugeValue, float64(c.st.Used()))
	ch <- prometheus.MustNewConstMetric(c.maxmemory, prometheus.GaugeValue, float64(c.st.Limits().MaxMemory))
}

// shardSample is one per-shard sample. It is prometheus.MustNewConstMetric
// without the per-sample allocations: the shard's label pair is made once,
// at start, and shared by every scrape (which only read it). A 256-shard
// server exports 1,536 of these per scrape.
type shardSample struct {
	desc    *prometheus.Desc
	labels  []*dto.LabelPair
	counter bool
	value   float64
	c       dto.Counter
	g       dto.Gauge
}

func (m *shardSample) Desc() *prometheus.Desc { return m.desc }

func (m *shardSample) Write(out *dto.Metric) error {
	out.Label = m.labels
	if m.counter {
		m.c.Value = &m.value
		out.Counter = &m.c
	} else {
		m.g.Value = &m.value
		out.Gauge = &m.g
	}
	return nil
}

// serverCollector exports the protocol server's connection and command
// statistics, including a latency histogram per command.
type serverCollector struct {
	srv *protocol.Server

	clients, maxClients, received, rejectedConns, processed, hits, misses *prometheus.Desc
	calls, rejected, failed, duration                                     *prometheus.Desc

	// bounds are the histogram's upper bounds in seconds, +Inf left out
	// (the const histogram adds it from the count).
	bounds []float64
}

func newServerCollector(srv *protocol.Server) *serverCollector {
	c := &serverCollector{
		srv:           srv,
		clients:       newDesc("connected_clients", "Clients connected now."),
		maxClients:    newDesc("maxclients", "The maxclients setting: connections beyond it are refused."),
		received:      newDesc("connections_received_total", "Connections accepted, refused ones included."),
		rejectedConns: newDesc("rejected_connections_total", "Connections refused because maxclients was reached."),
		processed:     newDesc("commands_processed_total", "Commands received, unknown and refused ones included (INFO's total_commands_processed)."),
		hits:          newDesc("keyspace_hits_total", "Key lookups that found the key."),
		misses:        newDesc("keyspace_misses_total", "Key lookups that did not find the key."),
		calls:         newDesc("commands_total", "Calls of a command that ran (INFO commandstats calls).", "cmd"),
		rejected:      newDesc("commands_rejected_total", "Calls refused before running: wrong arity, not authenticated, not allowed in MULTI.", "cmd"),
		failed:        newDesc("commands_failed_total", "Calls that ran and replied with an error.", "cmd"),
		duration: newDesc("command_duration_seconds",
			"Time to run a command, from dispatch to reply buffered, excluding network I/O; only calls made while latency-tracking is on.", "cmd"),
	}
	for _, b := range protocol.LatencyBucketBounds {
		c.bounds = append(c.bounds, b.Seconds())
	}
	return c
}

func (c *serverCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.clients, c.maxClients, c.received, c.rejectedConns, c.processed,
		c.hits, c.misses, c.calls, c.rejected, c.failed, c.duration} {
		ch <- d
	}
}

func (c *serverCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.srv.Stats()
	ch <- prometheus.MustNewConstMetric(c.clients, prometheus.GaugeValue, float64(s.ConnectedClients))
	ch <- prometheus.MustNewConstMetric(c.maxClients, prometheus.GaugeValue, float64(s.MaxClients))
	ch <- prometheus.MustNewConstMetric(c.received, prometheus.CounterValue, float64(s.ConnectionsReceived))
	ch <- prometheus.MustNewConstMetric(c.rejectedConns, prometheus.CounterValue, float64(s.RejectedConnections))
	ch <- prometheus.MustNewConstMetric(c.processed, prometheus.CounterValue, float64(s.CommandsProcessed))
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, float64(s.KeyspaceHits))
	ch <- prometheus.MustNewConstMetric(c.misses, prometheus.CounterValue, float64(s.KeyspaceMisses))

	// Commands never called are left out, as INFO commandstats leaves
	// them out: ~80 commands times 24 histogram lines would be mostly
	// zeros.
	for _, cs := range c.srv.CommandStats() {
		if cs.Calls == 0 && cs.Rejected == 0 {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.calls, prometheus.CounterValue, float64(cs.Calls), cs.Name)
		ch <- prometheus.MustNewConstMetric(c.rejected, prometheus.CounterValue, float64(cs.Rejected), cs.Name)
		ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(cs.Failed), cs.Name)
		// The snapshot's buckets are per bucket; Prometheus's are
		// cumulative. The count is the histogram's own total, not Calls:
		// calls made with latency-tracking off were counted, not timed.
		buckets, count := cumulativeBuckets(c.bounds, cs.Buckets[:])
		if count == 0 {
			continue
		}
		ch <- prometheus.MustNewConstHistogram(c.duration, count, cs.Total.Seconds(), buckets, cs.Name)
	}
}

// newBuildInfo is cachesrv_build_info, always 1, its labels saying which
// build is running.
func newBuildInfo() prometheus.Collector {
	revision := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "cachesrv_build_info",
		Help: "A metric with a constant 1 value, labelled by the version, VCS revision and Go version cachesrv was built from.",
		ConstLabels: prometheus.Labels{
			"version":   protocol.Version,
			"revision":  revision,
			"goversion": runtime.Version(),
		},
	})
	g.Set(1)
	return g
}

// cumulativeBuckets turns per-bucket counts (the last one past every
// bound) into the cumulative map a Prometheus const histogram wants, and
// returns the total. Each histogram needs a map of its own: the registry
// reads it after Collect has moved on.
func cumulativeBuckets(bounds []float64, counts []uint64) (map[float64]uint64, uint64) {
	buckets := make(map[float64]uint64, len(bounds))
	var cum uint64
	for i, bound := range bounds {
		cum += counts[i]
		buckets[bound] = cum
	}
	return buckets, cum + counts[len(bounds)]
}
