package monitoring

import (
	"os"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestAlertRulesCovered: every alert in alerts.yml has a unit test in
// alerts_test.yml that shows it firing, and deploy/README.md explains it.
// Needs no tools.
func TestAlertRulesCovered(t *testing.T) {
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert  string            `json:"alert"`
				Labels map[string]string `json:"labels"`
			} `json:"rules"`
		} `json:"groups"`
	}
	var tests struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `json:"alertname"`
				ExpAlerts []any  `json:"exp_alerts"`
			} `json:"alert_rule_test"`
		} `json:"tests"`
	}
	for file, v := range map[string]any{"../prometheus/alerts.yml": &rules, "../prometheus/alerts_test.yml": &tests} {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if err := yaml.Unmarshal(data, v); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	fires := map[string]bool{}
	for _, tc := range tests.Tests {
		for _, a := range tc.AlertRuleTest {
			if len(a.ExpAlerts) > 0 {
				fires[a.Alertname] = true
			}
		}
	}
	n := 0
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			n++
			if !fires[r.Alert] {
				t.Errorf("alerts_test.yml never shows %s firing", r.Alert)
			}
			if s := r.Labels["severity"]; s != "critical" && s != "warning" {
				t.Errorf("%s: severity %q, want critical or warning", r.Alert, s)
			}
			if !strings.Contains(string(readme), "`"+r.Alert+"`") {
				t.Errorf("deploy/README.md does not explain %s", r.Alert)
			}
		}
	}
	if n < 8 {
		t.Errorf("alerts.yml has %d alerts, want at least 8", n)
	}
}
