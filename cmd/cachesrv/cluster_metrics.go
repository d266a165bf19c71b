package main

import (
	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/cluster/route"
	"github.com/cachesrv/cachesrv/protocol"
	"github.com/prometheus/client_golang/prometheus"
)

// clusterCollector exports membership, the ring and proxy-mode forwarding,
// read at scrape time from the cluster's and the server's snapshots.
type clusterCollector struct {
	cl  *cluster.Cluster
	srv *protocol.Server

	members, suspect, ringChanges, slotsMoved, slotsOwned *prometheus.Desc
	forwarded, batches, errors, batchSize                 *prometheus.Desc
	sizeBounds                                            []float64
}

func newClusterCollector(cl *cluster.Cluster, srv *protocol.Server) *clusterCollector {
	c := &clusterCollector{
		cl:          cl,
		srv:         srv,
		members:     newDesc("cluster_members", "Nodes in the cluster as this node sees it, itself included."),
		suspect:     newDesc("cluster_suspect_members", "Members that missed recent probes (still owning their slots)."),
		ringChanges: newDesc("cluster_ring_changes_total", "Slot tables swapped in because membership changed."),
		slotsMoved:  newDesc("cluster_slots_moved_total", "Slots that changed owner, summed over ring changes."),
		slotsOwned:  newDesc("cluster_slots_owned", "Slots this node owns."),
		forwarded:   newDesc("forwarded_commands_total", "Commands forwarded to the node owning their keys (proxy mode).", "peer"),
		batches:     newDesc("forward_batches_total", "Writes to a peer carrying forwarded commands.", "peer"),
		errors:      newDesc("forward_errors_total", "Forwarded commands that failed (peer unreachable, connection lost).", "peer"),
		batchSize:   newDesc("forward_batch_size", "Forwarded commands per write to a peer.", "peer"),
	}
	for _, b := range route.ForwardBatchBounds {
		c.sizeBounds = append(c.sizeBounds, float64(b))
	}
	return c
}

func (c *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.members, c.suspect, c.ringChanges, c.slotsMoved, c.slotsOwned,
		c.forwarded, c.batches, c.errors, c.batchSize} {
		ch <- d
	}
}

func (c *clusterCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.cl.Stats()
	ch <- prometheus.MustNewConstMetric(c.members, prometheus.GaugeValue, float64(st.Members))
	ch <- prometheus.MustNewConstMetric(c.suspect, prometheus.GaugeValue, float64(st.Suspect))
	ch <- prometheus.MustNewConstMetric(c.ringChanges, prometheus.CounterValue, float64(st.RingChanges))
	ch <- prometheus.MustNewConstMetric(c.slotsMoved, prometheus.CounterValue, float64(st.SlotsMoved))
	ch <- prometheus.MustNewConstMetric(c.slotsOwned, prometheus.GaugeValue, float64(st.SlotsOwned))
	for _, p := range c.srv.ForwardStats() {
		ch <- prometheus.MustNewConstMetric(c.forwarded, prometheus.CounterValue, float64(p.Commands), p.Peer)
		ch <- prometheus.MustNewConstMetric(c.batches, prometheus.CounterValue, float64(p.Batches), p.Peer)
		ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(p.Errors), p.Peer)
		buckets, count := cumulativeBuckets(c.sizeBounds, p.BatchSizes[:])
		ch <- prometheus.MustNewConstHistogram(c.batchSize, count, float64(p.Commands), buckets, p.Peer)
	}
}
