package geohash

// Point is a member a search found.
type Point struct {
	Member   []byte
	Score    float64
	Lon, Lat float64
	Dist     float64 // meters from the centre
}

// RangeFunc calls fn for every member with a score from lo included to hi
// excluded, in score order, until fn returns false. The member may alias
// memory that Search copies.
type RangeFunc func(lo, hi float64, fn func(member []byte, score float64) bool)

// Search returns the members inside the search, in the order Redis finds
// them: cell by cell (Cells), by score within a cell. With limit > 0 (COUNT
// n ANY) it stops as soon as it has limit of them.
func (s *Shape) Search(scan RangeFunc, limit int) []Point {
	var pts []Point
	full := func() bool { return limit > 0 && len(pts) >= limit }
	for _, cell := range s.Cells() {
		if full() {
			break
		}
		lo, hi := ScoreRange(cell)
		scan(lo, hi, func(member []byte, score float64) bool {
			if lon, lat, dist, ok := s.Match(score); ok {
				pts = append(pts, Point{Member: append([]byte(nil), member...), Score: score, Lon: lon, Lat: lat, Dist: dist})
			}
			return !full()
		})
	}
	return pts
}

// Sort orders pts by distance, ascending or descending, as Redis does:
// when every point is returned (count 0 or count >= len), with glibc's
// qsort, which is a stable merge sort; otherwise with Redis's partial
// quicksort (pqsort), which sorts only the first count places, and not
// stably. It returns the points to reply with.
func Sort(pts []Point, desc bool, count int) []Point {
	cmp := func(a, b *Point) int {
		r := 0
		if a.Dist > b.Dist {
			r = 1
		} else if a.Dist < b.Dist {
			r = -1
		}
		if desc {
			r = -r
		}
		return r
	}
	if count <= 0 || count >= len(pts) {
		mergeSort(pts, make([]Point, len(pts)), cmp)
		return pts
	}
	pqsort(pts, cmp, 0, count-1)
	return pts[:count]
}

// pqsort is Redis's partial quicksort (Bentley and McIlroy's, as NetBSD
// has it, recursing only into the parts that overlap places lrange to
// rrange), reproduced for its exact order of equal elements.
func pqsort(a []Point, cmp func(a, b *Point) int, lrange, rrange int) {
	partialQsort(a, 0, len(a), cmp, lrange, rrange)
}

func med3(a []Point, i, j, k int, cmp func(a, b *Point) int) int {
	if cmp(&a[i], &a[j]) < 0 {
		if cmp(&a[j], &a[k]) < 0 {
			return j
		}
		if cmp(&a[i], &a[k]) < 0 {
			return k
		}
		return i
	}
	if cmp(&a[j], &a[k]) > 0 {
		return j
	}
	if cmp(&a[i], &a[k]) < 0 {
		return i
	}
	return k
}

// partialQsort sorts a[base:base+n] where it overlaps [lrange, rrange].
func partialQsort(a []Point, base, n int, cmp func(a, b *Point) int, lrange, rrange int) {
	swap := func(i, j int) { a[i], a[j] = a[j], a[i] }
	vecswap := func(i, j, n int) {
		for k := 0; k < n; k++ {
			swap(i+k, j+k)
		}
	}
	for {
		if n < 7 {
			for m := base + 1; m < base+n; m++ {
				for l := m; l > base && cmp(&a[l-1], &a[l]) > 0; l-- {
					swap(l, l-1)
				}
			}
			return
		}
		m := base + n/2
		if n > 7 {
			l := base
			p := base + n - 1
			if n > 40 {
				d := n / 8
				l = med3(a, l, l+d, l+2*d, cmp)
				m = med3(a, m-d, m, m+d, cmp)
				p = med3(a, p-2*d, p-d, p, cmp)
			}
			m = med3(a, l, m, p, cmp)
		}
		swap(base, m)
		pa, pb := base+1, base+1
		pc, pd := base+n-1, base+n-1
		for {
			for pb <= pc {
				r := cmp(&a[pb], &a[base])
				if r > 0 {
					break
				}
				if r == 0 {
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := cmp(&a[pc], &a[base])
				if r < 0 {
					break
				}
				if r == 0 {
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			pb++
			pc--
		}
		pn := base + n
		r := min(pa-base, pb-pa)
		vecswap(base, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		vecswap(pb, pn-r, r)
		outside := func(lo, cnt int) bool {
			hi := lo + cnt - 1
			return (lrange < lo && rrange < lo) || (lrange > hi && rrange > hi)
		}
		if r := pb - pa; r > 1 && !outside(base, r) {
			partialQsort(a, base, r, cmp, lrange, rrange)
		}
		r = pd - pc
		if r <= 1 {
			return
		}
		base, n = pn-r, r
		if outside(base, n) {
			return
		}
	}
}

// mergeSort sorts a stably, as glibc's qsort (a merge sort) does, using
// tmp (as long as a) as scratch.
func mergeSort(a, tmp []Point, cmp func(a, b *Point) int) {
	if len(a) < 2 {
		return
	}
	if len(a) <= 12 {
		for i := 1; i < len(a); i++ {
			for j := i; j > 0 && cmp(&a[j-1], &a[j]) > 0; j-- {
				a[j-1], a[j] = a[j], a[j-1]
			}
		}
		return
	}
	mid := len(a) / 2
	mergeSort(a[:mid], tmp[:mid], cmp)
	mergeSort(a[mid:], tmp[mid:], cmp)
	if cmp(&a[mid-1], &a[mid]) <= 0 {
		return
	}
	copy(tmp, a)
	i, j, k := 0, mid, 0
	for i < mid && j < len(a) {
		if cmp(&tmp[j], &tmp[i]) < 0 {
			a[k] = tmp[j]
			j++
		} else {
			a[k] = tmp[i]
			i++
		}
		k++
	}
	k += copy(a[k:], tmp[i:mid])
	copy(a[k:], tmp[j:])
}
