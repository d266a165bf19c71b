// Package geohash is the arithmetic behind the GEO commands, as Redis
// 7.0 does it (geohash.c, geohash_helper.c, geo.c), so that scores,
// positions, distances and search results are Redis's to the last bit:
// the 52-bit interleaved geohash of a (longitude, latitude) pair in the
// ranges [-180, 180] x [-85.05112878, 85.05112878], the decoding of a
// score to its cell's centre, the haversine distance on a sphere of
// radius 6372797.560856 m, the 11-character GEOHASH string (re-encoded
// on the standard latitude range [-90, 90]), and the radius and box
// searches through the nine cells around the centre at the step Redis
// estimates from the radius.
//
// The code is written from Redis's behaviour; none of it is copied.
package geohash

import (
	"math"
	"strconv"
)

// Redis's limits.
const (
	StepMax = 26 // 52 bits: 26 per coordinate

	LonMin = -180.0
	LonMax = 180.0
	LatMin = -85.05112878
	LatMax = 85.05112878

	// EarthRadius is the sphere's radius, in meters.
	EarthRadius = 6372797.560856

	mercatorMax = 20037726.37
)

// degToRad is C's M_PI / 180.0 evaluated in doubles (a run-time division,
// so that it is rounded as C rounds it, not as Go's exact constants are).
var degToRad = func() float64 { pi, d := math.Pi, 180.0; return pi / d }()

func degRad(a float64) float64 { return a * degToRad }
func radDeg(a float64) float64 { return a / degToRad }

// Bits is a geohash of Step bits per coordinate: latitude bits in the
// even positions, longitude bits in the odd ones. The zero value (Step 0)
// is "no cell", as Redis's GZERO.
type Bits struct {
	Bits uint64
	Step uint8
}

// IsZero reports the "no cell" value.
func (b Bits) IsZero() bool { return b.Bits == 0 && b.Step == 0 }

// Range is an interval of one coordinate.
type Range struct{ Min, Max float64 }

// Area is a cell and the coordinates it covers.
type Area struct {
	Hash     Bits
	Lon, Lat Range
}

// WGS84 ranges, as Redis stores positions.
var (
	lonRange = Range{LonMin, LonMax}
	latRange = Range{LatMin, LatMax}
)

// spread moves the 32 bits of v to the even bit positions of the result.
func spread(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	x = (x | x<<1) & 0x5555555555555555
	return x
}

// squash is the reverse of spread: the even bits of x, packed.
func squash(x uint64) uint32 {
	x &= 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	x = (x | x>>16) & 0x00000000FFFFFFFF
	return uint32(x)
}

// Encode returns the geohash of (lon, lat) at step bits per coordinate
// within the given ranges. ok is false when the point is outside Redis's
// limits or outside the ranges (Redis then leaves a zero hash).
func Encode(lonR, latR Range, lon, lat float64, step uint8) (Bits, bool) {
	if step > 32 || step == 0 || latR.Max-latR.Min == 0 || lonR.Max-lonR.Min == 0 {
		return Bits{}, false
	}
	if lon > LonMax || lon < LonMin || lat > LatMax || lat < LatMin {
		return Bits{}, false
	}
	h := Bits{Step: step}
	if lat < latR.Min || lat > latR.Max || lon < lonR.Min || lon > lonR.Max {
		return h, false
	}
	latOff := (lat - latR.Min) / (latR.Max - latR.Min)
	lonOff := (lon - lonR.Min) / (lonR.Max - lonR.Min)
	scale := float64(uint64(1) << step)
	latOff *= scale
	lonOff *= scale
	h.Bits = spread(uint32(latOff)) | spread(uint32(lonOff))<<1
	return h, true
}

// Decode returns the area of cell h within the given ranges.
func Decode(lonR, latR Range, h Bits) Area {
	a := Area{Hash: h}
	ilat := uint64(squash(h.Bits))
	ilon := uint64(squash(h.Bits >> 1))
	div := float64(uint64(1) << h.Step)
	latScale := latR.Max - latR.Min
	lonScale := lonR.Max - lonR.Min
	// (i + 1) wraps as C's uint32 arithmetic does.
	a.Lat.Min = latR.Min + float64((float64(ilat)*1.0/div)*latScale)
	a.Lat.Max = latR.Min + float64((float64(uint32(ilat+1))*1.0/div)*latScale)
	a.Lon.Min = lonR.Min + float64((float64(ilon)*1.0/div)*lonScale)
	a.Lon.Max = lonR.Min + float64((float64(uint32(ilon+1))*1.0/div)*lonScale)
	return a
}

// Centre returns the centre of area a, clamped to Redis's limits.
func (a Area) Centre() (lon, lat float64) {
	lon = (a.Lon.Min + a.Lon.Max) / 2
	lon = min(max(lon, LonMin), LonMax)
	lat = (a.Lat.Min + a.Lat.Max) / 2
	lat = min(max(lat, LatMin), LatMax)
	return lon, lat
}

// Score is the sorted-set score GEOADD gives (lon, lat): the 52-bit
// geohash as a number. ok is false outside Redis's limits.
func Score(lon, lat float64) (float64, bool) {
	h, ok := Encode(lonRange, latRange, lon, lat, StepMax)
	if !ok {
		return 0, false
	}
	return float64(align52(h)), true
}

// ValidLonLat reports whether (lon, lat) is inside Redis's limits.
func ValidLonLat(lon, lat float64) bool {
	return !(lon < LonMin || lon > LonMax || lat < LatMin || lat > LatMax)
}

func align52(h Bits) uint64 { return h.Bits << (52 - 2*uint(h.Step)) }

// scoreBits converts a score to a 64-bit hash as C's (uint64_t) cast of
// a double does on x86-64 (the value is truncated; a negative one wraps
// through int64, and out-of-range ones give 1<<63).
func scoreBits(score float64) uint64 {
	const two63 = float64(1 << 63)
	if score >= two63 {
		return cvttsd2si(score-two63) ^ (1 << 63)
	}
	return cvttsd2si(score)
}

// cvttsd2si is x86-64's truncating conversion: NaN and values out of the
// int64 range give the "integer indefinite" 1<<63.
func cvttsd2si(f float64) uint64 {
	if f != f || f >= float64(1<<63) || f < -float64(1<<63) {
		return 1 << 63
	}
	return uint64(int64(f))
}

// DecodeScore returns the position a score stands for: the centre of its
// 52-bit cell, as GEOPOS reports it.
func DecodeScore(score float64) (lon, lat float64) {
	return Decode(lonRange, latRange, Bits{Bits: scoreBits(score), Step: StepMax}).Centre()
}

// HashInt is the score as WITHHASH reports it (C's cast to long long).
func HashInt(score float64) int64 { return int64(cvttsd2si(score)) }

const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"

// String is GEOHASH's 11-character geohash of a score: its position
// re-encoded on the standard ranges ([-180, 180] x [-90, 90]), the 11th
// character always '0'.
func String(score float64) string {
	lon, lat := DecodeScore(score)
	h, _ := Encode(Range{-180, 180}, Range{-90, 90}, lon, lat, StepMax)
	var buf [11]byte
	for i := range 10 {
		buf[i] = alphabet[(h.Bits>>(52-uint((i+1)*5)))&0x1f]
	}
	buf[10] = alphabet[0]
	return string(buf[:])
}

// Distance is the haversine distance in meters between two points.
func Distance(lon1, lat1, lon2, lat2 float64) float64 {
	lat1r, lon1r := degRad(lat1), degRad(lon1)
	lat2r, lon2r := degRad(lat2), degRad(lon2)
	u := glSin((lat2r - lat1r) / 2)
	v := glSin((lon2r - lon1r) / 2)
	a := float64(u*u) + float64(float64(float64(glCos(lat1r)*glCos(lat2r))*v)*v)
	return float64(2.0*EarthRadius) * glAsin(math.Sqrt(a))
}

// EstimateSteps is the step (bits per coordinate) of the cells a search
// of radius meters around latitude lat goes through: wide enough that
// the nine cells around the centre cover the radius in most cases,
// wider still towards the poles.
func EstimateSteps(meters, lat float64) uint8 {
	if meters == 0 {
		return 26
	}
	step := 1
	for meters < mercatorMax {
		meters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

// moveX moves h one cell east (d > 0) or west (d < 0), wrapping around.
func moveX(h *Bits, d int) { move(h, d, 0xaaaaaaaaaaaaaaaa) }

// moveY moves h one cell north (d > 0) or south (d < 0), wrapping around.
func moveY(h *Bits, d int) { move(h, d, 0x5555555555555555) }

// move steps the coordinate whose interleaved bits are axis (longitude's
// odd bits or latitude's even ones) by one cell, as Redis's
// geohash_move_x and geohash_move_y do: filling the other coordinate's
// bit positions with ones makes the carry run through.
func move(h *Bits, d int, axis uint64) {
	if d == 0 {
		return
	}
	other := ^axis
	shift := 64 - 2*uint(h.Step)
	v, keep := h.Bits&axis, h.Bits&other
	zz := other >> shift
	if d > 0 {
		v += zz + 1
	} else {
		v = (v | zz) - (zz + 1)
	}
	h.Bits = v&(axis>>shift) | keep
}

// Neighbours are the eight cells around one.
type Neighbours struct {
	North, South, East, West                   Bits
	NorthEast, NorthWest, SouthEast, SouthWest Bits
}

func neighbours(h Bits) Neighbours {
	at := func(dx, dy int) Bits {
		n := h
		moveX(&n, dx)
		moveY(&n, dy)
		return n
	}
	return Neighbours{
		East: at(1, 0), West: at(-1, 0), South: at(0, -1), North: at(0, 1),
		NorthWest: at(-1, 1), SouthWest: at(-1, -1), NorthEast: at(1, 1), SouthEast: at(1, -1),
	}
}

// Shape is a search: around (Lon, Lat), within Radius (a circle) or a
// Width x Height box, in units of Conversion meters.
type Shape struct {
	Lon, Lat              float64
	Box                   bool
	Radius, Width, Height float64
	Conversion            float64 // meters per unit
}

// BoundingBox returns the search's bounds: min lon, min lat, max lon,
// max lat.
func (s *Shape) BoundingBox() [4]float64 {
	var height, width float64
	if s.Box {
		height, width = s.Conversion*(s.Height/2), s.Conversion*(s.Width/2)
	} else {
		height, width = s.Conversion*s.Radius, s.Conversion*s.Radius
	}
	latDelta := radDeg(height / EarthRadius)
	lonDeltaTop := radDeg(width / EarthRadius / glCos(degRad(s.Lat+latDelta)))
	lonDeltaBottom := radDeg(width / EarthRadius / glCos(degRad(s.Lat-latDelta)))
	var b [4]float64
	if s.Lat < 0 {
		b[0], b[2] = s.Lon-lonDeltaBottom, s.Lon+lonDeltaBottom
	} else {
		b[0], b[2] = s.Lon-lonDeltaTop, s.Lon+lonDeltaTop
	}
	b[1], b[3] = s.Lat-latDelta, s.Lat+latDelta
	return b
}

// Cells returns the cells a search goes through, in Redis's order (the
// centre's, then north, south, east, west, north-east, north-west,
// south-east, south-west), without the ones Redis leaves out: those
// wholly outside the bounding box, and a cell equal to the one processed
// just before it (not counting the centre's: Redis compares only from the
// second processed cell on).
func (s *Shape) Cells() []Bits {
	b := s.BoundingBox()
	minLon, minLat, maxLon, maxLat := b[0], b[1], b[2], b[3]
	var meters float64
	if s.Box {
		meters = math.Sqrt(float64((s.Width/2)*(s.Width/2)) + float64((s.Height/2)*(s.Height/2)))
	} else {
		meters = s.Radius
	}
	meters *= s.Conversion
	steps := EstimateSteps(meters, s.Lat)

	hash, _ := Encode(lonRange, latRange, s.Lon, s.Lat, steps)
	nb := neighbours(hash)
	area := Decode(lonRange, latRange, hash)

	north := Decode(lonRange, latRange, nb.North)
	south := Decode(lonRange, latRange, nb.South)
	east := Decode(lonRange, latRange, nb.East)
	west := Decode(lonRange, latRange, nb.West)
	decrease := north.Lat.Max < maxLat || south.Lat.Min > minLat ||
		east.Lon.Max < maxLon || west.Lon.Min > minLon
	if steps > 1 && decrease {
		steps--
		hash, _ = Encode(lonRange, latRange, s.Lon, s.Lat, steps)
		nb = neighbours(hash)
		area = Decode(lonRange, latRange, hash)
	}
	if steps >= 2 {
		if area.Lat.Min < minLat {
			nb.South, nb.SouthWest, nb.SouthEast = Bits{}, Bits{}, Bits{}
		}
		if area.Lat.Max > maxLat {
			nb.North, nb.NorthEast, nb.NorthWest = Bits{}, Bits{}, Bits{}
		}
		if area.Lon.Min < minLon {
			nb.West, nb.SouthWest, nb.NorthWest = Bits{}, Bits{}, Bits{}
		}
		if area.Lon.Max > maxLon {
			nb.East, nb.SouthEast, nb.NorthEast = Bits{}, Bits{}, Bits{}
		}
	}
	all := [9]Bits{hash, nb.North, nb.South, nb.East, nb.West, nb.NorthEast, nb.NorthWest, nb.SouthEast, nb.SouthWest}
	cells := make([]Bits, 0, 9)
	last := 0
	for i, c := range all {
		if c.IsZero() {
			continue
		}
		if last != 0 && c == all[last] {
			continue
		}
		cells = append(cells, c)
		last = i
	}
	return cells
}

// ScoreRange is the scores of the points in cell h: from min included to
// max excluded.
func ScoreRange(h Bits) (lo, hi float64) {
	lo = float64(align52(h))
	h.Bits++
	hi = float64(align52(h))
	return lo, hi
}

// Match decodes score and reports whether its position is inside the
// search, with its distance from the centre in meters.
func (s *Shape) Match(score float64) (lon, lat, dist float64, ok bool) {
	lon, lat = DecodeScore(score)
	if !s.Box {
		dist = Distance(s.Lon, s.Lat, lon, lat)
		return lon, lat, dist, !(dist > s.Radius*s.Conversion)
	}
	width, height := s.Width*s.Conversion, s.Height*s.Conversion
	lonDist := Distance(lon, lat, s.Lon, lat)
	latDist := Distance(lon, lat, lon, s.Lat)
	if lonDist > width/2 || latDist > height/2 {
		return lon, lat, 0, false
	}
	return lon, lat, Distance(s.Lon, s.Lat, lon, lat), true
}

// Unit returns the meters in one unit of name ("m", "km", "ft", "mi",
// any case), as Redis reads it (up to a NUL byte, as C strings end).
func Unit(name []byte) (float64, bool) {
	for i, ch := range name {
		if ch == 0 {
			name = name[:i]
			break
		}
	}
	if len(name) > 2 {
		return 0, false
	}
	var buf [2]byte
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	switch string(buf[:len(name)]) {
	case "m":
		return 1, true
	case "km":
		return 1000, true
	case "ft":
		return 0.3048, true
	case "mi":
		return 1609.34, true
	}
	return 0, false
}

// AppendCoord appends a coordinate as Redis replies with one
// (addReplyHumanLongDouble: "%.17Lf" with the trailing zeros and point
// removed).
func AppendCoord(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', 17, 64)
	n := len(dst)
	for n > start && dst[n-1] == '0' {
		n--
	}
	if n > start && dst[n-1] == '.' {
		n--
	}
	dst = dst[:n]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// AppendDistance appends a distance as Redis replies with one ("%.4f").
func AppendDistance(dst []byte, d float64) []byte {
	switch {
	case math.IsInf(d, 1):
		return append(dst, "inf"...)
	case math.IsInf(d, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(d):
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, d, 'f', 4, 64)
}

// AppendF appends f as C's "%f" prints it (6 decimals; inf, -inf, nan),
// for Redis's "invalid longitude,latitude pair" error.
func AppendF(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	}
	return strconv.AppendFloat(dst, f, 'f', 6, 64)
}
