package explain

import (
	"strings"
	"testing"
	"time"

	"scalelab/loadtest/result"
)

const ms = time.Millisecond

// ev is a pod's event as the lab records it.
func ev(at time.Duration, pod, step, via string) result.Event {
	kind := result.EventPod
	if via != "" {
		kind = result.EventRoute
	}
	return result.Event{At: at, Kind: kind, Name: pod + " " + step, Pod: pod, Step: step, Via: via}
}

// run is 4 s of 250 ms slots through the ingress, with lost requests at the given slots.
func run(events []result.Event, lost map[int]result.PodCounts) *result.Run {
	r := &result.Run{Interval: 250 * ms, Events: events, Meta: map[string]string{"via": result.ViaIngress}}
	for i := range 16 {
		iv := result.Interval{Start: time.Duration(i) * r.Interval, OK: 25}
		for pod, c := range lost[i] {
			if iv.Errors == nil {
				iv.Errors, iv.Lost = result.Counts{}, result.PodCounts{}
			}
			iv.Errors.Add(c)
			if pod != "" {
				iv.Lost[pod] = c
			}
		}
		r.Timeline = append(r.Timeline, iv)
	}
	return r
}

func texts(ws []result.Window) []string {
	var out []string
	for _, w := range ws {
		for _, b := range w.Blame {
			out = append(out, b.Pod+": "+b.Text)
		}
	}
	return out
}

func TestBlame(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		events []result.Event
		lost   map[int]result.PodCounts
		want   []string
	}{{
		name: "scale-down: 502s from SIGTERM, timeouts from gone, until the ingress dropped the pod",
		events: []result.Event{
			ev(1000*ms, "a", result.StepSIGTERM, ""), ev(1280*ms, "a", result.StepExited, ""), ev(2280*ms, "a", result.StepGone, ""),
			ev(2281*ms, "a", result.StepUnanswered, ""), ev(2900*ms, "a", result.StepUnrouted, result.ViaIngress),
			ev(1500*ms, "b", result.StepUnrouted, result.ViaService), // another path's routes explain nothing here
		},
		lost: map[int]result.PodCounts{
			4: {"a": {result.HTTP502: 3}}, 5: {"a": {result.HTTP502: 4}}, 9: {"a": {result.Timeout: 2}, "": {result.HTTP502: 1}},
		},
		want: []string{
			"a: SIGTERM at 1.000s, the ingress still routed to the pod until 2.900s: 7 × 502",
			"a: gone at 2.280s, the ingress still routed to the pod until 2.900s: 2 timeout",
			": to no pod the path named: 1 × 502",
		},
	}, {
		name: "scale-up: routed before it listened",
		events: []result.Event{
			ev(100*ms, "n", result.StepStarted, ""), ev(100*ms, "n", result.StepReady, ""),
			ev(900*ms, "n", result.StepRouted, result.ViaIngress), ev(2100*ms, "n", result.StepListening, ""),
		},
		lost: map[int]result.PodCounts{4: {"n": {result.HTTP502: 5}}, 7: {"n": {result.HTTP502: 5}}},
		want: []string{"n: routed by the ingress at 0.900s, listening only at 2.100s: 10 × 502"},
	}, {
		name: "no route recorded: ready, then listening",
		events: []result.Event{
			ev(100*ms, "n", result.StepReady, ""), ev(2100*ms, "n", result.StepListening, ""),
		},
		lost: map[int]result.PodCounts{4: {"n": {result.HTTP502: 5}}},
		want: []string{"n: ready at 0.100s, listening only at 2.100s: 5 × 502"},
	}, {
		name: "a restart: exited, then listening again",
		events: []result.Event{
			ev(0, "r", result.StepListening, ""), ev(1000*ms, "r", result.StepExited, ""),
			ev(1010*ms, "r", result.StepStarted, ""), ev(2000*ms, "r", result.StepListening, ""),
		},
		lost: map[int]result.PodCounts{4: {"r": {result.HTTP502: 3}}},
		want: []string{"r: exited at 1.000s, listening again at 2.000s: 3 × 502"},
	}, {
		name: "kept-alive connections after the path dropped the pod",
		events: []result.Event{
			ev(500*ms, "k", result.StepUnrouted, result.ViaIngress), ev(1000*ms, "k", result.StepSIGTERM, ""),
		},
		lost: map[int]result.PodCounts{4: {"k": {result.Reset: 2}}},
		want: []string{"k: SIGTERM at 1.000s, after the ingress stopped routing to the pod at 0.500s: connections kept to it still went there: 2 reset"},
	}, {
		name:   "kube before Skipper's routes: the deletion stands for SIGTERM",
		events: []result.Event{ev(1000*ms, "d", result.StepDeleting, "")},
		lost:   map[int]result.PodCounts{4: {"d": {result.HTTP502: 1}}},
		want:   []string{"d: deletion requested at 1.000s (no route change of the ingress recorded): 1 × 502"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := texts(Windows(run(tc.events, tc.lost)))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("blame:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestBlameNeedsPods(t *testing.T) {
	t.Parallel()
	r := run(nil, map[int]result.PodCounts{3: {"": {result.Refused: 2}}})
	ws := Windows(r)
	if len(ws) != 1 || ws[0].Blame != nil || ws[0].Errors[result.Refused] != 2 {
		t.Errorf("windows %+v: want one, with no pod named", ws)
	}
}
