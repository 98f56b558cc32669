//go:build unix

package lab_test

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"scalelab/internal/testbin"
	"scalelab/loadtest/result"
)

// waitEvent polls the log until an event whose name starts with prefix and ends with
// suffix shows up, and returns the first such event.
func waitEvent(t *testing.T, log *result.Log, prefix, suffix string) result.Event {
	t.Helper()
	return waitFor(t, log, prefix+"…"+suffix, func(e result.Event) bool {
		return strings.HasPrefix(e.Name, prefix) && strings.HasSuffix(e.Name, suffix)
	})
}

// waitFor polls the log until an event matches, for at most testbin.Patience.
func waitFor(t *testing.T, log *result.Log, what string, match func(result.Event) bool) result.Event {
	t.Helper()
	deadline := time.Now().Add(testbin.Patience)
	for {
		for _, e := range log.Events() {
			if match(e) {
				return e
			}
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	dumpEvents(t, log)
	t.Fatalf("no event %s within %s", what, testbin.Patience)
	return result.Event{}
}

// A liveness probe that fails failureThreshold times in a row restarts the process; the
// pod keeps its name and port.
func TestLivenessFailureRestarts(t *testing.T) {
	t.Parallel()
	l, log := newLab(t, 100*time.Millisecond)
	// The grace period is long: hello stops on SIGTERM well within it, however busy the machine.
	deploy(t, l, config("liveness", 1, nil, withGrace(30), func(_ *appsv1.Deployment, c *corev1.Container) {
		c.LivenessProbe = httpProbe("/nope", 0, 2) // 404
	}))
	restart := waitEvent(t, log, "hello-", "liveness failed: restarting")
	pod := strings.TrimSuffix(restart.Name, " liveness failed: restarting")
	if !strings.Contains(restart.Detail, "404") {
		t.Errorf("restart detail %q, want the probe's 404", restart.Detail)
	}
	// The restarted container starts once the old one has stopped: SIGTERM, then its exit.
	again := waitFor(t, log, pod+" started, restart 1", func(e result.Event) bool {
		return e.Kind == result.EventPod && e.Name == pod+" started" && strings.HasSuffix(e.Detail, ", restart 1")
	})
	if again.At < restart.At {
		dumpEvents(t, log)
		t.Fatalf("%s restarted at %s, before the liveness failure at %s", pod, again.At, restart.At)
	}
	if marks := result.Marks(log.Events()); again.Mark != result.MarkRestart || marks[result.MarkRestart] < 1 || marks[result.MarkKill] != 0 {
		t.Errorf("restart marked %q, marks %v: want the restart counted and no kill (hello stops on SIGTERM)", again.Mark, marks)
	}
	first := names(log, result.EventPod, pod+" started")[0]
	// "pid N, ADDR[, restart N]"
	if addr := func(d string) string { return strings.Split(d, ", ")[1] }; addr(again.Detail) != addr(first.Detail) {
		t.Errorf("restarted on %q, first on %q: a pod keeps its address", again.Detail, first.Detail)
	}
	// Two failures a second apart, after the first probe at start: not before 1 s.
	if d := restart.At - first.At; d < time.Second {
		t.Errorf("restarted %s after the start, want at least 1s (failureThreshold 2, period 1s)", d)
	}
}

// A startup probe holds the liveness probe back: hello does not listen for 2 s, which a
// liveness probe with failureThreshold 1 would punish at once.
func TestStartupProbeGatesLiveness(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name        string
		startup     bool
		wantRestart bool
	}{{"startup probe", true, false}, {"no startup probe", false, true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, log := newLab(t, 100*time.Millisecond)
			cfg := config("startup", 1, []string{"--startup-delay=2s"}, withReadiness, withGrace(2), func(_ *appsv1.Deployment, c *corev1.Container) {
				c.LivenessProbe = httpProbe("/livez", 0, 1)
				if tc.startup {
					c.StartupProbe = &corev1.Probe{
						ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstrHTTP}},
						PeriodSeconds: 1, FailureThreshold: 30, // 30 s for hello's 2 s, on a busy machine
					}
				}
			})
			if tc.wantRestart {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				defer cancel()
				if err := l.Deploy(ctx, cfg); err == nil { // cannot settle: it restarts forever
					t.Fatal("Deploy settled")
				}
				waitEvent(t, log, "hello-", "liveness failed: restarting")
				return
			}
			deploy(t, l, cfg)
			if r := names(log, result.EventPod, "restarting"); len(r) > 0 {
				t.Errorf("restarted: %v", r)
			}
			started := waitEvent(t, log, "hello-", "startup probe succeeded")
			ready := waitEvent(t, log, "hello-", " ready")
			if ready.At < started.At || started.At < 2*time.Second {
				dumpEvents(t, log)
				t.Errorf("started at %s, ready at %s: want started after hello's 2s, then ready", started.At, ready.At)
			}
		})
	}
}
