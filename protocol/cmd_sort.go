package protocol

import (
	"bytes"
	"slices"
	"strconv"
	"strings"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/store"
)

// SORT and SORT_RO, with Redis 7.0's semantics: the elements of a list,
// set or sorted set sorted numerically (as doubles) or with ALPHA as
// bytes, by themselves or by the values of other keys (BY pattern, where
// '*' stands for the element and "->field" reads a hash field), then
// LIMIT, then each element or the values its GET patterns name, returned
// or stored as a list (STORE).
//
// BY and GET patterns read keys the command does not name, possibly in
// any shard: such a call holds every shard's lock (the command's lockAll),
// as a keyspace-wide command does; one without patterns locks the shards
// of its key and STORE destination only. In a cluster, as in Redis
// Cluster, a pattern must name keys in the sorted key's slot (a {hash
// tag} does it).
func init() {
	acl := func(rw string) []string { return []string{rw, "set", "sortedset", "list", "slow", "dangerous"} }
	register(
		&command{name: "sort", arity: -2, flags: flagWrite | flagDenyOOM | flagMovableKeys, firstKey: 1, lastKey: 1, keyStep: 1,
			keys: sortKeys, lockAll: sortReadsPatterns, acl: acl("write"), run: cmdSort},
		&command{name: "sort_ro", arity: -2, flags: flagReadonly, firstKey: 1, lastKey: 1, keyStep: 1,
			lockAll: sortReadsPatterns, acl: acl("read"), run: cmdSort},
	)
	args := func(store bool) []argDoc {
		a := []argDoc{
			{name: "key", typ: "key"},
			{name: "by-pattern", typ: "pattern", token: "BY", optional: true},
			{name: "limit", typ: "block", token: "LIMIT", optional: true, args: []argDoc{
				{name: "offset", typ: "integer"}, {name: "count", typ: "integer"},
			}},
			{name: "get-pattern", typ: "pattern", token: "GET", optional: true, multiple: true},
			{name: "order", typ: "oneof", optional: true, args: []argDoc{
				{name: "asc", typ: "pure-token", token: "ASC"}, {name: "desc", typ: "pure-token", token: "DESC"},
			}},
			{name: "sorting", typ: "pure-token", token: "ALPHA", optional: true},
		}
		if store {
			a = append(a, argDoc{name: "destination", typ: "key", token: "STORE", optional: true})
		}
		return a
	}
	const complexity = "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N)."
	docs["sort"] = cmdDoc{summary: "Sorts the elements in a list, a set, or a sorted set, optionally storing the result.", since: "1.0.0", group: "generic", complexity: complexity, args: args(true)}
	docs["sort_ro"] = cmdDoc{summary: "Returns the sorted elements of a list, a set, or a sorted set.", since: "7.0.0", group: "generic", complexity: complexity, args: args(false)}
}

// sortKeys is SORT's keys function: the sorted key and the STORE
// destination, found by skipping each option's arguments, as Redis's
// sortGetKeys does.
func sortKeys(args [][]byte, fn func([]byte)) {
	fn(args[1])
	for i := 2; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "limit":
			i += 2
		case "get", "by":
			i++
		case "store":
			if i+1 < len(args) {
				fn(args[i+1])
			}
			i++
		}
	}
}

// sortReadsPatterns reports whether a SORT reads keys through BY or GET
// patterns, so that it must hold every shard's lock.
func sortReadsPatterns(args [][]byte) bool {
	for i := 2; i+1 < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "limit":
			i += 2
		case "store":
			i++
		case "by", "get":
			if p := args[i+1]; !bytes.Equal(p, []byte("#")) && bytes.IndexByte(p, '*') >= 0 {
				return true
			}
			i++
		}
	}
	return false
}

type sortOpts struct {
	desc, alpha, dontsort bool
	by                    []byte
	gets                  [][]byte
	store                 []byte
	limitStart, limitCnt  int64
}

// readsPatterns reports whether the parsed options read other keys, as
// sortReadsPatterns tells dispatch from the raw arguments.
func (o *sortOpts) readsPatterns() bool {
	if bytes.IndexByte(o.by, '*') >= 0 {
		return true
	}
	for _, g := range o.gets {
		if !bytes.Equal(g, []byte("#")) && bytes.IndexByte(g, '*') >= 0 {
			return true
		}
	}
	return false
}

// sortElem is one element to sort and what it sorts by.
type sortElem struct {
	elem  []byte
	score float64
	by    []byte // ALPHA's comparison bytes from BY; nil if missing
	hasBy bool
}

func cmdSort(c *client, args [][]byte, tx store.Tx) {
	readonly := strings.EqualFold(string(args[0]), "sort_ro")
	o := sortOpts{limitStart: 0, limitCnt: -1}
	key := args[1]
	for j := 2; j < len(args); j++ {
		left := len(args) - j - 1
		switch opt := strings.ToLower(string(args[j])); {
		case opt == "asc":
			o.desc = false
		case opt == "desc":
			o.desc = true
		case opt == "alpha":
			o.alpha = true
		case opt == "limit" && left >= 2:
			var ok bool
			if o.limitStart, ok = c.intArg(args[j+1]); !ok {
				return
			}
			if o.limitCnt, ok = c.intArg(args[j+2]); !ok {
				return
			}
			j += 2
		case opt == "store" && left >= 1 && !readonly:
			o.store = args[j+1]
			j++
		case opt == "by" && left >= 1:
			o.by = args[j+1]
			if bytes.IndexByte(o.by, '*') < 0 {
				o.dontsort = true // BY a constant: no sorting at all
			} else if !c.sortPatternInSlot(o.by, key) {
				c.errorReply("ERR BY option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.")
				return
			}
			j++
		case opt == "get" && left >= 1:
			if !bytes.Equal(args[j+1], []byte("#")) && !c.sortPatternInSlot(args[j+1], key) {
				c.errorReply("ERR GET option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots.")
				return
			}
			o.gets = append(o.gets, args[j+1])
			j++
		default:
			c.errorReply(errSyntax)
			return
		}
	}
	if o.readsPatterns() && !tx.All() {
		// Only a script reaches here without every shard's lock: it holds
		// those of its declared keys, and patterns name others.
		c.errorReply("ERR SORT with BY or GET patterns in a script needs lua-undeclared-keys all-shards-lock")
		return
	}
	typ := tx.Type(key)
	switch typ {
	case store.TypeNone, store.TypeList, store.TypeSet, store.TypeZSet:
	default:
		c.errorReply(store.ErrWrongType.Error())
		return
	}
	if o.dontsort && typ == store.TypeSet && (o.store != nil || c.runningScript()) {
		// A set has no order of its own: sort it anyway, so that what is
		// stored (or a script sees) does not depend on its layout.
		o.dontsort, o.alpha, o.by = false, true, nil
	}
	n := sortLen(tx, key, typ)
	start := max(o.limitStart, 0)
	end := int64(n) - 1
	if o.limitCnt >= 0 {
		end = start + o.limitCnt - 1
	}
	if start >= int64(n) {
		start, end = int64(n)-1, int64(n)-2
	}
	end = min(end, int64(n)-1)

	var elems []sortElem
	ranged := false // elems already hold just [start, end]
	// Unsorted, a list comes in its order (reversed with DESC) and a
	// sorted set's LIMIT picks ranks directly, as in Redis. (Unlimited,
	// Redis gives a sorted set in its hash table's order; here it comes
	// by score.)
	if o.dontsort && (typ == store.TypeList || typ == store.TypeZSet && (start != 0 || end != int64(n)-1)) {
		ranged = true
		if start <= end {
			elems = sortLoadRange(tx, key, typ, start, end, o.desc)
		}
	} else {
		elems = sortLoadAll(tx, key, typ)
	}

	convErr := false
	if !o.dontsort {
		for i := range elems {
			e := &elems[i]
			byval := e.elem
			if o.by != nil {
				v, ok := sortLookup(tx, o.by, e.elem)
				if !ok {
					continue
				}
				byval = v
			}
			if o.alpha {
				if o.by != nil {
					e.by, e.hasBy = byval, true
				}
				continue
			}
			f, ok := sortParseDouble(byval)
			if !ok {
				convErr = true
			}
			e.score = f
		}
		slices.SortStableFunc(elems, func(a, b sortElem) int {
			var cmp int
			switch {
			case !o.alpha:
				switch {
				case a.score > b.score:
					cmp = 1
				case a.score < b.score:
					cmp = -1
				default:
					cmp = bytes.Compare(a.elem, b.elem)
				}
			case o.by != nil:
				switch {
				case !a.hasBy && !b.hasBy:
					cmp = 0
				case !a.hasBy:
					cmp = -1
				case !b.hasBy:
					cmp = 1
				default:
					cmp = bytes.Compare(a.by, b.by)
				}
			default:
				cmp = bytes.Compare(a.elem, b.elem)
			}
			if o.desc {
				return -cmp
			}
			return cmp
		})
	}
	if !ranged {
		if start <= end {
			elems = elems[start : end+1]
		} else {
			elems = nil
		}
	}
	if convErr {
		c.errorReply("ERR One or more scores can't be converted into double")
		return
	}

	if o.store == nil {
		per := max(len(o.gets), 1)
		c.WriteArray(per * len(elems))
		for _, e := range elems {
			if len(o.gets) == 0 {
				c.WriteBulk(e.elem)
				continue
			}
			for _, g := range o.gets {
				if v, ok := sortLookup(tx, g, e.elem); ok {
					c.WriteBulk(v)
				} else {
					c.WriteNull()
				}
			}
		}
		return
	}
	var out [][]byte
	for _, e := range elems {
		if len(o.gets) == 0 {
			out = append(out, bytes.Clone(e.elem))
			continue
		}
		for _, g := range o.gets {
			v, _ := sortLookup(tx, g, e.elem) // missing: stored as ""
			out = append(out, bytes.Clone(v))
		}
	}
	deleted := tx.Delete(o.store)
	if len(out) > 0 {
		if _, err := tx.ListPush(o.store, false, false, out...); c.wrongType(err) {
			return
		}
		c.notify(notifyList, "sortstore", o.store)
	} else if deleted {
		c.notify(notifyGeneric, "del", o.store)
	}
	c.WriteInt(len(out))
}

// sortPatternInSlot reports whether the keys pattern may form are in
// key's slot, as Redis Cluster requires of BY and GET patterns; always
// true on a single node.
func (c *client) sortPatternInSlot(pattern, key []byte) bool {
	if c.srv.router == nil {
		return true
	}
	return patternSlot(pattern) == cluster.Slot(key)
}

// patternSlot is the slot every key pattern can match is in, or -1 when
// they may be in any (Redis's patternHashSlot): a wildcard or escape
// before a non-empty {hash tag} means any slot.
func patternSlot(p []byte) int {
	s := -1
	for i, ch := range p {
		switch {
		case ch == '*' || ch == '?' || ch == '[' || ch == '\\':
			return -1
		case s == -1 && ch == '{':
			s = i
		case s >= 0 && ch == '}' && i == s+1:
			s = -2 // "{}": the whole key is hashed
		case s >= 0 && ch == '}':
			return cluster.Slot(p[s : i+1])
		}
	}
	return cluster.Slot(p)
}

// sortLen is the number of elements of key, of type typ.
func sortLen(tx store.Tx, key []byte, typ store.Type) int {
	var n int
	switch typ {
	case store.TypeList:
		n, _ = tx.ListLen(key)
	case store.TypeSet:
		n, _ = tx.Len(key, store.TypeSet)
	case store.TypeZSet:
		n, _ = tx.ZCard(key)
	}
	return n
}

// sortLoadAll copies every element of key out of the store, in the
// type's own order.
func sortLoadAll(tx store.Tx, key []byte, typ store.Type) []sortElem {
	var out []sortElem
	add := func(b []byte) { out = append(out, sortElem{elem: bytes.Clone(b)}) }
	switch typ {
	case store.TypeList:
		tx.ListRange(key, 0, -1, func(int) {}, add)
	case store.TypeSet:
		tx.Elems(key, store.TypeSet, func(el store.Elem) bool { add(el.Field); return true })
	case store.TypeZSet:
		tx.ZRangeByRank(key, 0, -1, false, func(m store.ZMember) bool { add(m.Member); return true })
	}
	return out
}

// sortLoadRange copies elements start to end of key's own order (from
// the end with desc), for an unsorted SORT with LIMIT on a list or a
// sorted set.
func sortLoadRange(tx store.Tx, key []byte, typ store.Type, start, end int64, desc bool) []sortElem {
	var out []sortElem
	add := func(b []byte) { out = append(out, sortElem{elem: bytes.Clone(b)}) }
	switch typ {
	case store.TypeZSet:
		tx.ZRangeByRank(key, int(start), int(end), desc, func(m store.ZMember) bool { add(m.Member); return true })
	case store.TypeList:
		if !desc {
			tx.ListRange(key, start, end, func(int) {}, add)
			break
		}
		n := int64(sortLen(tx, key, typ))
		tx.ListRange(key, n-1-end, n-1-start, func(int) {}, add)
		slices.Reverse(out)
	}
	return out
}

// sortLookup finds the value pattern names for elem (Redis's
// lookupKeyByPattern): "#" is elem itself; the first '*' is replaced by
// elem, and a "->field" after it reads that field of a hash instead of a
// string. A pattern without '*', a missing key or one of another type
// gives nothing.
func sortLookup(tx store.Tx, pattern, elem []byte) ([]byte, bool) {
	if bytes.Equal(pattern, []byte("#")) {
		return elem, true
	}
	star := bytes.IndexByte(pattern, '*')
	if star < 0 {
		return nil, false
	}
	post := pattern[star+1:]
	var field []byte
	if f := bytes.Index(post, []byte("->")); f >= 0 && f+2 < len(post) {
		field, post = post[f+2:], post[:f]
	}
	k := make([]byte, 0, star+len(elem)+len(post))
	k = append(append(append(k, pattern[:star]...), elem...), post...)
	if field != nil {
		if tx.Type(k) != store.TypeHash {
			return nil, false
		}
		el, ok, err := tx.Elem(k, store.TypeHash, field)
		if !ok || err != nil {
			return nil, false
		}
		return el.Value, true
	}
	v, ok, _ := tx.GetString(k)
	return v, ok
}

// sortParseDouble reads b as C's strtod does for SORT: leading blanks
// allowed, the whole rest a number, "" is 0, NaN refused.
func sortParseDouble(b []byte) (float64, bool) {
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	if s == "" {
		return 0, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, false
		}
		// Go reads "0x1p4" but C's strtod also reads "0x10".
		if strings.HasPrefix(strings.ToLower(strings.TrimLeft(s, "+-")), "0x") {
			if f, err = strconv.ParseFloat(s+"p0", 64); err == nil {
				return f, true
			}
		}
		return 0, false
	}
	return f, f == f
}

// runningScript reports whether c is running a command for a Lua script.
func (c *client) runningScript() bool { return c.script != nil && c.Writer == c.script.w }
