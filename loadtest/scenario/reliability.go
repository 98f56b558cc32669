package scenario

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// Annotations on the Deployment by which an overlay says what it is for: a reliability
// check (k8s/reliability) is one overlay, the scenarios it runs and what it expects of them.
// An overlay without them runs the matrix's scenarios and is judged by its promise.
const (
	// ScenariosAnnotation names the scenarios to run, comma-separated; the matrix runs
	// these for the overlay, whatever its --scenarios.
	ScenariosAnnotation = "scalelab.dev/scenarios"
	// ExpectAnnotation lists what the overlay expects of every one of its scenarios,
	// comma-separated (result.ExpectZero, ExpectLoss, ExpectKills, ExpectRestarts); it
	// replaces the promise.
	ExpectAnnotation = "scalelab.dev/expect"
	// RollsFromAnnotation is, for stuck-rollout, the overlay running before the action:
	// a directory relative to this overlay's.
	RollsFromAnnotation = "scalelab.dev/rolls-from"
)

// Updater is a Platform that can apply an edited configuration of the running Deployment
// under load, as `kubectl apply` does, without waiting for the rollout (lab.Lab and
// kube.Cluster are).
type Updater interface {
	Update(ctx context.Context, cfg *manifest.Config) error
}

// stuckRollout applies the overlay over the one it rolls from: its new pods never turn
// ready, so the platform never settles, and the scenario observes for a bounded time.
func stuckRollout() Scenario {
	return Scenario{
		Name: "stuck-rollout",
		Doc:  "kubectl apply of a template whose pods never turn ready: do the old pods keep serving while the new ones restart?",
		Start: func(cfg *manifest.Config) (*manifest.Config, error) {
			from := annotation(cfg, RollsFromAnnotation)
			if len(from) != 1 {
				return nil, fmt.Errorf("%s: want the overlay it rolls from in annotation %s", cfg.Name, RollsFromAnnotation)
			}
			return manifest.Render(filepath.Join(cfg.Dir, from[0]))
		},
		Act: func(ctx context.Context, p Platform, cfg *manifest.Config) error {
			u, ok := p.(Updater)
			if !ok {
				return fmt.Errorf("platform %s cannot apply a configuration under load", p.Name())
			}
			return u.Update(ctx, cfg)
		},
		Observe: observeLiveness,
	}
}

// observeLiveness is long enough for the liveness probe to give up on a new container
// twice, with the kubelet's first crash-loop back-off (10 s) between: a restart is due
// even where the kubelet backs off before the first one, and the pod takes a while to start.
func observeLiveness(cfg *manifest.Config) time.Duration {
	return 2*livenessBudget(cfg) + 10*time.Second
}

// livenessBudget is the longest a container may take to answer before its liveness probe
// has it restarted: initialDelaySeconds + periodSeconds × failureThreshold, the last
// period for the probe worker's first tick (0: no probe).
func livenessBudget(cfg *manifest.Config) time.Duration {
	p := cfg.Container.LivenessProbe
	if p == nil {
		return 0
	}
	or := func(v, def int32) int32 {
		if v <= 0 {
			return def
		}
		return v
	}
	return time.Duration(p.InitialDelaySeconds+or(p.PeriodSeconds, 10)*or(p.FailureThreshold, 3)) * time.Second
}

// annotation splits the comma-separated value of the Deployment's annotation key.
func annotation(cfg *manifest.Config, key string) []string {
	var out []string
	for v := range strings.SplitSeq(cfg.Deployment.Annotations[key], ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// scenariosFor is what the matrix runs for cfg: the scenarios it declares, else all of
// defaults. With an unknown name, the error comes with a stand-in of each declared name.
func scenariosFor(cfg *manifest.Config, defaults []Scenario) ([]Scenario, error) {
	names := annotation(cfg, ScenariosAnnotation)
	if len(names) == 0 {
		return defaults, nil
	}
	var out []Scenario
	var errs []error
	for _, n := range names {
		sc, err := Lookup(n)
		if err != nil {
			sc, errs = Scenario{Name: n}, append(errs, fmt.Errorf("%s %s: %w", cfg.Name, ScenariosAnnotation, err))
		}
		out = append(out, sc)
	}
	return out, errors.Join(errs...)
}

// unmet says which of the cell's expectations its run did not meet ("" when all held).
func unmet(c result.Cell) string {
	failed := c.Errors.Total()
	var why []string
	for _, e := range c.Expect {
		switch e {
		case result.ExpectZero:
			if failed > 0 {
				why = append(why, fmt.Sprintf("expects zero failed requests, lost %d of %d", failed, c.Requests))
			}
		case result.ExpectLoss:
			if failed == 0 {
				why = append(why, fmt.Sprintf("expects lost requests, lost none of %d: the testbed cannot see the failure", c.Requests))
			}
		case result.ExpectKills:
			if c.Kills == 0 {
				why = append(why, "expects a container SIGKILLed (exit 137), saw none")
			}
		case result.ExpectRestarts:
			if c.Restarts == 0 {
				why = append(why, "expects a container restarted, saw none")
			}
		default:
			why = append(why, fmt.Sprintf("unknown expectation %q (known: %s, %s, %s, %s)", e,
				result.ExpectZero, result.ExpectLoss, result.ExpectKills, result.ExpectRestarts))
		}
	}
	return strings.Join(why, "; ")
}
