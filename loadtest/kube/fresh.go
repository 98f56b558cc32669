package kube

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"

	"scalelab/loadtest/manifest"
)

// What a run leaves behind is not what the next one measures. When the next configuration
// has another pod template, a rollout to it (wave by wave, each new pod waiting for its
// startup, each old one for its shutdown) took longer than the run itself; so a Deploy of a
// configuration of its own (not an adopted workload: those pods are the user's) deletes a
// Deployment whose pod template is not the configuration's, with its ReplicaSets and pods,
// the pods at a grace period of 1 s (what `kubectl delete --grace-period=0` asks), and the
// new one starts all of its pods at once while the old ones stop. The template is compared
// by a hash that apply writes on the Deployment.
//
// A shorter grace period asked of a pod already terminating does not cut its end (measured
// on the bare cluster: fast graceful pods stopped by a scale down took 5 s either way), so
// the pods that a smaller replica count stops keep their own; the matrix avoids those stops
// by running next what starts where the last run ended (scenario's queue).

// TemplateAnnotation on a Deployment scalelab applied is the hash of the pod template it
// applied (a restart's annotation, written by another operation, does not change it).
const TemplateAnnotation = "scalelab.dev/template"

// stopGrace is the grace period of a pod stopped between runs.
var stopGrace = int64(1)

// templateHash is the hash of obj's spec.template ("" when it has none).
func templateHash(obj *unstructured.Unstructured) (string, error) {
	t, ok, err := unstructured.NestedMap(obj.Object, "spec", "template")
	if err != nil || !ok {
		return "", err
	}
	b, err := json.Marshal(t) // encoding/json sorts map keys: the same template, the same bytes
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8]), nil
}

// markTemplate writes TemplateAnnotation on obj when it is a workload.
func markTemplate(obj *unstructured.Unstructured) error {
	if k := obj.GetKind(); k != manifest.KindDeployment && k != manifest.KindStatefulSet {
		return nil
	}
	h, err := templateHash(obj)
	if err != nil || h == "" {
		return err
	}
	a := obj.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[TemplateAnnotation] = h
	obj.SetAnnotations(a)
	return nil
}

// replaceChanged deletes the live Deployment of cfg, and its pods, when its pod template is
// not cfg's or renew says so, and waits until the pods are gone.
func (c *Cluster) replaceChanged(ctx context.Context, cfg *manifest.Config, renew bool) error {
	name := cfg.Deployment.Name
	live, err := c.cs.AppsV1().Deployments(c.ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deploy %s: %w", cfg.Name, err)
	}
	for _, obj := range cfg.Objects {
		if obj.GetKind() != manifest.KindDeployment || obj.GetName() != name {
			continue
		}
		want, err := templateHash(obj)
		if err != nil {
			return fmt.Errorf("deploy %s: %w", cfg.Name, err)
		}
		if live.Annotations[TemplateAnnotation] == want && !renew {
			return nil
		}
	}
	c.action("replace "+name, fmt.Sprintf("kubectl delete deployment %s -n %s && kubectl delete pods -l %s --grace-period=0 -n %s",
		name, c.ns, metav1.FormatLabelSelector(live.Spec.Selector), c.ns))
	// Orphaned, the ReplicaSets and pods are left to us: the garbage collector would
	// delete the pods with their own grace, which a shorter one asked later does not cut.
	policy := metav1.DeletePropagationOrphan
	orphan := metav1.DeleteOptions{PropagationPolicy: &policy}
	if err := c.cs.AppsV1().Deployments(c.ns).Delete(ctx, name, orphan); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deploy %s: replace %s: %w", cfg.Name, name, err)
	}
	sel, err := metav1.LabelSelectorAsSelector(live.Spec.Selector)
	if err != nil {
		return fmt.Errorf("deploy %s: %s selector: %w", cfg.Name, name, err)
	}
	rss := c.cs.AppsV1().ReplicaSets(c.ns)
	list, err := rss.List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return fmt.Errorf("deploy %s: replace %s: %w", cfg.Name, name, err)
	}
	for _, rs := range list.Items {
		if err := rss.Delete(ctx, rs.Name, orphan); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deploy %s: replace %s: %w", cfg.Name, name, err)
		}
	}
	if err := c.stopPods(ctx, sel.String()); err != nil {
		return err
	}
	// An orphaning delete finishes when the garbage collector has let go of the
	// dependents: until then the old Deployment takes the apply (and then vanishes with
	// it), and an old ReplicaSet holds the name the new one may want.
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err = wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		_, err := c.cs.AppsV1().Deployments(c.ns).Get(ctx, name, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return false, nil
		}
		list, err := rss.List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
		return err == nil && len(list.Items) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("deploy %s: the old deployment %s is still there: %w", cfg.Name, name, err)
	}
	return nil
}

// stopPods stops every pod selected by selector (grace 1 s, once each) and returns once a
// listing shows all of them stopping: the new configuration's pods start meanwhile, and
// Deploy's settle waits until the old ones are gone.
func (c *Cluster) stopPods(ctx context.Context, selector string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	err := wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		list, err := c.cs.CoreV1().Pods(c.ns).List(ctx, metav1.ListOptions{LabelSelector: selector})
		if err != nil {
			return false, err
		}
		stopping := 0
		for _, p := range list.Items {
			if g := p.DeletionGracePeriodSeconds; g != nil && *g <= stopGrace {
				stopping++
			} else if err := c.stopPod(ctx, p); err != nil {
				return false, err
			}
		}
		return stopping == len(list.Items), nil
	})
	if err != nil {
		return fmt.Errorf("stop the previous run's pods (%s): %w", selector, err)
	}
	return nil
}

// stopPod deletes p with a grace period of stopGrace.
func (c *Cluster) stopPod(ctx context.Context, p corev1.Pod) error {
	err := c.cs.CoreV1().Pods(c.ns).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &stopGrace})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("stop pod %s: %w", p.Name, err)
	}
	return nil
}
