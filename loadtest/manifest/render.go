package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"scalelab/loadtest/result"
)

// ContainerName is the name of the container the lab runs: the hello service.
const ContainerName = "hello"

// lessons is the order in which the configurations tell the story; RenderAll puts any other
// overlay after them, sorted by name.
var lessons = []string{"naive", "probes", "graceful", "prestop-sleep"}

// Render builds the kustomization in dir with the kustomize API, decodes the objects into
// the Kubernetes API types and validates that the lab can honour them. Config.Name is the
// base name of dir.
func Render(dir string) (*Config, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", dir, err)
	}
	objs, err := renderKustomization(abs)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", dir, err)
	}
	c := &Config{Name: filepath.Base(abs), Dir: dir, Objects: objs}
	if err := c.decode(); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if err := c.validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return c, nil
}

// renderKustomization builds the kustomization in dir with the kustomize API into objects.
func renderKustomization(dir string) ([]*unstructured.Unstructured, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// The legacy order is kubectl kustomize's: the objects come out in the order a cluster
	// wants them applied (a Service before its Deployment).
	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionLegacy
	k := krusty.MakeKustomizer(opts)
	rm, err := k.Run(filesys.MakeFsOnDisk(), abs)
	if err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	for _, r := range rm.Resources() {
		// Through JSON, not r.Map(): kyaml's map holds Go ints, which the apimachinery's
		// DeepCopy (and so every client) refuses; JSON gives int64 and float64, as it expects.
		b, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(b); err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		objs = append(objs, u)
	}
	return objs, nil
}

// RenderAll renders every overlay directory directly under root (a directory holding a
// kustomization file): the lessons first (naive, probes, graceful, prestop-sleep), then any
// other in name order.
func RenderAll(root string) ([]*Config, error) {
	names, err := overlayNames(root)
	if err != nil {
		return nil, fmt.Errorf("render overlays: %w", err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("render overlays: no kustomization under %s", root)
	}
	cfgs := make([]*Config, 0, len(names))
	for _, n := range names {
		c, err := Render(filepath.Join(root, n))
		if err != nil {
			return nil, err
		}
		cfgs = append(cfgs, c)
	}
	return cfgs, nil
}

// overlayNames are the names of the overlay directories directly under root: the lessons
// first, then any other in name order.
func overlayNames(root string) ([]string, error) {
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && IsOverlay(filepath.Join(root, e.Name())) {
			names = append(names, e.Name())
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		if ia, ib := lessonRank(a), lessonRank(b); ia != ib {
			return ia - ib
		}
		return strings.Compare(a, b)
	})
	return names, nil
}

func lessonRank(name string) int {
	if i := slices.Index(lessons, name); i >= 0 {
		return i
	}
	return len(lessons)
}

// kustomizationFiles are the names kustomize reads a kustomization from.
var kustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// IsOverlay reports whether dir holds a kustomization file, as opposed to a root of overlays.
func IsOverlay(dir string) bool {
	for _, f := range kustomizationFiles {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return true
		}
	}
	return false
}

// WithReplicas is a copy of c whose Deployment asks for n replicas: what a scenario that
// starts at another size deploys, so that a platform starts that many pods and not first
// the configuration's own number, only to stop the extra ones before the load. A Config
// without objects (an adopted workload) has nothing to render: it is returned as it is,
// and the scenario scales it.
func (c *Config) WithReplicas(n int32) (*Config, error) {
	if c.Deployment == nil || len(c.Objects) == 0 || c.Replicas() == n {
		return c, nil
	}
	cp := &Config{Name: c.Name, Dir: c.Dir}
	for _, u := range c.Objects {
		u = u.DeepCopy()
		if u.GroupVersionKind().GroupKind().String() == "Deployment.apps" && u.GetName() == c.Deployment.Name {
			if err := unstructured.SetNestedField(u.Object, int64(n), "spec", "replicas"); err != nil {
				return nil, fmt.Errorf("%s: replicas: %w", c.Name, err)
			}
		}
		cp.Objects = append(cp.Objects, u)
	}
	if err := cp.decode(); err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	return cp, nil
}

// decode fills the typed fields from Objects. Unknown fields are an error: a manifest the
// lab reads wrongly is worse than one it refuses.
func (c *Config) decode() error {
	var deps []*appsv1.Deployment
	var svcs []*corev1.Service
	var ings []*networkingv1.Ingress
	var pdbs []*policyv1.PodDisruptionBudget
	for _, u := range c.Objects {
		var into any
		switch u.GroupVersionKind().GroupKind().String() {
		case "Deployment.apps":
			d := &appsv1.Deployment{}
			deps, into = append(deps, d), d
		case "Service":
			s := &corev1.Service{}
			svcs, into = append(svcs, s), s
		case "Ingress.networking.k8s.io":
			i := &networkingv1.Ingress{}
			ings, into = append(ings, i), i
		case "PodDisruptionBudget.policy":
			p := &policyv1.PodDisruptionBudget{}
			pdbs, into = append(pdbs, p), p
		default:
			continue
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, into, true); err != nil {
			return fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
		}
	}
	if len(deps) != 1 {
		return fmt.Errorf("want exactly one Deployment, the overlay has %d", len(deps))
	}
	c.Deployment = deps[0]
	c.Workload, _ = WorkloadOf(c.Deployment)
	if c.Container = c.Workload.Container(ContainerName); c.Container == nil {
		return fmt.Errorf("spec.template.spec.containers of Deployment %s: no container named %q", c.Deployment.Name, ContainerName)
	}
	pods := labels.Set(c.Deployment.Spec.Template.Labels)
	for _, s := range svcs {
		if selects(s, pods) {
			c.Service = s
			break
		}
	}
	if c.Service == nil {
		return fmt.Errorf("no Service selects the pods of Deployment %s", c.Deployment.Name)
	}
	for _, i := range ings {
		if routesTo(i, c.Service.Name) {
			c.Ingress = i
			break
		}
	}
	for _, p := range pdbs {
		sel, err := pdbSelector(p)
		if err != nil {
			return err
		}
		if sel.Matches(pods) {
			c.PDB = p
			break
		}
	}
	c.Promise = result.PromiseNothing
	if v, ok := c.Deployment.Annotations[PromiseAnnotation]; ok {
		c.Promise = result.Promise(v)
	}
	return c.decodeAutoscaler()
}

func routesTo(i *networkingv1.Ingress, service string) bool {
	if b := i.Spec.DefaultBackend; b != nil && b.Service != nil && b.Service.Name == service {
		return true
	}
	for _, r := range i.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for _, p := range r.HTTP.Paths {
			if p.Backend.Service != nil && p.Backend.Service.Name == service {
				return true
			}
		}
	}
	return false
}

func pdbSelector(p *policyv1.PodDisruptionBudget) (labels.Selector, error) {
	if p.Spec.Selector == nil {
		return nil, fmt.Errorf("PodDisruptionBudget %s: spec.selector is empty", p.Name)
	}
	sel, err := metav1.LabelSelectorAsSelector(p.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("PodDisruptionBudget %s: spec.selector: %w", p.Name, err)
	}
	return sel, nil
}
