package kube

import (
	"context"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// startWatching follows the pods of cfg's workload, by its own selector, and the
// EndpointSlices of the Services that select them, and turns every transition into a
// timeline event. Events arrive as the watch delivers them: a few milliseconds after the
// API server recorded the change.
func (c *Cluster) startWatching(ctx context.Context, cfg *manifest.Config) error {
	w, err := c.live(ctx)
	if err != nil {
		return err
	}
	sel, err := metav1.LabelSelectorAsSelector(w.Selector)
	if err != nil {
		return fmt.Errorf("%s selector: %w", w, err)
	}
	svcs, err := c.services(ctx, w)
	if err != nil {
		return err
	}
	var names []string
	for _, s := range svcs {
		names = append(names, s.Name)
	}
	container := ""
	if cfg.Container != nil {
		container = cfg.Container.Name
	}
	stop := make(chan struct{})
	pods := informers.NewSharedInformerFactoryWithOptions(c.cs, 0, informers.WithNamespace(c.ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = sel.String() }))
	slices := informers.NewSharedInformerFactoryWithOptions(c.cs, 0, informers.WithNamespace(c.ns),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) {
			o.LabelSelector = discoveryv1.LabelServiceName + " in (" + strings.Join(names, ",") + ")"
		}))

	events := func(kind string, ts []transition) {
		for _, t := range ts {
			c.put(result.Event{Kind: kind, Name: t.name, Mark: t.mark, Pod: t.pod, Step: t.step})
		}
	}
	// Each container's log is followed from its start (podlogs.go) until the watch stops.
	logs, stopLogs := context.WithCancel(context.Background())
	go func() { <-stop; stopLogs() }()
	podEvents := func(p *corev1.Pod, ts []transition) {
		events(result.EventPod, ts)
		for _, t := range ts {
			if t.step == result.StepStarted {
				go c.followLog(logs, p.Name, container)
			}
		}
	}
	sliceEvents := func(ts []transition) { events(result.EventEndpoint, ts) }
	if _, err := pods.Core().V1().Pods().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc: func(o any) {
			p := o.(*corev1.Pod)
			c.ips.learn(p)
			podEvents(p, podTransitions(container, nil, p))
		},
		UpdateFunc: func(o, n any) {
			p := n.(*corev1.Pod)
			c.ips.learn(p)
			podEvents(p, podTransitions(container, o.(*corev1.Pod), p))
		},
		DeleteFunc: func(o any) {
			if p, ok := o.(*corev1.Pod); ok {
				podEvents(p, []transition{{name: p.Name + " gone", pod: p.Name, step: result.StepGone}})
			}
		},
	}); err != nil {
		return fmt.Errorf("watch pods: %w", err)
	}
	// With no Service selecting the pods there are no slices to follow, and the slices'
	// factory starts no informer.
	if len(names) > 0 {
		if _, err := slices.Discovery().V1().EndpointSlices().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: func(o any) { sliceEvents(endpointTransitions(nil, o.(*discoveryv1.EndpointSlice))) },
			UpdateFunc: func(o, n any) {
				sliceEvents(endpointTransitions(o.(*discoveryv1.EndpointSlice), n.(*discoveryv1.EndpointSlice)))
			},
			DeleteFunc: func(o any) {
				if s, ok := o.(*discoveryv1.EndpointSlice); ok {
					sliceEvents(endpointTransitions(s, nil))
				}
			},
		}); err != nil {
			return fmt.Errorf("watch endpointslices: %w", err)
		}
	}
	pods.Start(stop)
	slices.Start(stop)
	pods.WaitForCacheSync(stop)
	slices.WaitForCacheSync(stop)
	if err := c.watchAutoscalers(cfg, stop); err != nil {
		close(stop)
		return err
	}

	c.mu.Lock()
	c.stop = stop
	c.svcNames = names
	c.mu.Unlock()
	return nil
}

// transition is one change of a pod or of its endpoint in words (name), with the pod it
// concerns, its step in the words every platform shares (result.Step*; "" for none) and
// the mark the matrix counts it by (result.MarkRestart, result.MarkKill; "" for the rest).
type transition struct{ name, mark, pod, step string }

// sigkill is the exit status of a container the kubelet killed: 128 + SIGKILL.
const sigkill = 137

// podTransitions names what changed between two versions of a pod (old nil: it is new),
// reading the status of the named container (of the first when "").
func podTransitions(name string, old, pod *corev1.Pod) []transition {
	var out []transition
	mark := ""
	say := func(step, format string, args ...any) {
		out = append(out, transition{name: pod.Name + " " + fmt.Sprintf(format, args...), mark: mark, pod: pod.Name, step: step})
		mark = ""
	}
	if old == nil {
		say(result.StepCreated, "created")
		old = &corev1.Pod{}
	}
	if !unschedulable(old) && unschedulable(pod) {
		say("", "pending: no node")
	}
	if old.Spec.NodeName == "" && pod.Spec.NodeName != "" {
		say("", "scheduled to %s", pod.Spec.NodeName)
	}
	if old.DeletionTimestamp == nil && pod.DeletionTimestamp != nil {
		grace := int64(0)
		if pod.DeletionGracePeriodSeconds != nil {
			grace = *pod.DeletionGracePeriodSeconds
		}
		say(result.StepDeleting, "deletion requested (grace %ds): preStop, then SIGTERM", grace)
	}
	oc, nc := container(name, old), container(name, pod)
	if nc.RestartCount > oc.RestartCount {
		mark = result.MarkRestart
		say(result.StepStarted, "container restarted (%d restarts)", nc.RestartCount)
	} else if oc.State.Running == nil && nc.State.Running != nil {
		say(result.StepStarted, "container started")
	}
	if oc.State.Terminated == nil && nc.State.Terminated != nil {
		t := nc.State.Terminated
		if t.ExitCode == sigkill {
			mark = result.MarkKill
		}
		say(result.StepExited, "container exited %d (%s)", t.ExitCode, t.Reason)
	}
	if or, nr := isReady(old), isReady(pod); or != nr {
		if nr {
			say(result.StepReady, "ready")
		} else {
			say(result.StepNotReady, "not ready")
		}
	}
	return out
}

// container is the status of the pod's named container (or of its first).
func container(name string, p *corev1.Pod) corev1.ContainerStatus {
	for _, s := range p.Status.ContainerStatuses {
		if s.Name == name {
			return s
		}
	}
	if len(p.Status.ContainerStatuses) > 0 {
		return p.Status.ContainerStatuses[0]
	}
	return corev1.ContainerStatus{}
}

// unschedulable says whether the scheduler found no node for p (its FailedScheduling).
func unschedulable(p *corev1.Pod) bool {
	c := condition(p, corev1.PodScheduled)
	return c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable
}

func isReady(p *corev1.Pod) bool {
	return condition(p, corev1.PodReady).Status == corev1.ConditionTrue
}

// condition is p's condition of type t (the zero one when p has none).
func condition(p *corev1.Pod, t corev1.PodConditionType) corev1.PodCondition {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return c
		}
	}
	return corev1.PodCondition{}
}

// endpointTransitions names what changed for each endpoint between two versions of an
// EndpointSlice (old nil: it is new; slice nil: it is gone), ordered by name.
func endpointTransitions(old, slice *discoveryv1.EndpointSlice) []transition {
	before, after := endpointStates(old), endpointStates(slice)
	var out []transition
	for name, st := range after {
		switch prev, ok := before[name]; {
		case !ok:
			out = append(out, transition{name: fmt.Sprintf("%s endpoint added (%s)", name, st.words), pod: st.pod, step: st.step})
		case prev != st:
			out = append(out, transition{name: fmt.Sprintf("%s endpoint %s", name, st.words), pod: st.pod, step: st.step})
		}
	}
	for name, st := range before {
		if _, ok := after[name]; !ok {
			out = append(out, transition{name: name + " endpoint removed", pod: st.pod, step: result.StepEndpointRemoved})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// endpointState is an endpoint's conditions in words ("not ready, serving, terminating")
// and as a step, with the pod it points to ("" when the slice does not say).
type endpointState struct{ words, step, pod string }

// endpointStates maps each endpoint (by pod name, else address) to its state.
func endpointStates(s *discoveryv1.EndpointSlice) map[string]endpointState {
	m := map[string]endpointState{}
	if s == nil {
		return m
	}
	for _, e := range s.Endpoints {
		name, pod := strings.Join(e.Addresses, ","), ""
		if e.TargetRef != nil {
			name, pod = e.TargetRef.Name, e.TargetRef.Name
		}
		words, step := conditions(e.Conditions)
		m[name] = endpointState{words: words, step: step, pod: pod}
	}
	return m
}

// conditions are an endpoint's conditions in words and as a step.
func conditions(c discoveryv1.EndpointConditions) (words, step string) {
	is := func(b *bool) bool { return b != nil && *b }
	var w []string
	step = result.StepEndpointNotReady
	if is(c.Ready) {
		w, step = append(w, "ready"), result.StepEndpointReady
	} else {
		w = append(w, "not ready")
	}
	if is(c.Serving) && !is(c.Ready) {
		w = append(w, "serving")
	}
	if is(c.Terminating) {
		w, step = append(w, "terminating"), result.StepEndpointTerminating
	}
	return strings.Join(w, ", "), step
}
