package protocol

// COMMAND DOCS entries for the GEO commands (Redis's "geo" group), with
// Redis 7.0's argument trees.
func init() {
	key := argDoc{name: "key", typ: "key"}
	member := argDoc{name: "member", typ: "string"}
	lon := argDoc{name: "longitude", typ: "double"}
	lat := argDoc{name: "latitude", typ: "double"}
	unit := func(optional bool) argDoc {
		return argDoc{name: "unit", typ: "oneof", optional: optional, args: []argDoc{
			{name: "m", typ: "pure-token", token: "M"},
			{name: "km", typ: "pure-token", token: "KM"},
			{name: "ft", typ: "pure-token", token: "FT"},
			{name: "mi", typ: "pure-token", token: "MI"},
		}}
	}
	withCoord := argDoc{name: "withcoord", typ: "pure-token", token: "WITHCOORD", optional: true}
	withDist := argDoc{name: "withdist", typ: "pure-token", token: "WITHDIST", optional: true}
	withHash := argDoc{name: "withhash", typ: "pure-token", token: "WITHHASH", optional: true}
	countBlock := argDoc{name: "count-block", typ: "block", optional: true, args: []argDoc{
		{name: "count", typ: "integer", token: "COUNT"},
		{name: "any", typ: "pure-token", token: "ANY", optional: true},
	}}
	order := argDoc{name: "order", typ: "oneof", optional: true, args: []argDoc{
		{name: "asc", typ: "pure-token", token: "ASC"},
		{name: "desc", typ: "pure-token", token: "DESC"},
	}}
	storeOpt := argDoc{name: "store", typ: "oneof", optional: true, args: []argDoc{
		{name: "storekey", typ: "key", token: "STORE"},
		{name: "storedistkey", typ: "key", token: "STOREDIST"},
	}}
	from := argDoc{name: "from", typ: "oneof", args: []argDoc{
		{name: "member", typ: "string", token: "FROMMEMBER"},
		{name: "fromlonlat", typ: "block", token: "FROMLONLAT", args: []argDoc{lon, lat}},
	}}
	by := argDoc{name: "by", typ: "oneof", args: []argDoc{
		{name: "circle", typ: "block", args: []argDoc{{name: "radius", typ: "double", token: "BYRADIUS"}, unit(false)}},
		{name: "box", typ: "block", args: []argDoc{{name: "width", typ: "double", token: "BYBOX"}, {name: "height", typ: "double"}, unit(false)}},
	}}
	radius := argDoc{name: "radius", typ: "double"}

	d := func(summary, since, complexity string, args ...argDoc) cmdDoc {
		return cmdDoc{summary: summary, since: since, group: "geo", complexity: complexity, args: args}
	}
	each := "O(log(N)) for each member requested, where N is the number of elements in the sorted set."
	radiusCx := "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index."
	searchCx := "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape"
	for name, doc := range map[string]cmdDoc{
		"geoadd": d("Adds one or more members to a geospatial index. The key is created if it doesn't exist.", "3.2.0",
			"O(log(N)) for each item added, where N is the number of elements in the sorted set.",
			key,
			argDoc{name: "condition", typ: "oneof", optional: true, args: []argDoc{
				{name: "nx", typ: "pure-token", token: "NX"},
				{name: "xx", typ: "pure-token", token: "XX"},
			}},
			argDoc{name: "change", typ: "pure-token", token: "CH", optional: true},
			argDoc{name: "data", typ: "block", multiple: true, args: []argDoc{lon, lat, member}}),
		"geodist": d("Returns the distance between two members of a geospatial index.", "3.2.0", "O(log(N))",
			key, argDoc{name: "member1", typ: "string"}, argDoc{name: "member2", typ: "string"}, unit(true)),
		"geohash": d("Returns members from a geospatial index as geohash strings.", "3.2.0", each,
			key, argDoc{name: "member", typ: "string", optional: true, multiple: true}),
		"geopos": d("Returns the longitude and latitude of members from a geospatial index.", "3.2.0", each,
			key, argDoc{name: "member", typ: "string", optional: true, multiple: true}),
		"georadius": d("Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.", "3.2.0", radiusCx,
			key, lon, lat, radius, unit(false), withCoord, withDist, withHash, countBlock, order, storeOpt),
		"georadius_ro": d("Returns members from a geospatial index that are within a distance from a coordinate.", "3.2.10", radiusCx,
			key, lon, lat, radius, unit(false), withCoord, withDist, withHash, countBlock, order),
		"georadiusbymember": d("Queries a geospatial index for members within a distance from a member, optionally stores the result.", "3.2.0",
			"O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.",
			key, member, radius, unit(false), withCoord, withDist, withHash, countBlock, order, storeOpt),
		"georadiusbymember_ro": d("Returns members from a geospatial index that are within a distance from a member.", "3.2.10", radiusCx,
			key, member, radius, unit(false), withCoord, withDist, withHash, countBlock, order),
		"geosearch": d("Queries a geospatial index for members inside an area of a box or a circle.", "6.2.0", searchCx,
			key, from, by, order, countBlock, withCoord, withDist, withHash),
		"geosearchstore": d("Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.", "6.2.0", searchCx,
			argDoc{name: "destination", typ: "key"}, argDoc{name: "source", typ: "key"}, from, by, order, countBlock,
			argDoc{name: "storedist", typ: "pure-token", token: "STOREDIST", optional: true}),
	} {
		docs[name] = doc
	}
}
