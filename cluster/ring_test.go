package cluster

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/cespare/xxhash/v2"
)

// naiveTable is the ring's definition written as plainly as possible: for
// each slot, scan every virtual node for the first one at or after the
// slot's point, else take the lowest one. BuildTable's merge must agree.
func naiveTable(nodes []string, vnodes int) []string {
	type point struct {
		h  uint64
		id string
	}
	var ring []point
	for _, id := range nodes {
		for i := range vnodes {
			ring = append(ring, point{xxhash.Sum64String(id + "#" + strconv.Itoa(i)), id})
		}
	}
	less := func(a, b point) bool { return a.h < b.h || a.h == b.h && a.id < b.id }
	owners := make([]string, NumSlots)
	for s := range owners {
		var b [2]byte
		binary.BigEndian.PutUint16(b[:], uint16(s))
		p := xxhash.Sum64(b[:])
		var best, lowest *point
		for i := range ring {
			v := &ring[i]
			if v.h >= p && (best == nil || less(*v, *best)) {
				best = v
			}
			if lowest == nil || less(*v, *lowest) {
				lowest = v
			}
		}
		if best == nil {
			best = lowest
		}
		owners[s] = best.id
	}
	return owners
}

func TestBuildTableMatchesDefinition(t *testing.T) {
	for _, tc := range []struct {
		nodes  []string
		vnodes int
	}{
		{[]string{"solo"}, 1},
		{[]string{"a", "b"}, 1},
		{[]string{"node-a", "node-b", "node-c"}, 16},
		{[]string{"x", "y", "z", "w", "v"}, 64},
	} {
		table := BuildTable(tc.nodes, tc.vnodes)
		owners := naiveTable(tc.nodes, tc.vnodes)
		for s := range NumSlots {
			if got, want := ownerID(table, s), owners[s]; got != want {
				t.Fatalf("%v V=%d: slot %d owned by %s, ring says %s", tc.nodes, tc.vnodes, s, got, want)
			}
		}
	}
}

func TestSlotPoint(t *testing.T) {
	for _, s := range []int{0, 1, 255, 256, 12182, NumSlots - 1} {
		if got, want := SlotPoint(s), xxhash.Sum64([]byte{byte(s >> 8), byte(s)}); got != want {
			t.Errorf("SlotPoint(%d) = %#x, want xxhash of 2 bytes big-endian %#x", s, got, want)
		}
	}
}

func TestBuildTableDeterministic(t *testing.T) {
	nodes := []string{"n1", "n2", "n3", "n4", "n5", "n6"}
	a := BuildTable(nodes, 128)
	shuffled := slices.Clone(nodes)
	rand.New(rand.NewPCG(7, 7)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	shuffled = append(shuffled, "n3", "n1") // duplicates count once
	b := BuildTable(shuffled, 128)
	if !a.Equal(b) || Moved(a, b) != 0 {
		t.Fatal("the table must depend only on the set of node IDs")
	}
	if !slices.Equal(a.Nodes(), nodes) {
		t.Fatalf("Nodes() = %v, want sorted %v", a.Nodes(), nodes)
	}
	if !a.Equal(BuildTable(nodes, 128)) {
		t.Fatal("two builds differ")
	}
	if a.Equal(BuildTable(nodes, 129)) {
		t.Fatal("a different V gave the same table")
	}
}

func TestEmptyTable(t *testing.T) {
	e := BuildTable(nil, 256)
	if e.Owner(0) != -1 || e.Owner(NumSlots-1) != -1 || ownerID(e, 5) != "" || e.Local(5) {
		t.Fatal("an empty table owns nothing")
	}
	if e.Len() != 0 || e.Ranges() != nil || e.SlotsOf("x") != nil || e.Count("x") != 0 || e.Index("x") != -1 {
		t.Fatal("an empty table has no nodes or ranges")
	}
	one := BuildTable([]string{"x"}, 256)
	if Moved(e, one) != NumSlots || Moved(one, e) != NumSlots || Moved(e, e) != 0 || Moved(nil, one) != NumSlots {
		t.Fatal("Moved between empty and full tables")
	}
	if r := one.Ranges(); len(r) != 1 || r[0] != (SlotRange{0, NumSlots - 1, 0}) {
		t.Fatalf("one node: ranges %v", r)
	}
}

func TestRangesCoverEverySlotOnce(t *testing.T) {
	table := BuildTable([]string{"a", "b", "c", "d", "e"}, 64)
	next, total := 0, 0
	for _, r := range table.Ranges() {
		if r.First != next || r.Last < r.First {
			t.Fatalf("range %v after slot %d", r, next-1)
		}
		for s := r.First; s <= r.Last; s++ {
			if table.Owner(s) != r.Node {
				t.Fatalf("slot %d in %v owned by %d", s, r, table.Owner(s))
			}
		}
		next = r.Last + 1
	}
	if next != NumSlots {
		t.Fatalf("ranges end at %d", next)
	}
	for i, id := range table.Nodes() {
		n := 0
		for _, r := range table.SlotsOf(id) {
			if r.Node != i {
				t.Fatalf("SlotsOf(%s) has range of node %d", id, r.Node)
			}
			n += r.Last - r.First + 1
		}
		if n != table.Count(id) {
			t.Fatalf("SlotsOf(%s) covers %d slots, Count says %d", id, n, table.Count(id))
		}
		total += n
	}
	if total != NumSlots {
		t.Fatalf("nodes own %d slots in all", total)
	}
}

// randomIDs returns n node IDs shaped like the generated ones (40 hex digits).
func randomIDs(rng *rand.Rand, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		var b [24]byte
		for j := 0; j < len(b); j += 8 {
			binary.LittleEndian.PutUint64(b[j:], rng.Uint64())
		}
		ids[i] = hex.EncodeToString(b[:20])
	}
	return ids
}

// maxOverMean is the load of the busiest node relative to a perfect split.
func maxOverMean(t *Table) float64 {
	most := 0
	for _, id := range t.Nodes() {
		most = max(most, t.Count(id))
	}
	return float64(most) * float64(t.Len()) / NumSlots
}

func TestRingBalance(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		vnodes int
		limit  float64
	}{{256, 1.25}, {DefaultVNodes, 1.15}} {
		for n := 3; n <= 10; n++ {
			table := BuildTable(randomIDs(rng, n), tc.vnodes)
			r := maxOverMean(table)
			if r > tc.limit {
				t.Errorf("N=%d V=%d: max/mean %.3f > %.2f", n, tc.vnodes, r, tc.limit)
			}
		}
	}
}

// TestRingMovesOnlyWhatMust checks the consistent-hashing property: a join
// moves slots only to the new node, a leave only away from the leaver, and
// about the ideal share in both cases.
func TestRingMovesOnlyWhatMust(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for n := 3; n <= 10; n++ {
		ids := randomIDs(rng, n+1)
		before, after := BuildTable(ids[:n], 256), BuildTable(ids, 256)
		newcomer := ids[n]
		for s := range NumSlots {
			if ownerID(before, s) != ownerID(after, s) && ownerID(after, s) != newcomer {
				t.Fatalf("N=%d join: slot %d moved %s -> %s, not to the new node", n, s, ownerID(before, s), ownerID(after, s))
			}
		}
		if ratio := float64(Moved(before, after)) / NumSlots * float64(n+1); ratio < 0.7 || ratio > 1.3 {
			t.Errorf("N=%d join: moved %.3f of ideal 1/%d", n, ratio, n+1)
		}

		leaver := ids[rng.IntN(n)]
		rest := slices.DeleteFunc(slices.Clone(ids[:n]), func(id string) bool { return id == leaver })
		gone := BuildTable(rest, 256)
		for s := range NumSlots {
			if ownerID(before, s) != ownerID(gone, s) && ownerID(before, s) != leaver {
				t.Fatalf("N=%d leave: slot %d moved from %s, not from the leaver", n, s, ownerID(before, s))
			}
		}
		if Moved(before, gone) != before.Count(leaver) {
			t.Fatalf("N=%d leave: moved %d, leaver owned %d", n, Moved(before, gone), before.Count(leaver))
		}
		if ratio := float64(Moved(before, gone)) / NumSlots * float64(n); ratio < 0.7 || ratio > 1.3 {
			t.Errorf("N=%d leave: moved %.3f of ideal 1/%d", n, ratio, n)
		}
	}
}

// TestRingWeights checks that a node's virtual node count acts as a weight,
// which is what lets nodes with different --vnodes still agree on a table.
func TestRingWeights(t *testing.T) {
	table := buildTable([]nodeSpec{{id: "big", vnodes: 512}, {id: "small", vnodes: 256}, {id: "other", vnodes: 256}}, "small")
	share := float64(table.Count("big")) / NumSlots
	if share < 0.42 || share > 0.58 {
		t.Fatalf("node with twice the vnodes owns %.3f, want about 0.5", share)
	}
	if table.Index("small") < 0 {
		t.Fatal("small missing")
	}
	for s := range NumSlots {
		if table.Local(s) != (ownerID(table, s) == "small") {
			t.Fatalf("Local(%d) disagrees with OwnerID", s)
		}
	}
}

// TestRingSweep measures balance and movement over V and N, averaged over
// random node ID sets: the figures DefaultVNodes was chosen from. Run with
// -v to see the table.
func TestRingSweep(t *testing.T) {
	trials := 20
	if testing.Short() || servertest.Race {
		trials = 2
	}
	rng := rand.New(rand.NewPCG(3, 3))
	var out strings.Builder
	fmt.Fprintf(&out, "ring sweep, %d random ID sets per cell; mean (worst)\n", trials)
	fmt.Fprintf(&out, "%5s %3s  %-15s  %-15s  %-15s\n", "V", "N", "max/mean", "join moved/ideal", "leave moved/ideal")
	for _, v := range []int{16, 64, 256, 1024} {
		for n := 3; n <= 10; n++ {
			var bal, join, leave stat
			for range trials {
				ids := randomIDs(rng, n+1)
				base := BuildTable(ids[:n], v)
				bal.add(maxOverMean(base))
				join.add(float64(Moved(base, BuildTable(ids, v))) / NumSlots * float64(n+1))
				leave.add(float64(Moved(base, BuildTable(ids[1:n], v))) / NumSlots * float64(n))
			}
			fmt.Fprintf(&out, "%5d %3d  %-15s  %-15s  %-15s\n", v, n, bal, join, leave)
		}
	}
	t.Log(out.String())
}

type stat struct {
	sum, worst float64
	n          int
}

func (s *stat) add(x float64) { s.sum += x; s.worst = max(s.worst, x); s.n++ }

func (s stat) String() string { return fmt.Sprintf("%.3f (%.3f)", s.sum/float64(s.n), s.worst) }

func BenchmarkOwner(b *testing.B) {
	table := BuildTable(randomIDs(rand.New(rand.NewPCG(4, 4)), 10), DefaultVNodes)
	slots := make([]int, 4096)
	for i := range slots {
		slots[i] = rand.IntN(NumSlots)
	}
	sum := 0
	i := 0
	for b.Loop() {
		sum += table.Owner(slots[i&4095])
		i++
	}
	_ = sum
}

func BenchmarkBuildTable(b *testing.B) {
	for _, v := range []int{64, 256, 1024} {
		for _, n := range []int{3, 10} {
			b.Run(fmt.Sprintf("V=%d/N=%d", v, n), func(b *testing.B) {
				ids := randomIDs(rand.New(rand.NewPCG(5, 5)), n)
				SlotPoint(0) // the per-process slot points are not part of a rebuild
				for b.Loop() {
					BuildTable(ids, v)
				}
			})
		}
	}
}

// ownerID returns the ID of the node that owns slot in t, "" for none.
func ownerID(t *Table, slot int) string {
	if o := t.Owner(slot); o >= 0 {
		return t.Nodes()[o]
	}
	return ""
}
