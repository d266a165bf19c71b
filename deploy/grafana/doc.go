// Package grafana holds cachesrv's Grafana dashboard (cachesrv.json),
// the provisioning files that load it in deploy/compose.yaml, and the test
// that checks the dashboard's JSON and its queries.
package grafana
