package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// adoption is what Adopt found of a running workload: enough to put it back, and to
// tell whether anything else changed.
type adoption struct {
	kind, name string
	replicas   int32
	spec       []byte // specOf what was found
}

// restoreTimeout bounds putting an adopted workload back, also after Ctrl-C.
const restoreTimeout = 30 * time.Second

// Adopt reads the running workload named by Options.Workload and returns it as the
// configuration the scenarios run: its Workload; its Container (Options.Container, else
// the first); the first Service that selects its pods, if any; its promise, from the
// annotation scalelab.dev/promise, else zero (a service under test promises to lose
// nothing). From then on Deploy applies nothing: it puts back the replica count found
// here, and so does Close.
func (c *Cluster) Adopt(ctx context.Context) (*manifest.Config, error) {
	kind, name, err := kindName(c.opts.Workload)
	if err != nil {
		return nil, err
	}
	w, err := c.get(ctx, kind, name)
	if err != nil {
		return nil, err
	}
	cfg := &manifest.Config{Name: name, Workload: w, Promise: result.PromiseZero}
	if d, ok := w.Object.(*appsv1.Deployment); ok {
		cfg.Deployment = d
	}
	if p, ok := w.Meta.Annotations[manifest.PromiseAnnotation]; ok {
		cfg.Promise = result.Promise(p)
	}
	switch containers := w.Template.Spec.Containers; {
	case c.opts.Container != "":
		if cfg.Container = w.Container(c.opts.Container); cfg.Container == nil {
			return nil, fmt.Errorf("%s has no container %q", w, c.opts.Container)
		}
	case len(containers) > 0:
		cfg.Container = &containers[0]
	default:
		return nil, fmt.Errorf("%s has no container", w)
	}
	svcs, err := c.services(ctx, w)
	if err != nil {
		return nil, err
	}
	if len(svcs) > 0 {
		cfg.Service = &svcs[0]
	}
	spec, err := specOf(w)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.adopted = &adoption{kind: kind, name: name, replicas: w.Replicas(), spec: spec}
	c.mu.Unlock()
	return cfg, nil
}

// services are the Services of the namespace that select the workload's pods.
func (c *Cluster) services(ctx context.Context, w *manifest.Workload) ([]corev1.Service, error) {
	list, err := c.cs.CoreV1().Services(c.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list services in %s: %w", c.ns, err)
	}
	pods := labels.Set(w.Template.Labels)
	var out []corev1.Service
	for _, s := range list.Items {
		if len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(pods) {
			out = append(out, s)
		}
	}
	return out, nil
}

// restore puts an adopted workload's replica count back to what Adopt found, if a scenario
// changed it. It has a context of its own: it must also run after Ctrl-C.
func (c *Cluster) restore() error {
	c.mu.Lock()
	a := c.adopted
	c.mu.Unlock()
	if a == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), restoreTimeout)
	defer cancel()
	w, err := c.get(ctx, a.kind, a.name)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if w.Replicas() != a.replicas {
		c.action(fmt.Sprintf("restore %d replicas", a.replicas), fmt.Sprintf("kubectl scale %s --replicas=%d -n %s", w, a.replicas, c.ns))
		if err := c.scale(ctx, w, a.replicas); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
	}
	spec, err := specOf(w)
	if err != nil {
		return err
	}
	if !bytes.Equal(spec, a.spec) {
		return fmt.Errorf("%s: its spec changed while scalelab acted on it (by someone else: scalelab only scales and restarts)", w)
	}
	return nil
}

// specOf is the workload's spec as JSON, but for what the scenarios change and put back
// or leave as kubectl would: the replica count, and the restartedAt annotation of a
// rollout restart.
func specOf(w *manifest.Workload) ([]byte, error) {
	var spec any
	switch o := w.Object.(type) {
	case *appsv1.Deployment:
		s := o.Spec.DeepCopy()
		s.Replicas = nil
		delete(s.Template.Annotations, RestartedAt)
		spec = s
	case *appsv1.StatefulSet:
		s := o.Spec.DeepCopy()
		s.Replicas = nil
		delete(s.Template.Annotations, RestartedAt)
		spec = s
	}
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("%s: spec: %w", w, err)
	}
	return b, nil
}

// errAdopted is Update's answer for an adopted workload: scalelab applies nothing to it.
var errAdopted = errors.New("an adopted workload is never applied to")
