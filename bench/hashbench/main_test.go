package main

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/bench/internal/reporttest"
	"github.com/cachesrv/cachesrv/cluster"
)

func TestQuick(t *testing.T) {
	header, rows, out, _ := reporttest.Quick(t, "hashbench", run)
	// 3 ring V + (modulo, jump, rendezvous, bounded V=1) x 2 mappings,
	// x N 3,4 x 2 trials.
	if want := (3 + 4*2) * 2 * 2; len(rows) != want {
		t.Fatalf("%d rows, want %d", len(rows), want)
	}
	scheme := reporttest.Column(t, header, "scheme")
	load := reporttest.Column(t, header, "max_over_mean")
	join := reporttest.Column(t, header, "join_moved_over_ideal")
	leave := reporttest.Column(t, header, "leave_moved_over_ideal")
	num := func(r []string, i int) float64 {
		f, err := strconv.ParseFloat(r[i], 64)
		if err != nil {
			t.Fatalf("row %v column %d: %v", r, i, err)
		}
		return f
	}
	for _, r := range rows {
		if l := num(r, load); l < 1 || l > 5 {
			t.Errorf("%v: max/mean %v", r, l)
		}
		j, lv := num(r, join), num(r, leave)
		switch r[scheme] {
		case "modulo N /key", "modulo N /slot":
			// Modulo moves about N/(N+1) of the keys on a join: N times the ideal.
			if j < 2 {
				t.Errorf("%v: modulo moved only %.2fx ideal on join", r, j)
			}
		case "rendezvous /key", "jump /key":
			if j < 0.8 || j > 1.2 {
				t.Errorf("%v: moved %.2fx ideal on join, want about 1", r, j)
			}
		}
		if j <= 0 || lv <= 0 {
			t.Errorf("%v: nothing moved", r)
		}
	}
	for _, want := range []string{"Summary over N = 3…4", "Busiest node's keys / mean", "Recommended --vnodes:", "cluster.DefaultVNodes"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-nodes", "1,3"}, {"-vnodes", "0"}, {"-keys", "10"}} {
		var out, errb bytes.Buffer
		if code := run(append(args, "-out", t.TempDir()), &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestConsistency checks the property each consistent scheme is chosen
// for: on a join, balls move only to the new node; on a leave, only the
// leaver's balls move (except jump hash, whose last bucket's node also
// moves when another node leaves).
func TestConsistency(t *testing.T) {
	ks := newKeySet(5000)
	ids := randomIDs(rand.New(rand.NewPCG(7, 7)), 6)
	m := membership{ids: ids, idHash: make([]uint64, len(ids))}
	for i := range ids {
		m.idHash[i] = uint64(i+1) * 0x9e3779b97f4a7c15
	}
	for _, s := range []scheme{ringScheme(64), jumpScheme(byKey), jumpScheme(bySlot), rendezvousScheme(byKey), rendezvousScheme(bySlot)} {
		size := len(ks.balls(s.mapping))
		assign := func(list []int) []uint8 {
			out := make([]uint8, size)
			mm := m
			mm.list = list
			s.assign(ks, mm, out)
			return out
		}
		five, six := assign([]int{0, 1, 2, 3, 4}), assign([]int{0, 1, 2, 3, 4, 5})
		for b := range five {
			if five[b] != six[b] && six[b] != 5 {
				t.Fatalf("%s: join moved ball %d from %d to %d, not to the new node", s.label(), b, five[b], six[b])
			}
		}
		leaver := 1
		after := assign(s.leave([]int{0, 1, 2, 3, 4}, leaver))
		for b := range five {
			if five[b] == after[b] || five[b] == uint8(leaver) {
				continue
			}
			if s.family == "jump" && five[b] == 4 { // the last bucket's node took the leaver's number
				continue
			}
			t.Fatalf("%s: leave moved ball %d away from %d, which stayed", s.label(), b, five[b])
		}
	}
}

func TestBoundedCapacity(t *testing.T) {
	ks := newKeySet(20_000)
	ids := randomIDs(rand.New(rand.NewPCG(8, 8)), 4)
	s := boundedScheme(byKey, 1.25, 1)
	out := make([]uint8, ks.n)
	s.assign(ks, membership{ids: ids, list: []int{0, 1, 2, 3}}, out)
	load := make([]int, 4)
	for _, o := range out {
		load[o]++
	}
	for i, l := range load {
		if l > 1.25*20_000/4 {
			t.Errorf("node %d holds %d keys, capacity %d", i, l, 6250)
		}
	}
}

func TestJumpMatchesPaper(t *testing.T) {
	// With one bucket everything is in bucket 0; growing never moves a
	// key to an old bucket.
	for key := range uint64(1000) {
		if jump(key, 1) != 0 {
			t.Fatal("jump(key, 1) != 0")
		}
		prev := 0
		for n := 2; n <= 20; n++ {
			b := jump(key*0x9e3779b97f4a7c15, n)
			if b != prev && b != n-1 {
				t.Fatalf("key %d: bucket %d at n=%d, %d before", key, b, n, prev)
			}
			prev = b
		}
	}
	if cluster.NumSlots != 16384 {
		t.Fatal("slot count changed")
	}
}
