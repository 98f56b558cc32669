package attack

import (
	"maps"
	"sync"
	"time"

	"scalelab/loadtest/result"
)

// Watcher is told of each attack as it starts, for a live view of it (package live): see
// returns the run as measured so far, at any moment and from any goroutine; done is called
// once with the finished run.
type Watcher interface {
	Watch(see func() *result.Run) (done func(final *result.Run))
}

// watched is the part of an attack a Watcher sees: the tally under a lock, which the
// result loop takes for every answer while someone may look.
type watched struct {
	mu      sync.Mutex
	t       *tally
	log     *result.Log
	run     result.Run // the attack's fixed fields: target, rate, meta, ...
	started time.Time
}

// add counts one answer, as tally.add does, under the lock.
func (w *watched) add(offset, latency time.Duration, class result.Class, pod, lost string) {
	w.mu.Lock()
	w.t.add(offset, latency, class, pod, lost)
	w.mu.Unlock()
}

// see is the run so far: a copy of the tally taken under the lock, filled in outside it,
// with every event logged until now.
func (w *watched) see() *result.Run {
	w.mu.Lock()
	t := w.t.clone()
	w.mu.Unlock()
	r := w.run
	r.Meta = maps.Clone(w.run.Meta)
	r.Elapsed = time.Since(w.started)
	t.fill(&r)
	r.Events = w.log.Events()
	return &r
}

// clone is a deep copy of t, which fill may then sort and hand out.
func (t *tally) clone() *tally {
	c := *t
	c.sends = nil // a look needs no phase windows
	c.errors = maps.Clone(t.errors)
	c.pods = maps.Clone(t.pods)
	c.lost = clonePods(t.lost)
	c.slots = make([]slot, len(t.slots))
	for i, s := range t.slots {
		c.slots[i] = slot{
			ok: s.ok, errors: maps.Clone(s.errors), pods: maps.Clone(s.pods), lost: clonePods(s.lost),
			latencies: append([]time.Duration(nil), s.latencies...),
		}
	}
	return &c
}

func clonePods(p result.PodCounts) result.PodCounts {
	if p == nil {
		return nil
	}
	c := make(result.PodCounts, len(p))
	for pod, counts := range p {
		c[pod] = maps.Clone(counts)
	}
	return c
}
