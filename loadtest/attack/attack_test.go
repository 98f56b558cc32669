package attack

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"scalelab/loadtest/result"
)

// podServer answers every request, naming one of two pods in X-Pod in turn.
func podServer(t *testing.T) *httptest.Server {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Pod", fmt.Sprintf("pod-%d", n.Add(1)%2))
		fmt.Fprintln(w, "hello")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// patience bounds the waits of these tests: far more than a busy machine needs, far less
// than what each bound tells apart (a minute-long attack, an hour-long command).
const patience = 30 * time.Second

func TestTimelineAndPods(t *testing.T) {
	t.Parallel()
	srv := podServer(t)
	run := mustRun(t, Options{Target: srv.URL, Rate: 100, Duration: time.Second,
		Interval: 100 * time.Millisecond, KeepAlive: true, Meta: map[string]string{"k": "v"}})
	// vegeta sends on schedule, catching up when late, and stops at the duration: 100
	// requests, fewer only when a busy machine stalls it near the end.
	if run.OK != run.Requests || run.Requests < 50 || run.Requests > 101 {
		t.Errorf("requests %d, ok %d: want ~100 (50 at least on a busy machine), all OK", run.Requests, run.OK)
	}
	if run.Pods["pod-0"]+run.Pods["pod-1"] != run.Requests {
		t.Errorf("pods %v do not add up to %d", run.Pods, run.Requests)
	}
	sum := 0
	for i, iv := range run.Timeline {
		if iv.Start%(100*time.Millisecond) != 0 || (i > 0 && iv.Start != run.Timeline[i-1].Start+100*time.Millisecond) {
			t.Errorf("interval %d starts at %s", i, iv.Start)
		}
		sum += iv.OK + iv.Errors.Total()
		if iv.OK > 0 && (iv.P50 <= 0 || iv.P99 < iv.P50) {
			t.Errorf("interval %d: p50 %s p99 %s", i, iv.P50, iv.P99)
		}
	}
	// The intervals span the sends: 1 s, so 10 or 11 of them, more only when a busy machine
	// started the attack late (the intervals count from the log's start).
	if most := int(run.Elapsed/(100*time.Millisecond)) + 2; sum != run.Requests || len(run.Timeline) < 5 || len(run.Timeline) > most {
		t.Errorf("timeline: %d intervals holding %d requests, want ~10 (at most %d) holding %d", len(run.Timeline), sum, most, run.Requests)
	}
	if l := run.Latency; l.P50 <= 0 || l.P50 > l.P99 || l.P99 > l.Max || l.Mean <= 0 {
		t.Errorf("latency %+v", l)
	}
	// Requests over the span of their sends: ~100/s; more when a busy machine started the
	// sends late and vegeta caught up, less when it stalled them near the end (as above,
	// at least half).
	if run.AchievedRate < 45 || run.AchievedRate > 300 {
		t.Errorf("achieved rate %.1f, want ~100 (45 at least on a busy machine)", run.AchievedRate)
	}
	if run.Schema != result.SchemaVersion || run.Meta["k"] != "v" || run.Interrupted {
		t.Errorf("schema %d meta %v interrupted %v", run.Schema, run.Meta, run.Interrupted)
	}
}

func TestCommandsLandAtTheirOffset(t *testing.T) {
	t.Parallel()
	srv := podServer(t)
	start := time.Now()
	log := result.NewLog(start)
	// Each command starts and the first two end long before the attack does: a busy
	// machine cannot make a command miss its turn.
	run := mustRun(t, Options{Target: srv.URL, Rate: 20, Duration: 2 * time.Second, Log: log,
		CommandGrace: 500 * time.Millisecond,
		Commands: []Command{
			{At: 200 * time.Millisecond, Shell: "echo started; exit 3"},
			{At: 400 * time.Millisecond, Shell: "sleep 0.1"},
			{At: 600 * time.Millisecond, Shell: "sleep 30"}, // still running at the end: killed after the grace
		}})
	byName := map[string]result.Event{}
	for _, e := range run.Events {
		if e.Kind == result.EventCommand {
			byName[e.Name] = e
		}
	}
	tests := []struct {
		shell  string
		at     time.Duration
		exit   int
		detail string
	}{
		{"echo started; exit 3", 200 * time.Millisecond, 3, "started"},
		{"sleep 0.1", 400 * time.Millisecond, 0, ""},
	}
	for _, tc := range tests {
		e, ok := byName[tc.shell]
		switch {
		case !ok:
			t.Errorf("%q: no event in %+v", tc.shell, run.Events)
		case e.At < tc.at || e.At > tc.at+time.Second:
			t.Errorf("%q at %s, want %s (+ scheduling)", tc.shell, e.At, tc.at)
		case e.Exit == nil || *e.Exit != tc.exit || e.Detail != tc.detail:
			t.Errorf("%q: exit %v detail %q, want %d %q", tc.shell, e.Exit, e.Detail, tc.exit, tc.detail)
		case e.End < e.At:
			t.Errorf("%q ends at %s before it starts at %s", tc.shell, e.End, e.At)
		}
	}
	if e := byName["sleep 30"]; e.Exit == nil || *e.Exit == 0 || !strings.Contains(e.Detail, "killed") {
		t.Errorf("a command outliving the grace: %+v", e)
	}
	if took := time.Since(start); took > patience { // not the 30 s of the last command
		t.Errorf("the attack took %s", took)
	}
}

func TestStopAndSharedLog(t *testing.T) {
	t.Parallel()
	hit := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		select {
		case hit <- struct{}{}:
		default:
		}
	}))
	t.Cleanup(srv.Close)
	log := result.NewLog(time.Now())
	stop := make(chan struct{})
	go func() { // stop once the event is on the log and a request has arrived
		time.Sleep(300 * time.Millisecond)
		log.Add(result.EventPod, "pod-1 ready", "from another goroutine")
		select {
		case <-hit:
		case <-time.After(patience):
		}
		close(stop)
	}()
	run := mustRun(t, Options{Target: srv.URL, Rate: 50, Log: log, Stop: stop, // no duration
		Commands: []Command{{At: time.Hour, Shell: "echo never"}}})
	if run.Interrupted || run.Requests == 0 || run.Elapsed > 2*patience {
		t.Errorf("interrupted %v, %d requests in %s", run.Interrupted, run.Requests, run.Elapsed)
	}
	var pod, never bool
	for _, e := range run.Events {
		pod = pod || e.Name == "pod-1 ready" && e.At >= 300*time.Millisecond
		never = never || e.Name == "echo never" && e.Exit == nil && strings.HasPrefix(e.Detail, "not run")
	}
	if !pod || !never {
		t.Errorf("events %+v: want the pod event and the command not run", run.Events)
	}
}

func TestInterruptKeepsWhatWasMeasured(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		if hits.Add(1) == 5 {
			cancel() // interrupted once five requests have arrived; they are still answered
		}
	}))
	t.Cleanup(srv.Close)
	var progress bytes.Buffer
	run, err := Run(ctx, Options{Target: srv.URL, Rate: 50, Duration: time.Minute, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if !run.Interrupted || run.Requests < 5 || run.OK != run.Requests || run.Elapsed > patience { // not the minute
		t.Errorf("interrupted %v, %d requests (%d ok) in %s", run.Interrupted, run.Requests, run.OK, run.Elapsed)
	}
	if !strings.Contains(progress.String(), fmt.Sprintf("ok %d  errors 0", run.OK)) {
		t.Errorf("last progress line %q does not show the final count %d", progress.String(), run.OK)
	}
}

func TestBadOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no target", Options{Rate: 1}, "no target"},
		{"not http", Options{Target: "ftp://x/", Rate: 1}, "http://"},
		{"no host", Options{Target: "http:///x", Rate: 1}, "http://"},
		{"no rate", Options{Target: "http://127.0.0.1:1/"}, "rate"},
		{"negative", Options{Target: "http://127.0.0.1:1/", Rate: 1, Timeout: -1}, "negative"},
		{"command late", Options{Target: "http://127.0.0.1:1/", Rate: 1, Duration: time.Second,
			Commands: []Command{{At: 2 * time.Second, Shell: "true"}}}, "after the attack ends"},
	}
	for _, tc := range tests {
		_, err := Run(context.Background(), tc.o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestParseCommand(t *testing.T) {
	t.Parallel()
	c, err := ParseCommand("20s=kubectl scale deploy/hello --replicas=1")
	if err != nil || c.At != 20*time.Second || c.Shell != "kubectl scale deploy/hello --replicas=1" {
		t.Errorf("ParseCommand = %+v, %v", c, err)
	}
	for _, bad := range []string{"kubectl", "20s=", "x=ls", "-1s=ls"} {
		if _, err := ParseCommand(bad); err == nil {
			t.Errorf("ParseCommand(%q): no error", bad)
		}
	}
}

func TestJudge(t *testing.T) {
	t.Parallel()
	run := func(ok, failed int, p99 time.Duration) *result.Run {
		r := &result.Run{Requests: ok + failed, OK: ok, Errors: result.Counts{result.HTTP502: failed},
			Latency: result.Latency{P99: p99}}
		if r.Requests > 0 {
			r.Success = float64(ok) / float64(r.Requests)
		}
		return r
	}
	tests := []struct {
		name   string
		run    *result.Run
		gates  Gates
		failed []string // names of the gates that fail
		actual string   // Actual of the first failed gate
	}{
		{"clean", run(1000, 0, time.Millisecond), Gates{MinSuccess: 0.999, MaxP99: time.Second}, nil, ""},
		{"one 502", run(999, 1, time.Millisecond), Gates{}, []string{"max-errors"}, "1 (1 over)"},
		{"errors allowed", run(999, 1, time.Millisecond), Gates{MaxErrors: 1}, nil, ""},
		{"no limit", run(500, 500, time.Millisecond), Gates{MaxErrors: -1}, nil, ""},
		{"success", run(99630, 370, 0), Gates{MaxErrors: -1, MinSuccess: 0.999}, []string{"min-success"}, "99.630% (0.270 points under)"},
		{"p99", run(10, 0, 5*time.Second), Gates{MaxP99: 2 * time.Second}, []string{"max-p99"}, "5s (3s over)"},
		{"nothing sent", run(0, 0, 0), Gates{}, []string{"requests"}, "0"},
		{"502 over budget", run(990, 10, 0), Gates{MaxErrors: -1, Budget: result.Counts{result.HTTP502: 3, result.Timeout: 0}},
			[]string{"budget 502"}, "10 (7 over)"},
		{"within budget", run(990, 10, 0), Gates{MaxErrors: -1, Budget: result.Counts{result.HTTP502: 10}}, nil, ""},
		{"a budget of another class", run(990, 10, 0), Gates{MaxErrors: -1, Budget: result.Counts{result.Timeout: 0}}, nil, ""},
	}
	for _, tc := range tests {
		Judge(tc.run, tc.gates)
		var failed []string
		actual := ""
		for _, g := range tc.run.Gates {
			if !g.OK {
				if failed == nil {
					actual = g.Actual
				}
				failed = append(failed, g.Name)
			}
		}
		if fmt.Sprint(failed) != fmt.Sprint(tc.failed) || actual != tc.actual || tc.run.Passed() != (tc.failed == nil) {
			t.Errorf("%s: failed %v (%q), want %v (%q)", tc.name, failed, actual, tc.failed, tc.actual)
		}
	}
}

// Failed requests carry no X-Pod; Options.Upstream names their pod, asked with the local
// address of the connection for those that broke in the transport, and the run counts
// them by that pod, in total and per slot.
func TestUpstreamNamesTheLostPods(t *testing.T) {
	t.Parallel()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 3 {
		case 0:
			w.Header().Set("X-Pod", "pod-ok")
		case 1:
			w.WriteHeader(http.StatusBadGateway)
		case 2:
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.Close() // no answer: EOF
			}
		}
	}))
	t.Cleanup(srv.Close)
	var asked atomic.Int64
	run := mustRun(t, Options{Target: srv.URL, Rate: 100, Duration: time.Second, Interval: 100 * time.Millisecond,
		Upstream: func(seq uint64, local string) string {
			asked.Add(1)
			host, _, err := net.SplitHostPort(local) // the attack's own loopback address (source.go)
			return fmt.Sprintf("conn-%t", err == nil && net.ParseIP(host).IsLoopback())
		}})
	if run.Errors[result.HTTP502] == 0 || run.Errors[result.EOF] == 0 {
		t.Fatalf("errors %v: want 502s and EOFs", run.Errors)
	}
	if got := run.Lost["conn-false"][result.HTTP502]; got != run.Errors[result.HTTP502] {
		t.Errorf("lost 502s %v, want all %d named without a connection", run.Lost, run.Errors[result.HTTP502])
	}
	if got := run.Lost["conn-true"][result.EOF]; got != run.Errors[result.EOF] {
		t.Errorf("lost EOFs %v, want all %d named by their connection", run.Lost, run.Errors[result.EOF])
	}
	if int(asked.Load()) != run.Failed() || run.Lost["pod-ok"] != nil {
		t.Errorf("asked %d times for %d failures; lost %v", asked.Load(), run.Failed(), run.Lost)
	}
	slots := result.PodCounts{}
	for _, iv := range run.Timeline {
		for pod, c := range iv.Lost {
			for class, k := range c {
				slots.Add(pod, class, k)
			}
		}
	}
	if fmt.Sprint(slots) != fmt.Sprint(run.Lost) {
		t.Errorf("slots add up to %v, the run says %v", slots, run.Lost)
	}
}

// watcher looks at the run it is given every 20 ms until done.
type watcher struct {
	mid   atomic.Int64 // the most requests a look saw before the end
	final atomic.Pointer[result.Run]
}

func (w *watcher) Watch(see func() *result.Run) func(*result.Run) {
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			r := see()
			w.mid.Store(max(w.mid.Load(), int64(r.Requests)))
			_ = len(r.Timeline) + len(r.Events)
		}
	}()
	return func(r *result.Run) {
		close(stop)
		w.final.Store(r)
	}
}

// A watcher sees the run grow while it goes on, and gets the finished run at its end.
func TestWatchSeesTheRunAsItGoes(t *testing.T) {
	t.Parallel()
	srv := podServer(t)
	var w watcher
	run := mustRun(t, Options{Target: srv.URL, Rate: 100, Duration: time.Second, Interval: 100 * time.Millisecond, Watch: &w})
	if mid := w.mid.Load(); mid <= 0 || mid > int64(run.Requests) {
		t.Errorf("a look during the run saw %d requests, want some of the %d", mid, run.Requests)
	}
	if w.final.Load() != run {
		t.Error("done was not given the finished run")
	}
}
