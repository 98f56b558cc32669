package kube

import (
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"scalelab/loadtest/result"
)

// The proxies' own view: while a run is observed, each proxy's routing table is read
// from the proxy itself, by polling, and every pod address it gains or loses is a
// result.EventRoute with the pod (by the address, when no pod the watch saw had it),
// result.StepRouted or StepUnrouted and the path — the
// same events the lab's proxies record. Skipper's table comes from its support listener
// (skipper.go), kube-proxy's from the iptables rules it wrote (kubeproxy.go). A change is
// seen up to one polling interval late; an event's detail says between which two polls
// it happened, and its offset is the middle of the poll that saw it.

// routeTable reads one proxy's current routes to the configuration's pods: the set of
// pod addresses ("10.244.0.7:8080") it would send a new request to.
type routeTable struct {
	via   string        // the path whose proxy it is: result.ViaIngress, ViaService
	every time.Duration // how often it is read
	read  func(ctx context.Context) (reading, error)
}

// reading is one reading of a proxy's routes: the addresses, and when the reading was
// asked for and when it came.
type reading struct {
	addrs     map[string]bool
	sent, got time.Time
}

// source is one proxy's whole table, read at most once per maxAge however many Clusters
// (a matrix's lanes) poll it at once: one reads it, the others take that reading.
type source[T any] struct {
	mu        sync.Mutex
	maxAge    time.Duration
	fetch     func(ctx context.Context) (T, error)
	last      T
	sent, got time.Time
}

// sourceSet holds the sources a Cluster and its lanes read, by what reads them.
type sourceSet struct {
	mu sync.Mutex // guards m
	m  map[string]any
}

// sharedSource is set's source of key, made with fetch and maxAge the first time (a nil
// set shares nothing: a source of its own).
func sharedSource[T any](set *sourceSet, key string, maxAge time.Duration, fetch func(ctx context.Context) (T, error)) *source[T] {
	if set == nil {
		return &source[T]{maxAge: maxAge, fetch: fetch}
	}
	set.mu.Lock()
	defer set.mu.Unlock()
	if s, ok := set.m[key].(*source[T]); ok {
		return s
	}
	if set.m == nil {
		set.m = map[string]any{}
	}
	s := &source[T]{maxAge: maxAge, fetch: fetch}
	set.m[key] = s
	return s
}

// read is the last reading when it came less than maxAge ago, else a new one.
func (s *source[T]) read(ctx context.Context) (T, time.Time, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.got.IsZero() && time.Since(s.got) < s.maxAge {
		return s.last, s.sent, s.got, nil
	}
	sent := time.Now()
	v, err := s.fetch(ctx)
	if err != nil {
		var zero T
		return zero, sent, time.Now(), err
	}
	s.last, s.sent, s.got = v, sent, time.Now()
	return s.last, s.sent, s.got, nil
}

// routePollers are the pollers of a Cluster's proxies while a run is observed.
type routePollers struct {
	mu     sync.Mutex
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// start polls every proxy of c that can be read, until stop.
func (r *routePollers) start(c *Cluster) {
	tables := c.routeTables()
	if len(tables) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	for _, t := range tables {
		r.done.Add(1)
		go func() {
			defer r.done.Done()
			c.pollRoutes(ctx, t)
		}()
	}
}

// routeTables are the proxies' tables c can read: Skipper's, kube-proxy's, or none.
func (c *Cluster) routeTables() []routeTable {
	var tables []routeTable
	if t, ok := c.skipperTable(); ok {
		tables = append(tables, t)
	}
	if t, ok := c.kubeProxyTable(); ok {
		tables = append(tables, t)
	}
	return tables
}

// stop ends the polling and waits for the pollers to return.
func (r *routePollers) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		r.cancel()
		r.cancel = nil
	}
	r.done.Wait()
}

// pollRoutes reads t every t.every until ctx ends. The first reading is the baseline,
// what the proxy routed to when the run began: only changes from it are events. A reading
// that fails is skipped: the next one is compared with the last that succeeded.
func (c *Cluster) pollRoutes(ctx context.Context, t routeTable) {
	tick := time.NewTicker(t.every)
	defer tick.Stop()
	var before *reading
	for {
		after, err := t.read(ctx)
		if err == nil && before != nil {
			mid := after.sent.Add(after.got.Sub(after.sent) / 2)
			added, removed := diffRoutes(before.addrs, after.addrs)
			for _, a := range added {
				c.routeEvent(t.via, result.StepRouted, a, before.got, mid)
			}
			for _, a := range removed {
				c.routeEvent(t.via, result.StepUnrouted, a, before.got, mid)
			}
		}
		if err == nil {
			before = &after
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// routeEvent puts on the log that via's proxy gained (StepRouted) or lost (StepUnrouted)
// the address addr, seen in the reading at `at` and not in the one at `prev`.
func (c *Cluster) routeEvent(via, step, addr string, prev, at time.Time) {
	l := c.log.Load()
	if l == nil {
		return
	}
	pod := c.ips.pod(addr)
	if pod == "" { // no pod the watch saw had it: the address is all there is to name
		pod = addr
	}
	l.Put(result.Event{
		At: at.Sub(l.Start()), Kind: result.EventRoute, Name: fmt.Sprintf("%s %s (%s)", pod, step, via),
		Detail: fmt.Sprintf("%s; %s the %s's routes between %.3fs and %.3fs",
			addr, map[string]string{result.StepRouted: "in", result.StepUnrouted: "out of"}[step], via,
			prev.Sub(l.Start()).Seconds(), at.Sub(l.Start()).Seconds()),
		Pod: pod, Step: step, Via: via,
	})
}

// diffRoutes are the addresses after has and before had not (added), and the reverse
// (removed), each sorted.
func diffRoutes(before, after map[string]bool) (added, removed []string) {
	for a := range after {
		if !before[a] {
			added = append(added, a)
		}
	}
	for a := range before {
		if !after[a] {
			removed = append(removed, a)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}

// podIPs maps the pods' addresses to their names, as the watch saw them. A pod's address
// is kept after the pod is gone: a proxy may route to it still, and that is the point.
type podIPs struct {
	mu    sync.Mutex
	names map[string]string // IP → pod
}

// learn records p's addresses.
func (m *podIPs) learn(p *corev1.Pod) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.names == nil {
		m.names = map[string]string{}
	}
	for _, ip := range p.Status.PodIPs {
		m.names[ip.IP] = p.Name
	}
	if p.Status.PodIP != "" {
		m.names[p.Status.PodIP] = p.Name
	}
}

// pod names the pod at addr ("IP:port" or an IP); "" when no pod seen had it.
func (m *podIPs) pod(addr string) string {
	ip := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		ip = h
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.names[ip]
}
