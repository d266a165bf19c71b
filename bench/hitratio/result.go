package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/cachesrv/cachesrv/bench/internal/report"
)

// The reference every policy is held against.
const (
	refServer = redisServer
	refPolicy = "allkeys-lru"
)

// findRun returns the run of trace with server and policy in round, or
// nil.
func findRun(runs []*runResult, trace, server, policy string, round int) *runResult {
	for _, r := range runs {
		if r.trace == trace && r.server == server && r.policy == policy && r.round == round {
			return r
		}
	}
	return nil
}

func okRun(r *runResult) bool { return r != nil && r.ok }

// cell is every successful round of one trace with one setup.
type cell struct {
	runs []*runResult
}

func cellOf(runs []*runResult, trace, server, policy string) cell {
	var c cell
	for _, r := range runs {
		if r.ok && r.trace == trace && r.server == server && r.policy == policy {
			c.runs = append(c.runs, r)
		}
	}
	return c
}

func (c cell) ok() bool { return len(c.runs) > 0 }

// mean is f's mean over the rounds, NaN for none.
func (c cell) mean(f func(*runResult) float64) float64 {
	if len(c.runs) == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, r := range c.runs {
		sum += f(r)
	}
	return sum / float64(len(c.runs))
}

func (c cell) hit() float64 { return c.mean(func(r *runResult) float64 { return r.st.hitRatio() }) }

// hitRange is the lowest and highest hit ratio over the rounds.
func (c cell) hitRange() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, r := range c.runs {
		lo, hi = min(lo, r.st.hitRatio()), max(hi, r.st.hitRatio())
	}
	return lo, hi
}

func (c cell) rangeText() string {
	lo, hi := c.hitRange()
	return fmt.Sprintf("%.1f-%.1f%%", 100*lo, 100*hi)
}

// targetPolicy is the cachesrv policy the target is about: the first of
// -policies (allkeys-s3fifo by default, the coming default policy).
func targetPolicy(cfg *config) string {
	if len(cfg.policies) == 0 || cfg.maxmemory == 0 {
		return ""
	}
	return cfg.policies[0]
}

func result(cfg *config, trs []*trace, setups []setup, runs []*runResult, notes []string) *report.Result {
	traceTab := report.NewTable("Traces", "trace", "requests", "distinct keys", "scan requests", "unbounded cache hits", "what")
	for _, t := range trs {
		traceTab.Add(t.name, report.SI(float64(len(t.keys))), report.SI(float64(t.distinct)),
			report.Pct(ratio(int64(t.scanReqs), int64(len(t.keys)))), report.Pct(t.bestHitRatio()), t.desc)
	}

	mm := "no maxmemory"
	if cfg.maxmemory > 0 {
		mm = "maxmemory " + mib(cfg.maxmemory)
	}
	header := []string{"trace", "server", "policy", "hit ratio", "server hits", "keys held", "used_memory", "RSS", "evicted", "ops/s", "status"}
	if cfg.rounds > 1 {
		header = append(header[:3:3], append([]string{"round"}, header[3:]...)...)
	}
	runsTab := report.NewTable(fmt.Sprintf("Hit ratio, %s for every server (client-counted hits / GETs)", mm), header...)
	csv := report.NewTable("", "trace", "server", "policy", "round", "status", "maxmemory_bytes", "gets", "hits", "hit_ratio",
		"dup_hits", "hit_ratio_without_scan_keys", "sets", "set_errors", "get_errors", "keyspace_hits", "keyspace_misses",
		"server_hit_ratio", "evicted_keys", "keys_held", "used_memory_empty", "used_memory", "used_memory_rss",
		"rss_bytes", "peak_rss_bytes", "seconds", "ops_per_sec", "hit_ratio_over_redis_lru", "notes")
	for _, r := range runs {
		status := r.status
		if len(r.notes) > 0 {
			status += "; " + strings.Join(r.notes, "; ")
		}
		lead := []any{r.trace, r.server, r.policy}
		if cfg.rounds > 1 {
			lead = append(lead, r.round)
		}
		if !r.ok {
			runsTab.Add(append(lead, "-", "-", "-", "-", "-", "-", "-", status)...)
			row := []any{r.trace, r.server, r.policy, r.round, r.status, cfg.maxmemory}
			for len(row) < len(csv.Header)-1 {
				row = append(row, "")
			}
			csv.Add(append(row, strings.Join(r.notes, "; "))...)
			continue
		}
		st := r.st
		runsTab.Add(append(lead, report.Pct(st.hitRatio()), pctOrDash(r.serverHitRatio()), count(r.keysHeld),
			bytesOrDash(r.used), bytesOrDash(r.rss), count(r.evicted), report.SI(st.opsPerSec()), status)...)
		rel := ""
		if ref := findRun(runs, r.trace, refServer, refPolicy, r.round); okRun(ref) && ref.st.hitRatio() > 0 {
			rel = fmt.Sprintf("%.4f", st.hitRatio()/ref.st.hitRatio())
		}
		csv.Add(r.trace, r.server, r.policy, r.round, r.status, cfg.maxmemory, st.gets, st.hits,
			fmt.Sprintf("%.5f", st.hitRatio()), st.dupHits, fmt.Sprintf("%.5f", st.univHitRatio()), st.sets, st.setErrors,
			st.getErrors, r.ksHits, r.ksMisses, fmt.Sprintf("%.5f", r.serverHitRatio()), r.evicted, r.keysHeld,
			r.usedEmpty, r.used, r.usedRSS, r.rss, r.peakRSS, fmt.Sprintf("%.3f", st.wall.Seconds()),
			fmt.Sprintf("%.0f", st.opsPerSec()), rel, strings.Join(r.notes, "; "))
	}
	tables := []*report.Table{traceTab, runsTab}

	var cats []string
	for _, t := range trs {
		cats = append(cats, t.name)
	}
	avg := ""
	if cfg.rounds > 1 {
		avg = fmt.Sprintf(" (mean of %d rounds)", cfg.rounds)
	}
	hitP := report.Panel{Title: "hit ratio" + avg, YLabel: "hits / GETs", Categories: cats}
	relP := report.Panel{Title: "hit ratio / redis allkeys-lru's", YLabel: "ratio", Categories: cats}
	keysP := report.Panel{Title: "keys held at the end (DBSIZE)", YLabel: "keys", Categories: cats}
	rssP := report.Panel{Title: "RSS at the end", YLabel: "MiB", Categories: cats}
	for _, s := range setups {
		hs, rs, ks, ms := report.Series{Name: s.String()}, report.Series{Name: s.String()}, report.Series{Name: s.String()}, report.Series{Name: s.String()}
		for _, t := range trs {
			c, ref := cellOf(runs, t.name, s.kind.name, s.policy), cellOf(runs, t.name, refServer, refPolicy)
			hs.Y = append(hs.Y, c.hit())
			ks.Y = append(ks.Y, c.mean(func(r *runResult) float64 { return nonNeg(r.keysHeld) }))
			ms.Y = append(ms.Y, c.mean(func(r *runResult) float64 { return nonNeg(r.rss) / (1 << 20) }))
			rs.Y = append(rs.Y, c.hit()/ref.hit())
		}
		hitP.Series, keysP.Series, rssP.Series = append(hitP.Series, hs), append(keysP.Series, ks), append(rssP.Series, ms)
		if !(s.kind.name == refServer && s.policy == refPolicy) {
			relP.Series = append(relP.Series, rs)
		}
	}

	// Each policy against Redis's allkeys-lru, trace by trace.
	var hasRef bool
	for _, r := range runs {
		hasRef = hasRef || (r.server == refServer && r.policy == refPolicy && r.ok)
	}
	if hasRef {
		header := []string{"trace", "server", "policy", "hit ratio", "lru hit ratio", "hit / lru", "misses / lru", "keys held / lru"}
		if cfg.rounds > 1 {
			header = append(header, "rounds: hit ratio", "rounds: lru")
		}
		cmp := report.NewTable("Against redis allkeys-lru on the same trace and maxmemory"+avg, header...)
		for _, t := range trs {
			ref := cellOf(runs, t.name, refServer, refPolicy)
			if !ref.ok() {
				continue
			}
			refKeys := ref.mean(func(r *runResult) float64 { return nonNeg(r.keysHeld) })
			for _, s := range setups {
				c := cellOf(runs, t.name, s.kind.name, s.policy)
				if (s.kind.name == refServer && s.policy == refPolicy) || !c.ok() {
					continue
				}
				keys := "-"
				if k := c.mean(func(r *runResult) float64 { return nonNeg(r.keysHeld) }); k > 0 && refKeys > 0 {
					keys = fmt.Sprintf("%.2fx", k/refKeys)
				}
				row := []any{t.name, s.kind.name, s.policy, report.Pct(c.hit()), report.Pct(ref.hit()),
					fmt.Sprintf("%.3fx", c.hit()/ref.hit()), fmt.Sprintf("%.3fx", (1-c.hit())/(1-ref.hit())), keys}
				if cfg.rounds > 1 {
					row = append(row, c.rangeText(), ref.rangeText())
				}
				cmp.Add(row...)
			}
		}
		tables = append(tables, cmp)
	}

	fig := &report.Figure{
		Title: "hitratio: eviction policies on the same request streams",
		Subtitle: fmt.Sprintf("%s; %s, %s keys, %s requests per trace, %d B values, cache-aside, batches of %d GETs",
			report.Machine(), mm, report.SI(float64(cfg.tp.universe)), report.SI(float64(cfg.tp.requests)), cfg.valueSize, cfg.batch),
		Cols:   2,
		Panels: []report.Panel{hitP, relP, keysP, rssP},
	}
	notes = append(notes,
		fmt.Sprintf("Each trace is replayed by one connection as a cache-aside client: GET the key; on a miss, SET it with a %d B value. "+
			"Requests are pipelined: each write carries the SETs for the previous batch's misses and the next %d GETs, so a miss's SET "+
			"reaches the server after up to %d later GETs instead of right after its own GET. A key repeated within a batch after a "+
			"miss misses again on the server (its SET is not sent yet); a sequential client would have stored it and hit, so the "+
			"client counts the repeat as a hit and sends one SET. **hit ratio** = those client-counted hits / GETs; **server hits** "+
			"= keyspace_hits / (keyspace_hits + keyspace_misses) from INFO, which counts those repeats as misses.",
			cfg.valueSize, cfg.batch, cfg.batch-1),
		"Every run is a fresh server process, started with --maxmemory, --maxmemory-policy and "+samplesNote(cfg.samples)+
			" (redis-server also with --save '' --appendonly no). Both servers get the same absolute "+
			"maxmemory; what each counts against it differs (Redis: bytes its allocator handed out, about 1 MiB of them for an "+
			"empty server, see used_memory_empty in the CSV; cachesrv: its own accounting). So compare **keys held**: "+
			"more keys in the same bytes is better. **used_memory** and **RSS** are read at the end of the run (RSS from "+
			"/proc/PID/status; peak RSS in the CSV). **evicted** is INFO stats evicted_keys. A server that refuses a flag or a "+
			"policy exits at start and is listed as rejected with what it printed.",
		"The traces are seeded and generated once: every server and policy sees exactly the same requests. The unbounded-cache "+
			"hit ratio (1 - distinct keys / requests) is the most any policy can reach. Scan keys are requested once each, so they "+
			"miss under every policy; hit_ratio_without_scan_keys in the CSV is the hit ratio over the other requests, where "+
			"scan resistance shows. Redis's LFU counters halve every lfu-decay-time (1 minute by default); a run takes seconds, so "+
			"in the shift trace old hot keys keep their counts.",
	)
	return &report.Result{Name: "hitratio", CSV: csv, Tables: tables, Figure: fig, Notes: notes}
}

func nonNeg(n int64) float64 {
	if n < 0 {
		return math.NaN()
	}
	return float64(n)
}

// verdict checks the target: the default policy's hit ratio is at least
// Redis allkeys-lru's on every trace, and higher on the Zipf traces.
func verdict(cfg *config, trs []*trace, setups []setup, runs []*runResult) []string {
	pol := targetPolicy(cfg)
	var haveTarget, haveRef bool
	for _, s := range setups {
		haveTarget = haveTarget || s.kind.name == cachesrvServer && s.policy == pol
		haveRef = haveRef || s.kind.name == refServer && s.policy == refPolicy
	}
	if pol == "" || !haveTarget || !haveRef {
		return nil
	}
	head := fmt.Sprintf("Target: cachesrv %s >= redis %s on every trace, > on Zipf:", pol, refPolicy)
	var (
		parts         []string
		missing       []string
		atLeast, zipf = true, true
		nZipf         int
	)
	for _, t := range trs {
		c, ref := cellOf(runs, t.name, cachesrvServer, pol), cellOf(runs, t.name, refServer, refPolicy)
		if !c.ok() || !ref.ok() {
			missing = append(missing, t.name)
			continue
		}
		d := 100 * (c.hit() - ref.hit())
		refLo, refHi := ref.hitRange()
		part := fmt.Sprintf("%s %+.2f points", t.name, d)
		if cfg.rounds > 1 {
			part += fmt.Sprintf(" [%s vs %s", c.rangeText(), ref.rangeText())
			if lo, hi := c.hitRange(); lo <= refHi && hi >= refLo {
				part += ", overlapping"
			}
			part += "]"
		}
		parts = append(parts, part)
		atLeast = atLeast && d >= 0
		if strings.HasPrefix(t.name, "zipf-") {
			nZipf++
			zipf = zipf && d > 0
		}
	}
	if len(missing) > 0 {
		return []string{fmt.Sprintf("%s not measured on %s (a run was rejected or failed).",
			head, strings.Join(missing, ", "))}
	}
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "NO"
	}
	z := yes(zipf)
	if nZipf == 0 {
		z = "no Zipf trace run"
	}
	out := []string{fmt.Sprintf("%s at least on every trace: %s; higher on Zipf: %s (%s).", head, yes(atLeast), z, strings.Join(parts, ", "))}
	if cfg.rounds == 1 {
		out = append(out, "One round: identical redis-server runs differ by a few tenths of a point (sampled eviction); "+
			"rerun with -rounds 3 before trusting a difference under about half a point.")
	}
	return out
}

func samplesNote(n int) string {
	if n == 0 {
		return "its default maxmemory-samples"
	}
	return fmt.Sprintf("--maxmemory-samples %d", n)
}
