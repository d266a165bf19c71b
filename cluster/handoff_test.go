package cluster

import "testing"

// Without gives the table the remaining nodes build by themselves: where
// a leaving node's slots go, and where a joining node's slots were.
func TestTableWithout(t *testing.T) {
	full := BuildTable([]string{"a", "b", "c"}, 64)
	two := BuildTable([]string{"a", "c"}, 64)
	if got := full.Without("b"); !got.Equal(two) {
		t.Fatalf("Without(b) moves %d slots from the table of a and c", Moved(two, got))
	}
	if full.Without("nobody") != full {
		t.Fatal("Without of a node not in the table is not the table itself")
	}
	if got := full.Without("a").Without("b").Without("c"); got.Len() != 0 || got.Owner(0) != -1 {
		t.Fatalf("a table without all its nodes: %d nodes, slot 0 owned by %d", got.Len(), got.Owner(0))
	}
}

// A node's departure is remembered with whether it was announced.
func TestDepartures(t *testing.T) {
	c := &Cluster{}
	c.departed.note("gone", meta{Version: 1, RESP: "127.0.0.1:7000", VNodes: 8, Leaving: true}.encode())
	c.departed.note("failed", meta{Version: 1, RESP: "127.0.0.1:7001", VNodes: 8}.encode())
	if !c.LeftGracefully("gone") || c.LeftGracefully("failed") || c.LeftGracefully("unknown") {
		t.Fatal("LeftGracefully does not tell an announced leave from a failure")
	}
	if m, ok := c.DepartedAt("127.0.0.1:7000"); !ok || m.ID != "gone" {
		t.Fatalf("DepartedAt = %+v, %v", m, ok)
	}
	c.departed.forget("gone")
	if c.LeftGracefully("gone") {
		t.Fatal("a member that came back still counts as departed")
	}
}
