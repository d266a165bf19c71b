package report

import (
	"bytes"
	"flag"
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

// NewFlagSet returns the flag set of the bench command name, printing
// its errors and usage to stderr, with the -out flag every command has
// stored in out.
func NewFlagSet(name string, stderr io.Writer, out *string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(out, "out", DefaultDir(), "directory for the CSV, Markdown and SVG files")
	return fs
}

// FlagsExitCode is a command's exit status when parsing its flags failed
// with err: 0 after -help, 2 otherwise.
func FlagsExitCode(err error) int {
	if err == flag.ErrHelp {
		return 0
	}
	return 2
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

// PrintAndSave prints the tables to w, then lines (if any), saves the
// files in dir (see Save) and prints "wrote <path>" for each.
func (r *Result) PrintAndSave(w io.Writer, dir string, lines ...string) error {
	for _, t := range r.Tables {
		t.Print(w)
	}
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	paths, err := r.Save(dir)
	if err != nil {
		return err
	}
	for _, p := range paths {
		fmt.Fprintln(w, "wrote", p)
	}
	return nil
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

// Window sleeps through a measured window of length d that started at t0,
// printing a note each second with label, the time so far and the ops/s
// over that second; ops returns the operations done since t0.
func (p *Progress) Window(label string, t0 time.Time, d time.Duration, ops func() int64) {
	end := t0.Add(d)
	last, lastOps := t0, int64(0)
	for {
		next := last.Add(time.Second)
		if end.Before(next) {
			next = end
		}
		time.Sleep(time.Until(next))
		now := time.Now()
		if !now.Before(end) {
			return
		}
		n := ops()
		p.Note("%s  %2.0fs/%v  %7s ops/s", label, now.Sub(t0).Seconds(), d, SI(float64(n-lastOps)/now.Sub(last).Seconds()))
		last, lastOps = now, n
	}
}
