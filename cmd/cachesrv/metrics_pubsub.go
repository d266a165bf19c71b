package main

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/cachesrv/cachesrv/protocol"
)

// pubsubCollector exports pub/sub and client-side caching: subscriptions,
// the tracking table's size and the invalidations sent.
type pubsubCollector struct {
	srv *protocol.Server

	channels, trackingClients, trackedKeys, trackingItems, trackingBytes, invalidations, outputLimit *prometheus.Desc
}

func newPubSubCollector(srv *protocol.Server) *pubsubCollector {
	return &pubsubCollector{
		srv:             srv,
		channels:        newDesc("pubsub_channels", "Channels, patterns and shard channels with at least one subscriber.", "kind"),
		trackingClients: newDesc("tracking_clients", "Connections with CLIENT TRACKING on."),
		trackedKeys:     newDesc("tracking_keys", "Keys in the client-side caching table (bounded by tracking-table-max-keys)."),
		trackingItems:   newDesc("tracking_items", "Client entries over the tracked keys (a key read by three clients counts three)."),
		trackingBytes:   newDesc("tracking_table_bytes", "Memory of the client-side caching table, estimated from its entries."),
		invalidations:   newDesc("tracking_invalidations_total", "Invalidation messages sent to clients (null ones included)."),
		outputLimit:     newDesc("client_output_limit_disconnections_total", "Clients closed because their unsent replies or messages passed client-output-buffer-limit."),
	}
}

func (c *pubsubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.channels, c.trackingClients, c.trackedKeys, c.trackingItems, c.trackingBytes, c.invalidations, c.outputLimit} {
		ch <- d
	}
}

func (c *pubsubCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.srv.PubSubStats()
	ch <- prometheus.MustNewConstMetric(c.channels, prometheus.GaugeValue, float64(s.Channels), "channel")
	ch <- prometheus.MustNewConstMetric(c.channels, prometheus.GaugeValue, float64(s.Patterns), "pattern")
	ch <- prometheus.MustNewConstMetric(c.channels, prometheus.GaugeValue, float64(s.ShardChannels), "shard")
	ch <- prometheus.MustNewConstMetric(c.trackingClients, prometheus.GaugeValue, float64(s.TrackingClients))
	ch <- prometheus.MustNewConstMetric(c.trackedKeys, prometheus.GaugeValue, float64(s.TrackedKeys))
	ch <- prometheus.MustNewConstMetric(c.trackingItems, prometheus.GaugeValue, float64(s.TrackingItems))
	ch <- prometheus.MustNewConstMetric(c.trackingBytes, prometheus.GaugeValue, float64(s.TrackingBytes))
	ch <- prometheus.MustNewConstMetric(c.invalidations, prometheus.CounterValue, float64(s.Invalidations))
	ch <- prometheus.MustNewConstMetric(c.outputLimit, prometheus.CounterValue, float64(s.OutputLimitDisconnections))
}
