package scenario

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// The autoscale scenario: a HorizontalPodAutoscaler (autoscaling/v2, on CPU utilisation)
// adds pods while the load rises and removes them once it falls; every request of both
// edges counts. The load starts at a fifth of --rate (autoscaleSteps), the configuration's
// pods at the HPA's minimum; it rises by a fifth every autoscaleStep until the HPA wants at
// least two pods more than its minimum (up to --rate, and there it stays until then); it
// holds while the new pods start and serve: until the platform has settled and autoscaleHold
// more, and at least until their startup delay and autoscaleHold have passed (a pod with no
// readiness probe settles before it listens); then it falls back to a fifth, until the HPA
// is back at its minimum. The phases go on the timeline ("load rises", "scaled up", "load
// falls", "scaled down"), beside the platform's readings of the HPA. The configuration's
// hello must cost CPU per request (--request-cpu) enough that the peak crosses the target
// and the base does not.
//
// Each request goes on a connection of its own (Scenario.NewConnections), whatever
// --keepalive says. The load an HPA scales for comes from many clients; a few kept-alive
// connections stay pinned, through a Service, to the pods there before, and the pods the HPA
// adds get none of them: measured on the lab with keep-alive, through the Service graceful's
// 3 added pods answered none of 2,634 requests, and naive lost 1 request in one run and 23
// in another, by chance (the new connections that a slow answer makes the client open).
// Through an ingress, which balances each request, both edges showed either way.
const (
	autoscaleSteps = 5               // the load rises from rate/5 to rate in steps of rate/5
	autoscaleStep  = 5 * time.Second // each step's length: a sync of the lab's HPA
	autoscaleHold  = 3 * time.Second // load held after the scaled-up pods settled
	// autoscaleWait bounds each edge beyond its own timings: the rise after the load
	// reached its peak, the fall beyond the scale-down window. Past it the scenario fails:
	// an HPA that does not scale shows no lesson.
	autoscaleWait = 2 * time.Minute
	autoscalePoll = 250 * time.Millisecond // how often the HPA's status is read
)

// autoscale is the scenario's value in Scenarios.
func autoscale() Scenario {
	return Scenario{
		Name:           "autoscale",
		Doc:            "a HorizontalPodAutoscaler adds pods as the load rises in steps and removes them as it falls: is a request lost on either edge?",
		Needs:          CanAutoscale,
		Tests:          []result.Promise{result.PromiseZero},
		NewConnections: true,
		Pace: func(rate int) *attack.Steps {
			return attack.NewSteps(max(float64(rate)/autoscaleSteps, attack.MinStepRate))
		},
		Act:    actAutoscale,
		Takes:  autoscaleTakes,
		Effect: autoscaled,
	}
}

// actAutoscale drives the load through both edges and checks that the HPA really scaled:
// its minimum, at least two more, its minimum again.
func actAutoscale(ctx context.Context, p Platform, cfg *manifest.Config) error {
	a := cfg.Autoscaler
	if a == nil {
		return fmt.Errorf("%s has no HorizontalPodAutoscaler to scale it", cfg.Name)
	}
	if a.Max < a.Min+2 {
		return fmt.Errorf("HorizontalPodAutoscaler %s scales %d to %d replicas: want room for 2 more than its minimum", a.Name, a.Min, a.Max)
	}
	hpa, load := p.(Autoscaled), LoadOf(ctx)
	if load == nil {
		return errors.New("autoscale: the load is not paced (Scenario.Pace)")
	}
	base := load.Rate()
	up := a.Min + 2

	// The rising edge: a step more whenever one has passed and the HPA does not yet want
	// up replicas; at the peak, wait for it.
	load.Mark("load rises", fmt.Sprintf("from %g requests/s by %g every %s, until HPA %s wants %d replicas", base, base, autoscaleStep, a.Name, up))
	k, deadline := 1, time.Now().Add((autoscaleSteps-1)*autoscaleStep+autoscaleWait)
	next := time.Now().Add(autoscaleStep)
	current, desired, err := waitHPA(ctx, hpa, deadline, func(_, desired int32) bool {
		if desired >= up {
			return true
		}
		if k < autoscaleSteps && !time.Now().Before(next) {
			k++
			load.Set(base*float64(k), "")
			next = time.Now().Add(autoscaleStep)
		}
		return false
	})
	if err != nil {
		return fmt.Errorf("the HPA %s did not scale to %d replicas at up to %g requests/s (at %d, wanting %d): %w", a.Name, up, load.Rate(), current, desired, err)
	}
	load.Mark("scaled up", fmt.Sprintf("HPA %s: %d → %d replicas at %g requests/s", a.Name, current, desired, load.Rate()))

	// Hold while the new pods start and serve.
	startup, _ := cfg.HelloDuration("startup-delay")
	serves := time.Now().Add(startup + autoscaleHold)
	if err := settle(ctx, p, autoscaleWait); err != nil {
		return err
	}
	if !sleep(ctx, max(autoscaleHold, time.Until(serves))) {
		return ctx.Err()
	}

	// The falling edge: back to the base rate until the HPA is back at its minimum.
	load.Set(base, "load falls")
	deadline = time.Now().Add(a.ScaleDown.Window + autoscaleWait)
	most := max(current, desired)
	current, desired, err = waitHPA(ctx, hpa, deadline, func(current, desired int32) bool {
		most = max(most, current, desired)
		return current == a.Min && desired == a.Min
	})
	if err != nil {
		return fmt.Errorf("the HPA %s did not scale back to %d replicas at %g requests/s (at %d, wanting %d): %w", a.Name, a.Min, base, current, desired, err)
	}
	load.Mark("scaled down", fmt.Sprintf("HPA %s: %d → %d → %d replicas", a.Name, a.Min, most, a.Min))
	return nil
}

// waitHPA reads the HPA's status every autoscalePoll until done says so, and fails at the
// deadline; it returns the last status read.
func waitHPA(ctx context.Context, hpa Autoscaled, deadline time.Time, done func(current, desired int32) bool) (current, desired int32, err error) {
	for {
		if current, desired, err = hpa.Autoscaling(ctx); err != nil {
			return current, desired, err
		}
		if done(current, desired) {
			return current, desired, nil
		}
		if time.Now().After(deadline) {
			return current, desired, errors.New("timed out")
		}
		if !sleep(ctx, autoscalePoll) {
			return current, desired, ctx.Err()
		}
	}
}

// autoscaleTakes is how long the autoscale scenario must take by cfg's timings: two steps
// of the load to cross the target, the new pods' startup, the hold, the scale-down window
// and the removed pods' shutdown.
func autoscaleTakes(cfg *manifest.Config) time.Duration {
	var window time.Duration
	if cfg.Autoscaler != nil {
		window = cfg.Autoscaler.ScaleDown.Window
	}
	startup, _ := cfg.HelloDuration("startup-delay")
	return 2*autoscaleStep + startup + autoscaleHold + window + serving(cfg)
}

// Load is the load of a paced scenario (Scenario.Pace) as its Act steers it: each change
// of the rate, and each phase it marks, goes on the run's timeline.
type Load struct {
	steps *attack.Steps
	log   *result.Log
}

type loadKey struct{}

// withLoad gives a paced scenario's Act the steps of its load.
func withLoad(ctx context.Context, steps *attack.Steps) context.Context {
	return context.WithValue(ctx, loadKey{}, steps)
}

// LoadOf is the load of the paced scenario running under ctx, on its timeline; nil when it
// is not paced.
func LoadOf(ctx context.Context) *Load {
	steps, ok := ctx.Value(loadKey{}).(*attack.Steps)
	if !ok {
		return nil
	}
	return &Load{steps: steps, log: timeline(ctx)}
}

// Rate is the rate asked for now, requests per second.
func (l *Load) Rate() float64 { return l.steps.Current() }

// Set changes the rate from now on and puts the step on the timeline, named why when
// given ("load falls"), else by the rate.
func (l *Load) Set(rate float64, why string) {
	l.steps.Set(rate)
	name := fmt.Sprintf("load %g/s", rate)
	if why != "" {
		name = why
	}
	l.log.Add(result.EventPhase, name, fmt.Sprintf("%g requests/s", rate))
}

// Mark puts a phase of the scenario on the timeline.
func (l *Load) Mark(name, detail string) { l.log.Add(result.EventPhase, name, detail) }

// Edges splits a run's failures at its "load falls" phase: those before it (the rising
// edge: the pods the HPA added) and from it on (the falling edge: the pods it removed). A
// run that never got to fall has them all on the rising edge.
func Edges(r *result.Run) (rising, falling result.Counts) {
	rising, falling = result.Counts{}, result.Counts{}
	fall := time.Duration(-1)
	for _, e := range r.Events {
		if e.Kind == result.EventPhase && e.Name == "load falls" {
			fall = e.At
			break
		}
	}
	for _, iv := range r.Timeline {
		if fall >= 0 && iv.Start+r.Interval > fall {
			falling.Add(iv.Errors)
		} else {
			rising.Add(iv.Errors)
		}
	}
	return rising, falling
}

// markEdges writes the failures of each edge into r's Meta ("failed_rising", "failed
// falling": "150 (502 143, timeout 7)"), where every report shows them, when r's load fell.
func markEdges(r *result.Run) {
	if !slices.ContainsFunc(r.Events, func(e result.Event) bool { return e.Kind == result.EventPhase && e.Name == "load falls" }) {
		return
	}
	rising, falling := Edges(r)
	text := func(c result.Counts) string {
		var by []string
		for _, class := range result.Classes {
			if n := c[class]; n > 0 {
				by = append(by, fmt.Sprintf("%s %d", class, n))
			}
		}
		if len(by) == 0 {
			return "0"
		}
		return fmt.Sprintf("%d (%s)", c.Total(), strings.Join(by, ", "))
	}
	if r.Meta == nil {
		r.Meta = map[string]string{}
	}
	r.Meta["failed_rising"], r.Meta["failed_falling"] = text(rising), text(falling)
}
