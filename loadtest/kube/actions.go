package kube

import (
	"context"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// RestartedAt is the pod-template annotation `kubectl rollout restart` sets.
const RestartedAt = "kubectl.kubernetes.io/restartedAt"

// Scale sets the Deployment's replicas through the scale subresource, as `kubectl scale`.
func (c *Cluster) Scale(ctx context.Context, replicas int32) error {
	d, err := c.deployment(ctx)
	if err != nil {
		return err
	}
	deployments := c.cs.AppsV1().Deployments(c.ns)
	s, err := deployments.GetScale(ctx, d.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("scale %s: %w", d.Name, err)
	}
	s.Spec.Replicas = replicas
	c.action(fmt.Sprintf("scale to %d", replicas), fmt.Sprintf("kubectl scale deployment/%s --replicas=%d -n %s", d.Name, replicas, c.ns))
	if _, err := deployments.UpdateScale(ctx, d.Name, s, metav1.UpdateOptions{FieldManager: FieldManager}); err != nil {
		return fmt.Errorf("scale %s to %d: %w", d.Name, replicas, err)
	}
	return nil
}

// Restart starts a rollout restart exactly as `kubectl rollout restart` does: a strategic
// merge patch of the pod template's restartedAt annotation.
func (c *Cluster) Restart(ctx context.Context) error {
	d, err := c.deployment(ctx)
	if err != nil {
		return err
	}
	patch := fmt.Sprintf(`{"spec":{"template":{"metadata":{"annotations":{%q:%q}}}}}`, RestartedAt, time.Now().Format(time.RFC3339))
	c.action("rollout restart", fmt.Sprintf("kubectl rollout restart deployment/%s -n %s", d.Name, c.ns))
	if _, err := c.cs.AppsV1().Deployments(c.ns).Patch(ctx, d.Name, types.StrategicMergePatchType, []byte(patch),
		metav1.PatchOptions{FieldManager: FieldManager}); err != nil {
		return fmt.Errorf("rollout restart %s: %w", d.Name, err)
	}
	return nil
}

// DeletePod deletes the oldest running pod of the Deployment, with its own grace period.
func (c *Cluster) DeletePod(ctx context.Context) (string, error) {
	pods, err := c.pods(ctx)
	if err != nil {
		return "", err
	}
	pods = slices.DeleteFunc(pods, func(p corev1.Pod) bool { return p.DeletionTimestamp != nil })
	if len(pods) == 0 {
		return "", fmt.Errorf("no running pod to delete in %s", c.ns)
	}
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return a.CreationTimestamp.Compare(b.CreationTimestamp.Time) })
	name := pods[0].Name
	c.action("delete pod "+name, fmt.Sprintf("kubectl delete pod %s -n %s --wait=false", name, c.ns))
	if err := c.cs.CoreV1().Pods(c.ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
		return "", fmt.Errorf("delete pod %s: %w", name, err)
	}
	return name, nil
}

// Settle returns once the rollout is complete, as `kubectl rollout status` judges it, and
// no pod of the Deployment is terminating.
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
	d, err := c.deployment(ctx)
	if err != nil {
		return "", err
	}
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	st := d.Status
	switch {
	case d.Generation > st.ObservedGeneration:
		return "the new spec is not observed yet", nil
	case st.UpdatedReplicas < want:
		return fmt.Sprintf("%d of %d replicas updated", st.UpdatedReplicas, want), nil
	case st.Replicas > st.UpdatedReplicas:
		return fmt.Sprintf("%d old replicas pending termination", st.Replicas-st.UpdatedReplicas), nil
	case st.AvailableReplicas < st.UpdatedReplicas:
		return fmt.Sprintf("%d of %d updated replicas available", st.AvailableReplicas, st.UpdatedReplicas), nil
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
	return "", nil
}

// pods lists the current Deployment's pods.
func (c *Cluster) pods(ctx context.Context) ([]corev1.Pod, error) {
	d, err := c.deployment(ctx)
	if err != nil {
		return nil, err
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("deployment %s selector: %w", d.Name, err)
	}
	list, err := c.cs.CoreV1().Pods(c.ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("list pods of %s: %w", d.Name, err)
	}
	return list.Items, nil
}
