package scenario

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// Drainer is an Evictor whose pods run on nodes it can cordon, as `kubectl drain` needs
// (lab.Lab with its --nodes, kube.Cluster). Cordoning changes a node every workload on it
// shares: on a cluster, other lanes' pods too.
type Drainer interface {
	Evictor
	// PodNodes maps each of the workload's pods, terminating ones included, to the node it
	// runs on ("" while no node would take it).
	PodNodes(ctx context.Context) (map[string]string, error)
	// Cordon marks node unschedulable, as `kubectl cordon` does, or schedulable again
	// (`kubectl uncordon`: unschedulable false), and puts that on the timeline.
	Cordon(ctx context.Context, node string, unschedulable bool) error
}

// Renewer is a Platform whose Deploy keeps the pods of an unchanged configuration running
// (kube.Cluster; the lab starts every pod anew at every Deploy): Renew makes its next Deploy
// start them anew, placed by the scheduler afresh.
type Renewer interface {
	Renew()
}

// drain is the scenario's value in Scenarios. Each run starts from pods placed anew: the
// last drain moved its node's pods to the others, and a drain of a node that runs all of
// them is another lesson (evict's).
func drain() Scenario {
	return Scenario{
		Name:  "drain",
		Fresh: true,
		Doc:   "kubectl drain of the node with most of the pods, then uncordon: do the other nodes, or the PodDisruptionBudget, keep the service up?",
		Needs: CanDrain,
		Tests: []result.Promise{result.PromiseZero},
		Act: func(ctx context.Context, p Platform, cfg *manifest.Config) error {
			return Drain(ctx, p.(Drainer), drainTimeout(cfg))
		},
		Takes:  evictions,
		Effect: drained,
	}
}

// drainTimeout is how long a drain of cfg's pods may take to evict them before it gives up,
// as `kubectl drain --timeout` does: twice what evicting all of them takes by their timings,
// and at least drainMin. On a single node a PodDisruptionBudget keeps the last pods there
// for good (their replacements have no other node to go to), and the drain ends there.
func drainTimeout(cfg *manifest.Config) time.Duration {
	return min(max(2*evictions(cfg), drainMin), evictTimeout)
}

// drainMin is the shortest drain timeout: a budget's first refusal and two retries.
const drainMin = 3 * EvictRetry

// Drain drains the node that runs most of d's pods (the first by name of those that run as
// many) as `kubectl drain` does, and then uncordons it: cordon it, list its pods, evict them
// as EvictAll does, wait until they are gone, uncordon. When the budget keeps pods past
// timeout, the drain gives up as kubectl does at its --timeout, says so on the timeline, and
// uncordons: for the lesson that is an outcome (the budget kept the service up), not an
// error. The node is uncordoned even when ctx ends first.
func Drain(ctx context.Context, d Drainer, timeout time.Duration) (err error) {
	on, err := d.PodNodes(ctx)
	if err != nil {
		return err
	}
	node := busiest(on)
	if node == "" {
		return errors.New("drain: no pod runs on a node")
	}
	if err := d.Cordon(ctx, node, true); err != nil {
		return err
	}
	defer func() {
		// A drain that failed or was stopped still gives the node back.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		err = errors.Join(err, d.Cordon(ctx, node, false))
	}()
	if on, err = d.PodNodes(ctx); err != nil { // listed once cordoned, as kubectl lists them
		return err
	}
	pods := podsOn(on, node)
	start := time.Now()
	if err := evictPods(ctx, d, pods, timeout); err != nil {
		if ctx.Err() != nil || time.Since(start) < timeout { // a failure, not the timeout
			return fmt.Errorf("drain node %s: %w", node, err)
		}
		timeline(ctx).Add(result.EventPhase, "drain gave up",
			fmt.Sprintf("node %s: the PodDisruptionBudget kept pods there for %s, as kubectl drain --timeout=%s gives up; the node is uncordoned", node, timeout.Round(time.Second), timeout))
		return nil
	}
	gctx, cancel := context.WithTimeout(ctx, evictTimeout) // their grace periods, at most
	defer cancel()
	if err := goneFrom(gctx, d, pods); err != nil {
		return fmt.Errorf("drain node %s: %w", node, err)
	}
	timeline(ctx).Add(result.EventPhase, "drained", fmt.Sprintf("node %s: %d pods evicted and gone in %s", node, len(pods), time.Since(start).Round(100*time.Millisecond)))
	return nil
}

// busiest is the node with most pods in on, the first by name of those with as many.
func busiest(on map[string]string) string {
	count := map[string]int{}
	for _, n := range on {
		if n != "" {
			count[n]++
		}
	}
	nodes := slices.Sorted(maps.Keys(count))
	if len(nodes) == 0 {
		return ""
	}
	return slices.MaxFunc(nodes, func(a, b string) int { return cmp.Compare(count[a], count[b]) }) // the first of the most
}

// podsOn names the pods on node, by name.
func podsOn(on map[string]string, node string) []string {
	var out []string
	for pod, n := range on {
		if n == node {
			out = append(out, pod)
		}
	}
	slices.Sort(out)
	return out
}

// drainPoll is how often a drain looks whether its evicted pods are gone (kubectl: 1 s).
const drainPoll = 250 * time.Millisecond

// goneFrom waits until none of pods is left, as kubectl drain waits for their deletion.
func goneFrom(ctx context.Context, d Drainer, pods []string) error {
	for {
		on, err := d.PodNodes(ctx)
		if err != nil {
			return err
		}
		var left []string
		for _, p := range pods {
			if _, ok := on[p]; ok {
				left = append(left, p)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if !sleep(ctx, drainPoll) {
			return fmt.Errorf("evicted pods not gone: %s: %w", strings.Join(left, ", "), ctx.Err())
		}
	}
}
