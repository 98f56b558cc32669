//go:build unix

package lab_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"scalelab/internal/testbin"
	"scalelab/loadtest/lab"
	"scalelab/loadtest/result"
)

// drawPoll is the ingress's poll in these tests: Skipper's 3 s, shortened to keep them short.
const drawPoll = time.Second

// newPollingLab is a lab whose ingress polls every drawPoll, its draws seeded by seed.
func newPollingLab(t *testing.T, seed uint64) (*lab.Lab, *result.Log) {
	t.Helper()
	return newLabWith(t, lab.Options{PropagationDelay: 20 * time.Millisecond, IngressPoll: drawPoll, Seed: seed})
}

// procedure drives one lab and returns, for each pod it deleted, how long after the pod's
// SIGTERM the ingress dropped it: where the poll fell. It runs beside a twin, so it reports
// what went wrong rather than failing the test.
type procedure func(ctx context.Context, l *lab.Lab, log *result.Log) ([]time.Duration, error)

// twice runs p in two labs at once, both seeded by seed, and returns what each returned.
func twice(t *testing.T, seed uint64, p procedure) (a, b []time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*testbin.Patience)
	defer cancel()
	var (
		got  [2][]time.Duration
		errs [2]error
		logs [2]*result.Log
		wg   sync.WaitGroup
	)
	for i := range got {
		l, log := newPollingLab(t, seed)
		logs[i] = log
		wg.Go(func() { got[i], errs[i] = p(ctx, l, log) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			dumpEvents(t, logs[i])
			t.Fatalf("lab %d: %v", i, err)
		}
	}
	return got[0], got[1]
}

// awaitEvent waits until the log has the event named name.
func awaitEvent(ctx context.Context, log *result.Log, name string) (result.Event, error) {
	for {
		for _, e := range log.Events() {
			if e.Name == name {
				return e, nil
			}
		}
		select {
		case <-ctx.Done():
			return result.Event{}, fmt.Errorf("no event %q: %w", name, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// dropDelay waits until the ingress has dropped pod's route, and returns how long after
// the pod's SIGTERM it did.
func dropDelay(ctx context.Context, log *result.Log, pod string) (time.Duration, error) {
	term, err := awaitEvent(ctx, log, pod+" SIGTERM")
	if err != nil {
		return 0, err
	}
	drop, err := awaitEvent(ctx, log, pod+" unrouted ("+result.ViaIngress+")")
	return drop.At - term.At, err
}

// lead is how long after the lab settles a run acts, as a scenario's --lead.
const lead = 200 * time.Millisecond

// trials runs n trials as the matrix runs a cell's, each deploying afresh and acting a
// lead after the lab has settled: here deleting a pod.
func trials(n int) procedure {
	cfg := config("trials", 2, nil, withGrace(5))
	return func(ctx context.Context, l *lab.Lab, log *result.Log) ([]time.Duration, error) {
		var out []time.Duration
		for range n {
			if err := l.Deploy(ctx, cfg); err != nil {
				return out, err
			}
			time.Sleep(lead)
			pod, err := l.DeletePod(ctx)
			if err != nil {
				return out, err
			}
			d, err := dropDelay(ctx, log, pod)
			if err != nil {
				return out, err
			}
			out = append(out, d)
		}
		return out, nil
	}
}

// rollout runs one rollout restart of n pods with a readiness probe every second
// (maxSurge 1, maxUnavailable 0: each old pod goes when a new one turns ready).
func rollout(n int32) procedure {
	cfg := config("rollout", n, nil, withGrace(5), withStrategy(1, 0), func(_ *appsv1.Deployment, c *corev1.Container) {
		c.ReadinessProbe = httpProbe("/readyz", 1, 1)
	})
	return func(ctx context.Context, l *lab.Lab, log *result.Log) ([]time.Duration, error) {
		if err := l.Deploy(ctx, cfg); err != nil {
			return nil, err
		}
		old := podsCreated(log)
		time.Sleep(lead)
		if err := l.Restart(ctx); err != nil {
			return nil, err
		}
		if err := l.Settle(ctx); err != nil {
			return nil, err
		}
		var out []time.Duration
		for _, pod := range old {
			d, err := dropDelay(ctx, log, pod)
			if err != nil {
				return out, err
			}
			out = append(out, d)
		}
		return out, nil
	}
}

// podsCreated lists the pods created so far, in order.
func podsCreated(log *result.Log) []string {
	var out []string
	for _, e := range names(log, result.EventPod, " created") {
		out = append(out, strings.TrimSuffix(e.Name, " created"))
	}
	return out
}

// spread fails unless the delays are spread over at least minRange of the poll and take
// at least minDistinct values 50 ms apart.
func spread(t *testing.T, what string, delays []time.Duration, minRange time.Duration, minDistinct int) {
	t.Helper()
	lo, hi := slices.Min(delays), slices.Max(delays)
	distinct := map[time.Duration]bool{}
	for _, d := range delays {
		distinct[d.Round(50*time.Millisecond)] = true
	}
	t.Logf("%s: from SIGTERM to the ingress's drop %v: %s to %s, %d distinct", what, delays, lo, hi, len(distinct))
	if hi-lo < minRange || len(distinct) < minDistinct {
		t.Errorf("%s: the ingress dropped the pods %v after SIGTERM: want draws spread over %s of its %s poll at least, %d distinct",
			what, delays, minRange, drawPoll, minDistinct)
	}
}

// same fails unless two runs with one seed drew the same delays, give or take the
// machine's timer latency.
func same(t *testing.T, what string, a, b []time.Duration) {
	t.Helper()
	const slack = 150 * time.Millisecond
	ok := len(a) == len(b)
	for i := 0; ok && i < len(a); i++ {
		ok = (a[i] - b[i]).Abs() <= slack
	}
	if !ok {
		t.Errorf("%s, two labs with one seed: %v and %v: want the same draws (within %s)", what, a, b, slack)
	}
}

// A matrix's trials of a cell are independent draws of the ingress's poll phase, as on a
// cluster, where nothing ties the moment a run acts to Skipper's ticker: the lab's Settle
// ends right after a poll, and it must not fix the phase of every trial's action. With one
// seed the draws replay.
func TestTrialsDrawThePollPhase(t *testing.T) {
	t.Parallel()
	a, b := twice(t, 17, trials(8))
	spread(t, "8 trials", a, drawPoll/3, 4)
	same(t, "8 trials", a, b)
}

// The deletions of one rollout are draws of their own: each new pod turns ready after its
// own admission and sandbox delays, as on a cluster, so the old pods do not all go at one
// phase of the ingress's poll (they did, every 6 s against a 3 s poll, when each pod took
// exactly as long to turn ready). With one seed the draws replay.
func TestRolloutDeletionsDrawThePollPhase(t *testing.T) {
	t.Parallel()
	a, b := twice(t, 17, rollout(4))
	spread(t, "4 deletions of a rollout", a, drawPoll/5, 3)
	same(t, "a rollout", a, b)
}

// A lab with no seed draws one of its own: two such labs are independent.
func TestUnseededLabsDrawApart(t *testing.T) {
	t.Parallel()
	a, _ := newPollingLab(t, 0)
	b, _ := newPollingLab(t, 0)
	if a.Seed() == 0 || a.Seed() == b.Seed() {
		t.Errorf("seeds %d and %d: want two seeds drawn, different", a.Seed(), b.Seed())
	}
	if c, _ := newPollingLab(t, 17); c.Seed() != 17 {
		t.Errorf("seed %d, want the one given, 17", c.Seed())
	}
}
