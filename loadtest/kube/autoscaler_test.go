package kube

import (
	"context"
	"slices"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes/fake"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

func ptr[T any](v T) *T { return &v }

// hpa is an HPA on CPU utilisation of the requests, target 50 %, with the given readings
// (utilisation < 0: none yet).
func hpa(name string, utilisation, current, desired int32) *autoscalingv2.HorizontalPodAutoscaler {
	h := &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "hello"},
			MinReplicas:    ptr(int32(2)),
			MaxReplicas:    6,
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name:   corev1.ResourceCPU,
				Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(50))},
			}}},
		},
		Status: autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: current, DesiredReplicas: desired},
	}
	if utilisation >= 0 {
		h.Status.CurrentMetrics = []autoscalingv2.MetricStatus{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
			Name:    corev1.ResourceCPU,
			Current: autoscalingv2.MetricValueStatus{AverageUtilization: ptr(utilisation), AverageValue: ptr(resource.MustParse("42m"))},
		}}}
	}
	return h
}

func TestAutoscalerDetail(t *testing.T) {
	t.Parallel()
	unmeasured := hpa("hello", -1, 2, 2)
	unmeasured.Status.Conditions = []autoscalingv2.HorizontalPodAutoscalerCondition{
		{Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue, Reason: "SucceededGetScale"},
		{Type: autoscalingv2.ScalingActive, Status: corev1.ConditionFalse, Reason: "FailedGetResourceMetric"},
	}
	average := hpa("hello", 85, 3, 3)
	average.Spec.Metrics[0].Resource.Target = autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr(resource.MustParse("100m"))}
	container := hpa("hello", -1, 2, 2)
	container.Spec.Metrics = append(container.Spec.Metrics, autoscalingv2.MetricSpec{
		Type: autoscalingv2.ContainerResourceMetricSourceType,
		ContainerResource: &autoscalingv2.ContainerResourceMetricSource{Name: corev1.ResourceMemory, Container: "hello",
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(80))}},
	})
	container.Status.CurrentMetrics = []autoscalingv2.MetricStatus{{Type: autoscalingv2.ContainerResourceMetricSourceType,
		ContainerResource: &autoscalingv2.ContainerResourceMetricStatus{Name: corev1.ResourceMemory, Container: "hello",
			Current: autoscalingv2.MetricValueStatus{AverageUtilization: ptr(int32(40))}}}}
	for _, tc := range []struct {
		name string
		hpa  *autoscalingv2.HorizontalPodAutoscaler
		want string
	}{
		{"scaling up", hpa("hello", 85, 2, 4), "cpu 85% of 50%, 2 → 4 replicas"},
		{"steady", hpa("hello", 48, 4, 4), "cpu 48% of 50%, 4 → 4 replicas"},
		{"no metrics yet", unmeasured, "cpu ? of 50%, 2 → 2 replicas (FailedGetResourceMetric)"},
		{"average value", average, "cpu 42m of 100m, 3 → 3 replicas"},
		{"two metrics, one measured", container, "cpu ? of 50%, memory (hello) 40% of 80%, 2 → 2 replicas"},
	} {
		if got := autoscalerDetail(tc.hpa); got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

// hpaObject is the HPA as a configuration's rendered object.
func hpaObject(name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("autoscaling/v2")
	u.SetKind("HorizontalPodAutoscaler")
	u.SetName(name)
	return u
}

// autoscalerEvents waits until log holds n autoscaler events (or 5 s passed) and returns
// them as "name: detail".
func autoscalerEvents(log *result.Log, n int) []string {
	var got []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got = got[:0]
		for _, e := range log.Events() {
			if e.Kind == result.EventAutoscaler {
				got = append(got, e.Name+": "+e.Detail)
			}
		}
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
	}
}

// The configuration's HPA is followed through its status changes; another HPA of the
// namespace, and a status change that changes no reading, put nothing on the timeline
// (events arrive in order: an extra one would come before "gone").
func TestWatchAutoscalersPutsReadingsOnTheTimeline(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cs := fake.NewClientset(hpa("hello", -1, 2, 2), hpa("other", -1, 2, 2))
	c := &Cluster{ns: "default", cs: cs}
	log := result.NewLog(time.Now())
	c.Observe(log)
	stop := make(chan struct{})
	defer close(stop)
	if err := c.watchAutoscalers(&manifest.Config{Objects: []*unstructured.Unstructured{hpaObject("hello")}}, stop); err != nil {
		t.Fatal(err)
	}
	status := func(h *autoscalingv2.HorizontalPodAutoscaler) {
		t.Helper()
		if _, err := cs.AutoscalingV2().HorizontalPodAutoscalers("default").UpdateStatus(ctx, h, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	status(hpa("hello", 85, 2, 4))
	status(hpa("other", 99, 2, 6))
	rescaled := hpa("hello", 85, 2, 4)
	rescaled.Status.LastScaleTime = ptr(metav1.Now())
	status(rescaled)
	status(hpa("hello", 40, 4, 4))
	if err := cs.AutoscalingV2().HorizontalPodAutoscalers("default").Delete(ctx, "hello", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"hello: cpu ? of 50%, 2 → 2 replicas",
		"hello: cpu 85% of 50%, 2 → 4 replicas",
		"hello: cpu 40% of 50%, 4 → 4 replicas",
		"hello: gone",
	}
	if got := autoscalerEvents(log, len(want)); !slices.Equal(got, want) {
		t.Errorf("autoscaler events %q, want %q", got, want)
	}
}

// A configuration without an HPA starts no informer: nothing lists HPAs.
func TestWatchAutoscalersWithoutOneWatchesNothing(t *testing.T) {
	t.Parallel()
	cs := fake.NewClientset(hpa("hello", -1, 2, 2))
	c := &Cluster{ns: "default", cs: cs}
	stop := make(chan struct{})
	defer close(stop)
	if err := c.watchAutoscalers(&manifest.Config{}, stop); err != nil {
		t.Fatal(err)
	}
	if a := cs.Actions(); len(a) != 0 {
		t.Errorf("actions %v, want none", a)
	}
}
