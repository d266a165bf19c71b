package protocol

// Parsing of command arguments as Redis parses them: integers as
// string2ll, floats as strtold.

import (
	"math"
	"math/big"
	"strings"
)

// parseInt parses a 64-bit integer the way Redis's string2ll does: an
// optional '-', then digits with no leading zero, nothing else.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := b[0] == '-'
	d := b
	if neg {
		d = b[1:]
	}
	if len(d) == 0 || d[0] < '1' || d[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, ch := range d {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(ch-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// INCRBYFLOAT computes in C's long double, which on x86-64, where Redis
// servers run, is the x87 80-bit format: a 64-bit mantissa and a 15-bit
// exponent. big.Float at 64 bits of precision, bounded to that exponent
// range, reproduces its arithmetic, so replies match Redis's digit for
// digit: 0.1 + 0.2 is "0.3", and 5000 + 0.3 is "5000.29999999999999982".
const (
	ldPrec     = 64
	ldMaxExp   = 16384      // |x| < 2^16384 (big.Float's MantExp convention)
	ldMinExp   = -16445     // below 2^-16446 a value rounds to zero
	ldMaxChars = 5*1024 - 1 // Redis's MAX_LONG_DOUBLE_CHARS, less the NUL
	ldMaxLitE  = 100000     // a written exponent beyond this is out of range whatever the digits
)

// parseFloat parses a float as Redis's INCRBYFLOAT does (string2ld, that
// is strtold): the whole string must be a decimal or 0x-hexadecimal number
// or an infinity, with no surrounding space; NaN, overflow and underflow
// to zero are refused.
func parseFloat(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) > ldMaxChars {
		return nil, false
	}
	exp, nonzero, inf, ok := longDoubleSyntax(b)
	switch {
	case !ok:
		return nil, false
	case inf:
		return new(big.Float).SetInf(b[0] == '-'), true
	case !nonzero:
		return new(big.Float).SetPrec(ldPrec), true
	case exp > ldMaxLitE || exp < -ldMaxLitE:
		return nil, false
	}
	f, _, err := new(big.Float).SetPrec(ldPrec).Parse(string(b), 0)
	if err != nil {
		return nil, false
	}
	if e := f.MantExp(nil); e > ldMaxExp || e < ldMinExp {
		return nil, false
	}
	return f, true
}

// longDoubleSyntax checks that b is, in full, a number strtold reads:
// [sign] then "inf", "infinity", a decimal, or a 0x-hexadecimal with an
// optional p exponent. It returns the exponent written after e or p
// (saturated), whether a digit of the mantissa is nonzero, and whether b
// is an infinity.
func longDoubleSyntax(b []byte) (exp int64, nonzero, inf, ok bool) {
	s := strings.ToLower(string(b))
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	if s == "inf" || s == "infinity" {
		return 0, true, true, true
	}
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	isMant, expCh := isDigit, byte('e')
	if len(s) > 2 && s[0] == '0' && s[1] == 'x' {
		s = s[2:]
		isMant = func(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'f' }
		expCh = 'p'
	}
	i, digits := 0, 0
	mantissa := func() {
		for ; i < len(s) && isMant(s[i]); i++ {
			digits++
			nonzero = nonzero || s[i] != '0'
		}
	}
	mantissa()
	if i < len(s) && s[i] == '.' {
		i++
		mantissa()
	}
	if digits == 0 {
		return 0, false, false, false
	}
	if i < len(s) && s[i] == expCh {
		i++
		neg := i < len(s) && s[i] == '-'
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i == len(s) {
			return 0, false, false, false
		}
		for ; i < len(s) && isDigit(s[i]); i++ {
			exp = min(exp*10+int64(s[i]-'0'), 1<<40)
		}
		if neg {
			exp = -exp
		}
	}
	return exp, nonzero, false, i == len(s)
}

// addFloat adds as long doubles do, reporting false when the sum is NaN
// or infinite.
func addFloat(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false
	}
	f := new(big.Float).SetPrec(ldPrec).Add(a, b)
	if f.Sign() != 0 && f.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return f, true
}

// formatFloat renders a float the way Redis replies to INCRBYFLOAT
// (ld2string's LD_STR_HUMAN): printf's "%.17Lf", then trailing zeros after
// the point removed, and "-0" written as "0".
func formatFloat(f *big.Float) string {
	s := f.Text('f', 17)
	if strings.IndexByte(s, '.') >= 0 {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// intArg parses b as an integer, replying with Redis's error when it is
// not one.
func (c *client) intArg(b []byte) (int64, bool) {
	n, ok := parseInt(b)
	if !ok {
		c.errorReply(errNotInteger)
	}
	return n, ok
}
