package scenario

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// cancelling is a flaky platform whose rollout is where the matrix is interrupted: it
// cancels the matrix's context.
type cancelling struct {
	*flaky
	cancel context.CancelFunc
}

func (c cancelling) Restart(context.Context) error { c.cancel(); return nil }

// An interrupted matrix proves nothing: the cell cut short is interrupted, with no
// overhead, whatever it promised; the one never begun is not run; the matrix is invalid.
func TestInterruptedMatrixProvesNothing(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	p := cancelling{newFlaky(t), cancel}
	cfg := &manifest.Config{Name: "graceful", Promise: result.PromiseZero, Deployment: &appsv1.Deployment{}}
	sc, _ := Lookup("rollout-restart")
	sc.Takes = func(*manifest.Config) time.Duration { return 0 }
	var saved []*result.Run
	m, err := RunMatrix(ctx, func() (Platform, error) { return p, nil }, MatrixOptions{
		Options: Options{Rate: 100, Lead: 200 * time.Millisecond, Tail: 200 * time.Millisecond,
			Timeout: 2 * time.Second, Interval: 100 * time.Millisecond, KeepAlive: true},
		Configs: []*manifest.Config{cfg}, Scenarios: []Scenario{sc}, Vias: []string{result.ViaService, result.ViaIngress},
		Save: func(_ string, r *result.Run) error { saved = append(saved, r); return nil },
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v, want the cancel", err)
	}
	verdicts := map[result.Verdict]int{}
	for _, c := range m.Cells {
		verdicts[c.Verdict]++
		if c.Overhead < 0 || c.Verdict == result.VerdictInterrupted && c.Overhead != 0 {
			t.Errorf("%s via %s: overhead %s", c.Verdict, c.Via, c.Overhead)
		}
	}
	if verdicts[result.VerdictInterrupted] != 1 || verdicts[result.VerdictNotRun] != 1 {
		t.Errorf("verdicts %v: want one interrupted, one not run", verdicts)
	}
	if !m.Interrupted || m.Outcome() != result.StatusInvalid || m.Passed() || len(m.Problems) != 2 {
		t.Errorf("matrix: interrupted %v, outcome %q, problems %q", m.Interrupted, m.Outcome(), m.Problems)
	}
	if len(saved) != 1 || saved[0].Outcome() != result.StatusInvalid || !strings.HasPrefix(strings.Join(saved[0].Invalid, ";"), result.Reason+" after ") {
		t.Errorf("saved %d run(s); the one cut short: %+v", len(saved), saved)
	}
}
