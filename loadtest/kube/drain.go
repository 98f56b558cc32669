package kube

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// CordonedAnnotation marks a node a drain of loadtest's cordoned, with the holder that did
// (HOST/PID): a loadtest killed mid-drain leaves it cordoned, and the next matrix's
// ClaimLanes uncordons it.
const CordonedAnnotation = "scalelab.dev/cordoned-by"

// PodNodes maps each of the workload's pods, terminating ones included, to spec.nodeName
// ("" while the scheduler has found no node for it).
func (c *Cluster) PodNodes(ctx context.Context) (map[string]string, error) {
	pods, err := c.pods(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(pods))
	for _, p := range pods {
		out[p.Name] = p.Spec.NodeName
	}
	return out, nil
}

// Cordon marks node unschedulable as `kubectl cordon` does (a patch of spec.unschedulable),
// or schedulable again as `kubectl uncordon` does, with CordonedAnnotation while cordoned.
func (c *Cluster) Cordon(ctx context.Context, node string, unschedulable bool) error {
	verb, by := "cordon", any(holder())
	if !unschedulable {
		verb, by = "uncordon", nil // null deletes the annotation
	}
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]any{CordonedAnnotation: by}},
		"spec":     map[string]any{"unschedulable": unschedulable},
	})
	if err != nil {
		return err
	}
	c.action(verb+" node "+node, "kubectl "+verb+" "+node)
	if _, err := c.cs.CoreV1().Nodes().Patch(ctx, node, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager}); err != nil {
		return fmt.Errorf("%s node %s: %w", verb, node, err)
	}
	return nil
}

// uncordonLeftovers uncordons the nodes a killed loadtest of this host cordoned, and names them.
func (c *Cluster) uncordonLeftovers(ctx context.Context) ([]string, error) {
	nodes, err := c.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if apierrors.IsForbidden(err) { // a user who may not list nodes cannot have drained one
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	var done []string
	for _, n := range nodes.Items {
		if h, ok := n.Annotations[CordonedAnnotation]; ok && leftover(h) {
			fmt.Fprintf(c.opts.Out, "# node %s was cordoned by %s, which no longer runs\n", n.Name, h)
			if err := c.Cordon(ctx, n.Name, false); err != nil {
				return done, err
			}
			done = append(done, "node "+n.Name+" (uncordoned)")
		}
	}
	return done, nil
}

// Renew makes the next Deploy start every pod anew, even of an unchanged configuration:
// a drain moves the drained node's pods to the others, and the next run must not start
// from there (scenario.Renewer).
func (c *Cluster) Renew() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.renew = true
}

// renewing takes the Renew asked for, if any.
func (c *Cluster) renewing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.renew
	c.renew = false
	return r
}
