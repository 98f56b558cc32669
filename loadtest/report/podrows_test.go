package report

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"scalelab/loadtest/result"
)

// rollout is a run of d at rate requests/s through the ingress in which each of n old
// pods is replaced by a new one at 1/3 of the run: the old ones get SIGTERM and exit at
// once, the ingress drops them 1 s later; the new ones are ready at once, routed 1 s later
// and listening only 2 s after that. Every request in between goes to a pod that refuses:
// the slots count those failures by pod, as the lab's proxies name them.
func rollout(n int, d time.Duration, rate int) *result.Run {
	const iv = 250 * time.Millisecond
	act := d / 3
	r := &result.Run{
		Schema: result.SchemaVersion, Target: "http://127.0.0.1:1/", Method: "GET", Rate: float64(rate),
		Duration: d, Elapsed: d, KeepAlive: true, Interval: iv, Errors: result.Counts{}, Lost: result.PodCounts{},
		Pods: map[string]int{}, Meta: map[string]string{"via": result.ViaIngress, "scenario": "rollout-restart"},
		Events: []result.Event{{At: 0, Kind: result.EventPhase, Name: "attack start"}, {At: act, Kind: result.EventAction, Name: "rollout restart"}},
	}
	pe := func(at time.Duration, pod, step, via string) {
		kind := result.EventPod
		if via != "" {
			kind = result.EventRoute
		}
		r.Events = append(r.Events, result.Event{At: at, Kind: kind, Name: pod + " " + step, Pod: pod, Step: step, Via: via})
	}
	old, young := make([]string, n), make([]string, n)
	for i := range n {
		old[i], young[i] = fmt.Sprintf("hello-aaaa-%05d", i), fmt.Sprintf("hello-bbbb-%05d", i)
		ms := time.Duration(i) * time.Millisecond
		pe(act+ms, old[i], result.StepDeleting, "")
		pe(act+ms, old[i], result.StepSIGTERM, "")
		pe(act+ms+time.Millisecond, old[i], result.StepExited, "")
		pe(act+time.Second, old[i], result.StepUnrouted, result.ViaIngress)
		pe(act+time.Second+ms, old[i], result.StepGone, "")
		pe(act+ms, young[i], result.StepCreated, "")
		pe(act+ms+time.Millisecond, young[i], result.StepStarted, "")
		pe(act+ms+time.Millisecond, young[i], result.StepReady, "")
		pe(act+time.Second, young[i], result.StepRouted, result.ViaIngress)
		pe(act+3*time.Second, young[i], result.StepListening, "")
	}
	per := rate * int(iv/time.Millisecond) / 1000
	for at := time.Duration(0); at < d; at += iv {
		s := result.Interval{Start: at, P50: 2 * time.Millisecond, P99: 9 * time.Millisecond, Pods: map[string]int{}}
		for k := range per {
			pod := old[k%n]
			switch {
			case at >= act && at < act+time.Second:
			case at >= act+time.Second && at < act+3*time.Second:
				pod = young[k%n]
			case at >= act+3*time.Second:
				pod = young[k%n]
				s.Pods[pod]++
				continue
			default:
				s.Pods[pod]++
				continue
			}
			if s.Lost == nil {
				s.Lost, s.Errors = result.PodCounts{}, result.Counts{}
			}
			s.Lost.Add(pod, result.HTTP502, 1)
			s.Errors[result.HTTP502]++
		}
		s.OK = per - s.Errors.Total()
		r.Timeline = append(r.Timeline, s)
		r.Requests += per
		r.OK += s.OK
		r.Errors.Add(s.Errors)
		for pod, k := range s.Pods {
			r.Pods[pod] += k
		}
		for pod, c := range s.Lost {
			r.Lost.Add(pod, result.HTTP502, c[result.HTTP502])
		}
	}
	r.Success = float64(r.OK) / float64(r.Requests)
	return r
}

func TestPodRows(t *testing.T) {
	t.Parallel()
	for _, n := range []int{3, 10} {
		r := rollout(n, 12*time.Second, 200)
		var b strings.Builder
		writeSVG(&b, r)
		svg := b.String()
		p := newPlot(r)
		if len(p.podRows) != 2*n {
			t.Fatalf("%d rows for %d pods", len(p.podRows), 2*n)
		}
		// The old pods come first, ready from the start; a new one is pending, then ready
		// and not listening (the stretch the ingress routes to it and it refuses), then ready.
		if l := p.podRows[0]; l.pod != "hello-aaaa-00000" || l.states[0].what != stateReady || l.states[0].from != p.t0 {
			t.Errorf("first row %s: %+v", l.pod, l.states)
		}
		var whats []string
		for _, s := range p.podRows[n].states {
			whats = append(whats, s.what)
		}
		if got := strings.Join(whats, ", "); got != "pending, ready, not listening, ready" {
			t.Errorf("a new pod's states: %s", got)
		}
		if in := p.podRows[n].lines[result.ViaIngress]; len(in) != 1 || in[0].from != 5*time.Second || in[0].to != p.t1 {
			t.Errorf("a new pod's ingress route: %+v", in)
		}
		if in := p.podRows[0].lines[result.ViaIngress]; len(in) != 1 || in[0].from != p.t0 || in[0].to != 5*time.Second {
			t.Errorf("an old pod's ingress route: %+v", in)
		}
		for _, want := range []string{">aaaa-00000<", ">bbbb-00000<", `url(#deaf)`, `<pattern id="deaf"`, "ready, not listening", "SIGTERM"} {
			if !strings.Contains(svg, want) {
				t.Errorf("%d pods: the svg lacks %q", n, want)
			}
		}
		// A pod nothing happened to, answering all along, was ready and routed all along.
		r.Timeline[0].Pods["hello-keep"] = 1
		p = newPlot(r)
		i := slices.IndexFunc(p.podRows, func(l podRow) bool { return l.pod == "hello-keep" })
		if i < 0 {
			t.Fatal("no row for a pod that only answered")
		}
		keep := p.podRows[i]
		if keep.pod != "hello-keep" || len(keep.states) != 1 || keep.states[0] != (span{p.t0, p.t1, stateReady}) ||
			len(keep.lines[result.ViaIngress]) != 1 || keep.lines[result.ViaIngress][0] != (span{p.t0, p.t1, result.ViaIngress}) {
			t.Errorf("an untouched pod's row: %+v", keep)
		}
		// The pods' transitions are on their rows, not dashed across the panels.
		if strings.Contains(svg, "<title>4.000s pod hello-aaaa-00000 SIGTERM</title><line") {
			t.Error("a pod's SIGTERM drawn across the panels")
		}
	}
}

func TestPodRowLabels(t *testing.T) {
	t.Parallel()
	ls := []podRow{{pod: "hello-429mgdj-xlc45"}, {pod: "hello-dmn8lfj-fwqgh"}, {pod: "hello-429mgdj-averyveryverylongsuffix"}}
	got := strings.Join(podRowLabels(ls, 15), " ")
	if got != "429mgdj-xlc45 dmn8lfj-fwqgh …verylongsuffix" {
		t.Errorf("labels %q", got)
	}
	if got := podRowLabels([]podRow{{pod: "web-0"}}, 15); got[0] != "web-0" {
		t.Errorf("one pod's label %q", got[0])
	}
}

// BenchmarkWriteRun renders every report of a 60 s run at 1,000 requests/s with 20 pods
// (10 replaced by 10 in a rollout): what a run's end waits for. Run it with
//
//	go test -run '^$' -bench WriteRun ./loadtest/report
func BenchmarkWriteRun(b *testing.B) {
	r := rollout(10, 60*time.Second, 1000)
	dir := b.TempDir()
	b.ResetTimer()
	for range b.N {
		if err := WriteRun(dir, r); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var size int64
	for _, f := range []string{SummaryFile, MarkdownFile, TextFile, SVGFile, HTMLFile} {
		fi, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			b.Fatal(err)
		}
		size += fi.Size()
	}
	b.ReportMetric(float64(size)/1024, "KiB-written")
}
