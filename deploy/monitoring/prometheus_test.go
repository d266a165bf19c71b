package monitoring

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
	"sigs.k8s.io/yaml"
)

// The values Grafana gives its built-in interval variables with the
// Prometheus data source's default scrape interval (15s):
// $__rate_interval is max($__interval + 15s, 4 × 15s).
var grafanaVars = map[string]string{
	"__rate_interval": "1m",
	"__interval":      "15s",
	"__range":         "5m",
}

// TestPrometheusScrapesCluster runs a real Prometheus with the project's
// scrape configuration (targets rewritten to a loopback cluster) and alert
// rules, drives a short load through every node, and then requires every
// query of the Grafana dashboard to return data, with the node variable at
// All and at one node. Then it kills a node and waits for the node-down
// alert to fire.
func TestPrometheusScrapesCluster(t *testing.T) {
	tools := needTools(t, "prometheus")
	ports := servertest.FreePorts(t, 10)
	resp, gossip, metrics, promPort := ports[0:3], ports[3:6], ports[6:9], ports[9]

	nodes := make([]*node, 3)
	for i := range nodes {
		nodes[i] = startNode(t, fmt.Sprintf("node%d", i+1), resp[i], metrics[i],
			"--cluster", "--node-id", fmt.Sprintf("node%d", i+1),
			"--gossip-port", strconv.Itoa(gossip[i]), "--join", fmt.Sprintf("127.0.0.1:%d", gossip[0]))
	}
	ctx := context.Background()
	if err := waitFor(20*time.Second, 100*time.Millisecond, func() error {
		for i, n := range nodes {
			info, err := n.client.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_known_nodes:3") {
				return fmt.Errorf("node%d: %s", i+1, info)
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("the 3 nodes did not form a cluster: %v", err)
	}

	var targets []string
	for _, n := range nodes {
		targets = append(targets, n.metrics)
	}
	prom := startPrometheus(t, tools[0], promPort, targets)

	// Targets up: every node's scrape succeeds.
	if err := waitFor(30*time.Second, 200*time.Millisecond, func() error {
		return prom.targetsUp(targets)
	}); err != nil {
		t.Fatalf("targets: %v", err)
	}

	ops := driveLoad(t, nodes)
	t.Logf("load: %d commands through 3 nodes", ops)

	// Prometheus has scraped the load once every node's counters show it.
	if err := waitFor(20*time.Second, 200*time.Millisecond, func() error {
		v, err := prom.scalar(`sum(cachesrv_commands_processed_total{job="cachesrv"})`)
		if err != nil {
			return err
		}
		if v < float64(ops) {
			return fmt.Errorf("Prometheus counts %v commands processed, want at least %d", v, ops)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// The dashboard's node variable, as Grafana fills it.
	d := loadDashboard(t)
	instances, err := prom.labelValues(d.instanceQuery(t))
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(instances)
	want := slices.Clone(targets)
	slices.Sort(want)
	if !slices.Equal(instances, want) {
		t.Fatalf("the dashboard's node variable lists %v, want %v", instances, want)
	}

	// Every query, with the node variable at All (Grafana's allValue) and
	// at one node (Grafana escapes a value for a regex match). A rate
	// needs two samples in its window: wait for them, within a deadline.
	exprs := d.exprs()
	allValue := d.instanceAllValue()
	one := strings.ReplaceAll(regexp.QuoteMeta(instances[0]), `\`, `\\`)
	checked := 0
	for _, instance := range []string{allValue, one} {
		for _, e := range exprs {
			q := substitute(t, e.expr, instance)
			var n int
			err := waitFor(15*time.Second, 250*time.Millisecond, func() error {
				var err error
				n, err = prom.count(q)
				if err == nil && n == 0 {
					err = errors.New("no series")
				}
				return err
			})
			if err != nil {
				t.Errorf("panel %d %q: %s: %v", e.panel, e.title, q, err)
				continue
			}
			checked++
		}
	}
	t.Logf("dashboard: %d queries in %d panels, each returned data with the node variable at All and at %s (%d evaluations)",
		len(exprs), d.panelsWithQueries(), instances[0], checked)

	// Kill node3 by its PID: Prometheus's scrape of it fails (up 0), and
	// CachesrvNodeDown fires (its "for" shortened to 0s in this test's
	// copy of the rules); once gossip drops node3, the survivors count 2
	// members of 3 targets and CachesrvClusterMembersMissing fires.
	if err := prom.noAlert("CachesrvNodeDown"); err != nil {
		t.Fatal(err)
	}
	nodes[2].proc.kill()
	killed := nodes[2].metrics
	for _, alert := range []struct {
		name   string
		labels map[string]string
	}{
		{"CachesrvNodeDown", map[string]string{"instance": killed, "job": "cachesrv", "severity": "critical"}},
		{"CachesrvClusterMembersMissing", map[string]string{"instance": nodes[0].metrics, "job": "cachesrv"}},
	} {
		start := time.Now()
		if err := waitFor(45*time.Second, 250*time.Millisecond, func() error {
			return prom.firing(alert.name, alert.labels)
		}); err != nil {
			t.Errorf("after killing node3: %v", err)
			continue
		}
		t.Logf("%s fired %s after the kill", alert.name, time.Since(start).Round(100*time.Millisecond))
	}
}

// startPrometheus writes a configuration made from the project's
// deploy/prometheus/prometheus.yml, with the cachesrv job's targets
// replaced by the loopback nodes, a 1s scrape and evaluation interval, and
// a copy of the project's alerts.yml with every "for" set to 0s, then
// runs Prometheus on it.
func startPrometheus(t *testing.T, bin string, port int, targets []string) *promAPI {
	t.Helper()
	dir := t.TempDir()
	cfg := map[string]any{}
	data, err := os.ReadFile("../prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	cfg["global"] = map[string]any{"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"}
	jobs, _ := cfg["scrape_configs"].([]any)
	if len(jobs) != 1 {
		t.Fatalf("prometheus.yml: %d scrape jobs, want the one cachesrv job", len(jobs))
	}
	job := jobs[0].(map[string]any)
	if job["job_name"] != "cachesrv" {
		t.Fatalf("prometheus.yml: job %v, want cachesrv (the alert rules select job=\"cachesrv\")", job["job_name"])
	}
	job["static_configs"] = []any{map[string]any{"targets": targets}}

	ruleFiles, _ := cfg["rule_files"].([]any)
	if !slices.Contains(ruleFiles, any("alerts.yml")) {
		t.Fatalf("prometheus.yml: rule_files %v, want alerts.yml", ruleFiles)
	}
	var rules []any
	for _, f := range ruleFiles {
		text, err := os.ReadFile(filepath.Join("../prometheus", f.(string)))
		if err != nil {
			t.Fatal(err)
		}
		short := regexp.MustCompile(`(?m)^(\s+for:\s*)\S+\s*$`).ReplaceAll(text, []byte("${1}0s"))
		copyPath := filepath.Join(dir, filepath.Base(f.(string)))
		if err := os.WriteFile(copyPath, short, 0o644); err != nil {
			t.Fatal(err)
		}
		rules = append(rules, copyPath)
	}
	cfg["rule_files"] = rules
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, out, 0o644); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p := start(t, "prometheus", bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	api := &promAPI{base: "http://" + addr}
	if err := waitFor(30*time.Second, 100*time.Millisecond, func() error {
		if p.exited() {
			return fmt.Errorf("prometheus exited:\n%s", tail(p.output(), 20))
		}
		_, err := httpGet(api.base + "/-/ready")
		return err
	}); err != nil {
		t.Fatalf("prometheus not ready: %v", err)
	}
	// The rules loaded: all of alerts.yml's groups are evaluated.
	body, err := httpGet(api.base + "/api/v1/rules?type=alert")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Data struct {
			Groups []struct {
				Rules []struct{ Name string }
			}
		}
	}
	json.Unmarshal(body, &r)
	loaded := 0
	for _, g := range r.Data.Groups {
		loaded += len(g.Rules)
	}
	if loaded < 8 {
		t.Fatalf("prometheus loaded %d alert rules, want alerts.yml's 8:\n%s", loaded, body)
	}
	return api
}

// driveLoad writes and reads keys through every node with plain clients,
// so that each node forwards the keys other nodes own, and sends one
// command that fails and one refused for arity on each. It returns the
// number of commands sent.
func driveLoad(t *testing.T, nodes []*node) int {
	t.Helper()
	ctx := context.Background()
	ops := 0
	const keys = 1500
	for i := range keys {
		c := nodes[i%len(nodes)].client
		key := fmt.Sprintf("monitoring:%d", i)
		if err := c.Set(ctx, key, strconv.Itoa(i), 0).Err(); err != nil {
			t.Fatalf("SET %s: %v", key, err)
		}
		other := nodes[(i+1)%len(nodes)].client
		if v, err := other.Get(ctx, key).Result(); err != nil || v != strconv.Itoa(i) {
			t.Fatalf("GET %s = %q, %v", key, v, err)
		}
		ops += 2
		if i%5 == 0 {
			if err := c.Get(ctx, key+":missing").Err(); !errors.Is(err, redis.Nil) {
				t.Fatalf("GET of a missing key: %v", err)
			}
			ops++
		}
	}
	for _, n := range nodes {
		n.client.Set(ctx, "monitoring:text", "x", 0)
		n.client.Do(ctx, "incr", "monitoring:text")  // fails: not an integer
		n.client.Do(ctx, "get", "monitoring:a", "b") // refused: wrong arity
		n.client.Set(ctx, "monitoring:ttl", "x", time.Hour)
		ops += 4
	}
	return ops
}

// promAPI asks Prometheus's HTTP API.
type promAPI struct{ base string }

type promResult struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

func (p *promAPI) query(q string) (*promResult, error) {
	body, err := httpGet(p.base + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	var r promResult
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("%s: %s", r.ErrorType, r.Error)
	}
	return &r, nil
}

// count is the number of series an instant query returns.
func (p *promAPI) count(q string) (int, error) {
	r, err := p.query(q)
	if err != nil {
		return 0, err
	}
	if r.Data.ResultType == "scalar" {
		return 1, nil
	}
	return len(r.Data.Result), nil
}

// scalar is the value of a query that returns one series.
func (p *promAPI) scalar(q string) (float64, error) {
	r, err := p.query(q)
	if err != nil {
		return 0, err
	}
	if len(r.Data.Result) != 1 {
		return 0, fmt.Errorf("%s: %d series, want 1", q, len(r.Data.Result))
	}
	s, _ := r.Data.Result[0].Value[1].(string)
	return strconv.ParseFloat(s, 64)
}

// labelValues answers Grafana's label_values(metric, label).
func (p *promAPI) labelValues(metric, label string) ([]string, error) {
	body, err := httpGet(p.base + "/api/v1/label/" + label + "/values?match[]=" + url.QueryEscape(metric))
	if err != nil {
		return nil, err
	}
	var r struct {
		Data []string `json:"data"`
	}
	return r.Data, json.Unmarshal(body, &r)
}

func (p *promAPI) targetsUp(want []string) error {
	body, err := httpGet(p.base + "/api/v1/targets?state=active")
	if err != nil {
		return err
	}
	var r struct {
		Data struct {
			ActiveTargets []struct {
				Labels    map[string]string `json:"labels"`
				Health    string            `json:"health"`
				LastError string            `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return err
	}
	up := map[string]bool{}
	var bad []string
	for _, tg := range r.Data.ActiveTargets {
		if tg.Labels["job"] == "cachesrv" && tg.Health == "up" {
			up[tg.Labels["instance"]] = true
		} else {
			bad = append(bad, fmt.Sprintf("%s %s %s", tg.Labels["instance"], tg.Health, tg.LastError))
		}
	}
	for _, w := range want {
		if !up[w] {
			return fmt.Errorf("target %s not up (others: %v)", w, bad)
		}
	}
	return nil
}

type promAlert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
}

func (p *promAPI) alerts() ([]promAlert, error) {
	body, err := httpGet(p.base + "/api/v1/alerts")
	if err != nil {
		return nil, err
	}
	var r struct {
		Data struct {
			Alerts []promAlert `json:"alerts"`
		} `json:"data"`
	}
	return r.Data.Alerts, json.Unmarshal(body, &r)
}

// firing: an alert of that name with those labels is firing.
func (p *promAPI) firing(name string, labels map[string]string) error {
	alerts, err := p.alerts()
	if err != nil {
		return err
	}
	var seen []string
next:
	for _, a := range alerts {
		seen = append(seen, fmt.Sprintf("%s %v", a.State, a.Labels))
		if a.Labels["alertname"] != name || a.State != "firing" {
			continue
		}
		for k, v := range labels {
			if a.Labels[k] != v {
				continue next
			}
		}
		return nil
	}
	return fmt.Errorf("no firing %s %v; alerts: %v", name, labels, seen)
}

func (p *promAPI) noAlert(name string) error {
	alerts, err := p.alerts()
	if err != nil {
		return err
	}
	for _, a := range alerts {
		if a.Labels["alertname"] == name {
			return fmt.Errorf("%s is %s before any node is down: %v", name, a.State, a.Labels)
		}
	}
	return nil
}

// The dashboard, as much of it as these tests read.
type dashboard struct {
	Panels     []dashPanel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Definition string          `json:"definition"`
			AllValue   string          `json:"allValue"`
			Query      json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type dashPanel struct {
	ID      int        `json:"id"`
	Title   string     `json:"title"`
	Targets []struct { //
		Expr string `json:"expr"`
	} `json:"targets"`
	Panels []dashPanel `json:"panels"` // a collapsed row's
}

type dashExpr struct {
	panel int
	title string
	expr  string
}

func loadDashboard(t *testing.T) *dashboard {
	t.Helper()
	data, err := os.ReadFile("../grafana/cachesrv.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatal(err)
	}
	return &d
}

func (d *dashboard) exprs() []dashExpr {
	var out []dashExpr
	var walk func([]dashPanel)
	walk = func(ps []dashPanel) {
		for _, p := range ps {
			for _, tg := range p.Targets {
				if strings.TrimSpace(tg.Expr) != "" {
					out = append(out, dashExpr{p.ID, p.Title, tg.Expr})
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

func (d *dashboard) panelsWithQueries() int {
	ids := map[int]bool{}
	for _, e := range d.exprs() {
		ids[e.panel] = true
	}
	return len(ids)
}

// instanceQuery reads the node variable's label_values(metric, label).
func (d *dashboard) instanceQuery(t *testing.T) (metric, label string) {
	t.Helper()
	for _, v := range d.Templating.List {
		if v.Name != "instance" {
			continue
		}
		m := regexp.MustCompile(`^label_values\(\s*([^,]+?)\s*,\s*(\w+)\s*\)$`).FindStringSubmatch(v.Definition)
		if m == nil {
			t.Fatalf("the instance variable's query %q is not label_values(metric, label)", v.Definition)
		}
		return m[1], m[2]
	}
	t.Fatal("the dashboard has no instance variable")
	return "", ""
}

func (d *dashboard) instanceAllValue() string {
	for _, v := range d.Templating.List {
		if v.Name == "instance" && v.AllValue != "" {
			return v.AllValue
		}
	}
	return ".*"
}

var varRE = regexp.MustCompile(`\$\{(\w+)\}|\$(\w+)`)

// substitute fills in the dashboard's variables as Grafana would; a
// variable it does not know fails the test.
func substitute(t *testing.T, expr, instance string) string {
	t.Helper()
	return varRE.ReplaceAllStringFunc(expr, func(m string) string {
		sub := varRE.FindStringSubmatch(m)
		name := sub[1] + sub[2]
		if name == "instance" {
			return instance
		}
		if v, ok := grafanaVars[name]; ok {
			return v
		}
		t.Errorf("%s: unknown variable $%s", expr, name)
		return m
	})
}
