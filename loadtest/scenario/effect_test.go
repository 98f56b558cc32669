package scenario

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// marks is a run's events for a test of an Effect: each "pod step" a pod event, each
// "phase:NAME" a phase mark, each "action:NAME" an action (its pod after a "|"), one
// second apart.
func marks(words ...string) []result.Event {
	var out []result.Event
	for i, m := range words {
		e := result.Event{At: time.Duration(i) * time.Second}
		switch kind, name, ok := strings.Cut(m, ":"); {
		case ok && kind == "phase":
			e.Kind, e.Name = result.EventPhase, name
		case ok && kind == "action":
			e.Kind = result.EventAction
			e.Name, e.Pod, _ = strings.Cut(name, "|")
		default:
			pod, step, _ := strings.Cut(m, " ")
			e.Kind, e.Name, e.Pod, e.Step = result.EventPod, m, pod, step
		}
		out = append(out, e)
	}
	return out
}

// ready is pods, each ready.
func ready(pods ...string) map[string]bool {
	out := map[string]bool{}
	for _, p := range pods {
		out[p] = true
	}
	return out
}

// Each scenario's Effect passes when the timeline shows its effect and says what it saw
// when not, in words a reader can check against the timeline.
func TestEffects(t *testing.T) {
	t.Parallel()
	sc := func(name string) Scenario {
		s, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	for _, tc := range []struct {
		name     string
		scenario string
		before   map[string]bool
		leaves   int32
		events   []result.Event
		want     string
	}{
		{"rollout replaced every pod", "rollout-restart", ready("a", "b"), 2, marks("phase:rollout-restart",
			"c created", "a deleting", "c ready", "a gone", "d created", "b deleting", "d ready", "b gone", "phase:settled"), ""},
		{"rollout of a StatefulSet: the same names anew", "rollout-restart", ready("web-0", "web-1"), 2, marks("phase:rollout-restart",
			"web-1 deleting", "web-1 gone", "web-1 created", "web-1 ready", "web-0 deleting", "web-0 gone", "web-0 created", "web-0 ready"), ""},
		{"rollout that replaced nothing", "rollout-restart", ready("a", "b", "c"), 3, marks("phase:rollout-restart",
			"phase:settled", "phase:tail", "phase:attack end"), "3 of 3 pods still from the old template after 3 s (a, b, c)"},
		{"rollout whose new pods never turned ready", "rollout-restart", ready("a"), 1, marks("phase:rollout-restart",
			"b created", "a deleting", "a gone"), "0 pods ready after the settle, want 1"},
		{"scale-up reached", "scale-up", ready("a"), 2, marks("phase:scale-up", "b created", "b ready", "phase:settled"), ""},
		{"scale-up not ready", "scale-up", ready("a"), 2, marks("phase:scale-up", "b created", "phase:settled"),
			"1 pod ready after the settle, want 2"},
		{"scale-down reached", "scale-down", ready("a", "b", "c"), 1, marks("phase:scale-down",
			"b deleting", "c deleting", "b not ready", "b gone", "c gone", "phase:settled"), ""},
		{"scale-down that removed nothing", "scale-down", ready("a", "b", "c"), 1, marks("phase:scale-down", "phase:settled"),
			"3 pods ready after the settle, want 1"},
		{"scale-down taken back", "scale-down", ready("a", "b"), 1, marks("phase:scale-down",
			"b deleting", "b gone", "phase:settled", "c created", "c ready"), "2 pods ready after the settle, want 1"},
		{"delete-pod: gone and replaced", "delete-pod", ready("a", "b"), 2, marks("phase:delete-pod",
			"action:delete pod a|a", "a deleting", "c created", "c ready", "a gone", "phase:settled"), ""},
		{"delete-pod: still there", "delete-pod", ready("a", "b"), 2, marks("phase:delete-pod",
			"action:delete pod a|a", "phase:settled"), "pod a still there after 2 s"},
		{"delete-pod: none named", "delete-pod", ready("a", "b"), 2, marks("phase:delete-pod", "phase:settled"),
			"no pod named as deleted on the timeline"},
		{"delete-pod: not replaced", "delete-pod", ready("a", "b"), 2, marks("phase:delete-pod",
			"action:delete pod a|a", "a deleting", "a gone"), "1 pod ready after the settle, want 2"},
		{"evict: all gone, replaced", "evict", ready("a", "b"), 2, marks("phase:evict",
			"action:evict pod a", "action:evict pod b", "a deleting", "b deleting", "c created", "d created", "a gone", "b gone", "c ready", "d ready"), ""},
		{"evict: one kept", "evict", ready("a", "b"), 2, marks("phase:evict",
			"a deleting", "c created", "a gone", "c ready", "phase:settled"), "1 of 2 pods still not evicted after 5 s (b)"},
		{"drain: drained and uncordoned", "drain", ready("a", "b", "c"), 3, marks("phase:drain",
			"action:cordon node n1", "a deleting", "b deleting", "d created", "e created", "a gone", "b gone",
			"phase:drained", "action:uncordon node n1", "d ready", "e ready"), ""},
		{"drain: a budget made it give up", "drain", ready("a", "b", "c"), 3, marks("phase:drain",
			"action:cordon node n1", "a deleting", "d created", "a gone", "phase:drain gave up", "action:uncordon node n1", "d ready"), ""},
		{"drain: no node cordoned", "drain", ready("a"), 1, marks("phase:drain", "phase:settled"), "no node cordoned"},
		{"drain: never uncordoned", "drain", ready("a"), 1, marks("phase:drain",
			"action:cordon node n1", "a deleting", "b created", "a gone", "phase:drained", "b ready"), "node n1 not uncordoned"},
		{"drain: drained, nothing gone", "drain", ready("a"), 1, marks("phase:drain",
			"action:cordon node n1", "phase:drained", "action:uncordon node n1"), "node n1 drained, but none of the 1 pods gone"},
		{"drain: neither", "drain", ready("a"), 1, marks("phase:drain",
			"action:cordon node n1", "action:uncordon node n1"), "node n1 neither drained nor given up after 2 s"},
		{"autoscale: up and down", "autoscale", ready("a", "b"), 2, marks("phase:autoscale",
			"c created", "d created", "c ready", "d ready", "phase:load falls", "c deleting", "d deleting", "c gone", "d gone", "phase:settled"), ""},
		{"autoscale: never up", "autoscale", ready("a", "b"), 2, marks("phase:autoscale",
			"c created", "c ready", "phase:load falls", "c deleting", "c gone"), "at most 3 pods ready at once, want 4: 2 more than the HPA's minimum"},
		{"autoscale: never down", "autoscale", ready("a", "b"), 2, marks("phase:autoscale",
			"c created", "d created", "c ready", "d ready", "phase:load falls", "phase:settled"), "4 pods ready after the settle, want 2"},
		{"stuck-rollout: started, stuck", "stuck-rollout", ready("a", "b"), 2, marks("phase:stuck-rollout",
			"c created", "c started", "c started", "phase:observed"), ""},
		{"stuck-rollout: never started", "stuck-rollout", ready("a", "b"), 2, marks("phase:stuck-rollout",
			"phase:observed"), "no new pod created after 1 s: the rollout did not start"},
		{"stuck-rollout: not stuck", "stuck-rollout", ready("a", "b"), 2, marks("phase:stuck-rollout",
			"c created", "c ready", "a deleting", "phase:observed"), "new pod c ready: the rollout did not stay stuck"},
	} {
		w := Window{Before: tc.before, Events: window(tc.events, tc.scenario), Leaves: tc.leaves}
		if got := sc(tc.scenario).Effect(w); got != tc.want {
			t.Errorf("%s: %q\nwant: %q", tc.name, got, tc.want)
		}
	}
}

// Every scenario checks its effect.
func TestEveryScenarioChecksItsEffect(t *testing.T) {
	t.Parallel()
	for _, sc := range Scenarios() {
		if sc.Effect == nil {
			t.Errorf("%s has no Effect", sc.Name)
		}
	}
}

// idle is flaky whose rollout restart is accepted and does nothing.
type idle struct{ *flaky }

func (idle) Restart(context.Context) error { return nil }

// A run whose action took no effect is invalid, with what its Effect saw; the same run
// whose action took effect is not.
func TestNoEffectInvalidates(t *testing.T) {
	t.Parallel()
	cfg := &manifest.Config{Name: "graceful", Promise: result.PromiseZero, Deployment: &appsv1.Deployment{}}
	sc, _ := Lookup("rollout-restart")
	o := Options{Via: result.ViaIngress, Rate: 50, KeepAlive: true, Lead: 100 * time.Millisecond, Tail: 100 * time.Millisecond,
		Timeout: 2 * time.Second, Interval: 100 * time.Millisecond}
	for _, p := range []Platform{idle{newFlaky(t)}, newFlaky(t)} {
		r, err := Run(t.Context(), p, cfg, sc, o)
		if err != nil {
			t.Fatal(err)
		}
		_, isIdle := p.(idle)
		switch {
		case isIdle && (len(r.Invalid) != 1 || !strings.HasPrefix(r.Invalid[0], "rollout-restart: 1 of 1 pods still from the old template after ") ||
			r.Outcome() != result.StatusInvalid):
			t.Errorf("a restart that did nothing: invalid %q, status %s; want the old pod named, invalid", r.Invalid, r.Outcome())
		case !isIdle && len(r.Invalid) > 0:
			t.Errorf("a restart that replaced the pod: invalid %q", r.Invalid)
		}
	}
}
