package scenario

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// The two autoscale overlays run the autoscale scenario alone, under the same HPA, from
// its minimum; hello's CPU cost makes the planned load cross the target at --rate's default.
func TestAutoscaleOverlays(t *testing.T) {
	t.Parallel()
	naive, err := manifest.Render("../../k8s/reliability/autoscale-naive")
	if err != nil {
		t.Fatal(err)
	}
	graceful, err := manifest.Render("../../k8s/reliability/autoscale-graceful")
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := Lookup("autoscale")
	for _, cfg := range []*manifest.Config{naive, graceful} {
		a := cfg.Autoscaler
		if a == nil {
			t.Fatalf("%s has no HPA", cfg.Name)
		}
		if a.Min != 2 || a.Max < a.Min+2 || cfg.Replicas() != a.Min || a.Legacy || a.ScaleDown.Window != 10*time.Second {
			t.Errorf("%s: HPA %s, %d replicas: want 2 to at least 4, starting at 2, a 10 s scale-down window", cfg.Name, a, cfg.Replicas())
		}
		if scs, err := scenariosFor(cfg, nil); err != nil || len(scs) != 1 || scs[0].Name != "autoscale" {
			t.Errorf("%s runs %v, %v; want autoscale", cfg.Name, scs, err)
		}
		want := map[bool]result.Expectation{true: result.ExpectLoss, false: result.ExpectZero}[cfg == naive]
		if got := expectations(cfg); len(got) != 1 || got[0] != want {
			t.Errorf("%s expects %q, want %q", cfg.Name, got, want)
		}
		// The plan at --rate 100: a base of 20/s, up to 100/s. Each request costs hello's
		// --request-cpu plus what serving it costs (0.65 to 1 ms here; counted as nothing, and
		// as 1 ms). The peak must ask for 2 more pods than the minimum even at no serving cost,
		// and the base for none even at 1 ms.
		cpu, err := cfg.HelloDuration("request-cpu")
		if err != nil || cpu <= 0 {
			t.Fatalf("%s: --request-cpu %s, %v: want a cost", cfg.Name, cpu, err)
		}
		desired := func(rate float64, cost time.Duration) int32 {
			perPod := rate * cost.Seconds() * 1000 / float64(a.Min) // millicores
			util := math.Floor(perPod * 100 / float64(cfg.CPURequest()))
			return int32(math.Ceil(util / float64(a.TargetCPU) * float64(a.Min)))
		}
		if d := desired(100, cpu); d < a.Min+2 {
			t.Errorf("%s: the peak asks for %d replicas, want at least %d", cfg.Name, d, a.Min+2)
		}
		if d := desired(100/autoscaleSteps, cpu+time.Millisecond); d > a.Min {
			t.Errorf("%s: the base asks for %d replicas, want at most %d", cfg.Name, d, a.Min)
		}
		if got, want := sc.Takes(cfg), 2*autoscaleStep+5*time.Second+autoscaleHold+10*time.Second+serving(cfg); got != want {
			t.Errorf("%s takes %s, want %s", cfg.Name, got, want)
		}
	}
}

// hpaStandIn is a platform whose one pod is a real HTTP server, and whose HPA follows the
// load it measures: it wants one replica per perPod requests a second (its minimum 2, its
// maximum 5), its replicas follow a sync later, and a change of them costs the requests of
// the next 200 ms a 502, as a naive configuration's would.
type hpaStandIn struct {
	srv    *httptest.Server
	perPod float64

	mu               sync.Mutex
	hits             []time.Time
	current, desired int32
	failUntil        time.Time
}

func newHPAStandIn(t *testing.T, perPod float64) *hpaStandIn {
	h := &hpaStandIn{perPod: perPod, current: 2, desired: 2}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h.mu.Lock()
		now := time.Now()
		h.hits = append(h.hits, now)
		fail := now.Before(h.failUntil)
		h.mu.Unlock()
		if fail {
			http.Error(w, "upstream gone", http.StatusBadGateway)
		}
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hpaStandIn) Name() string                                   { return "stand-in" }
func (h *hpaStandIn) Deploy(context.Context, *manifest.Config) error { return nil }
func (h *hpaStandIn) Observe(*result.Log)                            {}
func (h *hpaStandIn) Target(string) (string, error)                  { return h.srv.URL, nil }
func (h *hpaStandIn) Scale(context.Context, int32) error             { return nil }
func (h *hpaStandIn) Restart(context.Context) error                  { return nil }
func (h *hpaStandIn) DeletePod(context.Context) (string, error)      { return "", nil }
func (h *hpaStandIn) Settle(context.Context) error                   { return nil }
func (h *hpaStandIn) SettlesRoutes(string) bool                      { return false }
func (h *hpaStandIn) Pods(context.Context) (map[string]bool, error)  { return nil, nil }
func (h *hpaStandIn) Close() error                                   { return nil }

// Autoscaling is a sync: the replicas take the last desired, and the new desired follows
// the requests of the last second.
func (h *hpaStandIn) Autoscaling(context.Context) (int32, int32, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := time.Now()
	var n int
	for _, at := range h.hits {
		if now.Sub(at) < time.Second {
			n++
		}
	}
	if h.current != h.desired {
		h.failUntil = now.Add(200 * time.Millisecond)
	}
	h.current = h.desired
	h.desired = min(max(int32(math.Ceil(float64(n)/h.perPod)), 2), 5)
	return h.current, h.desired, nil
}

// The load rises a step at a time until the HPA wants two more pods, holds, falls until it
// is back at its minimum; the failures of each edge fall on its side of "load falls".
func TestAutoscaleRun(t *testing.T) {
	t.Parallel()
	h := newHPAStandIn(t, 15) // 20/s: 2 pods; 40/s: 3; 60/s: 4
	cfg, err := manifest.Render("../../k8s/reliability/autoscale-graceful")
	if err != nil {
		t.Fatal(err)
	}
	sc, _ := Lookup("autoscale")
	r, err := Run(t.Context(), h, cfg, sc, Options{Via: result.ViaService, Rate: 100, KeepAlive: true, Lead: 200 * time.Millisecond, Tail: 200 * time.Millisecond,
		Timeout: 2 * time.Second, Interval: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var phases []string
	for _, e := range r.Events {
		if e.Kind == result.EventPhase {
			phases = append(phases, e.Name)
		}
		if e.Name == "scaled down" && e.Detail != "HPA hello: 2 → 4 → 2 replicas" && e.Detail != "HPA hello: 2 → 5 → 2 replicas" {
			t.Errorf("scaled down: %q, want the path from 2 to 4 or 5 and back", e.Detail)
		}
	}
	want := "attack start, autoscale, load rises, load 40/s, load 60/s, scaled up, load falls, scaled down, settled, attack end"
	if got := strings.Join(phases, ", "); got != want {
		t.Errorf("phases: %s\nwant:   %s", got, want)
	}
	if r.Rate != 60 || r.KeepAlive {
		t.Errorf("rate asked %g, keep-alive %t; want the peak, 60, and a connection per request", r.Rate, r.KeepAlive)
	}
	rising, falling := Edges(r)
	if rising[result.HTTP502] == 0 || falling[result.HTTP502] == 0 || rising.Total()+falling.Total() != r.Errors.Total() {
		t.Errorf("rising edge %v, falling %v, of %v: want 502s on both, adding up", rising, falling, r.Errors)
	}
	for key, c := range map[string]result.Counts{"failed_rising": rising, "failed_falling": falling} {
		if want := fmt.Sprintf("%d (502 %d)", c.Total(), c[result.HTTP502]); r.Meta[key] != want {
			t.Errorf("meta %q = %q, want %q", key, r.Meta[key], want)
		}
	}
}

// A configuration with no HPA, or one with no room for two more pods, cannot run it.
func TestAutoscaleRefuses(t *testing.T) {
	t.Parallel()
	h := newHPAStandIn(t, 15)
	cfg, err := manifest.Render("../../k8s/reliability/autoscale-graceful")
	if err != nil {
		t.Fatal(err)
	}
	ctx := withLoad(t.Context(), nil)
	narrow := *cfg
	a := *cfg.Autoscaler
	a.Max = a.Min + 1
	narrow.Autoscaler = &a
	none := *cfg
	none.Autoscaler = nil
	for _, tt := range []struct {
		cfg  *manifest.Config
		want string
	}{
		{&narrow, "want room for 2 more than its minimum"},
		{&none, "has no HorizontalPodAutoscaler"},
	} {
		if err := actAutoscale(ctx, h, tt.cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err %v, want %q", err, tt.want)
		}
	}
}
