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
	state                                                 *prometheus.Desc
	forwarded, batches, errors, batchSize                 *prometheus.Desc
	sizeBounds                                            []float64

	// Hand-off (protocol/handoff.go).
	hoKeys, hoBytes, hoReceived, hoFetched, hoSkipped, hoConflicts, hoPending, hoImporting *prometheus.Desc
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
		state:       newDesc("cluster_state", "1 while this node serves the cluster's slots (CLUSTER INFO cluster_state:ok), 0 while it is down: started with --join, it has reached no seed yet."),
		forwarded:   newDesc("forwarded_commands_total", "Commands forwarded to the node owning their keys (proxy mode).", "peer"),
		batches:     newDesc("forward_batches_total", "Writes to a peer carrying forwarded commands.", "peer"),
		errors:      newDesc("forward_errors_total", "Forwarded commands that failed (peer unreachable, connection lost).", "peer"),
		batchSize:   newDesc("forward_batch_size", "Forwarded commands per write to a peer.", "peer"),

		hoKeys:      newDesc("handoff_keys_total", "Keys handed to the new owners of slots this node lost (acknowledged)."),
		hoBytes:     newDesc("handoff_bytes_total", "Serialized bytes of the keys handed off."),
		hoReceived:  newDesc("handoff_received_keys_total", "Keys restored from an old owner's hand-off stream."),
		hoFetched:   newDesc("handoff_fetched_keys_total", "Keys fetched from an old owner on a miss in an importing slot."),
		hoSkipped:   newDesc("handoff_skipped_keys_total", "Keys dropped by hand-off: of a type it cannot serialize (no DUMP support), or refused by a new owner over maxmemory with nothing it may evict."),
		hoConflicts: newDesc("handoff_conflicts_total", "Copies from an old owner not applied because this node wrote or deleted the key since."),
		hoPending:   newDesc("handoff_slots_pending", "Slots this node lost whose new owner has not yet been told the hand-off is done."),
		hoImporting: newDesc("handoff_slots_importing", "Slots this node owns and is still importing from their previous owner."),
	}
	for _, b := range route.ForwardBatchBounds {
		c.sizeBounds = append(c.sizeBounds, float64(b))
	}
	return c
}

func (c *clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.members, c.suspect, c.ringChanges, c.slotsMoved, c.slotsOwned, c.state,
		c.forwarded, c.batches, c.errors, c.batchSize,
		c.hoKeys, c.hoBytes, c.hoReceived, c.hoFetched, c.hoSkipped, c.hoConflicts, c.hoPending, c.hoImporting} {
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
	up := 1.0
	if c.cl.Down() {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(c.state, prometheus.GaugeValue, up)
	ho := c.srv.HandoffStats()
	ch <- prometheus.MustNewConstMetric(c.hoKeys, prometheus.CounterValue, float64(ho.KeysSent))
	ch <- prometheus.MustNewConstMetric(c.hoBytes, prometheus.CounterValue, float64(ho.BytesSent))
	ch <- prometheus.MustNewConstMetric(c.hoReceived, prometheus.CounterValue, float64(ho.KeysReceived))
	ch <- prometheus.MustNewConstMetric(c.hoFetched, prometheus.CounterValue, float64(ho.KeysFetched))
	ch <- prometheus.MustNewConstMetric(c.hoSkipped, prometheus.CounterValue, float64(ho.Skipped))
	ch <- prometheus.MustNewConstMetric(c.hoConflicts, prometheus.CounterValue, float64(ho.Conflicts))
	ch <- prometheus.MustNewConstMetric(c.hoPending, prometheus.GaugeValue, float64(ho.SlotsPending))
	ch <- prometheus.MustNewConstMetric(c.hoImporting, prometheus.GaugeValue, float64(ho.SlotsImporting))
	for _, p := range c.srv.ForwardStats() {
		ch <- prometheus.MustNewConstMetric(c.forwarded, prometheus.CounterValue, float64(p.Commands), p.Peer)
		ch <- prometheus.MustNewConstMetric(c.batches, prometheus.CounterValue, float64(p.Batches), p.Peer)
		ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(p.Errors), p.Peer)
		buckets, count := cumulativeBuckets(c.sizeBounds, p.BatchSizes[:])
		ch <- prometheus.MustNewConstHistogram(c.batchSize, count, float64(p.Commands), buckets, p.Peer)
	}
}
