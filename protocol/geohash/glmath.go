package geohash

import (
	"math"
	"math/big"
	"sync"
)

// glibc's sin, cos and asin for the arguments geo's distances mostly
// take, evaluated the way glibc 2.36's x86-64 FMA variants evaluate them
// (the IBM Accurate Mathematical Library's algorithms: a Taylor
// polynomial for small arguments, a table of sin and cos at multiples of
// 1/128 plus a short polynomial otherwise), so that distances come out
// bit for bit as redis-server's on the same kind of machine; outside
// those ranges the correctly rounded crSin, crCos and crAsin stand in
// (they differ from glibc in about one case in a thousand, by one ulp).
// Behaviour reproduced from glibc's documented algorithm and checked
// against it (TestGlibcMathMatches); no code copied.

// Polynomial coefficients: Taylor's 1/3!, 1/5!, ... and 1/2!, 1/4!, ...
// (glibc's tuned values differ from these by amounts that never reach
// the result at these arguments' sizes).
const (
	glS1 = -1.0 / 6
	glS2 = 1.0 / 120
	glS3 = -1.0 / 5040
	glS4 = 1.0 / 362880
	glS5 = -1.0 / 39916800

	glSn3 = -1.66666666666664880952546298448555e-01
	glSn5 = 8.33333214285722277379541354343671e-03
	glCs2 = 4.99999999999999999999950396842453e-01
	glCs4 = -4.16666666666664434524222570944589e-02
	glCs6 = 1.38888874007937613028114285595617e-03

	glBig = 52776558133248.0 // 1.5 * 2^45: adding it rounds to 1/128
	glHp0 = 1.5707963267948966
	glHp1 = 6.123233995736766e-17

	// Cody and Waite's reduction by pi/2: pi/2 in pieces, 2/pi, and
	// 1.5 * 2^52 (adding it rounds to a whole number).
	glMp1   = 0x1.921FB58000000p0
	glMp2   = -0x1.DDE973C000000p-27
	glPp3   = -0x1.CB3B398000000p-55
	glPp4   = -0x1.d747f23e32ed7p-83
	glHpinv = 0x1.45F306DC9C883p-1
	glToint = 0x1.8p52

	// asin's polynomial for |x| < 0.125 (glibc's tuned coefficients).
	glF1 = 1.66666666666664110590506577996662e-01
	glF2 = 7.50000000026122686814431784722623e-02
	glF3 = 4.46428561421059750978517350006940e-02
	glF4 = 3.03821268582119319911193410625235e-02
	glF5 = 2.23551211026525610742786300334557e-02
	glF6 = 1.81382903404565056280372531963613e-02
)

// glTable holds sin and cos of i/128 as double-double pairs: sin hi, sin
// lo, cos hi, cos lo; built on first use (about a millisecond).
var glTable = sync.OnceValue(func() [][4]float64 {
	const n = 128 // up to 1.0, past the 0.855469 the table serves
	t := make([][4]float64, n+1)
	for i := range t {
		s, c := bigSinCos(i)
		sh, _ := s.Float64()
		sl, _ := new(big.Float).Sub(s, new(big.Float).SetFloat64(sh)).Float64()
		ch, _ := c.Float64()
		cl, _ := new(big.Float).Sub(c, new(big.Float).SetFloat64(ch)).Float64()
		t[i] = [4]float64{sh, sl, ch, cl}
	}
	return t
})

// bigSinCos returns sin(i/128) and cos(i/128) to 200 bits.
func bigSinCos(i int) (*big.Float, *big.Float) {
	const prec = 200
	x := new(big.Float).SetPrec(prec).Quo(new(big.Float).SetPrec(prec).SetInt64(int64(i)), new(big.Float).SetPrec(prec).SetInt64(128))
	x2 := new(big.Float).SetPrec(prec).Mul(x, x)
	sum := func(start *big.Float, n0 int64) *big.Float {
		s := new(big.Float).SetPrec(prec).Set(start)
		term := new(big.Float).SetPrec(prec).Set(start)
		for n := n0; n < n0+80; n += 2 {
			term.Mul(term, x2)
			term.Quo(term, new(big.Float).SetPrec(prec).SetInt64(-(n+1)*(n+2)))
			s.Add(s, term)
		}
		return s
	}
	return sum(x, 1), sum(new(big.Float).SetPrec(prec).SetInt64(1), 0)
}

func fma(a, b, c float64) float64 { return math.FMA(a, b, c) }

// glTaylorSin is sin(a + da) for |a| < 0.126.
func glTaylorSin(xx, a, da float64) float64 {
	p := fma(fma(fma(fma(glS5, xx, glS4), xx, glS3), xx, glS2), xx, glS1)
	var t float64
	if da == 0 {
		t = fma(float64(p*a), xx, da)
	} else {
		t = fma(fma(p, a, -float64(0.5*da)), xx, da)
	}
	return a + t
}

// glLookup splits |x| into a multiple of 1/128 (its table row) and the
// rest.
func glLookup(ax float64) (row [4]float64, rest float64, ok bool) {
	u := glBig + ax
	k := int((u - glBig) * 128)
	table := glTable()
	if k < 0 || k >= len(table) {
		return row, 0, false
	}
	return table[k], ax - (u - glBig), true
}

// glDoSin is sin(x + dx), for |x| < 0.855469.
func glDoSin(x, dx float64) (float64, bool) {
	if math.Abs(x) < 0.126 {
		return glTaylorSin(float64(x*x), x, dx), true
	}
	xold := x
	if x <= 0 {
		dx = -dx
	}
	row, r, ok := glLookup(math.Abs(x))
	if !ok {
		return 0, false
	}
	x = r
	sn, ssn, cs, ccs := row[0], row[1], row[2], row[3]
	xx := float64(x * x)
	s := x + fma(float64(x*xx), fma(xx, glSn5, glSn3), dx)
	c := fma(x, dx, float64(xx*fma(xx, fma(xx, glCs6, glCs4), glCs2)))
	cor := fma(cs, s, fma(-sn, c, fma(s, ccs, ssn)))
	return math.Copysign(sn+cor, xold), true
}

// glDoCos is cos(x + dx), for |x| < 0.855469.
func glDoCos(x, dx float64) (float64, bool) {
	if x < 0 {
		dx = -dx
	}
	ax := math.Abs(x)
	row, r, ok := glLookup(ax)
	if !ok {
		return 0, false
	}
	x = r + dx
	sn, ssn, cs, ccs := row[0], row[1], row[2], row[3]
	xx := float64(x * x)
	s := fma(float64(x*xx), fma(xx, glSn5, glSn3), x)
	c := float64(xx * fma(xx, fma(xx, glCs6, glCs4), glCs2))
	cor := fma(-sn, s, fma(-cs, c, fma(-s, ssn, ccs)))
	return cs + cor, true
}

// Bounds on the high 32 bits of |x| where glibc changes method.
const (
	glTiny26 = 0x3e500000 // 2^-26
	glTiny27 = 0x3e400000 // 2^-27
	glMid    = 0x3feb6000 // 0.855469
	glHigh   = 0x400368fd // 2.426265
	glReduce = 0x419921fb // 105414350: the reduction's limit
	glAsinHi = 0x3fc00000 // 0.125
)

func highWord(x float64) uint32 { return uint32(math.Float64bits(x)>>32) & 0x7fffffff }

// glSin is sin(x) as glibc computes it.
func glSin(x float64) float64 {
	k := highWord(x)
	switch {
	case k < glTiny26:
		return x
	case k < glMid:
		if r, ok := glDoSin(x, 0); ok {
			return r
		}
	case k < glHigh:
		if r, ok := glDoCos(glHp0-math.Abs(x), glHp1); ok {
			return math.Copysign(r, x)
		}
	case k < glReduce:
		if r, ok := glSinCosReduced(x, 0); ok {
			return r
		}
	}
	return crSin(x)
}

// glCos is cos(x) as glibc computes it.
func glCos(x float64) float64 {
	k := highWord(x)
	switch {
	case k < glTiny27:
		return 1
	case k < glMid:
		if r, ok := glDoCos(x, 0); ok {
			return r
		}
	case k < glHigh:
		y := glHp0 - math.Abs(x)
		a := y + glHp1
		da := (y - a) + glHp1
		if r, ok := glDoSin(a, da); ok {
			return r
		}
	case k < glReduce:
		if r, ok := glSinCosReduced(x, 1); ok {
			return r
		}
	}
	return crCos(x)
}

// glSinCosReduced is sin(x) (cos(x) with quadrant 1) for 2.426265 <=
// |x| < 105414350: x reduced by a multiple of pi/2 to a + da, then sin
// or cos of that by its quadrant.
func glSinCosReduced(x float64, quadrant int) (float64, bool) {
	t := fma(x, glHpinv, glToint)
	xn := t - glToint
	y := fma(xn, -glMp2, fma(-xn, glMp1, x))
	n := int(uint32(math.Float64bits(t))) + quadrant
	t2 := fma(-xn, glPp3, y)
	db := fma(-xn, glPp3, y-t2)
	b := fma(-xn, glPp4, t2)
	db += fma(-xn, glPp4, t2-b)
	var r float64
	var ok bool
	if n&1 != 0 {
		r, ok = glDoCos(b, db)
	} else {
		r, ok = glDoSin(b, db)
	}
	if n&2 != 0 {
		r = -r
	}
	return r, ok
}

// glAsin is asin(x) as glibc computes it for |x| < 0.125; beyond, the
// correctly rounded crAsin, which differs from glibc's table-driven
// asin in about one case in a thousand.
func glAsin(x float64) float64 {
	k := highWord(x)
	switch {
	case k < glTiny26:
		return x
	case k < glAsinHi:
		x2 := float64(x * x)
		q := fma(fma(fma(fma(fma(glF6, x2, glF5), x2, glF4), x2, glF3), x2, glF2), x2, glF1)
		return fma(q, float64(x2*x), x)
	}
	return crAsin(x)
}
