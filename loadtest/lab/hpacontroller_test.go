package lab

import (
	"strings"
	"testing"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"

	"scalelab/loadtest/manifest"
)

// The replica calculator, worked by hand from replica_calculator.go of Kubernetes v1.34 for
// a 50 % target of 50m requests (100 % target where marked).
func TestResourceReplicas(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	// old is a ready pod started 10 min ago, past the CPU initialization period, using m
	// millicores by a sample of the last 10 s.
	old := func(name string, m int64) podReading {
		return podReading{name: name, ready: true, readySince: now.Add(-9 * time.Minute), start: now.Add(-10 * time.Minute), request: 50,
			metric: &podMetric{value: m, at: now.Add(-time.Second), window: 10 * time.Second}}
	}
	with := func(p podReading, mod func(*podReading)) podReading { mod(&p); return p }
	tests := []struct {
		name        string
		current     int32
		target      int32
		pods        []podReading
		want        int32
		utilization int32
		wantErr     string
	}{
		// 100m of 100m requested: 100 %, twice the target: ceil(2 × 2 ready pods).
		{"up", 2, 50, []podReading{old("a", 40), old("b", 60)}, 4, 100, ""},
		// 54 %: a ratio of 1.08, within the tolerance of 0.1.
		{"within the tolerance", 2, 50, []podReading{old("a", 27), old("b", 27)}, 2, 54, ""},
		// 56 %: 1.12, ceil(2.24).
		{"just past it", 2, 50, []podReading{old("a", 28), old("b", 28)}, 3, 56, ""},
		// 20 %: 0.4, ceil(1.2).
		{"down", 3, 50, []podReading{old("a", 10), old("b", 10), old("c", 10)}, 2, 20, ""},
		// 166m of 150m is 110.67 %, truncated to 110: 1.1 exactly at 100 %, within.
		{"whole percent", 3, 100, []podReading{old("a", 55), old("b", 55), old("c", 56)}, 3, 110, ""},
		// 100 % of 2 pods, a third without a metric: at 0 %, 66 % of 3: 1.32, ceil(3.96).
		{"missing on a scale-up", 3, 50, []podReading{old("a", 50), old("b", 50), with(old("c", 0), func(p *podReading) { p.metric = nil })}, 4, 100, ""},
		// 2 %, a third without a metric: at 100 %, 34 % of 3: 0.68, ceil(2.04) = 3, no change.
		{"missing holds a scale-down", 3, 50, []podReading{old("a", 1), old("b", 1), with(old("c", 0), func(p *podReading) { p.metric = nil })}, 3, 2, ""},
		// 60 %, 1.2; the missing pod at 0 % makes it 30 %: the direction would turn, no change.
		{"missing turns the direction", 2, 50, []podReading{old("a", 30), with(old("b", 0), func(p *podReading) { p.metric = nil })}, 2, 60, ""},
		// 100 % of 2 pods, a pending third at 0 %: 66 % of 3, ceil(3.96).
		{"pending on a scale-up", 3, 50, []podReading{old("a", 50), old("b", 50), with(old("c", 0), func(p *podReading) { p.pending = true; p.metric = nil })}, 4, 100, ""},
		// 10 %, 0.2 of the 2 ready pods: the unready third is left out, ceil(0.4) = 1.
		{"unready on a scale-down", 3, 50, []podReading{old("a", 5), old("b", 5), with(old("c", 40), func(p *podReading) {
			p.ready, p.readySince = false, time.Time{}
		})}, 1, 10, ""},
		// Past the initialization period a pod that was ready once counts, ready or not.
		{"once ready", 2, 50, []podReading{old("a", 50), with(old("b", 50), func(p *podReading) { p.ready = false })}, 4, 100, ""},
		// Within it, b's sample began 5 s before b turned ready: unready, 0 % on a scale-up:
		// a's 100 % becomes 50 % of 2 pods, 1.0.
		{"a sample from before readiness", 2, 50, []podReading{
			with(old("a", 50), func(p *podReading) { p.start = now.Add(-time.Minute) }),
			with(old("b", 50), func(p *podReading) { p.start, p.readySince = now.Add(-time.Minute), now.Add(-6*time.Second) }),
		}, 2, 100, ""},
		// A pod being deleted is left out: 100 % of a alone, ceil(2 × 1).
		{"deleting", 2, 50, []podReading{old("a", 50), with(old("b", 0), func(p *podReading) { p.deleting = true })}, 2, 100, ""},
		{"no metric at all", 2, 50, []podReading{with(old("a", 0), func(p *podReading) { p.metric = nil })}, 0, 0, "did not receive metrics"},
		{"no pods", 2, 50, nil, 0, 0, "no pods returned by selector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := resourceReplicas(now, tt.current, tt.target, tt.pods)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || c.desired != tt.want || c.utilization != tt.utilization {
				t.Fatalf("desired %d at %d %%, err %v; want %d at %d %%", c.desired, c.utilization, err, tt.want, tt.utilization)
			}
		})
	}
}

// The behavior, worked by hand from horizontal.go of Kubernetes v1.34: each sync's current
// replicas and the calculator's proposal, the replicas it scales to and why.
func TestNormalize(t *testing.T) {
	t.Parallel()
	short := &manifest.Autoscaler{Min: 2, Max: 5, ScaleUp: manifest.DefaultScaleUp, ScaleDown: manifest.DefaultScaleDown}
	short.ScaleDown.Window = 10 * time.Second
	legacy := &manifest.Autoscaler{Min: 2, Max: 10, ScaleUp: manifest.DefaultScaleUp, ScaleDown: manifest.DefaultScaleDown, Legacy: true}
	onePod := &manifest.Autoscaler{Min: 1, Max: 10, ScaleDown: manifest.DefaultScaleDown, ScaleUp: manifest.Rules{
		Select:   autoscalingv2.MaxChangePolicySelect,
		Policies: []manifest.Policy{{Type: autoscalingv2.PodsScalingPolicy, Value: 1, Period: 10 * time.Second}},
	}}
	type step struct {
		at                      time.Duration
		current, proposal, want int32
		why                     string
	}
	tests := []struct {
		name  string
		spec  *manifest.Autoscaler
		steps []step
	}{
		{"up at once, down after the window", short, []step{
			// Up: no window; the policies allow max(2 + 4, 2 × 2) = 6, Max bounds it to 5.
			{0, 2, 5, 5, ""},
			// Down: the window still holds the 5 proposed at 0 s.
			{5 * time.Second, 5, 2, 5, "ScaleDownStabilized"},
			{11 * time.Second, 5, 2, 2, ""},
		}},
		{"the window keeps the highest", short, []step{
			{0, 4, 4, 4, ""},
			{5 * time.Second, 4, 3, 4, "ScaleDownStabilized"},
			{10 * time.Second, 4, 2, 3, "ScaleDownStabilized"}, // 4 left the window at 10 s; 3 is in it
			{16 * time.Second, 3, 2, 2, ""},
		}},
		{"below min", short, []step{{0, 3, 1, 3, "ScaleDownStabilized"}, {11 * time.Second, 3, 1, 2, "TooFewReplicas"}}},
		{"a pod per 10 s", onePod, []step{
			{0, 1, 4, 2, "ScaleUpLimit"},
			{5 * time.Second, 2, 4, 2, "ScaleUpLimit"}, // the period started at 1
			{11 * time.Second, 2, 4, 3, "ScaleUpLimit"},
		}},
		{"no behavior: at most max(2 × current, 4) a sync", legacy, []step{
			{0, 2, 9, 4, "ScaleUpLimit"},
			{5 * time.Second, 4, 9, 8, "ScaleUpLimit"},
			{10 * time.Second, 8, 12, 10, "TooManyReplicas"},
			// The window (300 s) holds the 12 proposed at 10 s, which maxReplicas bounds.
			{15 * time.Second, 10, 2, 10, "ScaleDownStabilized, TooManyReplicas"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := normalizer{spec: tt.spec}
			t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
			for _, s := range tt.steps {
				now := t0.Add(s.at)
				n.observe(now, s.current)
				got, why := n.normalize(now, s.current, s.proposal)
				if got != s.want || why != s.why {
					t.Fatalf("at %s, %d replicas, %d proposed: %d (%q), want %d (%q)", s.at, s.current, s.proposal, got, why, s.want, s.why)
				}
				if got != s.current {
					n.rescaled(now, s.current, got)
				}
			}
		})
	}
}
