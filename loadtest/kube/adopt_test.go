package kube

import (
	"bytes"
	"context"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// someonesWorkloads is a namespace of a user's: a Deployment and a StatefulSet scalelab
// did not deploy, containers not named hello, a Service selecting the Deployment's pods.
func someonesWorkloads(t *testing.T) (*fake.Clientset, *bytes.Buffer, func(workload string) *Cluster) {
	t.Helper()
	three, two := int32(3), int32(2)
	labels := map[string]string{"app.kubernetes.io/name": "web"}
	template := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "envoy", Image: "envoy"},
			{Name: "web", Image: "web", ReadinessProbe: &corev1.Probe{}},
		}},
	}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop", Generation: 1},
		Spec:       appsv1.DeploymentSpec{Replicas: &three, Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: template},
		Status:     appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3},
	}
	dbLabels := map[string]string{"app.kubernetes.io/name": "db"}
	s := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "db", Namespace: "shop", Generation: 1},
		Spec: appsv1.StatefulSetSpec{Replicas: &two, Selector: &metav1.LabelSelector{MatchLabels: dbLabels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: dbLabels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "postgres"}}}}},
		Status: appsv1.StatefulSetStatus{ObservedGeneration: 1, Replicas: 2, ReadyReplicas: 2, UpdatedReplicas: 2,
			CurrentRevision: "r1", UpdateRevision: "r1"},
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
		Spec: corev1.ServiceSpec{Selector: labels}}
	cs := fake.NewClientset(d, s, svc)
	scaleSubresource(cs)
	out := &bytes.Buffer{}
	return cs, out, func(workload string) *Cluster {
		return &Cluster{opts: Options{Out: out, Workload: workload}, ns: "shop", cs: cs}
	}
}

func TestAdoptReadsTheRunningWorkload(t *testing.T) {
	t.Parallel()
	_, _, cluster := someonesWorkloads(t)
	cfg, err := cluster("deployment/web").Adopt(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name != "web" || cfg.Replicas() != 3 || cfg.Container.Name != "envoy" || cfg.Service == nil ||
		cfg.Service.Name != "web" || cfg.Promise != result.PromiseZero || cfg.Workload.Kind != manifest.KindDeployment {
		t.Errorf("adopted %+v", cfg)
	}
	c := cluster("deploy/web")
	c.opts.Container = "web"
	if cfg, err := c.Adopt(t.Context()); err != nil || cfg.Container.Name != "web" {
		t.Errorf("--container web: %v, %v", cfg, err)
	}
	for ref, want := range map[string]string{
		"deployment/gone": `deployment gone in shop`,
		"web":             "want deployment/NAME or statefulset/NAME",
		"daemonset/web":   `kind "daemonset"`,
	} {
		if _, err := cluster(ref).Adopt(t.Context()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err %v, want %q", ref, err, want)
		}
	}
	c = cluster("deployment/web")
	c.opts.Container = "sidecar"
	if _, err := c.Adopt(t.Context()); err == nil || !strings.Contains(err.Error(), `no container "sidecar"`) {
		t.Errorf("--container sidecar: %v", err)
	}
}

// A scenario scales what runs; Close puts back the replica count found, even when the
// context of the run is gone (Ctrl-C), and says what it did.
func TestCloseRestoresTheReplicasFound(t *testing.T) {
	t.Parallel()
	for _, ref := range []string{"deployment/web", "statefulset/db"} {
		t.Run(ref, func(t *testing.T) {
			cs, out, cluster := someonesWorkloads(t)
			c := cluster(ref)
			cfg, err := c.Adopt(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			c.cfg = cfg
			found := cfg.Replicas()
			ctx, cancel := context.WithCancel(t.Context())
			if err := c.Scale(ctx, 1); err != nil {
				t.Fatal(err)
			}
			if err := c.Restart(ctx); err != nil {
				t.Fatal(err)
			}
			cancel() // Ctrl-C
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			w, err := c.get(t.Context(), cfg.Workload.Kind, cfg.Name)
			if err != nil {
				t.Fatal(err)
			}
			if w.Replicas() != found || w.Template.Annotations[RestartedAt] == "" {
				t.Errorf("after Close: %d replicas, restartedAt %q; want %d and the restart's mark",
					w.Replicas(), w.Template.Annotations[RestartedAt], found)
			}
			for _, cmd := range []string{"kubectl scale " + ref + " --replicas=1 -n shop", "kubectl rollout restart " + ref,
				"kubectl scale " + ref + " --replicas=" + string(rune('0'+found)) + " -n shop"} {
				if !strings.Contains(out.String(), cmd) {
					t.Errorf("printed %q, want %q", out.String(), cmd)
				}
			}
			_ = cs
		})
	}
}

// Anything but the replicas and the restart's annotation is the user's: a change to it
// while scalelab acted is reported, never put back.
func TestCloseReportsAChangedSpec(t *testing.T) {
	t.Parallel()
	cs, _, cluster := someonesWorkloads(t)
	c := cluster("deployment/web")
	cfg, err := c.Adopt(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c.cfg = cfg
	d, _ := cs.AppsV1().Deployments("shop").Get(t.Context(), "web", metav1.GetOptions{})
	d.Spec.Template.Spec.Containers[1].Image = "web:v2"
	if _, err := cs.AppsV1().Deployments("shop").Update(t.Context(), d, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := c.Close(); err == nil || !strings.Contains(err.Error(), "spec changed") {
		t.Errorf("Close: %v, want the changed spec reported", err)
	}
}

func TestAnAdoptedWorkloadIsNeverApplied(t *testing.T) {
	t.Parallel()
	_, _, cluster := someonesWorkloads(t)
	c := cluster("deployment/web")
	cfg, err := c.Adopt(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c.cfg = cfg
	if err := c.Update(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "never applied") {
		t.Errorf("Update: %v, want a refusal", err)
	}
}

func TestRolloutPendingOfAStatefulSet(t *testing.T) {
	t.Parallel()
	two := int32(2)
	sts := func(mutate func(*appsv1.StatefulSet)) *manifest.Workload {
		s := &appsv1.StatefulSet{ObjectMeta: metav1.ObjectMeta{Generation: 2}, Spec: appsv1.StatefulSetSpec{Replicas: &two},
			Status: appsv1.StatefulSetStatus{ObservedGeneration: 2, Replicas: 2, ReadyReplicas: 2, UpdatedReplicas: 2,
				CurrentRevision: "r2", UpdateRevision: "r2"}}
		mutate(s)
		w, _ := manifest.WorkloadOf(s)
		return w
	}
	for want, w := range map[string]*manifest.Workload{
		"":                                 sts(func(*appsv1.StatefulSet) {}),
		"the new spec is not observed yet": sts(func(s *appsv1.StatefulSet) { s.Status.ObservedGeneration = 1 }),
		"1 of 2 replicas ready":            sts(func(s *appsv1.StatefulSet) { s.Status.ReadyReplicas = 1 }),
		"1 of 2 replicas updated": sts(func(s *appsv1.StatefulSet) {
			s.Status.UpdatedReplicas, s.Status.CurrentRevision = 1, "r1"
		}),
	} {
		if got := rolloutPending(w); got != want {
			t.Errorf("rolloutPending = %q, want %q", got, want)
		}
	}
}

// scaleSubresource serves the scale subresource of Deployments and StatefulSets from the
// fake clientset's objects, as the API server does; the fake has no subresources.
func scaleSubresource(cs *fake.Clientset) {
	for _, resource := range []string{"deployments", "statefulsets"} {
		replicas := func(ns, name string) (*int32, func() error, error) {
			if resource == "deployments" {
				d, err := cs.Tracker().Get(appsv1.SchemeGroupVersion.WithResource(resource), ns, name)
				if err != nil {
					return nil, nil, err
				}
				o := d.(*appsv1.Deployment)
				return o.Spec.Replicas, func() error { return cs.Tracker().Update(appsv1.SchemeGroupVersion.WithResource(resource), o, ns) }, nil
			}
			st, err := cs.Tracker().Get(appsv1.SchemeGroupVersion.WithResource(resource), ns, name)
			if err != nil {
				return nil, nil, err
			}
			o := st.(*appsv1.StatefulSet)
			return o.Spec.Replicas, func() error { return cs.Tracker().Update(appsv1.SchemeGroupVersion.WithResource(resource), o, ns) }, nil
		}
		cs.PrependReactor("get", resource, func(a k8stesting.Action) (bool, runtime.Object, error) {
			g := a.(k8stesting.GetAction)
			if g.GetSubresource() != "scale" {
				return false, nil, nil
			}
			r, _, err := replicas(g.GetNamespace(), g.GetName())
			if err != nil {
				return true, nil, err
			}
			return true, &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: g.GetName(), Namespace: g.GetNamespace()},
				Spec: autoscalingv1.ScaleSpec{Replicas: *r}}, nil
		})
		cs.PrependReactor("update", resource, func(a k8stesting.Action) (bool, runtime.Object, error) {
			u := a.(k8stesting.UpdateAction)
			if u.GetSubresource() != "scale" {
				return false, nil, nil
			}
			sc := u.GetObject().(*autoscalingv1.Scale)
			r, save, err := replicas(u.GetNamespace(), sc.Name)
			if err != nil {
				return true, nil, err
			}
			*r = sc.Spec.Replicas
			return true, sc, save()
		})
	}
}
