package lab

import (
	"math"
	"testing"
	"time"
)

// The pod draws give what the bare cluster's 52 fast pods showed (draws.go): the part of
// creation-to-ready past the whole second, which is the admission, at most 0.55 s for 81 %
// and above 0.66 s for 12 %; the startup probe's 6th, 7th or later tick after the admission
// (a sandbox within 1 s, within 2 s, longer) for 77 %, 19 % and 4 %. And a seed replays.
func TestPodDrawsFitTheCluster(t *testing.T) {
	const n = 100000
	d := newDrawSource(1)
	var short, long, tick6, tick7, later int
	for range n {
		a, s := d.admission(), d.sandbox()
		if a < admissionFloor || a > admissionLimit || s < sandboxFloor || s > sandboxLimit {
			t.Fatalf("admission %s, sandbox %s: outside their bounds", a, s)
		}
		switch frac := a % time.Second; {
		case frac <= 550*time.Millisecond:
			short++
		case frac > 660*time.Millisecond:
			long++
		}
		switch {
		case s <= time.Second:
			tick6++
		case s <= 2*time.Second:
			tick7++
		default:
			later++
		}
	}
	for _, c := range []struct {
		what      string
		got       int
		cluster   float64 // the share among the cluster's 52 pods
		tolerance float64
	}{
		{"admission's fraction ≤ 0.55 s", short, 42.0 / 52, 0.06},
		{"admission's fraction > 0.66 s", long, 6.0 / 52, 0.04},
		{"ready at the 6th tick", tick6, 40.0 / 52, 0.04},
		{"ready at the 7th tick", tick7, 10.0 / 52, 0.04},
		{"ready later", later, 2.0 / 52, 0.03},
	} {
		share := float64(c.got) / n
		t.Logf("%s: %.1f %% (cluster %.1f %%)", c.what, 100*share, 100*c.cluster)
		if math.Abs(share-c.cluster) > c.tolerance {
			t.Errorf("%s: %.1f %% of the draws, the cluster's %.1f %% ± %.0f", c.what, 100*share, 100*c.cluster, 100*c.tolerance)
		}
	}

	a, b := newDrawSource(42), newDrawSource(42)
	for range 100 {
		if a.admission() != b.admission() || a.sandbox() != b.sandbox() || a.pollPhase(time.Second) != b.pollPhase(time.Second) {
			t.Fatal("two sources with one seed drew apart")
		}
	}
	for range 1000 {
		if p := a.pollPhase(3 * time.Second); p <= 0 || p > 3*time.Second {
			t.Fatalf("poll phase %s: want within (0, 3s]", p)
		}
	}
}
