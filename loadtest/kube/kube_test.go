package kube

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

func pod(name string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"app": "hello"}}}
	for _, m := range mutate {
		m(p)
	}
	return p
}

func ready(b bool) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		st := corev1.ConditionFalse
		if b {
			st = corev1.ConditionTrue
		}
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}
	}
}

func containerState(s corev1.ContainerState, restarts int32) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "hello", State: s, RestartCount: restarts}}
	}
}

// pending is the scheduler's verdict on a pod no node would take (a cordoned one's replacement).
func pending(p *corev1.Pod) {
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable})
}

func deleting(p *corev1.Pod) {
	now := metav1.Now()
	grace := int64(40)
	p.DeletionTimestamp, p.DeletionGracePeriodSeconds = &now, &grace
}

func TestPodTransitions(t *testing.T) {
	t.Parallel()
	running := corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}
	killed := corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "Error"}}
	tests := []struct {
		name     string
		old, new *corev1.Pod
		want     []string
		marks    map[string]int // what the matrix counts
	}{
		{"new", nil, pod("a"), []string{"a created"}, nil},
		{"started", pod("a"), pod("a", containerState(running, 0)), []string{"a container started"}, nil},
		{"ready", pod("a", ready(false)), pod("a", ready(true)), []string{"a ready"}, nil},
		{"deleted", pod("a", ready(true)), pod("a", ready(true), deleting), []string{"a deletion requested (grace 40s): preStop, then SIGTERM"}, nil},
		{"not ready", pod("a", ready(true), deleting), pod("a", ready(false), deleting), []string{"a not ready"}, nil},
		{"killed", pod("a", containerState(running, 0)), pod("a", containerState(killed, 0)), []string{"a container exited 137 (Error)"}, map[string]int{result.MarkKill: 1}},
		{"exited", pod("a", containerState(running, 0)), pod("a", containerState(corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}}, 0)), []string{"a container exited 0 (Completed)"}, nil},
		{"liveness restart", pod("a", containerState(running, 0)), pod("a", containerState(running, 1)), []string{"a container restarted (1 restarts)"}, map[string]int{result.MarkRestart: 1}},
		{"nothing", pod("a", ready(true)), pod("a", ready(true)), nil, nil},
		{"no node", pod("a"), pod("a", pending), []string{"a pending: no node"}, nil},
		{"scheduled", pod("a", pending), pod("a", onNode("w2")), []string{"a scheduled to w2"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			marks := map[string]int{}
			for _, tr := range podTransitions("hello", tt.old, tt.new) {
				got = append(got, tr.name)
				if tr.mark != "" {
					marks[tr.mark]++
				}
			}
			if !slices.Equal(got, tt.want) || !maps.Equal(marks, tt.marks) {
				t.Errorf("got %q marked %v, want %q marked %v", got, marks, tt.want, tt.marks)
			}
		})
	}
}

func slice(eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{Endpoints: eps}
}

func endpoint(podName string, ready, serving, terminating bool) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{
		Addresses:  []string{"10.244.0.9"},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: podName},
		Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &serving, Terminating: &terminating},
	}
}

func TestEndpointTransitions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		old, new *discoveryv1.EndpointSlice
		want     []string
	}{
		{"added", slice(), slice(endpoint("a", true, true, false)), []string{"a endpoint added (ready)"}},
		{"terminating", slice(endpoint("a", true, true, false)), slice(endpoint("a", false, true, true)), []string{"a endpoint not ready, serving, terminating"}},
		{"removed", slice(endpoint("a", true, true, false), endpoint("b", true, true, false)), slice(endpoint("b", true, true, false)), []string{"a endpoint removed"}},
		{"slice gone", slice(endpoint("a", true, true, false)), nil, []string{"a endpoint removed"}},
		{"same", slice(endpoint("a", true, true, false)), slice(endpoint("a", true, true, false)), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, tr := range endpointTransitions(tt.old, tt.new) {
				got = append(got, tr.name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// fakeCluster is a Cluster over client-go's fake clientset holding one Deployment and its pods.
func fakeCluster(t *testing.T, pods ...*corev1.Pod) (*Cluster, *fake.Clientset, *bytes.Buffer) {
	t.Helper()
	replicas := int32(3)
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "default", Generation: 1},
		Spec:       appsv1.DeploymentSpec{Replicas: &replicas, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "hello"}}},
		Status:     appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 3},
	}
	objs := []runtime.Object{d}
	for _, p := range pods {
		objs = append(objs, p)
	}
	cs := fake.NewClientset(objs...)
	out := &bytes.Buffer{}
	c := &Cluster{opts: Options{Out: out}, ns: "default", cs: cs, cfg: &manifest.Config{Deployment: d}}
	return c, cs, out
}

func TestRestartPatchesTheAnnotationLikeKubectl(t *testing.T) {
	t.Parallel()
	c, cs, out := fakeCluster(t)
	log := result.NewLog(time.Now())
	c.Observe(log)
	if err := c.Restart(context.Background()); err != nil {
		t.Fatal(err)
	}
	d, _ := cs.AppsV1().Deployments("default").Get(context.Background(), "hello", metav1.GetOptions{})
	at, err := time.Parse(time.RFC3339, d.Spec.Template.Annotations[RestartedAt])
	if err != nil || time.Since(at) > time.Minute {
		t.Errorf("restartedAt %q: want an RFC 3339 time of now", d.Spec.Template.Annotations[RestartedAt])
	}
	if want := "$ kubectl rollout restart deployment/hello -n default\n"; out.String() != want {
		t.Errorf("printed %q, want %q", out.String(), want)
	}
	if ev := log.Events(); len(ev) != 1 || ev[0].Kind != result.EventAction || ev[0].Name != "rollout restart" {
		t.Errorf("events %+v, want one rollout restart action", ev)
	}
}

func TestDeletePodTakesTheOldestRunning(t *testing.T) {
	t.Parallel()
	older := pod("old", func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(time.Now().Add(-time.Hour)) })
	oldest := pod("oldest-but-terminating", deleting, func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(time.Now().Add(-2 * time.Hour)) })
	newer := pod("new", func(p *corev1.Pod) { p.CreationTimestamp = metav1.Now() })
	c, cs, out := fakeCluster(t, older, oldest, newer)
	log := result.NewLog(time.Now())
	c.Observe(log)
	name, err := c.DeletePod(context.Background())
	if err != nil || name != "old" {
		t.Fatalf("deleted %q (%v), want old", name, err)
	}
	if ev := log.Events(); len(ev) != 1 || ev[0].Kind != result.EventAction || ev[0].Name != "delete pod old" || ev[0].Pod != "old" {
		t.Errorf("events %+v, want the action naming pod old, as the lab's does", ev)
	}
	if _, err := cs.CoreV1().Pods("default").Get(context.Background(), "old", metav1.GetOptions{}); err == nil {
		t.Error("pod old still exists")
	}
	if !strings.Contains(out.String(), "kubectl delete pod old -n default") {
		t.Errorf("printed %q", out.String())
	}
}

// Pods are the workload's pods not terminating, each with its Ready condition.
func TestPods(t *testing.T) {
	t.Parallel()
	c, _, _ := fakeCluster(t, pod("a", ready(true)), pod("b", ready(false)), pod("c", ready(true), deleting))
	got, err := c.Pods(context.Background())
	if err != nil || len(got) != 2 || !got["a"] || got["b"] {
		t.Errorf("pods %v, %v; want a ready, b not, c left out", got, err)
	}
}

func TestUnsettled(t *testing.T) {
	t.Parallel()
	c, cs, _ := fakeCluster(t, pod("a"), pod("b", deleting))
	ctx := context.Background()
	if why, err := c.unsettled(ctx); err != nil || why != "pod b terminating" {
		t.Errorf("unsettled = %q, %v; want pod b terminating", why, err)
	}
	cs.CoreV1().Pods("default").Delete(ctx, "b", metav1.DeleteOptions{})
	if why, err := c.unsettled(ctx); err != nil || why != "" {
		t.Errorf("unsettled = %q, %v; want settled", why, err)
	}
	d, _ := cs.AppsV1().Deployments("default").Get(ctx, "hello", metav1.GetOptions{})
	d.Status.Replicas = 4 // one old replica left
	cs.AppsV1().Deployments("default").UpdateStatus(ctx, d, metav1.UpdateOptions{})
	if why, _ := c.unsettled(ctx); why != "1 old replicas pending termination" {
		t.Errorf("unsettled = %q", why)
	}
}

// Update rolls the running Deployment to a new template; another Deployment, or nothing
// deployed yet, is a Deploy's job.
func TestUpdateRefusesAnotherDeployment(t *testing.T) {
	t.Parallel()
	named := func(deployment, service string) *manifest.Config {
		d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: deployment}}
		return &manifest.Config{Name: deployment, Deployment: d, Service: &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: service}}}
	}
	for _, tc := range []struct {
		name    string
		running *manifest.Config
	}{{"nothing deployed", nil}, {"another Deployment", named("other", "hello")}, {"another Service", named("hello", "other")}} {
		c := &Cluster{opts: Options{Out: &bytes.Buffer{}}, ns: "default", cfg: tc.running}
		if err := c.Update(t.Context(), named("hello", "hello")); err == nil || !strings.Contains(err.Error(), "deploy it instead") {
			t.Errorf("%s: err %v, want a refusal", tc.name, err)
		}
	}
}
