// Package monitoring holds the tests that run the real monitoring tools
// against cachesrv processes on loopback: Prometheus (with the project's
// scrape configuration and alert rules) over a 3-node cluster, evaluating
// every query of the Grafana dashboard; promtool over the alert rules and
// their unit tests; and Redis's own exporter (redis_exporter) against a
// node. Each test skips with a message when its tools are missing, and
// fails instead when CACHESRV_REQUIRE_MONITORING=1 (.ci/run installs them
// and sets it).
package monitoring
