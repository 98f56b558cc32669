//go:build unix

package lab_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"scalelab/internal/testbin"
	"scalelab/loadtest/lab"
	"scalelab/loadtest/result"
	"scalelab/loadtest/scenario"
)

// stalled is a lab whose rollout restart is accepted and does nothing, as a StatefulSet's
// with updateStrategy OnDelete would on a cluster.
type stalled struct{ *lab.Lab }

func (stalled) Restart(context.Context) error { return nil }

// A rollout restart on the real lab proves something only when it replaced the pods: the
// lab's own is valid, one that replaced nothing is INVALID and names the pods left.
func TestRolloutWithoutEffectIsInvalid(t *testing.T) {
	t.Parallel()
	sc, err := scenario.Lookup("rollout-restart")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config("effect", 2, []string{"--startup-delay=500ms", "--shutdown-delay=1s"}, withReadiness, withGrace(5), withStrategy(1, 0))
	for _, tc := range []struct {
		name  string
		still bool // the restart does nothing
	}{{"replaced", false}, {"stalled", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, _ := newLab(t, 200*time.Millisecond)
			var p scenario.Platform = l
			if tc.still {
				p = stalled{l}
			}
			r, err := scenario.Run(t.Context(), p, cfg, sc, scenario.Options{
				Via: result.ViaIngress, Rate: 50, KeepAlive: true, Lead: 500 * time.Millisecond, Tail: 500 * time.Millisecond,
				Settle: testbin.Patience, Interval: 250 * time.Millisecond,
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("invalid %q, %d of %d failed", r.Invalid, r.Failed(), r.Requests)
			switch {
			case !tc.still && len(r.Invalid) > 0:
				t.Errorf("a rollout that replaced both pods: invalid %q", r.Invalid)
			case tc.still && (r.Outcome() != result.StatusInvalid || len(r.Invalid) != 1 ||
				!strings.HasPrefix(r.Invalid[0], "rollout-restart: 2 of 2 pods still from the old template after ")):
				t.Errorf("a rollout that replaced nothing: status %s, invalid %q; want INVALID naming both pods", r.Outcome(), r.Invalid)
			}
		})
	}
}
