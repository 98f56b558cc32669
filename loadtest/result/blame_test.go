package result

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

const ms = time.Millisecond

// ev is a pod's event as the lab records it.
func ev(at time.Duration, pod, step, via string) Event {
	kind := EventPod
	if via != "" {
		kind = EventRoute
	}
	return Event{At: at, Kind: kind, Name: pod + " " + step, Pod: pod, Step: step, Via: via}
}

// run is 4 s of 250 ms slots through the ingress, with lost requests at the given slots.
func run(events []Event, lost map[int]PodCounts) *Run {
	r := &Run{Interval: 250 * ms, Events: events, Meta: map[string]string{"via": ViaIngress}}
	for i := range 16 {
		iv := Interval{Start: time.Duration(i) * r.Interval, OK: 25}
		for pod, c := range lost[i] {
			if iv.Errors == nil {
				iv.Errors, iv.Lost = Counts{}, PodCounts{}
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

func texts(ws []Window) []string {
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
		events []Event
		lost   map[int]PodCounts
		want   []string
	}{{
		name: "scale-down: 502s from SIGTERM, timeouts from gone, until the ingress dropped the pod",
		events: []Event{
			ev(1000*ms, "a", StepSIGTERM, ""), ev(1280*ms, "a", StepExited, ""), ev(2280*ms, "a", StepGone, ""),
			ev(2281*ms, "a", StepUnanswered, ""), ev(2900*ms, "a", StepUnrouted, ViaIngress),
			ev(1500*ms, "b", StepUnrouted, ViaService), // another path's routes explain nothing here
		},
		lost: map[int]PodCounts{
			4: {"a": {HTTP502: 3}}, 5: {"a": {HTTP502: 4}}, 9: {"a": {Timeout: 2}, "": {HTTP502: 1}},
		},
		want: []string{
			"a: SIGTERM at 1.000s, the ingress still routed to the pod until 2.900s: 7 × 502",
			"a: gone at 2.280s, the ingress still routed to the pod until 2.900s: 2 timeout",
			": to no pod the path named: 1 × 502",
		},
	}, {
		name: "scale-up: routed before it listened",
		events: []Event{
			ev(100*ms, "n", StepStarted, ""), ev(100*ms, "n", StepReady, ""),
			ev(900*ms, "n", StepRouted, ViaIngress), ev(2100*ms, "n", StepListening, ""),
		},
		lost: map[int]PodCounts{4: {"n": {HTTP502: 5}}, 7: {"n": {HTTP502: 5}}},
		want: []string{"n: routed by the ingress at 0.900s, listening only at 2.100s: 10 × 502"},
	}, {
		name: "no route recorded: ready, then listening",
		events: []Event{
			ev(100*ms, "n", StepReady, ""), ev(2100*ms, "n", StepListening, ""),
		},
		lost: map[int]PodCounts{4: {"n": {HTTP502: 5}}},
		want: []string{"n: ready at 0.100s, listening only at 2.100s: 5 × 502"},
	}, {
		name: "a restart: exited, then listening again",
		events: []Event{
			ev(0, "r", StepListening, ""), ev(1000*ms, "r", StepExited, ""),
			ev(1010*ms, "r", StepStarted, ""), ev(2000*ms, "r", StepListening, ""),
		},
		lost: map[int]PodCounts{4: {"r": {HTTP502: 3}}},
		want: []string{"r: exited at 1.000s, listening again at 2.000s: 3 × 502"},
	}, {
		name: "kept-alive connections after the path dropped the pod",
		events: []Event{
			ev(500*ms, "k", StepUnrouted, ViaIngress), ev(1000*ms, "k", StepSIGTERM, ""),
		},
		lost: map[int]PodCounts{4: {"k": {Reset: 2}}},
		want: []string{"k: SIGTERM at 1.000s, after the ingress stopped routing to the pod at 0.500s: connections kept to it still went there: 2 reset"},
	}, {
		name:   "kube before Skipper's routes: the deletion stands for SIGTERM",
		events: []Event{ev(1000*ms, "d", StepDeleting, "")},
		lost:   map[int]PodCounts{4: {"d": {HTTP502: 1}}},
		want:   []string{"d: deletion requested at 1.000s (no route change of the ingress recorded): 1 × 502"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := texts(FindWindows(run(tc.events, tc.lost)))
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("blame:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestBlameNeedsPods(t *testing.T) {
	t.Parallel()
	r := run(nil, map[int]PodCounts{3: {"": {Refused: 2}}})
	ws := FindWindows(r)
	if len(ws) != 1 || ws[0].Blame != nil || ws[0].Errors[Refused] != 2 {
		t.Errorf("windows %+v: want one, with no pod named", ws)
	}
}

// A summary.json of schema 2 has events with only a name; reading it fills their pod and
// step, for the lab's words and for kube's.
func TestRunReadsSchema2Events(t *testing.T) {
	t.Parallel()
	doc := `{"schema":2,"events":[
		{"at":1,"kind":"pod","name":"hello-a SIGTERM"},
		{"at":2,"kind":"endpoint","name":"hello-a endpoint removed (ingress)"},
		{"at":3,"kind":"pod","name":"hello-a deleted"},
		{"at":4,"kind":"pod","name":"web-b container exited 0 (Completed)"},
		{"at":5,"kind":"endpoint","name":"web-b endpoint not ready, serving, terminating"},
		{"at":6,"kind":"pod","name":"web-b deletion requested (grace 30s): preStop, then SIGTERM"},
		{"at":7,"kind":"endpoint","name":"web-c endpoint added (ready)"},
		{"at":8,"kind":"action","name":"scale to 1"},
		{"at":9,"kind":"pod","name":"hello-a back-off 10s"}]}`
	var r Run
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		t.Fatal(err)
	}
	want := []struct{ pod, step, via, kind string }{
		{"hello-a", StepSIGTERM, "", EventPod}, {"hello-a", StepUnrouted, ViaIngress, EventRoute},
		{"hello-a", StepGone, "", EventPod}, {"web-b", StepExited, "", EventPod},
		{"web-b", StepEndpointTerminating, "", EventEndpoint}, {"web-b", StepDeleting, "", EventPod},
		{"web-c", StepEndpointReady, "", EventEndpoint}, {"", "", "", EventAction}, {"hello-a", "", "", EventPod},
	}
	for i, e := range r.Events {
		if w := want[i]; e.Pod != w.pod || e.Step != w.step || e.Via != w.via || e.Kind != w.kind {
			t.Errorf("%q: pod %q step %q via %q kind %q, want %+v", e.Name, e.Pod, e.Step, e.Via, e.Kind, w)
		}
	}
	// A run of this schema is read as written: a name is not read again.
	var r3 Run
	if err := json.Unmarshal([]byte(`{"schema":3,"events":[{"kind":"pod","name":"hello-a SIGTERM"}]}`), &r3); err != nil || r3.Events[0].Pod != "" {
		t.Errorf("schema 3 read: %+v, %v", r3.Events, err)
	}
}

func TestCountsText(t *testing.T) {
	t.Parallel()
	if got := CountsText(Counts{Timeout: 35, HTTP502: 96, Reset: 1}); got != "96 × 502 + 1 reset + 35 timeout" {
		t.Errorf("got %q", got)
	}
}
