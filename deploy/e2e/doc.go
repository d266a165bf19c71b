// Package e2e is the end-to-end test of deploy/: it builds the image,
// starts the 3-node cluster of deploy/compose.yaml in real containers,
// talks to it from the host with go-redis, kills a node, cuts one off the
// network, restarts all of them one at a time under load, and tears it all
// down, reporting how long the cluster took to converge after each step.
//
//	cd deploy && go test -v -run TestComposeCluster ./e2e
//
// It needs a Docker Engine and Compose (docker compose or docker-compose);
// without them it skips, unless CACHESRV_REQUIRE_DOCKER=1.
package e2e
