package lint

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"scalelab/loadtest/manifest"
)

// TestCheckHelmTemplate: the findings on a multi-document file as `helm template` prints
// it: each container by its role, then each workload.
func TestCheckHelmTemplate(t *testing.T) {
	t.Parallel()
	m, err := manifest.Load(helmTemplate, nil)
	if err != nil {
		t.Fatal(err)
	}
	fs := Manifests(m, manifest.DefaultPropagation)
	failing := map[verdict]bool{
		{"deployment/shop-web", "envoy", "sidecar"}:        true, // no recognisable sleep
		{"deployment/shop-web", "envoy", "requests"}:       true,
		{"statefulset/shop-db", "postgres", "readiness"}:   true, // the liveness command
		{"statefulset/shop-db", "postgres", "propagation"}: true, // nothing declared
		{"statefulset/shop-db", "", "pdb"}:                 true,
	}
	containerRules := []string{"readiness", "startup", "propagation", "grace-period", "drain", "requests"}
	var want []verdict
	for _, r := range containerRules {
		want = append(want, verdict{"deployment/shop-web", "web", r})
	}
	for _, r := range []string{"sidecar", "grace-period", "drain", "requests"} {
		want = append(want, verdict{"deployment/shop-web", "envoy", r})
	}
	want = append(want, verdict{"deployment/shop-web", "", "pdb"}, verdict{"deployment/shop-web", "", "max-unavailable"})
	for _, r := range containerRules {
		want = append(want, verdict{"statefulset/shop-db", "postgres", r})
	}
	want = append(want, verdict{"statefulset/shop-db", "log-shipper", "sidecar"},
		verdict{"statefulset/shop-db", "", "pdb"}, verdict{"statefulset/shop-db", "", "max-unavailable"})
	var got []verdict
	for _, f := range fs {
		v := verdict{f.Object, f.Container, f.Rule}
		got = append(got, v)
		if f.OK == failing[v] {
			t.Errorf("%v: OK = %v (%s), want %v", v, f.OK, f.Detail, !failing[v])
		}
		if f.Why == "" || f.Detail == "" {
			t.Errorf("%v: empty why or detail", v)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings\n%v\nwant\n%v", got, want)
	}

	details := map[verdict]string{
		{"deployment/shop-web", "web", "propagation"}:       "preStop 0s + shutdown delay 5s = 5s ≥ propagation budget 3s",
		{"deployment/shop-web", "web", "grace-period"}:      "grace period 30s > preStop 0s + shutdown delay 5s + drain 10s",
		{"deployment/shop-web", "envoy", "sidecar"}:         `has port admin (9901): preStop 0s < web's preStop 0s + shutdown delay 5s = 5s (preStop exec ["/bin/sh" "-c" "curl`,
		{"statefulset/shop-db", "postgres", "propagation"}:  "no scalelab.dev/shutdown-delay: counted as 0",
		{"statefulset/shop-db", "postgres", "grace-period"}: "no scalelab.dev/drain-timeout: counted as 0",
		{"statefulset/shop-db", "", "max-unavailable"}:      "replaces 1 of 2 replicas at a time, leaving 1 serving",
	}
	roles := map[string]string{
		"web":         "serving: has port http (8080), a targetPort of Service shop-web",
		"envoy":       "sidecar: no port is a targetPort of Service shop-web",
		"postgres":    "serving: no Service here selects the pods and no container has a port: each is judged as serving",
		"log-shipper": "sidecar: a native sidecar (an init container with restartPolicy Always)",
		"":            "",
	}
	for _, f := range fs {
		if d, ok := details[verdict{f.Object, f.Container, f.Rule}]; ok && !strings.Contains(f.Detail, d) {
			t.Errorf("%s[%s] %s: detail %q lacks %q", f.Object, f.Container, f.Rule, f.Detail, d)
		}
		if f.Role != roles[f.Container] {
			t.Errorf("%s[%s] %s: role %q, want %q", f.Object, f.Container, f.Rule, f.Role, roles[f.Container])
		}
	}
	if Passed(fs) {
		t.Error("Passed = true with failing rules")
	}
}

// TestLoadStdin: the same file on the standard input gives the same findings.
func TestLoadStdin(t *testing.T) {
	t.Parallel()
	file, err := manifest.Load(helmTemplate, nil)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(helmTemplate)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stdin, err := manifest.Load(manifest.Stdin, f)
	if err != nil {
		t.Fatal(err)
	}
	if stdin.Source != manifest.Stdin {
		t.Errorf("Source = %q, want %q", stdin.Source, manifest.Stdin)
	}
	if a, b := Manifests(file, manifest.DefaultPropagation), Manifests(stdin, manifest.DefaultPropagation); !reflect.DeepEqual(a, b) {
		t.Errorf("stdin findings differ from the file's:\n%v\n%v", b, a)
	}
}

// TestLoadAgreesWithRender: check reads scalelab's overlays as the lab renders them, and
// judges them alike.
func TestLoadAgreesWithRender(t *testing.T) {
	t.Parallel()
	for _, root := range []string{"overlays", "fast"} {
		cfgs, err := manifest.RenderAll(filepath.Join("..", "..", "k8s", root))
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cfgs {
			m, err := manifest.Load(c.Dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if a, b := Check(c, manifest.DefaultPropagation), Manifests(m, manifest.DefaultPropagation); !reflect.DeepEqual(a, b) {
				t.Errorf("%s/%s: Load's findings differ from Render's:\n%v\n%v", root, c.Name, b, a)
			}
		}
	}
}

func TestReadinessHandlers(t *testing.T) {
	t.Parallel()
	grpc := func(port int32) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: port}}}
	}
	exec := func(cmd ...string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: cmd}}}
	}
	get := func(port intstr.IntOrString) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: port}}}
	}
	ports := []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}
	tests := []struct {
		name string
		ct   corev1.Container
		ok   bool
	}{
		{"gRPC", corev1.Container{ReadinessProbe: grpc(9000)}, true},
		{"gRPC as liveness", corev1.Container{ReadinessProbe: grpc(9000), LivenessProbe: grpc(9000)}, false},
		{"exec", corev1.Container{ReadinessProbe: exec("ready"), LivenessProbe: exec("alive")}, true},
		{"exec as liveness", corev1.Container{ReadinessProbe: exec("ready"), LivenessProbe: exec("ready")}, false},
		{"the liveness endpoint by port name", corev1.Container{Ports: ports, ReadinessProbe: get(intstr.FromString("http")), LivenessProbe: get(intstr.FromInt32(8080))}, false},
		{"no handler", corev1.Container{ReadinessProbe: &corev1.Probe{}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.ct.Name = "web"
			if f := checkReadiness(target(tt.ct, nil)); f.OK != tt.ok {
				t.Errorf("readiness OK = %v (%s), want %v", f.OK, f.Detail, tt.ok)
			}
		})
	}
}

func TestStatefulSetMaxUnavailable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		replicas int32
		unav     *intstr.IntOrString
		ok       bool
		detail   string
	}{
		{1, nil, false, "replaces 1 of 1 replicas at a time, leaving 0 serving"},
		{3, nil, true, "replaces 1 of 3 replicas at a time, leaving 2 serving"},
		{3, ptr.To(intstr.FromInt32(3)), false, "replaces 3 of 3 replicas at a time, leaving 0 serving"},
	}
	for _, tt := range tests {
		s := &appsv1.StatefulSet{}
		s.Name = "db"
		s.Spec.Replicas = ptr.To(tt.replicas)
		if tt.unav != nil {
			s.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{MaxUnavailable: tt.unav}
		}
		w, _ := manifest.WorkloadOf(s)
		f := checkMaxUnavailable(w)
		if f.OK != tt.ok || !strings.Contains(f.Detail, tt.detail) {
			t.Errorf("%d replicas, maxUnavailable %v: %v %q, want %v %q", tt.replicas, tt.unav, f.OK, f.Detail, tt.ok, tt.detail)
		}
	}
}

// TestCheckExecPreStop: the lab's refusal of an exec preStop does not apply to check,
// which counts the hook as no sleep.
func TestCheckExecPreStop(t *testing.T) {
	t.Parallel()
	m, err := manifest.Load(filepath.Join(testdata, "exec-prestop"), nil)
	if err != nil {
		t.Fatalf("the lab's refusal applies to check: %v", err)
	}
	for _, f := range Manifests(m, manifest.DefaultPropagation) {
		if f.Rule == "propagation" && !strings.Contains(f.Detail, `preStop exec ["/bin/sh" "-c" "kill -QUIT 1"] is not a recognisable sleep: counted as 0`) {
			t.Errorf("propagation detail %q does not say the hook counts as 0", f.Detail)
		}
	}
}
