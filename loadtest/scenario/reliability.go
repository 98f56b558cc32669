package scenario

import (
	"errors"
	"fmt"
	"slices"
	"strings"

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

// annotation splits the comma-separated value of the Deployment's annotation key.
func annotation(cfg *manifest.Config, key string) []string {
	var out []string
	for v := range strings.SplitSeq(cfg.Annotations()[key], ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// expectations are what cfg expects of each of its scenarios (ExpectAnnotation).
func expectations(cfg *manifest.Config) []result.Expectation {
	var out []result.Expectation
	for _, e := range annotation(cfg, ExpectAnnotation) {
		out = append(out, result.Expectation(e))
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
	for _, e := range c.Expects {
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
			why = append(why, fmt.Sprintf("unknown expectation %q (known: %v)", e, result.Expectations))
		}
	}
	return strings.Join(why, "; ")
}

// Columns are the scenarios a matrix of cfgs shows, in the order they first come: those
// each configuration declares, else defaults.
func Columns(cfgs []*manifest.Config, defaults []Scenario) []string {
	var out []string
	for _, cfg := range cfgs {
		scs, _ := scenariosFor(cfg, defaults)
		for _, sc := range scs {
			if !slices.Contains(out, sc.Name) {
				out = append(out, sc.Name)
			}
		}
	}
	return out
}
