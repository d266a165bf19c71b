package main

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/report"
	"github.com/cachesrv/cachesrv/bench/internal/workload"
	"github.com/cachesrv/cachesrv/protocol/resp"
)

// parseMemory reads a memory size as Redis does: bytes, or a number with
// a unit: k, m, g (powers of 1000) or kb, mb, gb (powers of 1024), any
// case.
func parseMemory(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1e3}, {"m", 1e6}, {"g", 1e9}, {"b", 1}} {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSuffix(t, u.suffix), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return 0, fmt.Errorf("bad memory size %q", s)
	}
	return n * mult, nil
}

// churnSample is one reading, once a second, during the write load.
type churnSample struct {
	t                      time.Duration
	rss, used              int64
	keys, evicted, expired int64
	sets, errors           int64
}

// churnRun is one server under the write load.
type churnRun struct {
	server     string
	args       []string
	maxmemory  int64  // what INFO says, -1 if it does not
	policy     string // what INFO says
	base       int64  // RSS empty
	samples    []churnSample
	sets, errs int64
	firstErr   string
	wall       time.Duration
	gc         gcStats
	hasGC      bool
	status     string // "" when it ran as asked
}

func (r *churnRun) maxRSS() int64 {
	m := r.base
	for _, s := range r.samples {
		m = max(m, s.rss)
	}
	return m
}

func (r *churnRun) maxUsed() int64 {
	m := int64(-1)
	for _, s := range r.samples {
		m = max(m, s.used)
	}
	return m
}

func (r *churnRun) last() churnSample {
	if len(r.samples) == 0 {
		return churnSample{rss: r.base}
	}
	return r.samples[len(r.samples)-1]
}

// churnFlags are the flags that set the memory limit on a server.
func (cfg *config) churnFlags(name string) []string {
	args := []string{"--maxmemory", cfg.maxmemory}
	switch {
	case cfg.policy != "":
		args = append(args, "--maxmemory-policy", cfg.policy)
	case name == redisName:
		args = append(args, "--maxmemory-policy", "allkeys-lru")
	}
	return args
}

// churn runs each server with a memory limit under a sustained write
// load of random keys, value sizes and TTLs, and watches its RSS.
func (b *bench) churn() *report.Result {
	var (
		runs   []*churnRun
		notRun [][2]string // server, why
	)
	for _, name := range b.servers {
		r, err := b.churnOne(name)
		if err != nil {
			b.problem("churn, %s: %v", name, err)
			b.prog.Step("%s: failed", name)
			why := "did not run: see the problems below"
			if se, ok := err.(*startError); ok && se.rejected {
				why = "exited at start: " + se.reason
			}
			notRun = append(notRun, [2]string{name, why})
			continue
		}
		runs = append(runs, r)
		l := r.last()
		b.prog.Step("%s: max RSS %s = base %s + %.2fx maxmemory; final RSS %s, %s keys, %s SET/s", name, mib(r.maxRSS()), mib(r.base),
			float64(r.maxRSS()-r.base)/float64(b.cfg.maxmemoryBytes), mib(l.rss), report.SI(float64(l.keys)), report.SI(float64(r.sets)/r.wall.Seconds()))
	}
	if len(runs) == 0 {
		return nil
	}
	return b.churnResult(runs, notRun)
}

func (b *bench) churnOne(name string) (*churnRun, error) {
	cfg := b.cfg
	s, err := b.l.start(name, cfg.churnFlags(name))
	if err != nil {
		return nil, err
	}
	defer b.l.stop(s)
	r := &churnRun{server: name, args: s.args, hasGC: s.gctrace}
	if r.base, err = idleRSS(s); err != nil {
		return nil, err
	}
	info, err := s.admin.Info("memory")
	if err != nil {
		return nil, err
	}
	r.maxmemory, r.policy = resp.InfoInt(info, "maxmemory"), info["maxmemory_policy"]
	if r.maxmemory != cfg.maxmemoryBytes {
		r.status = fmt.Sprintf("INFO says maxmemory %d, not %d", r.maxmemory, cfg.maxmemoryBytes)
		b.problem("churn, %s accepted --maxmemory %s but %s: the limit may not be applied", name, cfg.maxmemory, r.status)
	}
	from := logSize(s.logPath)

	conns := make([]net.Conn, 0, cfg.loadConns)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range cfg.loadConns {
		c, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
	}
	var (
		stop     atomic.Bool
		sets     atomic.Int64
		errs     atomic.Int64
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr string
		ioErr    error
	)
	value := workload.Value(cfg.churnValueMax)
	ttlSpan := (cfg.ttlMax - cfg.ttlMin).Milliseconds()
	// With -churn-rate, each connection sends its pipelines on a
	// schedule: depth SETs every conns*depth/rate seconds.
	var every time.Duration
	if cfg.churnRate > 0 {
		every = time.Duration(float64(time.Second) * float64(cfg.loadConns*cfg.loadPipeline) / float64(cfg.churnRate))
	}
	t0 := time.Now()
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(i)+1, uint64(t0.UnixNano())))
			br := bufio.NewReaderSize(c, 64<<10)
			var buf, key, ttl []byte
			px := []byte("PX")
			set := []byte("SET")
			next := t0.Add(every * time.Duration(i) / time.Duration(len(conns)))
			for !stop.Load() {
				if every > 0 {
					if d := time.Until(next); d > 0 {
						time.Sleep(d)
					}
					next = next.Add(every)
				}
				buf = buf[:0]
				for range cfg.loadPipeline {
					key = appendKey(key[:0], rnd.IntN(cfg.churnKeys))
					size := cfg.churnValueMin + rnd.IntN(cfg.churnValueMax-cfg.churnValueMin+1)
					ttl = strconv.AppendInt(ttl[:0], cfg.ttlMin.Milliseconds()+rnd.Int64N(ttlSpan+1), 10)
					buf = resp.AppendCommand(buf, set, key, value[:size], px, ttl)
				}
				c.SetDeadline(time.Now().Add(time.Minute))
				if _, err := c.Write(buf); err != nil {
					mu.Lock()
					ioErr = err
					mu.Unlock()
					return
				}
				for range cfg.loadPipeline {
					_, e, err := resp.Read(br)
					if err != nil {
						mu.Lock()
						ioErr = err
						mu.Unlock()
						return
					}
					if e != nil {
						if errs.Add(1) == 1 {
							mu.Lock()
							firstErr = string(e)
							mu.Unlock()
						}
					}
				}
				sets.Add(int64(cfg.loadPipeline))
			}
		}()
	}
	b.prog.Note("churn %s: %s, %d connections writing %d-deep pipelines of SET key:<0..%s> <%d..%d B> PX <%v..%v>, base RSS %s",
		name, strings.Join(quoteArgs(cfg.churnFlags(name)), " "), cfg.loadConns, cfg.loadPipeline, report.SI(float64(cfg.churnKeys)),
		cfg.churnValueMin, cfg.churnValueMax, cfg.ttlMin, cfg.ttlMax, mib(r.base))
	sample := func() (churnSample, error) {
		sm := churnSample{t: time.Since(t0), sets: sets.Load(), errors: errs.Load()}
		var err error
		if sm.rss, err = s.rss(); err != nil {
			return sm, err
		}
		f, err := s.admin.Info("memory", "stats")
		if err != nil {
			return sm, err
		}
		sm.used, sm.evicted, sm.expired = resp.InfoInt(f, "used_memory"), resp.InfoInt(f, "evicted_keys"), resp.InfoInt(f, "expired_keys")
		if sm.keys, err = s.admin.DBSize(); err != nil {
			return sm, err
		}
		return sm, nil
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	end := t0.Add(cfg.churnDuration)
	var sampleErr error
	lastSets, lastT := int64(0), time.Duration(0)
	for now := range tick.C {
		if now.After(end) {
			break
		}
		sm, err := sample()
		if err != nil {
			sampleErr = err
			break
		}
		r.samples = append(r.samples, sm)
		b.prog.Note("churn %s %3.0fs/%v: %7s SET/s, RSS %s = base + %.2fx maxmemory, used_memory %s, %s keys, %s evicted, %s expired%s",
			name, sm.t.Seconds(), cfg.churnDuration, report.SI(float64(sm.sets-lastSets)/(sm.t-lastT).Seconds()), mib(sm.rss),
			float64(sm.rss-r.base)/float64(cfg.maxmemoryBytes), mib(sm.used), report.SI(float64(sm.keys)),
			report.SI(float64(sm.evicted)), report.SI(float64(sm.expired)), churnErrNote(sm.errors, firstErrOf(&mu, &firstErr)))
		lastSets, lastT = sm.sets, sm.t
		mu.Lock()
		bad := ioErr
		mu.Unlock()
		if bad != nil {
			break
		}
	}
	stop.Store(true)
	wg.Wait()
	r.wall = time.Since(t0)
	// A last reading once the writes have stopped.
	if sampleErr == nil && ioErr == nil {
		if sm, err := sample(); err == nil {
			r.samples = append(r.samples, sm)
		} else {
			sampleErr = err
		}
	}
	r.sets, r.errs, r.firstErr = sets.Load(), errs.Load(), firstErr
	for _, err := range []error{ioErr, sampleErr} {
		if err != nil {
			if e := s.exited(); e != nil {
				return nil, e
			}
			return nil, err
		}
	}
	if r.hasGC {
		if st, err := gcTraceFile(s.logPath, []int64{from, logSize(s.logPath)}); err == nil {
			r.gc = st[1]
		}
	}
	return r, nil
}

func firstErrOf(mu *sync.Mutex, s *string) string {
	mu.Lock()
	defer mu.Unlock()
	return *s
}

func churnErrNote(n int64, first string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %s error replies (first: %s)", report.SI(float64(n)), first)
}

func (b *bench) churnResult(runs []*churnRun, notRun [][2]string) *report.Result {
	cfg := b.cfg
	mm := float64(cfg.maxmemoryBytes)
	csv := report.NewTable("", "server", "t_s", "rss_bytes", "rss_over_base_per_maxmemory", "used_memory_bytes", "keys", "evicted_keys",
		"expired_keys", "sets", "errors", "base_rss_bytes", "maxmemory_bytes", "maxmemory_policy")
	tab := report.NewTable(fmt.Sprintf("RSS under %v of SETs with random TTLs, maxmemory %s", cfg.churnDuration, cfg.maxmemory),
		"server", "policy", "base RSS", "max RSS", "final RSS", "max (RSS-base)/maxmemory", "limit", "within", "max used_memory",
		"keys at end", "evicted", "expired", "SET/s", "errors", "GC cycles", "note")
	rssP := report.Panel{Title: "(RSS - base) / maxmemory", XLabel: "seconds", YLabel: "x maxmemory"}
	usedP := report.Panel{Title: "used_memory / maxmemory", XLabel: "seconds", YLabel: "x maxmemory"}
	keysP := report.Panel{Title: "keys (DBSIZE)", XLabel: "seconds", YLabel: "keys"}
	limit := report.Series{Name: fmt.Sprintf("limit %.2fx", churnTarget), Dashed: true}
	rows := map[string][]any{}
	for _, r := range runs {
		sr, su, sk := report.Series{Name: r.server}, report.Series{Name: r.server}, report.Series{Name: r.server}
		for _, s := range r.samples {
			over := float64(s.rss-r.base) / mm
			csv.Add(r.server, fmt.Sprintf("%.1f", s.t.Seconds()), s.rss, fmt.Sprintf("%.4f", over), s.used, s.keys, s.evicted,
				s.expired, s.sets, s.errors, r.base, cfg.maxmemoryBytes, r.policy)
			x := s.t.Seconds()
			sr.X, sr.Y = append(sr.X, x), append(sr.Y, over)
			su.X, su.Y = append(su.X, x), append(su.Y, float64(s.used)/mm)
			sk.X, sk.Y = append(sk.X, x), append(sk.Y, float64(s.keys))
			limit.X, limit.Y = append(limit.X, x), append(limit.Y, churnTarget)
		}
		rssP.Series, usedP.Series, keysP.Series = append(rssP.Series, sr), append(usedP.Series, su), append(keysP.Series, sk)
		l := r.last()
		over := float64(r.maxRSS()-r.base) / mm
		lim := r.base + int64(churnTarget*mm)
		gc := "-"
		if r.hasGC {
			gc = fmt.Sprint(r.gc.cycles)
		}
		note := r.status
		if r.errs > 0 {
			note = strings.TrimPrefix(note+"; first error: "+r.firstErr, "; ")
		}
		rows[r.server] = []any{r.server, r.policy, mib(r.base), mib(r.maxRSS()), mib(l.rss), fmt.Sprintf("%.2fx", over), mib(lim),
			yesNo(r.maxRSS() <= lim), mib(r.maxUsed()), report.SI(float64(l.keys)), report.SI(float64(l.evicted)),
			report.SI(float64(l.expired)), report.SI(float64(r.sets) / r.wall.Seconds()), r.errs, gc, note}
	}
	for _, name := range b.servers {
		if row, ok := rows[name]; ok {
			tab.Add(row...)
		}
	}
	// Servers that did not run go last, so that the Markdown table's
	// alignment follows a row of figures.
	for _, nr := range notRun {
		tab.Add(nr[0], "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", nr[1])
	}
	rssP.Series = append(rssP.Series, limit)
	fig := &report.Figure{
		Title: "membench churn: RSS against maxmemory under TTL churn",
		Subtitle: fmt.Sprintf("%s; maxmemory %s; SET of %s random keys, %d..%d B values, PX %v..%v, %d conns x %d-deep pipelines",
			report.Machine(), cfg.maxmemory, report.SI(float64(cfg.churnKeys)), cfg.churnValueMin, cfg.churnValueMax, cfg.ttlMin, cfg.ttlMax,
			cfg.loadConns, cfg.loadPipeline),
		Cols:   2,
		Panels: []report.Panel{rssP, usedP, keysP},
	}
	rate := "as fast as the server answers"
	if cfg.churnRate > 0 {
		rate = report.SI(float64(cfg.churnRate)) + " SET/s offered"
	}
	notes := []string{
		fmt.Sprintf("Each server starts fresh with `--maxmemory %s` and a policy (-maxmemory-policy; by default none for cachesrv, i.e. its own default, "+
			"and allkeys-lru for redis-server, whose own default, noeviction, refuses writes when full). base RSS = VmRSS 0.5 s after it answers PING. "+
			"Then %d connections write %d-deep pipelines of SET key:<uniform in 0..%d> <%d..%d random bytes> PX <uniform %v..%v>, %s, for %v; "+
			"once a second RSS, INFO used_memory, evicted_keys, expired_keys and DBSIZE are read, and once more after the writes stop.",
			cfg.maxmemory, cfg.loadConns, cfg.loadPipeline, cfg.churnKeys-1, cfg.churnValueMin, cfg.churnValueMax, cfg.ttlMin, cfg.ttlMax, rate, cfg.churnDuration),
		fmt.Sprintf("Target: RSS stays within base + %.2f x maxmemory (limit column) for the whole run; within = max RSS <= limit. "+
			"A server that refuses --maxmemory is listed as a problem below: pass a build that has it with -cachesrv-bin.", churnTarget),
	}
	notes = append(notes, b.notes...)
	return &report.Result{Name: "membench-churn", CSV: csv, Tables: []*report.Table{tab}, Figure: fig, Notes: notes}
}
