package lab

import (
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
)

// endpoint is one pod's address as a proxy routes to it.
type endpoint struct {
	Pod  string
	Addr string // 127.0.0.1:PORT
}

// routeTable is what one proxy currently routes to: the ready endpoints as they were one
// propagation delay ago. Lookups are lock-free; updates come from the propagation timers.
type routeTable struct {
	path string // "service" or "ingress", for the timeline
	eps  atomic.Pointer[[]endpoint]
	rr   atomic.Uint64

	mu  sync.Mutex // orders updates
	seq uint64     // of the snapshot applied last
}

func newRouteTable(path string) *routeTable {
	t := &routeTable{path: path}
	t.eps.Store(&[]endpoint{})
	return t
}

// apply installs snapshot number seq unless a later one is already in place, and returns
// which endpoints it added and removed.
func (t *routeTable) apply(seq uint64, eps []endpoint) (added, removed []endpoint, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if seq <= t.seq {
		return nil, nil, false
	}
	t.seq = seq
	old := *t.eps.Load()
	t.eps.Store(&eps)
	return missing(eps, old), missing(old, eps), true
}

// missing lists the endpoints of a that b lacks.
func missing(a, b []endpoint) []endpoint {
	var out []endpoint
	for _, e := range a {
		if !slices.Contains(b, e) {
			out = append(out, e)
		}
	}
	return out
}

// current is the endpoint set in place now.
func (t *routeTable) current() []endpoint { return *t.eps.Load() }

// next picks endpoints in turn, as an ingress's round-robin balancer does.
func (t *routeTable) next() (endpoint, bool) {
	eps := *t.eps.Load()
	if len(eps) == 0 {
		return endpoint{}, false
	}
	return eps[int((t.rr.Add(1)-1)%uint64(len(eps)))], true
}

// random picks an endpoint at random, as kube-proxy's iptables rules do per connection.
func (t *routeTable) random() (endpoint, bool) {
	eps := *t.eps.Load()
	if len(eps) == 0 {
		return endpoint{}, false
	}
	return eps[rand.IntN(len(eps))], true
}
