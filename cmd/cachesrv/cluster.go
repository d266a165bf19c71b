package main

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/protocol"
	"github.com/cachesrv/cachesrv/protocol/config"
)

// joinCluster starts gossip for a node whose RESP listener is at listenAddr
// and makes srv route keys by the cluster's slot table. The returned
// function leaves the cluster gracefully.
func joinCluster(cfg *config.Config, srv *protocol.Server, listenAddr string, log *slog.Logger) (func(), error) {
	cc := cfg.Cluster
	advertise := cc.AdvertiseAddr
	if advertise == "" {
		host, port, _ := net.SplitHostPort(listenAddr)
		if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
			return nil, fmt.Errorf("--bind %s is not an address peers and clients can dial: set --advertise-addr", cfg.Bind)
		}
		advertise = net.JoinHostPort(host, port)
	}
	advertiseTLS, err := peerTLSAddr(cfg, advertise)
	if err != nil {
		return nil, err
	}
	var secret []byte
	if cc.GossipSecret != "" {
		secret = []byte(cc.GossipSecret)
	}
	cl, err := cluster.Start(cluster.Config{
		NodeID:           cc.NodeID,
		BindAddr:         cc.GossipBind,
		BindPort:         cc.GossipPort,
		AdvertiseAddr:    advertise,
		AnnounceAddr:     cc.AnnounceAddr,
		AdvertiseTLSAddr: advertiseTLS,
		Join:             cc.Join,
		Bootstrap:        cc.Bootstrap,
		VNodes:           cc.VNodes,
		Replicas:         cc.Replicas,
		SecretKey:        secret,
		AllowInsecure:    cc.AllowInsecure,
		Logger:           log,
	})
	if errors.Is(err, cluster.ErrNoSecret) {
		return nil, fmt.Errorf("%w; set --gossip-secret (better: --gossip-secret-file, or CACHESRV_GOSSIP_SECRET) to the same secret on every node, "+
			"bind gossip to loopback with --gossip-bind 127.0.0.1, or accept the risk with --cluster-allow-insecure yes", err)
	}
	if err != nil {
		return nil, err
	}
	srv.EnableCluster(cl, cc.Mode)
	st := cl.Stats()
	log.Info("cluster joined", "node_id", cl.ID(), "advertise", advertise, "announce", cl.Self().ClientAddr, "tls_cluster", cmp.Or(advertiseTLS, "no"),
		"members", st.Members, "slots_owned", st.SlotsOwned)
	return func() {
		// Announce the leave, then hand every key to the new owner of its
		// slot while clients are still served (protocol/handoff.go).
		if err := srv.LeaveCluster(cc.LeaveTimeout); err != nil {
			log.Warn("cluster leave", "err", err)
		}
	}, nil
}

// peerTLSAddr is the TLS address a node advertises to its peers with
// tls-cluster: the advertise host with tls-port (the same network reaches
// both ports), "" without tls-cluster.
func peerTLSAddr(cfg *config.Config, advertise string) (string, error) {
	if !cfg.TLS.Cluster() {
		return "", nil
	}
	if !cfg.TLS.Enabled() {
		return "", errors.New("tls-cluster yes needs tls-port")
	}
	host, _, err := net.SplitHostPort(advertise)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(host, strconv.Itoa(cfg.TLS.Port)), nil
}
