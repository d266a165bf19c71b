package grafana

import (
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// The dashboard, decoded strictly: a key this struct does not know (a
// misspelt "gridpos", a "target" for "targets") fails the test.
type dashboard struct {
	Annotations struct {
		List []any `json:"list"`
	} `json:"annotations"`
	Description   string   `json:"description"`
	Editable      bool     `json:"editable"`
	GraphTooltip  int      `json:"graphTooltip"`
	Links         []any    `json:"links"`
	Panels        []panel  `json:"panels"`
	Refresh       string   `json:"refresh"`
	SchemaVersion int      `json:"schemaVersion"`
	Tags          []string `json:"tags"`
	Templating    struct {
		List []tvar `json:"list"`
	} `json:"templating"`
	Time struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"time"`
	Timepicker map[string]any `json:"timepicker"`
	Timezone   string         `json:"timezone"`
	Title      string         `json:"title"`
	UID        string         `json:"uid"`
	Version    int            `json:"version"`
}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int    `json:"id"`
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Datasource  *dsRef `json:"datasource"`
	GridPos     struct {
		H int `json:"h"`
		W int `json:"w"`
		X int `json:"x"`
		Y int `json:"y"`
	} `json:"gridPos"`
	FieldConfig json.RawMessage `json:"fieldConfig"`
	Options     json.RawMessage `json:"options"`
	Targets     []target        `json:"targets"`
	Collapsed   bool            `json:"collapsed"`
	Panels      []panel         `json:"panels"`
}

type target struct {
	RefID        string `json:"refId"`
	Datasource   *dsRef `json:"datasource"`
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
	Range        bool   `json:"range"`
	Format       string `json:"format"`
}

type tvar struct {
	Name       string          `json:"name"`
	Label      string          `json:"label"`
	Type       string          `json:"type"`
	Datasource *dsRef          `json:"datasource"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   string          `json:"allValue"`
	Current    json.RawMessage `json:"current"`
	Hide       int             `json:"hide"`
	Refresh    int             `json:"refresh"`
	Regex      string          `json:"regex"`
	Sort       int             `json:"sort"`
	Options    []any           `json:"options"`
}

func load(t *testing.T) (*dashboard, []byte) {
	t.Helper()
	data, err := os.ReadFile("cachesrv.json")
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) {
		t.Fatal("cachesrv.json is not valid JSON")
	}
	// Case-sensitive, unlike encoding/json: "gridpos" is not "gridPos"
	// to Grafana.
	var d dashboard
	strictErrs, err := kjson.UnmarshalStrict(data, &d, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err = errors.Join(append(strictErrs, err)...); err != nil {
		t.Fatalf("cachesrv.json: %v", err)
	}
	return &d, data
}

// metricRE finds metric names in PromQL: the server's own, and the Go
// runtime's and process's that its registry also exports.
var metricRE = regexp.MustCompile(`\b((?:cachesrv|go|process)_[a-z0-9_]+)\b`)

// ExprMetrics returns the metric names the dashboard's queries use.
func exprMetrics(d *dashboard) map[string]bool {
	names := map[string]bool{}
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			for _, m := range metricRE.FindAllString(tg.Expr, -1) {
				names[m] = true
			}
		}
	}
	return names
}

func TestDashboard(t *testing.T) {
	d, _ := load(t)
	if d.UID == "" || d.Title == "" || d.SchemaVersion < 36 {
		t.Errorf("uid %q, title %q, schemaVersion %d", d.UID, d.Title, d.SchemaVersion)
	}
	vars := map[string]tvar{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v := vars["datasource"]; v.Type != "datasource" || string(v.Query) != `"prometheus"` {
		t.Errorf("want a Prometheus data source variable, have %+v", v)
	}
	if v := vars["instance"]; v.Type != "query" || !v.IncludeAll || !strings.Contains(v.Definition, "cachesrv_") {
		t.Errorf("want a multi-value instance variable from cachesrv metrics, have %+v", v)
	}

	// Layout: unique ids, panels within the 24-column grid, none overlapping.
	ids := map[int]bool{}
	taken := map[[2]int]int{}
	kinds := []string{"row", "timeseries", "stat", "heatmap", "bargauge"}
	for _, p := range d.Panels {
		if ids[p.ID] {
			t.Errorf("panel id %d used twice", p.ID)
		}
		ids[p.ID] = true
		if !slices.Contains(kinds, p.Type) {
			t.Errorf("panel %q: type %q", p.Title, p.Type)
		}
		g := p.GridPos
		if g.W < 1 || g.H < 1 || g.X < 0 || g.X+g.W > 24 || g.Y < 0 {
			t.Errorf("panel %q: gridPos %+v outside the grid", p.Title, g)
		}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, ok := taken[[2]int{x, y}]; ok {
					t.Fatalf("panel %q overlaps panel %d at (%d,%d)", p.Title, other, x, y)
				}
				taken[[2]int{x, y}] = p.ID
			}
		}
		if p.Type == "row" {
			continue
		}
		if p.Title == "" || len(p.Targets) == 0 || p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %d %q: want a title, queries and the ${datasource} variable", p.ID, p.Title)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if refs[tg.RefID] || tg.RefID == "" {
				t.Errorf("panel %q: refId %q empty or repeated", p.Title, tg.RefID)
			}
			refs[tg.RefID] = true
			if tg.Datasource == nil || tg.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q %s: query not on the ${datasource} variable", p.Title, tg.RefID)
			}
			checkExpr(t, p.Title, tg.Expr)
		}
	}

	// What the dashboard is for: each of these has a panel.
	has := func(typ, substr string) bool {
		for _, p := range d.Panels {
			for _, tg := range p.Targets {
				if (typ == "" || p.Type == typ) && strings.Contains(tg.Expr, substr) {
					return true
				}
			}
		}
		return false
	}
	for _, want := range []struct{ what, typ, substr string }{
		{"throughput", "timeseries", "rate(cachesrv_commands_processed_total"},
		{"hit ratio", "timeseries", "cachesrv_keyspace_misses_total"},
		{"latency", "timeseries", "histogram_quantile(0.99, sum by (le, cmd) (rate(cachesrv_command_duration_seconds_bucket"},
		{"memory", "timeseries", "cachesrv_arena_bytes"},
		{"per-shard contention heat map", "heatmap", "sum by (shard) (rate(cachesrv_shard_lock_contended_total"},
		{"cluster members", "timeseries", "cachesrv_cluster_members"},
		{"forwarding", "timeseries", "cachesrv_forwarded_commands_total"},
		{"forward errors", "timeseries", "cachesrv_forward_errors_total"},
	} {
		if !has(want.typ, want.substr) {
			t.Errorf("no %s panel using %q", want.what, want.substr)
		}
	}
}

// checkExpr catches what breaks a query without a Prometheus to ask:
// unbalanced brackets or quotes, and a cachesrv metric not filtered by the
// instance variable.
func checkExpr(t *testing.T, panel, expr string) {
	t.Helper()
	if strings.TrimSpace(expr) == "" {
		t.Errorf("panel %q: empty query", panel)
		return
	}
	var stack []rune
	inQuote := false
	pairs := map[rune]rune{')': '(', '}': '{', ']': '['}
	for _, r := range expr {
		switch {
		case r == '"':
			inQuote = !inQuote
		case inQuote:
		case r == '(' || r == '{' || r == '[':
			stack = append(stack, r)
		case pairs[r] != 0:
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				t.Errorf("panel %q: unbalanced %q in %s", panel, r, expr)
				return
			}
			stack = stack[:len(stack)-1]
		}
	}
	if inQuote || len(stack) > 0 {
		t.Errorf("panel %q: unclosed quote or bracket in %s", panel, expr)
	}
	for _, loc := range metricRE.FindAllStringIndex(expr, -1) {
		rest := expr[loc[1]:]
		if !strings.HasPrefix(rest, `{instance=~"$instance"`) {
			t.Errorf("panel %q: %s is not filtered by the instance variable in %s", panel, expr[loc[0]:loc[1]], expr)
		}
	}
}

// TestDashboardMetricsAreDocumented: every metric the dashboard queries is
// one deploy/README.md's metrics reference documents (the end-to-end test
// also finds each in a real scrape of a running cluster).
func TestDashboardMetricsAreDocumented(t *testing.T) {
	d, _ := load(t)
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	documented := map[string]bool{}
	for _, m := range regexp.MustCompile("`(cachesrv_[a-z0-9_]+)`").FindAllSubmatch(readme, -1) {
		documented[string(m[1])] = true
	}
	for name := range exprMetrics(d) {
		if !strings.HasPrefix(name, "cachesrv_") {
			continue // go_* and process_*: client_golang's standard collectors
		}
		base := name
		for _, suffix := range []string{"_bucket", "_sum", "_count"} {
			if b, ok := strings.CutSuffix(name, suffix); ok && documented[b] {
				base = b
			}
		}
		if !documented[base] {
			t.Errorf("the dashboard queries %s, which deploy/README.md does not list", name)
		}
	}
}

// TestProvisioning: the provisioning files parse, and point where
// deploy/compose.yaml puts the dashboard and Prometheus.
func TestProvisioning(t *testing.T) {
	var ds struct {
		APIVersion  int `json:"apiVersion"`
		Datasources []struct {
			Name      string `json:"name"`
			Type      string `json:"type"`
			UID       string `json:"uid"`
			Access    string `json:"access"`
			URL       string `json:"url"`
			IsDefault bool   `json:"isDefault"`
		} `json:"datasources"`
	}
	var dash struct {
		APIVersion int `json:"apiVersion"`
		Providers  []struct {
			Name            string `json:"name"`
			Type            string `json:"type"`
			DisableDeletion bool   `json:"disableDeletion"`
			Options         struct {
				Path string `json:"path"`
			} `json:"options"`
		} `json:"providers"`
	}
	for file, v := range map[string]any{
		"provisioning/datasources/prometheus.yaml": &ds,
		"provisioning/dashboards/cachesrv.yaml":    &dash,
	} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		js, err := yaml.YAMLToJSONStrict(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		strictErrs, err := kjson.UnmarshalStrict(js, v, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
		if err = errors.Join(append(strictErrs, err)...); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	if len(ds.Datasources) != 1 || ds.Datasources[0].Type != "prometheus" || ds.Datasources[0].URL != "http://prometheus:9090" {
		t.Errorf("datasource %+v: want Prometheus at the compose service prometheus:9090", ds.Datasources)
	}
	compose, err := os.ReadFile("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(dash.Providers) != 1 || !strings.Contains(string(compose), "./grafana/cachesrv.json:"+dash.Providers[0].Options.Path+"/cachesrv.json") {
		t.Errorf("dashboard provider %+v: compose.yaml does not mount cachesrv.json into its path", dash.Providers)
	}
}
