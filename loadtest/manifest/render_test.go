package manifest

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"scalelab/loadtest/result"
)

// overlays is the repository's own overlay root.
var overlays = filepath.Join("..", "..", "k8s", "overlays")

func TestRenderOverlays(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		promise       result.Promise
		surge, unav   int32
		grace         time.Duration
		preStop       PreStop
		shutdownDelay time.Duration
		drain         time.Duration
		pdb           bool
		readiness     bool
	}{
		{name: "naive", promise: result.PromiseNothing, surge: 1, unav: 1, grace: 30 * time.Second},
		{name: "probes", promise: result.PromiseScaleUp, surge: 1, unav: 1, grace: 30 * time.Second, readiness: true},
		{name: "graceful", promise: result.PromiseZero, surge: 1, unav: 0, grace: 20 * time.Second,
			shutdownDelay: 5 * time.Second, drain: 10 * time.Second, pdb: true, readiness: true},
		{name: "prestop-sleep", promise: result.PromiseZero, surge: 1, unav: 0, grace: 20 * time.Second,
			preStop: PreStop{Kind: PreStopSleep, Sleep: 5 * time.Second}, drain: 10 * time.Second, pdb: true, readiness: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Render(filepath.Join(overlays, tt.name))
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != tt.name || c.Dir != filepath.Join(overlays, tt.name) || c.Promise != tt.promise {
				t.Errorf("name, promise = %s, %s; want %s, %s", c.Name, c.Promise, tt.name, tt.promise)
			}
			if c.Replicas() != 3 {
				t.Errorf("Replicas() = %d, want 3", c.Replicas())
			}
			if s, u := c.Strategy(); s != tt.surge || u != tt.unav {
				t.Errorf("Strategy() = %d, %d; want %d, %d", s, u, tt.surge, tt.unav)
			}
			if g := c.GracePeriod(); g != tt.grace {
				t.Errorf("GracePeriod() = %s, want %s", g, tt.grace)
			}
			if p, err := c.PreStop(); err != nil || p != tt.preStop {
				t.Errorf("PreStop() = %+v, %v; want %+v", p, err, tt.preStop)
			}
			for flag, want := range map[string]time.Duration{
				"startup-delay": 25 * time.Second, "request-delay": 5 * time.Second,
				"shutdown-delay": tt.shutdownDelay, "drain-timeout": tt.drain,
			} {
				if d, err := c.HelloDuration(flag); err != nil || d != want {
					t.Errorf("HelloDuration(%q) = %s, %v; want %s", flag, d, err, want)
				}
			}
			if (c.PDB != nil) != tt.pdb {
				t.Errorf("PDB = %v, want present %v", c.PDB, tt.pdb)
			}
			if (c.Container.ReadinessProbe != nil) != tt.readiness {
				t.Errorf("readiness probe = %v, want present %v", c.Container.ReadinessProbe, tt.readiness)
			}
			if c.Service == nil || c.Ingress == nil || c.Ingress.Spec.IngressClassName == nil || *c.Ingress.Spec.IngressClassName != "skipper" {
				t.Errorf("want the hello Service and a skipper Ingress, got %v, %v", c.Service, c.Ingress)
			}
			if !slices.ContainsFunc(c.Container.Env, func(e corev1.EnvVar) bool {
				return e.Name == "POD_NAME" && e.ValueFrom != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.name"
			}) {
				t.Error("POD_NAME does not come from the downward API")
			}
		})
	}
}

func TestRenderAllOrder(t *testing.T) {
	t.Parallel()
	cs, err := RenderAll(overlays)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	want := []string{"naive", "probes", "graceful", "prestop-sleep"}
	if !slices.Equal(names[:min(len(names), len(want))], want) {
		t.Errorf("RenderAll order = %v, want it to start with %v", names, want)
	}
}

func TestRenderRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct{ dir, want string }{
		{"no-hello", `no container named "hello"`},
		{"exec-probe", "spec.template.spec.containers[hello].livenessProbe: exec probes are not supported by the lab"},
		{"exec-prestop", "spec.template.spec.containers[hello].lifecycle.preStop.exec.command"},
		{"bad-promise", `unknown promise "everything"`},
		{"no-service", "no Service selects the pods"},
		{"annotated", "spec.template.metadata.annotations[scalelab.dev/shutdown-delay] of Deployment hello: the lab's hello reads its flags"},
		{"does-not-exist", "does-not-exist"},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			t.Parallel()
			_, err := Render(filepath.Join("testdata", tt.dir))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Render(%s) error = %v, want it to contain %q", tt.dir, err, tt.want)
			}
		})
	}
}

// TestFastSet checks that k8s/fast holds the same configurations as k8s/overlays, with the
// same promises and only the timings changed.
func TestFastSet(t *testing.T) {
	t.Parallel()
	slow, err := RenderAll(overlays)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := RenderAll(filepath.Join("..", "..", "k8s", "fast"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fast) != len(slow) {
		t.Fatalf("k8s/fast has %d configurations, k8s/overlays %d", len(fast), len(slow))
	}
	for i, f := range fast {
		s := slow[i]
		if f.Name != s.Name || f.Promise != s.Promise {
			t.Errorf("fast[%d] = %s (%s), want %s (%s)", i, f.Name, f.Promise, s.Name, s.Promise)
		}
		for flag, want := range map[string]time.Duration{"startup-delay": 5 * time.Second, "request-delay": 300 * time.Millisecond} {
			if d, err := f.HelloDuration(flag); err != nil || d != want {
				t.Errorf("%s: HelloDuration(%q) = %s, %v; want %s", f.Name, flag, d, err, want)
			}
		}
		// A startup shorter than the proxies' propagation hides the scale-up lesson on a real
		// cluster: the endpoint would often reach the ingress after hello already listens.
		if d, _ := f.HelloDuration("startup-delay"); d <= DefaultPropagation {
			t.Errorf("%s: fast startup %s is not longer than the propagation budget %s", f.Name, d, DefaultPropagation)
		}
		if f.GracePeriod() > s.GracePeriod() {
			t.Errorf("%s: fast grace period %s is longer than %s", f.Name, f.GracePeriod(), s.GracePeriod())
		}
		if (f.PDB != nil) != (s.PDB != nil) || (f.Container.ReadinessProbe != nil) != (s.Container.ReadinessProbe != nil) {
			t.Errorf("%s: the fast set changes more than the timings", f.Name)
		}
		fs, fu := f.Strategy()
		ss, su := s.Strategy()
		if fs != ss || fu != su {
			t.Errorf("%s: fast strategy %d/%d, want %d/%d", f.Name, fs, fu, ss, su)
		}
	}
}

// Every client deep-copies what it sends; kyaml's Go ints once made that panic.
func TestRenderedObjectsDeepCopy(t *testing.T) {
	t.Parallel()
	c, err := Render("../../k8s/fast/graceful")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range c.Objects {
		if cp := o.DeepCopy(); cp.GetName() != o.GetName() {
			t.Errorf("%s %s: deep copy lost its name", o.GetKind(), o.GetName())
		}
	}
}

func TestWithReplicasCopies(t *testing.T) {
	t.Parallel()
	c, err := Render("../../k8s/overlays/graceful")
	if err != nil {
		t.Fatal(err)
	}
	one, err := c.WithReplicas(1)
	if err != nil {
		t.Fatal(err)
	}
	if one.Replicas() != 1 || c.Replicas() != 3 {
		t.Errorf("replicas %d (copy) and %d (original), want 1 and 3", one.Replicas(), c.Replicas())
	}
	for _, u := range one.Objects {
		if u.GetKind() == KindDeployment {
			if n, _, _ := unstructured.NestedInt64(u.Object, "spec", "replicas"); n != 1 {
				t.Errorf("the object applied asks for %d replicas", n)
			}
		}
	}
	if one.Name != c.Name || one.Dir != c.Dir || one.Promise != c.Promise || (one.PDB == nil) != (c.PDB == nil) || one.Service.Name != c.Service.Name {
		t.Errorf("the copy is another configuration: %+v", one)
	}
	if same, _ := c.WithReplicas(3); same != c {
		t.Error("WithReplicas of the configuration's own count made a copy")
	}
}
