package scenario

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

func TestJudge(t *testing.T) {
	t.Parallel()
	lost := func(n int) result.Counts { return result.Counts{result.HTTP502: n} }
	tests := []struct {
		name     string
		cells    []result.Cell
		verdicts []result.Verdict
		problems int
	}{
		{"control loses on one path: seen", []result.Cell{
			{Config: "naive", Scenario: "scale-up", Via: "service"},
			{Config: "naive", Scenario: "scale-up", Via: "ingress", Errors: lost(66)},
		}, []result.Verdict{result.VerdictNoLoss, result.VerdictLost}, 0},
		{"control loses nowhere: blind, said once", []result.Cell{
			{Config: "naive", Scenario: "scale-up", Via: "service"},
			{Config: "naive", Scenario: "scale-up", Via: "ingress"},
		}, []result.Verdict{result.VerdictBlind, result.VerdictBlind}, 1},
		{"zero promised and kept", []result.Cell{
			{Config: "graceful", Scenario: "rollout-restart", Via: "ingress", PromisedZero: true},
		}, []result.Verdict{result.VerdictKept}, 0},
		{"zero promised and broken", []result.Cell{
			{Config: "graceful", Scenario: "rollout-restart", Via: "ingress", PromisedZero: true, Errors: lost(1), Requests: 1700},
		}, []result.Verdict{result.VerdictBroken}, 1},
		{"a cell that could not run", []result.Cell{
			{Config: "graceful", Scenario: "scale-up", Via: "ingress", Error: "deploy: boom"},
		}, []result.Verdict{result.VerdictError}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &result.Matrix{Cells: tt.cells, Promises: map[string]result.Promise{
				"naive": result.PromiseNothing, "graceful": result.PromiseZero}}
			judge(m)
			var got []result.Verdict
			for _, c := range m.Cells {
				got = append(got, c.Verdict)
			}
			if !slices.Equal(got, tt.verdicts) || len(m.Problems) != tt.problems {
				t.Errorf("verdicts %q, problems %q; want %q and %d problem(s)", got, m.Problems, tt.verdicts, tt.problems)
			}
		})
	}
}

func TestTakesFollowsTheOverlays(t *testing.T) {
	t.Parallel()
	graceful, err := manifest.Render("../../k8s/fast/graceful")
	if err != nil {
		t.Fatal(err)
	}
	naive, err := manifest.Render("../../k8s/fast/naive")
	if err != nil {
		t.Fatal(err)
	}
	startup, _ := graceful.HelloDuration("startup-delay")
	shutdown, _ := graceful.HelloDuration("shutdown-delay")
	if startup == 0 || shutdown == 0 {
		t.Fatalf("fast graceful has startup %s, shutdown %s: the test needs both", startup, shutdown)
	}
	takes := func(cfg *manifest.Config, name string) time.Duration {
		sc, err := Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		return sc.Takes(cfg)
	}
	if got := takes(graceful, "scale-up"); got != startup {
		t.Errorf("graceful scale-up: %s, want the startup delay %s", got, startup)
	}
	if got := takes(graceful, "scale-down"); got != shutdown {
		t.Errorf("graceful scale-down: %s, want the shutdown delay %s", got, shutdown)
	}
	if got := takes(naive, "scale-up"); got != 0 {
		t.Errorf("naive scale-up: %s, want 0 (no readiness probe waits for the startup)", got)
	}
}

// Every scenario is a whole value: documented, able to act, able to say how long it takes,
// testing at least the zero promise.
func TestScenariosAreWholeValues(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, sc := range Scenarios() {
		if sc.Name == "" || seen[sc.Name] || sc.Doc == "" || sc.Act == nil || sc.Takes == nil ||
			!slices.Contains(sc.Tests, result.PromiseZero) {
			t.Errorf("scenario %q: want a unique name, a doc, Act, Takes and the zero promise among its Tests", sc.Name)
		}
		seen[sc.Name] = true
	}
	cfg := &manifest.Config{Promise: result.PromiseScaleUp}
	up, _ := Lookup("scale-up")
	down, _ := Lookup("scale-down")
	if !up.PromisesZero(cfg) || down.PromisesZero(cfg) {
		t.Error("a configuration promising scale-up promises zero in scale-up only")
	}
}

func TestWarmUpWaitsForAWholeRoundOfAnswers(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) <= 3 { // still starting
			http.Error(w, "starting", http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(ts.Close)
	if err := warmUp(context.Background(), ts.URL, nil, 5, time.Second); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 10 {
		t.Errorf("%d requests, want a failed round of 5 (3 failures in it), then a clean one", n)
	}

	never := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusBadGateway)
	}))
	t.Cleanup(never.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := warmUp(ctx, never.URL, nil, 5, time.Second); err == nil || !strings.Contains(err.Error(), "502 Bad Gateway") {
		t.Errorf("err %v, want one naming the last answer", err)
	}
}

func TestLookup(t *testing.T) {
	t.Parallel()
	for _, name := range append(DefaultScenarios, "delete-pod") {
		if _, err := Lookup(name); err != nil {
			t.Error(err)
		}
	}
	if _, err := Lookup("scale-sideways"); err == nil || !strings.Contains(err.Error(), "known: scale-up") {
		t.Errorf("err %v, want the known names", err)
	}
}

// Tutorial timings: every answer takes seconds. The warm-up must wait for slow answers, not
// give up on them (it once timed out at 5 s against hello's 5 s requests, forever).
func TestWarmUpWaitsForSlowAnswers(t *testing.T) {
	t.Parallel()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(300 * time.Millisecond)
	}))
	t.Cleanup(slow.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := warmUp(ctx, slow.URL, nil, 5, 5*time.Second); err != nil {
		t.Fatal(err)
	}
}

// A service behind a host-routing ingress answers its own virtual host only.
func TestWarmUpSendsTheHostHeader(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "web.shop.test" || r.Header.Get("X-Team") != "shop" {
			http.Error(w, "no route", http.StatusNotFound)
		}
	}))
	t.Cleanup(ts.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := http.Header{"Host": {"web.shop.test"}, "X-Team": {"shop"}}
	if err := warmUp(ctx, ts.URL, h, 3, time.Second); err != nil {
		t.Fatal(err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel2()
	if err := warmUp(short, ts.URL, nil, 3, time.Second); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("without the header: %v, want the 404", err)
	}
}
