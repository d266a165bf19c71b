package protocol

import (
	"strings"

	"github.com/cachesrv/cachesrv/store"
)

// Hash field expiry: Redis 7.4's HEXPIRE family and Redis 8's HGETDEL,
// HGETEX and HSETEX, with their replies and error texts.

// hfeMaxTime is the latest field expiry Redis accepts, Unix ms
// (HFE_MAX_ABS_TIME_MSEC: 48 bits less two reserved).
const hfeMaxTime = (1<<48 - 1) >> 2

// Per-field results of HEXPIRE and HPERSIST, as Redis numbers them.
const (
	hfeNoField   = -2
	hfeNoTTL     = -1
	hfeNotMet    = 0
	hfeSet       = 1
	hfeDeleted   = 2
	errNumFields = "ERR Number of fields must be a positive integer"
)

// fieldExpireArg parses a field expiry as Redis's parseExpireTime: a
// non-negative integer in the unit (seconds when secs) from base (0 for
// an absolute time), at most hfeMaxTime; the result is Unix ms.
func fieldExpireArg(c *client, b []byte, secs bool, base int64, name string) (int64, bool) {
	v, ok := c.intArg(b)
	if !ok {
		return 0, false
	}
	if v < 0 {
		c.errorReply("ERR invalid expire time, must be >= 0")
		return 0, false
	}
	invalid := "ERR invalid expire time in '" + name + "' command"
	if secs {
		if v > hfeMaxTime/1000 {
			c.errorReply(invalid)
			return 0, false
		}
		v *= 1000
	}
	if v > hfeMaxTime-base {
		c.errorReply(invalid)
		return 0, false
	}
	return v + base, true
}

// fieldsArg parses "FIELDS numfields field..." with FIELDS at args[at-1]
// and numfields at args[at], which must count the rest of the arguments;
// badCount is the error for a count that is not a positive integer.
func fieldsArg(c *client, args [][]byte, at int, badCount string) ([][]byte, bool) {
	if at >= len(args) || !strings.EqualFold(string(args[at-1]), "fields") {
		c.errorReply("ERR Mandatory argument FIELDS is missing or not at the right position")
		return nil, false
	}
	n, ok := parseInt(args[at])
	if !ok || n < 1 {
		c.errorReply(badCount)
		return nil, false
	}
	if n != int64(len(args)-at-1) {
		c.errorReply("ERR The `numfields` parameter must match the number of arguments")
		return nil, false
	}
	return args[at+1:], true
}

// cmdHExpire serves HEXPIRE, HPEXPIRE, HEXPIREAT and HPEXPIREAT.
func cmdHExpire(c *client, args [][]byte, tx store.Tx) {
	name := strings.ToLower(string(args[0]))
	key := args[1]
	exists, err := tx.Elems(key, store.TypeHash, func(store.Elem) bool { return false })
	if c.wrongType(err) {
		return
	}
	base := int64(0)
	if !strings.HasSuffix(name, "at") {
		base = tx.Now()
	}
	at, ok := fieldExpireArg(c, args[2], !strings.HasPrefix(name, "hp"), base, name)
	if !ok {
		return
	}
	cond := ""
	numAt := 4
	switch opt := strings.ToUpper(string(args[3])); opt {
	case "NX", "XX", "GT", "LT":
		cond = opt
		numAt++
	}
	fields, ok := fieldsArg(c, args, numAt, "ERR Parameter `numFields` should be greater than 0")
	if !ok {
		return
	}
	c.WriteArray(len(fields))
	if !exists {
		for range fields {
			c.WriteInt(hfeNoField)
		}
		return
	}
	updated, deleted := 0, 0
	for _, f := range fields {
		el, ok, _ := tx.Elem(key, store.TypeHash, f)
		if !ok {
			c.WriteInt(hfeNoField)
			continue
		}
		cur := el.ExpireAt
		if (cond == "NX" && cur != 0) || (cond == "XX" && cur == 0) ||
			(cond == "GT" && (cur == 0 || at <= cur)) || (cond == "LT" && cur != 0 && at >= cur) {
			c.WriteInt(hfeNotMet)
			continue
		}
		if at <= tx.Now() {
			tx.Remove(key, store.TypeHash, f)
			deleted++
			c.WriteInt(hfeDeleted)
			continue
		}
		tx.SetElemExpire(key, f, at)
		updated++
		c.WriteInt(hfeSet)
	}
	if deleted+updated > 0 {
		if deleted > 0 {
			c.notify(notifyHash, "hdel", key)
		} else {
			c.notify(notifyHash, "hexpire", key)
		}
		if !tx.Exists(key) {
			c.notify(notifyGeneric, "del", key)
		}
	}
}

// cmdHTTL serves HTTL, HPTTL, HEXPIRETIME and HPEXPIRETIME.
func cmdHTTL(c *client, args [][]byte, tx store.Tx) {
	name := strings.ToLower(string(args[0]))
	exists, err := tx.Elems(args[1], store.TypeHash, func(store.Elem) bool { return false })
	if c.wrongType(err) {
		return
	}
	fields, ok := fieldsArg(c, args, 3, errNumFields)
	if !ok {
		return
	}
	base := tx.Now()
	if strings.HasSuffix(name, "expiretime") {
		base = 0
	}
	secs := name == "httl" || name == "hexpiretime"
	c.WriteArray(len(fields))
	for _, f := range fields {
		var el store.Elem
		found := false
		if exists {
			el, found, _ = tx.Elem(args[1], store.TypeHash, f)
		}
		switch {
		case !found:
			c.WriteInt(hfeNoField)
		case el.ExpireAt == 0:
			c.WriteInt(hfeNoTTL)
		case secs:
			c.WriteInt64((el.ExpireAt + 999 - base) / 1000)
		default:
			c.WriteInt64(el.ExpireAt - base)
		}
	}
}

func cmdHPersist(c *client, args [][]byte, tx store.Tx) {
	exists, err := tx.Elems(args[1], store.TypeHash, func(store.Elem) bool { return false })
	if c.wrongType(err) {
		return
	}
	fields, ok := fieldsArg(c, args, 3, errNumFields)
	if !ok {
		return
	}
	c.WriteArray(len(fields))
	changed := false
	for _, f := range fields {
		var el store.Elem
		found := false
		if exists {
			el, found, _ = tx.Elem(args[1], store.TypeHash, f)
		}
		switch {
		case !found:
			c.WriteInt(hfeNoField)
		case el.ExpireAt == 0:
			c.WriteInt(hfeNoTTL)
		default:
			tx.SetElemExpire(args[1], f, 0)
			changed = true
			c.WriteInt(hfeSet)
		}
	}
	if changed {
		c.notify(notifyHash, "hpersist", args[1])
	}
}

// cmdHGetDel serves HGETDEL key FIELDS numfields field...
func cmdHGetDel(c *client, args [][]byte, tx store.Tx) {
	key := args[1]
	if _, err := tx.Len(key, store.TypeHash); c.wrongType(err) {
		return
	}
	fields, ok := fieldsArg(c, args, 3, errNumFields)
	if !ok {
		return
	}
	c.WriteArray(len(fields))
	deleted := 0
	for _, f := range fields {
		el, found, _ := tx.Elem(key, store.TypeHash, f)
		if !found {
			c.WriteNull()
			continue
		}
		c.WriteBulk(el.Value) // copied before the field goes
		tx.Remove(key, store.TypeHash, f)
		deleted++
	}
	if deleted > 0 {
		c.notify(notifyHash, "hdel", key)
		if !tx.Exists(key) {
			c.notify(notifyGeneric, "del", key)
		}
	}
}

// cmdHGetEx serves HGETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]
// FIELDS numfields field...
func cmdHGetEx(c *client, args [][]byte, tx store.Tx) {
	key := args[1]
	if _, err := tx.Len(key, store.TypeHash); c.wrongType(err) {
		return
	}
	opt := strings.ToUpper(string(args[2]))
	numAt := 3
	var at int64
	persist, setTTL := false, false
	switch opt {
	case "EX", "PX", "EXAT", "PXAT":
		numAt += 2
		base := tx.Now()
		if strings.HasSuffix(opt, "AT") {
			base = 0
		}
		var ok bool
		if at, ok = fieldExpireArg(c, args[3], opt == "EX" || opt == "EXAT", base, "hgetex"); !ok {
			return
		}
		setTTL = true
	case "PERSIST":
		numAt++
		persist = true
	}
	fields, ok := fieldsArg(c, args, numAt, errNumFields)
	if !ok {
		return
	}
	c.WriteArray(len(fields))
	updated, deleted := 0, 0
	for _, f := range fields {
		el, found, _ := tx.Elem(key, store.TypeHash, f)
		if !found {
			c.WriteNull()
			continue
		}
		c.WriteBulk(el.Value)
		switch {
		case persist:
			if el.ExpireAt != 0 {
				tx.SetElemExpire(key, f, 0)
				updated++
			}
		case setTTL && at <= tx.Now():
			tx.Remove(key, store.TypeHash, f)
			deleted++
		case setTTL:
			tx.SetElemExpire(key, f, at)
			updated++
		}
	}
	switch {
	case updated > 0 && persist:
		c.notify(notifyHash, "hpersist", key)
	case updated > 0:
		c.notify(notifyHash, "hexpire", key)
	case deleted > 0:
		c.notify(notifyHash, "hdel", key)
	}
	if deleted > 0 && !tx.Exists(key) {
		c.notify(notifyGeneric, "del", key)
	}
}

// cmdHSetEx serves HSETEX key [FNX | FXX] [EX s | PX ms | EXAT s | PXAT ms |
// KEEPTTL] FIELDS numfields field value [field value ...].
func cmdHSetEx(c *client, args [][]byte, tx store.Tx) {
	key := args[1]
	var fnx, fxx, keepTTL, setTTL bool
	var at int64
	first, count := -1, 0
	for i := 2; i < len(args) && first < 0; i++ {
		opt := strings.ToUpper(string(args[i]))
		switch opt {
		case "FIELDS":
			if i+1 >= len(args) {
				c.errorReply(errWrongArgs("hsetex"))
				return
			}
			n, ok := parseInt(args[i+1])
			if !ok || n < 1 || n > 1<<31-1 {
				c.errorReply("ERR invalid number of fields")
				return
			}
			rest := len(args) - i - 2
			if rest%2 != 0 || n != int64(rest/2) {
				c.errorReply(errWrongArgs("hsetex"))
				return
			}
			first, count = i+2, int(n)
		case "EX", "PX", "EXAT", "PXAT":
			if keepTTL || setTTL {
				c.errorReply("ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified")
				return
			}
			if i >= len(args)-1 {
				c.errorReply("ERR missing expire time")
				return
			}
			base := tx.Now()
			if strings.HasSuffix(opt, "AT") {
				base = 0
			}
			var ok bool
			if at, ok = fieldExpireArg(c, args[i+1], opt == "EX" || opt == "EXAT", base, "hsetex"); !ok {
				return
			}
			setTTL = true
			i++
		case "KEEPTTL":
			if keepTTL || setTTL {
				c.errorReply("ERR Only one of EX, PX, EXAT, PXAT or KEEPTTL arguments can be specified")
				return
			}
			keepTTL = true
		case "FNX", "FXX":
			if fnx || fxx {
				c.errorReply("ERR Only one of FXX or FNX arguments can be specified")
				return
			}
			fnx, fxx = opt == "FNX", opt == "FXX"
		default:
			c.errorReply("ERR unknown argument: " + string(args[i]))
			return
		}
	}
	if first < 0 {
		c.errorReply(errWrongArgs("hsetex"))
		return
	}
	if _, err := tx.Len(key, store.TypeHash); c.wrongType(err) {
		return
	}
	if fnx || fxx {
		found := 0
		for i := range count {
			if _, ok, _ := tx.Elem(key, store.TypeHash, args[first+2*i]); ok {
				found++
			}
		}
		if (fnx && found > 0) || (fxx && found < count) {
			c.WriteInt(0)
			return
		}
	}
	mode := store.PutReplace
	if keepTTL || setTTL {
		mode = store.PutKeepTTL
	}
	deleted := 0
	for i := range count {
		f, v := args[first+2*i], args[first+2*i+1]
		tx.Put(key, store.TypeHash, store.Elem{Field: f, Value: v}, mode)
		switch {
		case setTTL && at <= tx.Now():
			tx.Remove(key, store.TypeHash, f)
			deleted++
		case setTTL:
			tx.SetElemExpire(key, f, at)
		}
	}
	c.notify(notifyHash, "hset", key)
	switch {
	case deleted > 0:
		c.notify(notifyHash, "hdel", key)
	case setTTL:
		c.notify(notifyHash, "hexpire", key)
	}
	if !tx.Exists(key) {
		c.notify(notifyGeneric, "del", key)
	}
	c.WriteInt(1)
}
