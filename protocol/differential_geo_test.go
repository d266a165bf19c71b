package protocol

import (
	"fmt"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"
)

// The GEO commands against redis-server 7.0.15, in RESP2 and RESP3, byte
// for byte (runCollDifferential, differential_coll_test.go): every
// command, option and error path, points at the corners of the map,
// scores that are no geohash, ties, and a few hundred random points and
// searches (seeded) whose replies, with WITHDIST, WITHHASH and WITHCOORD,
// ASC, DESC, COUNT and ANY, must come out identical.

func TestDifferentialGeo(t *testing.T) { runCollDifferential(t, geoScript, 250) }

func TestDifferentialGeoRandom(t *testing.T) {
	runCollDifferential(t, geoRandomScript(1, 350, 400), 550)
}

const geoScript = `
# --- arity ---
GEOADD
GEOADD k
GEOADD k 1 2
GEOPOS
GEOHASH
GEODIST k a
GEORADIUS k 1 2 3
GEORADIUS_RO k 1 2 3
GEORADIUSBYMEMBER k m 1
GEORADIUSBYMEMBER_RO k m 1
GEOSEARCH k FROMLONLAT 1 2 BYRADIUS
GEOSEARCHSTORE d k FROMLONLAT 1 2 BYRADIUS 1
# --- GEOADD's syntax and numbers ---
GEOADD k 1 2 m x
GEOADD k nx xx 1 1 a
GEOADD k xx nx 1 1 a
GEOADD k NX XX CH
GEOADD k ch ch ch
GEOADD k nx ch xx
GEOADD k gt 1 1 a
GEOADD k lt ch 1 1 a
GEOADD k incr 1 1 a
GEOADD k 200 100 a
GEOADD k 1 1 a 200 100 b
EXISTS k
GEOADD k abc 1 a
GEOADD k 1 abc a
GEOADD k nan 1 a
GEOADD k 1 nan a
GEOADD k inf 1 a
GEOADD k -inf 1 a
GEOADD k 1 -infinity a
GEOADD k 1e400 1 a
GEOADD k 1e-400 1 a
GEOADD k -1e300 1 a
GEOADD k " 1" 1 a
GEOADD k "1 " 1 a
GEOADD k "" 1 a
GEOADD k 1.5e 1 a
GEOADD k 180.0000001 0 a
GEOADD k 0 85.05112879 a
GEOADD k 0 -85.05112879 a
EXISTS k
GEOADD k 0x10 0x1p3 hex
GEOADD k +1.5 -.5 signs
GEOADD k 4.9e-324 0 tiny
GEOADD k 180 85.05112878 ne 180 -85.05112878 se -180 85.05112878 nw -180 -85.05112878 sw
GEOADD k 0 0 origin -0 -0 negzero 179.9999999 0 east -179.9999999 0 west
ZRANGE k 0 -1 WITHSCORES
GEOPOS k hex signs tiny ne se nw sw origin negzero east west
GEOHASH k hex signs tiny ne se nw sw origin negzero east west
GEODIST k ne sw
GEODIST k east west
GEODIST k east west km
GEODIST k origin negzero
GEODIST k ne nw mi
GEOSEARCH k FROMLONLAT 180 0 BYRADIUS 100 km ASC WITHCOORD WITHDIST
GEOSEARCH k FROMLONLAT -180 0 BYRADIUS 100 km DESC WITHCOORD WITHDIST WITHHASH
GEOSEARCH k FROMLONLAT 0 85.05112878 BYRADIUS 30000 km ASC WITHDIST
GEOSEARCH k FROMMEMBER ne BYBOX 100000 100000 km ASC WITHDIST WITHHASH
GEORADIUS k 0 0 0 m WITHDIST
GEORADIUS k 0 0 inf m WITHDIST ASC
GEORADIUS k 0 0 1e300 km ASC
TYPE k
DEL k
# --- Sicily, from Redis's docs ---
GEOADD Sicily 13.361389 38.115556 "Palermo" 15.087269 37.502669 "Catania"
GEOADD Sicily 13.361389 38.115556 "Palermo"
GEOADD Sicily CH 13.361389 38.115556 Palermo 13.4 38.1 Palermo2
GEOADD Sicily CH 13.361390 38.115556 Palermo
GEOADD Sicily CH 13.361389 38.115556 Palermo
GEOADD Sicily XX CH 13.5 38.115556 Palermo2 1 1 nothere
GEOADD Sicily XX 1 1 nothere2
GEOADD Sicily NX CH 13.361389 38.115556 Palermo 1 1 nothere
GEOADD Sicily nx 2 2 nothere
GEOADD Sicily Ch Nx 3 3 third
GEOADD Sicily 1 1 dupe 2 2 dupe
GEOPOS Sicily dupe
ZREM Sicily nothere third dupe Palermo2
GEOADD nokey XX 1 1 a
EXISTS nokey
ZRANGE Sicily 0 -1 WITHSCORES
TYPE Sicily
ZSCORE Sicily Palermo
ZCARD Sicily
OBJECT ENCODING Sicily
GEOPOS Sicily Palermo Catania NonExisting
GEOPOS Sicily
GEOPOS nokey a b
GEOPOS nokey
GEOHASH Sicily Palermo Catania NonExisting
GEOHASH Sicily
GEOHASH nokey a
GEODIST Sicily Palermo Catania
GEODIST Sicily Palermo Catania km
GEODIST Sicily Palermo Catania KM
GEODIST Sicily Palermo Catania mi
GEODIST Sicily Palermo Catania Ft
GEODIST Sicily Palermo Catania M
GEODIST Sicily Palermo Catania yards
GEODIST Sicily Palermo Catania "m\x00"
GEODIST Sicily Palermo Catania ""
GEODIST Sicily Palermo Catania km extra
GEODIST Sicily Palermo nope
GEODIST Sicily nope Palermo
GEODIST nokey a b
GEODIST nokey a b yards
GEODIST nokey a b km extra
GEODIST Sicily Palermo Palermo
GEORADIUS Sicily 15 37 100 km
GEORADIUS Sicily 15 37 200 km
GEORADIUS Sicily 15 37 200 km WITHDIST
GEORADIUS Sicily 15 37 200 km WITHCOORD
GEORADIUS Sicily 15 37 200 km WITHHASH
GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD
GEORADIUS Sicily 15 37 200 km WITHDIST WITHCOORD WITHHASH ASC
GEORADIUS Sicily 15 37 200 km WITHHASH WITHCOORD WITHDIST DESC
GEORADIUS Sicily 15 37 200 km COUNT 1
GEORADIUS Sicily 15 37 200 km COUNT 1 DESC
GEORADIUS Sicily 15 37 200 km COUNT 1 ANY
GEORADIUS Sicily 15 37 200 km COUNT 2 ANY ASC
GEORADIUS Sicily 15 37 200 km ANY
GEORADIUS Sicily 15 37 200 km ANY COUNT 5
GEORADIUS Sicily 15 37 200 km COUNT 5 COUNT 1
GEORADIUS Sicily 15 37 200 km ASC DESC
GEORADIUS Sicily 15 37 200 km COUNT 0
GEORADIUS Sicily 15 37 200 km COUNT -3
GEORADIUS Sicily 15 37 200 km COUNT x
GEORADIUS Sicily 15 37 200 km COUNT 99999999999999999999
GEORADIUS Sicily 15 37 200 km COUNT
GEORADIUS Sicily 15 37 200 km FOO
GEORADIUS Sicily 15 37 200 km FROMLONLAT 1 1
GEORADIUS Sicily 15 37 200 km STOREDIST
GEORADIUS Sicily 15 37 -1 km
GEORADIUS Sicily 15 37 abc km
GEORADIUS Sicily 15 37 nan km
GEORADIUS Sicily 15 37 1 yards
GEORADIUS Sicily 200 37 1 km
GEORADIUS Sicily 15 x 1 km
GEORADIUS Sicily 15 37 200 mi WITHDIST
GEORADIUS Sicily 15 37 200000 ft WITHDIST
GEORADIUS_RO Sicily 15 37 200 km WITHDIST ASC
GEORADIUS_RO Sicily 15 37 200 km STORE dst
GEORADIUS_RO Sicily 15 37 200 km STOREDIST dst
GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST
GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST WITHCOORD WITHHASH DESC COUNT 1
GEORADIUSBYMEMBER Sicily nope 200 km
GEORADIUSBYMEMBER Sicily nope abc km
GEORADIUSBYMEMBER Sicily Palermo abc km
GEORADIUSBYMEMBER Sicily Palermo 200 yards
GEORADIUSBYMEMBER_RO Sicily Palermo 200 km ASC
GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STORE dst
GEORADIUSBYMEMBER nokey nope abc yards
GEORADIUSBYMEMBER nokey nope 1 km WITHDIST
GEORADIUSBYMEMBER nokey nope 1 km BOGUS
GEORADIUSBYMEMBER_RO nokey nope abc yards
GEORADIUS nokey 15 37 200 km
GEORADIUS nokey 15 37 200 yards
GEORADIUS nokey 15 37 200 km ANY
# --- GEOSEARCH ---
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km DESC WITHCOORD WITHDIST WITHHASH
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 400 400 km ASC WITHCOORD WITHDIST WITHHASH
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km DESC COUNT 1 WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km COUNT 1 ANY WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 100 400 km WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 100 km WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 0 0 km WITHDIST
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 0 km WITHDIST
geosearch Sicily fromlonlat 15 37 byradius 200 KM withdist asc
GEOSEARCH Sicily FROMLONLAT 0xf 37 BYRADIUS 200 km ASC
GEOSEARCH Sicily BYRADIUS 200 km ASC WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 ASC WITHDIST
GEOSEARCH Sicily ASC WITHDIST WITHHASH WITHCOORD
GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km
GEOSEARCH Sicily FROMMEMBER Palermo FROMMEMBER Catania BYRADIUS 1 km WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYRADIUS 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYRADIUS 300 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS -1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS abc km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX abc 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 abc km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX abc abc yards
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 yards
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 yards
GEOSEARCH Sicily FROMLONLAT 200 37 BYRADIUS 1 km
GEOSEARCH Sicily FROMLONLAT 15 abc BYRADIUS 1 km
GEOSEARCH Sicily FROMLONLAT 15 BYRADIUS 1 km ASC
GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 km
GEOSEARCH Sicily FROMMEMBER nope BYRADIUS abc km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 0
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT -1
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT abc
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ANY
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST WITHDIST
GEOSEARCH nokey FROMMEMBER nope BYRADIUS 1 km
GEOSEARCH nokey FROMMEMBER nope BYRADIUS abc km
GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 1 km
GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 1 km ANY
GEOSEARCH nokey FROMMEMBER x ASC WITHDIST
GEOSEARCH nokey FROMLONLAT 200 37 BYRADIUS 1 km
# --- storing ---
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km
ZRANGE dst 0 -1 WITHSCORES
TYPE dst
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST ASC COUNT 1
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km DESC COUNT 1
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 mi STOREDIST
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHHASH
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHCOORD STOREDIST
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 ASC
GEOSEARCHSTORE dst Sicily BYRADIUS 200 km ASC
EXPIRE dst 1000
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km
TTL dst
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 1 m
EXISTS dst
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCHSTORE dst nokey FROMLONLAT 15 37 BYRADIUS 1 m
EXISTS dst
GEOSEARCHSTORE dst nokey FROMMEMBER x BYRADIUS 1 m
SET str v
GEOSEARCHSTORE str Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1
TYPE str
ZRANGE str 0 -1 WITHSCORES
GEOSEARCHSTORE Sicily2 Sicily FROMMEMBER Palermo BYRADIUS 500 km
GEOSEARCHSTORE Sicily2 Sicily2 FROMMEMBER Palermo BYRADIUS 100 km STOREDIST
ZRANGE Sicily2 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STORE dst
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STOREDIST dst
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STOREDIST dst STORE dst2
ZRANGE dst2 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STORE dst3 STOREDIST dst4 COUNT 1 DESC
ZRANGE dst4 0 -1 WITHSCORES
EXISTS dst3
GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST
GEORADIUS Sicily 15 37 200 km WITHCOORD STOREDIST dst
GEORADIUS Sicily 15 37 200 km STORE
GEORADIUS Sicily 15 37 1 m STORE dst
EXISTS dst
GEORADIUSBYMEMBER Sicily Palermo 200 km STORE dst
ZRANGE dst 0 -1 WITHSCORES
GEORADIUSBYMEMBER Sicily Palermo 200 km STOREDIST dst ASC
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS nokey 15 37 200 km STORE dst
EXISTS dst
GEORADIUSBYMEMBER nokey nope 1 km STORE dst
GEORADIUSBYMEMBER nokey nope abc yards STORE dst
GEORADIUSBYMEMBER nokey nope 1 km STORE dst WITHDIST
# --- wrong types ---
SET s v
GEOADD s 1 1 a
GEOADD s 200 1 a
GEOADD s 1 1
GEOPOS s a
GEOPOS s
GEOHASH s a
GEODIST s a b
GEODIST s a b yards
GEORADIUS s 1 1 1 km
GEORADIUS s 200 1 1 km
GEORADIUS_RO s 1 1 1 km
GEORADIUSBYMEMBER s a 1 km
GEORADIUSBYMEMBER_RO s a abc km
GEOSEARCH s FROMLONLAT 1 1 BYRADIUS 1 km
GEOSEARCH s FROMLONLAT 1 1 ASC WITHDIST
GEOSEARCHSTORE dst s FROMLONLAT 1 1 BYRADIUS 1 km
HSET h f v
GEOPOS h f
GEOSEARCH h FROMMEMBER f BYRADIUS 1 km
# --- sorted sets whose scores are no geohash ---
ZADD zz 1e30 a -1 b 0 c 1e17 d 4503599627370496 e -1e30 f 3.5 g 4503599627370495 h inf i -inf j
GEOPOS zz a b c d e f g h i j
GEOHASH zz a b c d e f g h i j
GEODIST zz a d
GEODIST zz b h km
GEOSEARCH zz FROMMEMBER d BYRADIUS 100 km WITHHASH WITHCOORD
GEOSEARCH zz FROMMEMBER c BYRADIUS 100 km WITHHASH WITHCOORD ASC
GEOSEARCH zz FROMMEMBER i BYRADIUS 100 km WITHHASH WITHCOORD ASC
GEORADIUS zz -180 -85 50 km WITHHASH
# --- equal distances: the order of ties, sorted and partially sorted ---
GEOADD dup 10 10 m1 10 10 m2 10 10 m3 10 10 m4 10 10 m5 10 10 m6 10 10 m7 10 10 m8 10 10 m9 10 10 m10
GEOADD dup 10.001 10 far 9.999 10 farw 10 10.001 farn 10 9.999 fars 10.001 10.001 corner
GEORADIUS dup 10 10 500 km
GEORADIUS dup 10 10 500 km ASC
GEORADIUS dup 10 10 500 km DESC
GEORADIUS dup 10 10 500 km COUNT 1
GEORADIUS dup 10 10 500 km COUNT 3
GEORADIUS dup 10 10 500 km COUNT 3 DESC
GEORADIUS dup 10 10 500 km COUNT 7 DESC
GEORADIUS dup 10 10 500 km COUNT 12
GEORADIUS dup 10 10 500 km COUNT 14 DESC
GEORADIUS dup 10 10 500 km COUNT 15 DESC
GEORADIUS dup 10 10 500 km COUNT 16 DESC
GEORADIUS dup 10 10 500 km COUNT 4 ANY
GEORADIUS dup 10 10 500 km COUNT 4 ANY DESC
GEOSEARCH dup FROMMEMBER m5 BYBOX 1 1 km COUNT 5 WITHDIST
GEOSEARCH dup FROMMEMBER m5 BYBOX 1 1 km COUNT 5 DESC WITHDIST
GEOSEARCHSTORE dupdst dup FROMMEMBER m5 BYBOX 1 1 km COUNT 5 DESC
ZRANGE dupdst 0 -1
`

// geoRandomScript is a seeded corpus: n random points (clustered, near
// the antimeridian and near the poles as well as anywhere), then
// searches random radii and boxes with every reply option, and stores.
func geoRandomScript(seed int64, n, searches int) string {
	r := rand.New(rand.NewSource(seed))
	var b strings.Builder
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }
	type pt struct{ lon, lat float64 }
	pts := make([]pt, 0, n)
	for range n {
		p := pt{r.Float64()*360 - 180, r.Float64()*170 - 85}
		switch r.Intn(6) {
		case 0, 1: // a dense cluster around Rome
			p = pt{12 + r.Float64(), 41.5 + r.Float64()}
		case 2: // around the antimeridian
			p.lon = 179 + r.Float64()*2
			if p.lon > 180 {
				p.lon -= 360
			}
		case 3: // near the poles
			p.lat = math.Copysign(80+r.Float64()*5.05, p.lat)
		}
		pts = append(pts, p)
	}
	for i := 0; i < n; i += 40 {
		b.WriteString("GEOADD big")
		for j := i; j < min(i+40, n); j++ {
			fmt.Fprintf(&b, " %s %s p%d", f(pts[j].lon), f(pts[j].lat), j)
		}
		b.WriteString("\n")
	}
	// A small set too (Redis's listpack encoding).
	b.WriteString("GEOADD small")
	for j := range 20 {
		fmt.Fprintf(&b, " %s %s s%d", f(pts[j].lon), f(pts[j].lat), j)
	}
	b.WriteString("\nZCARD big\nZRANGE big 0 9 WITHSCORES\n")
	units := []string{"m", "km", "ft", "mi"}
	conv := map[string]float64{"m": 1, "km": 1000, "ft": 0.3048, "mi": 1609.34}
	for i := range searches {
		key := "big"
		if r.Intn(5) == 0 {
			key = "small"
		}
		unit := units[r.Intn(4)]
		meters := math.Pow(10, 1+r.Float64()*6.6)
		size := strconv.FormatFloat(math.Round(meters/conv[unit]*100)/100, 'f', -1, 64)
		size2 := strconv.FormatFloat(math.Round(meters*(0.2+r.Float64()*3)/conv[unit]*100)/100, 'f', -1, 64)
		p := pts[r.Intn(len(pts))]
		lon := math.Max(-180, math.Min(180, p.lon+r.NormFloat64()*0.5))
		lat := math.Max(-85, math.Min(85, p.lat+r.NormFloat64()*0.5))
		member := fmt.Sprintf("p%d", r.Intn(n))
		if key == "small" {
			member = fmt.Sprintf("s%d", r.Intn(20))
		}
		var opts []string
		for _, o := range []string{"WITHDIST", "WITHHASH", "WITHCOORD"} {
			if r.Intn(3) > 0 {
				opts = append(opts, o)
			}
		}
		switch r.Intn(4) {
		case 0:
			opts = append(opts, "ASC")
		case 1:
			opts = append(opts, "DESC")
		}
		if r.Intn(2) == 0 {
			opts = append(opts, "COUNT", strconv.Itoa(1+r.Intn(25)))
			if r.Intn(3) == 0 {
				opts = append(opts, "ANY")
			}
		}
		o := strings.Join(opts, " ")
		from := fmt.Sprintf("FROMLONLAT %s %s", f(lon), f(lat))
		if r.Intn(3) == 0 {
			from = "FROMMEMBER " + member
		}
		by := fmt.Sprintf("BYRADIUS %s %s", size, unit)
		if r.Intn(2) == 0 {
			by = fmt.Sprintf("BYBOX %s %s %s", size, size2, unit)
		}
		switch i % 6 {
		case 0:
			fmt.Fprintf(&b, "GEORADIUS %s %s %s %s %s %s\n", key, f(lon), f(lat), size, unit, o)
		case 1:
			fmt.Fprintf(&b, "GEORADIUSBYMEMBER_RO %s %s %s %s %s\n", key, member, size, unit, o)
		case 2:
			// Without COUNT the order is the cells' and the scores':
			// compared as it comes, too.
			fmt.Fprintf(&b, "GEOSEARCH %s %s %s %s\n", key, from, by, o)
		case 3:
			fmt.Fprintf(&b, "GEOSEARCH %s %s %s WITHDIST WITHCOORD WITHHASH ASC\n", key, from, by)
		case 4:
			storeOpts := strings.NewReplacer("WITHDIST", "", "WITHHASH", "", "WITHCOORD", "").Replace(o)
			fmt.Fprintf(&b, "GEOSEARCHSTORE dst %s %s %s %s STOREDIST\nZRANGE dst 0 -1 WITHSCORES\n", key, from, by, storeOpts)
		case 5:
			storeOpts := strings.NewReplacer("WITHDIST", "", "WITHHASH", "", "WITHCOORD", "").Replace(o)
			fmt.Fprintf(&b, "GEORADIUSBYMEMBER %s %s %s %s %s STORE dst\nZRANGE dst 0 -1 WITHSCORES\n", key, member, size, unit, storeOpts)
		}
	}
	for range 50 {
		fmt.Fprintf(&b, "GEODIST big p%d p%d %s\n", r.Intn(n), r.Intn(n), units[r.Intn(4)])
	}
	b.WriteString("GEOHASH big")
	for j := range 60 {
		fmt.Fprintf(&b, " p%d", j)
	}
	b.WriteString("\nGEOPOS big")
	for j := range 60 {
		fmt.Fprintf(&b, " p%d", j)
	}
	b.WriteString("\n")
	return b.String()
}
