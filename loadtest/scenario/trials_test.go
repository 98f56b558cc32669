package scenario

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/lossrate"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// flaky is a platform whose one pod is a real HTTP server that answers 502 while a
// scenario's action is in effect, in the trials named by failIn (1-based). On its
// timeline a rollout restart replaces the pod as a platform's would: a new one created,
// the old one deleting; at the settle the new one ready, the old one gone.
type flaky struct {
	srv     *httptest.Server
	trial   atomic.Int32
	failing atomic.Bool
	failIn  map[int32]bool

	mu       sync.Mutex
	log      *result.Log
	pod, old int // hello-N, and the one it replaces (0: none)
}

func newFlaky(t *testing.T, failIn ...int32) *flaky {
	f := &flaky{failIn: map[int32]bool{}}
	for _, n := range failIn {
		f.failIn[n] = true
	}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if f.failing.Load() {
			http.Error(w, "upstream gone", http.StatusBadGateway)
		}
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *flaky) Name() string { return "flaky" }
func (f *flaky) Deploy(context.Context, *manifest.Config) error {
	f.trial.Add(1)
	f.failing.Store(false)
	return nil
}
func (f *flaky) Observe(l *result.Log) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.log = l
}
func (f *flaky) Target(string) (string, error)      { return f.srv.URL, nil }
func (f *flaky) Scale(context.Context, int32) error { return nil }
func (f *flaky) Restart(context.Context) error {
	f.failing.Store(f.failIn[f.trial.Load()])
	f.mu.Lock()
	defer f.mu.Unlock()
	f.old = f.pod
	f.pod++
	f.step(f.pod, result.StepCreated)
	f.step(f.old, result.StepDeleting)
	return nil
}
func (f *flaky) DeletePod(context.Context) (string, error) { return "", nil }
func (f *flaky) Pods(context.Context) (map[string]bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return map[string]bool{podName(f.pod): true}, nil
}
func (f *flaky) SettlesRoutes(string) bool { return false }
func (f *flaky) Settle(ctx context.Context) error {
	time.Sleep(300 * time.Millisecond) // the action's effect lasts a while
	f.failing.Store(false)
	f.rolled()
	return nil
}

// rolled ends a rollout: the new pod ready, the old one gone.
func (f *flaky) rolled() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.old != f.pod {
		f.step(f.pod, result.StepReady)
		f.step(f.old, result.StepGone)
		f.old = f.pod
	}
}

// step puts a step of pod hello-n on the observed timeline.
func (f *flaky) step(n int, step string) {
	if f.log != nil {
		f.log.Put(result.Event{At: time.Since(f.log.Start()), Kind: result.EventPod, Name: podName(n) + " " + step, Pod: podName(n), Step: step})
	}
}

func podName(n int) string    { return fmt.Sprintf("hello-%d", n) }
func (f *flaky) Close() error { return nil }

// A cell run three times is its worst trial, says how many trials lost, and keeps each
// trial; a promise of zero is kept only when no trial lost.
func TestTrialsWorstAndHowOften(t *testing.T) {
	t.Parallel()
	f := newFlaky(t, 2)
	cfg := &manifest.Config{Name: "graceful", Promise: result.PromiseZero, Deployment: &appsv1.Deployment{}}
	sc, _ := Lookup("rollout-restart")
	sc.Takes = func(*manifest.Config) time.Duration { return 0 }
	var saved []string
	m, err := RunMatrix(t.Context(), func() (Platform, error) { return f, nil }, MatrixOptions{
		Options: Options{Rate: 100, Lead: 200 * time.Millisecond, Tail: 200 * time.Millisecond,
			Timeout: 2 * time.Second, Interval: 100 * time.Millisecond, KeepAlive: true},
		Configs: []*manifest.Config{cfg}, Scenarios: []Scenario{sc}, Vias: []string{result.ViaIngress}, Trials: 3,
		Save: func(dir string, _ *result.Run) error { saved = append(saved, filepath.ToSlash(dir)); return nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	c := m.Cells[0]
	if r := lossrate.Of(c); len(c.Trials) != 3 || r.K != 1 || r.N != 3 || c.Errors[result.HTTP502] == 0 ||
		c.Errors.Total() != c.Trials[1].Errors.Total() || c.Dir != c.Trials[1].Dir {
		t.Errorf("cell %+v: want 3 trials, the second the worst and the only one that lost", c)
	}
	if c.Verdict != result.VerdictBroken || len(m.Problems) != 1 {
		t.Errorf("verdict %q, problems %q: one trial's loss breaks a promise of zero", c.Verdict, m.Problems)
	}
	want := []string{"graceful/rollout-restart-ingress/trial-1", "graceful/rollout-restart-ingress/trial-2", "graceful/rollout-restart-ingress/trial-3"}
	if len(saved) != 3 || saved[0] != want[0] || saved[2] != want[2] {
		t.Errorf("saved %q, want %q", saved, want)
	}
}

// With budgets, a promise of zero is judged by them: a loss within its budget keeps it.
func TestBudgetsReplaceTheZero(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		budget result.Counts
		want   result.Verdict
	}{
		{result.Counts{result.HTTP502: 100000}, result.VerdictKept},
		{result.Counts{result.HTTP502: 0}, result.VerdictBroken},
	} {
		f := newFlaky(t, 1)
		cfg := &manifest.Config{Name: "graceful", Promise: result.PromiseZero, Deployment: &appsv1.Deployment{}}
		sc, _ := Lookup("rollout-restart")
		sc.Takes = func(*manifest.Config) time.Duration { return 0 }
		m, err := RunMatrix(t.Context(), func() (Platform, error) { return f, nil }, MatrixOptions{
			Options: Options{Rate: 100, Lead: 200 * time.Millisecond, Tail: 200 * time.Millisecond,
				Timeout: 2 * time.Second, Interval: 100 * time.Millisecond, KeepAlive: true},
			Configs: []*manifest.Config{cfg}, Scenarios: []Scenario{sc}, Vias: []string{result.ViaIngress},
			Gates: &attack.Gates{MaxErrors: -1, Budget: tc.budget},
		})
		if err != nil {
			t.Fatal(err)
		}
		c := m.Cells[0]
		if c.Errors[result.HTTP502] == 0 || c.Verdict != tc.want || len(c.Gates) == 0 {
			t.Errorf("budget %v: verdict %q with %v lost, gates %+v; want %q", tc.budget, c.Verdict, c.Errors, c.Gates, tc.want)
		}
		if tc.want == result.VerdictBroken && (len(m.Problems) != 1 || !strings.Contains(m.Problems[0], "budget 502")) {
			t.Errorf("problems %q, want the broken budget named", m.Problems)
		}
	}
}

// Lanes share a matrix's runs: each lane has a platform of its own, every trial runs once
// in whichever lane is free, and a lane whose platform cannot be had leaves its share to
// the others; with no platform at all, every cell says why.
func TestLanesShareTheRuns(t *testing.T) {
	t.Parallel()
	cfg := &manifest.Config{Name: "graceful", Promise: result.PromiseZero, Deployment: &appsv1.Deployment{}}
	sc, _ := Lookup("rollout-restart")
	sc.Takes = func(*manifest.Config) time.Duration { return 0 }
	opts := MatrixOptions{
		Options: Options{Rate: 50, Lead: 100 * time.Millisecond, Tail: 100 * time.Millisecond,
			Timeout: 2 * time.Second, Interval: 100 * time.Millisecond, KeepAlive: true},
		Configs: []*manifest.Config{cfg}, Scenarios: []Scenario{sc},
		Vias: []string{result.ViaService, result.ViaIngress}, Trials: 3, Lanes: 3,
	}
	for _, tc := range []struct {
		name   string
		broken int // how many of the lanes' platforms fail
	}{{"all lanes", 0}, {"one lane lost", 1}, {"no lane", 3}} {
		var made, asked atomic.Int32
		var deploys atomic.Int32
		m, err := RunMatrix(t.Context(), func() (Platform, error) {
			if int(asked.Add(1)) <= tc.broken {
				return nil, errors.New("namespace refused")
			}
			made.Add(1)
			return countingPlatform{newFlaky(t), &deploys}, nil
		}, opts)
		if err != nil {
			t.Fatal(err)
		}
		if asked.Load() != 3 || m.Lanes != 3 || len(m.Cells) != 2 {
			t.Fatalf("%s: %d platforms asked for, lanes %d, %d cells; want 3, 3, 2", tc.name, asked.Load(), m.Lanes, len(m.Cells))
		}
		for _, c := range m.Cells {
			switch {
			case made.Load() == 0 && (c.Error != "namespace refused" || c.Verdict != result.VerdictError):
				t.Errorf("%s: cell %s: error %q, verdict %q; want the platform's error", tc.name, c.Via, c.Error, c.Verdict)
			case made.Load() > 0 && (len(c.Trials) != 3 || c.Error != "" || c.Verdict != result.VerdictKept):
				t.Errorf("%s: cell %s: %d trials, error %q, verdict %q; want 3 kept", tc.name, c.Via, len(c.Trials), c.Error, c.Verdict)
			}
		}
		if want := 6 * min(made.Load(), 1); deploys.Load() != want {
			t.Errorf("%s: %d deploys, want %d: every trial once", tc.name, deploys.Load(), want)
		}
	}
}

// countingPlatform counts the deploys of all lanes.
type countingPlatform struct {
	*flaky
	deploys *atomic.Int32
}

func (c countingPlatform) Deploy(ctx context.Context, cfg *manifest.Config) error {
	c.deploys.Add(1)
	return c.flaky.Deploy(ctx, cfg)
}
