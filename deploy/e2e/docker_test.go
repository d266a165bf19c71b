package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cachesrv/cachesrv/protocol/servertest"
)

// projectPrefix starts the Compose project name of every run of this test,
// followed by the run's start time in Unix seconds and random digits, so
// that runs never collide and leftovers of an interrupted run can be told
// by age.
const projectPrefix = "cachesrve2e"

// skipOrFail skips the test, or fails it when the environment promises
// Docker (CACHESRV_REQUIRE_DOCKER=1).
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CACHESRV_REQUIRE_DOCKER") == "1" {
		t.Fatalf(format+" (CACHESRV_REQUIRE_DOCKER=1)", args...)
	}
	t.Skipf(format, args...)
}

// findCompose returns the command that runs Compose: the docker CLI's
// plugin (docker compose) or the standalone docker-compose.
func findCompose(t *testing.T) []string {
	t.Helper()
	for _, cmd := range [][]string{{"docker", "compose"}, {"docker-compose"}} {
		if _, err := exec.LookPath(cmd[0]); err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, err := exec.CommandContext(ctx, cmd[0], append(cmd[1:], "version")...).CombinedOutput()
		cancel()
		if err == nil {
			t.Logf("compose: %s (%s)", strings.Join(cmd, " "), firstLine(out))
			return cmd
		}
	}
	skipOrFail(t, "skipping: neither `docker compose` nor `docker-compose` works")
	return nil
}

// requireDocker skips unless the docker CLI is there and its daemon answers.
func requireDocker(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		skipOrFail(t, "skipping: no docker CLI on PATH")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err != nil {
		skipOrFail(t, "skipping: the Docker Engine does not answer: %v: %s", err, firstLine(out))
	}
	t.Logf("docker engine %s", firstLine(out))
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return s
}

// cmdTimeout bounds every docker and compose command.
const cmdTimeout = 3 * time.Minute

// docker runs the docker CLI and returns its trimmed output.
func docker(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return strings.TrimSpace(string(out)), nil
}

// project is one Compose project made from deploy/compose.yaml.
type project struct {
	t       *testing.T
	compose []string
	name    string
	file    string
	env     []string
	image   string
	secret  string // CACHESRV_GOSSIP_SECRET

	resp, metrics [3]int // host ports of node1..3
}

var nodes = []string{"node1", "node2", "node3"}

func newProject(t *testing.T, compose []string) *project {
	t.Helper()
	var rnd [3]byte
	rand.Read(rnd[:])
	name := fmt.Sprintf("%s%d%s", projectPrefix, time.Now().Unix(), hex.EncodeToString(rnd[:]))
	file, err := filepath.Abs("../compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var secret [32]byte
	rand.Read(secret[:])
	p := &project{t: t, compose: compose, name: name, file: file, image: "cachesrv:" + name, secret: hex.EncodeToString(secret[:])}
	p.pickPorts()
	return p
}

// pickPorts chooses the host ports the nodes publish, and the environment
// that hands them to compose.yaml.
func (p *project) pickPorts() {
	ports := servertest.FreePorts(p.t, 2*len(nodes))
	for i := range nodes {
		p.resp[i], p.metrics[i] = ports[i], ports[len(nodes)+i]
	}
	p.env = append(os.Environ(),
		"CACHESRV_IMAGE="+p.image,
		"CACHESRV_PUBLISH_IP=127.0.0.1",
		"CACHESRV_ANNOUNCE_HOST=127.0.0.1",
		// Debug shows memberlist's push/pull syncs, by which the test sees
		// that a restarted node's --join name resolved to several peers.
		"CACHESRV_LOG_LEVEL=debug",
		// The cluster secret compose.yaml requires, new for every run.
		"CACHESRV_GOSSIP_SECRET="+p.secret,
	)
	for i := range nodes {
		p.env = append(p.env,
			fmt.Sprintf("CACHESRV_NODE%d_PORT=%d", i+1, p.resp[i]),
			fmt.Sprintf("CACHESRV_NODE%d_METRICS_PORT=%d", i+1, p.metrics[i]))
	}
}

// up starts the project. A host port found free can still be taken by
// another process before Docker publishes it; then the project is taken
// down and started again on new ports, up to three times.
func (p *project) up() {
	p.t.Helper()
	for attempt := 1; ; attempt++ {
		_, err := p.run("up", "-d")
		if err == nil {
			return
		}
		lost := strings.Contains(err.Error(), "port is already allocated") || strings.Contains(err.Error(), "address already in use")
		if !lost || attempt == 3 {
			p.t.Fatal(err)
		}
		p.t.Logf("a published port was taken before Docker bound it; starting again on new ports: %v", err)
		if err := p.down(); err != nil {
			p.t.Fatal(err)
		}
		p.pickPorts()
	}
}

// run runs a Compose command on the project.
func (p *project) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	full := append(append([]string{}, p.compose[1:]...), "-p", p.name, "-f", p.file)
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, p.compose[0], full...)
	cmd.Env = p.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %v: %s", strings.Join(p.compose, " "), strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return strings.TrimSpace(string(out)), nil
}

func (p *project) must(args ...string) string {
	p.t.Helper()
	out, err := p.run(args...)
	if err != nil {
		p.t.Fatal(err)
	}
	return out
}

// container returns the ID of a service's container.
func (p *project) container(service string) string {
	p.t.Helper()
	id := p.must("ps", "-q", service)
	if id == "" || strings.Contains(id, "\n") {
		p.t.Fatalf("service %s: container ids %q", service, id)
	}
	return id
}

func (p *project) respAddr(i int) string    { return fmt.Sprintf("127.0.0.1:%d", p.resp[i]) }
func (p *project) metricsAddr(i int) string { return fmt.Sprintf("127.0.0.1:%d", p.metrics[i]) }

// down removes the project's containers, networks and volumes, then checks
// that nothing labelled with the project is left.
func (p *project) down() error {
	var errs []string
	if out, err := p.run("down", "-v", "--remove-orphans", "--timeout", "10"); err != nil {
		errs = append(errs, err.Error()+" "+out)
	}
	label := "label=com.docker.compose.project=" + p.name
	for _, kind := range [][]string{{"ps", "-aq"}, {"network", "ls", "-q"}, {"volume", "ls", "-q"}} {
		out, err := docker(append(kind, "--filter", label)...)
		if err != nil {
			errs = append(errs, err.Error())
		} else if out != "" {
			errs = append(errs, fmt.Sprintf("docker %s still lists %s", strings.Join(kind, " "), strings.Join(strings.Fields(out), " ")))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// removeStale removes what earlier runs of this test left behind when they
// were killed before their cleanup ran (a go test timeout does that):
// projects with this test's prefix started over 20 minutes ago, longer
// than any run may last. Younger ones may be a run going on right now.
func removeStale(t *testing.T) {
	out, err := docker("ps", "-a", "--format", `{{.ID}} {{.Label "com.docker.compose.project"}}`)
	if err != nil {
		t.Logf("listing containers: %v", err)
		return
	}
	stale := map[string][]string{}
	started := regexp.MustCompile(`^` + projectPrefix + `(\d{10})`)
	for _, line := range strings.Split(out, "\n") {
		id, proj, _ := strings.Cut(line, " ")
		m := started.FindStringSubmatch(proj)
		if m == nil {
			continue
		}
		if sec, _ := strconv.ParseInt(m[1], 10, 64); time.Since(time.Unix(sec, 0)) > 20*time.Minute {
			stale[proj] = append(stale[proj], id)
		}
	}
	for proj, ids := range stale {
		t.Logf("removing containers left by an interrupted run (%s): %v", proj, ids)
		docker(append([]string{"rm", "-f", "-v"}, ids...)...)
		if nets, err := docker("network", "ls", "-q", "--filter", "label=com.docker.compose.project="+proj); err == nil && nets != "" {
			docker(append([]string{"network", "rm"}, strings.Fields(nets)...)...)
		}
		docker("image", "rm", "-f", "cachesrv:"+proj)
	}
}

// health returns the container's health status (starting, healthy,
// unhealthy) or its state when it is not running.
func health(id string) string {
	out, err := docker("inspect", "-f", "{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}", id)
	if err != nil {
		return "unknown"
	}
	state, h, _ := strings.Cut(out, " ")
	if state != "running" {
		return state
	}
	return h
}

// networkOf returns the name of the container's one network, its IP there
// and its aliases (without the container's short ID, which Docker adds by
// itself).
func networkOf(t *testing.T, id string) (network, ip string, aliases []string) {
	t.Helper()
	out, err := docker("inspect", "-f", `{{range $n, $e := .NetworkSettings.Networks}}{{$n}} {{$e.IPAddress}}{{range $e.Aliases}} {{.}}{{end}}{{"\n"}}{{end}}`, id)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("container %s is on %d networks: %q", id, len(lines), out)
	}
	f := strings.Fields(lines[0])
	if len(f) < 2 {
		t.Fatalf("container %s network: %q", id, out)
	}
	for _, a := range f[2:] {
		if !strings.HasPrefix(id, a) {
			aliases = append(aliases, a)
		}
	}
	return f[0], f[1], aliases
}
