package monitoring

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAlertRules: promtool accepts alerts.yml and prometheus.yml, and the
// rules' unit tests (alerts_test.yml, synthetic series) pass.
func TestAlertRules(t *testing.T) {
	promtool := needTools(t, "promtool")[0]
	for _, args := range [][]string{
		{"check", "rules", "alerts.yml"},
		{"check", "config", "prometheus.yml"},
		{"test", "rules", "alerts_test.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "../prometheus"
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
			continue
		}
		t.Logf("promtool %s: %s", strings.Join(args, " "), strings.Join(strings.Fields(string(out)), " "))
	}
}
