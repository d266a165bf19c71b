// Package reporttest checks what a bench command wrote: the CSV parses
// and has rows, the SVG is well-formed XML with an <svg> root, and the
// Markdown file has a table.
package reporttest

import (
	"bytes"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Check finds <dir>/<name>-*.csv, .md and .svg, checks them, and returns
// the CSV's header and rows.
func Check(t *testing.T, dir, name string) (header []string, rows [][]string) {
	t.Helper()
	base := only(t, filepath.Join(dir, name+"-*c-*.csv"))
	base = strings.TrimSuffix(base, ".csv")

	f, err := os.ReadFile(base + ".csv")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(f)).ReadAll()
	if err != nil {
		t.Fatalf("%s.csv: %v", base, err)
	}
	if len(recs) < 2 {
		t.Fatalf("%s.csv: %d records, want a header and rows", base, len(recs))
	}

	svg, err := os.ReadFile(base + ".svg")
	if err != nil {
		t.Fatal(err)
	}
	if err := WellFormed(svg); err != nil {
		t.Fatalf("%s.svg: %v", base, err)
	}

	md, err := os.ReadFile(base + ".md")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(md, []byte("\n|---")) && !bytes.Contains(md, []byte("\n| ")) {
		t.Fatalf("%s.md has no table:\n%s", base, md)
	}
	return recs[0], recs[1:]
}

func only(t *testing.T, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(pattern)
	if err != nil || len(m) != 1 {
		t.Fatalf("files matching %s: %v (err %v), want exactly one", pattern, m, err)
	}
	return m[0]
}

// WellFormed reports whether b is well-formed XML whose root is <svg>.
func WellFormed(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	root := ""
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		switch e := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = e.Name.Local
			}
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if root != "svg" {
		return errors.New("root element is " + root + ", want svg")
	}
	if depth != 0 {
		return errors.New("unbalanced elements")
	}
	return nil
}

// Column returns the index of name in header, failing the test if absent.
func Column(t *testing.T, header []string, name string) int {
	t.Helper()
	for i, h := range header {
		if h == name {
			return i
		}
	}
	t.Fatalf("no column %q in %v", name, header)
	return -1
}

// Quick runs a bench command's run function with -quick, -out set to a
// new temporary directory and then args, fails the test unless it exits
// 0, checks what it wrote (see Check), and returns the CSV's header and
// rows and what the command printed to stdout and stderr.
func Quick(t *testing.T, name string, run func(args []string, stdout, stderr io.Writer) int, args ...string) (header []string, rows [][]string, stdout, stderr string) {
	t.Helper()
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if code := run(append([]string{"-quick", "-out", dir}, args...), &out, &errb); code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	header, rows = Check(t, dir, name)
	return header, rows, out.String(), errb.String()
}
