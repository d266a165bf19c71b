package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Figure is a grid of chart panels under one title, drawn as SVG. Series
// with the same name get the same colour in every panel, and one legend at
// the top names them all.
type Figure struct {
	Title    string
	Subtitle string // a smaller line under the title: machine, settings
	Cols     int    // panels per row (default 1)
	Panels   []Panel
}

// Panel is one chart: a line chart over numeric X, or, when Categories is
// set, a grouped bar chart with one bar per series in each category.
type Panel struct {
	Title          string
	XLabel, YLabel string
	LogX           bool     // line charts: log2 X axis (goroutines, workers)
	Categories     []string // bar charts: the groups along X
	Series         []Series
}

// Series is one line, or one bar per category. For a bar chart Y[i] is the
// bar in Categories[i] and X is unused. NaN values are left out.
type Series struct {
	Name   string
	X, Y   []float64
	Dashed bool // drawn dashed and without markers: a reference line
}

const (
	panelW, panelH          = 400, 270
	marginL, marginR        = 64, 14
	marginT, marginB        = 28, 46
	legendRowH, titleBlockH = 20, 52
)

var palette = []string{
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
	"#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
}

// WriteSVG draws the figure.
func (f *Figure) WriteSVG(w io.Writer) error {
	cols := max(f.Cols, 1)
	rows := (len(f.Panels) + cols - 1) / cols
	var names []string
	for _, p := range f.Panels {
		for _, s := range p.Series {
			if !slices.Contains(names, s.Name) {
				names = append(names, s.Name)
			}
		}
	}
	color := func(name string) string { return palette[slices.Index(names, name)%len(palette)] }

	width := cols * panelW
	sub := wrap(f.Subtitle, width/6)
	// Legend entries flow left to right and wrap; a name's width is
	// estimated from its length (no font metrics in a hand-written SVG).
	type spot struct{ x, row float64 }
	spots := make([]spot, len(names))
	x, row := 10.0, 0.0
	for i, n := range names {
		w := 24 + 6.5*float64(len([]rune(n))) + 18
		if x+w > float64(width) && x > 10 {
			x, row = 10, row+1
		}
		spots[i] = spot{x, row}
		x += w
	}
	legendTop := titleBlockH + legendRowH*(len(sub)-1)
	legendH := 0
	if len(names) > 0 {
		legendH = legendRowH * int(spots[len(spots)-1].row+1)
	}
	top := legendTop + legendH
	height := top + rows*panelH + 10

	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	text(&b, float64(width)/2, 22, "middle", 16, "bold", f.Title)
	for i, line := range sub {
		text(&b, float64(width)/2, float64(40+14*i), "middle", 11, "normal", line)
	}
	for i, n := range names {
		x := spots[i].x
		y := float64(legendTop) + legendRowH*spots[i].row + 10
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="18" height="4" fill="%s"/>`+"\n", x, y-4, color(n))
		text(&b, x+24, y+1, "start", 11, "normal", n)
	}
	for i, p := range f.Panels {
		ox := float64((i % cols) * panelW)
		oy := float64(top + (i/cols)*panelH)
		p.draw(&b, ox, oy, color)
	}
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func (p *Panel) draw(b *bytes.Buffer, ox, oy float64, color func(string) string) {
	x0, y0 := ox+marginL, oy+marginT
	pw, ph := float64(panelW-marginL-marginR), float64(panelH-marginT-marginB)
	text(b, ox+panelW/2, oy+16, "middle", 12, "bold", shorten(p.Title, 50))

	// Y axis from zero to a round number above the largest value.
	ymax := 0.0
	for _, s := range p.Series {
		for _, v := range s.Y {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				ymax = max(ymax, v)
			}
		}
	}
	ticks := niceTicks(ymax)
	ytop := ticks[len(ticks)-1]
	ypos := func(v float64) float64 { return y0 + ph - v/ytop*ph }
	for _, t := range ticks {
		y := ypos(t)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e0e0e0"/>`+"\n", x0, y, x0+pw, y)
		text(b, x0-5, y+4, "end", 10, "normal", SI(t))
	}
	fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="none" stroke="#444"/>`+"\n", x0, y0, pw, ph)
	text(b, x0+pw/2, y0+ph+36, "middle", 11, "normal", p.XLabel)
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="11" transform="rotate(-90 %.1f %.1f)">%s</text>`+"\n",
		ox+14, y0+ph/2, ox+14, y0+ph/2, esc(p.YLabel))

	if len(p.Categories) > 0 {
		p.drawBars(b, x0, y0, pw, ph, ypos, color)
		return
	}
	p.drawLines(b, x0, y0, pw, ph, ypos, color)
}

func (p *Panel) drawLines(b *bytes.Buffer, x0, y0, pw, ph float64, ypos func(float64) float64, color func(string) string) {
	var xs []float64
	for _, s := range p.Series {
		for _, x := range s.X {
			if !slices.Contains(xs, x) && (!p.LogX || x > 0) {
				xs = append(xs, x)
			}
		}
	}
	if len(xs) == 0 {
		return
	}
	slices.Sort(xs)
	tx := func(x float64) float64 {
		if p.LogX {
			return math.Log2(x)
		}
		return x
	}
	lo, hi := tx(xs[0]), tx(xs[len(xs)-1])
	if hi == lo {
		lo, hi = lo-1, hi+1
	}
	pad := (hi - lo) * 0.04
	lo, hi = lo-pad, hi+pad
	xpos := func(x float64) float64 { return x0 + (tx(x)-lo)/(hi-lo)*pw }

	xticks := xs
	if len(xs) > 12 {
		xticks = niceTicks(xs[len(xs)-1])
		if p.LogX {
			xticks = nil
			for t := 1.0; t <= xs[len(xs)-1]; t *= 2 {
				xticks = append(xticks, t)
			}
		}
	}
	for _, t := range xticks {
		if t < xs[0] || (p.LogX && t <= 0) {
			continue
		}
		x := xpos(t)
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#444"/>`+"\n", x, y0+ph, x, y0+ph+4)
		text(b, x, y0+ph+16, "middle", 10, "normal", SI(t))
	}
	for _, s := range p.Series {
		c := color(s.Name)
		dash := ""
		if s.Dashed {
			dash = ` stroke-dasharray="5,4"`
		}
		var pts []string
		flush := func() {
			if len(pts) > 1 {
				fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.8"%s points="%s"/>`+"\n", c, dash, strings.Join(pts, " "))
			}
			pts = pts[:0]
		}
		for i := range min(len(s.X), len(s.Y)) {
			x, y := s.X[i], s.Y[i]
			if math.IsNaN(y) || math.IsInf(y, 0) || (p.LogX && x <= 0) {
				flush()
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xpos(x), ypos(y)))
			if !s.Dashed {
				fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="2.2" fill="%s"><title>%s: %s at %s</title></circle>`+"\n",
					xpos(x), ypos(y), c, esc(s.Name), SI(y), SI(x))
			}
		}
		flush()
	}
}

func (p *Panel) drawBars(b *bytes.Buffer, x0, y0, pw, ph float64, ypos func(float64) float64, color func(string) string) {
	n := len(p.Categories)
	group := pw / float64(n)
	bw := group * 0.8 / float64(max(len(p.Series), 1))
	for i, cat := range p.Categories {
		gx := x0 + group*float64(i) + group*0.1
		text(b, gx+group*0.4, y0+ph+16, "middle", 10, "normal", cat)
		for j, s := range p.Series {
			if i >= len(s.Y) || math.IsNaN(s.Y[i]) {
				continue
			}
			y := ypos(s.Y[i])
			fmt.Fprintf(b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s, %s: %s</title></rect>`+"\n",
				gx+bw*float64(j), y, bw*0.92, y0+ph-y, color(s.Name), esc(s.Name), esc(cat), SI(s.Y[i]))
		}
	}
}

// niceTicks returns 0 and evenly spaced round values (1, 2 or 5 times a
// power of ten) up to the first one at or above vmax.
func niceTicks(vmax float64) []float64 {
	if vmax <= 0 || math.IsNaN(vmax) {
		return []float64{0, 1}
	}
	raw := vmax / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var t []float64
	for v := 0.0; ; v += step {
		t = append(t, v)
		if v >= vmax*0.999999 {
			return t
		}
	}
}

func text(b *bytes.Buffer, x, y float64, anchor string, size int, weight, s string) {
	if s == "" {
		return
	}
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%d" font-weight="%s">%s</text>`+"\n", x, y, anchor, size, weight, esc(s))
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// shorten cuts s to at most n runes, ending it with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// wrap breaks s into lines of at most about n characters, at "; " where
// it can, else at spaces.
func wrap(s string, n int) []string {
	var lines []string
	for _, part := range strings.Split(s, "; ") {
		if k := len(lines) - 1; k >= 0 && len(lines[k])+2+len(part) <= n {
			lines[k] += "; " + part
			continue
		}
		for len(part) > n {
			i := strings.LastIndexByte(part[:n], ' ')
			if i <= 0 {
				i = n
			}
			lines = append(lines, part[:i])
			part = strings.TrimSpace(part[i:])
		}
		lines = append(lines, part)
	}
	return lines
}
