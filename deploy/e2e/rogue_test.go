package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// checkRogues starts, on the cluster's network, a node with no secret
// (insecure mode allowed, as an attacker would) and one with a wrong
// secret, both joining through the cluster's alias, and checks that once
// each has failed its first join no member lists it, it is not ready
// (down: it claims no slot either), and every node still serves its keys:
// a process on the network that lacks the cluster secret takes no slots
// and gets no data.
func checkRogues(t *testing.T, p *project, member string, probes []*redis.Client, report *summary) {
	start := time.Now()
	network, _, _ := networkOf(t, member)
	for _, r := range []struct{ name, env string }{
		{"rogue-nosecret", "CACHESRV_CLUSTER_ALLOW_INSECURE=yes"},
		{"rogue-wrongsecret", "CACHESRV_GOSSIP_SECRET=not-" + p.secret},
	} {
		id, err := docker("run", "-d", "--network", network, "--network-alias", r.name,
			"-e", "CACHESRV_CLUSTER=yes", "-e", "CACHESRV_NODE_ID="+r.name, "-e", "CACHESRV_JOIN=cachesrv:7946",
			"-e", "CACHESRV_ADVERTISE_ADDR="+r.name+":6379", "-e", r.env, p.image)
		if err != nil {
			t.Fatal(err)
		}
		remove := func() { docker("rm", "-f", "-v", id) } // before compose down, which needs the network free
		t.Cleanup(remove)
		// The first join attempt is over once the rogue reports that no
		// seed let it in (it then retries alone in the background).
		for deadline := time.Now().Add(convergeTimeout); ; time.Sleep(200 * time.Millisecond) {
			logs, _ := docker("logs", id)
			if strings.Contains(logs, "no seed answered") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: no failed join in its log:\n%s", r.name, logs)
			}
		}
		// Refused by every seed, it serves nothing itself either: it is
		// not ready (CLUSTERDOWN), rather than a cluster of its own.
		if logs, _ := docker("logs", id); !strings.Contains(logs, "serving no slots (CLUSTERDOWN)") {
			t.Errorf("%s does not say it serves no slots:\n%s", r.name, logs)
		}
		if out, err := docker("exec", id, "/cachesrv", "healthcheck", "--ready"); err == nil {
			t.Errorf("%s, refused by every seed, is ready: %s", r.name, out)
		}
		for i, c := range probes {
			v, err := readView(context.Background(), c)
			if err != nil {
				t.Fatalf("%s: %v", nodes[i], err)
			}
			if !slices.Equal(v.members, nodes) {
				t.Errorf("with %s on the network, %s lists members %v", r.name, nodes[i], v.members)
			}
		}
		remove()
	}
	for i := range nodes {
		plain := redis.NewClient(&redis.Options{Addr: p.respAddr(i), Protocol: 2})
		if bad := readKeys(t, plain, "key:", "v1"); bad > 0 {
			t.Errorf("through %s with rogues on the network: %d of %d keys wrong", nodes[i], bad, numKeys)
		}
		plain.Close()
	}
	report.add("2b. rogue nodes on the network (no secret; wrong secret) are refused", time.Since(start),
		fmt.Sprintf("every node still lists exactly %v and serves its %d keys", nodes, numKeys))
}
