//go:build unix

package lab_test

import (
	"slices"
	"testing"
	"time"

	"scalelab/internal/testbin"
	"scalelab/loadtest/attack"
	"scalelab/loadtest/explain"
	"scalelab/loadtest/result"
)

// A naive scale-down through the ingress: every failed request went to a deleted pod, and
// the run says so — each failure is named by the ingress's own record (none left over), to
// a pod being deleted, and each window's attribution gives that pod's stop (SIGTERM: naive
// hello closes its port at once; exit; gone) and then the ingress's dropping it, in that
// order, with the failures sent between the two.
func TestNaiveScaleDownBlamesTheDeletedPods(t *testing.T) {
	t.Parallel()
	const lag = 2 * time.Second // the ingress drops the deleted pods this late
	l, log := newLab(t, lag)
	deploy(t, l, config("blame", 3, []string{"--shutdown-delay=0s"}))
	target, err := l.Target(result.ViaIngress)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan *result.Run, 1)
	go func() {
		r, err := attack.Run(t.Context(), attack.Options{
			Target: target, Rate: 200, KeepAlive: true, Timeout: 2 * time.Second, Interval: 100 * time.Millisecond,
			Log: log, Stop: stop, Upstream: l.Upstream(result.ViaIngress),
			Meta: map[string]string{"via": result.ViaIngress},
		})
		if err != nil {
			t.Error(err)
		}
		done <- r
	}()
	time.Sleep(500 * time.Millisecond)
	if err := l.Scale(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	settle(t, l)
	time.Sleep(2500 * time.Millisecond) // the last requests sent into a hole time out
	close(stop)
	var r *result.Run
	select {
	case r = <-done:
	case <-time.After(testbin.Patience):
		t.Fatal("the attack did not end")
	}
	if r == nil {
		t.FailNow()
	}

	var deleted []string
	for _, e := range r.Events {
		if e.Step == result.StepDeleting {
			deleted = append(deleted, e.Pod)
		}
	}
	if len(deleted) != 2 {
		dumpEvents(t, log)
		t.Fatalf("deleted %v: want 2 pods", deleted)
	}
	if r.Failed() == 0 {
		t.Fatal("no request failed: the race was not run")
	}
	named := 0
	for pod, c := range r.Lost {
		named += c.Total()
		if !slices.Contains(deleted, pod) {
			t.Errorf("%d failures went to %q, not a deleted pod (%v)", c.Total(), pod, deleted)
		}
	}
	if named != r.Failed() {
		t.Errorf("%d of %d failures named by the ingress: %v", named, r.Failed(), r.Lost)
	}

	blamed := 0
	for _, w := range explain.Windows(r) {
		for _, b := range w.Blame {
			t.Logf("%s–%s %s: %s", w.From, w.To, b.Pod, b.Text)
			blamed += b.Errors.Total()
			switch {
			case !slices.Contains(deleted, b.Pod):
				t.Errorf("blamed %q, not a deleted pod", b.Pod)
			case b.First == nil || b.Then == nil:
				t.Errorf("%s: want both moments", b.Text)
			case b.First.Pod != b.Pod || !slices.Contains([]string{result.StepSIGTERM, result.StepExited, result.StepGone}, b.First.Step):
				t.Errorf("%s: the first moment is %+v, want the pod's SIGTERM, exit or end", b.Text, *b.First)
			case b.Then.Pod != b.Pod || b.Then.Step != result.StepUnrouted || b.Then.Via != result.ViaIngress:
				t.Errorf("%s: the second moment is %+v, want the ingress dropping the pod", b.Text, *b.Then)
			case b.First.At >= b.Then.At:
				t.Errorf("%s: the moments are out of order", b.Text)
			}
		}
		for _, iv := range r.Timeline {
			if iv.Start < w.From || iv.Start >= w.To {
				continue
			}
			for pod := range iv.Lost {
				first, then := bounds(w, pod)
				if first < 0 || iv.Start+r.Interval < first || iv.Start > then {
					t.Errorf("failures to %s sent at %s–%s, outside its stop (%s) and its dropping (%s)",
						pod, iv.Start, iv.Start+r.Interval, first, then)
				}
			}
		}
	}
	if blamed != r.Failed() {
		t.Errorf("%d of %d failures blamed", blamed, r.Failed())
	}
}

// bounds are the earliest first and the latest second moment blamed on pod in w; -1 none.
func bounds(w result.Window, pod string) (first, then time.Duration) {
	first, then = -1, -1
	for _, b := range w.Blame {
		if b.Pod != pod || b.First == nil || b.Then == nil {
			continue
		}
		if first < 0 || b.First.At < first {
			first = b.First.At
		}
		then = max(then, b.Then.At)
	}
	return first, then
}
