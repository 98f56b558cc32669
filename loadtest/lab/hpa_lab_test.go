//go:build linux

package lab_test

import (
	"context"
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"

	"scalelab/internal/testbin"
	"scalelab/loadtest/lab"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// withHPA gives cfg's container a cpu request of milli millicores and cfg an HPA at target
// percent, lo to hi replicas, scaling down after a 2 s window.
func withHPA(t *testing.T, cfg *manifest.Config, milli int64, target, lo, hi int32) *manifest.Config {
	t.Helper()
	cfg.Container.Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: *resource.NewMilliQuantity(milli, resource.DecimalSI)}
	h := &autoscalingv2.HorizontalPodAutoscaler{}
	h.Name = "hello"
	h.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: cfg.Deployment.Name}
	h.Spec.MinReplicas, h.Spec.MaxReplicas = &lo, hi
	h.Spec.Metrics = []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &target}}}}
	h.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](2)}}
	a, err := manifest.NewAutoscaler(h, cfg.Owner(), cfg.Container)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Autoscaler = a
	return cfg
}

// The HPA scales a pod under CPU load up to its maximum and back to its minimum once the
// load stops, reading hello's own CPU time: 10 requests a second of 5 ms each are 50m, ten
// times the 5m a pod of 10m should use at 50 %.
func TestAutoscalerScalesUpAndDown(t *testing.T) {
	t.Parallel()
	l, err := lab.New(lab.Options{Hello: hello(t), PropagationDelay: 200 * time.Millisecond, LogDir: t.TempDir(),
		AutoscalerSync: time.Second, MetricsResolution: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	log := result.NewLog(time.Now())
	l.Observe(log)
	cfg := withHPA(t, config("hpa", 1, []string{"--request-cpu=5ms"}), 10, 50, 1, 3)
	deploy(t, l, cfg)
	status := func() (int32, int32) {
		cur, des, err := l.Autoscaling(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return cur, des
	}

	target, _ := l.Target(result.ViaService)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		client := newClient()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for range int(testbin.Patience / (100 * time.Millisecond)) { // bounded; stop ends it long before
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			if resp, err := client.Get(target); err == nil {
				resp.Body.Close()
			}
		}
	}()
	eventually(t, "the HPA scales to its maximum, 3", func() bool { c, d := status(); return c == 3 && d == 3 })
	close(stop)
	<-done
	eventually(t, "the HPA scales back to its minimum, 1", func() bool { c, d := status(); return c == 1 && d == 1 })
	settle(t, l)

	var up, down bool
	for _, e := range names(log, result.EventAutoscaler, "hello") {
		up = up || strings.Contains(e.Detail, "1 → 3 replicas") && strings.HasPrefix(e.Detail, "cpu ")
		// Down in one step or two: a pod still busy with the last requests may hold one back.
		down = down || strings.Contains(e.Detail, "3 → 1 replicas") || strings.Contains(e.Detail, "2 → 1 replicas")
	}
	if !up || !down {
		dumpEvents(t, log)
		t.Fatalf("readings scaled up %t, down %t: want both, 1 → 3 and back to 1", up, down)
	}
	for _, e := range names(log, result.EventAutoscaler, "hello") {
		t.Logf("%8s %s", e.At.Round(time.Millisecond), e.Detail)
	}
}

// An HPA whose container has no cpu request is refused before anything runs, as the
// controller could compute no utilisation.
func TestAutoscalerNeedsACPURequest(t *testing.T) {
	t.Parallel()
	cfg := config("hpa", 1, nil)
	h := &autoscalingv2.HorizontalPodAutoscaler{}
	h.Name = "hello"
	h.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "hello"}
	h.Spec.MaxReplicas = 3
	if _, err := manifest.NewAutoscaler(h, cfg.Owner(), cfg.Container); err == nil || !strings.Contains(err.Error(), "missing request for cpu") {
		t.Fatalf("err %v, want a missing request for cpu", err)
	}
	l, _ := newLab(t, 200*time.Millisecond)
	deploy(t, l, config("plain", 1, nil))
	if _, _, err := l.Autoscaling(context.Background()); err == nil {
		t.Error("Autoscaling of a configuration without an HPA: no error")
	}
}
