package attack

import (
	"testing"
	"time"
)

// The requests follow the integral of the rate: 10/s for a second, then 100/s.
func TestStepsPace(t *testing.T) {
	t.Parallel()
	s := NewSteps(10)
	s.Set(10) // before the attack: the rate it starts at
	ms := time.Millisecond
	for _, tt := range []struct {
		elapsed time.Duration
		hits    uint64
		wait    time.Duration
	}{
		{0, 0, 100 * ms},       // the first request at 1/10 s
		{150 * ms, 1, 50 * ms}, // the second at 2/10 s
		{time.Second, 3, 0},    // behind: 10 were due
		{time.Second, 10, 100 * ms},
	} {
		if wait, stop := s.Pace(tt.elapsed, tt.hits); wait != tt.wait || stop {
			t.Errorf("Pace(%s, %d) = %s, %t; want %s", tt.elapsed, tt.hits, wait, stop, tt.wait)
		}
	}
	s.mu.Lock()
	s.steps, s.peak = append(s.steps, step{time.Second, 100}), 100 // as Set(100) at 1 s
	s.mu.Unlock()
	for _, tt := range []struct {
		elapsed time.Duration
		hits    uint64
		wait    time.Duration
	}{
		{time.Second + 5*ms, 10, 5 * ms}, // 11th at 1 s + 1/100 s
		{2 * time.Second, 100, 0},        // 110 were due
		{2 * time.Second, 110, 10 * ms},  // on at 100/s
	} {
		if wait, _ := s.Pace(tt.elapsed, tt.hits); wait != tt.wait {
			t.Errorf("after the step, Pace(%s, %d) = %s; want %s", tt.elapsed, tt.hits, wait, tt.wait)
		}
	}
	if s.Rate(500*ms) != 10 || s.Rate(1500*ms) != 100 || s.Peak() != 100 || s.Current() != 100 {
		t.Errorf("rates %g, %g, peak %g, current %g; want 10, 100, 100, 100", s.Rate(500*ms), s.Rate(1500*ms), s.Peak(), s.Current())
	}
}

// A real attack paced in steps sends what each step asks for: 20/s, then 100/s, then 20/s,
// a second each.
func TestStepsAttack(t *testing.T) {
	t.Parallel()
	srv := podServer(t)
	s := NewSteps(20)
	stop := make(chan struct{})
	go func() {
		time.Sleep(time.Second)
		s.Set(100)
		time.Sleep(time.Second)
		s.Set(20)
		time.Sleep(time.Second)
		close(stop)
	}()
	run := mustRun(t, Options{Target: srv.URL, Pacer: s, Stop: stop, Interval: time.Second, KeepAlive: true})
	if run.OK != run.Requests || run.Requests < 100 || run.Requests > 145 {
		t.Fatalf("%d requests, %d OK: want about 140, all OK", run.Requests, run.OK)
	}
	// The second whole second of the attack holds the step: most of its 100 requests.
	var busiest int
	for _, iv := range run.Timeline {
		busiest = max(busiest, iv.OK)
	}
	if busiest < 60 || busiest > 101 {
		t.Errorf("the busiest second had %d requests, want about 100 of the step: %+v", busiest, run.Timeline)
	}
	if run.Rate != 100 {
		t.Errorf("run.Rate %g, want the peak, 100", run.Rate)
	}
}
