package scenario

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// TestTailSeesFailuresOut: the tail lasts its least when nothing fails, goes on while
// failures keep coming back until a quiet spell, and never beyond its most.
func TestTailSeesFailuresOut(t *testing.T) {
	t.Parallel()
	const ms = time.Millisecond
	span := tailSpan{least: 100 * ms, quiet: 100 * ms, most: 1200 * ms}
	for _, tc := range []struct {
		name        string
		failFor     time.Duration // failures keep coming back this long into the tail
		least, most time.Duration // how long the tail may take
	}{
		{"none", 0, 100 * ms, 600 * ms},
		{"until 600ms", 600 * ms, 675 * ms, 1150 * ms}, // quiet from the last poll that saw one
		{"all along", time.Hour, 1200 * ms, 2500 * ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			var n atomic.Int64
			failed := func() int {
				if time.Since(start) < tc.failFor {
					n.Add(1)
				}
				return int(n.Load())
			}
			tail(context.Background(), span, failed)
			if took := time.Since(start); took < tc.least || took > tc.most {
				t.Errorf("tail took %s, want %s to %s", took, tc.least, tc.most)
			}
		})
	}
}

// A pod that is ready before it serves: through a path the settle sees, the run goes on
// past the settle while its failures keep coming back, and stops a quiet second after.
func TestTailOutlastsALyingReadiness(t *testing.T) {
	t.Parallel()
	p := &lateListener{flaky: newFlaky(t, 1), late: 1500 * time.Millisecond}
	cfg := &manifest.Config{Name: "naive", Deployment: &appsv1.Deployment{}}
	sc, _ := Lookup("rollout-restart")
	r, err := Run(t.Context(), p, cfg, sc, Options{Via: result.ViaIngress, Rate: 100, KeepAlive: true,
		Lead: 200 * time.Millisecond, Timeout: 2 * time.Second, Interval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var settled time.Duration
	for _, e := range r.Events {
		if e.Name == "settled" {
			settled = e.At
		}
	}
	lastFailed := time.Duration(0)
	for _, s := range r.Timeline {
		if s.Errors.Total() > 0 {
			lastFailed = s.Start + r.Interval
		}
	}
	switch {
	case settled == 0 || r.Errors[result.HTTP502] == 0:
		t.Fatalf("settled at %s, %d × 502: want a settle and failures", settled, r.Errors[result.HTTP502])
	case lastFailed < settled+time.Second:
		t.Errorf("last failure in the slot ending %s, settled at %s: the failures should outlast the settle by %s", lastFailed, settled, p.late)
	case r.Elapsed < lastFailed+QuietTail-r.Interval || r.Elapsed > settled+BlindTail+time.Second:
		t.Errorf("load ran %s, failures until %s, settled at %s: want a quiet %s after the failures, within %s of the settle",
			r.Elapsed, lastFailed, settled, QuietTail, BlindTail)
	}
}

// lateListener is flaky whose settle sees every path's proxy, and whose pod goes on
// failing for late after it.
type lateListener struct {
	*flaky
	late time.Duration
}

func (l *lateListener) SettlesRoutes(string) bool { return true }
func (l *lateListener) Settle(context.Context) error {
	time.AfterFunc(l.late, func() { l.failing.Store(false) })
	l.rolled()
	return nil
}

func TestTailOn(t *testing.T) {
	if got := (Options{Tail: 3 * time.Second}).tailOn(nil); got != (tailSpan{3 * time.Second, 0, 3 * time.Second}) {
		t.Errorf("--tail 3s: %+v", got)
	}
	if got := (Options{}).tailOn(nil); got != (tailSpan{BlindTail, 0, BlindTail}) {
		t.Errorf("a platform that cannot see the proxy: %+v", got)
	}
	if got := (Options{Via: "ingress"}).tailOn(settler{nil, "ingress"}); got != (tailSpan{SettledTail, QuietTail, BlindTail}) {
		t.Errorf("a settle that waits for the ingress: %+v", got)
	}
	if got := (Options{Via: "service"}).tailOn(settler{nil, "ingress"}); got.least != BlindTail {
		t.Errorf("the service path of a platform that reads only the ingress: %+v", got)
	}
}

// settler is a Platform whose settle waits for the proxy of one path.
type settler struct {
	*flaky
	via string
}

func (s settler) SettlesRoutes(via string) bool { return via == s.via }
