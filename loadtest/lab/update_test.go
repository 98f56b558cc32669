//go:build unix

package lab_test

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"scalelab/loadtest/result"
)

// Applying a template that starts slower than its liveness probe allows: the new pod is
// restarted over and over and never turns ready, the rollout stalls, and the old pods,
// never deleted (maxUnavailable 0), answer every request.
func TestUpdateToATrappedTemplateKeepsTheOldPodsServing(t *testing.T) {
	t.Parallel()
	liveness := func(_ *appsv1.Deployment, c *corev1.Container) { c.LivenessProbe = httpProbe("/livez", 0, 2) }
	mods := []func(*appsv1.Deployment, *corev1.Container){withReadiness, liveness, withGrace(2), withStrategy(1, 0)}
	l, log := newLab(t, 100*time.Millisecond)
	deploy(t, l, config("before", 2, []string{"--startup-delay=500ms"}, mods...))
	old := map[string]bool{}
	for _, e := range names(log, result.EventPod, " started") {
		old[e.Name[:len(e.Name)-len(" started")]] = true
	}

	stop := make(chan struct{})
	ld := startLoad(t, l, result.ViaIngress, true, stop)
	if err := l.Update(t.Context(), config("trap", 2, []string{"--startup-delay=5s"}, mods...)); err != nil {
		t.Fatal(err)
	}
	// The trap springs: a new pod's hello restarted, marked on the timeline.
	waitFor(t, log, "marked restart", func(e result.Event) bool { return e.Mark == result.MarkRestart })
	close(stop)
	ok, failed := ld.result()
	if len(failed) > 0 || ok == 0 {
		dumpEvents(t, log)
		t.Errorf("ok %d, failed %v: want every request answered by the old pods", ok, failed)
	}
	for pod := range ld.pods {
		if !old[pod] {
			t.Errorf("%s answered: only the old pods %v should", pod, old)
		}
	}
	if d := names(log, result.EventPod, " deleting"); len(d) > 0 {
		t.Errorf("%s: an old pod deleted before any new one turned ready", d[0].Name)
	}
	if err := l.Update(t.Context(), config("other", 2, nil, func(d *appsv1.Deployment, _ *corev1.Container) { d.Name = "other" })); err == nil {
		t.Error("Update to another Deployment: no error")
	}
}
