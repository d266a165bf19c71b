package main

import (
	"github.com/cachesrv/cachesrv/protocol"
	"github.com/prometheus/client_golang/prometheus"
)

// replicationCollector exports the replication of this node's slots to
// their replicas (--cluster-replicas, protocol/replication.go), per
// replica where it is a stream's figure.
type replicationCollector struct {
	srv *protocol.Server

	keys, bytes, applied, fullSyncs, dropped   *prometheus.Desc
	pendingKeys, pendingKeyBytes, lag, offsets *prometheus.Desc
}

func newReplicationCollector(srv *protocol.Server) *replicationCollector {
	return &replicationCollector{
		srv:             srv,
		keys:            newDesc("replication_keys_total", "Key states this node sent to the replicas of its slots and they acknowledged."),
		bytes:           newDesc("replication_bytes_total", "Bytes of keys and serialized values in those key states."),
		applied:         newDesc("replication_applied_keys_total", "Key states received from the owners of slots this node replicates, and applied."),
		fullSyncs:       newDesc("replication_full_syncs_total", "Walks of the store queueing every key of slots for a replica that newly holds them (or fell too far behind)."),
		dropped:         newDesc("replication_dropped_keys_total", "Copies dropped because this node no longer replicates their slot."),
		pendingKeys:     newDesc("replication_pending_keys", "Key states queued for a replica and not yet acknowledged by it.", "peer"),
		pendingKeyBytes: newDesc("replication_pending_key_bytes", "Bytes of the key names queued for a replica (their values are read when a batch is sent).", "peer"),
		lag:             newDesc("replication_lag_seconds", "Age of the oldest key state queued for a replica and not yet acknowledged; 0 when it is up to date.", "peer"),
		offsets:         newDesc("replication_acked_offset", "Key states a replica has acknowledged since its stream began.", "peer"),
	}
}

func (c *replicationCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.keys, c.bytes, c.applied, c.fullSyncs, c.dropped, c.pendingKeys, c.pendingKeyBytes, c.lag, c.offsets} {
		ch <- d
	}
}

func (c *replicationCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.srv.ReplicationStats()
	ch <- prometheus.MustNewConstMetric(c.keys, prometheus.CounterValue, float64(st.KeysSent))
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.CounterValue, float64(st.BytesSent))
	ch <- prometheus.MustNewConstMetric(c.applied, prometheus.CounterValue, float64(st.KeysApplied))
	ch <- prometheus.MustNewConstMetric(c.fullSyncs, prometheus.CounterValue, float64(st.FullSyncs))
	ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(st.KeysDropped))
	for _, p := range st.Peers {
		ch <- prometheus.MustNewConstMetric(c.pendingKeys, prometheus.GaugeValue, float64(p.PendingKeys), p.Addr)
		ch <- prometheus.MustNewConstMetric(c.pendingKeyBytes, prometheus.GaugeValue, float64(p.PendingBytes), p.Addr)
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, p.Lag.Seconds(), p.Addr)
		ch <- prometheus.MustNewConstMetric(c.offsets, prometheus.CounterValue, float64(p.Acked), p.Addr)
	}
}
