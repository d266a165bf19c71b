package deploy

import (
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/protocol/config"
	"sigs.k8s.io/yaml"
)

// These tests read the Dockerfile, compose.yaml and prometheus.yml and
// check that they agree with each other and with the server's settings;
// e2e/ runs them for real.

type composeFile struct {
	Services map[string]struct {
		Image       string            `json:"image"`
		Hostname    string            `json:"hostname"`
		Environment map[string]string `json:"environment"`
		Ports       []string          `json:"ports"`
		Profiles    []string          `json:"profiles"`
		PullPolicy  string            `json:"pull_policy"`
		Healthcheck struct {
			Test []string `json:"test"`
		} `json:"healthcheck"`
		Networks map[string]struct {
			Aliases []string `json:"aliases"`
		} `json:"networks"`
	} `json:"services"`
}

var interpolation = regexp.MustCompile(`\$\{([A-Z0-9_]+)(?::?([-?])([^}]*))?\}`)

// loadCompose reads compose.yaml as Compose would with no variables set:
// every ${VAR:-default} becomes its default, and a required ${VAR:?message}
// becomes requiredValue(VAR). YAML merge keys (<<) are resolved by the
// YAML parser.
func loadCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	data = interpolation.ReplaceAllFunc(data, func(m []byte) []byte {
		sub := interpolation.FindSubmatch(m)
		if string(sub[2]) == "?" {
			return []byte(requiredValue(string(sub[1])))
		}
		return sub[3]
	})
	// Networks given as a list (prometheus: networks: [cluster]) become a
	// map with no aliases.
	var raw map[string]any
	if err := yaml.Unmarshal(data, &raw); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, s := range raw["services"].(map[string]any) {
		svc := s.(map[string]any)
		if list, ok := svc["networks"].([]any); ok {
			m := map[string]any{}
			for _, n := range list {
				m[n.(string)] = map[string]any{}
			}
			svc["networks"] = m
		}
	}
	norm, _ := yaml.Marshal(raw)
	var c composeFile
	if err := yaml.Unmarshal(norm, &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	return c
}

// requiredValue stands for a variable Compose requires (${VAR:?message}).
func requiredValue(name string) string { return "required:" + name }

// dockerfile returns the image's ENV settings and EXPOSEd ports.
func dockerfile(t *testing.T) (env map[string]string, expose []string, user string) {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	env = map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "ENV":
			for _, kv := range f[1:] {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
		case "EXPOSE":
			expose = append(expose, f[1:]...)
		case "USER":
			user = f[1]
		}
	}
	return env, expose, user
}

func TestDockerfile(t *testing.T) {
	env, expose, user := dockerfile(t)
	checkSettings(t, "Dockerfile", env)
	for k, want := range map[string]string{"CACHESRV_BIND": "0.0.0.0", "CACHESRV_GOSSIP_BIND": "0.0.0.0"} {
		if env[k] != want {
			t.Errorf("Dockerfile: %s=%q, want %q: a container is reached from outside", k, env[k], want)
		}
	}
	_, metricsPort, _ := net.SplitHostPort(env["CACHESRV_METRICS_ADDR"])
	for _, want := range []string{env["CACHESRV_PORT"] + "/tcp", env["CACHESRV_GOSSIP_PORT"] + "/tcp", env["CACHESRV_GOSSIP_PORT"] + "/udp", metricsPort + "/tcp"} {
		if !slices.Contains(expose, want) {
			t.Errorf("Dockerfile does not EXPOSE %s (has %v)", want, expose)
		}
	}
	if user == "" || strings.HasPrefix(user, "0") || strings.HasPrefix(user, "root") {
		t.Errorf("Dockerfile USER %q: want a non-root numeric user", user)
	}
	if data, _ := os.ReadFile("Dockerfile"); !regexp.MustCompile(`(?m)^FROM scratch\s*$`).Match(data) || strings.Count(string(data), "\nFROM ") != 1 {
		t.Error("the image must be built FROM scratch alone: no base image can be pulled")
	}
	if data, _ := os.ReadFile("build.sh"); !strings.Contains(string(data), "CGO_ENABLED=0 go build") {
		t.Error("build.sh does not build a static binary")
	}
}

func TestCompose(t *testing.T) {
	c := loadCompose(t)
	imageEnv, _, _ := dockerfile(t)
	nodes := []string{"node1", "node2", "node3"}
	for name, svc := range c.Services {
		if !slices.Contains(nodes, name) && (!slices.Contains(svc.Profiles, "monitoring") || svc.PullPolicy != "never") {
			t.Errorf("service %s: only the nodes start by default; others belong to the monitoring profile and are never pulled", name)
		}
	}
	build, _ := os.ReadFile("build.sh")
	hostPorts := map[string]bool{}
	for _, name := range nodes {
		svc, ok := c.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		if !strings.Contains(string(build), svc.Image) {
			t.Errorf("%s: image %q is not what build.sh builds by default", name, svc.Image)
		}
		env := map[string]string{}
		for k, v := range imageEnv {
			env[k] = v
		}
		for k, v := range svc.Environment {
			env[k] = v
		}
		checkSettings(t, name, svc.Environment)
		// Gossip binds 0.0.0.0 in a container, so a node starts only with
		// the cluster secret, which must come from the user, never a default.
		if got, want := env["CACHESRV_GOSSIP_SECRET"], requiredValue("CACHESRV_GOSSIP_SECRET"); got != want {
			t.Errorf("%s: CACHESRV_GOSSIP_SECRET=%q, want the required variable ${CACHESRV_GOSSIP_SECRET:?…}", name, got)
		}
		if env["CACHESRV_CLUSTER"] != "yes" || env["CACHESRV_NODE_ID"] != name || svc.Hostname != name {
			t.Errorf("%s: want a cluster node with node id and hostname %s, have %q %q %q", name, name, env["CACHESRV_CLUSTER"], env["CACHESRV_NODE_ID"], svc.Hostname)
		}
		// Peers forward to the service name; clients are told the port
		// published on the host.
		if want := name + ":" + env["CACHESRV_PORT"]; env["CACHESRV_ADVERTISE_ADDR"] != want {
			t.Errorf("%s: CACHESRV_ADVERTISE_ADDR=%q, want %q", name, env["CACHESRV_ADVERTISE_ADDR"], want)
		}
		published := map[string]string{} // container port -> host ip:port
		for _, p := range svc.Ports {
			i := strings.LastIndex(p, ":")
			published[p[i+1:]] = p[:i]
			if hostPorts[p[:i]] {
				t.Errorf("%s: host address %s published twice", name, p[:i])
			}
			hostPorts[p[:i]] = true
		}
		if got, want := env["CACHESRV_CLUSTER_ANNOUNCE_ADDR"], published[env["CACHESRV_PORT"]]; got != want || want == "" {
			t.Errorf("%s: CACHESRV_CLUSTER_ANNOUNCE_ADDR=%q but the RESP port is published at %q", name, got, want)
		}
		_, metricsPort, _ := net.SplitHostPort(env["CACHESRV_METRICS_ADDR"])
		if published[metricsPort] == "" {
			t.Errorf("%s: metrics port %s not published", name, metricsPort)
		}
		// Healthy means ready: a node that is down (reached no peer) is not.
		if h := svc.Healthcheck.Test; !slices.Equal(h, []string{"CMD", "/cachesrv", "healthcheck", "--ready"}) {
			t.Errorf("%s: healthcheck %v", name, h)
		}
		// --join names an alias every node carries on the shared network.
		host, port, err := net.SplitHostPort(env["CACHESRV_JOIN"])
		if err != nil || port != env["CACHESRV_GOSSIP_PORT"] {
			t.Errorf("%s: CACHESRV_JOIN=%q, want alias:%s", name, env["CACHESRV_JOIN"], env["CACHESRV_GOSSIP_PORT"])
		}
		for _, other := range nodes {
			if nets := c.Services[other].Networks; len(nets) != 1 || !slices.ContainsFunc(mapValues(nets), func(n struct {
				Aliases []string `json:"aliases"`
			}) bool {
				return slices.Contains(n.Aliases, host)
			}) {
				t.Errorf("%s joins %q, which %s does not answer to", name, host, other)
			}
		}
	}
}

func mapValues[K comparable, V any](m map[K]V) []V {
	var vs []V
	for _, v := range m {
		vs = append(vs, v)
	}
	return vs
}

func TestPrometheusConfig(t *testing.T) {
	data, err := os.ReadFile("prometheus/prometheus.yml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		RuleFiles     []string `json:"rule_files"`
		ScrapeConfigs []struct {
			JobName       string `json:"job_name"`
			MetricsPath   string `json:"metrics_path"`
			StaticConfigs []struct {
				Targets []string `json:"targets"`
			} `json:"static_configs"`
		} `json:"scrape_configs"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	imageEnv, _, _ := dockerfile(t)
	_, port, _ := net.SplitHostPort(imageEnv["CACHESRV_METRICS_ADDR"])
	var targets []string
	for _, sc := range cfg.ScrapeConfigs {
		if sc.MetricsPath != "/metrics" {
			t.Errorf("job %s scrapes %q", sc.JobName, sc.MetricsPath)
		}
		for _, s := range sc.StaticConfigs {
			targets = append(targets, s.Targets...)
		}
	}
	slices.Sort(targets)
	var want []string
	for _, n := range []string{"node1", "node2", "node3"} {
		want = append(want, fmt.Sprintf("%s:%s", n, port))
	}
	if !slices.Equal(targets, want) {
		t.Errorf("Prometheus scrapes %v, want every node %v", targets, want)
	}

	// Each rule file exists beside prometheus.yml, and Compose mounts it
	// beside the config file in the container, where Prometheus looks.
	compose, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(cfg.RuleFiles, "alerts.yml") {
		t.Errorf("prometheus.yml loads rule files %v, want alerts.yml", cfg.RuleFiles)
	}
	for _, f := range cfg.RuleFiles {
		if _, err := os.Stat("prometheus/" + f); err != nil {
			t.Errorf("rule file %s: %v", f, err)
		}
		if mount := "./prometheus/" + f + ":/etc/prometheus/" + f + ":ro"; !strings.Contains(string(compose), mount) {
			t.Errorf("compose.yaml does not mount %s (want %q)", f, mount)
		}
	}
}

// checkSettings checks that every CACHESRV_ variable names a setting and
// holds a value the server accepts.
func checkSettings(t *testing.T, where string, env map[string]string) {
	t.Helper()
	for k, v := range env {
		if !strings.HasPrefix(k, "CACHESRV_") {
			continue
		}
		var s *config.Setting
		for _, c := range config.Settings {
			if "CACHESRV_"+strings.ToUpper(strings.ReplaceAll(c.Name, "-", "_")) == k {
				s = c
			}
		}
		if s == nil {
			t.Errorf("%s: %s is not a cachesrv setting", where, k)
			continue
		}
		if err := s.Set(config.New(), v); err != nil {
			t.Errorf("%s: %s=%q: the server refuses it: %v", where, k, v, err)
		}
	}
}
