package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// hpaKind is the kind of a HorizontalPodAutoscaler among a configuration's objects.
const hpaKind = "HorizontalPodAutoscaler"

// watchAutoscalers follows the HorizontalPodAutoscalers cfg applies, until stop is closed,
// and puts every change of what one reads or decides on the timeline as an
// result.EventAutoscaler: its name, and a detail like "cpu 85% of 50%, 2 → 4 replicas"
// (autoscalerDetail). A configuration without one starts nothing.
func (c *Cluster) watchAutoscalers(cfg *manifest.Config, stop chan struct{}) error {
	names := map[string]bool{}
	for _, o := range cfg.Objects {
		if gvk := o.GroupVersionKind(); gvk.Group == "autoscaling" && gvk.Kind == hpaKind {
			names[o.GetName()] = true
		}
	}
	if len(names) == 0 {
		return nil
	}
	put := func(old, hpa *autoscalingv2.HorizontalPodAutoscaler) {
		if !names[hpa.Name] {
			return
		}
		d := autoscalerDetail(hpa)
		if old != nil && autoscalerDetail(old) == d {
			return
		}
		c.event(result.EventAutoscaler, hpa.Name, d)
	}
	f := informers.NewSharedInformerFactoryWithOptions(c.cs, 0, informers.WithNamespace(c.ns))
	if _, err := f.Autoscaling().V2().HorizontalPodAutoscalers().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(o any) { put(nil, o.(*autoscalingv2.HorizontalPodAutoscaler)) },
		UpdateFunc: func(o, n any) {
			put(o.(*autoscalingv2.HorizontalPodAutoscaler), n.(*autoscalingv2.HorizontalPodAutoscaler))
		},
		DeleteFunc: func(o any) {
			if h, ok := o.(*autoscalingv2.HorizontalPodAutoscaler); ok && names[h.Name] {
				c.event(result.EventAutoscaler, h.Name, "gone")
			}
		},
	}); err != nil {
		return fmt.Errorf("watch horizontalpodautoscalers: %w", err)
	}
	f.Start(stop)
	f.WaitForCacheSync(stop)
	return nil
}

// autoscalerDetail is what an HPA reads and decides, in words: each metric of its spec as
// measured (status.currentMetrics) against its target, then status.currentReplicas →
// status.desiredReplicas, e.g. "cpu 85% of 50%, 2 → 4 replicas". A metric not measured
// yet reads "?"; when the HPA cannot compute a scale (condition ScalingActive false) its
// reason follows in parentheses, e.g. "(FailedGetResourceMetric)".
func autoscalerDetail(h *autoscalingv2.HorizontalPodAutoscaler) string {
	var parts []string
	for _, m := range h.Spec.Metrics {
		parts = append(parts, metricWords(m, current(h.Status.CurrentMetrics, m)))
	}
	parts = append(parts, fmt.Sprintf("%d → %d replicas", h.Status.CurrentReplicas, h.Status.DesiredReplicas))
	s := strings.Join(parts, ", ")
	for _, cond := range h.Status.Conditions {
		if cond.Type == autoscalingv2.ScalingActive && cond.Status == corev1.ConditionFalse {
			s += " (" + cond.Reason + ")"
		}
	}
	return s
}

// current is the status entry measuring the spec's metric m, nil when there is none yet.
func current(status []autoscalingv2.MetricStatus, m autoscalingv2.MetricSpec) *autoscalingv2.MetricStatus {
	for i, s := range status {
		if s.Type != m.Type {
			continue
		}
		switch m.Type {
		case autoscalingv2.ResourceMetricSourceType:
			if s.Resource != nil && m.Resource != nil && s.Resource.Name == m.Resource.Name {
				return &status[i]
			}
		case autoscalingv2.ContainerResourceMetricSourceType:
			if s.ContainerResource != nil && m.ContainerResource != nil &&
				s.ContainerResource.Name == m.ContainerResource.Name && s.ContainerResource.Container == m.ContainerResource.Container {
				return &status[i]
			}
		case autoscalingv2.PodsMetricSourceType:
			if s.Pods != nil && m.Pods != nil && s.Pods.Metric.Name == m.Pods.Metric.Name {
				return &status[i]
			}
		case autoscalingv2.ObjectMetricSourceType:
			if s.Object != nil && m.Object != nil && s.Object.Metric.Name == m.Object.Metric.Name {
				return &status[i]
			}
		case autoscalingv2.ExternalMetricSourceType:
			if s.External != nil && m.External != nil && s.External.Metric.Name == m.External.Metric.Name {
				return &status[i]
			}
		}
	}
	return nil
}

// metricWords is one metric as "NAME MEASURED of TARGET": "cpu 85% of 50%" for a
// utilisation target, "cpu 120m of 100m" for an average value.
func metricWords(m autoscalingv2.MetricSpec, s *autoscalingv2.MetricStatus) string {
	var name string
	var target autoscalingv2.MetricTarget
	var cur *autoscalingv2.MetricValueStatus
	switch m.Type {
	case autoscalingv2.ResourceMetricSourceType:
		name, target = string(m.Resource.Name), m.Resource.Target
		if s != nil {
			cur = &s.Resource.Current
		}
	case autoscalingv2.ContainerResourceMetricSourceType:
		name, target = string(m.ContainerResource.Name)+" ("+m.ContainerResource.Container+")", m.ContainerResource.Target
		if s != nil {
			cur = &s.ContainerResource.Current
		}
	case autoscalingv2.PodsMetricSourceType:
		name, target = m.Pods.Metric.Name, m.Pods.Target
		if s != nil {
			cur = &s.Pods.Current
		}
	case autoscalingv2.ObjectMetricSourceType:
		name, target = m.Object.Metric.Name, m.Object.Target
		if s != nil {
			cur = &s.Object.Current
		}
	case autoscalingv2.ExternalMetricSourceType:
		name, target = m.External.Metric.Name, m.External.Target
		if s != nil {
			cur = &s.External.Current
		}
	default:
		return string(m.Type)
	}
	return fmt.Sprintf("%s %s of %s", name, measured(target, cur), targetWords(target))
}

// targetWords is a target as its type reads it: a percentage of the requests, an average
// value per pod, or a value.
func targetWords(t autoscalingv2.MetricTarget) string {
	switch {
	case t.Type == autoscalingv2.UtilizationMetricType && t.AverageUtilization != nil:
		return fmt.Sprintf("%d%%", *t.AverageUtilization)
	case t.Type == autoscalingv2.AverageValueMetricType && t.AverageValue != nil:
		return t.AverageValue.String()
	case t.Value != nil:
		return t.Value.String()
	}
	return "?"
}

// measured is the current reading in the target's terms, "?" when there is none.
func measured(t autoscalingv2.MetricTarget, v *autoscalingv2.MetricValueStatus) string {
	switch {
	case v == nil:
		return "?"
	case t.Type == autoscalingv2.UtilizationMetricType && v.AverageUtilization != nil:
		return fmt.Sprintf("%d%%", *v.AverageUtilization)
	case t.Type == autoscalingv2.AverageValueMetricType && v.AverageValue != nil:
		return v.AverageValue.String()
	case v.Value != nil:
		return v.Value.String()
	case v.AverageValue != nil:
		return v.AverageValue.String()
	}
	return "?"
}

// Autoscaling reads the status of the running configuration's HorizontalPodAutoscaler as
// its controller last wrote it: the replicas it found and those it wants (both 0 before
// its first sync).
func (c *Cluster) Autoscaling(ctx context.Context) (current, desired int32, err error) {
	c.mu.Lock()
	cfg := c.cfg
	c.mu.Unlock()
	if cfg == nil || cfg.Autoscaler == nil {
		return 0, 0, errors.New("the running configuration has no HorizontalPodAutoscaler")
	}
	h, err := c.cs.AutoscalingV2().HorizontalPodAutoscalers(c.ns).Get(ctx, cfg.Autoscaler.Name, metav1.GetOptions{})
	if err != nil {
		return 0, 0, fmt.Errorf("horizontalpodautoscaler %s in %s: %w", cfg.Autoscaler.Name, c.ns, err)
	}
	return h.Status.CurrentReplicas, h.Status.DesiredReplicas, nil
}
