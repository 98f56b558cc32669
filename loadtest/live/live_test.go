package live

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/result"
)

func TestAddrIsTheLoopbackByDefault(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"8090": "127.0.0.1:8090", ":8090": "127.0.0.1:8090", "0.0.0.0:8090": "0.0.0.0:8090",
		"127.0.0.2:80": "127.0.0.2:80", "[::1]:8090": "[::1]:8090",
	} {
		if got := Addr(in); got != want {
			t.Errorf("Addr(%q) = %q, want %q", in, got, want)
		}
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d, %v", url, res.StatusCode, err)
	}
	return string(b)
}

// The page is one document with its script inline; its frame shows each run as seen so
// far, its pod rows and its attribution, then as it ended, until the next run starts.
func TestPageShowsTheRunAsItGoes(t *testing.T) {
	t.Parallel()
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	page := get(t, s.URL())
	if !strings.Contains(page, "<script>") || strings.Contains(page, "src=") || strings.Contains(page, "href=") {
		t.Errorf("the page is not self-contained:\n%s", page)
	}
	if f := get(t, s.URL()+"frame"); !strings.Contains(f, "Waiting") {
		t.Errorf("frame before any run: %s", f)
	}

	var seen atomic.Int64
	r := &result.Run{
		Schema: result.SchemaVersion, Target: "http://x/", Interval: 250 * time.Millisecond, Elapsed: 2 * time.Second,
		Meta: map[string]string{"config": "naive", "scenario": "scale-down", "via": result.ViaIngress},
		Events: []result.Event{
			{At: 100 * time.Millisecond, Kind: result.EventPod, Name: "hello-a SIGTERM", Pod: "hello-a", Step: result.StepSIGTERM},
			{At: 900 * time.Millisecond, Kind: result.EventRoute, Name: "hello-a unrouted (ingress)", Pod: "hello-a", Step: result.StepUnrouted, Via: result.ViaIngress},
		},
		Timeline: []result.Interval{
			{Start: 0, OK: 5, Pods: map[string]int{"hello-a": 5}},
			{Start: 250 * time.Millisecond, Errors: result.Counts{result.HTTP502: 3}, Lost: result.PodCounts{"hello-a": {result.HTTP502: 3}}},
		},
	}
	done := s.Watch(func() *result.Run { seen.Add(1); return r })
	f := get(t, s.URL()+"frame")
	for _, want := range []string{"naive · scale-down · via ingress", `class="running"`, "<svg ", ">hello-a<",
		"SIGTERM at 0.100s, the ingress still routed to the pod until 0.900s: 3 × 502"} {
		if !strings.Contains(f, want) {
			t.Errorf("frame lacks %q:\n%s", want, f)
		}
	}
	if seen.Load() == 0 {
		t.Error("the frame did not look at the run")
	}
	done(r)
	if f := get(t, s.URL()+"frame"); !strings.Contains(f, `class="finished"`) {
		t.Errorf("a finished run is not shown as finished:\n%.300s", f)
	}
	next := *r
	next.Meta = map[string]string{"config": "graceful", "scenario": "scale-down", "via": result.ViaIngress}
	s.Watch(func() *result.Run { return &next })
	if f := get(t, s.URL()+"frame"); strings.Contains(f, "naive ·") || !strings.Contains(f, "graceful ·") {
		t.Errorf("the next run does not replace the finished one:\n%.300s", f)
	}
}

// The page ends on the outcome every other artifact shows: the run as judged after the
// attack ended (its gates, a scenario's reason), not as the attack handed it over.
func TestFinalPageShowsTheOutcome(t *testing.T) {
	t.Parallel()
	s, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)

	w := attack.NewJudged(s) // as loadtest attack and a scenario pass the page on
	r, err := attack.Run(context.Background(), attack.Options{Target: srv.URL, Rate: 20, Duration: 300 * time.Millisecond, Watch: w})
	if err != nil {
		t.Fatal(err)
	}
	if f := get(t, s.URL()+"frame"); strings.Contains(f, "PASS") {
		t.Errorf("a run not judged yet says PASS:\n%.400s", f)
	}
	const why = "scale-down: 3 pods ready after the settle, want 1"
	r.Invalidate(why) // after the attack, as a scenario's effect does
	attack.Judge(r, attack.Gates{MaxErrors: -1})
	w.Final(r)
	f := get(t, s.URL()+"frame")
	if !strings.Contains(f, `<span class="invalid">INVALID</span>`) || !strings.Contains(f, `<p class="invalid">INVALID: `) ||
		!strings.Contains(f, why) || strings.Contains(f, "PASS") {
		t.Errorf("the final page does not say INVALID and why (%q):\n%.600s", why, f)
	}

	ok := &result.Run{Schema: result.SchemaVersion, Target: "http://y/", Interval: 250 * time.Millisecond, Requests: 10, OK: 10, Success: 1,
		Gates: []result.Gate{{Name: "errors", Limit: "0", Actual: "0", OK: true}}}
	attack.NewJudged(s).Watch(func() *result.Run { return ok })(ok)
	if f := get(t, s.URL()+"frame"); !strings.Contains(f, `<span class="pass">PASS</span>`) || !strings.Contains(f, "PASS: 0 of 10 requests failed") {
		t.Errorf("a run that passed does not say PASS:\n%.600s", f)
	}
}
