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

// counts replays the timeline: the fewest ready endpoints after the rollout's start and
// the most pods at once that are not terminating (what maxSurge bounds).
func counts(log *result.Log, from time.Duration) (minReady, maxPods int) {
	ready, pods := 0, 0
	minReady = -1
	for _, e := range log.Events() {
		switch {
		case e.Kind == result.EventEndpoint && strings.HasSuffix(e.Name, " endpoint ready"):
			ready++
		case e.Kind == result.EventEndpoint && strings.HasSuffix(e.Name, " endpoint not ready"):
			ready--
		case e.Kind == result.EventPod && strings.HasSuffix(e.Name, " created"):
			pods++
		case e.Kind == result.EventPod && strings.HasSuffix(e.Name, " deleting"):
			pods--
		}
		if e.At >= from && (minReady < 0 || ready < minReady) {
			minReady = ready
		}
		maxPods = max(maxPods, pods)
	}
	return minReady, maxPods
}

// A rollout restart replaces every pod within maxSurge and maxUnavailable; with a shutdown
// delay longer than the propagation, the ingress loses no request, unless the Recreate
// strategy leaves it no endpoint.
func TestRolloutHonoursStrategy(t *testing.T) {
	t.Parallel()
	recreate := func(d *appsv1.Deployment, _ *corev1.Container) {
		d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	}
	for _, tc := range []struct {
		name              string
		strategy          func(*appsv1.Deployment, *corev1.Container)
		wantMin, wantMaxP int
	}{
		{"maxSurge 1 maxUnavailable 0", withStrategy(1, 0), 3, 4},
		{"maxSurge 0 maxUnavailable 1", withStrategy(0, 1), 2, 3},
		{"recreate", recreate, 0, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			l, log := newLab(t, 200*time.Millisecond)
			// A shutdown delay 1.8 s longer than the propagation: no loss, however late a
			// busy machine runs the lab's timers.
			deploy(t, l, config("rollout", 3, []string{"--startup-delay=1s", "--shutdown-delay=2s"},
				withReadiness, withGrace(5), tc.strategy))
			old := map[string]bool{}
			for _, e := range names(log, result.EventPod, " created") {
				old[strings.TrimSuffix(e.Name, " created")] = true
			}
			stop := make(chan struct{})
			ld := startLoad(t, l, result.ViaIngress, true, stop)
			start := time.Since(log.Start())
			if err := l.Restart(t.Context()); err != nil {
				t.Fatal(err)
			}
			settle(t, l)
			close(stop)
			ok, failed := ld.result()
			minReady, maxPods := counts(log, start)
			t.Logf("ok %d, failed %v; ready endpoints at least %d, pods at most %d", ok, failed, minReady, maxPods)
			if minReady != tc.wantMin || maxPods != tc.wantMaxP {
				dumpEvents(t, log)
				t.Errorf("ready endpoints at least %d, pods at most %d; want %d and %d", minReady, maxPods, tc.wantMin, tc.wantMaxP)
			}
			if (len(failed) > 0) != (tc.wantMin == 0) {
				t.Errorf("failed requests: %v; want some only when no endpoint is left", failed)
			}
			created := names(log, result.EventPod, " created")
			if len(created) != 6 {
				t.Errorf("%d pods created, want 3 then 3 new ones", len(created))
			}
			for _, e := range created[len(created)-3:] {
				if old[strings.TrimSuffix(e.Name, " created")] {
					t.Errorf("%s is not a new pod", e.Name)
				}
			}
			if deleted := names(log, result.EventPod, " deleted"); tc.wantMin == 0 && len(deleted) > 0 &&
				created[3].At < deleted[len(deleted)-1].At {
				t.Errorf("Recreate created %s before the last old pod was gone", created[3].Name)
			}
		})
	}
}
