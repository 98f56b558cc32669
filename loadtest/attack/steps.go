package attack

import (
	"sync"
	"time"
)

// Steps is a pacer (vegeta's Pacer interface) whose rate is changed while the attack runs:
// a constant rate from each Set to the next, as a load that rises and falls in steps. The
// requests follow the integral of the rate, so a step neither bursts nor loses requests;
// only the request already scheduled when the rate changes keeps its time (at most one
// interval of the old rate). Rates below MinStepRate are taken as MinStepRate.
type Steps struct {
	mu    sync.Mutex
	began time.Time // the attack's start, known from the first Pace; zero before
	steps []step    // in order; the first starts at 0
	peak  float64
}

// step is a rate from an offset of the attack on.
type step struct {
	from time.Duration
	rate float64 // per second
}

// MinStepRate is the lowest rate Steps sends at: 1 request a second.
const MinStepRate = 1.0

// NewSteps starts at rate requests per second.
func NewSteps(rate float64) *Steps {
	rate = max(rate, MinStepRate)
	return &Steps{steps: []step{{0, rate}}, peak: rate}
}

// Set changes the rate from now on. Before the attack has started it changes the rate it
// starts at.
func (s *Steps) Set(rate float64) {
	rate = max(rate, MinStepRate)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peak = max(s.peak, rate)
	if s.began.IsZero() {
		s.steps = []step{{0, rate}}
		return
	}
	s.steps = append(s.steps, step{time.Since(s.began), rate})
}

// Peak is the highest rate it was set to.
func (s *Steps) Peak() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// Pace says how long to wait before hit number hits+1, elapsed into the attack: none when
// the requests are behind the integral of the rate, else until they are due. It never
// stops the attack.
func (s *Steps) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.began.IsZero() {
		s.began = time.Now().Add(-elapsed)
	}
	last := s.steps[len(s.steps)-1]
	due := float64(hits + 1)
	if s.expected(elapsed) >= due {
		return 0, false
	}
	// The next hit falls in the last step, which runs on from its start for ever.
	at := last.from + time.Duration((due-s.expected(last.from))/last.rate*float64(time.Second))
	return max(at-elapsed, 0), false
}

// total is how many requests the rate asks for by offset t: its integral.
func (s *Steps) total(t time.Duration) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.expected(t)
}

// expected is total with s.mu held.
func (s *Steps) expected(t time.Duration) float64 {
	var n float64
	for i, st := range s.steps {
		if t <= st.from {
			break
		}
		end := t
		if i+1 < len(s.steps) {
			end = min(end, s.steps[i+1].from)
		}
		n += st.rate * (end - st.from).Seconds()
	}
	return n
}

// Current is the rate set last.
func (s *Steps) Current() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.steps[len(s.steps)-1].rate
}

// Rate is the rate at offset elapsed.
func (s *Steps) Rate(elapsed time.Duration) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	rate := s.steps[0].rate
	for _, st := range s.steps {
		if st.from <= elapsed {
			rate = st.rate
		}
	}
	return rate
}
