package geohash

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// glibcProgram prints sin, cos and asin of each input (as the hex bits of
// doubles) with the C library's functions, the ones redis-server calls.
const glibcProgram = `#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
int main(void) {
	unsigned long long in;
	while (scanf("%llx", &in) == 1) {
		double x, s, c, a;
		memcpy(&x, &in, 8);
		s = sin(x); c = cos(x); a = asin(x);
		unsigned long long bs, bc, ba;
		memcpy(&bs, &s, 8); memcpy(&bc, &c, 8); memcpy(&ba, &a, 8);
		printf("%llx %llx %llx\n", bs, bc, ba);
	}
	return 0;
}
`

// TestCRMathMatchesGlibc compares glSin, glCos and glAsin with glibc's
// sin, cos and asin (compiled with gcc, skipped without it) over the
// arguments geo uses: sin and cos must match bit for bit, asin below
// 0.125 too, and beyond in all but about one case in a thousand. It logs
// how often the correctly rounded functions and Go's math package differ.
// (glibc picks its FMA variants on CPUs with FMA, as this machine's
// redis-server does; glmath.go reproduces those.)
func TestCRMathMatchesGlibc(t *testing.T) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not found")
	}
	if info, err := os.ReadFile("/proc/cpuinfo"); err != nil || !strings.Contains(string(info), " fma ") {
		t.Skip("no FMA on this CPU: glibc uses its plain variants, which glmath.go does not reproduce")
	}
	dir := t.TempDir()
	src, bin := filepath.Join(dir, "m.c"), filepath.Join(dir, "m")
	if err := os.WriteFile(src, []byte(glibcProgram), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(gcc, "-O2", "-o", bin, src, "-lm").CombinedOutput(); err != nil {
		t.Skipf("gcc: %v\n%s", err, out)
	}
	r := rand.New(rand.NewSource(3))
	var xs []float64
	for range 200000 {
		var x float64
		switch r.Intn(5) {
		case 0: // half a latitude or longitude difference, in radians
			x = (r.Float64()*2 - 1) * math.Pi
		case 1: // small differences
			x = (r.Float64()*2 - 1) * math.Pow(10, -r.Float64()*12)
		case 2: // sqrt of the haversine term, up to 1
			x = math.Sqrt(r.Float64())
		case 3: // near 1
			x = 1 - r.Float64()*math.Pow(10, -r.Float64()*15)
		default: // latitudes in radians
			x = (r.Float64()*2 - 1) * 85.05112878 * degToRad
		}
		xs = append(xs, x)
	}
	var in bytes.Buffer
	for _, x := range xs {
		fmt.Fprintf(&in, "%x\n", math.Float64bits(x))
	}
	cmd := exec.Command(bin)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	var bad, goBad, glBad [3]int // correctly rounded, Go's math, glibc's method
	for i := 0; sc.Scan(); i++ {
		f := strings.Fields(sc.Text())
		var want [3]float64
		for j := range 3 {
			u, _ := strconv.ParseUint(f[j], 16, 64)
			want[j] = math.Float64frombits(u)
		}
		x := xs[i]
		got := [3]float64{crSin(x), crCos(x), crAsin(x)}
		gostd := [3]float64{math.Sin(x), math.Cos(x), math.Asin(x)}
		gl := [3]float64{glSin(x), glCos(x), glAsin(x)}
		for j := range 3 {
			if math.Float64bits(got[j]) != math.Float64bits(want[j]) && !(math.IsNaN(got[j]) && math.IsNaN(want[j])) {
				bad[j]++
			}
			if math.Float64bits(gl[j]) != math.Float64bits(want[j]) && !(math.IsNaN(gl[j]) && math.IsNaN(want[j])) {
				// Only asin beyond 0.125 may differ (it is correctly
				// rounded there, glibc's is not quite).
				if j < 2 || math.Abs(x) < 0.125 {
					t.Errorf("gl %s(%v = %#x) = %v, glibc %v", [3]string{"sin", "cos", "asin"}[j], x, math.Float64bits(x), gl[j], want[j])
				}
				glBad[j]++
			}
			if math.Float64bits(gostd[j]) != math.Float64bits(want[j]) && !(math.IsNaN(gostd[j]) && math.IsNaN(want[j])) {
				goBad[j]++
			}
		}
	}
	t.Logf("%d arguments: differences from glibc sin/cos/asin: correctly rounded %v, glibc's method %v, Go's math %v", len(xs), bad, glBad, goBad)
	if glBad[2] > len(xs)/1000 {
		t.Errorf("asin differs from glibc's %d times in %d", glBad[2], len(xs))
	}
}
