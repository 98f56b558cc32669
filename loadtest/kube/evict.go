package kube

import (
	"context"
	"fmt"

	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"scalelab/loadtest/result"
)

// Evictable names the workload's pods not terminating, oldest first: those an eviction may
// take now.
func (c *Cluster) Evictable(ctx context.Context) ([]string, error) { return c.running(ctx) }

// Evict asks the API server to evict the pod (policy/v1), exactly as `kubectl drain` asks
// for each pod of a node, and puts the request and its answer on the timeline. The API
// server deletes the pod gracefully when its PodDisruptionBudget allows, and answers 429
// TooManyRequests when it does not (Evict reports false). A pod already gone (404) counts
// as evicted, as kubectl counts it.
func (c *Cluster) Evict(ctx context.Context, pod string) (bool, error) {
	// No kubectl command evicts one pod: say what is asked, as a comment.
	what := fmt.Sprintf("an eviction of pod %s -n %s (policy/v1), as kubectl drain asks for one", pod, c.ns)
	fmt.Fprintf(c.opts.Out, "# %s\n", what)
	c.event(result.EventAction, "evict pod "+pod, what)
	err := c.cs.PolicyV1().Evictions(c.ns).Evict(ctx, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Name: pod, Namespace: c.ns}})
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		c.event(result.EventAction, "evict pod "+pod+": gone", "404 NotFound: evicted already")
		return true, nil
	case apierrors.IsTooManyRequests(err):
		c.event(result.EventAction, "evict pod "+pod+" refused", "429 TooManyRequests: "+refusal(err))
		fmt.Fprintf(c.opts.Out, "# refused: 429 TooManyRequests: %s\n", refusal(err))
		return false, nil
	}
	return false, fmt.Errorf("evict pod %s: %w", pod, err)
}

// refusal is a 429's message with its causes, as the API server words them: "Cannot evict
// pod as it would violate the pod's disruption budget. The disruption budget hello needs 2
// healthy pods and has 2 currently".
func refusal(err error) string {
	msg := err.Error()
	if s, ok := err.(apierrors.APIStatus); ok && s.Status().Details != nil {
		for _, c := range s.Status().Details.Causes {
			msg += " " + c.Message
		}
	}
	return msg
}
