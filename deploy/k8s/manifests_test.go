package k8s

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cachesrv/cachesrv/protocol/config"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// No Kubernetes cluster is at hand where these manifests are written, so
// this test is their validation: every document of every file decodes
// strictly (unknown or duplicate fields fail) into the API type its
// apiVersion and kind name, and the objects agree with each other and with
// the server: ports, probes, the --join name, every CACHESRV_* variable.

// types maps apiVersion/kind to a new typed object.
var types = map[string]func() any{
	"apps/v1/StatefulSet":                     func() any { return new(appsv1.StatefulSet) },
	"v1/Service":                              func() any { return new(corev1.Service) },
	"policy/v1/PodDisruptionBudget":           func() any { return new(policyv1.PodDisruptionBudget) },
	"monitoring.coreos.com/v1/ServiceMonitor": func() any { return new(monitoringv1.ServiceMonitor) },
}

type manifest struct {
	file string
	obj  any
}

// decodeAll decodes every YAML document of every *.yaml file under dir.
func decodeAll(t *testing.T, dir string) []manifest {
	t.Helper()
	var files []string
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return err
	})
	if len(files) == 0 {
		t.Fatal("no manifests found")
	}
	var out []manifest
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range splitDocs(data) {
			var tm metav1.TypeMeta
			if err := yaml.Unmarshal(doc, &tm); err != nil {
				t.Fatalf("%s doc %d: %v", f, i, err)
			}
			newObj, ok := types[tm.APIVersion+"/"+tm.Kind]
			if !ok {
				t.Fatalf("%s doc %d: no API type known for apiVersion %q kind %q", f, i, tm.APIVersion, tm.Kind)
			}
			obj := newObj()
			if err := strictDecode(doc, obj); err != nil {
				t.Fatalf("%s doc %d (%s): %v", f, i, tm.Kind, err)
			}
			out = append(out, manifest{file: f, obj: obj})
		}
	}
	return out
}

// strictDecode decodes one YAML document into obj as strictly as the API
// server does: duplicate keys, unknown fields and fields spelt in another
// case (which encoding/json would accept) are errors.
func strictDecode(doc []byte, obj any) error {
	js, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return err
	}
	strictErrs, err := kjson.UnmarshalStrict(js, obj, kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields)
	if err != nil {
		return err
	}
	return errors.Join(strictErrs...)
}

// splitDocs splits a multi-document YAML stream, dropping empty documents.
func splitDocs(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
		body := regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(d, "")
		if strings.TrimSpace(body) != "" {
			docs = append(docs, []byte(d))
		}
	}
	return docs
}

func TestStrictDecodeRejectsUnknownFields(t *testing.T) {
	// The decoder the test relies on must catch a misspelt field.
	bad := []byte("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  clusterIp: None\n")
	if err := strictDecode(bad, new(corev1.Service)); err == nil {
		t.Fatal("clusterIp (for clusterIP) was accepted")
	}
	unknown := []byte("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nspec:\n  publishNotReady: true\n")
	if err := strictDecode(unknown, new(corev1.Service)); err == nil {
		t.Fatal("an unknown field was accepted")
	}
	dup := []byte("apiVersion: v1\nkind: Service\nmetadata: {name: x}\nmetadata: {name: y}\n")
	if err := strictDecode(dup, new(corev1.Service)); err == nil {
		t.Fatal("a duplicate key was accepted")
	}
	if got := len(splitDocs([]byte("# c\n---\na: 1\n---\n# only a comment\n---\nb: 2\n"))); got != 2 {
		t.Fatalf("splitDocs found %d documents, want 2", got)
	}
}

func TestManifests(t *testing.T) {
	ms := decodeAll(t, ".")
	var (
		sts      *appsv1.StatefulSet
		services = map[string]*corev1.Service{}
		pdbs     []*policyv1.PodDisruptionBudget
		monitors []*monitoringv1.ServiceMonitor
	)
	for _, m := range ms {
		switch o := m.obj.(type) {
		case *appsv1.StatefulSet:
			if sts != nil {
				t.Fatal("more than one StatefulSet")
			}
			sts = o
		case *corev1.Service:
			services[o.Name] = o
		case *policyv1.PodDisruptionBudget:
			pdbs = append(pdbs, o)
		case *monitoringv1.ServiceMonitor:
			monitors = append(monitors, o)
		}
	}
	if sts == nil || len(pdbs) != 1 || len(services) != 2 || len(monitors) != 1 {
		t.Fatalf("want a StatefulSet, 2 Services, a PodDisruptionBudget and a ServiceMonitor; have %v, %d, %d, %d",
			sts != nil, len(services), len(pdbs), len(monitors))
	}
	pod := sts.Spec.Template
	podLabels := labels.Set(pod.Labels)

	// Selectors: the StatefulSet's, the Services' and the PDB's all pick
	// the pods.
	sel, err := metav1.LabelSelectorAsSelector(sts.Spec.Selector)
	if err != nil || sel.Empty() || !sel.Matches(podLabels) {
		t.Errorf("StatefulSet selector %v does not select its pods %v (%v)", sts.Spec.Selector, pod.Labels, err)
	}
	for name, svc := range services {
		if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
			t.Errorf("Service %s selector %v does not select the pods", name, svc.Spec.Selector)
		}
	}
	pdb := pdbs[0]
	if s, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err != nil || s.Empty() || !s.Matches(podLabels) {
		t.Errorf("PodDisruptionBudget selector does not select the pods")
	}
	if pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil {
		t.Error("PodDisruptionBudget sets neither maxUnavailable nor minAvailable")
	}
	if mu := pdb.Spec.MaxUnavailable; mu != nil && mu.IntValue() != 1 {
		t.Errorf("PodDisruptionBudget maxUnavailable %v: more than one node down at once empties more of the ring", mu)
	}

	// The headless Service is the StatefulSet's and publishes unready pods,
	// so that starting pods can find each other.
	headless := services[sts.Spec.ServiceName]
	if headless == nil {
		t.Fatalf("serviceName %q names no Service", sts.Spec.ServiceName)
	}
	if headless.Spec.ClusterIP != corev1.ClusterIPNone || !headless.Spec.PublishNotReadyAddresses {
		t.Errorf("Service %s: clusterIP %q, publishNotReadyAddresses %v; want None and true",
			headless.Name, headless.Spec.ClusterIP, headless.Spec.PublishNotReadyAddresses)
	}
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas < 3 {
		t.Errorf("replicas %v, want at least 3", sts.Spec.Replicas)
	}

	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	ports := map[string]corev1.ContainerPort{}
	for _, p := range c.Ports {
		ports[p.Name] = p
	}
	for _, name := range []string{"resp", "gossip", "gossip-udp", "metrics"} {
		if _, ok := ports[name]; !ok {
			t.Fatalf("container has no port named %s", name)
		}
	}
	if ports["gossip"].ContainerPort != ports["gossip-udp"].ContainerPort || ports["gossip-udp"].Protocol != corev1.ProtocolUDP {
		t.Error("gossip needs the same port over TCP and UDP")
	}
	portOf := func(p intstr.IntOrString) int32 {
		if p.Type == intstr.String {
			cp, ok := ports[p.StrVal]
			if !ok {
				t.Errorf("port %q names no container port", p.StrVal)
			}
			return cp.ContainerPort
		}
		return p.IntVal
	}

	// Environment: every CACHESRV_* variable is a real setting and its
	// value is one the server accepts, with $(VAR) expanded as the kubelet
	// does (only variables defined earlier).
	env := checkEnv(t, c.Env, map[string]string{"POD_NAME": "cachesrv-0", "POD_IP": "10.1.2.3"})
	wantPort := func(setting string, hostport bool, want int32) {
		t.Helper()
		v, ok := env[setting]
		if !ok {
			t.Errorf("%s is not set", setting)
			return
		}
		if hostport {
			_, p, err := net.SplitHostPort(v)
			if err != nil {
				t.Errorf("%s=%q: %v", setting, v, err)
				return
			}
			v = p
		}
		if n, _ := strconv.Atoi(v); int32(n) != want {
			t.Errorf("%s=%q, but the container port is %d", setting, env[setting], want)
		}
	}
	wantPort("CACHESRV_PORT", false, ports["resp"].ContainerPort)
	wantPort("CACHESRV_ADVERTISE_ADDR", true, ports["resp"].ContainerPort)
	wantPort("CACHESRV_METRICS_ADDR", true, ports["metrics"].ContainerPort)
	wantPort("CACHESRV_GOSSIP_PORT", false, ports["gossip"].ContainerPort)
	// Gossip binds the pod IP, so a node starts only with the cluster
	// secret: from a Secret, and not optional.
	if i := slices.IndexFunc(c.Env, func(v corev1.EnvVar) bool { return v.Name == "CACHESRV_GOSSIP_SECRET" }); i < 0 ||
		c.Env[i].ValueFrom == nil || c.Env[i].ValueFrom.SecretKeyRef == nil ||
		c.Env[i].ValueFrom.SecretKeyRef.Optional == nil || *c.Env[i].ValueFrom.SecretKeyRef.Optional {
		t.Error("CACHESRV_GOSSIP_SECRET must come from a Secret, optional: false: the pods' gossip is reachable from other hosts")
	}
	if env["CACHESRV_CLUSTER"] != "yes" || env["CACHESRV_NODE_ID"] != "cachesrv-0" {
		t.Errorf("want a cluster node named after its pod; CACHESRV_CLUSTER=%q CACHESRV_NODE_ID=%q", env["CACHESRV_CLUSTER"], env["CACHESRV_NODE_ID"])
	}
	if h, _, _ := net.SplitHostPort(env["CACHESRV_ADVERTISE_ADDR"]); h != "10.1.2.3" {
		t.Errorf("CACHESRV_ADVERTISE_ADDR=%q: peers should dial the pod IP", env["CACHESRV_ADVERTISE_ADDR"])
	}
	if h, _, _ := net.SplitHostPort(env["CACHESRV_METRICS_ADDR"]); h != "0.0.0.0" {
		t.Errorf("CACHESRV_METRICS_ADDR=%q: the kubelet's probes and Prometheus come from outside the pod", env["CACHESRV_METRICS_ADDR"])
	}

	// --join is the headless Service's DNS name and its gossip port.
	joinHost, joinPort, err := net.SplitHostPort(env["CACHESRV_JOIN"])
	if err != nil {
		t.Fatalf("CACHESRV_JOIN=%q: %v", env["CACHESRV_JOIN"], err)
	}
	if joinHost != headless.Name && !strings.HasPrefix(joinHost, headless.Name+".") {
		t.Errorf("CACHESRV_JOIN host %q is not the headless Service %q", joinHost, headless.Name)
	}
	var gossipTCP, gossipUDP bool
	for _, sp := range headless.Spec.Ports {
		if strconv.Itoa(int(sp.Port)) == joinPort && portOf(sp.TargetPort) == ports["gossip"].ContainerPort {
			gossipTCP = gossipTCP || sp.Protocol == corev1.ProtocolTCP || sp.Protocol == ""
			gossipUDP = gossipUDP || sp.Protocol == corev1.ProtocolUDP
		}
	}
	if !gossipTCP || !gossipUDP {
		t.Errorf("headless Service lacks the gossip port %s over TCP (%v) and UDP (%v)", joinPort, gossipTCP, gossipUDP)
	}

	// Every Service port leads to a container port.
	for _, svc := range services {
		for _, sp := range svc.Spec.Ports {
			if tp := portOf(sp.TargetPort); !slices.ContainsFunc(c.Ports, func(p corev1.ContainerPort) bool {
				return p.ContainerPort == tp && (p.Protocol == sp.Protocol || sp.Protocol == "" && p.Protocol == corev1.ProtocolTCP)
			}) {
				t.Errorf("Service %s port %s targets %d/%s, which the container does not expose", svc.Name, sp.Name, tp, sp.Protocol)
			}
		}
	}
	client := services["cachesrv"]
	if client == nil || client.Spec.ClusterIP == corev1.ClusterIPNone || !slices.ContainsFunc(client.Spec.Ports, func(p corev1.ServicePort) bool { return portOf(p.TargetPort) == ports["resp"].ContainerPort }) {
		t.Error("want a client Service cachesrv with a cluster IP and the RESP port")
	}

	// Probes: readiness on /readyz, liveness on /healthz, both on the
	// metrics port.
	for _, pr := range []struct {
		name  string
		probe *corev1.Probe
		path  string
	}{{"readiness", c.ReadinessProbe, "/readyz"}, {"liveness", c.LivenessProbe, "/healthz"}} {
		if pr.probe == nil || pr.probe.HTTPGet == nil {
			t.Errorf("no HTTP %s probe", pr.name)
			continue
		}
		if pr.probe.HTTPGet.Path != pr.path || portOf(pr.probe.HTTPGet.Port) != ports["metrics"].ContainerPort {
			t.Errorf("%s probe asks %s on port %v, want %s on the metrics port %d", pr.name, pr.probe.HTTPGet.Path,
				pr.probe.HTTPGet.Port.String(), pr.path, ports["metrics"].ContainerPort)
		}
	}

	// A graceful stop: preStop, then SIGTERM's leave and drain, within the
	// grace period.
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		t.Fatal("no preStop hook")
	}
	var preStop int64
	switch h := c.Lifecycle.PreStop; {
	case h.Sleep != nil:
		preStop = h.Sleep.Seconds
	case h.Exec != nil && len(h.Exec.Command) > 0 && h.Exec.Command[0] == "/cachesrv":
	default:
		t.Errorf("preStop %+v: the image has only /cachesrv, no shell", h)
	}
	const leaveAndDrain = 30 + 10 // cmd/cachesrv: cluster-leave-timeout's default (the key hand-off) + shutdownGrace
	if g := pod.Spec.TerminationGracePeriodSeconds; g == nil || *g < preStop+leaveAndDrain {
		t.Errorf("terminationGracePeriodSeconds %v < preStop %d s + leave and drain %d s", g, preStop, leaveAndDrain)
	}
	if pod.Spec.EnableServiceLinks == nil || *pod.Spec.EnableServiceLinks {
		t.Error("enableServiceLinks must be false: the Service cachesrv would inject CACHESRV_PORT=tcp://…")
	}

	// Spread over machines.
	aa := pod.Spec.Affinity
	if aa == nil || aa.PodAntiAffinity == nil {
		t.Fatal("no pod anti-affinity")
	}
	var terms []corev1.PodAffinityTerm
	terms = append(terms, aa.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution...)
	for _, w := range aa.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
		terms = append(terms, w.PodAffinityTerm)
	}
	spread := false
	for _, term := range terms {
		s, err := metav1.LabelSelectorAsSelector(term.LabelSelector)
		spread = spread || err == nil && !s.Empty() && s.Matches(podLabels) && term.TopologyKey == "kubernetes.io/hostname"
	}
	if !spread {
		t.Error("anti-affinity does not keep the pods apart by kubernetes.io/hostname")
	}

	// Resources, user, scrape annotations.
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if q, ok := c.Resources.Requests[r]; !ok || q.IsZero() {
			t.Errorf("no %s request", r)
		}
	}
	if u := imageUser(t); pod.Spec.SecurityContext == nil || pod.Spec.SecurityContext.RunAsUser == nil ||
		strconv.FormatInt(*pod.Spec.SecurityContext.RunAsUser, 10) != u || pod.Spec.SecurityContext.RunAsNonRoot == nil || !*pod.Spec.SecurityContext.RunAsNonRoot {
		t.Errorf("pod securityContext %+v; want runAsNonRoot and the image's user %s", pod.Spec.SecurityContext, u)
	}
	a := pod.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != strconv.Itoa(int(ports["metrics"].ContainerPort)) || a["prometheus.io/path"] != "/metrics" {
		t.Errorf("scrape annotations %v do not point at /metrics on the metrics port", a)
	}

	// The ServiceMonitor scrapes the metrics port of exactly one Service.
	sm := monitors[0]
	smSel, err := metav1.LabelSelectorAsSelector(&sm.Spec.Selector)
	if err != nil {
		t.Fatal(err)
	}
	var picked []*corev1.Service
	for _, svc := range services {
		if smSel.Matches(labels.Set(svc.Labels)) {
			picked = append(picked, svc)
		}
	}
	if len(picked) != 1 {
		t.Fatalf("ServiceMonitor selects %d Services, want 1 (else every pod is scraped twice)", len(picked))
	}
	for _, ep := range sm.Spec.Endpoints {
		if !slices.ContainsFunc(picked[0].Spec.Ports, func(p corev1.ServicePort) bool { return p.Name == ep.Port }) || ep.Path != "/metrics" {
			t.Errorf("ServiceMonitor endpoint %q %q is not the metrics port of %s", ep.Port, ep.Path, picked[0].Name)
		}
	}
}

// checkEnv expands the container's environment as the kubelet would, with
// the given values for variables that come from the pod's fields, checks
// every CACHESRV_* variable against the server's settings, and returns the
// expanded values.
func checkEnv(t *testing.T, vars []corev1.EnvVar, fields map[string]string) map[string]string {
	t.Helper()
	env := map[string]string{}
	ref := regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)
	for _, v := range vars {
		if _, dup := env[v.Name]; dup {
			t.Errorf("%s set twice", v.Name)
		}
		value := v.Value
		switch {
		case v.ValueFrom != nil && v.ValueFrom.FieldRef != nil:
			f, ok := fields[v.Name]
			if !ok {
				t.Errorf("%s comes from %s, which this test has no value for", v.Name, v.ValueFrom.FieldRef.FieldPath)
			}
			value = f
		case v.ValueFrom != nil:
			env[v.Name] = ""
			continue // a Secret: no value to check
		default:
			value = ref.ReplaceAllStringFunc(v.Value, func(m string) string {
				name := ref.FindStringSubmatch(m)[1]
				got, ok := env[name]
				if !ok {
					t.Errorf("%s refers to $(%s), which is not defined before it", v.Name, name)
				}
				return got
			})
		}
		env[v.Name] = value
		if !strings.HasPrefix(v.Name, "CACHESRV_") {
			continue
		}
		s := settingForEnv(v.Name)
		if s == nil {
			t.Errorf("%s is not a cachesrv setting", v.Name)
			continue
		}
		if v.ValueFrom == nil {
			if err := s.Set(config.New(), value); err != nil {
				t.Errorf("%s=%q: the server refuses it: %v", v.Name, value, err)
			}
		}
	}
	return env
}

// settingForEnv returns the setting an environment variable sets, the way
// cmd/cachesrv maps them (CACHESRV_ + the name in upper snake case).
func settingForEnv(name string) *config.Setting {
	for _, s := range config.Settings {
		if "CACHESRV_"+strings.ToUpper(strings.ReplaceAll(s.Name, "-", "_")) == name {
			return s
		}
	}
	return nil
}

// imageUser returns the user id deploy/Dockerfile runs as.
func imageUser(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range bytes.Split(data, []byte("\n")) {
		if f := strings.Fields(string(line)); len(f) == 2 && f[0] == "USER" {
			return strings.SplitN(f[1], ":", 2)[0]
		}
	}
	t.Fatal("deploy/Dockerfile has no USER line")
	return ""
}
