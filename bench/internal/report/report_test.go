package report

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/reporttest"
)

func TestTablePrintAligns(t *testing.T) {
	tb := NewTable("T", "name", "ops/s")
	tb.Add("a", "1.5M")
	tb.Add("longer name", 12)
	var b bytes.Buffer
	tb.Print(&b)
	want := "T\n" +
		"name         ops/s\n" +
		"-----------  -----\n" +
		"a             1.5M\n" +
		"longer name     12\n\n"
	if b.String() != want {
		t.Fatalf("got\n%q\nwant\n%q", b.String(), want)
	}
}

func TestTableMarkdownEscapesPipes(t *testing.T) {
	tb := NewTable("x", "a|b", "n")
	tb.Add("p|q", 3)
	var b bytes.Buffer
	tb.WriteMarkdown(&b)
	if !strings.Contains(b.String(), `| a\|b | n |`) || !strings.Contains(b.String(), "|---|---:|") {
		t.Fatalf("markdown:\n%s", b.String())
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct {
		got, want string
	}{
		{SI(1234567), "1.23M"}, {SI(2e6), "2M"}, {SI(950), "950"}, {SI(0.5), "0.50"}, {SI(12345), "12.3k"},
		{Pct(0.1234), "12.3%"}, {Pct(math.NaN()), "-"}, {Ms(1500 * time.Microsecond), "1.50ms"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if m := Median([]float64{3, 1, 2, 10}); m != 2.5 {
		t.Errorf("median %v", m)
	}
}

func TestNiceTicks(t *testing.T) {
	for _, v := range []float64{0.7, 1, 9.3, 123, 4.2e6} {
		ts := niceTicks(v)
		if ts[0] != 0 || ts[len(ts)-1] < v || len(ts) > 8 {
			t.Errorf("niceTicks(%v) = %v", v, ts)
		}
	}
}

func TestSaveWritesWellFormedFiles(t *testing.T) {
	dir := t.TempDir()
	csv := NewTable("", "x", "y")
	csv.Add(1, 2.5)
	fig := &Figure{Title: "a < b & c", Subtitle: strings.Repeat("long subtitle; ", 20), Cols: 2, Panels: []Panel{
		{Title: "lines", LogX: true, Series: []Series{
			{Name: "s1", X: []float64{1, 2, 4}, Y: []float64{1, math.NaN(), 3}},
			{Name: "ideal", X: []float64{1, 4}, Y: []float64{1, 4}, Dashed: true},
		}},
		{Title: "bars", Categories: []string{"GET", "SET"}, Series: []Series{{Name: "s1", Y: []float64{5, 6}}, {Name: "s2", Y: []float64{7}}}},
		{Title: "empty"},
	}}
	r := &Result{Name: "demo", CSV: csv, Tables: []*Table{csv}, Figure: fig, Notes: []string{"note"}}
	paths, err := r.Save(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) != 3 {
		t.Fatalf("paths %v", paths)
	}
	wantBase := filepath.Join(dir, "demo-"+strconv.Itoa(runtime.NumCPU())+"c-"+time.Now().Format("20060102"))
	if paths[0] != wantBase+".csv" {
		t.Fatalf("path %s, want %s.csv", paths[0], wantBase)
	}
	_, rows := reporttest.Check(t, dir, "demo")
	if len(rows) != 1 || rows[0][1] != "2.5" {
		t.Fatalf("rows %v", rows)
	}
	svg, _ := os.ReadFile(wantBase + ".svg")
	if !bytes.Contains(svg, []byte("a &lt; b &amp; c")) {
		t.Fatal("title not escaped")
	}
}
