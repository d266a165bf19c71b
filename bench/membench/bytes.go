package main

import (
	"fmt"
	"math"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/protocol/resp"
)

// bytesRun is one server filled with cfg.keys keys.
type bytesRun struct {
	server                          string
	dbsize                          int64
	load                            time.Duration
	rssEmpty, rssLoaded, rssSettled int64
	usedEmpty, usedSettled          int64 // INFO used_memory
	gc                              gcStats
	hasGC                           bool
}

func (r *bytesRun) perKey(rss int64) float64 {
	return float64(rss-r.rssEmpty) / float64(r.dbsize)
}

func (r *bytesRun) usedPerKey() float64 {
	if r.usedEmpty < 0 || r.usedSettled < 0 {
		return math.NaN()
	}
	return float64(r.usedSettled-r.usedEmpty) / float64(r.dbsize)
}

// bytes fills a fresh process of each server with exactly cfg.keys keys
// and reports what they cost in RSS.
func (b *bench) bytes() *report.Result {
	cfg := b.cfg
	ld := newLoader(cfg, b.prog)
	var runs []*bytesRun
	for _, name := range b.servers {
		r, err := b.bytesOne(name, ld)
		if err != nil {
			b.problem("bytes, %s: %v", name, err)
			b.prog.Step("%s: failed", name)
			continue
		}
		runs = append(runs, r)
		b.prog.Step("%s: %s keys, RSS %s empty, %s loaded, %s after %v: %.0f B/key", name, report.SI(float64(r.dbsize)),
			mib(r.rssEmpty), mib(r.rssLoaded), mib(r.rssSettled), cfg.settle, r.perKey(r.rssSettled))
	}
	if len(runs) == 0 {
		return nil
	}
	return b.bytesResult(runs)
}

func (b *bench) bytesOne(name string, ld *loader) (*bytesRun, error) {
	cfg := b.cfg
	s, err := b.l.start(name, nil)
	if err != nil {
		return nil, err
	}
	defer b.l.stop(s)
	r := &bytesRun{server: name, hasGC: s.gctrace}
	if r.rssEmpty, err = idleRSS(s); err != nil {
		return nil, err
	}
	r.usedEmpty = usedMemory(s)
	from := logSize(s.logPath)
	if r.load, err = ld.load(s, cfg.keys); err != nil {
		return nil, err
	}
	if r.rssLoaded, err = s.rss(); err != nil {
		return nil, err
	}
	time.Sleep(cfg.settle)
	if r.rssSettled, err = s.rss(); err != nil {
		return nil, err
	}
	r.usedSettled = usedMemory(s)
	if r.dbsize, err = s.admin.DBSize(); err != nil {
		return nil, err
	}
	if r.dbsize != int64(cfg.keys) {
		// Keep the row (per key figures use DBSIZE), but say so.
		b.problem("bytes, %s: DBSIZE is %d after loading %d distinct keys", name, r.dbsize, cfg.keys)
	}
	if r.hasGC {
		if st, err := gcTraceFile(s.logPath, []int64{from, logSize(s.logPath)}); err == nil {
			r.gc = st[1]
		}
	}
	return r, nil
}

// usedMemory is INFO's used_memory, -1 if the server does not say.
func usedMemory(s *server) int64 {
	f, err := s.admin.Info("memory")
	if err != nil {
		return -1
	}
	return resp.InfoInt(f, "used_memory")
}

func (b *bench) bytesResult(runs []*bytesRun) *report.Result {
	cfg := b.cfg
	settle := cfg.settle.String()
	csv := report.NewTable("", "server", "keys", "value_size", "dbsize", "load_seconds", "rss_empty_bytes", "rss_loaded_bytes",
		"rss_settled_bytes", "bytes_per_key_loaded", "bytes_per_key_settled", "used_memory_empty", "used_memory_settled",
		"used_memory_per_key", "gc_cycles", "gc_max_pause_ms", "gc_total_pause_ms", "gc_max_live_heap_mb")
	tab := report.NewTable(fmt.Sprintf("Memory for %s keys (key:%%d, %d B values)", report.SI(float64(cfg.keys)), cfg.valueSize),
		"server", "DBSIZE", "load", "SET/s", "RSS empty", "RSS loaded", "RSS +"+settle, "B/key loaded", "B/key +"+settle,
		"used_memory", "used_memory B/key", "GC cycles", "longest GC pause")
	for _, r := range runs {
		gcN, gcMax, gcCSV := "-", "-", []any{"", "", "", ""}
		if r.hasGC {
			gcN, gcMax = fmt.Sprint(r.gc.cycles), report.Ms(r.gc.maxPause)
			gcCSV = []any{r.gc.cycles, msf(r.gc.maxPause), msf(r.gc.totalPause), r.gc.maxHeapLive}
		}
		csv.Add(append([]any{r.server, cfg.keys, cfg.valueSize, r.dbsize, fmt.Sprintf("%.3f", r.load.Seconds()), r.rssEmpty, r.rssLoaded,
			r.rssSettled, fmt.Sprintf("%.1f", r.perKey(r.rssLoaded)), fmt.Sprintf("%.1f", r.perKey(r.rssSettled)),
			r.usedEmpty, r.usedSettled, fmt.Sprintf("%.1f", r.usedPerKey())}, gcCSV...)...)
		tab.Add(r.server, r.dbsize, r.load.Round(time.Millisecond).String(), report.SI(float64(r.dbsize)/r.load.Seconds()),
			mib(r.rssEmpty), mib(r.rssLoaded), mib(r.rssSettled), fmt.Sprintf("%.0f", r.perKey(r.rssLoaded)),
			fmt.Sprintf("%.0f", r.perKey(r.rssSettled)), mib(r.usedSettled), fmt.Sprintf("%.0f", r.usedPerKey()), gcN, gcMax)
	}
	tables := []*report.Table{tab}

	perKey := report.Panel{Title: "RSS per key", YLabel: "bytes", Categories: []string{"after loading", "after " + settle}}
	rss := report.Panel{Title: "RSS", YLabel: "MiB", Categories: []string{"empty", "loaded", "after " + settle}}
	for _, r := range runs {
		perKey.Series = append(perKey.Series, report.Series{Name: r.server, Y: []float64{r.perKey(r.rssLoaded), r.perKey(r.rssSettled)}})
		rss.Series = append(rss.Series, report.Series{Name: r.server,
			Y: []float64{float64(r.rssEmpty) / (1 << 20), float64(r.rssLoaded) / (1 << 20), float64(r.rssSettled) / (1 << 20)}})
	}
	fig := &report.Figure{
		Title:    "membench bytes: RSS per key",
		Subtitle: fmt.Sprintf("%s; %s keys key:%%d, %d B values, fresh process per server", report.Machine(), report.SI(float64(cfg.keys)), cfg.valueSize),
		Cols:     2,
		Panels:   []report.Panel{perKey, rss},
	}

	c, rd := find(runs, cachesrvName), find(runs, redisName)
	if c != nil && rd != nil {
		cmp := report.NewTable("cachesrv / redis-server", "measure", "cachesrv", "redis-server", "ratio", "target", "met")
		ratio := func(what string, a, b float64, target bool) {
			q := a / b
			t, met := "-", "-"
			if target {
				t = fmt.Sprintf("<= %.2fx", bytesTarget)
				met = yesNo(q <= bytesTarget)
			}
			cmp.Add(what, fmt.Sprintf("%.0f", a), fmt.Sprintf("%.0f", b), fmt.Sprintf("%.2fx", q), t, met)
		}
		ratio("RSS B/key +"+settle, c.perKey(c.rssSettled), rd.perKey(rd.rssSettled), true)
		ratio("RSS B/key loaded", c.perKey(c.rssLoaded), rd.perKey(rd.rssLoaded), true)
		ratio("used_memory B/key", c.usedPerKey(), rd.usedPerKey(), false)
		tables = append(tables, cmp)
	}
	notes := append([]string{
		fmt.Sprintf("Each server runs as a fresh process. RSS empty is VmRSS (/proc/PID/status) 0.5 s after it first answers PING; "+
			"then %d connections SET key:0 ... key:%d (each key once, %d-deep pipelines, every reply checked), the loading connections are closed, "+
			"RSS loaded is read at once and RSS +%s after waiting %s; DBSIZE is then checked against the key count. "+
			"B/key = (RSS - RSS empty) / DBSIZE: what a key costs, the server's fixed base left out.",
			cfg.loadConns, cfg.keys-1, cfg.loadPipeline, settle, settle),
		"used_memory is INFO's: for redis-server the bytes its allocator has handed out; for cachesrv the Go runtime's memory less what it has returned to the OS. " +
			"They measure different things, so only RSS is compared against the target. " +
			"GC columns: cachesrv's cycles from GODEBUG=gctrace=1 over the load and the wait; the longest pause is the longest single stop-the-world phase.",
	}, b.notes...)
	return &report.Result{Name: "membench-bytes", CSV: csv, Tables: tables, Figure: fig, Notes: notes}
}

func find[T interface{ name() string }](runs []T, name string) T {
	var zero T
	for _, r := range runs {
		if r.name() == name {
			return r
		}
	}
	return zero
}

func (r *bytesRun) name() string { return r.server }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

// msf formats a duration as milliseconds for the CSV.
func msf(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/1e6) }
