package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestClusterRefusesReachableGossipWithoutSecret: a cluster node whose
// gossip other hosts could reach does not start without a secret, and
// says which flags fix it; --cluster-allow-insecure lets it past with a
// warning. 192.0.2.1 is a documentation address this host does not have,
// so nothing is bound: past the check, the node fails to bind it.
func TestClusterRefusesReachableGossipWithoutSecret(t *testing.T) {
	args := []string{"--cluster", "--port", "0", "--metrics-addr", "", "--gossip-bind", "192.0.2.1", "--gossip-port", "0"}
	var out bytes.Buffer
	if code := run(args, &out, &out); code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out.String())
	}
	for _, want := range []string{"no cluster secret", "--gossip-secret", "--cluster-allow-insecure yes", "192.0.2.1"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("refusal lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	if code := run(append(args, "--cluster-allow-insecure", "yes"), &out, &out); code != 1 {
		t.Fatalf("insecure allowed: exit %d, want 1 (cannot bind 192.0.2.1):\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "INSECURE CLUSTER") || strings.Contains(out.String(), "--cluster-allow-insecure yes") {
		t.Errorf("insecure allowed: want the warning and no refusal:\n%s", out.String())
	}

	out.Reset()
	if code := run(append(args, "--gossip-secret", "correct horse"), &out, &out); code != 1 || strings.Contains(out.String(), "--cluster-allow-insecure yes") {
		t.Errorf("with a secret: exit %d, want 1 for the bind alone:\n%s", code, out.String())
	}
}
