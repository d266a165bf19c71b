package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// A cluster node whose peers would get -DENIED says so at start.
func TestProtectedClusterWarns(t *testing.T) {
	for _, tc := range []struct {
		args []string
		warn bool
	}{
		{[]string{"--cluster", "--bind", "0.0.0.0"}, true},
		{[]string{"--cluster", "--bind", "10.0.0.5"}, true},
		{[]string{"--cluster", "--bind", "127.0.0.1"}, false},
		{[]string{"--cluster", "--bind", "0.0.0.0", "--protected-mode", "no"}, false},
		{[]string{"--cluster", "--bind", "0.0.0.0", "--requirepass-file", "PW"}, false},
		{[]string{"--bind", "0.0.0.0"}, false},
		{[]string{"--cluster", "--bind", "0.0.0.0", "--gossip-secret-file", "SECRET"}, true},
	} {
		for i, a := range tc.args {
			switch a {
			case "PW":
				tc.args[i] = writeSecret(t, "pw")
			case "SECRET":
				tc.args[i] = writeSecret(t, "cluster secret")
			}
		}
		cfg, _, err := parseConfig(tc.args, &bytes.Buffer{})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		warnProtectedCluster(cfg, slog.New(slog.NewTextHandler(&out, nil)))
		if got := strings.Contains(out.String(), "get -DENIED"); got != tc.warn {
			t.Errorf("%q: warned %v, want %v: %s", tc.args, got, tc.warn, out.String())
		}
		if secret := cfg.Cluster.GossipSecret != ""; tc.warn && strings.Contains(out.String(), "nodes prove the cluster secret") != secret {
			t.Errorf("%q: the warning does not say whether nodes get through: %s", tc.args, out.String())
		}
	}
}
