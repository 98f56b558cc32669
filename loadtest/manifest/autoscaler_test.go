package manifest

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/utils/ptr"
)

// hpa is an HPA on deployment/hello at 50 % CPU, 2 to 5 replicas, changed by mod.
func hpa(mod func(*autoscalingv2.HorizontalPodAutoscaler)) *autoscalingv2.HorizontalPodAutoscaler {
	h := &autoscalingv2.HorizontalPodAutoscaler{}
	h.Name = "hello"
	h.Spec.ScaleTargetRef = autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "hello"}
	h.Spec.MinReplicas, h.Spec.MaxReplicas = ptr.To[int32](2), 5
	h.Spec.Metrics = []autoscalingv2.MetricSpec{{
		Type: autoscalingv2.ResourceMetricSourceType,
		Resource: &autoscalingv2.ResourceMetricSource{Name: corev1.ResourceCPU,
			Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To[int32](50)}},
	}}
	if mod != nil {
		mod(h)
	}
	return h
}

func TestNewAutoscaler(t *testing.T) {
	t.Parallel()
	cpu := corev1.Container{Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m")}}}
	withCPU := config(cpu, appsv1.DeploymentSpec{})
	withCPU.Deployment.Name = "hello"
	noCPU := config(corev1.Container{}, appsv1.DeploymentSpec{})
	noCPU.Deployment.Name = "hello"
	short := &autoscalingv2.HorizontalPodAutoscalerBehavior{
		ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](10)},
		ScaleUp: &autoscalingv2.HPAScalingRules{SelectPolicy: ptr.To(autoscalingv2.MinChangePolicySelect),
			Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PodsScalingPolicy, Value: 1, PeriodSeconds: 5}}},
	}
	tests := []struct {
		name    string
		cfg     *Config
		hpa     *autoscalingv2.HorizontalPodAutoscaler
		want    func(*Autoscaler) bool
		wantErr string
	}{
		{"no behavior: the defaults, the legacy path", withCPU, hpa(nil), func(a *Autoscaler) bool {
			return a.Min == 2 && a.Max == 5 && a.TargetCPU == 50 && a.Legacy &&
				a.ScaleUp.Window == 0 && a.ScaleDown.Window == 300*time.Second && len(a.ScaleUp.Policies) == 2
		}, ""},
		{"a short scale-down window, the rest defaulted; a scale-up rule of its own", withCPU,
			hpa(func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.Behavior = short }), func(a *Autoscaler) bool {
				return !a.Legacy && a.ScaleDown.Window == 10*time.Second && a.ScaleDown.Select == autoscalingv2.MaxChangePolicySelect &&
					len(a.ScaleDown.Policies) == 1 && a.ScaleDown.Policies[0] == Policy{autoscalingv2.PercentScalingPolicy, 100, 15 * time.Second} &&
					a.ScaleUp.Window == 0 && a.ScaleUp.Select == autoscalingv2.MinChangePolicySelect &&
					len(a.ScaleUp.Policies) == 1 && a.ScaleUp.Policies[0] == Policy{autoscalingv2.PodsScalingPolicy, 1, 5 * time.Second}
			}, ""},
		{"no metric: cpu at 80 %, minReplicas 1", withCPU, hpa(func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.Metrics, h.Spec.MinReplicas = nil, nil
		}), func(a *Autoscaler) bool { return a.TargetCPU == 80 && a.Min == 1 }, ""},
		{"another workload", withCPU, hpa(func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.ScaleTargetRef.Name = "web" }), nil,
			"HorizontalPodAutoscaler hello: spec.scaleTargetRef names Deployment/web (apps/v1), not the configuration's deployment/hello"},
		{"another kind", withCPU, hpa(func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.ScaleTargetRef.Kind = "StatefulSet" }), nil,
			"names StatefulSet/hello (apps/v1), not the configuration's deployment/hello"},
		{"max below min", withCPU, hpa(func(h *autoscalingv2.HorizontalPodAutoscaler) { h.Spec.MaxReplicas = 1 }), nil,
			"minReplicas 2 and maxReplicas 1"},
		{"a memory metric", withCPU, hpa(func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.Metrics[0].Resource.Name = corev1.ResourceMemory
		}), nil,
			"the lab measures only a Resource metric of cpu"},
		{"no cpu request", noCPU, hpa(nil), nil, "missing request for cpu in container hello"},
		{"a bad policy", withCPU, hpa(func(h *autoscalingv2.HorizontalPodAutoscaler) {
			h.Spec.Behavior = &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{
				Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 0, PeriodSeconds: 15}}}}
		}), nil, "spec.behavior.scaleDown: policies[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := NewAutoscaler(tt.hpa, tt.cfg.Owner(), tt.cfg.Container)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !tt.want(a) {
				t.Fatalf("autoscaler %+v, err %v", a, err)
			}
		})
	}
}

// An HPA is read with the workloads it scales; one aimed at a workload that is not there,
// or of an older API version, is an error naming it.
func TestLoadAutoscalers(t *testing.T) {
	t.Parallel()
	const hpaYAML = `---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  maxReplicas: 4
`
	m, err := Load(Stdin, strings.NewReader(deployment+hpaYAML))
	if err != nil {
		t.Fatal(err)
	}
	if h := m.AutoscalerFor(m.Workloads[0]); h == nil || h.Name != "web" {
		t.Errorf("AutoscalerFor(deployment/web) = %v, want hpa web", h)
	}
	for _, tt := range []struct{ name, in, want string }{
		{"another workload", deployment + strings.Replace(hpaYAML, "name: web}\n  max", "name: webb}\n  max", 1),
			"stdin: horizontalpodautoscaler/web: spec.scaleTargetRef names Deployment/webb (apps/v1), which is not among the workloads here"},
		{"autoscaling/v1", deployment + strings.Replace(hpaYAML, "autoscaling/v2", "autoscaling/v1", 1),
			"stdin: horizontalpodautoscaler/web: apiVersion autoscaling/v1: want autoscaling/v2"},
		{"an unknown field", deployment + strings.Replace(hpaYAML, "maxReplicas", "maxReplica", 1), `unknown field "spec.maxReplica"`},
	} {
		if _, err := Load(Stdin, strings.NewReader(tt.in)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Load error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
	// A target of another group is not scalelab's to judge.
	rollout := strings.Replace(hpaYAML, "apiVersion: apps/v1, kind: Deployment", "apiVersion: argoproj.io/v1alpha1, kind: Rollout", 1)
	if _, err := Load(Stdin, strings.NewReader(deployment+rollout)); err != nil {
		t.Errorf("an HPA of an Argo Rollout: %v", err)
	}
}
