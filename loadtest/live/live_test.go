package live

import (
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
