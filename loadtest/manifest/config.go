// Package manifest renders the k8s/ overlays with the kustomize API and reads from them the
// lifecycle contract a platform must honour: replicas, rollout strategy, the hello
// container's args, env and probes, its preStop hook, the grace period and the PDB.
//
// It also reads what a user has (Load: a kustomize directory, YAML or JSON files, or the
// standard input, as `helm template` prints it): every Deployment and StatefulSet, the
// Services and PodDisruptionBudgets that select their pods, and each container's timings,
// which package lint judges. hello's flags count for any container that sets them; an app
// that is not hello declares its own timing by pod-template annotations named after them
// (AnnotationPrefix):
//
//	scalelab.dev/startup-delay: 20s   # how long it takes to turn ready
//	scalelab.dev/request-delay: 2s    # the longest request it answers
//	scalelab.dev/shutdown-delay: 5s   # how long it keeps serving after SIGTERM
//	scalelab.dev/drain-timeout: 10s   # how long it then waits for the requests in flight
//
// What nobody declares counts as 0, and the finding says so.
package manifest

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"scalelab/loadtest/result"
)

// PromiseAnnotation on the Deployment says what an overlay promises (result.Promise).
const PromiseAnnotation = "scalelab.dev/promise"

// Config is one rendered overlay.
type Config struct {
	Name       string                        // the overlay's directory name
	Dir        string                        // the overlay's directory, as given to Render
	Promise    result.Promise                // from PromiseAnnotation; nothing when absent
	Objects    []*unstructured.Unstructured  // every rendered object, in render order
	Workload   *Workload                     // what owns the pods: the Deployment, or a StatefulSet
	Deployment *appsv1.Deployment            // the Workload when it is a Deployment (an overlay's always is)
	Container  *corev1.Container             // the container the lessons are about: "hello" in an overlay
	Service    *corev1.Service               // the Service selecting it
	Ingress    *networkingv1.Ingress         // nil when the overlay has none
	PDB        *policyv1.PodDisruptionBudget // nil when the overlay has none
	Autoscaler *Autoscaler                   // its HorizontalPodAutoscaler; nil when the overlay has none
}

// Annotations are the workload's own annotations, where a configuration says what it is for.
func (c *Config) Annotations() map[string]string { return c.Owner().Meta.Annotations }
