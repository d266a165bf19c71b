package report

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// ModulePath is the module whose root holds bench/results.
const ModulePath = "github.com/cachesrv/cachesrv"

// ModuleRoot returns the directory of cachesrv's go.mod, searching upward
// from the working directory, or "" if it is not above it.
func ModuleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module "+ModulePath+"\n")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// DefaultDir is where results go unless a -out flag says otherwise:
// bench/results in the module root, or under the working directory when
// run outside the module.
func DefaultDir() string {
	if root := ModuleRoot(); root != "" {
		return filepath.Join(root, "bench", "results")
	}
	return filepath.Join("bench", "results")
}

// Machine describes where a run happened, for subtitles and notes.
func Machine() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%d cores (GOMAXPROCS %d), %s %s/%s, host %s, %s",
		runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version(), runtime.GOOS, runtime.GOARCH, host,
		time.Now().Format("2006-01-02 15:04"))
}

// Result is what one bench command writes: a long-form CSV table, the
// tables for the Markdown file (the same ones it printed), a chart and
// free-form notes.
type Result struct {
	Name   string   // storebench, poolbench, loadgen...
	CSV    *Table   // every measurement, one row each
	Tables []*Table // what the command printed
	Figure *Figure
	Notes  []string // paragraphs for the Markdown file
}

// Save writes <dir>/<name>-<cores>c-<YYYYMMDD>.csv, .md and .svg and
// returns their paths.
func (r *Result) Save(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	base := filepath.Join(dir, fmt.Sprintf("%s-%dc-%s", r.Name, runtime.NumCPU(), time.Now().Format("20060102")))
	var paths []string
	write := func(ext string, fn func(w io.Writer) error) error {
		var b bytes.Buffer
		if err := fn(&b); err != nil {
			return err
		}
		p := base + ext
		paths = append(paths, p)
		return os.WriteFile(p, b.Bytes(), 0o644)
	}
	if err := write(".csv", r.CSV.WriteCSV); err != nil {
		return paths, err
	}
	err := write(".md", func(w io.Writer) error {
		fmt.Fprintf(w, "# %s\n\n", r.Figure.Title)
		fmt.Fprintf(w, "%s\n\n", Machine())
		for _, n := range r.Notes {
			fmt.Fprintf(w, "%s\n\n", n)
		}
		for _, t := range r.Tables {
			t.WriteMarkdown(w)
		}
		fmt.Fprintf(w, "![%s](%s)\n", r.Name, filepath.Base(base)+".svg")
		return nil
	})
	if err != nil {
		return paths, err
	}
	return paths, write(".svg", r.Figure.WriteSVG)
}

// Progress prints one line per step to w (stderr): the step count, the
// time spent, an estimate of the time left, and a message.
type Progress struct {
	mu    sync.Mutex
	w     io.Writer
	total int
	done  int
	start time.Time
}

// NewProgress starts a progress report over total steps.
func NewProgress(w io.Writer, total int) *Progress {
	return &Progress{w: w, total: total, start: time.Now()}
}

// Step records one finished step and prints msg.
func (p *Progress) Step(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	el := time.Since(p.start)
	eta := "?"
	if p.done > 0 && p.total >= p.done {
		eta = (el / time.Duration(p.done) * time.Duration(p.total-p.done)).Round(time.Second).String()
	}
	width := len(fmt.Sprint(p.total))
	fmt.Fprintf(p.w, "[%*d/%d %6s, ~%s left] %s\n", width, p.done, p.total, el.Round(time.Second), eta,
		strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
}

// Note prints a line without counting a step.
func (p *Progress) Note(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, "[%s] %s\n", time.Since(p.start).Round(time.Second), strings.TrimRight(fmt.Sprintf(format, args...), "\n"))
}
