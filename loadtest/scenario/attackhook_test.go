package scenario

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// streamedAttack is an Options.Attack of two attackers that stream their results, merged
// as the pods' are (fromcluster.Attack), which reports fail as the attack's error.
func streamedAttack(fail error, sums *[2]attack.Summary) func(context.Context, Platform, attack.Options) (func() (*result.Run, error), error) {
	return func(ctx context.Context, _ Platform, o attack.Options) (func() (*result.Run, error), error) {
		col, err := attack.NewCollector(ctx, o, time.Now())
		if err != nil {
			return nil, err
		}
		var wg sync.WaitGroup
		for i := range 2 {
			pr, pw := io.Pipe()
			so := o
			so.Rate = attack.Share(o.Rate, 2, i)
			wg.Go(func() {
				var werr error
				sums[i], werr = attack.Stream(ctx, so, fmt.Sprintf("attacker-%d", i), pw)
				pw.CloseWithError(werr)
			})
			wg.Go(func() {
				sc := bufio.NewScanner(pr)
				for sc.Scan() {
					if res, err := attack.DecodeLine(sc.Text()); err == nil {
						col.Add(res)
					}
				}
			})
		}
		return func() (*result.Run, error) {
			wg.Wait()
			return col.Finish(ctx, false), fail
		}, nil
	}
}

// The hook runs the attack instead of attack.Run; its run is the trial's, and an attack
// that failed in part keeps the run it measured, with the error on the trial.
func TestAttackHook(t *testing.T) {
	t.Parallel()
	for _, fail := range []error{nil, errors.New("attacker-1: pod a-1 was deleted while it attacked")} {
		f := newFlaky(t)
		cfg := &manifest.Config{Name: "graceful", Promise: result.PromiseZero, Deployment: &appsv1.Deployment{}}
		sc, _ := Lookup("rollout-restart")
		sc.Takes = func(*manifest.Config) time.Duration { return 0 }
		var sums [2]attack.Summary
		var runs []*result.Run
		m, err := RunMatrix(t.Context(), func() (Platform, error) { return f, nil }, MatrixOptions{
			Options: Options{Rate: 100, Lead: 200 * time.Millisecond, Tail: 200 * time.Millisecond,
				Timeout: 2 * time.Second, Interval: 100 * time.Millisecond, KeepAlive: true,
				Attack: streamedAttack(fail, &sums)},
			Configs: []*manifest.Config{cfg}, Scenarios: []Scenario{sc}, Vias: []string{result.ViaClusterIP},
			Save: func(_ string, r *result.Run) error { runs = append(runs, r); return nil },
		})
		if err != nil {
			t.Fatal(err)
		}
		c := m.Cells[0]
		if len(runs) != 1 || runs[0].Requests == 0 || runs[0].Requests != sums[0].Requests+sums[1].Requests {
			t.Fatalf("saved %d runs; want one whose requests are the attackers' %d + %d", len(runs), sums[0].Requests, sums[1].Requests)
		}
		switch {
		case fail == nil && (c.Verdict != result.VerdictKept || c.Error != ""):
			t.Errorf("verdict %q, error %q: want kept", c.Verdict, c.Error)
		case fail != nil && (c.Verdict != result.VerdictError || c.Requests != runs[0].Requests):
			t.Errorf("verdict %q, error %q, %d requests: want an error with the run's %d requests", c.Verdict, c.Error, c.Requests, runs[0].Requests)
		}
	}
}
