package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/cespare/xxhash/v2"

	"github.com/cachesrv/cachesrv/bench/internal/workload"
	"github.com/cachesrv/cachesrv/cluster"
)

// keySet is what every scheme places: the keys, their xxhash64, their
// Redis slot, and how many keys fall in each slot. Schemes that map
// slots place NumSlots balls weighted by keysPerSlot; schemes that map
// keys place one ball per key.
type keySet struct {
	n           int
	hash        []uint64 // xxhash64 of each key
	keysPerSlot [cluster.NumSlots]int
	slotPoint   [cluster.NumSlots]uint64 // cluster.SlotPoint: the slot's position on the server's ring
}

func newKeySet(n int) *keySet {
	ks := &keySet{n: n, hash: make([]uint64, n)}
	var buf []byte
	for i := range n {
		buf = workload.AppendKey(buf[:0], i)
		ks.hash[i] = xxhash.Sum64(buf)
		ks.keysPerSlot[cluster.Slot(buf)]++
	}
	for s := range cluster.NumSlots {
		ks.slotPoint[s] = cluster.SlotPoint(s)
	}
	return ks
}

// mapping is what a scheme places: Redis slots (key -> slot -> node, the
// model cachesrv and Redis Cluster clients are bound to) or keys directly
// (key -> node, what the scheme does without the 16384-slot step).
type mapping string

const (
	bySlot mapping = "slot"
	byKey  mapping = "key"
)

// balls returns the number of balls and their hashes.
func (ks *keySet) balls(m mapping) []uint64 {
	if m == bySlot {
		return ks.slotPoint[:]
	}
	return ks.hash
}

// weight is the number of keys ball i stands for.
func (ks *keySet) weight(m mapping, i int) int {
	if m == bySlot {
		return ks.keysPerSlot[i]
	}
	return 1
}

// membership is one set of nodes: ids are all the node IDs of a trial,
// list the indexes into ids of the nodes present, in the order the scheme
// numbers them (join order; schemes that need no order ignore it).
type membership struct {
	ids    []string
	idHash []uint64 // xxhash64 of each ID
	list   []int
}

// scheme places balls on nodes. assign writes, for every ball, the index
// into ids of its node. leave returns the member list after the member at
// position pos has gone, in the scheme's numbering.
type scheme struct {
	name    string
	family  string // ring, modulo, rendezvous, jump, bounded
	mapping mapping
	vnodes  int // ring and bounded: virtual nodes per node; else 0
	assign  func(ks *keySet, c membership, out []uint8)
	leave   func(list []int, pos int) []int
}

func (s scheme) label() string {
	if s.family == "ring" {
		return s.name
	}
	return s.name + " /" + string(s.mapping)
}

// removeKeepOrder is how a list-numbered scheme (modulo N) loses a member:
// the others close up, keeping their order.
func removeKeepOrder(list []int, pos int) []int {
	return slices.Delete(slices.Clone(list), pos, pos+1)
}

// removeSwapLast is how jump hash loses a member that is not the last
// bucket: jump hash can only shrink from the end, so the last bucket's
// node takes over the leaver's bucket number and the last bucket goes.
// That moves the leaver's keys and also redistributes the last bucket's
// (Lamping & Veach, section 4: buckets must be numbered 0…n-1).
func removeSwapLast(list []int, pos int) []int {
	l := slices.Clone(list)
	l[pos] = l[len(l)-1]
	return l[:len(l)-1]
}

func ringScheme(v int) scheme {
	return scheme{
		name: fmt.Sprintf("ring V=%d", v), family: "ring", mapping: bySlot, vnodes: v, leave: removeKeepOrder,
		assign: func(ks *keySet, c membership, out []uint8) {
			ids := make([]string, len(c.list))
			for i, m := range c.list {
				ids[i] = c.ids[m]
			}
			t := cluster.BuildTable(ids, v)
			global := make([]uint8, t.Len())
			for i, id := range t.Nodes() {
				global[i] = uint8(slices.Index(c.ids, id))
			}
			for s := range cluster.NumSlots {
				out[s] = global[t.Owner(s)]
			}
		},
	}
}

func moduloScheme(m mapping) scheme {
	return scheme{
		name: "modulo N", family: "modulo", mapping: m, leave: removeKeepOrder,
		assign: func(ks *keySet, c membership, out []uint8) {
			n := uint64(len(c.list))
			if m == bySlot {
				for s := range cluster.NumSlots {
					out[s] = uint8(c.list[uint64(s)%n])
				}
				return
			}
			for i, h := range ks.hash {
				out[i] = uint8(c.list[h%n])
			}
		},
	}
}

func jumpScheme(m mapping) scheme {
	return scheme{
		name: "jump", family: "jump", mapping: m, leave: removeSwapLast,
		assign: func(ks *keySet, c membership, out []uint8) {
			n := len(c.list)
			for i, h := range ks.balls(m) {
				out[i] = uint8(c.list[jump(h, n)])
			}
		},
	}
}

// jump is Lamping and Veach's jump consistent hash ("A Fast, Minimal
// Memory, Consistent Hash Algorithm", 2014): the bucket in [0, n) of key.
// Growing n to n+1 moves a key only to bucket n.
func jump(key uint64, n int) int {
	b, j := int64(-1), int64(0)
	for j < int64(n) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int(b)
}

func rendezvousScheme(m mapping) scheme {
	return scheme{
		name: "rendezvous", family: "rendezvous", mapping: m, leave: removeKeepOrder,
		assign: func(ks *keySet, c membership, out []uint8) {
			for i, h := range ks.balls(m) {
				best, bestScore := 0, uint64(0)
				for _, g := range c.list {
					if sc := hrwScore(h, c.idHash[g]); sc >= bestScore {
						// Ties (2^-64) go to the later member; only
						// determinism matters here.
						best, bestScore = g, sc
					}
				}
				out[i] = uint8(best)
			}
		},
	}
}

// hrwScore is rendezvous (highest random weight, Thaler & Ravishankar)
// hashing's weight of a node for a ball: murmur3's 64-bit finaliser of
// the two hashes combined. The finaliser avalanches every input bit, so
// a ball's scores on different nodes are independent in practice.
func hrwScore(ball, node uint64) uint64 {
	x := ball ^ node*0x9e3779b97f4a7c15
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// boundedScheme is consistent hashing with bounded loads (Mirrokni,
// Thorup and Zadimoghaddam, SODA 2018): the server's ring (V points per
// node at xxhash64(id#i)), but a node takes at most ceil(c * balls/N)
// balls; a ball whose node is full goes on clockwise to the first node
// with room. Balls are placed in a fixed order (slot or key index), as a
// table rebuilt from scratch on every membership change would be. For
// slots the capacity counts slots (a server building its table cannot
// know keys); the load reported is still keys.
func boundedScheme(m mapping, c float64, v int) scheme {
	return scheme{
		name: fmt.Sprintf("bounded c=%g V=%d", c, v), family: "bounded", mapping: m, vnodes: v, leave: removeKeepOrder,
		assign: func(ks *keySet, mb membership, out []uint8) {
			type point struct {
				hash uint64
				node uint8
			}
			ring := make([]point, 0, len(mb.list)*v)
			var buf []byte
			for _, g := range mb.list {
				for i := range v {
					buf = strconv.AppendInt(append(append(buf[:0], mb.ids[g]...), '#'), int64(i), 10)
					ring = append(ring, point{xxhash.Sum64(buf), uint8(g)})
				}
			}
			slices.SortFunc(ring, func(a, b point) int {
				if a.hash != b.hash {
					if a.hash < b.hash {
						return -1
					}
					return 1
				}
				return int(a.node) - int(b.node)
			})
			hashes := make([]uint64, len(ring))
			for i, p := range ring {
				hashes[i] = p.hash
			}
			balls := ks.balls(m)
			capacity := int(math.Ceil(c * float64(len(balls)) / float64(len(mb.list))))
			load := make([]int, len(mb.ids))
			for i, h := range balls {
				j, _ := slices.BinarySearch(hashes, h)
				for {
					if j == len(ring) {
						j = 0
					}
					if n := ring[j].node; load[n] < capacity {
						load[n]++
						out[i] = n
						break
					}
					j++
				}
			}
		},
	}
}
