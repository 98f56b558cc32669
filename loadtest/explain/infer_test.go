package explain

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"scalelab/loadtest/result"
)

// readRun reads a run saved in testdata: real runs on the bare cluster (clusters/bare), a naive
// scale-down from 3 pods to 1 in a lane, with Skipper's and kube-proxy's routes polled.
func readRun(t *testing.T, name string) *result.Run {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var r result.Run
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &r
}

// Through Skipper, which names no pod per failed request, the window is put on the two
// pods the scale-down removed: Skipper routed to them from 0.413 s while they had not
// answered a request yet (the naive pods are ready before they listen), and kept routing
// to them after their deletion at 2.108 s and 2.114 s until it dropped both at 3.412 s.
func TestInferSkipperScaleDown(t *testing.T) {
	t.Parallel()
	r := readRun(t, "kube-naive-scale-down-ingress.json")
	ws := Windows(r)
	if len(ws) != 1 {
		t.Fatalf("%d windows, want 1: %+v", len(ws), ws)
	}
	const pods = "hello-5845cb964b-8gvdw, hello-5845cb964b-pvb25"
	want := []struct {
		pod    string
		errors result.Counts
		says   []string
	}{
		{pods, result.Counts{"502": 84}, []string{"routed by the ingress at 0.413s, no answer from it in the run"}},
		{pods, result.Counts{"502": 31, "timeout": 48}, []string{"deletion requested at 2.108s, the ingress still routed to the pod until 3.412s",
			"deletion requested at 2.114s, the ingress still routed to the pod until 3.412s"}},
	}
	bs := ws[0].Blame
	if len(bs) != len(want) {
		t.Fatalf("%d blames, want %d: %+v", len(bs), len(want), bs)
	}
	total := 0
	for i, w := range want {
		b := bs[i]
		total += b.Errors.Total()
		if b.Pod != w.pod || !b.Inferred || result.CountsText(b.Errors) != result.CountsText(w.errors) {
			t.Errorf("blame %d: pod %q inferred %v errors %s, want %q, true, %s", i, b.Pod, b.Inferred, result.CountsText(b.Errors), w.pod, result.CountsText(w.errors))
		}
		for _, s := range w.says {
			if !strings.Contains(b.Text, s) {
				t.Errorf("blame %d: %q does not say %q", i, b.Text, s)
			}
		}
	}
	if total != r.Failed() {
		t.Errorf("%d failures put on pods, the run lost %d", total, r.Failed())
	}
}

// Through the Service, kube-proxy's rules still sent the 2 refused connections to the two
// pods after their deletion was asked (2.183 s) and before it dropped them (2.517 s).
func TestInferKubeProxyScaleDown(t *testing.T) {
	t.Parallel()
	r := readRun(t, "kube-naive-scale-down-service.json")
	ws := Windows(r)
	if len(ws) != 1 || len(ws[0].Blame) != 1 {
		t.Fatalf("want one window with one blame: %+v", ws)
	}
	b := ws[0].Blame[0]
	if b.Pod != "hello-5845cb964b-6mbpd, hello-5845cb964b-7zjh9" || b.Errors.Total() != 2 ||
		!strings.Contains(b.Text, "deletion requested at 2.183s, the service path still routed to the pod until 2.517s") {
		t.Errorf("blame %+v", b)
	}
}

// From attacker pods inside the cluster (--from cluster, via cluster-ip) the connections go
// through the same kube-proxy rules as the NodePort's: the refused are put on the pods
// deleted at 4.463 s and 4.464 s while kube-proxy still routed to them (one dropped at
// 4.671 s, the other only at 5.892 s).
func TestInferKubeProxyFromTheCluster(t *testing.T) {
	t.Parallel()
	r := readRun(t, "kube-naive-scale-down-cluster-ip.json")
	ws := Windows(r)
	if r.Meta["via"] != result.ViaClusterIP || len(ws) != 1 || len(ws[0].Blame) == 0 {
		t.Fatalf("via %s: want one window with blame: %+v", r.Meta["via"], ws)
	}
	total, texts := 0, ""
	for _, b := range ws[0].Blame {
		if !b.Inferred {
			t.Errorf("blame %+v: not inferred", b)
		}
		total += b.Errors.Total()
		texts += b.Text + "\n"
	}
	for _, want := range []string{"deletion requested at 4.464s, the service path still routed to the pod until 5.892s"} {
		if !strings.Contains(texts, want) {
			t.Errorf("the blames do not say %q:\n%s", want, texts)
		}
	}
	if total != r.Failed() {
		t.Errorf("%d failures put on pods, the run lost %d:\n%s", total, r.Failed(), texts)
	}
}

// Without the path's route events nothing is inferred: the window names no pod.
func TestInferNeedsRoutes(t *testing.T) {
	t.Parallel()
	r := readRun(t, "kube-naive-scale-down-ingress.json")
	r.Events = slices.DeleteFunc(r.Events, func(e result.Event) bool { return e.Kind == result.EventRoute && e.Via == result.ViaIngress })
	for _, w := range Windows(r) {
		if len(w.Blame) > 0 {
			t.Errorf("window %s–%s blamed %+v with no route of the ingress recorded", w.From, w.To, w.Blame)
		}
	}
}

func TestRoutedIn(t *testing.T) {
	t.Parallel()
	created := ev(500*ms, "a", result.StepCreated, "")
	routed, unrouted := ev(1000*ms, "a", result.StepRouted, result.ViaIngress), ev(2000*ms, "a", result.StepUnrouted, result.ViaIngress)
	other := ev(100*ms, "a", result.StepUnrouted, result.ViaService)
	tests := []struct {
		name string
		evs  []result.Event
		at   int // ms; the slot is 250 ms
		want bool
	}{
		{"there from the start, no change", []result.Event{other}, 3000, true},
		{"new, never routed", []result.Event{created}, 3000, false},
		{"before its routing", []result.Event{created, routed}, 500, false},
		{"routed within the slot", []result.Event{created, routed}, 900, true},
		{"routed", []result.Event{created, routed, unrouted}, 1500, true},
		{"unrouted within the slot", []result.Event{created, routed, unrouted}, 1900, true},
		{"unrouted", []result.Event{created, routed, unrouted}, 2000, false},
		{"there from the start, then unrouted", []result.Event{unrouted}, 1000, true},
		{"there from the start, unrouted before", []result.Event{unrouted}, 2500, false},
	}
	for _, tt := range tests {
		if got := routedIn(tt.evs, time.Duration(tt.at)*ms, 250*ms, result.ViaIngress); got != tt.want {
			t.Errorf("%s: routed at %dms: %v, want %v", tt.name, tt.at, got, tt.want)
		}
	}
}

// A new pod routed before it answered, on a path that names no pod per request and a
// platform that records no listening: its failures are put on it until its first answer,
// not on the pod that answered throughout.
func TestInferRoutedBeforeFirstAnswer(t *testing.T) {
	t.Parallel()
	r := run([]result.Event{ev(500*ms, "new", result.StepCreated, ""), ev(1000*ms, "new", result.StepRouted, result.ViaIngress)},
		map[int]result.PodCounts{4: {"": {"502": 5}}, 5: {"": {"502": 6}}, 6: {"": {"502": 4}}})
	for i := range r.Timeline {
		r.Timeline[i].Pods = map[string]int{"old": 25}
		if i >= 7 {
			r.Timeline[i].Pods["new"] = 12
		}
	}
	ws := Windows(r)
	if len(ws) != 1 || len(ws[0].Blame) != 1 {
		t.Fatalf("want one window with one blame: %+v", ws)
	}
	b := ws[0].Blame[0]
	want := "routed by the ingress at 1.000s, its first answer only in the slot at 1.750s: 15 × 502"
	if b.Pod != "new" || !strings.HasPrefix(b.Text, want) || b.First == nil || b.First.Step != result.StepRouted {
		t.Errorf("blame %q: %q, want new: %q…", b.Pod, b.Text, want)
	}
}
