package script

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"
)

// cjson is lua-cjson 2.1's API as Redis bundles it: encode, decode, null
// and the configuration functions, with its defaults (14 significant
// digits, nesting 1000, sparse arrays up to ratio 2 past index 10, an
// empty table is an object) and its error texts.
const (
	cjsonMaxDepth   = 1000
	cjsonPrecision  = 14
	cjsonSparseSafe = 10
	cjsonSparseRate = 2
)

func openCJSON(L *lua.LState) *lua.LTable {
	t := L.NewTable()
	null := L.NewUserData() // cjson.null: a value that is not nil
	t.RawSetString("null", null)
	t.RawSetString("encode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.ArgError(1, "expected 1 argument")
		}
		var b strings.Builder
		if msg := cjsonEncode(&b, L.Get(1), null, 0); msg != "" {
			L.RaiseError("%s", msg)
		}
		L.Push(lua.LString(b.String()))
		return 1
	}))
	t.RawSetString("decode", L.NewFunction(func(L *lua.LState) int {
		if L.GetTop() != 1 {
			L.ArgError(1, "expected 1 argument")
		}
		d := &jsonDecoder{L: L, s: L.CheckString(1), null: null}
		v := d.value(0)
		d.skipSpace()
		if d.err == "" && d.i < len(d.s) {
			d.fail("the end", d.token())
		}
		if d.err != "" {
			L.RaiseError("%s", d.err)
		}
		L.Push(v)
		return 1
	}))
	// The configuration functions answer with the settings in force;
	// changing them is not supported (they would outlive the script on
	// a pooled VM).
	cfg := func(name string, vals ...lua.LValue) {
		t.RawSetString(name, L.NewFunction(func(L *lua.LState) int {
			for _, v := range vals {
				L.Push(v)
			}
			return len(vals)
		}))
	}
	cfg("encode_max_depth", lua.LNumber(cjsonMaxDepth))
	cfg("decode_max_depth", lua.LNumber(cjsonMaxDepth))
	cfg("encode_number_precision", lua.LNumber(cjsonPrecision))
	cfg("encode_keep_buffer", lua.LTrue)
	cfg("encode_invalid_numbers", lua.LFalse)
	cfg("decode_invalid_numbers", lua.LTrue)
	cfg("encode_sparse_array", lua.LFalse, lua.LNumber(cjsonSparseRate), lua.LNumber(cjsonSparseSafe))
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

// cjsonEncode appends lv as JSON, returning lua-cjson's error text on
// failure.
func cjsonEncode(b *strings.Builder, lv lua.LValue, null lua.LValue, depth int) string {
	switch x := lv.(type) {
	case *lua.LNilType:
		b.WriteString("null")
	case lua.LBool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case lua.LNumber:
		f := float64(x)
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return "Cannot serialise number: must not be NaN or Inf"
		}
		b.WriteString(formatG(f, cjsonPrecision))
	case lua.LString:
		jsonQuote(b, string(x))
	case *lua.LTable:
		depth++
		if depth > cjsonMaxDepth {
			return "Cannot serialise, excessive nesting (" + strconv.Itoa(depth) + ")"
		}
		n, ok := jsonArrayLen(x)
		if ok == 0 {
			return "Cannot serialise table: excessively sparse array"
		}
		if ok > 0 && n > 0 {
			b.WriteByte('[')
			for i := 1; i <= n; i++ {
				if i > 1 {
					b.WriteByte(',')
				}
				if msg := cjsonEncode(b, x.RawGetInt(i), null, depth); msg != "" {
					return msg
				}
			}
			b.WriteByte(']')
			return ""
		}
		b.WriteByte('{')
		first := true
		var msg string
		x.ForEach(func(k, v lua.LValue) {
			if msg != "" {
				return
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			switch kk := k.(type) {
			case lua.LString:
				jsonQuote(b, string(kk))
			case lua.LNumber:
				b.WriteByte('"')
				b.WriteString(formatG(float64(kk), cjsonPrecision))
				b.WriteByte('"')
			default:
				msg = "Cannot serialise table: table key must be a number or string"
				return
			}
			b.WriteByte(':')
			msg = cjsonEncode(b, v, null, depth)
		})
		if msg != "" {
			return msg
		}
		b.WriteByte('}')
	default:
		if lv == null {
			b.WriteString("null")
			return ""
		}
		return "Cannot serialise " + lv.Type().String() + ": type not supported"
	}
	return ""
}

// jsonArrayLen tells how lua-cjson sees a table: an array of n elements
// (1), an object (-1), or an excessively sparse array (0).
func jsonArrayLen(t *lua.LTable) (int, int) {
	max, items := 0, 0
	isArray := true
	t.ForEach(func(k, _ lua.LValue) {
		if !isArray {
			return
		}
		n, ok := k.(lua.LNumber)
		if !ok || float64(n) < 1 || float64(n) != math.Floor(float64(n)) {
			isArray = false
			return
		}
		if int(n) > max {
			max = int(n)
		}
		items++
	})
	if !isArray {
		return 0, -1
	}
	if max > cjsonSparseSafe && max > items*cjsonSparseRate {
		return 0, 0
	}
	return max, 1
}

// jsonQuote writes s as a JSON string with lua-cjson's escapes (it also
// escapes '/' and DEL; other bytes pass as they are).
func jsonQuote(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '/':
			b.WriteString(`\/`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < 0x20 || c == 0x7f {
				b.WriteString(`\u00`)
				b.WriteByte("0123456789abcdef"[c>>4])
				b.WriteByte("0123456789abcdef"[c&15])
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// luaNumberString is Lua 5.1's tostring of a number: "%.14g", with
// glibc's inf, -inf and (for the NaN x86 arithmetic makes) -nan.
func luaNumberString(f float64) string {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return formatG(f, 14)
}

// formatG is C's "%.<prec>g".
func formatG(f float64, prec int) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 && !(f == 0 && math.Signbit(f)) {
		s := strconv.FormatInt(int64(f), 10)
		if len(s) <= prec {
			return s
		}
	}
	return strconv.FormatFloat(f, 'g', prec, 64)
}

// jsonDecoder is lua-cjson's decoder: JSON to Lua values, null as
// cjson.null, errors as "Expected <what> but found <token> at character
// <n>".
type jsonDecoder struct {
	L    *lua.LState
	s    string
	i    int
	null lua.LValue
	err  string
}

func (d *jsonDecoder) skipSpace() {
	for d.i < len(d.s) && (d.s[d.i] == ' ' || d.s[d.i] == '\t' || d.s[d.i] == '\n' || d.s[d.i] == '\r') {
		d.i++
	}
}

func (d *jsonDecoder) fail(expected, found string) {
	if d.err == "" {
		d.err = "Expected " + expected + " but found " + found + " at character " + strconv.Itoa(d.i+1)
	}
}

// token names what is at the current position, as lua-cjson's tokens.
func (d *jsonDecoder) token() string {
	if d.i >= len(d.s) {
		return "T_END"
	}
	switch c := d.s[d.i]; {
	case c == '{':
		return "T_OBJ_BEGIN"
	case c == '}':
		return "T_OBJ_END"
	case c == '[':
		return "T_ARR_BEGIN"
	case c == ']':
		return "T_ARR_END"
	case c == ',':
		return "T_COMMA"
	case c == ':':
		return "T_COLON"
	case c == '"':
		return "T_STRING"
	case c == '-' || (c >= '0' && c <= '9'):
		return "T_NUMBER"
	}
	return "invalid token"
}

func (d *jsonDecoder) value(depth int) lua.LValue {
	d.skipSpace()
	if d.err != "" {
		return lua.LNil
	}
	if d.i >= len(d.s) {
		d.fail("value", "T_END")
		return lua.LNil
	}
	L := d.L
	switch c := d.s[d.i]; {
	case c == '{' || c == '[':
		depth++
		if depth > cjsonMaxDepth {
			d.err = "Found too many nested data structures (" + strconv.Itoa(depth) + ") at character " + strconv.Itoa(d.i+1)
			return lua.LNil
		}
		d.i++
		t := L.NewTable()
		if c == '[' {
			d.skipSpace()
			if d.i < len(d.s) && d.s[d.i] == ']' {
				d.i++
				return t
			}
			for n := 1; ; n++ {
				t.RawSetInt(n, d.value(depth))
				d.skipSpace()
				if d.err != "" {
					return lua.LNil
				}
				if d.i < len(d.s) && d.s[d.i] == ',' {
					d.i++
					continue
				}
				if d.i < len(d.s) && d.s[d.i] == ']' {
					d.i++
					return t
				}
				d.fail("comma or array end", d.token())
				return lua.LNil
			}
		}
		d.skipSpace()
		if d.i < len(d.s) && d.s[d.i] == '}' {
			d.i++
			return t
		}
		for {
			d.skipSpace()
			if d.i >= len(d.s) || d.s[d.i] != '"' {
				d.fail("object key string", d.token())
				return lua.LNil
			}
			k := d.str()
			d.skipSpace()
			if d.err != "" {
				return lua.LNil
			}
			if d.i >= len(d.s) || d.s[d.i] != ':' {
				d.fail("colon", d.token())
				return lua.LNil
			}
			d.i++
			t.RawSet(k, d.value(depth))
			d.skipSpace()
			if d.err != "" {
				return lua.LNil
			}
			if d.i < len(d.s) && d.s[d.i] == ',' {
				d.i++
				continue
			}
			if d.i < len(d.s) && d.s[d.i] == '}' {
				d.i++
				return t
			}
			d.fail("comma or object end", d.token())
			return lua.LNil
		}
	case c == '"':
		return d.str()
	case c == '-' || (c >= '0' && c <= '9'):
		j := d.i
		for j < len(d.s) && strings.IndexByte("+-0123456789.eExX", d.s[j]) >= 0 {
			j++
		}
		f, err := strconv.ParseFloat(d.s[d.i:j], 64)
		if err != nil && !strings.Contains(err.Error(), "range") {
			d.fail("value", "invalid number")
			return lua.LNil
		}
		d.i = j
		return lua.LNumber(f)
	case strings.HasPrefix(d.s[d.i:], "true"):
		d.i += 4
		return lua.LTrue
	case strings.HasPrefix(d.s[d.i:], "false"):
		d.i += 5
		return lua.LFalse
	case strings.HasPrefix(d.s[d.i:], "null"):
		d.i += 4
		return d.null
	}
	d.fail("value", d.token())
	return lua.LNil
}

// str decodes the string at d.i (its opening quote).
func (d *jsonDecoder) str() lua.LValue {
	start := d.i
	d.i++
	var b strings.Builder
	for d.i < len(d.s) {
		c := d.s[d.i]
		switch {
		case c == '"':
			d.i++
			return lua.LString(b.String())
		case c == '\\':
			if d.i+1 >= len(d.s) {
				d.i = start
				d.fail("value", "invalid token")
				return lua.LNil
			}
			e := d.s[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r, ok := d.hex4()
				if ok && r >= 0xd800 && r < 0xdc00 && strings.HasPrefix(d.s[d.i:], `\u`) {
					d.i += 2
					lo, ok2 := d.hex4()
					if ok2 && lo >= 0xdc00 && lo < 0xe000 {
						r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
					} else {
						ok = false
					}
				}
				if !ok {
					d.i = start
					d.fail("value", "invalid token")
					return lua.LNil
				}
				var buf [4]byte
				b.Write(buf[:utf8.EncodeRune(buf[:], r)])
			default:
				d.i = start
				d.fail("value", "invalid token")
				return lua.LNil
			}
		default:
			b.WriteByte(c)
			d.i++
		}
	}
	d.i = start
	d.fail("value", "invalid token")
	return lua.LNil
}

func (d *jsonDecoder) hex4() (rune, bool) {
	if d.i+4 > len(d.s) {
		return 0, false
	}
	n, err := strconv.ParseUint(d.s[d.i:d.i+4], 16, 32)
	if err != nil {
		return 0, false
	}
	d.i += 4
	return rune(n), true
}
