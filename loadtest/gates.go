package main

import (
	"fmt"

	"github.com/spf13/pflag"

	"scalelab/loadtest/attack"
)

// gateFlags are the pass/fail conditions of a run that a CI pipeline sets: budgets per
// failure class, the most failed requests, the least success ratio, the highest p99.
// `attack` judges its run by them; `scenario` and `matrix` judge by them, instead of by
// zero, every cell whose configuration promises zero.
type gateFlags struct {
	gates  attack.Gates
	budget budgetFlag
}

// register adds the flags; maxFailed is --max-failed's default (-1: no limit).
func (f *gateFlags) register(fs *pflag.FlagSet, maxFailed int) {
	fs.Var(&f.budget, "budget", "gate: the most failed requests of each class, as `CLASS=N,...` (e.g. 502=0,timeout=5; repeatable)")
	f.gates.MaxErrors = maxFailed
	maxErrors := intFlag{&f.gates.MaxErrors, -1, " (-1: no limit)"}
	fs.Var(maxErrors, "max-failed", "gate: the most failed requests of any class; -1: no limit")
	fs.Var(maxErrors, "max-errors", "the old name of --max-failed")
	_ = fs.MarkDeprecated("max-errors", "use --max-failed")
	fs.Float64Var(&f.gates.MinSuccess, "min-success", 0, "gate: the least success ratio, e.g. 0.999; 0: off")
	fs.DurationVar(&f.gates.MaxP99, "max-p99", 0, "gate: the highest p99 latency, e.g. 2s; 0: off")
}

// get checks the flags and returns the gates, nil when none is on.
func (f *gateFlags) get() (*attack.Gates, error) {
	g := f.gates
	g.Budget = f.budget.Counts
	switch {
	case g.MinSuccess < 0 || g.MinSuccess > 1:
		return nil, fmt.Errorf("--min-success %g: want 0..1", g.MinSuccess)
	case g.MaxP99 < 0:
		return nil, fmt.Errorf("--max-p99 %s: want ≥ 0 (0: off)", g.MaxP99)
	case !g.On():
		return nil, nil
	}
	return &g, nil
}
