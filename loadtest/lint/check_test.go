package lint

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"

	"scalelab/loadtest/manifest"
)

// verdicts maps a rule to whether it passes; rules not listed must pass.
type verdicts map[string]bool

func TestCheckOverlays(t *testing.T) {
	t.Parallel()
	shutdownRules := verdicts{"propagation": false, "grace-period": false, "pdb": false, "max-unavailable": false}
	tests := []struct {
		name string
		fail verdicts
	}{
		{"naive", verdicts{"readiness": false, "startup": false, "propagation": false, "grace-period": false, "pdb": false, "max-unavailable": false}},
		{"probes", shutdownRules},
		{"graceful", nil},
		{"prestop-sleep", nil},
	}
	for _, root := range []string{"overlays", "fast"} {
		for _, tt := range tests {
			t.Run(root+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				c, err := manifest.Render(filepath.Join("..", "..", "k8s", root, tt.name))
				if err != nil {
					t.Fatal(err)
				}
				fs := Check(c, manifest.DefaultPropagation)
				for _, f := range fs {
					want, listed := tt.fail[f.Rule]
					if f.OK != (want || !listed) {
						t.Errorf("rule %s: OK = %v (%s), want %v", f.Rule, f.OK, f.Detail, want || !listed)
					}
					if f.Why == "" || f.Detail == "" {
						t.Errorf("rule %s: empty why or detail: %+v", f.Rule, f)
					}
				}
				if got, want := Passed(fs), len(tt.fail) == 0; got != want {
					t.Errorf("Passed = %v, want %v", got, want)
				}
			})
		}
	}
}

// TestCheckPropagationBudget: a larger budget than the overlay's shutdown delay fails it.
func TestCheckPropagationBudget(t *testing.T) {
	t.Parallel()
	c, err := manifest.Render(filepath.Join(overlays, "graceful"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		budget time.Duration
		ok     bool
	}{{5 * time.Second, true}, {5*time.Second + time.Millisecond, false}} {
		if f := Check(c, tt.budget)[2]; f.Rule != "propagation" || f.OK != tt.ok {
			t.Errorf("budget %s: %+v, want OK %v", tt.budget, f, tt.ok)
		}
	}
}

func TestCheckRules(t *testing.T) {
	t.Parallel()
	get := func(path string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(8080)}}}
	}
	tcp := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}}
	late := get("/livez")
	late.InitialDelaySeconds = 30
	tests := []struct {
		name string
		ct   corev1.Container
		rule string
		ok   bool
	}{
		{"readiness on the liveness endpoint", corev1.Container{ReadinessProbe: get("/livez"), LivenessProbe: get("/livez")}, "readiness", false},
		{"tcp readiness", corev1.Container{ReadinessProbe: tcp}, "readiness", false},
		{"distinct readiness", corev1.Container{ReadinessProbe: get("/readyz"), LivenessProbe: get("/livez")}, "readiness", true},
		{"liveness kills a slow start", corev1.Container{Args: []string{"--startup-delay=25s"}, ReadinessProbe: get("/readyz"), LivenessProbe: get("/livez")}, "startup", false},
		{"liveness waits for the start", corev1.Container{Args: []string{"--startup-delay=25s"}, ReadinessProbe: get("/readyz"), LivenessProbe: late}, "startup", true},
		{"readiness alone gates the start", corev1.Container{Args: []string{"--startup-delay=25s"}, ReadinessProbe: get("/readyz")}, "startup", true},
		{"httpGet preStop counts as nothing", corev1.Container{Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/x", Port: intstr.FromInt32(8080)}}}}, "propagation", false},
		{"exec sleep plus shutdown delay", corev1.Container{Args: []string{"--shutdown-delay=2s"}, Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sleep", "1"}}}}}, "propagation", true},
		{"default drain fills the default grace period", corev1.Container{}, "grace-period", false},
		{"drain shorter than a request", corev1.Container{Args: []string{"--request-delay=5s", "--drain-timeout=1s"}}, "drain", false},
		{"no memory request", corev1.Container{Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")}}}, "requests", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := config(tt.ct, appsv1.DeploymentSpec{})
			for _, f := range Check(c, manifest.DefaultPropagation) {
				if f.Rule == tt.rule && f.OK != tt.ok {
					t.Errorf("rule %s: OK = %v (%s), want %v", f.Rule, f.OK, f.Detail, tt.ok)
				}
			}
		})
	}
}

// The pdb rule: a budget must keep some pods serving through a drain and let at least one go.
func TestCheckPDB(t *testing.T) {
	t.Parallel()
	i, pc := intstr.FromInt32, intstr.FromString
	tests := []struct {
		name     string
		replicas int32
		pdb      *policyv1.PodDisruptionBudget
		ok       bool
		detail   string
	}{
		{"none", 3, nil, false, "lets every one go at once"},
		{"maxUnavailable 1", 3, pdb("max", i(1)), true, "lets 1 of 3 pods be evicted at a time, 2 keep serving"},
		{"minAvailable 50%", 4, pdb("min", pc("50%")), true, "lets 2 of 4"},
		{"maxUnavailable 100%", 3, pdb("max", pc("100%")), false, "lets every pod be evicted at once (3 of 3)"},
		{"minAvailable 0", 3, pdb("min", i(0)), false, "lets every pod be evicted at once (3 of 3)"},
		{"minAvailable all", 3, pdb("min", i(3)), false, "a drain waits forever"},
		{"one replica", 1, pdb("max", i(1)), false, "lets every pod be evicted at once (1 of 1)"},
		{"invalid", 3, pdb("max", i(-1)), false, "maxUnavailable"},
	}
	for _, tt := range tests {
		c := config(corev1.Container{}, appsv1.DeploymentSpec{Replicas: &tt.replicas})
		c.PDB = tt.pdb
		for _, f := range Check(c, manifest.DefaultPropagation) {
			if f.Rule == "pdb" && (f.OK != tt.ok || !strings.Contains(f.Detail, tt.detail)) {
				t.Errorf("%s: OK = %v (%s), want %v and %q", tt.name, f.OK, f.Detail, tt.ok, tt.detail)
			}
		}
	}
}
