package manifest

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The kinds of workload: what owns the pods that a scenario disrupts and the rules judge.
const (
	KindDeployment  = "Deployment"
	KindStatefulSet = "StatefulSet"
)

// Workload is a Deployment or a StatefulSet, reduced to what the rules and the platforms
// read of it. Template points into Object: a change to one is a change to the other.
type Workload struct {
	Kind     string                // KindDeployment or KindStatefulSet
	Meta     *metav1.ObjectMeta    // the object's name, namespace, labels, annotations
	Selector *metav1.LabelSelector // the pods it owns
	Template *corev1.PodTemplateSpec
	Object   any // *appsv1.Deployment or *appsv1.StatefulSet
}

// WorkloadOf wraps a *appsv1.Deployment or *appsv1.StatefulSet.
func WorkloadOf(obj any) (*Workload, error) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		return &Workload{Kind: KindDeployment, Meta: &o.ObjectMeta, Selector: o.Spec.Selector, Template: &o.Spec.Template, Object: o}, nil
	case *appsv1.StatefulSet:
		return &Workload{Kind: KindStatefulSet, Meta: &o.ObjectMeta, Selector: o.Spec.Selector, Template: &o.Spec.Template, Object: o}, nil
	}
	return nil, fmt.Errorf("%T is not a Deployment or a StatefulSet", obj)
}

// String is kind/name, as kubectl names it: deployment/hello.
func (w *Workload) String() string {
	if w.Kind == KindStatefulSet {
		return "statefulset/" + w.Meta.Name
	}
	return "deployment/" + w.Meta.Name
}

// Replicas is spec.replicas (1 when unset, as Kubernetes defaults it).
func (w *Workload) Replicas() int32 {
	var r *int32
	switch o := w.Object.(type) {
	case *appsv1.Deployment:
		r = o.Spec.Replicas
	case *appsv1.StatefulSet:
		r = o.Spec.Replicas
	}
	if r != nil {
		return *r
	}
	return 1
}

// Strategy resolves how many pods a rollout may add above Replicas and take below it, as
// the controllers do. A Deployment's rolling update: percentages of surge round up, of
// unavailable down (25 % each when unset), and when both come to 0 maxUnavailable becomes
// 1; its Recreate strategy takes every pod down first: (0, Replicas). A StatefulSet
// replaces its pods one at a time, deleting before creating: (0, maxUnavailable or 1).
func (w *Workload) Strategy() (maxSurge, maxUnavailable int32) {
	n := int(w.Replicas())
	switch o := w.Object.(type) {
	case *appsv1.StatefulSet:
		if ru := o.Spec.UpdateStrategy.RollingUpdate; ru != nil && ru.MaxUnavailable != nil {
			uv, _ := intstr.GetScaledValueFromIntOrPercent(ru.MaxUnavailable, n, false)
			return 0, int32(max(uv, 1))
		}
		return 0, 1
	case *appsv1.Deployment:
		s := o.Spec.Strategy
		if s.Type == appsv1.RecreateDeploymentStrategyType {
			return 0, int32(n)
		}
		quarter := intstr.FromString("25%")
		surge, unavailable := &quarter, &quarter
		if ru := s.RollingUpdate; ru != nil {
			if ru.MaxSurge != nil {
				surge = ru.MaxSurge
			}
			if ru.MaxUnavailable != nil {
				unavailable = ru.MaxUnavailable
			}
		}
		// Both values are validated when read, so the errors cannot happen here.
		sv, _ := intstr.GetScaledValueFromIntOrPercent(surge, n, true)
		uv, _ := intstr.GetScaledValueFromIntOrPercent(unavailable, n, false)
		if sv == 0 && uv == 0 {
			uv = 1
		}
		return int32(sv), int32(uv)
	}
	return 0, 1
}

// GracePeriod is the pods' terminationGracePeriodSeconds (30 s when unset).
func (w *Workload) GracePeriod() time.Duration {
	if g := w.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		return time.Duration(*g) * time.Second
	}
	return defaultGracePeriod
}

// Container is the pod template's container of that name (nil when there is none).
func (w *Workload) Container(name string) *corev1.Container {
	for i := range w.Template.Spec.Containers {
		if c := &w.Template.Spec.Containers[i]; c.Name == name {
			return c
		}
	}
	return nil
}
