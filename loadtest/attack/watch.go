package attack

import (
	"maps"
	"sync"
	"time"

	"scalelab/loadtest/result"
)

// Watcher is told of each attack as it starts, for a live view of it (package live): see
// returns the run as measured so far, at any moment and from any goroutine; done is called
// with the finished run as the attack ends, and may be called again with the run as it was
// judged after (Judged): its gates, a scenario's own reasons. The last call is the run as
// every report says it.
type Watcher interface {
	Watch(see func() *result.Run) (done func(final *result.Run))
}

// Judged is a Watcher that passes each attack on to another and keeps the done of the
// latest, so that whoever judges the run after the attack can show it as judged (Final).
type Judged struct {
	next Watcher
	mu   sync.Mutex // guards done
	done func(*result.Run)
}

// NewJudged passes the attacks on to next.
func NewJudged(next Watcher) *Judged { return &Judged{next: next} }

// Watch tells next of an attack.
func (j *Judged) Watch(see func() *result.Run) func(*result.Run) {
	done := j.next.Watch(see)
	j.mu.Lock()
	j.done = done
	j.mu.Unlock()
	return done
}

// Final tells next of the latest attack's run as judged; nothing when none began.
func (j *Judged) Final(r *result.Run) {
	j.mu.Lock()
	done := j.done
	j.mu.Unlock()
	if done != nil && r != nil {
		done(r)
	}
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
