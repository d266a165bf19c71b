// Package cluster is the part of cachesrv that spans machines: it decides
// which node owns which key, and keeps that decision current as nodes come
// and go.
//
// Three layers, each usable on its own:
//
//   - Slot maps a key to one of 16384 hash slots exactly as Redis Cluster
//     does (CRC16 with {hash tags}), so cluster-aware Redis clients compute
//     the same slot and route by themselves.
//   - BuildTable places every node on a consistent-hash ring with virtual
//     nodes and evaluates it into a Table of 16384 owners, so routing is one
//     array read and a membership change moves only the slots it must.
//   - Start joins a gossip cluster (hashicorp/memberlist, SWIM failure
//     detection) and keeps a current Table: every join, graceful leave or
//     failure builds a new Table and swaps it in atomically. Membership
//     is proof of the cluster secret (Config.SecretKey, secret.go): gossip
//     is encrypted and authenticated with it, and Start refuses a gossip
//     address other hosts can reach without one unless told otherwise.
//
// The package knows nothing of RESP, the store or forwarding; the protocol
// layer asks it who owns a slot and where that node listens.
package cluster
