// Command trackbench measures what client-side caching and pub/sub cost,
// against redis-server in the same run: GET/SET throughput with tracking
// off and with every connection tracking (RESP3, CLIENT TRACKING ON), at
// pipeline 1 and 16; and PUBLISH fan-out, one publisher and many
// subscribers, in messages delivered per second.
//
//	go run ./bench/trackbench
//	go run ./bench/trackbench -conns 50 -subscribers 100 -duration 4s -rounds 2
//
// It builds ./cmd/cachesrv, starts it and `redis-server --save ”` on free
// loopback ports, and runs each scenario against each server in turn
// (A B A B ... for -rounds). Traffic only goes to 127.0.0.1.
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cachesrv/cachesrv/bench/internal/proc"
	"github.com/cachesrv/cachesrv/protocol/resp"
	"github.com/cachesrv/cachesrv/protocol/servertest"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "trackbench:", err)
		os.Exit(1)
	}
}

type options struct {
	conns, subscribers, keys, rounds, setPct int
	duration                                 time.Duration
}

func run(args []string, w io.Writer) error {
	var o options
	fs := flag.NewFlagSet("trackbench", flag.ContinueOnError)
	fs.IntVar(&o.conns, "conns", 50, "client connections for GET/SET")
	fs.IntVar(&o.subscribers, "subscribers", 100, "subscribers for the fan-out test")
	fs.IntVar(&o.keys, "keys", 10000, "distinct keys")
	fs.IntVar(&o.setPct, "set-pct", 20, "percentage of SETs among GET/SET")
	fs.IntVar(&o.rounds, "rounds", 2, "rounds of A/B runs")
	fs.DurationVar(&o.duration, "duration", 4*time.Second, "length of each run")
	only := fs.String("addr", "", "run the scenarios against this server only (no comparison), e.g. while profiling it")
	scenarioFilter := fs.String("run", "", "run only the scenarios whose name contains this")
	if err := fs.Parse(args); err != nil {
		return err
	}
	scenarios := buildScenarios(o, *scenarioFilter)
	if *only != "" {
		for r := 0; r < o.rounds; r++ {
			for _, sc := range scenarios {
				v, err := sc.fn(*only)
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "round %d  %-50s %12.0f\n", r+1, sc.name, v)
			}
		}
		return nil
	}
	redisPath, err := exec.LookPath("redis-server")
	if err != nil {
		return errors.New("redis-server is not installed: it is what cachesrv is compared with")
	}
	dir, err := os.MkdirTemp("", "trackbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin, err := proc.BuildCachesrv(dir)
	if err != nil {
		return err
	}
	servers := []struct {
		name string
		path string
		args func(int) []string
	}{
		{"cachesrv", bin, func(p int) []string { return []string{"--port", strconv.Itoa(p), "--metrics-addr", ""} }},
		{"redis", redisPath, func(p int) []string { return []string{"--port", strconv.Itoa(p), "--save", "", "--appendonly", "no"} }},
	}
	addrs := make([]string, len(servers))
	for i, s := range servers {
		port, err := servertest.FindFreePort()
		if err != nil {
			return err
		}
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", port)
		p, err := proc.Start(s.name, addrs[i], s.path, s.args(port), filepath.Join(dir, s.name+".log"))
		if err != nil {
			return err
		}
		defer p.Stop(5 * time.Second)
		if err := p.WaitReady(15*time.Second, func() error { return ping(addrs[i]) }); err != nil {
			return err
		}
	}
	results := map[string][2][]float64{}
	for r := 0; r < o.rounds; r++ {
		for _, sc := range scenarios {
			for i := range servers {
				v, err := sc.fn(addrs[i])
				if err != nil {
					return fmt.Errorf("%s against %s: %w", sc.name, servers[i].name, err)
				}
				res := results[sc.name]
				res[i] = append(res[i], v)
				results[sc.name] = res
				fmt.Fprintf(w, "round %d  %-50s %-8s %12.0f\n", r+1, sc.name, servers[i].name, v)
			}
		}
	}
	fmt.Fprintf(w, "\n| scenario | cachesrv | redis-server | ratio (median of rounds) |\n|---|---:|---:|---:|\n")
	for _, sc := range scenarios {
		res := results[sc.name]
		var ratios []float64
		for r := range res[0] {
			ratios = append(ratios, res[0][r]/res[1][r])
		}
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %.2fx |\n", sc.name, median(res[0]), median(res[1]), median(ratios))
	}
	return nil
}

type scenario struct {
	name string
	fn   func(addr string) (float64, error)
}

func buildScenarios(o options, filter string) []scenario {
	var scenarios []scenario
	for _, p := range []int{1, 16} {
		for _, tracking := range []bool{false, true} {
			p, tracking := p, tracking
			name := fmt.Sprintf("GET/SET P=%d, tracking %s", p, map[bool]string{false: "off", true: "on (all conns)"}[tracking])
			scenarios = append(scenarios, scenario{name, func(addr string) (float64, error) { return getSet(addr, o, p, tracking) }})
		}
	}
	scenarios = append(scenarios, scenario{fmt.Sprintf("PUBLISH fan-out to %d subscribers (msgs delivered/s)", o.subscribers),
		func(addr string) (float64, error) { return fanOut(addr, o) }})
	var out []scenario
	for _, sc := range scenarios {
		if strings.Contains(sc.name, filter) {
			out = append(out, sc)
		}
	}
	return out
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	c.Write([]byte("PING\r\n"))
	_, err = resp.AppendReply(nil, bufio.NewReader(c))
	return err
}

// conn is one benchmark connection.
type conn struct {
	c  net.Conn
	rd *bufio.Reader
}

func dial(addr string) (*conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, rd: bufio.NewReaderSize(c, 64<<10)}, nil
}

// do sends commands and reads one reply per command, skipping pushes; it
// returns the number of pushes seen.
func (c *conn) do(req []byte, n int) (pushes int, err error) {
	if _, err := c.c.Write(req); err != nil {
		return 0, err
	}
	var buf []byte
	for got := 0; got < n; {
		buf, err = resp.AppendReply(buf[:0], c.rd)
		if err != nil {
			return pushes, err
		}
		if len(buf) > 0 && buf[0] == '>' {
			pushes++
			continue
		}
		if len(buf) > 0 && buf[0] == '-' {
			return pushes, errors.New(string(buf))
		}
		got++
	}
	return pushes, nil
}

// getSet runs -conns closed-loop connections of pipelined GET/SET for the
// duration and returns operations per second.
func getSet(addr string, o options, pipeline int, tracking bool) (float64, error) {
	var ops atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, o.conns)
	stop := time.Now().Add(o.duration)
	val := []byte("0123456789abcdef0123456789abcdef")
	for i := 0; i < o.conns; i++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			c, err := dial(addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.c.Close()
			if tracking {
				req := resp.AppendCommand(nil, []byte("HELLO"), []byte("3"))
				req = resp.AppendCommand(req, []byte("CLIENT"), []byte("TRACKING"), []byte("ON"))
				if _, err := c.do(req, 2); err != nil {
					errs <- err
					return
				}
			}
			rng := rand.New(rand.NewPCG(seed, 7))
			var req []byte
			for time.Now().Before(stop) {
				req = req[:0]
				for j := 0; j < pipeline; j++ {
					key := []byte("key:" + strconv.Itoa(rng.IntN(o.keys)))
					if rng.IntN(100) < o.setPct {
						req = resp.AppendCommand(req, []byte("SET"), key, val)
					} else {
						req = resp.AppendCommand(req, []byte("GET"), key)
					}
				}
				if _, err := c.do(req, pipeline); err != nil {
					errs <- err
					return
				}
				ops.Add(int64(pipeline))
			}
		}(uint64(i))
	}
	wg.Wait()
	select {
	case err := <-errs:
		return 0, err
	default:
	}
	return float64(ops.Load()) / o.duration.Seconds(), nil
}

// fanOut subscribes -subscribers connections to one channel, publishes
// from one connection (pipeline 16) for the duration, and returns the
// messages the subscribers received per second.
func fanOut(addr string, o options) (float64, error) {
	var received atomic.Int64
	var ready, done sync.WaitGroup
	subs := make([]*conn, o.subscribers)
	for i := range subs {
		c, err := dial(addr)
		if err != nil {
			return 0, err
		}
		subs[i] = c
		if _, err := c.do(resp.AppendCommand(nil, []byte("SUBSCRIBE"), []byte("bench")), 1); err != nil {
			return 0, err
		}
	}
	for _, c := range subs {
		ready.Add(1)
		done.Add(1)
		go func(c *conn) {
			defer done.Done()
			ready.Done()
			var buf []byte
			var err error
			for {
				if buf, err = resp.AppendReply(buf[:0], c.rd); err != nil {
					return
				}
				received.Add(1)
			}
		}(c)
	}
	ready.Wait()
	pub, err := dial(addr)
	if err != nil {
		return 0, err
	}
	defer pub.c.Close()
	payload := make([]byte, 64)
	var req []byte
	for range 16 {
		req = resp.AppendCommand(req, []byte("PUBLISH"), []byte("bench"), payload)
	}
	start := time.Now()
	stop := start.Add(o.duration)
	for time.Now().Before(stop) {
		if _, err := pub.do(req, 16); err != nil {
			return 0, err
		}
	}
	elapsed := time.Since(start)
	got := received.Load()
	for _, c := range subs {
		c.c.Close()
	}
	done.Wait()
	return float64(got) / elapsed.Seconds(), nil
}
