package cluster

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestReplicaIsNextOwner checks the property failover rests on: without
// a slot's owner, the ring gives the slot to its first replica; without
// its first replica too, to its second; and the replicas are distinct
// nodes other than the owner, as many as the cluster allows.
func TestReplicaIsNextOwner(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 16))
	for trial := range 12 {
		n := 2 + trial%5
		r := 1 + trial%3
		var nodes []string
		for i := range n {
			nodes = append(nodes, fmt.Sprintf("node-%d-%x", i, rng.Uint64()))
		}
		tb := BuildTable(nodes, 64).withReplicas(r)
		want := min(r, n-1)
		for s := range NumSlots {
			reps := tb.Replicas(nil, s)
			if len(reps) != want {
				t.Fatalf("%d nodes, %d replicas: slot %d has %d replicas", n, r, s, len(reps))
			}
			all := append([]int{tb.Owner(s)}, reps...)
			sorted := slices.Clone(all)
			slices.Sort(sorted)
			if len(slices.Compact(sorted)) != len(all) {
				t.Fatalf("slot %d: owner and replicas %v are not distinct", s, all)
			}
		}
		// Take away the owner of each slot: its first replica owns it.
		for victim := range nodes {
			without := tb.Without(nodes[victim])
			for s := range NumSlots {
				if tb.Owner(s) != victim {
					if without.Nodes()[without.Owner(s)] != nodes[tb.Owner(s)] {
						t.Fatalf("slot %d moved although its owner stayed", s)
					}
					continue
				}
				first := tb.Nodes()[tb.Replicas(nil, s)[0]]
				if got := without.Nodes()[without.Owner(s)]; got != first {
					t.Fatalf("slot %d: owner %s gone, new owner %s, first replica %s", s, nodes[victim], got, first)
				}
				if without.ReplicaCount() != r {
					t.Fatal("Without dropped the replica count")
				}
			}
		}
	}
}

func TestReplicaRanges(t *testing.T) {
	tb := BuildTable([]string{"a", "b", "c"}, 16).withReplicas(1)
	next := 0
	for _, rr := range tb.ReplicaRanges() {
		if rr.First != next || rr.Last < rr.First {
			t.Fatalf("range %+v after %d", rr, next)
		}
		for s := rr.First; s <= rr.Last; s++ {
			if tb.Owner(s) != rr.Node || !slices.Equal(tb.Replicas(nil, s), rr.Replicas) {
				t.Fatalf("slot %d does not match its range %+v", s, rr)
			}
			if !tb.IsReplica(s, rr.Replicas[0]) || tb.IsReplica(s, rr.Node) {
				t.Fatalf("IsReplica wrong for slot %d", s)
			}
		}
		next = rr.Last + 1
	}
	if next != NumSlots {
		t.Fatalf("ranges end at %d", next)
	}
	if BuildTable([]string{"a"}, 16).withReplicas(2).Replicas(nil, 5) != nil {
		t.Fatal("a single node has replicas")
	}
}
