package geohash

import "math"

// Redis computes distances with the C library's sin, cos and asin;
// glibc's are correctly rounded (or as near as makes no difference),
// Go's math package's are not (math.Asin is several ulps off), and a
// distance stored by GEOSEARCHSTORE STOREDIST shows every bit. So the
// distance formula uses the functions below: evaluated in double-double
// arithmetic (about 106 bits) and rounded once, they give the correctly
// rounded result except when the exact value lies within about 2^-100 of
// a rounding boundary.
//
// Products are written as float64(a*b) so that the compiler never fuses
// them into an FMA (which the Go spec allows): C's x86-64 code rounds
// every operation.

// dd is an unevaluated sum hi + lo with |lo| <= ulp(hi)/2.
type dd struct{ hi, lo float64 }

func twoSum(a, b float64) dd {
	s := a + b
	bb := s - a
	return dd{s, (a - (s - bb)) + (b - bb)}
}

func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

func twoProd(a, b float64) dd {
	p := float64(a * b)
	return dd{p, math.FMA(a, b, -p)}
}

func ddAdd(a, b dd) dd {
	s := twoSum(a.hi, b.hi)
	t := twoSum(a.lo, b.lo)
	s.lo += t.hi
	s = quickTwoSum(s.hi, s.lo)
	s.lo += t.lo
	return quickTwoSum(s.hi, s.lo)
}

func ddNeg(a dd) dd { return dd{-a.hi, -a.lo} }

func ddMul(a, b dd) dd {
	p := twoProd(a.hi, b.hi)
	p.lo += float64(a.hi*b.lo) + float64(a.lo*b.hi)
	return quickTwoSum(p.hi, p.lo)
}

func ddMulF(a dd, b float64) dd {
	p := twoProd(a.hi, b)
	p.lo += float64(a.lo * b)
	return quickTwoSum(p.hi, p.lo)
}

func ddDivF(a dd, b float64) dd {
	q1 := a.hi / b
	p := twoProd(q1, b)
	r := ((a.hi - p.hi) - p.lo) + a.lo
	return quickTwoSum(q1, r/b)
}

// ddPio2 is pi/2 to 107 bits.
var ddPio2 = dd{1.5707963267948966, 6.123233995736766e-17}

// sinCosKernel returns sin(r) (cos(r) when cos) for |r| <= pi/4.
func sinCosKernel(r dd, cos bool) dd {
	r2 := ddMul(r, r)
	var sum, term dd
	n := 1.0
	if cos {
		sum, term, n = dd{1, 0}, dd{1, 0}, 0
	} else {
		sum, term = r, r
	}
	for range 16 {
		term = ddDivF(ddMul(term, r2), -((n + 1) * (n + 2)))
		n += 2
		sum = ddAdd(sum, term)
		if math.Abs(term.hi) < 1e-36 {
			break
		}
	}
	return sum
}

// ddSinCos returns sin(x) or cos(x) in double-double, for |x| up to a
// few times pi (geo's arguments are within [-pi, pi]).
func ddSinCos(x float64, cos bool) dd {
	k := math.Round(x / ddPio2.hi)
	// r = x - k*pi/2, with k*pi/2 in double-double (k is small and whole).
	r := ddAdd(dd{x, 0}, ddNeg(ddMulF(ddPio2, k)))
	q := int(k) & 3
	if cos {
		q = (q + 1) & 3 // cos(x) = sin(x + pi/2)
	}
	switch q {
	case 0:
		return sinCosKernel(r, false)
	case 1:
		return sinCosKernel(r, true)
	case 2:
		return ddNeg(sinCosKernel(r, false))
	default:
		return ddNeg(sinCosKernel(r, true))
	}
}

// crSin is sin(x) correctly rounded (see above).
func crSin(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) || math.Abs(x) > 1e6 {
		return math.Sin(x)
	}
	return ddSinCos(x, false).hi
}

// crCos is cos(x) correctly rounded (see above).
func crCos(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) || math.Abs(x) > 1e6 {
		return math.Cos(x)
	}
	return ddSinCos(x, true).hi
}

// ddSinSmall returns sin(a) in double-double for 0 <= a <= 1, from the
// table of sin and cos at multiples of 1/128 (glmath.go):
// sin(t + e) = sin t cos e + cos t sin e, with |e| <= 1/256.
func ddSinSmall(a float64) dd {
	k := math.Round(a * 128)
	table := glTable()
	if a < 0 || int(k) >= len(table) {
		return ddSinCos(a, false)
	}
	e := a - k/128
	row := table[int(k)]
	r := dd{e, 0}
	return ddAdd(ddMul(dd{row[0], row[1]}, sinCosKernel(r, true)), ddMul(dd{row[2], row[3]}, sinCosKernel(r, false)))
}

// ddAsinSmall returns asin(w) in double-double for 0 <= w <= 0.5 given
// in double-double: one Newton step on sin from math.Asin's estimate.
func ddAsinSmall(w dd) dd {
	a0 := math.Asin(w.hi)
	s := ddSinSmall(a0)
	num := ddAdd(w, ddNeg(s))
	return twoSum(a0, num.hi/math.Cos(a0))
}

// crAsin is asin(y) correctly rounded (see above).
func crAsin(y float64) float64 {
	if y != y || y > 1 || y < -1 || y == 0 {
		return math.Asin(y)
	}
	neg := y < 0
	if neg {
		y = -y
	}
	var r float64
	if y <= 0.5 {
		r = ddAsinSmall(dd{y, 0}).hi
	} else {
		// asin(y) = pi/2 - 2 asin(sqrt((1-y)/2)); 1-y and /2 are exact.
		z := (1 - y) / 2
		if z == 0 {
			r = ddPio2.hi
			if neg {
				r = -r
			}
			return r
		}
		s := math.Sqrt(z)
		w := dd{s, -math.FMA(s, s, -z) / (2 * s)}
		w = quickTwoSum(w.hi, w.lo)
		a := ddAsinSmall(w)
		r = ddAdd(ddPio2, ddNeg(ddMulF(a, 2))).hi
	}
	if neg {
		r = -r
	}
	return r
}
