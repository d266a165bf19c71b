package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/cluster"
	"github.com/cachesrv/cachesrv/protocol/servertest"
	"github.com/redis/go-redis/v9"
)

const (
	numKeys = 10000
	// convergeTimeout bounds every wait for the cluster to agree. A killed
	// node is declared dead in about 2-3.5 s (cluster/membership.go); the
	// rest is margin for a busy machine.
	convergeTimeout = 60 * time.Second
)

// TestComposeCluster is the end-to-end test of deploy/: six steps against
// a real 3-node cluster in containers, each timed.
func TestComposeCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the container test in -short mode")
	}
	requireDocker(t)
	compose := findCompose(t)
	removeStale(t)
	began := time.Now()
	p := newProject(t, compose)
	report := &summary{t: t}
	t.Cleanup(report.print)

	// 1. Build the image, start the cluster, wait for health.
	start := time.Now()
	build := exec.Command("../build.sh", p.image)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() { docker("image", "rm", "-f", p.image) })
	report.add("build binary and image", time.Since(start), "")

	// Whatever happens from here on, the project goes away (step 6).
	t.Cleanup(func() {
		if t.Failed() {
			if logs, err := p.run("logs", "--no-color", "--tail", "150"); err == nil {
				t.Logf("container logs (last lines):\n%s", logs)
			}
		}
		if err := p.down(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	start = time.Now()
	p.up()
	ids := make([]string, len(nodes))
	for i, n := range nodes {
		ids[i] = p.container(n)
	}
	waitHealthy(t, ids, start)
	healthy := time.Since(start)
	probes := make([]*redis.Client, len(nodes))
	for i := range nodes {
		probes[i] = probe(p.respAddr(i))
		defer probes[i].Close()
	}
	full, took, err := waitAgreed(probes, nodes, start, convergeTimeout)
	if err != nil {
		t.Fatal(err)
	}
	report.add("1. up: containers healthy / 3 nodes agree on slots", took, fmt.Sprintf("healthy after %s", ms(healthy)))
	for i, n := range nodes {
		if got, want := full.addrs[n], p.respAddr(i); got != want {
			t.Fatalf("CLUSTER NODES gives %s at %s; want the published %s (cluster-announce-addr)", n, got, want)
		}
	}

	// 2. Write 10,000 keys through node1 with a cluster-aware client, read
	// them back through every node.
	start = time.Now()
	cc := clusterClient(p.respAddr(0), 3)
	defer cc.Close()
	writeKeys(t, cc, "key:", "v1")
	for i := range nodes {
		plain := redis.NewClient(&redis.Options{Addr: p.respAddr(i), Protocol: 2})
		if bad := readKeys(t, plain, "key:", "v1"); bad > 0 {
			t.Errorf("through %s (proxy): %d of %d keys wrong", nodes[i], bad, numKeys)
		}
		plain.Close()
		seeded := clusterClient(p.respAddr(i), 3)
		if bad := readKeys(t, seeded, "key:", "v1"); bad > 0 {
			t.Errorf("cluster client seeded with %s: %d of %d keys wrong", nodes[i], bad, numKeys)
		}
		seeded.Close()
	}
	var counts []string
	total := int64(0)
	for i, c := range probes {
		n, err := nodeKeys(c)
		if err != nil || n == 0 {
			t.Fatalf("keys on %s (INFO keyspace): %d, %v", nodes[i], n, err)
		}
		if all := c.DBSize(context.Background()).Val(); all != numKeys {
			t.Errorf("DBSIZE through %s = %d, want the cluster's %d (proxy mode counts every node)", nodes[i], all, numKeys)
		}
		total += n
		counts = append(counts, fmt.Sprintf("%s %d", nodes[i], n))
	}
	if total != numKeys {
		t.Errorf("the nodes hold %d keys in all, want %d", total, numKeys)
	}
	checkMetrics(t, p, probes)
	report.add("2. 10,000 keys written via node1, read via each node (plain and cluster client)", time.Since(start), strings.Join(counts, ", "))
	checkRogues(t, p, ids[0], probes, report)

	// 3. Kill a node: the survivors converge and serve their keys; the dead
	// node's slots move to them.
	killed := 1 // node2
	survivors := []*redis.Client{probes[0], probes[2]}
	owners := full.owner
	var probeKeys []string // other keys in the dead node's slots
	for i := 0; len(probeKeys) < 50; i++ {
		if k := fmt.Sprintf("probe:%d", i); owners[keySlot(k)] == nodes[killed] {
			probeKeys = append(probeKeys, k)
		}
	}
	network, oldIP, _ := networkOf(t, ids[killed])
	start = time.Now()
	if _, err := docker("kill", ids[killed]); err != nil {
		t.Fatal(err)
	}
	// Started once the node is dead, timed from the kill.
	writable := watchWritable(probes[0], probeKeys, start)
	two, took, err := waitAgreed(survivors, []string{"node1", "node3"}, start, convergeTimeout)
	if err != nil {
		t.Fatal(err)
	}
	wAfter := writable.wait(convergeTimeout)
	if wAfter < 0 {
		t.Fatal("keys of the dead node's slots never became writable through node1")
	}
	moved := 0
	for s := range numSlots {
		if owners[s] == nodes[killed] {
			moved++
			if two.owner[s] == nodes[killed] || two.owner[s] == "" {
				t.Fatalf("slot %d still owned by %q", s, two.owner[s])
			}
		} else if two.owner[s] != owners[s] {
			t.Fatalf("slot %d moved from surviving %s to %s", s, owners[s], two.owner[s])
		}
	}
	after := clusterClient(p.respAddr(0), 3)
	served, missed := 0, 0
	for i := range numKeys {
		k := fmt.Sprintf("key:%d", i)
		v, err := after.Get(context.Background(), k).Result()
		switch {
		case owners[keySlot(k)] != nodes[killed] && err == nil && v == fmt.Sprintf("v1-%d", i):
			served++
		case owners[keySlot(k)] == nodes[killed] && errors.Is(err, redis.Nil):
			missed++ // its slot moved; keys are not handed over, a cache refills
		default:
			t.Fatalf("after the kill, GET %s = %q, %v (owner was %s)", k, v, err, owners[keySlot(k)])
		}
	}
	writeKeys(t, after, "key:", "v2")
	if bad := readKeys(t, after, "key:", "v2"); bad > 0 {
		t.Fatalf("after the kill, %d keys could not be rewritten and read back", bad)
	}
	after.Close()
	report.add("3. docker kill node2: node1 and node3 agree on 2 members", took,
		fmt.Sprintf("%d slots moved to survivors; its keys writable through node1 after %s; %d keys of survivors still served, %d of the dead node's now miss and were rewritten",
			moved, ms(wAfter), served, missed))
	// Bring it back at a new IP, as a rescheduled pod would be: a
	// placeholder container takes the IP it had (Docker hands out the
	// lowest free address here; elsewhere it may not, and the note says so).
	placeholder, err := docker("run", "-d", "--network", network, p.image)
	if err != nil {
		t.Fatal(err)
	}
	// It stays until step 6: freed earlier, its address would be the one
	// Docker gives node3 when it reconnects in step 4, and a running node
	// whose IP changes keeps gossiping the old one (see deploy/README.md).
	removePlaceholder := func() { docker("rm", "-f", "-v", placeholder) }
	t.Cleanup(removePlaceholder) // before compose down, which needs the network free
	_, placeholderIP, _ := networkOf(t, placeholder)
	start = time.Now()
	if _, err := docker("start", ids[killed]); err != nil {
		t.Fatal(err)
	}
	back, took, err := waitAgreed(probes, nodes, start, convergeTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if back.owner != full.owner {
		t.Error("after the killed node came back, the slot table differs from the first one (same IDs, same ring)")
	}
	_, newIP, _ := networkOf(t, ids[killed])
	if err := writableThrough(probes[0], back, nodes[killed]); err != nil {
		t.Error(err)
	}
	report.add("3b. docker start node2 at a new IP: 3 nodes agree again (same slot table as at first)", took,
		fmt.Sprintf("IP %s before the kill (placeholder got %s), %s after", oldIP, placeholderIP, newIP))

	// 4. Cut node3 off the network, then reconnect it.
	cut := 2
	network, ipBefore, aliases := networkOf(t, ids[cut])
	start = time.Now()
	if _, err := docker("network", "disconnect", network, ids[cut]); err != nil {
		t.Fatal(err)
	}
	_, took, err = waitAgreed(probes[:2], []string{"node1", "node2"}, start, convergeTimeout)
	if err != nil {
		t.Fatal(err)
	}
	report.add("4. network disconnect node3: node1 and node2 agree on 2 members", took, "")
	// Both sides have split: node1 and node2 serve every slot between them.
	if err := probes[0].Set(context.Background(), "during-partition", "ok", 0).Err(); err != nil {
		t.Errorf("SET through node1 during the partition: %v", err)
	}
	args := []string{"network", "connect"}
	for _, a := range aliases {
		args = append(args, "--alias", a)
	}
	start = time.Now()
	if _, err := docker(append(args, network, ids[cut])...); err != nil {
		t.Fatal(err)
	}
	_, ipAfter, _ := networkOf(t, ids[cut])
	// The cut-off node, alone, retries its seeds with a backoff that
	// doubles from 1 s to 30 s, so this can take up to about half a minute.
	healed, took, err := waitAgreed(probes, nodes, start, convergeTimeout+30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if healed.owner != full.owner {
		t.Error("after the partition healed, the slot table differs from the first one")
	}
	note := fmt.Sprintf("IP %s before, %s after", ipBefore, ipAfter)
	if ipAfter != ipBefore {
		note += " (a new IP: the node still gossips its old one, so peers reach it late if at all)"
	}
	report.add("4b. network connect node3: 3 nodes agree, every node's slot table identical", took, note)

	// 5. Rolling restart, one container at a time, under load from two
	// cluster clients: one retrying, one not.
	retrying := clusterClient(p.respAddr(0), 20)
	raw := clusterClient(p.respAddr(0), -1)
	defer retrying.Close()
	defer raw.Close()
	loads := []*load{startLoad("retrying", retrying, 2), startLoad("raw", raw, 2)}
	time.Sleep(2 * time.Second) // load running before the first restart
	rollStart := time.Now()
	for i, n := range nodes {
		others := slices.Delete(slices.Clone(probes), i, i+1)
		rest := slices.Delete(slices.Clone(nodes), i, i+1)
		start = time.Now()
		left := make(chan time.Duration, 1)
		go func() {
			_, d, err := waitAgreed(others, rest, start, convergeTimeout)
			if err != nil {
				d = -1
			}
			left <- d
		}()
		if _, err := docker("stop", "--time", "20", ids[i]); err != nil {
			t.Fatal(err)
		}
		stopped := time.Since(start)
		leftAfter := <-left
		if leftAfter < 0 {
			t.Fatalf("after stopping %s the others did not agree on %v", n, rest)
		}
		restart := time.Now()
		if _, err := docker("start", ids[i]); err != nil {
			t.Fatal(err)
		}
		v, took, err := waitAgreed(probes, nodes, restart, convergeTimeout)
		if err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, ids[i:i+1], restart)
		healthyAfter := time.Since(restart)
		if v.owner != full.owner {
			t.Errorf("after restarting %s the slot table differs from the first one", n)
		}
		peers := joinPeers(t, ids[i], restart)
		report.add(fmt.Sprintf("5. restart %s: others agree on 2 members (graceful leave) / 3 agree after start", n), took,
			fmt.Sprintf("left after %s (docker stop took %s); healthy %s after start; its --join name cachesrv:7946 reached %d peers %v",
				ms(leftAfter), ms(stopped), ms(healthyAfter), len(peers), peers))
		if len(peers) < 2 {
			t.Errorf("%s: the join name resolved to %d live peers, want 2 (Compose DNS should give every node)", n, len(peers))
		}
		time.Sleep(time.Second) // a moment of steady state between restarts
	}
	for _, l := range loads {
		l.finish()
	}
	for _, l := range loads {
		report.add(fmt.Sprintf("5. load through the rolling restart, %s client", l.name), 0,
			fmt.Sprintf("%d ops, %d errors returned to the caller (%s), %d stale reads (slot moved between SET and GET)",
				l.ops.Load(), l.errs.count(), l.errs.String(), l.stale.Load()))
	}
	if n := loads[0].errs.count(); n > 0 {
		t.Errorf("the retrying client saw %d errors through the rolling restart: %s", n, loads[0].errs.String())
	}
	report.add("5. rolling restart of all three", time.Since(rollStart), "")

	// Prometheus, if its image is on this host (it cannot be pulled here).
	checkPrometheus(t, p, report)

	// 6. Tear down and check that nothing is left.
	removePlaceholder()
	start = time.Now()
	if err := p.down(); err != nil {
		t.Fatal(err)
	}
	report.add("6. compose down -v: no container, network or volume left", time.Since(start), "")
	report.add("total", time.Since(began), "")
}

// writableThrough checks that keys owner holds can be written through c's
// node: forwarding reaches owner where it is now.
func writableThrough(c *redis.Client, v *view, owner string) error {
	ctx := context.Background()
	for i, n := 0, 0; n < 20; i++ {
		k := fmt.Sprintf("back:%d", i)
		if v.owner[keySlot(k)] != owner {
			continue
		}
		n++
		if err := c.Set(ctx, k, "x", 0).Err(); err != nil {
			return fmt.Errorf("SET %s (owned by %s) through another node: %v", k, owner, err)
		}
	}
	return nil
}

// clusterClient is a go-redis ClusterClient seeded with one address.
// redirects is its retry budget: -1 for none at all (each failed attempt
// reaches the caller), else that many retries with a backoff of 50 ms
// doubling to 1 s, which outlasts the client's own refresh of a stale slot
// map (go-redis reloads it at most every 10 s unless told MOVED).
func clusterClient(seed string, redirects int) *redis.ClusterClient {
	opt := &redis.ClusterOptions{
		Addrs: []string{seed}, Protocol: 2,
		DialTimeout: time.Second, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second,
		MaxRedirects: redirects,
	}
	if redirects < 0 {
		opt.MaxRetries = -1
	} else {
		opt.MinRetryBackoff, opt.MaxRetryBackoff = 50*time.Millisecond, time.Second
	}
	return redis.NewClusterClient(opt)
}

func writeKeys(t *testing.T, c redis.Cmdable, prefix, val string) {
	t.Helper()
	ctx := context.Background()
	for start := 0; start < numKeys; start += 500 {
		_, err := c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i := start; i < start+500; i++ {
				pipe.Set(ctx, fmt.Sprintf("%s%d", prefix, i), fmt.Sprintf("%s-%d", val, i), 0)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("writing keys: %v", err)
		}
	}
}

// readKeys reads every key back and returns how many were not as written.
func readKeys(t *testing.T, c redis.Cmdable, prefix, val string) int {
	t.Helper()
	ctx := context.Background()
	bad := 0
	for start := 0; start < numKeys; start += 500 {
		cmds, err := c.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i := start; i < start+500; i++ {
				pipe.Get(ctx, fmt.Sprintf("%s%d", prefix, i))
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("reading keys: %v", err)
		}
		for j, cmd := range cmds {
			if v, err := cmd.(*redis.StringCmd).Result(); err != nil || v != fmt.Sprintf("%s-%d", val, start+j) {
				bad++
			}
		}
	}
	return bad
}

func waitHealthy(t *testing.T, ids []string, start time.Time) {
	t.Helper()
	for {
		ok := true
		var states []string
		for _, id := range ids {
			h := health(id)
			states = append(states, h)
			ok = ok && h == "healthy"
		}
		if ok {
			return
		}
		if time.Since(start) > convergeTimeout {
			t.Fatalf("containers not healthy after %v: %v", convergeTimeout, states)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// writableWatch writes keys through one node until all succeed in one
// round, and records when that was.
type writableWatch struct {
	done chan time.Duration
}

func watchWritable(c *redis.Client, keys []string, start time.Time) *writableWatch {
	w := &writableWatch{done: make(chan time.Duration, 1)}
	go func() {
		for time.Since(start) < convergeTimeout {
			ok := true
			for _, k := range keys {
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				err := c.Set(ctx, k, "probe", 0).Err()
				cancel()
				if err != nil {
					ok = false
					break
				}
			}
			if ok {
				w.done <- time.Since(start)
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		w.done <- -1
	}()
	return w
}

func (w *writableWatch) wait(timeout time.Duration) time.Duration {
	select {
	case d := <-w.done:
		return d
	case <-time.After(timeout):
		return -1
	}
}

// joinPeers reads the container's log since it was started and returns the
// addresses its first join reached: memberlist logs, at debug level, each
// push/pull sync it starts with a seed address (the node itself is left
// out of the seeds). Several addresses from the one seed cachesrv:7946 mean
// the name resolved to several nodes.
func joinPeers(t *testing.T, id string, since time.Time) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "logs", "--since", since.Add(-time.Second).UTC().Format(time.RFC3339Nano), id).CombinedOutput()
	if err != nil {
		t.Fatalf("docker logs: %v", err)
	}
	sync := regexp.MustCompile(`Initiating push/pull sync with: +([0-9.]+:[0-9]+)`)
	var peers []string
	inJoin := false
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, `msg="cluster gossip started"`):
			inJoin, peers = true, nil
		case strings.Contains(line, `msg="cluster joined"`):
			inJoin = false
		case inJoin:
			if m := sync.FindStringSubmatch(line); m != nil && !slices.Contains(peers, m[1]) {
				peers = append(peers, m[1])
			}
		}
	}
	slices.Sort(peers)
	return peers
}

// checkMetrics scrapes every node's /metrics through its published port
// and checks that each metric the Grafana dashboard queries exists. Two
// metrics appear only once a command has failed or been refused, so one of
// each is sent first.
func checkMetrics(t *testing.T, p *project, probes []*redis.Client) {
	t.Helper()
	ctx := context.Background()
	for _, c := range probes {
		c.Set(ctx, "metrics:text", "x", 0)
		c.Do(ctx, "incr", "metrics:text")  // fails: not an integer
		c.Do(ctx, "get", "metrics:a", "b") // refused: wrong arity
		c.Get(ctx, "metrics:nosuchkey")    // a miss
		c.Set(ctx, "metrics:ttl", "x", time.Hour)
	}
	exported := map[string]bool{}
	name := regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	for i := range nodes {
		resp, err := http.Get("http://" + p.metricsAddr(i) + "/metrics")
		if err != nil {
			t.Fatalf("scraping %s: %v", nodes[i], err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, line := range strings.Split(string(body), "\n") {
			if m := name.FindString(line); m != "" && !strings.HasPrefix(line, "#") {
				exported[m] = true
			}
		}
	}
	dash, err := os.ReadFile("../grafana/cachesrv.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(dash, &d); err != nil {
		t.Fatal(err)
	}
	used := regexp.MustCompile(`\b((?:cachesrv|go|process)_[a-z0-9_]+)\b`)
	for _, pn := range d.Panels {
		for _, tg := range pn.Targets {
			for _, m := range used.FindAllString(tg.Expr, -1) {
				if !exported[m] {
					t.Errorf("the dashboard queries %s, which no node exports", m)
				}
			}
		}
	}
}

// checkPrometheus starts the compose file's Prometheus when its image is on
// this host, and checks that it scrapes all three nodes.
func checkPrometheus(t *testing.T, p *project, report *summary) {
	image := os.Getenv("PROMETHEUS_IMAGE")
	if image == "" {
		image = "prom/prometheus:latest"
	}
	if _, err := docker("image", "inspect", image); err != nil {
		report.add("Prometheus (profile monitoring)", 0, "skipped: image "+image+" is not on this host and cannot be pulled here")
		return
	}
	port := servertest.FreePort(t)
	p.env = append(p.env, fmt.Sprintf("PROMETHEUS_PORT=%d", port))
	start := time.Now()
	p.must("up", "-d", "prometheus")
	for time.Since(start) < convergeTimeout {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/targets?state=active", port))
		if err == nil {
			var r struct {
				Data struct {
					ActiveTargets []struct{ Health string } `json:"activeTargets"`
				} `json:"data"`
			}
			json.NewDecoder(resp.Body).Decode(&r)
			resp.Body.Close()
			up := 0
			for _, tg := range r.Data.ActiveTargets {
				if tg.Health == "up" {
					up++
				}
			}
			if up == len(nodes) {
				report.add("Prometheus (profile monitoring): all 3 nodes scraped", time.Since(start), "")
				return
			}
		}
		time.Sleep(time.Second)
	}
	t.Error("Prometheus did not report 3 healthy targets")
}

// keySlot is the key's hash slot, as the server and every Redis Cluster
// client compute it.
func keySlot(key string) int { return cluster.Slot(key) }

func ms(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }

// summary collects each step's time and figures and prints them together
// at the end, so that one block of the log holds the results.
type summary struct {
	t     *testing.T
	lines []string
}

func (s *summary) add(step string, d time.Duration, detail string) {
	line := step
	if d > 0 {
		line += ": " + ms(d)
	}
	if detail != "" {
		line += " — " + detail
	}
	s.lines = append(s.lines, line)
	s.t.Log(line)
}

func (s *summary) print() {
	s.t.Logf("summary:\n  %s", strings.Join(s.lines, "\n  "))
}

// nodeKeys returns the keys one node holds (INFO keyspace): in proxy mode
// DBSIZE counts the whole cluster's.
func nodeKeys(c *redis.Client) (int64, error) {
	info, err := c.Info(context.Background(), "keyspace").Result()
	if err != nil {
		return 0, err
	}
	_, rest, ok := strings.Cut(info, "db0:keys=")
	if !ok {
		return 0, nil
	}
	n, _, _ := strings.Cut(rest, ",")
	return strconv.ParseInt(n, 10, 64)
}
