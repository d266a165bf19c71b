package main

import (
	"log/slog"
	"net/netip"

	"github.com/cachesrv/cachesrv/protocol/config"
)

// warnProtectedCluster warns a cluster node that protected mode will
// refuse clients from other hosts: with no password protected mode
// answers them -DENIED. Its peers reach the RESP port from other hosts
// too (Redis Cluster's bus is a port of its own; here peers forward over
// the RESP port): they get through by proving the cluster secret
// (CACHESRV.PEER), and without one they are refused as well. Bound to
// loopback, every client and peer is local.
func warnProtectedCluster(cfg *config.Config, log *slog.Logger) {
	if !cfg.Cluster.Enabled || !cfg.ProtectedMode.Load() || cfg.Requirepass() != "" {
		return
	}
	if ip, err := netip.ParseAddr(cfg.Bind); err == nil && ip.IsLoopback() {
		return
	}
	who := "nodes and clients on other hosts get -DENIED"
	if cfg.Cluster.GossipSecret != "" {
		who = "clients on other hosts get -DENIED (nodes prove the cluster secret and get through)"
	}
	log.Warn("protected mode is on and there is no password: "+who+"; "+
		"set --requirepass-file (or CACHESRV_REQUIREPASS) on every node, or --protected-mode no where the network is trusted",
		"bind", cfg.Bind)
}
