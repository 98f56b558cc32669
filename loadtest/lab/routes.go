package lab

import (
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"scalelab/loadtest/result"
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

	delay time.Duration // how long a change takes to arrive
	poll  time.Duration // when set, a change arrives at the next tick of this period instead
	epoch time.Time     // the ticks count from here; guarded by Lab.mu once in a Lab

	mu  sync.Mutex // orders updates
	seq uint64     // of the snapshot applied last
}

func newRouteTable(path string, delay, poll time.Duration) *routeTable {
	t := &routeTable{path: path, delay: delay, poll: poll, epoch: time.Now()}
	t.eps.Store(&[]endpoint{})
	return t
}

// lagLocked is how long a change made now takes to reach this table.
func (t *routeTable) lagLocked() time.Duration {
	if t.poll > 0 {
		return t.poll - time.Since(t.epoch)%t.poll
	}
	return t.delay
}

// rephaseLocked moves the poll's ticks so that the next one comes next after now; the
// period stays. Called under Lab.mu.
func (t *routeTable) rephaseLocked(next time.Duration) {
	t.epoch = time.Now().Add(next - t.poll)
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

// changedLocked follows a change of any pod: it puts readiness transitions on the
// timeline, publishes the ready endpoints (the EndpointSlice) and schedules their arrival
// at each proxy one propagation delay later, wakes the controller and any waiter.
func (l *Lab) changedLocked() {
	var eps []endpoint
	for _, p := range l.podsLocked() {
		ready := p.readyLocked()
		if ready != p.shownReady {
			p.shownReady = ready
			if ready {
				p.readySince = time.Now()
				l.podEvent(p.name, result.StepReady, kindPod, "ready", "")
				if d := p.spec.minReady; d > 0 {
					time.AfterFunc(d, l.poke)
				}
			} else {
				l.podEvent(p.name, result.StepNotReady, kindPod, "not ready", "")
			}
		}
		if ready && !p.terminating {
			eps = append(eps, endpoint{Pod: p.name, Addr: p.addr})
		}
	}
	slices.SortFunc(eps, func(a, b endpoint) int { return strings.Compare(a.Pod, b.Pod) })
	if !slices.Equal(eps, l.published) {
		for _, e := range missing(eps, l.published) {
			l.podEvent(e.Pod, result.StepEndpointReady, kindEndpoint, "endpoint ready", e.Addr)
		}
		for _, e := range missing(l.published, eps) {
			l.podEvent(e.Pod, result.StepEndpointNotReady, kindEndpoint, "endpoint not ready", e.Addr)
		}
		l.published = eps
		l.seq++
		seq := l.seq
		for _, t := range l.tables {
			time.AfterFunc(t.lagLocked(), func() { l.propagate(t, seq, eps) })
		}
	}
	select {
	case l.kick <- struct{}{}:
	default:
	}
	close(l.changed)
	l.changed = make(chan struct{})
}

// poke re-evaluates the lab, e.g. when a pod has been ready for minReadySeconds.
func (l *Lab) poke() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.changedLocked()
}

// propagate is an endpoint set arriving at one proxy.
func (l *Lab) propagate(t *routeTable, seq uint64, eps []endpoint) {
	if l.ctx.Err() != nil {
		return
	}
	added, removed, ok := t.apply(seq, eps)
	if !ok {
		return
	}
	for _, e := range added {
		l.record(result.Event{Kind: kindRoute, Name: e.Pod + " routed (" + t.path + ")", Detail: e.Addr, Pod: e.Pod, Step: result.StepRouted, Via: t.path})
	}
	for _, e := range removed {
		l.record(result.Event{Kind: kindRoute, Name: e.Pod + " unrouted (" + t.path + ")", Detail: e.Addr, Pod: e.Pod, Step: result.StepUnrouted, Via: t.path})
		l.releaseHole(e.Addr)
	}
	l.poke()
}
