package scenario

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"scalelab/loadtest/result"
)

// A run proves something only when its action took effect: a rollout that replaced no pod,
// or a scale that left the replicas where they were, lost nothing because nothing happened.
// Each scenario's Effect says what it saw, from the pods there when the action began
// (Platform.Pods) and the pod events every platform puts on the timeline in the same words
// (result.Step*): the same check serves the lab and a cluster.

// Window is what an Effect reads: the workload's pods when the action began and the run's
// events from the action on, to the end of its load.
type Window struct {
	Before map[string]bool // each pod not terminating when the action began: ready or not
	Events []result.Event  // from the scenario's phase mark on, ordered
	Leaves int32           // the replicas the action leaves (Scenario.Leaves, else as many as it began with)
}

// after is how long the window lasted: from the action to its last event.
func (w Window) after() string {
	if len(w.Events) == 0 {
		return "0 s"
	}
	d := w.Events[len(w.Events)-1].At - w.Events[0].At
	return fmt.Sprintf("%.0f s", d.Seconds())
}

// podState is one pod as the events tell it.
type podState struct {
	ready, deleting bool
	created         bool // created after the action began
}

// podReplay is the workload's pods replayed from Before through the window's events.
type podReplay struct {
	now     map[string]*podState // the pods there at the window's end
	gone    map[string]bool      // each pod gone meanwhile
	created []string             // each pod created meanwhile, in order
	most    int                  // the most pods ready and not terminating at once
}

// replay follows the pod events of w over the pods it began with.
func (w Window) replay() podReplay {
	r := podReplay{now: map[string]*podState{}, gone: map[string]bool{}}
	for pod, ready := range w.Before {
		r.now[pod] = &podState{ready: ready}
	}
	r.most = r.serving()
	for _, e := range w.Events {
		if e.Kind != result.EventPod || e.Pod == "" {
			continue
		}
		if e.Step == result.StepCreated {
			r.now[e.Pod] = &podState{created: true}
			r.created = append(r.created, e.Pod)
			continue
		}
		p := r.now[e.Pod]
		if p == nil { // terminating before the action, or not the workload's
			continue
		}
		switch e.Step {
		case result.StepReady:
			p.ready = true
		case result.StepNotReady:
			p.ready = false
		case result.StepDeleting:
			p.deleting = true
		case result.StepGone:
			delete(r.now, e.Pod)
			r.gone[e.Pod] = true
		}
		r.most = max(r.most, r.serving())
	}
	return r
}

// serving counts the pods ready and not terminating.
func (r podReplay) serving() int {
	n := 0
	for _, p := range r.now {
		if p.ready && !p.deleting {
			n++
		}
	}
	return n
}

// left names the pods of before still there (a pod of the same name created anew, as a
// StatefulSet's, is not).
func (r podReplay) left(before map[string]bool) []string {
	var out []string
	for _, pod := range slices.Sorted(maps.Keys(before)) {
		if !r.gone[pod] {
			out = append(out, pod)
		}
	}
	return out
}

// settledAt says what is wrong with the pods ready after the settle ("" when they are as
// many as w.Leaves).
func (w Window) settledAt(r podReplay) string {
	if n := r.serving(); n != int(w.Leaves) {
		return fmt.Sprintf("%d %s ready after the settle, want %d", n, plural(n, "pod"), w.Leaves)
	}
	return ""
}

// replaced is the effect of a rollout restart and of evict: every pod there before is
// gone (verb says how), and as many as before are ready after the settle.
func replaced(verb string) func(Window) string {
	return func(w Window) string {
		r := w.replay()
		if left := r.left(w.Before); len(left) > 0 {
			return fmt.Sprintf("%d of %d pods still %s after %s (%s)", len(left), len(w.Before), verb, w.after(), strings.Join(left, ", "))
		}
		return w.settledAt(r)
	}
}

// scaled is the effect of a scale: the replicas reached, and kept until the end.
func scaled(w Window) string { return w.settledAt(w.replay()) }

// deleted is delete-pod's effect: the pod the action named is gone, and its replacement
// makes the replicas whole again.
func deleted(w Window) string {
	named := ""
	for _, e := range w.Events {
		if e.Kind == result.EventAction && e.Pod != "" && strings.HasPrefix(e.Name, "delete pod ") {
			named = e.Pod
			break
		}
	}
	if named == "" {
		return "no pod named as deleted on the timeline"
	}
	r := w.replay()
	if !r.gone[named] {
		return fmt.Sprintf("pod %s still there after %s", named, w.after())
	}
	return w.settledAt(r)
}

// drained is drain's effect: the node cordoned, then uncordoned, and either its pods
// evicted and gone or the drain given up — by design of a PodDisruptionBudget that keeps
// the last pods on a single node: that is the lesson, not a missing effect.
func drained(w Window) string {
	node, uncordoned, outcome := "", false, ""
	for _, e := range w.Events {
		switch {
		case e.Kind == result.EventAction && node == "" && strings.HasPrefix(e.Name, "cordon node "):
			node = strings.TrimPrefix(e.Name, "cordon node ")
		case e.Kind == result.EventAction && node != "" && e.Name == "uncordon node "+node:
			uncordoned = true
		case e.Kind == result.EventPhase && (e.Name == "drained" || e.Name == "drain gave up"):
			outcome = e.Name
		}
	}
	r := w.replay()
	switch {
	case node == "":
		return "no node cordoned"
	case outcome == "":
		return fmt.Sprintf("node %s neither drained nor given up after %s", node, w.after())
	case !uncordoned:
		return fmt.Sprintf("node %s not uncordoned", node)
	case outcome == "drained" && len(r.left(w.Before)) == len(w.Before):
		return fmt.Sprintf("node %s drained, but none of the %d pods gone", node, len(w.Before))
	}
	return w.settledAt(r)
}

// autoscaled is autoscale's effect: at least two pods more than it began with (the HPA's
// minimum) ready at once, and back at as many after the settle.
func autoscaled(w Window) string {
	r := w.replay()
	if up := int(w.Leaves) + 2; r.most < up {
		return fmt.Sprintf("at most %d %s ready at once, want %d: 2 more than the HPA's minimum", r.most, plural(r.most, "pod"), up)
	}
	return w.settledAt(r)
}

// stuck is stuck-rollout's effect: the rollout started (a pod of the new template created)
// and stayed stuck (none of them ready when the watch ended).
func stuck(w Window) string {
	r := w.replay()
	if len(r.created) == 0 {
		return fmt.Sprintf("no new pod created after %s: the rollout did not start", w.after())
	}
	var ready []string
	for _, pod := range r.created {
		if p := r.now[pod]; p != nil && p.ready && !p.deleting {
			ready = append(ready, pod)
		}
	}
	if len(ready) > 0 {
		return fmt.Sprintf("new %s %s ready: the rollout did not stay stuck", plural(len(ready), "pod"), strings.Join(ready, ", "))
	}
	return ""
}

// plural is word for n of them: "pod", "pods".
func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// window is the events from the scenario's phase mark on, which act puts as the action begins.
func window(events []result.Event, name string) []result.Event {
	i := slices.IndexFunc(events, func(e result.Event) bool { return e.Kind == result.EventPhase && e.Name == name })
	if i < 0 {
		return nil
	}
	return events[i:]
}
