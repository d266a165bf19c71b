package protocol

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// TestGeoGoRedis: go-redis's GEO API over TCP, with the values Redis's
// docs give for the Sicily points, and a geo key read as a sorted set.
func TestGeoGoRedis(t *testing.T) {
	ts := startServer(t)
	for _, proto := range []int{2, 3} {
		c := redis.NewClient(&redis.Options{Addr: ts.addr, Protocol: proto})
		defer c.Close()
		ctx := context.Background()
		c.Del(ctx, "Sicily", "dst")
		n, err := c.GeoAdd(ctx, "Sicily",
			&redis.GeoLocation{Name: "Palermo", Longitude: 13.361389, Latitude: 38.115556},
			&redis.GeoLocation{Name: "Catania", Longitude: 15.087269, Latitude: 37.502669}).Result()
		if err != nil || n != 2 {
			t.Fatalf("GEOADD = %d, %v", n, err)
		}
		if typ := c.Type(ctx, "Sicily").Val(); typ != "zset" {
			t.Errorf("TYPE = %q", typ)
		}
		if s := c.ZScore(ctx, "Sicily", "Palermo").Val(); s != 3479099956230698 {
			t.Errorf("ZSCORE Palermo = %v", s)
		}
		if m := c.ZRange(ctx, "Sicily", 0, -1).Val(); len(m) != 2 || m[0] != "Palermo" || m[1] != "Catania" {
			t.Errorf("ZRANGE = %v", m)
		}
		if d := c.GeoDist(ctx, "Sicily", "Palermo", "Catania", "km").Val(); d != 166.2742 {
			t.Errorf("GEODIST km = %v", d)
		}
		if h := c.GeoHash(ctx, "Sicily", "Palermo", "Catania").Val(); len(h) != 2 || h[0] != "sqc8b49rny0" || h[1] != "sqdtr74hyu0" {
			t.Errorf("GEOHASH = %v", h)
		}
		pos := c.GeoPos(ctx, "Sicily", "Palermo", "nope").Val()
		if len(pos) != 2 || pos[1] != nil || math.Abs(pos[0].Longitude-13.36138933897018433) > 1e-12 || math.Abs(pos[0].Latitude-38.11555639549629859) > 1e-12 {
			t.Errorf("GEOPOS = %+v", pos)
		}
		locs, err := c.GeoSearchLocation(ctx, "Sicily", &redis.GeoSearchLocationQuery{
			GeoSearchQuery: redis.GeoSearchQuery{Longitude: 15, Latitude: 37, Radius: 200, RadiusUnit: "km", Sort: "ASC"},
			WithCoord:      true, WithDist: true, WithHash: true,
		}).Result()
		if err != nil || len(locs) != 2 || locs[0].Name != "Catania" || locs[0].Dist != 56.4413 || locs[1].Dist != 190.4424 ||
			locs[0].GeoHash != 3479447370796909 || math.Abs(locs[0].Longitude-15.08726745843887329) > 1e-12 {
			t.Errorf("GEOSEARCH = %+v, %v", locs, err)
		}
		names, err := c.GeoSearch(ctx, "Sicily", &redis.GeoSearchQuery{Member: "Palermo", BoxWidth: 400, BoxHeight: 400, BoxUnit: "km", Sort: "DESC"}).Result()
		if err != nil || len(names) != 2 || names[0] != "Catania" {
			t.Errorf("GEOSEARCH BYBOX = %v, %v", names, err)
		}
		stored, err := c.GeoSearchStore(ctx, "Sicily", "dst", &redis.GeoSearchStoreQuery{
			GeoSearchQuery: redis.GeoSearchQuery{Longitude: 15, Latitude: 37, Radius: 100, RadiusUnit: "km"},
			StoreDist:      true,
		}).Result()
		if err != nil || stored != 1 {
			t.Errorf("GEOSEARCHSTORE = %d, %v", stored, err)
		}
		if z := c.ZRangeWithScores(ctx, "dst", 0, -1).Val(); len(z) != 1 || z[0].Member != "Catania" || math.Abs(z[0].Score-56.4413) > 1e-3 {
			t.Errorf("stored = %+v", z)
		}
		rad, err := c.GeoRadius(ctx, "Sicily", 15, 37, &redis.GeoRadiusQuery{Radius: 200, Unit: "km", WithDist: true, Sort: "DESC", Count: 1}).Result()
		if err != nil || len(rad) != 1 || rad[0].Name != "Palermo" || rad[0].Dist != 190.4424 {
			t.Errorf("GEORADIUS = %+v, %v", rad, err)
		}
		if _, err := c.GeoRadiusStore(ctx, "Sicily", 15, 37, &redis.GeoRadiusQuery{Radius: 200, Unit: "km", Store: "dst"}).Result(); err != nil {
			t.Errorf("GEORADIUS STORE: %v", err)
		}
		if n := c.ZCard(ctx, "dst").Val(); n != 2 {
			t.Errorf("GEORADIUS STORE stored %d", n)
		}
		if err := c.GeoAdd(ctx, "Sicily", &redis.GeoLocation{Name: "x", Longitude: 200, Latitude: 100}).Err(); err == nil ||
			err.Error() != "ERR invalid longitude,latitude pair 200.000000,100.000000" {
			t.Errorf("GEOADD 200 100: %v", err)
		}
	}
}

// TestGeoKeyspaceEvents: GEOADD, GEOSEARCHSTORE and GEORADIUS STORE
// publish the events redis-server publishes, in the same order.
func TestGeoKeyspaceEvents(t *testing.T) {
	redisAddr := servertest.RedisServer(t)
	ts := startServer(t)
	script := [][]any{
		{"GEOADD", "g", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania"},
		{"GEOADD", "g", "13.361389", "38.115556", "Palermo"},
		{"GEOADD", "g", "CH", "13.5", "38.115556", "Palermo"},
		{"GEOADD", "g", "XX", "1", "1", "nothere"},
		{"GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"},
		{"GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "STOREDIST"},
		{"GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m"},
		{"GEOSEARCHSTORE", "d", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "1", "m"},
		{"GEORADIUS", "g", "15", "37", "200", "km", "STORE", "d"},
		{"GEORADIUSBYMEMBER", "g", "Palermo", "200", "km", "STOREDIST", "d2"},
		{"GEORADIUS", "nokey", "15", "37", "200", "km", "STORE", "d"},
		{"GEOSEARCHSTORE", "d2", "nokey", "FROMMEMBER", "x", "BYRADIUS", "1", "m"},
		{"GEOSEARCH", "g", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km"},
		{"SET", "end", "1"},
	}
	events := func(addr string) []string { return notificationsOf(t, addr, "__key*@0__:*", script) }
	want, got := events(redisAddr), events(ts.addr)
	if len(got) != len(want) {
		t.Fatalf("events:\n cachesrv %q\n redis    %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: cachesrv %q, redis %q", i, got[i], want[i])
		}
	}
}

// TestGeoradiusKeys: GEORADIUS's keys are its source and whatever follows
// STORE or STOREDIST, so the dispatcher locks the store key's shard.
func TestGeoradiusKeys(t *testing.T) {
	split := func(s string) [][]byte {
		var out [][]byte
		for _, f := range strings.Fields(s) {
			out = append(out, []byte(f))
		}
		return out
	}
	for in, want := range map[string]string{
		"GEORADIUS src 1 2 3 km":                           "src",
		"GEORADIUS src 1 2 3 km STORE dst":                 "src dst",
		"GEORADIUS src 1 2 3 km storedist d1 STORE d2 ASC": "src d1 d2",
		"GEORADIUSBYMEMBER src m 3 km COUNT 2 STOREDIST d": "src d",
		"GEORADIUS src 1 2 3 km STORE":                     "src",
	} {
		var got []string
		georadiusKeys(split(in), func(k []byte) { got = append(got, string(k)) })
		if strings.Join(got, " ") != want {
			t.Errorf("%s: keys %q, want %q", in, got, want)
		}
	}
}
