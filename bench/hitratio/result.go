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

// findRun returns the run of trace with server and policy, or nil.
func findRun(runs []*runResult, trace, server, policy string) *runResult {
	for _, r := range runs {
		if r.trace == trace && r.server == server && r.policy == policy {
			return r
		}
	}
	return nil
}

func okRun(r *runResult) bool { return r != nil && r.ok }

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
	runsTab := report.NewTable(fmt.Sprintf("Hit ratio, %s for every server (client-counted hits / GETs)", mm),
		"trace", "server", "policy", "hit ratio", "server hits", "keys held", "used_memory", "RSS", "evicted", "ops/s", "status")
	csv := report.NewTable("", "trace", "server", "policy", "status", "maxmemory_bytes", "gets", "hits", "hit_ratio",
		"dup_hits", "hit_ratio_without_scan_keys", "sets", "set_errors", "get_errors", "keyspace_hits", "keyspace_misses",
		"server_hit_ratio", "evicted_keys", "keys_held", "used_memory_empty", "used_memory", "used_memory_rss",
		"rss_bytes", "peak_rss_bytes", "seconds", "ops_per_sec", "hit_ratio_over_redis_lru", "notes")
	for _, r := range runs {
		status := r.status
		if len(r.notes) > 0 {
			status += "; " + strings.Join(r.notes, "; ")
		}
		if !r.ok {
			runsTab.Add(r.trace, r.server, r.policy, "-", "-", "-", "-", "-", "-", "-", status)
			csv.Add(r.trace, r.server, r.policy, r.status, cfg.maxmemory, "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", strings.Join(r.notes, "; "))
			continue
		}
		st := r.st
		runsTab.Add(r.trace, r.server, r.policy, report.Pct(st.hitRatio()), pctOrDash(r.serverHitRatio()), count(r.keysHeld),
			bytesOrDash(r.used), bytesOrDash(r.rss), count(r.evicted), report.SI(st.opsPerSec()), status)
		rel := ""
		if ref := findRun(runs, r.trace, refServer, refPolicy); okRun(ref) && ref.st.hitRatio() > 0 {
			rel = fmt.Sprintf("%.4f", st.hitRatio()/ref.st.hitRatio())
		}
		csv.Add(r.trace, r.server, r.policy, r.status, cfg.maxmemory, st.gets, st.hits,
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
	hitP := report.Panel{Title: "hit ratio", YLabel: "hits / GETs", Categories: cats}
	relP := report.Panel{Title: "hit ratio / redis allkeys-lru's", YLabel: "ratio", Categories: cats}
	keysP := report.Panel{Title: "keys held at the end (DBSIZE)", YLabel: "keys", Categories: cats}
	rssP := report.Panel{Title: "RSS at the end", YLabel: "MiB", Categories: cats}
	get := func(r *runResult, f func(*runResult) float64) float64 {
		if !okRun(r) {
			return math.NaN()
		}
		return f(r)
	}
	for _, s := range setups {
		hs, rs, ks, ms := report.Series{Name: s.String()}, report.Series{Name: s.String()}, report.Series{Name: s.String()}, report.Series{Name: s.String()}
		for _, t := range trs {
			r := findRun(runs, t.name, s.kind.name, s.policy)
			hs.Y = append(hs.Y, get(r, func(r *runResult) float64 { return r.st.hitRatio() }))
			ks.Y = append(ks.Y, get(r, func(r *runResult) float64 { return nonNeg(r.keysHeld) }))
			ms.Y = append(ms.Y, get(r, func(r *runResult) float64 { return nonNeg(r.rss) / (1 << 20) }))
			rel := math.NaN()
			if ref := findRun(runs, t.name, refServer, refPolicy); okRun(r) && okRun(ref) && ref.st.hitRatio() > 0 {
				rel = r.st.hitRatio() / ref.st.hitRatio()
			}
			rs.Y = append(rs.Y, rel)
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
		cmp := report.NewTable("Against redis allkeys-lru on the same trace and maxmemory",
			"trace", "server", "policy", "hit ratio", "lru hit ratio", "hit / lru", "misses / lru", "keys held / lru")
		for _, t := range trs {
			ref := findRun(runs, t.name, refServer, refPolicy)
			if !okRun(ref) {
				continue
			}
			for _, s := range setups {
				r := findRun(runs, t.name, s.kind.name, s.policy)
				if r == ref || !okRun(r) {
					continue
				}
				keys := "-"
				if r.keysHeld > 0 && ref.keysHeld > 0 {
					keys = fmt.Sprintf("%.2fx", float64(r.keysHeld)/float64(ref.keysHeld))
				}
				cmp.Add(t.name, r.server, r.policy, report.Pct(r.st.hitRatio()), report.Pct(ref.st.hitRatio()),
					fmt.Sprintf("%.3fx", r.st.hitRatio()/ref.st.hitRatio()),
					fmt.Sprintf("%.3fx", (1-r.st.hitRatio())/(1-ref.st.hitRatio())), keys)
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
		r, ref := findRun(runs, t.name, cachesrvServer, pol), findRun(runs, t.name, refServer, refPolicy)
		if !okRun(r) || !okRun(ref) {
			missing = append(missing, t.name)
			continue
		}
		d := 100 * (r.st.hitRatio() - ref.st.hitRatio())
		parts = append(parts, fmt.Sprintf("%s %+.2f points", t.name, d))
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
	return []string{fmt.Sprintf("%s at least on every trace: %s; higher on Zipf: %s (%s).", head, yes(atLeast), z, strings.Join(parts, ", "))}
}

func samplesNote(n int) string {
	if n == 0 {
		return "its default maxmemory-samples"
	}
	return fmt.Sprintf("--maxmemory-samples %d", n)
}
