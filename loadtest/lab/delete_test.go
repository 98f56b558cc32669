//go:build unix

package lab_test

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"scalelab/loadtest/result"
)

// Deleting a pod whose hello exits at once loses the requests the proxies still send it
// during the propagation delay; a shutdown delay longer than that (by 2 s here, however
// late a busy machine runs the lab's timers) loses none. Through the
// ingress the loss is a 502, through the service a reset (no keep-alive there, so that
// every request picks an endpoint).
func TestDeletePodPropagationWindow(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name          string
		shutdownDelay string
		via           string
		wantLoss      map[string]bool // the failure keys allowed; empty: none
	}{
		{"exits at once/ingress", "0s", result.ViaIngress, map[string]bool{"502": true}},
		{"exits at once/service", "0s", result.ViaService, map[string]bool{"reset": true, "refused": true, "eof": true}},
		{"shutdown delay/ingress", "3s", result.ViaIngress, nil},
		{"shutdown delay/service", "3s", result.ViaService, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, log := newLab(t, time.Second)
			deploy(t, l, config("delete", 2, []string{"--shutdown-delay=" + tc.shutdownDelay}, withReadiness))
			stop := make(chan struct{})
			ld := startLoad(t, l, tc.via, tc.via == result.ViaIngress, stop)
			ld.waitServed(t, 2) // the load reaches both pods
			name, err := l.DeletePod(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			settle(t, l)
			ld.waitOK(t, 10) // and goes on to the one left
			close(stop)
			ok, failed := ld.result()
			t.Logf("deleted %s: ok %d, failed %v", name, ok, failed)
			lost := 0
			for k, n := range failed {
				lost += n
				if !tc.wantLoss[k] {
					t.Errorf("%d requests failed as %s", n, k)
				}
			}
			if (lost > 0) != (len(tc.wantLoss) > 0) {
				t.Errorf("lost %d requests, want loss: %t", lost, len(tc.wantLoss) > 0)
			}
			if ok == 0 {
				t.Error("no request succeeded")
			}
			if t.Failed() {
				dumpEvents(t, log)
			}
		})
	}
}

// The kubelet's kill: preStop hook, then SIGTERM with what is left of the grace period
// (whole seconds, at least 2 s), then SIGKILL; the endpoint is removed meanwhile.
func TestDeletePodPreStopAndGracePeriod(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		hook    *corev1.LifecycleHandler
		grace   int64
		event   string        // the hook's event
		before  time.Duration // at least this long from the hook to SIGTERM
		killIn  time.Duration // the time SIGTERM leaves until SIGKILL
		failure bool          // the hook fails
	}{
		{"sleep action", &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 1}}, 4, "preStop sleep 1s", time.Second, 3 * time.Second, false},
		{"exec hello sleep", &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"/hello", "sleep", "1s"}}}, 2, "preStop exec sleep 1s", time.Second, 2 * time.Second, false},
		{"httpGet", &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/livez", Port: intstrHTTP}}, 3, "preStop httpGet /livez", 0, 3 * time.Second, false},
		{"httpGet failing", &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/nope", Port: intstrHTTP}}, 3, "preStop httpGet /nope", 0, 3 * time.Second, true},
		{"no hook", nil, 2, "", 0, 2 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, log := newLab(t, 200*time.Millisecond)
			// hello keeps serving for 30 s after SIGTERM: only the SIGKILL ends it.
			deploy(t, l, config("kill", 1, []string{"--shutdown-delay=30s"}, withReadiness, withGrace(tc.grace),
				func(_ *appsv1.Deployment, c *corev1.Container) {
					if tc.hook != nil {
						c.Lifecycle = &corev1.Lifecycle{PreStop: tc.hook}
					}
				}))
			name, err := l.DeletePod(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			settle(t, l)
			at := func(sub string) (result.Event, bool) {
				for _, e := range log.Events() {
					if e.Name == name+" "+sub {
						return e, true
					}
				}
				return result.Event{}, false
			}
			deleting, _ := at("deleting")
			term, okTerm := at("SIGTERM")
			kill, okKill := at("SIGKILL")
			removed, okRemoved := at("unrouted (ingress)")
			if _, ok := at("killed"); !ok || !okTerm || !okKill || !okRemoved {
				dumpEvents(t, log)
				t.Fatal("want SIGTERM, SIGKILL, killed and the endpoint removed on the timeline")
			}
			if kill.Mark != result.MarkKill {
				t.Errorf("SIGKILL marked %q, want %q: the matrix counts kills by their mark", kill.Mark, result.MarkKill)
			}
			if tc.event != "" {
				if _, ok := at(tc.event); !ok {
					t.Errorf("no %q event", tc.event)
				}
			}
			if _, failed := at("preStop failed"); failed != tc.failure {
				t.Errorf("preStop failed: %t, want %t", failed, tc.failure)
			}
			if d := term.At - deleting.At; d < tc.before {
				t.Errorf("SIGTERM %s after the deletion, want at least %s", d, tc.before)
			}
			// SIGTERM gets the grace period less the hook's whole seconds, at least 2 s:
			// tc.killIn, or less by the whole seconds a busy machine made the hook run late.
			late := max(term.At-deleting.At-tc.before, 0).Truncate(time.Second)
			lowest := max(tc.killIn-late, 2*time.Second)
			var killIn time.Duration
			if _, after, ok := strings.Cut(term.Detail, "SIGKILL in "); ok {
				killIn, _ = time.ParseDuration(after)
			}
			if killIn < lowest || killIn > tc.killIn {
				t.Errorf("SIGTERM detail %q, want SIGKILL in %s (down to %s with the hook %s late)", term.Detail, tc.killIn, lowest, late)
			}
			if d := kill.At - term.At; d < killIn {
				t.Errorf("SIGKILL %s after SIGTERM, want at least %s", d, killIn)
			}
			if removed.At > term.At && tc.before > 0 {
				t.Errorf("endpoint removed at %s, after SIGTERM at %s: the removal must run during the hook", removed.At, term.At)
			}
		})
	}
}
