// Package deploy holds what runs cachesrv in containers: the image
// (Dockerfile, build.sh), a 3-node Compose cluster (compose.yaml), the
// Prometheus scrape config, and, in subdirectories, Kubernetes manifests
// (k8s/), a Grafana dashboard (grafana/) and the end-to-end test across
// containers (e2e/). It is its own Go module, so the server's module does
// not depend on the Kubernetes API packages its tests use.
package deploy
