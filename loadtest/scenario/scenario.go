// Package scenario runs the lessons: deploy a configuration on a platform, put it under
// constant load, do what a Kubernetes user does (scale up, scale down, rollout restart,
// delete a pod), wait until the platform has settled, keep the load on for a tail, and
// return what the attack measured with the platform's own events on its timeline.
// A matrix is every configuration × every scenario × every path, with a verdict.
package scenario

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// Scenario is one lesson as a value: a starting shape, an action taken under load, what
// the action needs of a platform, how long the platform should take to settle after it,
// and which promises it tests. The matrix, the CLI and the reports read these facts from
// here; the lessons themselves are listed in scenarios.go.
type Scenario struct {
	Name string
	Doc  string
	// Needs is what the scenario needs of a platform beyond Platform ("" for nothing more).
	Needs Capability
	// Tests lists the promises of no failed request in this scenario.
	Tests []result.Promise
	// Replicas is how many replicas run before the action; nil: the configuration's own.
	Replicas func(cfg *manifest.Config) int32
	// Start is the configuration deployed before the action; nil: cfg itself.
	Start func(cfg *manifest.Config) (*manifest.Config, error)
	// Leaves is how many replicas the action leaves running; nil: as many as it started
	// with, 0: nothing the next run could start from (a template of its own). The matrix
	// runs next, where it can, a trial that starts where this one ended (queue.go).
	Leaves func(cfg *manifest.Config) int32
	// Act is what happens under load.
	Act func(ctx context.Context, p Platform, cfg *manifest.Config) error
	// Pace, when set, shapes the load instead of the constant rate: the attack runs on the
	// attack.Steps it returns for the rate asked for (--rate), which Act changes as it goes
	// through LoadOf(ctx).
	Pace func(rate int) *attack.Steps
	// NewConnections sends each request on a connection of its own, whatever
	// Options.KeepAlive says: for a lesson about the pods a load reaches as it changes,
	// which a few kept-alive connections, pinned to the pods there before, would hide.
	NewConnections bool
	// Fresh starts each run from pods placed anew (Renewer), not from those the last run
	// left: for an action whose outcome depends on where the pods run, and which moves them.
	Fresh bool
	// Observe, when set, is how long to watch after the action instead of waiting for the
	// platform to settle: for an action after which it never does.
	Observe func(cfg *manifest.Config) time.Duration
	// Takes is how long the platform must take to settle after the action by the
	// configuration's own timings; what a run takes beyond it (and beyond the lead and the
	// tail) is the testbed's overhead.
	Takes func(cfg *manifest.Config) time.Duration
	// Effect says whether the action took effect, from the pods it began with and the pod
	// events after it (effect.go): "" when it did, else what it saw instead, and the run
	// is invalid for that reason.
	Effect func(w Window) string
}

// PromisesZero says whether cfg promises to lose no request in this scenario.
func (sc Scenario) PromisesZero(cfg *manifest.Config) bool {
	return slices.Contains(sc.Tests, cfg.Promise)
}

// Lookup finds a scenario by name.
func Lookup(name string) (Scenario, error) {
	var names []string
	for _, s := range Scenarios() {
		if s.Name == name {
			return s, nil
		}
		names = append(names, s.Name)
	}
	return Scenario{}, fmt.Errorf("unknown scenario %q (known: %s)", name, strings.Join(names, ", "))
}

// Names lists every scenario's name, in order.
func Names() []string {
	var names []string
	for _, s := range Scenarios() {
		names = append(names, s.Name)
	}
	return names
}

// Options shape the load of a scenario.
type Options struct {
	Via       string        // result.ViaService, result.ViaIngress, or a platform's named target
	Header    http.Header   // sent with every request (a Host header names the virtual host)
	Rate      int           // requests per second
	MinRate   float64       // the least share of them a valid run sends (attack.Options.MinRate)
	KeepAlive bool          // reuse connections, as most clients do
	Lead      time.Duration // load before the action
	Tail      time.Duration // load after the platform has settled; 0: as long as the path needs (tail.go)
	Timeout   time.Duration // per request; 0: the request delay + 10 s
	Settle    time.Duration // how long the platform may take to settle
	Interval  time.Duration // timeline slot
	Progress  io.Writer     // live progress of the attack; nil: none

	Watch attack.Watcher // the live page (package live); nil: none

	// Attack, when set, starts the attack instead of attack.Run — from attacker pods in the
	// cluster (fromcluster.Attack) — and returns once the load flows; wait returns the run
	// once the attack's Stop is closed, and with it an error when part of the load failed.
	Attack func(ctx context.Context, p Platform, o attack.Options) (wait func() (*result.Run, error), err error)
}

// Run deploys cfg on p, runs the scenario under load and returns the measured run. The
// error is for what kept the scenario from running; lost requests are in the Run.
func Run(ctx context.Context, p Platform, cfg *manifest.Config, sc Scenario, o Options) (*result.Run, error) {
	if !Supports(p, sc.Needs) {
		return nil, fmt.Errorf("%s: platform %s cannot %s", sc.Name, p.Name(), sc.Needs)
	}
	start := cfg
	if sc.Start != nil {
		var err error
		if start, err = sc.Start(cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", sc.Name, err)
		}
	}
	replicas := start.Replicas()
	if sc.Replicas != nil {
		replicas = sc.Replicas(cfg)
		var err error
		if start, err = start.WithReplicas(replicas); err != nil {
			return nil, fmt.Errorf("%s: %w", sc.Name, err)
		}
	}
	if r, ok := p.(Renewer); ok && sc.Fresh {
		r.Renew()
	}
	if err := p.Deploy(ctx, start); err != nil {
		return nil, fmt.Errorf("deploy %s: %w", start.Name, err)
	}
	if sc.Replicas != nil {
		// A no-op where Deploy started that many; an adopted workload comes back at its
		// own size.
		if err := p.Scale(ctx, replicas); err != nil {
			return nil, err
		}
		if err := settle(ctx, p, o.Settle); err != nil {
			return nil, err
		}
	}
	target, err := p.Target(o.Via)
	if err != nil {
		return nil, err
	}
	o.Header = header(p, o.Via, o.Header)
	timeout := o.Timeout
	if timeout == 0 {
		d, _ := cfg.HelloDuration("request-delay")
		timeout = d + 10*time.Second
	}
	warmCtx, cancel := context.WithTimeout(ctx, cmp.Or(o.Settle, 5*time.Minute))
	defer cancel()
	if err := warmUp(warmCtx, target, o.Header, 5*int(replicas), timeout); err != nil {
		return nil, err
	}

	log := result.NewLog(time.Now())
	p.Observe(log)
	defer p.Observe(nil)
	ao := attack.Options{
		Target: target, Header: o.Header, Rate: o.Rate, MinRate: o.MinRate, KeepAlive: o.KeepAlive && !sc.NewConnections, Timeout: timeout,
		Interval: o.Interval, Log: log, Progress: o.Progress,
		Meta: map[string]string{"platform": p.Name(), "config": cfg.Name, "scenario": sc.Name, "via": o.Via},
	}
	actCtx := ctx
	if sc.Pace != nil {
		steps := sc.Pace(o.Rate)
		ao.Pacer, actCtx = steps, withLoad(ctx, steps)
	}
	stop := make(chan struct{})
	ao.Stop = stop
	type outcome struct {
		run *result.Run
		err error
	}
	done := make(chan outcome, 1)
	if u, ok := p.(Upstreamer); ok {
		ao.Upstream = u.Upstream(o.Via)
	}
	if s, ok := p.(OwnSourcer); ok {
		ao.OwnSource = s.OwnSource(o.Via)
	}
	seen := newFailures(o.Watch)
	ao.Watch = seen
	if o.Attack != nil {
		wait, err := o.Attack(ctx, p, ao)
		if err != nil {
			return nil, fmt.Errorf("attack: %w", err)
		}
		go func() { r, err := wait(); done <- outcome{r, err} }()
	} else {
		go func() {
			r, err := attack.Run(ctx, ao)
			done <- outcome{r, err}
		}()
	}

	before, actErr := act(actCtx, p, cfg, sc, o, log, seen.count)
	close(stop)
	out := <-done
	// The live page shows the run as judged here, with the effect's reason.
	defer seen.judged(out.run)
	if out.err != nil { // a run with the error: what part of the load measured
		return out.run, fmt.Errorf("attack: %w", out.err)
	}
	if sc.Pace != nil {
		markEdges(out.run)
	}
	if actErr != nil && ctx.Err() == nil {
		return out.run, actErr
	}
	if sc.Effect != nil && actErr == nil {
		leaves := replicas
		if sc.Leaves != nil {
			leaves = sc.Leaves(cfg)
		}
		w := Window{Before: before, Events: window(out.run.Events, sc.Name), Leaves: leaves}
		if why := sc.Effect(w); why != "" {
			out.run.Invalidate(sc.Name + ": " + why)
		}
	}
	return out.run, nil
}

// Upstreamer is a Platform whose proxies can name the pod each request through via went
// to, where its answer does not (lab.Lab): see attack.Options.Upstream.
type Upstreamer interface {
	Upstream(via string) func(seq uint64, local string) string
}

// OwnSourcer is a Platform on whose path via each attack should come from a loopback address
// of its own (kube.Cluster where kube-proxy answers on the host): see attack.Options.OwnSource.
type OwnSourcer interface {
	OwnSource(via string) bool
}

// act is the scenario's part while the load runs: lead, action, settle (or observe), tail.
// failed counts the failures come back so far. It returns the pods there as the action
// began (Platform.Pods), for the scenario's Effect.
func act(ctx context.Context, p Platform, cfg *manifest.Config, sc Scenario, o Options, log *result.Log, failed func() int) (map[string]bool, error) {
	if !sleep(ctx, o.Lead) {
		return nil, ctx.Err()
	}
	before, err := p.Pods(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sc.Name, err)
	}
	log.Add(result.EventPhase, sc.Name, sc.Doc)
	if err := sc.Act(withTimeline(ctx, log), p, cfg); err != nil {
		return before, fmt.Errorf("%s: %w", sc.Name, err)
	}
	if sc.Observe != nil {
		d := sc.Observe(cfg)
		if !sleep(ctx, d) {
			return before, ctx.Err()
		}
		log.Add(result.EventPhase, "observed", "not settled: watched for "+d.String())
	} else {
		if err := settle(ctx, p, o.Settle); err != nil {
			return before, err
		}
		log.Add(result.EventPhase, "settled", "")
	}
	tail(ctx, o.tailOn(p), failed)
	return before, nil
}

type timelineKey struct{}

// withTimeline gives an Act the run's timeline, for what it does beyond the platform's events.
func withTimeline(ctx context.Context, log *result.Log) context.Context {
	return context.WithValue(ctx, timelineKey{}, log)
}

// timeline is the run's timeline under ctx; outside a run, one nobody reads.
func timeline(ctx context.Context) *result.Log {
	if l, ok := ctx.Value(timelineKey{}).(*result.Log); ok {
		return l
	}
	return result.NewLog(time.Now())
}

func settle(ctx context.Context, p Platform, limit time.Duration) error {
	if limit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, limit)
		defer cancel()
	}
	if err := p.Settle(ctx); err != nil {
		return fmt.Errorf("settle: %w", err)
	}
	return nil
}

// sleep waits d, or less when ctx ends first; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
