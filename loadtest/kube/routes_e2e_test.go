package kube

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// On a real cluster with Skipper in front (the bare cluster: set -a; . its env file),
// SCALELAB_KUBE_E2E=1: the naive configuration of k8s/fast in a lane of its own, scaled
// from 3 pods to 1 while observed. Each deleted pod must leave Skipper's routes (read from
// its /routes) and, where iptables-save runs, kube-proxy's rules, as events naming the
// pod; the test logs when, beside the deletion and the exit the watch saw.
func TestRoutesOnRealCluster(t *testing.T) {
	if os.Getenv("SCALELAB_KUBE_E2E") == "" || os.Getenv("INGRESS_ROUTES_URL") == "" {
		t.Skip("needs a cluster with Skipper: SCALELAB_KUBE_E2E=1 and INGRESS_ROUTES_URL (the bare cluster's env file)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := New(ctx, Options{IngressRoutes: os.Getenv("INGRESS_ROUTES_URL")})
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.Lane(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("close the lane: %v", err)
		}
	})
	cfg, err := manifest.Render("../../k8s/fast/naive")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Deploy(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	pods, err := l.cs.CoreV1().Pods(l.ns).List(ctx, metav1.ListOptions{})
	if err != nil || len(pods.Items) < 2 {
		t.Fatalf("%d pods, %v: want at least 2 to scale down from", len(pods.Items), err)
	}
	skipper, ok := l.skipperTable()
	if !ok {
		t.Fatal("no Skipper table with IngressRoutes set")
	}
	kubeProxy, hasKubeProxy := l.kubeProxyTable()
	// Skipper learns of the pods up to its poll (3 s) after they are ready: the baseline
	// must hold them all, or their removal is not seen.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		got, err := skipper.read(ctx)
		if err == nil && len(got.addrs) == len(pods.Items) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Skipper routes to %d of %d pods after 20s (%v)", len(got.addrs), len(pods.Items), err)
		}
	}

	log := result.NewLog(time.Now())
	l.Observe(log)
	if err := l.Scale(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if err := l.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	unrouted := func(via string) map[string]result.Event {
		m := map[string]result.Event{}
		for _, e := range log.Events() {
			if e.Kind == result.EventRoute && e.Via == via && e.Step == result.StepUnrouted {
				m[e.Pod] = e
			}
		}
		return m
	}
	removed := len(pods.Items) - 1
	for deadline := time.Now().Add(15 * time.Second); len(unrouted(result.ViaIngress)) < removed; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			break
		}
	}
	l.Observe(nil)

	events := log.Events()
	step := func(pod, s string) (result.Event, bool) {
		i := slices.IndexFunc(events, func(e result.Event) bool { return e.Pod == pod && e.Step == s })
		if i < 0 {
			return result.Event{}, false
		}
		return events[i], true
	}
	ingress, service := unrouted(result.ViaIngress), unrouted(result.ViaService)
	deleted := 0
	for _, p := range pods.Items {
		del, ok := step(p.Name, result.StepDeleting)
		if !ok {
			continue // the pod kept
		}
		deleted++
		exit, _ := step(p.Name, result.StepExited)
		in, ok := ingress[p.Name]
		if !ok {
			t.Errorf("%s: deleted at %s, no unrouting by Skipper", p.Name, del.At)
			continue
		}
		if in.At < del.At {
			t.Errorf("%s: Skipper unrouted it at %s, before its deletion at %s", p.Name, in.At, del.At)
		}
		line := []string{p.Name + ":", "deletion requested " + at(del), "exited " + at(exit), "Skipper unrouted " + at(in)}
		if hasKubeProxy {
			svc, ok := service[p.Name]
			if !ok {
				t.Errorf("%s: no unrouting by kube-proxy", p.Name)
			}
			line = append(line, "kube-proxy unrouted "+at(svc))
		}
		t.Log(strings.Join(line, " "))
	}
	if deleted != removed {
		t.Errorf("%d pods deleted, want %d", deleted, removed)
	}
	// What one reading costs, measured here.
	for _, tb := range []struct {
		name string
		ok   bool
		rt   routeTable
	}{{"Skipper's /routes", true, skipper}, {"iptables-save -t nat", hasKubeProxy, kubeProxy}} {
		if !tb.ok {
			continue
		}
		const n = 20
		var took time.Duration
		for range n {
			time.Sleep(tb.rt.every) // past the reading shared with other pollers
			r, err := tb.rt.read(ctx)
			if err != nil {
				t.Errorf("%s: %v", tb.name, err)
			}
			took += r.got.Sub(r.sent)
		}
		t.Logf("one reading of %s: %s (mean of %d)", tb.name, took/n, n)
	}
}

// at is an event's offset, or "–" when it did not come.
func at(e result.Event) string {
	if e.Kind == "" {
		return "–"
	}
	return e.At.Round(time.Millisecond).String()
}
