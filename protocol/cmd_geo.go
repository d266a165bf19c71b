package protocol

import (
	"math"
	"strconv"

	"github.com/cachesrv/cachesrv/protocol/geohash"
	"github.com/cachesrv/cachesrv/store"
)

// GEO commands, Redis 7.0's: a geo key is a sorted set whose scores are
// the 52-bit geohashes of its members' positions (protocol/geohash does
// the arithmetic, as Redis's geohash.c and geohash_helper.c do).

func init() {
	gc := func(name string, arity int, flags cmdFlags, first, last int, run handler) *command {
		cat := []string{"write", "geo", "slow"}
		if flags&flagReadonly != 0 {
			cat[0] = "read"
		}
		return &command{name: name, arity: arity, flags: flags, firstKey: first, lastKey: last, keyStep: 1, acl: cat, run: run}
	}
	radius := gc("georadius", -6, flagWrite|flagDenyOOM|flagMovableKeys, 1, 1, func(c *client, args [][]byte, tx store.Tx) {
		geoSearchGeneric(c, args, tx, 1, geoRadiusCoords)
	})
	radius.keys = georadiusKeys
	byMember := gc("georadiusbymember", -5, flagWrite|flagDenyOOM|flagMovableKeys, 1, 1, func(c *client, args [][]byte, tx store.Tx) {
		geoSearchGeneric(c, args, tx, 1, geoRadiusMember)
	})
	byMember.keys = georadiusKeys
	register(
		gc("geoadd", -5, flagWrite|flagDenyOOM, 1, 1, cmdGeoAdd),
		gc("geodist", -4, flagReadonly, 1, 1, cmdGeoDist),
		gc("geohash", -2, flagReadonly, 1, 1, cmdGeoHash),
		gc("geopos", -2, flagReadonly, 1, 1, cmdGeoPos),
		radius,
		gc("georadius_ro", -6, flagReadonly, 1, 1, func(c *client, args [][]byte, tx store.Tx) {
			geoSearchGeneric(c, args, tx, 1, geoRadiusCoords|geoNoStore)
		}),
		byMember,
		gc("georadiusbymember_ro", -5, flagReadonly, 1, 1, func(c *client, args [][]byte, tx store.Tx) {
			geoSearchGeneric(c, args, tx, 1, geoRadiusMember|geoNoStore)
		}),
		gc("geosearch", -7, flagReadonly, 1, 1, func(c *client, args [][]byte, tx store.Tx) {
			geoSearchGeneric(c, args, tx, 1, geoSearch)
		}),
		gc("geosearchstore", -8, flagWrite|flagDenyOOM, 1, 2, func(c *client, args [][]byte, tx store.Tx) {
			geoSearchGeneric(c, args, tx, 2, geoSearch|geoSearchStore)
		}),
	)
}

// georadiusKeys finds GEORADIUS's and GEORADIUSBYMEMBER's keys: the
// source, and the key after any STORE or STOREDIST word (every such
// word, so that the handler's choice, the last, is always among them).
func georadiusKeys(args [][]byte, fn func(key []byte)) {
	if len(args) > 1 {
		fn(args[1])
	}
	for i := 2; i+1 < len(args); i++ {
		if geoIs(args[i], "store") || geoIs(args[i], "storedist") {
			fn(args[i+1])
		}
	}
}

// geoIs compares an argument with a lower-case word as C's strcasecmp
// compares them (the argument ends at a NUL byte).
func geoIs(arg []byte, word string) bool {
	for i, ch := range arg {
		if ch == 0 {
			arg = arg[:i]
			break
		}
	}
	if len(arg) != len(word) {
		return false
	}
	for i, ch := range arg {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		if ch != word[i] {
			return false
		}
	}
	return true
}

// geoParseDouble parses a number as Redis's getDoubleFromObject does
// (strtod over the whole argument): decimal, hexadecimal or infinite;
// NaN, overflow and underflow to zero are refused.
func geoParseDouble(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	_, nonzero, inf, ok := longDoubleSyntax(b) // args.go
	if !ok {
		return 0, false
	}
	if inf {
		if b[0] == '-' {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	s := string(b)
	if len(s) > 2 {
		// Go reads a hexadecimal float only with its p exponent.
		h := s
		if h[0] == '+' || h[0] == '-' {
			h = h[1:]
		}
		if len(h) > 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X') {
			hasP := false
			for i := 2; i < len(h); i++ {
				if h[i] == 'p' || h[i] == 'P' {
					hasP = true
				}
			}
			if !hasP {
				s += "p0"
			}
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !(f == 0 || math.IsInf(f, 0)) {
		return 0, false
	}
	if math.IsInf(f, 0) || (f == 0 && nonzero) {
		return 0, false
	}
	return f, true
}

// geoDoubleArg parses a number argument, replying with Redis's error
// (msg, or "value is not a valid float") when it is not one.
func (c *client) geoDoubleArg(b []byte, msg string) (float64, bool) {
	f, ok := geoParseDouble(b)
	if !ok {
		if msg == "" {
			msg = errNotFloat
		}
		c.errorReply(msg)
	}
	return f, ok
}

// geoLonLatArgs parses a longitude and a latitude, replying with Redis's
// error when they are not numbers or are outside its limits.
func (c *client) geoLonLatArgs(lonArg, latArg []byte) (lon, lat float64, ok bool) {
	if lon, ok = c.geoDoubleArg(lonArg, ""); !ok {
		return 0, 0, false
	}
	if lat, ok = c.geoDoubleArg(latArg, ""); !ok {
		return 0, 0, false
	}
	if !geohash.ValidLonLat(lon, lat) {
		msg := []byte("ERR invalid longitude,latitude pair ")
		msg = geohash.AppendF(msg, lon)
		msg = append(msg, ',')
		msg = geohash.AppendF(msg, lat)
		c.errorReply(string(msg))
		return 0, 0, false
	}
	return lon, lat, true
}

const errGeoUnit = "ERR unsupported unit provided. please use M, KM, FT, MI"

// geoUnitArg parses a unit, replying with Redis's error if it is unknown.
func (c *client) geoUnitArg(b []byte) (float64, bool) {
	u, ok := geohash.Unit(b)
	if !ok {
		c.errorReply(errGeoUnit)
	}
	return u, ok
}

// writeCoord replies with a coordinate as Redis does
// (addReplyHumanLongDouble): a bulk string in RESP2, a double in RESP3,
// both "%.17Lf" without trailing zeros.
func (c *client) writeCoord(f float64) {
	var buf [48]byte
	b := geohash.AppendCoord(buf[:0], f)
	if c.RESP3() {
		out := make([]byte, 0, len(b)+3)
		out = append(out, ',')
		out = append(out, b...)
		out = append(out, '\r', '\n')
		c.WriteRaw(out)
		return
	}
	c.WriteBulk(b)
}

// writeDistance replies with a distance: a bulk string of 4 decimals, in
// both protocols, as Redis does.
func (c *client) writeDistance(d float64) {
	var buf [48]byte
	c.WriteBulk(geohash.AppendDistance(buf[:0], d))
}

// GEOADD key [NX|XX] [CH] longitude latitude member [...]
func cmdGeoAdd(c *client, args [][]byte, tx store.Tx) {
	var nx, xx, ch bool
	i := 2
options:
	for ; i < len(args); i++ {
		switch {
		case geoIs(args[i], "nx"):
			nx = true
		case geoIs(args[i], "xx"):
			xx = true
		case geoIs(args[i], "ch"):
			ch = true
		default:
			break options
		}
	}
	if (len(args)-i)%3 != 0 || (xx && nx) || len(args) == i {
		c.errorReply(errSyntax)
		return
	}
	members := make([]store.ZMember, 0, (len(args)-i)/3)
	for ; i < len(args); i += 3 {
		lon, lat, ok := c.geoLonLatArgs(args[i], args[i+1])
		if !ok {
			return
		}
		score, _ := geohash.Score(lon, lat)
		members = append(members, store.ZMember{Member: args[i+2], Score: score})
	}
	var flags store.ZFlags
	if nx {
		flags |= store.ZNX
	}
	if xx {
		flags |= store.ZXX
	}
	added, updated, err := tx.ZAdd(args[1], flags, members...)
	if c.wrongType(err) {
		return
	}
	if added+updated > 0 {
		c.notify(notifyZset, "zadd", args[1])
	}
	if ch {
		c.WriteInt(added + updated)
	} else {
		c.WriteInt(added)
	}
}

// geoExists checks key's type and reports whether it exists.
func (c *client) geoExists(tx store.Tx, key []byte) (exists, ok bool) {
	n, err := tx.ZCard(key)
	if c.wrongType(err) {
		return false, false
	}
	return n > 0, true
}

// GEOPOS key [member ...]
func cmdGeoPos(c *client, args [][]byte, tx store.Tx) {
	exists, ok := c.geoExists(tx, args[1])
	if !ok {
		return
	}
	c.WriteArray(len(args) - 2)
	for _, m := range args[2:] {
		var score float64
		found := false
		if exists {
			score, found, _ = tx.ZScore(args[1], m)
		}
		if !found {
			c.WriteNullArray()
			continue
		}
		lon, lat := geohash.DecodeScore(score)
		c.WriteArray(2)
		c.writeCoord(lon)
		c.writeCoord(lat)
	}
}

// GEOHASH key [member ...]
func cmdGeoHash(c *client, args [][]byte, tx store.Tx) {
	exists, ok := c.geoExists(tx, args[1])
	if !ok {
		return
	}
	c.WriteArray(len(args) - 2)
	for _, m := range args[2:] {
		var score float64
		found := false
		if exists {
			score, found, _ = tx.ZScore(args[1], m)
		}
		if !found {
			c.WriteNull()
			continue
		}
		c.WriteBulkString(geohash.String(score))
	}
}

// GEODIST key member1 member2 [M|KM|FT|MI]
func cmdGeoDist(c *client, args [][]byte, tx store.Tx) {
	toMeter := 1.0
	if len(args) == 5 {
		u, ok := c.geoUnitArg(args[4])
		if !ok {
			return
		}
		toMeter = u
	} else if len(args) > 5 {
		c.errorReply(errSyntax)
		return
	}
	exists, ok := c.geoExists(tx, args[1])
	if !ok {
		return
	}
	if !exists {
		c.WriteNull()
		return
	}
	s1, ok1, _ := tx.ZScore(args[1], args[2])
	s2, ok2, _ := tx.ZScore(args[1], args[3])
	if !ok1 || !ok2 {
		c.WriteNull()
		return
	}
	lon1, lat1 := geohash.DecodeScore(s1)
	lon2, lat2 := geohash.DecodeScore(s2)
	c.writeDistance(geohash.Distance(lon1, lat1, lon2, lat2) / toMeter)
}

// The variants of Redis's georadiusGeneric.
const (
	geoRadiusCoords = 1 << iota // GEORADIUS: around a longitude and latitude
	geoRadiusMember             // GEORADIUSBYMEMBER: around a member
	geoNoStore                  // the _RO variants: no STORE/STOREDIST
	geoSearch                   // GEOSEARCH's arguments
	geoSearchStore              // GEOSEARCHSTORE: stores in args[1]
)

// geoMemberPos returns the position of member of key's sorted set.
func geoMemberPos(tx store.Tx, key, member []byte) (lon, lat float64, ok bool) {
	score, found, err := tx.ZScore(key, member)
	if err != nil || !found {
		return 0, 0, false
	}
	lon, lat = geohash.DecodeScore(score)
	return lon, lat, true
}

const errGeoMember = "ERR could not decode requested zset member"

// geoSearchGeneric serves GEORADIUS, GEORADIUSBYMEMBER, their _RO
// variants, GEOSEARCH and GEOSEARCHSTORE, checking the arguments in
// Redis's order so that each mistake gets Redis's error.
func geoSearchGeneric(c *client, args [][]byte, tx store.Tx, src int, flags int) {
	key := args[src]
	exists, ok := c.geoExists(tx, key)
	if !ok {
		return
	}
	var s geohash.Shape
	var base int
	var storeKey []byte
	storeDist := false
	switch {
	case flags&geoRadiusCoords != 0:
		base = 6
		if s.Lon, s.Lat, ok = c.geoLonLatArgs(args[2], args[3]); !ok {
			return
		}
		if !c.geoRadiusArgs(args[4], args[5], &s) {
			return
		}
	case flags&geoRadiusMember != 0:
		base = 5
		if exists {
			if s.Lon, s.Lat, ok = geoMemberPos(tx, key, args[2]); !ok {
				c.errorReply(errGeoMember)
				return
			}
			if !c.geoRadiusArgs(args[3], args[4], &s) {
				return
			}
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			storeKey = args[1]
		}
	}

	var withDist, withHash, withCoord, fromMember, fromLoc, byRadius, byBox, anyOpt bool
	sortDir := 0 // 0 none, 1 ascending, 2 descending
	count := int64(0)
	search := flags&geoSearch != 0
	canStore := flags&geoNoStore == 0 && !search
	rest := args[base:]
	for i := 0; i < len(rest); i++ {
		arg := rest[i]
		left := len(rest) - 1 - i // arguments after this one
		switch {
		case geoIs(arg, "withdist"):
			withDist = true
		case geoIs(arg, "withhash"):
			withHash = true
		case geoIs(arg, "withcoord"):
			withCoord = true
		case geoIs(arg, "any"):
			anyOpt = true
		case geoIs(arg, "asc"):
			sortDir = 1
		case geoIs(arg, "desc"):
			sortDir = 2
		case geoIs(arg, "count") && left >= 1:
			n, ok := c.intArg(rest[i+1])
			if !ok {
				return
			}
			if n <= 0 {
				c.errorReply("ERR COUNT must be > 0")
				return
			}
			count = n
			i++
		case geoIs(arg, "store") && left >= 1 && canStore:
			storeKey, storeDist = rest[i+1], false
			i++
		case geoIs(arg, "storedist") && left >= 1 && canStore:
			storeKey, storeDist = rest[i+1], true
			i++
		case geoIs(arg, "storedist") && search && flags&geoSearchStore != 0:
			storeDist = true
		case geoIs(arg, "frommember") && left >= 1 && search && !fromLoc:
			if exists {
				if s.Lon, s.Lat, ok = geoMemberPos(tx, key, rest[i+1]); !ok {
					c.errorReply(errGeoMember)
					return
				}
			}
			fromMember = true
			i++
		case geoIs(arg, "fromlonlat") && left >= 2 && search && !fromMember:
			if s.Lon, s.Lat, ok = c.geoLonLatArgs(rest[i+1], rest[i+2]); !ok {
				return
			}
			fromLoc = true
			i += 2
		case geoIs(arg, "byradius") && left >= 2 && search && !byBox:
			if !c.geoRadiusArgs(rest[i+1], rest[i+2], &s) {
				return
			}
			s.Box = false
			byRadius = true
			i += 2
		case geoIs(arg, "bybox") && left >= 3 && search && !byRadius:
			if !c.geoBoxArgs(rest[i+1], rest[i+2], rest[i+3], &s) {
				return
			}
			s.Box = true
			byBox = true
			i += 3
		default:
			c.errorReply(errSyntax)
			return
		}
	}

	if storeKey != nil && (withDist || withHash || withCoord) {
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStore != 0 {
			what = "GEOSEARCHSTORE"
		}
		c.errorReply("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		return
	}
	if search && !(fromMember || fromLoc) {
		c.errorReply("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(args[0]))
		return
	}
	if search && !(byRadius || byBox) {
		c.errorReply("ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(args[0]))
		return
	}
	if anyOpt && count == 0 {
		c.errorReply("ERR the ANY argument requires COUNT argument")
		return
	}

	if !exists {
		if storeKey != nil {
			if tx.Delete(storeKey) {
				c.notify(notifyGeneric, "del", storeKey)
			}
			c.WriteInt(0)
		} else {
			c.WriteArray(0)
		}
		return
	}
	if count != 0 && sortDir == 0 && !anyOpt {
		sortDir = 1
	}
	limit := 0
	if anyOpt {
		limit = int(count)
	}
	pts := s.Search(func(lo, hi float64, fn func([]byte, float64) bool) {
		tx.ZRangeByScore(key, store.ZScoreRange{Min: lo, Max: hi, MaxEx: true}, false, 0, -1, func(m store.ZMember) bool {
			return fn(m.Member, m.Score)
		})
	}, limit)
	if len(pts) == 0 && storeKey == nil {
		c.WriteArray(0)
		return
	}
	returned := len(pts)
	if count != 0 && int64(returned) > count {
		returned = int(count)
	}
	if sortDir != 0 {
		pts = geohash.Sort(pts, sortDir == 2, returned)
	}
	pts = pts[:returned]

	if storeKey == nil {
		opts := 0
		for _, on := range []bool{withDist, withHash, withCoord} {
			if on {
				opts++
			}
		}
		c.WriteArray(len(pts))
		for _, p := range pts {
			if opts > 0 {
				c.WriteArray(opts + 1)
			}
			c.WriteBulk(p.Member)
			if withDist {
				c.writeDistance(p.Dist / s.Conversion)
			}
			if withHash {
				c.WriteInt64(geohash.HashInt(p.Score))
			}
			if withCoord {
				c.WriteArray(2)
				c.writeCoord(p.Lon)
				c.writeCoord(p.Lat)
			}
		}
		return
	}
	if len(pts) == 0 {
		if tx.Delete(storeKey) {
			c.notify(notifyGeneric, "del", storeKey)
		}
		c.WriteInt(0)
		return
	}
	members := make([]store.ZMember, len(pts))
	for i, p := range pts {
		members[i] = store.ZMember{Member: p.Member, Score: p.Score}
		if storeDist {
			members[i].Score = p.Dist / s.Conversion
		}
	}
	tx.ZStore(storeKey, members)
	event := "georadiusstore"
	if search {
		event = "geosearchstore"
	}
	c.notify(notifyZset, event, storeKey)
	c.WriteInt(len(pts))
}

// geoRadiusArgs parses a radius and its unit into s.
func (c *client) geoRadiusArgs(radius, unit []byte, s *geohash.Shape) bool {
	r, ok := c.geoDoubleArg(radius, "ERR need numeric radius")
	if !ok {
		return false
	}
	if r < 0 {
		c.errorReply("ERR radius cannot be negative")
		return false
	}
	s.Radius = r
	if s.Conversion, ok = c.geoUnitArg(unit); !ok {
		return false
	}
	return true
}

// geoBoxArgs parses a box's width, height and unit into s.
func (c *client) geoBoxArgs(width, height, unit []byte, s *geohash.Shape) bool {
	w, ok := c.geoDoubleArg(width, "ERR need numeric width")
	if !ok {
		return false
	}
	h, ok := c.geoDoubleArg(height, "ERR need numeric height")
	if !ok {
		return false
	}
	if h < 0 || w < 0 {
		c.errorReply("ERR height or width cannot be negative")
		return false
	}
	s.Width, s.Height = w, h
	if s.Conversion, ok = c.geoUnitArg(unit); !ok {
		return false
	}
	return true
}
