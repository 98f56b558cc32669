package kube

import (
	"context"
	"net"
	"slices"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"scalelab/loadtest/result"
)

// A rollout's "complete" is not yet what the paths do: Skipper adds a ready pod to its
// routes at its next poll of the API (up to 3 s later), and kube-proxy at its next sync.
// A run started in between measured a scale-up race of the deploy's own (seen on the bare
// cluster: two pods of a naive scale-down first routed 0.41 s into the load, 84 × 502 of
// the run's 163). So where the proxies' tables can be read (routes.go), the platform has
// settled only once each routes to exactly the ready pods, as the lab's settle waits for
// its proxies to catch up with the endpoints.

// settleTables are the proxies' tables that Settle waits for, made once.
type settleTables struct {
	once   sync.Once
	tables []routeTable
}

// get makes the tables the first time, from what c can read.
func (s *settleTables) get(c *Cluster) []routeTable {
	s.once.Do(func() { s.tables = c.routeTables() })
	return s.tables
}

// SettlesRoutes says whether Settle waits for via's proxy: for the ingress where Skipper's
// routes are read, for the Service (by its NodePort or its ClusterIP, the same rules) where
// kube-proxy's are.
func (c *Cluster) SettlesRoutes(via string) bool {
	via = result.ProxyOf(via)
	return slices.ContainsFunc(c.settling.get(c), func(t routeTable) bool { return t.via == via })
}

// uncaught names a path whose proxy does not route to exactly the ready pods among pods;
// "" when every readable one does (or none can be read).
func (c *Cluster) uncaught(ctx context.Context, pods []corev1.Pod) (string, error) {
	want := map[string]bool{}
	for _, p := range pods {
		if p.DeletionTimestamp == nil && isReady(&p) && p.Status.PodIP != "" {
			want[p.Status.PodIP] = true
		}
	}
	c.mu.Lock()
	ingress := c.cfg != nil && c.cfg.Ingress != nil
	c.mu.Unlock()
	for _, t := range c.settling.get(c) {
		if t.via == result.ViaIngress && !ingress {
			continue
		}
		r, err := t.read(ctx)
		if err != nil {
			return "", err
		}
		var got []string
		for a := range r.addrs {
			host, _, err := net.SplitHostPort(a)
			if err != nil {
				host = a
			}
			got = append(got, host)
		}
		slices.Sort(got)
		got = slices.Compact(got)
		if len(got) != len(want) || slices.ContainsFunc(got, func(ip string) bool { return !want[ip] }) {
			return "the " + t.via + " path has not caught up with the ready pods", nil
		}
	}
	return "", nil
}
