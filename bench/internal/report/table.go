// Package report is what the bench commands share to show their results:
// aligned text tables, CSV and Markdown files, SVG line and bar charts
// (hand-written, no plotting dependency), progress lines, and the
// bench/results/<name>-<cores>c-<YYYYMMDD> file naming.
package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Table is a titled grid of already formatted cells.
type Table struct {
	Title  string
	Header []string
	Rows   [][]string
}

// NewTable returns an empty table with the given title and header.
func NewTable(title string, header ...string) *Table {
	return &Table{Title: title, Header: header}
}

// Add appends a row; each cell is formatted with fmt.Sprint, or "%.4g"
// for floats.
func (t *Table) Add(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		switch v := c.(type) {
		case string:
			row[i] = v
		case float64:
			row[i] = fmt.Sprintf("%.4g", v)
		default:
			row[i] = fmt.Sprint(v)
		}
	}
	t.Rows = append(t.Rows, row)
}

// Print writes the table as aligned text: numbers right-aligned, text left.
func (t *Table) Print(w io.Writer) {
	width := make([]int, len(t.Header))
	grow := func(row []string) {
		for i, c := range row {
			if i >= len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	grow(t.Header)
	for _, r := range t.Rows {
		grow(r)
	}
	if t.Title != "" {
		fmt.Fprintf(w, "%s\n", t.Title)
	}
	line := func(row []string) {
		var b strings.Builder
		for i, c := range row {
			if i > 0 {
				b.WriteString("  ")
			}
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if numeric(c) {
				b.WriteString(pad + c)
			} else if i < len(row)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	line(t.Header)
	sep := make([]string, len(t.Header))
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i])
	}
	fmt.Fprintln(w, strings.Join(sep, "  "))
	for _, r := range t.Rows {
		line(r)
	}
	fmt.Fprintln(w)
}

// numeric reports whether a cell reads as a number (possibly with a unit
// suffix such as 12.3M, 45%, 1.2x or 0.31ms), to right-align it.
func numeric(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return s == "-"
	}
	c := s[0]
	return c >= '0' && c <= '9' || (c == '-' || c == '+' || c == '.') && len(s) > 1 && s[1] >= '0' && s[1] <= '9'
}

// WriteCSV writes the header and rows as CSV.
func (t *Table) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(t.Header); err != nil {
		return err
	}
	if err := cw.WriteAll(t.Rows); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// WriteMarkdown writes the table as a GitHub Markdown table under a
// "### title" heading.
func (t *Table) WriteMarkdown(w io.Writer) {
	if t.Title != "" {
		fmt.Fprintf(w, "### %s\n\n", t.Title)
	}
	esc := func(row []string) string {
		out := make([]string, len(row))
		for i, c := range row {
			out[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		return "| " + strings.Join(out, " | ") + " |"
	}
	fmt.Fprintln(w, esc(t.Header))
	align := make([]string, len(t.Header))
	for i := range align {
		align[i] = "---"
		if len(t.Rows) > 0 && i < len(t.Rows[0]) && numeric(t.Rows[0][i]) {
			align[i] = "---:"
		}
	}
	fmt.Fprintln(w, "|"+strings.Join(align, "|")+"|")
	for _, r := range t.Rows {
		fmt.Fprintln(w, esc(r))
	}
	fmt.Fprintln(w)
}
