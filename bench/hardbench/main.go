// Command hardbench repeats, side by side against cachesrv and
// redis-server 7.0.15 in the same run, the probes of an earlier security
// review, and prints a table of figures for each server. Every probe
// starts a fresh process of each server on a free 127.0.0.1 port and
// stops it (by PID) afterwards.
//
//	1    memory before authentication: with a password set, 3 rounds of 8
//	     connections each send only "*1\r\n$536870000\r\n" and hold on;
//	     RSS before, after each round and 5 s after they all closed, and
//	     the reply each connection got (Redis: -ERR Protocol error:
//	     unauthenticated bulk length, and closes)
//	3    file descriptors: the server runs under prlimit --nofile=1024:1024;
//	     1100 connections each send PING and wait 5 s for the reply:
//	     +PONG, -ERR max number of clients reached, closed without a
//	     reply, or no reply at all (hangs); then does a new client get
//	     PONG, and is the server still running
//	4    unread replies: SET big to 1 MiB; one client sends 3,000
//	     "GET big" in one write and never reads, while another sends 200
//	     PINGs one at a time; PING max and p99 latency, peak RSS (sampled
//	     every 100 ms), RSS 5 s after the hog closed
//	5    slowly sent large command: EXISTS with 600,000 keys as one RESP
//	     multibulk written in 1,400-byte pieces; the server's CPU seconds
//	     (utime+stime from /proc/PID/stat) and the wall time
//	6    secrets (cachesrv only): the password from --requirepass-file is
//	     not in /proc/PID/cmdline, and with --metrics-addr and --pprof yes
//	     /debug/pprof/cmdline is not served (404) while /debug/pprof/ is
//	tls  TLS throughput: a CA, server and client certificates made here;
//	     redis-benchmark -t get,set -P 16 -c 50 -n 500000 -r 100000 -d 100
//	     over plain TCP and over TLS against each server; ops/s and ratios
//
// Run from the checkout:
//
//	go run ./bench/hardbench                        # every probe, ~2 min
//	go run ./bench/hardbench -probes 1,3,4,5,6,tls  # the same
//	go run ./bench/hardbench -probes 4 -servers cachesrv
//	go run ./bench/hardbench -cachesrv-bin /path/to/cachesrv -redis-bin /path/to/redis-server
//
// cachesrv is built from ./cmd/cachesrv (or -cachesrv-bin) and runs with
// --metrics-addr "" unless a probe says otherwise; redis-server (PATH or
// -redis-bin) with --save "" --appendonly no. Probe 3 needs prlimit
// (util-linux), tls needs redis-benchmark in PATH. A server whose RSS
// passes -rss-limit is killed, so that a regression cannot take the
// machine's memory; the probe then says so.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"syscall"
)

// A probe runs against one server kind and returns its column of figures.
type probe struct {
	name  string
	title string
	run   func(e *env, kind string) (*result, error)
	// runAll, if set instead of run, runs every server at once (to
	// alternate between them) and returns their columns in order.
	runAll func(e *env, kinds []string) ([]*result, error)
	// combine, if set, adds lines comparing the servers once all ran.
	combine func(t *table)
}

// probes are the probes in the order they run.
var probes = []probe{
	{"1", "probe 1: memory before authentication (3 rounds of 8 connections sending only *1\\r\\n$536870000\\r\\n)", probeAuthMemory, nil, nil},
	{"3", "probe 3: file descriptors (server under a 1024 open-files limit, 1100 connections send PING)", probeFileDescriptors, nil, nil},
	{"4", "probe 4: unread replies (3,000 GETs of a 1 MiB value never read; 200 PINGs from another client)", probeUnreadReplies, nil, nil},
	{"5", "probe 5: slowly sent large command (EXISTS with 600,000 keys in 1,400-byte writes)", probeSlowCommand, nil, nil},
	{"6", "probe 6: secrets (password off the command line, no /debug/pprof/cmdline)", probeSecrets, nil, nil},
	{"tls", "probe tls: redis-benchmark -t get,set -P 16 -c 50 -n 500000 -r 100000 -d 100, plain TCP and TLS", nil, probeTLS, compareTLS},
}

func main() {
	which := flag.String("probes", "1,3,4,5,6,tls", "probes to run, a comma list of 1,3,4,5,6,tls")
	servers := flag.String("servers", "cachesrv,redis", "servers to probe, a comma list of cachesrv,redis")
	cachesrvBin := flag.String("cachesrv-bin", "", "cachesrv binary (default: build ./cmd/cachesrv)")
	redisBin := flag.String("redis-bin", "redis-server", "redis-server binary")
	tlsRounds := flag.Int("tls-rounds", 1, "probe tls: rounds of the 4 runs, alternating the servers; medians reported")
	rssLimit := flag.Int64("rss-limit", 10<<30, "kill a server whose RSS passes this many bytes")
	flag.Parse()

	wanted := strings.Split(*which, ",")
	for _, w := range wanted {
		if !slices.ContainsFunc(probes, func(p probe) bool { return p.name == w }) {
			fail(fmt.Errorf("unknown probe %q (have 1,3,4,5,6,tls)", w))
		}
	}
	var kinds []string
	for _, s := range strings.Split(*servers, ",") {
		switch s {
		case "cachesrv":
			kinds = append(kinds, kindCachesrv)
		case "redis", "redis-server":
			kinds = append(kinds, kindRedis)
		default:
			fail(fmt.Errorf("unknown server %q (have cachesrv,redis)", s))
		}
	}
	raiseOpenFiles()

	e, err := newEnv(*cachesrvBin, *redisBin, *rssLimit)
	if err != nil {
		fail(err)
	}
	e.tlsRounds = *tlsRounds
	failed := false
	for _, p := range probes {
		if !slices.Contains(wanted, p.name) {
			continue
		}
		t := &table{title: p.title, kinds: kinds, load: loadAvg()}
		var ok bool
		t.results, ok = runProbe(e, p, kinds)
		failed = failed || !ok
		if p.combine != nil {
			p.combine(t)
		}
		t.print(os.Stdout)
	}
	e.close()
	if failed {
		os.Exit(1)
	}
}

// runProbe runs p against each server kind and returns their columns; a
// failure becomes a PROBLEM row, and ok false.
func runProbe(e *env, p probe, kinds []string) (results []*result, ok bool) {
	problem := func(err error) *result {
		r := &result{}
		r.add("PROBLEM", "%v", err)
		return r
	}
	ok = true
	if p.runAll != nil {
		progress("probe %s ...", p.name)
		rs, err := p.runAll(e, kinds)
		if err != nil {
			rs = nil
			for range kinds {
				rs = append(rs, problem(err))
			}
			ok = false
		}
		return rs, ok
	}
	for _, kind := range kinds {
		progress("probe %s, %s ...", p.name, kind)
		r, err := p.run(e, kind)
		if err != nil {
			r = problem(err)
			ok = false
		}
		results = append(results, r)
	}
	return results, ok
}

// raiseOpenFiles lifts this process's open-files limit to the hard
// limit: probe 3 holds 1100 connections. (Go's runtime does it at start
// too; this makes it explicit.)
func raiseOpenFiles() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	if lim.Cur < 1200 {
		progress("warning: open files limit %d is below the 1200 probe 3 needs", lim.Cur)
	}
}

// loadAvg is the machine's 1-minute load average, for the tables: the
// machine may be shared.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "hardbench: "+format+"\n", args...)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "hardbench:", err)
	os.Exit(2)
}
