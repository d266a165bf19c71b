package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
)

// result is one server's column of a probe's table: labelled figures in
// the order the probe added them, and notes printed under the table.
type result struct {
	labels []string
	values map[string]string
	nums   map[string]float64 // figures a probe's combine step uses
	notes  []string
}

func (r *result) add(label, format string, args ...any) {
	if r.values == nil {
		r.values = map[string]string{}
	}
	if _, ok := r.values[label]; !ok {
		r.labels = append(r.labels, label)
	}
	r.values[label] = fmt.Sprintf(format, args...)
}

// addNum is add for a figure that is also kept as a number.
func (r *result) addNum(label string, v float64, format string) {
	if r.nums == nil {
		r.nums = map[string]float64{}
	}
	r.nums[label] = v
	r.add(label, format, v)
}

func (r *result) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// table prints a probe's results side by side, one column per server;
// a row that only one server has shows "-" for the other.
type table struct {
	title   string
	kinds   []string
	results []*result
	summary []string // lines under the table, across servers
	load    string   // load average when the probe started
}

// num returns the number label of server kind, and whether it has one.
func (t *table) num(kind, label string) (float64, bool) {
	for i, k := range t.kinds {
		if k == kind {
			v, ok := t.results[i].nums[label]
			return v, ok
		}
	}
	return 0, false
}

func (t *table) print(w io.Writer) {
	var labels []string
	seen := map[string]bool{}
	for _, r := range t.results {
		for _, l := range r.labels {
			if !seen[l] {
				seen[l] = true
				labels = append(labels, l)
			}
		}
	}
	header := append([]string{""}, t.kinds...)
	rows := [][]string{header}
	for _, l := range labels {
		row := []string{l}
		for _, r := range t.results {
			v, ok := r.values[l]
			if !ok {
				v = "-"
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	width := make([]int, len(header))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], len(c))
		}
	}
	fmt.Fprintf(w, "\n%s\n(load average %s at start, %d cores)\n", t.title, t.load, runtime.NumCPU())
	for i, row := range rows {
		var b strings.Builder
		for j, c := range row {
			if j > 0 {
				b.WriteString("  ")
			}
			fmt.Fprintf(&b, "%-*s", width[j], c)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if i == 0 {
			fmt.Fprintln(w, strings.Repeat("-", len(strings.TrimRight(b.String(), " "))))
		}
	}
	for i, r := range t.results {
		for _, n := range r.notes {
			fmt.Fprintf(w, "  %s: %s\n", t.kinds[i], n)
		}
	}
	for _, l := range t.summary {
		fmt.Fprintf(w, "  %s\n", l)
	}
}
