package scenario

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// Scenarios are the lessons, in the order the matrix shows them. A new scenario is one
// more value here: what it does, what it needs, how long it takes, what it tests.
func Scenarios() []Scenario {
	return []Scenario{
		{
			Name:     "scale-up",
			Doc:      "1 replica, then scaled up: do new pods get traffic before they can answer?",
			Tests:    []result.Promise{result.PromiseZero, result.PromiseScaleUp},
			Replicas: func(*manifest.Config) int32 { return 1 },
			Leaves:   func(cfg *manifest.Config) int32 { return max(cfg.Replicas(), 2) },
			Act: func(ctx context.Context, p Platform, cfg *manifest.Config) error {
				return p.Scale(ctx, max(cfg.Replicas(), 2))
			},
			Takes:  func(cfg *manifest.Config) time.Duration { return cfg.Startup() },
			Effect: scaled,
		},
		{
			Name:   "scale-down",
			Doc:    "scaled down to 1 replica: do the removed pods stop before the proxies stop sending?",
			Tests:  []result.Promise{result.PromiseZero},
			Leaves: func(*manifest.Config) int32 { return 1 },
			Act: func(ctx context.Context, p Platform, cfg *manifest.Config) error {
				if n := cfg.Replicas(); n < 2 {
					return fmt.Errorf("%s runs %d replica: nothing to scale down from", cfg.Name, n)
				}
				return p.Scale(ctx, 1)
			},
			Takes:  serving,
			Effect: scaled,
		},
		{
			Name:  "rollout-restart",
			Doc:   "kubectl rollout restart: every pod replaced, new ones starting while old ones stop",
			Tests: []result.Promise{result.PromiseZero},
			Act: func(ctx context.Context, p Platform, _ *manifest.Config) error {
				return p.Restart(ctx)
			},
			Takes: func(cfg *manifest.Config) time.Duration {
				surge, unavailable := cfg.Strategy()
				step := max(surge, unavailable, 1)
				waves := (cfg.Replicas() + step - 1) / step
				return time.Duration(waves)*cfg.Startup() + serving(cfg)
			},
			Effect: replaced("from the old template"),
		},
		{
			Name:  "delete-pod",
			Doc:   "kubectl delete pod while requests are in flight: do they complete?",
			Tests: []result.Promise{result.PromiseZero},
			Act: func(ctx context.Context, p Platform, _ *manifest.Config) error {
				_, err := p.DeletePod(ctx)
				return err
			},
			Takes:  func(cfg *manifest.Config) time.Duration { return max(cfg.Startup(), serving(cfg)) },
			Effect: deleted,
		},
		{
			// What `kubectl drain` does to the workload on a node that runs all its pods,
			// in a cluster with room elsewhere (no cordon: the replacements may start at
			// once). Graceful shutdown alone does not help when every pod goes together.
			Name:  "evict",
			Doc:   "every pod evicted at once through the Eviction API, as kubectl drain asks: does a PodDisruptionBudget keep enough of them serving?",
			Needs: CanEvict,
			Tests: []result.Promise{result.PromiseZero},
			Act: func(ctx context.Context, p Platform, _ *manifest.Config) error {
				return EvictAll(ctx, p.(Evictor), evictTimeout)
			},
			Takes:  evictions,
			Effect: replaced("not evicted"),
		},
		drain(), // drain.go
		{
			// The overlay is applied over the one it rolls from: its new pods never turn
			// ready, so the platform never settles, and the scenario observes for a while.
			Name:  "stuck-rollout",
			Doc:   "kubectl apply of a template whose pods never turn ready: do the old pods keep serving while the new ones restart?",
			Needs: CanUpdate,
			Tests: []result.Promise{result.PromiseZero},
			Start: func(cfg *manifest.Config) (*manifest.Config, error) {
				from := annotation(cfg, RollsFromAnnotation)
				if len(from) != 1 {
					return nil, fmt.Errorf("%s: want the overlay it rolls from in annotation %s", cfg.Name, RollsFromAnnotation)
				}
				return manifest.Render(filepath.Join(cfg.Dir, from[0]))
			},
			Act: func(ctx context.Context, p Platform, cfg *manifest.Config) error {
				return p.(Updater).Update(ctx, cfg)
			},
			Observe: observeLiveness,
			Takes:   observeLiveness,
			Effect:  stuck,
		},
		autoscale(), // autoscale.go
	}
}

// evictTimeout bounds an evict scenario's evictions, as long as the settle bound's default
// (--settle): past it, the PodDisruptionBudget is taken to block the drain for good.
const evictTimeout = 5 * time.Minute

// evictions is how long evicting every pod of cfg takes by its timings: the budget lets
// some go at once (all without one); each later wave goes at the first retry after the one
// before it was replaced and found ready by its probe; the last wave's pods then keep
// serving for their shutdown, while their replacements start.
func evictions(cfg *manifest.Config) time.Duration {
	n, atOnce := cfg.Replicas(), cfg.Replicas()
	if cfg.PDB != nil {
		st, _ := manifest.BudgetStatus(cfg.PDB, n, n, n)
		atOnce = st.DisruptionsAllowed
	}
	if atOnce <= 0 {
		return evictTimeout
	}
	waves := (n + atOnce - 1) / atOnce
	ready := cfg.Startup()
	if p := cfg.Container.ReadinessProbe; p != nil {
		ready += manifest.ProbeTimings(p).Period
	}
	wave := max((ready+EvictRetry-1)/EvictRetry, 1) * EvictRetry // a whole number of retries
	return time.Duration(waves-1)*wave + max(cfg.Startup(), serving(cfg))
}

// serving is how long a deleted pod of cfg keeps serving: its preStop sleep and shutdown delay.
func serving(cfg *manifest.Config) time.Duration { return cfg.Shutdown().Serving() }

// observeLiveness is long enough for the liveness probe to give up on a new container
// twice, with the kubelet's first crash-loop back-off (10 s) between: a restart is due
// even where the kubelet backs off before the first one, and the pod takes a while to start.
func observeLiveness(cfg *manifest.Config) time.Duration {
	p := cfg.Container.LivenessProbe
	if p == nil {
		return 10 * time.Second
	}
	return 2*manifest.ProbeTimings(p).Latest() + 10*time.Second
}
