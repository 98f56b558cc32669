package lab

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// The lab's nodes are names its pods are bound to, as the scheduler binds a cluster's pods:
// nothing runs on them but the pods' own processes, and all of them share this machine.
// What they model is placement: a new pod goes to the schedulable node with fewest of the
// workload's pods, terminating ones included (the scheduler's spreading, as its cache counts
// them: a cordoned node, or one with as many pods, is passed over), the first in order of
// those with as few; a node cordoned takes no new pod; a pod with no node to go to stays
// Pending, unscheduled, until one is uncordoned. A pod's kubelet work (admission, probes,
// its container) starts once it is bound.

// nodeName is the name of the lab's node i, from 0.
func nodeName(i int) string { return fmt.Sprintf("lab-node-%d", i+1) }

// nodesLocked are the lab's nodes, in order.
func (l *Lab) nodesLocked() []string {
	out := make([]string, l.opts.Nodes)
	for i := range out {
		out[i] = nodeName(i)
	}
	return out
}

// scheduleLocked binds p to a node and starts its kubelet work, or leaves it Pending (with
// the scheduler's event, once) when every node is cordoned.
func (l *Lab) scheduleLocked(p *pod) {
	count := map[string]int{}
	for _, q := range l.podsLocked() {
		if q.node != "" {
			count[q.node]++
		}
	}
	var pick string
	for _, n := range l.nodesLocked() {
		if !l.cordoned[n] && (pick == "" || count[n] < count[pick]) {
			pick = n
		}
	}
	if pick == "" {
		if !p.unschedulable {
			p.unschedulable = true
			l.podEvent(p.name, "", kindPod, "pending: no node", fmt.Sprintf("FailedScheduling: 0/%d nodes are available: %d node(s) were unschedulable", l.opts.Nodes, len(l.cordoned)))
		}
		return
	}
	p.node = pick
	l.podEvent(p.name, "", kindPod, "scheduled to "+pick, "")
	// The kubelet starts the probe workers when it admits the pod, before the container runs.
	for _, w := range p.probers {
		l.wg.Go(func() { w.loop(p.ctx, p.admission) })
	}
	close(p.bound)
}

// PodNodes maps each of the workload's pods not yet gone to its node ("" while Pending).
func (l *Lab) PodNodes(context.Context) (map[string]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.current == nil {
		return nil, errors.New("lab: nothing deployed")
	}
	out := map[string]string{}
	for _, p := range l.podsLocked() {
		out[p.name] = p.node
	}
	return out, nil
}

// Cordon marks node unschedulable, as `kubectl cordon` does, or schedulable again: then
// the pods Pending for want of a node are bound, oldest first.
func (l *Lab) Cordon(_ context.Context, node string, unschedulable bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !slices.Contains(l.nodesLocked(), node) {
		return fmt.Errorf("lab: no node %s (the lab has %d: --nodes)", node, l.opts.Nodes)
	}
	verb := "cordon"
	if !unschedulable {
		verb = "uncordon"
	}
	l.event(kindAction, verb+" node "+node, "kubectl "+verb+" "+node)
	if unschedulable {
		l.cordoned[node] = true
		return nil
	}
	delete(l.cordoned, node)
	pending := slices.DeleteFunc(l.podsLocked(), func(p *pod) bool { return p.node != "" || p.terminating })
	slices.SortStableFunc(pending, func(a, b *pod) int { return a.created.Compare(b.created) })
	for _, p := range pending {
		l.scheduleLocked(p)
	}
	return nil
}
