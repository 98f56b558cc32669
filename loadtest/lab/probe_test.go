package lab_test

import (
	"context"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"scalelab/loadtest/result"
)

// waitEvent polls the log until an event named name+sub shows up.
func waitEvent(t *testing.T, log *result.Log, name, sub string, within time.Duration) result.Event {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		for _, e := range log.Events() {
			if strings.HasPrefix(e.Name, name) && strings.HasSuffix(e.Name, sub) {
				return e
			}
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	dumpEvents(t, log)
	t.Fatalf("no event %q within %s", name+"…"+sub, within)
	return result.Event{}
}

// A liveness probe that fails failureThreshold times in a row restarts the process; the
// pod keeps its name and port.
func TestLivenessFailureRestarts(t *testing.T) {
	t.Parallel()
	l, log := newLab(t, 100*time.Millisecond)
	deploy(t, l, config("liveness", 1, nil, withGrace(2), func(_ *appsv1.Deployment, c *corev1.Container) {
		c.LivenessProbe = httpProbe("/nope", 0, 2) // 404
	}))
	restart := waitEvent(t, log, "hello-", "liveness failed: restarting", 15*time.Second)
	pod := strings.TrimSuffix(restart.Name, " liveness failed: restarting")
	if !strings.Contains(restart.Detail, "404") {
		t.Errorf("restart detail %q, want the probe's 404", restart.Detail)
	}
	again := waitEvent(t, log, pod, " started", 0)
	for _, e := range names(log, result.EventPod, pod+" started") {
		if strings.Contains(e.Detail, "restart 1") {
			again = e
		}
	}
	if !strings.Contains(again.Detail, "restart 1") || again.At < restart.At {
		dumpEvents(t, log)
		t.Fatalf("no restart of %s after the liveness failure", pod)
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
						PeriodSeconds: 1, FailureThreshold: 10,
					}
				}
			})
			if tc.wantRestart {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				defer cancel()
				if err := l.Deploy(ctx, cfg); err == nil { // cannot settle: it restarts forever
					t.Fatal("Deploy settled")
				}
				waitEvent(t, log, "hello-", "liveness failed: restarting", 10*time.Second)
				return
			}
			deploy(t, l, cfg)
			if r := names(log, result.EventPod, "restarting"); len(r) > 0 {
				t.Errorf("restarted: %v", r)
			}
			started := waitEvent(t, log, "hello-", "startup probe succeeded", 0)
			ready := waitEvent(t, log, "hello-", " ready", 0)
			if ready.At < started.At || started.At < 2*time.Second {
				dumpEvents(t, log)
				t.Errorf("started at %s, ready at %s: want started after hello's 2s, then ready", started.At, ready.At)
			}
		})
	}
}
