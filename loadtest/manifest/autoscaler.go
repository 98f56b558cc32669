package manifest

import (
	"errors"
	"fmt"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Autoscaler is a HorizontalPodAutoscaler (autoscaling/v2) on a configuration's workload,
// read as the API server defaults it and the HPA controller of Kubernetes v1.34 reads it:
// the CPU utilisation it aims at, its bounds, and its behavior, every field filled in.
type Autoscaler struct {
	Name string
	HPA  *autoscalingv2.HorizontalPodAutoscaler // as written
	// Min and Max bound the replicas (minReplicas defaults to 1).
	Min, Max int32
	// TargetCPU is the CPU Resource metric's target averageUtilization, in percent of the
	// pods' cpu request (80 when the HPA names no metric, as the API server defaults it).
	TargetCPU int32
	// ScaleUp and ScaleDown are the behavior's rules, each with Kubernetes' defaults for
	// what the HPA leaves out.
	ScaleUp, ScaleDown Rules
	// Legacy is an HPA with no behavior at all. The controller then takes its older path:
	// the same stabilization (scale-down window 300 s, its --horizontal-pod-autoscaler-
	// downscale-stabilization flag), but a scale-up limited to max(2 × current, 4) replicas at
	// each sync instead of by the policies' periods.
	Legacy bool
}

// Rules are the scaling rules of one direction (autoscalingv2.HPAScalingRules, defaulted).
type Rules struct {
	// Window is stabilizationWindowSeconds: a scale-up takes the lowest recommendation of
	// the window, a scale-down the highest.
	Window time.Duration
	// Select picks among the policies' limits: Max (the largest change), Min or Disabled.
	Select autoscalingv2.ScalingPolicySelect
	// Policies limit the change within a period: Pods (a number) or Percent (of the
	// replicas at the period's start).
	Policies []Policy
}

// Policy is one scaling policy: at most Value pods, or Value percent, per Period.
type Policy struct {
	Type   autoscalingv2.HPAScalingPolicyType
	Value  int32
	Period time.Duration
}

// The behavior Kubernetes fills in (pkg/apis/autoscaling/v2/defaults.go of v1.34, and the
// controller's flag for the scale-down window): up at once, by 4 pods or 100 % in 15 s,
// whichever is more; down after a 300 s window, by up to 100 % in 15 s.
var (
	DefaultScaleUp = Rules{
		Select: autoscalingv2.MaxChangePolicySelect,
		Policies: []Policy{
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, Period: 15 * time.Second},
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, Period: 15 * time.Second},
		},
	}
	DefaultScaleDown = Rules{
		Window: 300 * time.Second,
		Select: autoscalingv2.MaxChangePolicySelect,
		Policies: []Policy{
			{Type: autoscalingv2.PercentScalingPolicy, Value: 100, Period: 15 * time.Second},
		},
	}
)

// defaultCPUUtilization is the target of an HPA that names no metric.
const defaultCPUUtilization = 80

// hpaGroupKind is how the objects name the kind.
const hpaGroupKind = "HorizontalPodAutoscaler.autoscaling"

// decodeHPA decodes u, which must be autoscaling/v2: an older version has other fields.
func decodeHPA(u *unstructured.Unstructured) (*autoscalingv2.HorizontalPodAutoscaler, error) {
	what := "horizontalpodautoscaler/" + u.GetName()
	if v := autoscalingv2.SchemeGroupVersion.String(); u.GetAPIVersion() != v {
		return nil, fmt.Errorf("%s: apiVersion %s: want %s", what, u.GetAPIVersion(), v)
	}
	h := &autoscalingv2.HorizontalPodAutoscaler{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, h, true); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return h, nil
}

// scales says whether h's scaleTargetRef names w (its apiVersion's group, kind and name).
func scales(h *autoscalingv2.HorizontalPodAutoscaler, w *Workload) bool {
	ref := h.Spec.ScaleTargetRef
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	return err == nil && gv.Group == "apps" && ref.Kind == w.Kind && ref.Name == w.Meta.Name &&
		(h.Namespace == "" || w.Meta.Namespace == "" || h.Namespace == w.Meta.Namespace)
}

// targetName is what h scales, as kubectl names it: deployment/hello.
func targetName(h *autoscalingv2.HorizontalPodAutoscaler) string {
	ref := h.Spec.ScaleTargetRef
	return fmt.Sprintf("%s/%s (%s)", ref.Kind, ref.Name, ref.APIVersion)
}

// NewAutoscaler reads h, an HPA on workload w whose pods run container c, as the lab runs
// it: a CPU utilisation target (the only metric it measures), bounds, the behavior with
// Kubernetes' defaults. What the controller would refuse or could not compute is an error:
// a target other than w, maxReplicas below minReplicas, another metric, a container without
// a cpu request (the controller's "missing request for cpu").
func NewAutoscaler(h *autoscalingv2.HorizontalPodAutoscaler, w *Workload, c *corev1.Container) (*Autoscaler, error) {
	what := "HorizontalPodAutoscaler " + h.Name
	if !scales(h, w) {
		return nil, fmt.Errorf("%s: spec.scaleTargetRef names %s, not the configuration's %s", what, targetName(h), w)
	}
	a := &Autoscaler{Name: h.Name, HPA: h, Min: 1, Max: h.Spec.MaxReplicas, TargetCPU: defaultCPUUtilization}
	if h.Spec.MinReplicas != nil {
		a.Min = *h.Spec.MinReplicas
	}
	var errs []error
	if a.Min < 1 || a.Max < a.Min {
		errs = append(errs, fmt.Errorf("%s: minReplicas %d and maxReplicas %d: want 1 ≤ min ≤ max", what, a.Min, a.Max))
	}
	switch ms := h.Spec.Metrics; {
	case len(ms) > 1:
		errs = append(errs, fmt.Errorf("%s: %d metrics: the lab measures one, the CPU utilisation", what, len(ms)))
	case len(ms) == 1:
		m := ms[0]
		if m.Type != autoscalingv2.ResourceMetricSourceType || m.Resource == nil || m.Resource.Name != corev1.ResourceCPU ||
			m.Resource.Target.Type != autoscalingv2.UtilizationMetricType || m.Resource.Target.AverageUtilization == nil {
			errs = append(errs, fmt.Errorf("%s: spec.metrics[0]: the lab measures only a Resource metric of cpu with an averageUtilization target", what))
			break
		}
		if a.TargetCPU = *m.Resource.Target.AverageUtilization; a.TargetCPU <= 0 {
			errs = append(errs, fmt.Errorf("%s: spec.metrics[0]: averageUtilization %d: want > 0", what, a.TargetCPU))
		}
	}
	if q, ok := c.Resources.Requests[corev1.ResourceCPU]; !ok || q.MilliValue() <= 0 {
		errs = append(errs, fmt.Errorf("%s: missing request for cpu in container %s: no utilisation to compute", what, c.Name))
	}
	a.ScaleUp, a.ScaleDown = DefaultScaleUp, DefaultScaleDown
	if b := h.Spec.Behavior; b == nil {
		a.Legacy = true
	} else {
		var err error
		if a.ScaleUp, err = rules(b.ScaleUp, DefaultScaleUp); err != nil {
			errs = append(errs, fmt.Errorf("%s: spec.behavior.scaleUp: %w", what, err))
		}
		if a.ScaleDown, err = rules(b.ScaleDown, DefaultScaleDown); err != nil {
			errs = append(errs, fmt.Errorf("%s: spec.behavior.scaleDown: %w", what, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return a, nil
}

// rules fills in r's unset fields from def, as the API server does (each of the window,
// the select policy and the policies on its own).
func rules(r *autoscalingv2.HPAScalingRules, def Rules) (Rules, error) {
	out := def
	if r == nil {
		return out, nil
	}
	if r.StabilizationWindowSeconds != nil {
		if s := *r.StabilizationWindowSeconds; s < 0 || s > 3600 {
			return out, fmt.Errorf("stabilizationWindowSeconds %d: want 0 to 3600", s)
		}
		out.Window = time.Duration(*r.StabilizationWindowSeconds) * time.Second
	}
	if r.SelectPolicy != nil {
		switch s := *r.SelectPolicy; s {
		case autoscalingv2.MaxChangePolicySelect, autoscalingv2.MinChangePolicySelect, autoscalingv2.DisabledPolicySelect:
			out.Select = s
		default:
			return out, fmt.Errorf("selectPolicy %q: want Max, Min or Disabled", s)
		}
	}
	if r.Policies != nil {
		out.Policies = nil
		for i, p := range r.Policies {
			if p.Type != autoscalingv2.PodsScalingPolicy && p.Type != autoscalingv2.PercentScalingPolicy || p.Value <= 0 ||
				p.PeriodSeconds <= 0 || p.PeriodSeconds > 1800 {
				return out, fmt.Errorf("policies[%d]: type %q, value %d, periodSeconds %d: want Pods or Percent, > 0, 1 to 1800",
					i, p.Type, p.Value, p.PeriodSeconds)
			}
			out.Policies = append(out.Policies, Policy{Type: p.Type, Value: p.Value, Period: time.Duration(p.PeriodSeconds) * time.Second})
		}
		if len(out.Policies) == 0 && out.Select != autoscalingv2.DisabledPolicySelect {
			return out, errors.New("no policy: want at least one, or selectPolicy Disabled")
		}
	}
	return out, nil
}

// String says what the autoscaler does in one line: "hello: cpu 50%, 2 to 5 replicas, up
// window 0s, down window 10s".
func (a *Autoscaler) String() string {
	return fmt.Sprintf("%s: cpu %d%%, %d to %d replicas, up window %s, down window %s", a.Name, a.TargetCPU, a.Min, a.Max, a.ScaleUp.Window, a.ScaleDown.Window)
}

// CPURequest is the cpu request of the configuration's container, in millicores: what the
// utilisation is a percentage of.
func (c *Config) CPURequest() int64 {
	return c.Container.Resources.Requests.Cpu().MilliValue()
}

// decodeAutoscaler finds the configuration's HPA among its objects: at most one, and it
// must scale the configuration's workload.
func (c *Config) decodeAutoscaler() error {
	for _, u := range c.Objects {
		if u.GroupVersionKind().GroupKind().String() != hpaGroupKind {
			continue
		}
		if c.Autoscaler != nil {
			return fmt.Errorf("more than one HorizontalPodAutoscaler: %s and %s", c.Autoscaler.Name, u.GetName())
		}
		h, err := decodeHPA(u)
		if err != nil {
			return err
		}
		if c.Autoscaler, err = NewAutoscaler(h, c.Owner(), c.Container); err != nil {
			return err
		}
	}
	return nil
}

// AutoscalerFor is the HorizontalPodAutoscaler of m that scales w (nil when none does).
func (m *Manifests) AutoscalerFor(w *Workload) *autoscalingv2.HorizontalPodAutoscaler {
	for _, h := range m.HPAs {
		if scales(h, w) {
			return h
		}
	}
	return nil
}

// checkAutoscalers refuses an HPA of m whose scaleTargetRef names an apps/v1 kind that
// none of m's workloads is: a typo, or an HPA that scales nothing here. (A target of
// another group, say an Argo Rollout, is not scalelab's to judge.)
func (m *Manifests) checkAutoscalers() error {
	var errs []error
	for _, h := range m.HPAs {
		gv, err := schema.ParseGroupVersion(h.Spec.ScaleTargetRef.APIVersion)
		if err != nil {
			errs = append(errs, fmt.Errorf("horizontalpodautoscaler/%s: spec.scaleTargetRef.apiVersion: %w", h.Name, err))
			continue
		}
		if gv.Group != "apps" {
			continue
		}
		found := false
		for _, w := range m.Workloads {
			found = found || scales(h, w)
		}
		if !found {
			errs = append(errs, fmt.Errorf("horizontalpodautoscaler/%s: spec.scaleTargetRef names %s, which is not among the workloads here", h.Name, targetName(h)))
		}
	}
	return errors.Join(errs...)
}
