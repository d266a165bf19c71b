package geohash

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// Values recorded from redis-server 7.0.15 (Redis's docs' Sicily points).
func TestSicilyVectors(t *testing.T) {
	cases := []struct {
		lon, lat float64
		score    float64
		pos      string
		hash     string
	}{
		{13.361389, 38.115556, 3479099956230698, "13.36138933897018433 38.11555639549629859", "sqc8b49rny0"},
		{15.087269, 37.502669, 3479447370796909, "15.08726745843887329 37.50266842333162032", "sqdtr74hyu0"},
	}
	for _, c := range cases {
		s, ok := Score(c.lon, c.lat)
		if !ok || s != c.score {
			t.Errorf("Score(%v, %v) = %v, %v; want %v", c.lon, c.lat, s, ok, c.score)
		}
		lon, lat := DecodeScore(s)
		if got := string(AppendCoord(nil, lon)) + " " + string(AppendCoord(nil, lat)); got != c.pos {
			t.Errorf("position of %v = %s, want %s", s, got, c.pos)
		}
		if got := String(s); got != c.hash {
			t.Errorf("String(%v) = %s, want %s", s, got, c.hash)
		}
	}
	lon1, lat1 := DecodeScore(cases[0].score)
	lon2, lat2 := DecodeScore(cases[1].score)
	d := Distance(lon1, lat1, lon2, lat2)
	if got := string(AppendDistance(nil, d)); got != "166274.1516" {
		t.Errorf("distance = %s", got)
	}
	if got := string(AppendDistance(nil, d/1000)); got != "166.2742" {
		t.Errorf("distance km = %s", got)
	}
	if _, ok := Score(200, 100); ok {
		t.Error("Score(200, 100) accepted")
	}
	if got := string(AppendF(nil, 200)) + "," + string(AppendF(nil, math.Inf(1))); got != "200.000000,inf" {
		t.Errorf("AppendF = %s", got)
	}
}

func TestUnit(t *testing.T) {
	for in, want := range map[string]float64{"m": 1, "KM": 1000, "Ft": 0.3048, "mI": 1609.34, "m\x00x": 1} {
		if got, ok := Unit([]byte(in)); !ok || got != want {
			t.Errorf("Unit(%q) = %v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "mm", "kms", "yd", "\x00"} {
		if _, ok := Unit([]byte(in)); ok {
			t.Errorf("Unit(%q) accepted", in)
		}
	}
}

func TestEstimateSteps(t *testing.T) {
	for _, c := range []struct {
		m, lat float64
		want   uint8
	}{{0, 0, 26}, {1, 0, 24}, {1000, 0, 14}, {1000, 70, 13}, {1000, -81, 12}, {5e6, 0, 2}, {1e9, 0, 1}, {0.0001, 0, 26}} {
		if got := EstimateSteps(c.m, c.lat); got != c.want {
			t.Errorf("EstimateSteps(%v, %v) = %d, want %d", c.m, c.lat, got, c.want)
		}
	}
}

func TestScoreBits(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want uint64
	}{{0, 0}, {1.9, 1}, {-1, math.MaxUint64}, {float64(1 << 63), 1 << 63}, {1e30, 0}, {-1e30, 1 << 63}, {math.NaN(), 1 << 63}} {
		if got := scoreBits(c.f); got != c.want {
			t.Errorf("scoreBits(%v) = %#x, want %#x", c.f, got, c.want)
		}
	}
}

func TestPqsortSortsThePrefix(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for n := 1; n < 300; n += 7 {
		for _, count := range []int{1, 2, 5, n / 2, n - 1} {
			if count < 1 || count >= n {
				continue
			}
			pts := make([]Point, n)
			for i := range pts {
				pts[i].Dist = float64(r.Intn(20))
			}
			want := append([]Point(nil), pts...)
			sort.SliceStable(want, func(i, j int) bool { return want[i].Dist < want[j].Dist })
			got := Sort(pts, false, count)
			for i := range got {
				if got[i].Dist != want[i].Dist {
					t.Fatalf("n %d count %d: place %d = %v, want %v", n, count, i, got[i].Dist, want[i].Dist)
				}
			}
		}
	}
}

// zset is a sorted set for the tests: members by (score, member).
type zset []struct {
	member string
	score  float64
}

func (z zset) scan(lo, hi float64, fn func([]byte, float64) bool) {
	i := sort.Search(len(z), func(i int) bool { return z[i].score >= lo })
	for ; i < len(z) && z[i].score < hi; i++ {
		if !fn([]byte(z[i].member), z[i].score) {
			return
		}
	}
}

// TestAgainstRedis compares scores, positions, geohash strings, distances
// and searches with a real redis-server 7.0.15, over random points and
// the corners of the map.
func TestAgainstRedis(t *testing.T) {
	addr := servertest.RedisServer(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	defer rdb.Close()
	r := rand.New(rand.NewSource(7))

	type pt struct{ lon, lat float64 }
	pts := []pt{{0, 0}, {180, LatMax}, {-180, LatMin}, {180, 0}, {-180, 0}, {0, LatMax}, {0, LatMin},
		{179.9999, 85}, {-179.9999, -85}, {13.361389, 38.115556}, {15.087269, 37.502669},
		{179.99999999, 1}, {-179.99999999, 1}, {1e-300, -1e-300}}
	for range 1200 {
		p := pt{r.Float64()*360 - 180, r.Float64()*2*LatMax - LatMax}
		switch r.Intn(6) {
		case 0: // a cluster, for dense searches
			p = pt{12 + r.Float64(), 41 + r.Float64()}
		case 1: // near the antimeridian
			p.lon = 179 + r.Float64()*2
			if p.lon > 180 {
				p.lon -= 360
			}
		case 2: // near the poles
			p.lat = math.Copysign(80+r.Float64()*5.05, p.lat)
		}
		pts = append(pts, p)
	}
	// A few points sharing a position, for ties.
	for range 10 {
		pts = append(pts, pt{12.5, 41.5})
	}
	var z zset
	var args []any
	for i, p := range pts {
		name := fmt.Sprintf("p%d", i)
		args = append(args, p.lon, p.lat, name)
		s, ok := Score(p.lon, p.lat)
		if !ok {
			t.Fatalf("Score(%v) refused", p)
		}
		z = append(z, struct {
			member string
			score  float64
		}{name, s})
	}
	sort.Slice(z, func(i, j int) bool {
		if z[i].score != z[j].score {
			return z[i].score < z[j].score
		}
		return z[i].member < z[j].member
	})
	if err := rdb.Do(ctx, append([]any{"GEOADD", "g"}, args...)...).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := rdb.ZRangeWithScores(ctx, "g", 0, -1).Result()
	if err != nil || len(got) != len(z) {
		t.Fatalf("ZRANGE: %d members, %v", len(got), err)
	}
	for i, m := range got {
		if m.Member != z[i].member || m.Score != z[i].score {
			t.Fatalf("place %d: redis %v %v, ours %v %v", i, m.Member, m.Score, z[i].member, z[i].score)
		}
	}
	names := make([]any, len(z))
	for i := range z {
		names[i] = z[i].member
	}
	pos, err := rdb.Do(ctx, append([]any{"GEOPOS", "g"}, names...)...).Slice()
	if err != nil {
		t.Fatal(err)
	}
	hashes, err := rdb.Do(ctx, append([]any{"GEOHASH", "g"}, names...)...).StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	for i := range z {
		lon, lat := DecodeScore(z[i].score)
		want := pos[i].([]any)
		if g := string(AppendCoord(nil, lon)); g != want[0] {
			t.Errorf("%s lon %s, redis %s", z[i].member, g, want[0])
		}
		if g := string(AppendCoord(nil, lat)); g != want[1] {
			t.Errorf("%s lat %s, redis %s", z[i].member, g, want[1])
		}
		if g := String(z[i].score); g != hashes[i] {
			t.Errorf("%s geohash %s, redis %s", z[i].member, g, hashes[i])
		}
	}
	units := []string{"m", "km", "ft", "mi"}
	for range 400 {
		a, b := z[r.Intn(len(z))], z[r.Intn(len(z))]
		unit := units[r.Intn(4)]
		want, err := rdb.Do(ctx, "GEODIST", "g", a.member, b.member, unit).Text()
		if err != nil {
			t.Fatal(err)
		}
		conv, _ := Unit([]byte(unit))
		lon1, lat1 := DecodeScore(a.score)
		lon2, lat2 := DecodeScore(b.score)
		if g := string(AppendDistance(nil, Distance(lon1, lat1, lon2, lat2)/conv)); g != want {
			t.Errorf("GEODIST %s %s %s = %s, redis %s", a.member, b.member, unit, g, want)
		}
	}

	for i := range 600 {
		var s Shape
		unit := units[r.Intn(4)]
		s.Conversion, _ = Unit([]byte(unit))
		if r.Intn(3) == 0 {
			s.Lon, s.Lat = DecodeScore(z[r.Intn(len(z))].score)
		} else {
			p := pts[r.Intn(len(pts))]
			s.Lon, s.Lat = p.lon+r.NormFloat64(), p.lat+r.NormFloat64()
			s.Lon = math.Max(LonMin, math.Min(LonMax, s.Lon))
			s.Lat = math.Max(LatMin, math.Min(LatMax, s.Lat))
		}
		meters := math.Pow(10, r.Float64()*7.5)
		cmd := []any{"GEOSEARCH", "g", "FROMLONLAT", strconv.FormatFloat(s.Lon, 'g', -1, 64), strconv.FormatFloat(s.Lat, 'g', -1, 64)}
		if r.Intn(2) == 0 {
			s.Radius = round3(meters / s.Conversion)
			cmd = append(cmd, "BYRADIUS", strconv.FormatFloat(s.Radius, 'g', -1, 64), unit)
		} else {
			s.Box = true
			s.Width, s.Height = round3(meters/s.Conversion), round3(meters*r.Float64()*3/s.Conversion)
			cmd = append(cmd, "BYBOX", strconv.FormatFloat(s.Width, 'g', -1, 64), strconv.FormatFloat(s.Height, 'g', -1, 64), unit)
		}
		desc, sorted, count, anyOpt := false, false, 0, false
		switch r.Intn(3) {
		case 0:
			sorted = true
			cmd = append(cmd, "ASC")
		case 1:
			sorted, desc = true, true
			cmd = append(cmd, "DESC")
		}
		if r.Intn(2) == 0 {
			count = 1 + r.Intn(30)
			cmd = append(cmd, "COUNT", count)
			if r.Intn(3) == 0 {
				anyOpt = true
				cmd = append(cmd, "ANY")
			}
		}
		cmd = append(cmd, "WITHDIST", "WITHHASH", "WITHCOORD")
		want, err := rdb.Do(ctx, cmd...).Slice()
		if err != nil {
			t.Fatalf("%v: %v", cmd, err)
		}
		limit := 0
		if anyOpt {
			limit = count
		}
		found := s.Search(z.scan, limit)
		if count > 0 && !sorted && !anyOpt {
			sorted = true
		}
		if sorted {
			found = Sort(found, desc, count)
		} else if count > 0 && len(found) > count {
			found = found[:count]
		}
		var g bytes.Buffer
		for _, p := range found {
			fmt.Fprintf(&g, "%s %s %d %s %s\n", p.Member, AppendDistance(nil, p.Dist/s.Conversion), HashInt(p.Score), AppendCoord(nil, p.Lon), AppendCoord(nil, p.Lat))
		}
		var w bytes.Buffer
		for _, e := range want {
			e := e.([]any)
			c := e[3].([]any)
			fmt.Fprintf(&w, "%s %s %d %s %s\n", e[0], e[1], e[2], c[0], c[1])
		}
		if g.String() != w.String() {
			t.Errorf("search %d: %v\nours:\n%s\nredis:\n%s", i, cmd, clip(g.String()), clip(w.String()))
		}
	}
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

func clip(s string) string {
	if lines := strings.Split(s, "\n"); len(lines) > 12 {
		return strings.Join(lines[:12], "\n") + fmt.Sprintf("\n... (%d lines)", len(lines))
	}
	return s
}

// BenchmarkDistance: one distance as GEODIST and the searches compute it
// (glibc's sin and cos reproduced, asin correctly rounded past 0.125).
func BenchmarkDistance(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	pts := make([][4]float64, 1024)
	for i := range pts {
		pts[i] = [4]float64{r.Float64()*360 - 180, r.Float64()*170 - 85, 12 + r.Float64(), 41 + r.Float64()}
	}
	var sink float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := pts[i&1023]
		sink += Distance(p[2], p[3], p[0], p[1]) + Distance(p[2], p[3], p[2]+0.01, p[3]+0.01)
	}
	_ = sink
}

// BenchmarkSearch: a 50 km search through 20,000 points around Rome.
func BenchmarkSearch(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	var z zset
	for i := range 20000 {
		s, _ := Score(12+r.Float64()*2, 41+r.Float64()*2)
		z = append(z, struct {
			member string
			score  float64
		}{fmt.Sprintf("m%d", i), s})
	}
	sort.Slice(z, func(i, j int) bool { return z[i].score < z[j].score })
	s := Shape{Lon: 13, Lat: 42, Radius: 50, Conversion: 1000}
	b.ResetTimer()
	n := 0
	for i := 0; i < b.N; i++ {
		n += len(Sort(s.Search(z.scan, 0), false, 0))
	}
	b.ReportMetric(float64(n)/float64(b.N), "found/op")
}
