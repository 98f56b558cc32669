package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"scalelab/loadtest/manifest"
)

// RestartedAt is the pod-template annotation `kubectl rollout restart` sets.
const RestartedAt = "kubectl.kubernetes.io/restartedAt"

// Scale sets the workload's replicas through the scale subresource, as `kubectl scale`.
func (c *Cluster) Scale(ctx context.Context, replicas int32) error {
	w, err := c.live(ctx)
	if err != nil {
		return err
	}
	c.action(fmt.Sprintf("scale to %d", replicas), fmt.Sprintf("kubectl scale %s --replicas=%d -n %s", w, replicas, c.ns))
	return c.scale(ctx, w, replicas)
}

// scale writes the scale subresource of w.
func (c *Cluster) scale(ctx context.Context, w *manifest.Workload, replicas int32) error {
	get, update := c.cs.AppsV1().Deployments(c.ns).GetScale, c.cs.AppsV1().Deployments(c.ns).UpdateScale
	if w.Kind == manifest.KindStatefulSet {
		get, update = c.cs.AppsV1().StatefulSets(c.ns).GetScale, c.cs.AppsV1().StatefulSets(c.ns).UpdateScale
	}
	s, err := get(ctx, w.Meta.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("scale %s: %w", w, err)
	}
	s.Spec.Replicas = replicas
	if _, err := update(ctx, w.Meta.Name, s, metav1.UpdateOptions{FieldManager: FieldManager}); err != nil {
		return fmt.Errorf("scale %s to %d: %w", w, replicas, err)
	}
	return nil
}

// Restart starts a rollout restart exactly as `kubectl rollout restart` does: a strategic
// merge patch of the pod template's restartedAt annotation.
func (c *Cluster) Restart(ctx context.Context) error {
	w, err := c.live(ctx)
	if err != nil {
		return err
	}
	if s, ok := w.Object.(*appsv1.StatefulSet); ok && s.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		return fmt.Errorf("rollout restart %s: its updateStrategy is OnDelete, so a restart replaces no pod", w)
	}
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{%q:%q}}}}}`, RestartedAt, time.Now().Format(time.RFC3339))
	c.action("rollout restart", fmt.Sprintf("kubectl rollout restart %s -n %s", w, c.ns))
	if w.Kind == manifest.KindStatefulSet {
		_, err = c.cs.AppsV1().StatefulSets(c.ns).Patch(ctx, w.Meta.Name, types.StrategicMergePatchType, []byte(patch),
			metav1.PatchOptions{FieldManager: FieldManager})
	} else {
		_, err = c.cs.AppsV1().Deployments(c.ns).Patch(ctx, w.Meta.Name, types.StrategicMergePatchType, []byte(patch),
			metav1.PatchOptions{FieldManager: FieldManager})
	}
	if err != nil {
		return fmt.Errorf("rollout restart %s: %w", w, err)
	}
	return nil
}

// DeletePod deletes the oldest running pod of the workload, with its own grace period.
func (c *Cluster) DeletePod(ctx context.Context) (string, error) {
	pods, err := c.running(ctx)
	if err != nil {
		return "", err
	}
	if len(pods) == 0 {
		return "", fmt.Errorf("no running pod to delete in %s", c.ns)
	}
	name := pods[0]
	c.podAction(name, "delete pod "+name, fmt.Sprintf("kubectl delete pod %s -n %s --wait=false", name, c.ns))
	if err := c.cs.CoreV1().Pods(c.ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		return "", fmt.Errorf("delete pod %s: %w", name, err)
	}
	return name, nil
}

// Settle returns once the rollout is complete, as `kubectl rollout status` judges it, no
// pod of the workload is terminating, and the proxies that can be read route to exactly
// the ready pods (caughtup.go).
func (c *Cluster) Settle(ctx context.Context) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		why, err := c.unsettled(ctx)
		if err != nil {
			return err
		}
		if why == "" {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not settled: %s: %w", why, ctx.Err())
		case <-tick.C:
		}
	}
}

// unsettled says what the rollout still waits for; "" when it is settled.
func (c *Cluster) unsettled(ctx context.Context) (string, error) {
	w, err := c.live(ctx)
	if err != nil {
		return "", err
	}
	if why := rolloutPending(w); why != "" {
		return why, nil
	}
	pods, err := c.pods(ctx)
	if err != nil {
		return "", err
	}
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			return "pod " + p.Name + " terminating", nil
		}
	}
	return c.uncaught(ctx, pods)
}

// rolloutPending says what the workload's rollout still waits for, as `kubectl rollout
// status` reads it; "" when it is complete.
func rolloutPending(w *manifest.Workload) string {
	want := w.Replicas()
	switch o := w.Object.(type) {
	case *appsv1.Deployment:
		st := o.Status
		switch {
		case o.Generation > st.ObservedGeneration:
			return "the new spec is not observed yet"
		case st.UpdatedReplicas < want:
			return fmt.Sprintf("%d of %d replicas updated", st.UpdatedReplicas, want)
		case st.Replicas > st.UpdatedReplicas:
			return fmt.Sprintf("%d old replicas pending termination", st.Replicas-st.UpdatedReplicas)
		case st.AvailableReplicas < st.UpdatedReplicas:
			return fmt.Sprintf("%d of %d updated replicas available", st.AvailableReplicas, st.UpdatedReplicas)
		}
	case *appsv1.StatefulSet:
		st := o.Status
		switch {
		case o.Generation > st.ObservedGeneration:
			return "the new spec is not observed yet"
		case st.Replicas != want:
			return fmt.Sprintf("%d of %d replicas", st.Replicas, want)
		case st.ReadyReplicas < want:
			return fmt.Sprintf("%d of %d replicas ready", st.ReadyReplicas, want)
		case o.Spec.UpdateStrategy.Type != appsv1.OnDeleteStatefulSetStrategyType &&
			(st.UpdateRevision != st.CurrentRevision || st.UpdatedReplicas < want):
			return fmt.Sprintf("%d of %d replicas updated", st.UpdatedReplicas, want)
		}
	}
	return ""
}

// Pods maps each of the workload's pods not terminating to whether its Ready condition is true.
func (c *Cluster) Pods(ctx context.Context) (map[string]bool, error) {
	pods, err := c.pods(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, p := range pods {
		if p.DeletionTimestamp == nil {
			out[p.Name] = isReady(&p)
		}
	}
	return out, nil
}

// running names the workload's pods not terminating, oldest first.
func (c *Cluster) running(ctx context.Context) ([]string, error) {
	pods, err := c.pods(ctx)
	if err != nil {
		return nil, err
	}
	pods = slices.DeleteFunc(pods, func(p corev1.Pod) bool { return p.DeletionTimestamp != nil })
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	var names []string
	for _, p := range pods {
		names = append(names, p.Name)
	}
	return names, nil
}

// pods lists the current workload's pods, by its own selector.
func (c *Cluster) pods(ctx context.Context) ([]corev1.Pod, error) {
	w, err := c.live(ctx)
	if err != nil {
		return nil, err
	}
	sel, err := metav1.LabelSelectorAsSelector(w.Selector)
	if err != nil {
		return nil, fmt.Errorf("%s selector: %w", w, err)
	}
	list, err := c.cs.CoreV1().Pods(c.ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("list pods of %s: %w", w, err)
	}
	return list.Items, nil
}

// kindName is a workload reference as kubectl takes it, parsed: "deployment/web",
// "statefulset/db" (also deploy/, sts/, and the plural and qualified forms).
func kindName(ref string) (kind, name string, err error) {
	k, n, ok := strings.Cut(ref, "/")
	if !ok || n == "" || strings.Contains(n, "/") {
		return "", "", fmt.Errorf("workload %q: want deployment/NAME or statefulset/NAME", ref)
	}
	switch strings.ToLower(k) {
	case "deployment", "deployments", "deploy", "deployment.apps", "deployments.apps":
		return manifest.KindDeployment, n, nil
	case "statefulset", "statefulsets", "sts", "statefulset.apps", "statefulsets.apps":
		return manifest.KindStatefulSet, n, nil
	}
	return "", "", fmt.Errorf("workload %q: kind %q: want deployment or statefulset", ref, k)
}
