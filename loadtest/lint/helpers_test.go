package lint

import (
	"path/filepath"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"scalelab/loadtest/manifest"
)

// The inputs the rules are tried on: scalelab's overlays, and manifest's testdata.
var (
	overlays     = filepath.Join("..", "..", "k8s", "overlays")
	testdata     = filepath.Join("..", "manifest", "testdata")
	helmTemplate = filepath.Join(testdata, "helm-template.yaml") // a multi-document file as `helm template` prints it
)

// verdict names one finding: object, container and rule.
type verdict struct{ object, container, rule string }

// config builds a Config around one hello container, as Render would leave it.
func config(ct corev1.Container, spec appsv1.DeploymentSpec) *manifest.Config {
	ct.Name = manifest.ContainerName
	spec.Template.Spec.Containers = []corev1.Container{ct}
	d := &appsv1.Deployment{Spec: spec}
	return &manifest.Config{Deployment: d, Container: &d.Spec.Template.Spec.Containers[0]}
}

// target builds a Deployment whose pod template has the annotations and the one container.
func target(ct corev1.Container, annotations map[string]string) manifest.Target {
	d := &appsv1.Deployment{}
	d.Name = "web"
	d.Spec.Template.Annotations = annotations
	d.Spec.Template.Spec.Containers = []corev1.Container{ct}
	w, _ := manifest.WorkloadOf(d)
	return w.Targets()[0]
}

// pdb is a PodDisruptionBudget with one of its two rules: "min" or "max", an int or a percent.
func pdb(rule string, v intstr.IntOrString) *policyv1.PodDisruptionBudget {
	p := &policyv1.PodDisruptionBudget{}
	p.Name = "hello"
	switch rule {
	case "min":
		p.Spec.MinAvailable = &v
	case "max":
		p.Spec.MaxUnavailable = &v
	}
	return p
}
