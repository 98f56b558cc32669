package scenario

import (
	"context"
	"sync"
	"time"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/result"
)

// The tail is the load after the platform has settled, there to see the last change's
// effect through the path. Where the settle waited for the path's proxy to route to
// exactly the ready pods (Platform.SettlesRoutes), the change has reached the path; but a
// pod that is ready before it serves (naive: no readiness probe) fails what is routed to
// it until it listens, and the tail must see that out. So there it lasts at least
// SettledTail and goes on while failures keep coming back, until QuietTail passes without
// one, for at most BlindTail.
// Where the settle cannot see the proxy (a user's ingress, a --target), it lasts BlindTail,
// longer than Skipper's 3 s poll, or the change's effect would go unseen. --tail fixes it.
//
// On the bare cluster the fast matrix (24 cells × 3 trials, 4 lanes) with these tails
// agrees with the lab's trials, made with 4 s tails, on every cell's loss rate (loadtest
// compare), and takes 5 min 29 s, where 4 s tails take 6 min 6 s – 6 min 24 s.
const (
	SettledTail = time.Second
	QuietTail   = time.Second
	BlindTail   = 4 * time.Second
)

// tailSpan is how long a tail lasts: at least least, then until quiet passes without a
// failure, at most most.
type tailSpan struct{ least, quiet, most time.Duration }

// tailOn is the span of the tail through o.Via on p (nil: a platform not known yet).
func (o Options) tailOn(p Platform) tailSpan {
	if o.Tail > 0 {
		return tailSpan{o.Tail, 0, o.Tail}
	}
	if p != nil && p.SettlesRoutes(o.Via) {
		return tailSpan{SettledTail, QuietTail, BlindTail}
	}
	return tailSpan{BlindTail, 0, BlindTail}
}

// tail returns once s.least has passed and no failure has come back (failed did not grow)
// for s.quiet, or once s.most has passed, or when ctx ends.
func tail(ctx context.Context, s tailSpan, failed func() int) {
	start := time.Now()
	tick := time.NewTicker(max(s.quiet/4, time.Millisecond))
	defer tick.Stop()
	last, grew := failed(), start
	for {
		now := time.Now()
		if n := failed(); n != last {
			last, grew = n, now
		}
		if took := now.Sub(start); took >= s.most || took >= s.least && now.Sub(grew) >= s.quiet {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// failures is told of the attack as it starts (an attack.Watcher), so that the tail can
// count the failures come back, and tells next (the live page), if any, which is then shown
// the run as the scenario judged it (judged).
type failures struct {
	next *attack.Judged // nil: nobody watches
	mu   sync.Mutex     // guards see
	see  func() *result.Run
}

// newFailures tells next, when not nil, of the attacks it is told of.
func newFailures(next attack.Watcher) *failures {
	if next == nil {
		return &failures{}
	}
	return &failures{next: attack.NewJudged(next)}
}

func (f *failures) Watch(see func() *result.Run) func(final *result.Run) {
	done := func(*result.Run) {}
	if f.next != nil {
		done = f.next.Watch(see)
	}
	f.mu.Lock()
	f.see = see
	f.mu.Unlock()
	return done
}

// judged shows next the run as the scenario judged it: with its own reasons, added after
// the attack ended.
func (f *failures) judged(r *result.Run) {
	if f.next != nil {
		f.next.Final(r)
	}
}

// count is how many requests have failed so far (0 before the attack starts).
func (f *failures) count() int {
	f.mu.Lock()
	see := f.see
	f.mu.Unlock()
	if see == nil {
		return 0
	}
	return see().Failed()
}
