package scenario

import (
	"cmp"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// MatrixOptions say what to run and where its runs go.
type MatrixOptions struct {
	Options
	Configs   []*manifest.Config
	Scenarios []Scenario
	Vias      []string
	// Lanes is how many lanes run side by side, each on a platform of its own (the local
	// lab can: its pods are processes on their own ports); a lane is one configuration
	// and one path, whose scenarios run one after the other. 0 or 1: one lane for each
	// configuration, with every path, one after the other.
	Lanes int
	// Trials is how many times each cell runs (0 or 1: once); the cell is its worst trial.
	Trials int
	// Gates, when set, judge every run (attack.Judge); where a configuration promises
	// zero, a cell keeps its promise when every trial passed its gates (budgets).
	Gates *attack.Gates
	// Save writes one run into dir (report.WriteRun); dir is relative to the matrix's.
	Save func(dir string, r *result.Run) error
}

// DefaultScenarios are the three the matrix shows unless told otherwise.
var DefaultScenarios = []string{"scale-up", "scale-down", "rollout-restart"}

// RunMatrix runs every configuration × scenario × path and judges the promises: a
// configuration promising zero must lose nothing, and the control (promising nothing)
// must lose something in every cell, or the testbed is blind. newPlatform gives a fresh
// platform for each lane (or, when Lanes ≤ 1, may give the same one).
func RunMatrix(ctx context.Context, newPlatform func() (Platform, error), o MatrixOptions) (*result.Matrix, error) {
	m := &result.Matrix{
		Schema:   result.SchemaVersion,
		Started:  time.Now(),
		Vias:     o.Vias,
		Promises: map[string]result.Promise{},
	}
	// Each configuration runs the matrix's scenarios, or those it declares; the columns
	// are all that run, in the order they first come.
	plans := make(map[*manifest.Config][]Scenario, len(o.Configs))
	planErrs := map[*manifest.Config]error{}
	for _, cfg := range o.Configs {
		m.Configs = append(m.Configs, cfg.Name)
		m.Promises[cfg.Name] = cfg.Promise
		plans[cfg], planErrs[cfg] = scenariosFor(cfg, o.Scenarios)
	}
	m.Scenarios = Columns(o.Configs, o.Scenarios)

	// One lane per configuration, or, in parallel, per configuration and path: the
	// scenarios of a lane run one after the other on the lane's own platform.
	type lane struct {
		cfg  *manifest.Config
		vias []string
	}
	var lanes []lane
	for _, cfg := range o.Configs {
		if o.Lanes <= 1 {
			lanes = append(lanes, lane{cfg, o.Vias})
			continue
		}
		for _, via := range o.Vias {
			lanes = append(lanes, lane{cfg, []string{via}})
		}
	}
	cells := make([][]result.Cell, len(lanes))
	var wg sync.WaitGroup
	var mu sync.Mutex // guards m.Platform
	runLane := func(i int, l lane) {
		if err := planErrs[l.cfg]; err != nil {
			cells[i] = failedCells(l.cfg, plans[l.cfg], l.vias, err)
			return
		}
		p, err := newPlatform()
		if err != nil {
			cells[i] = failedCells(l.cfg, plans[l.cfg], l.vias, err)
			return
		}
		defer p.Close()
		mu.Lock()
		m.Platform = p.Name()
		mu.Unlock()
		for _, sc := range plans[l.cfg] {
			for _, via := range l.vias {
				if ctx.Err() != nil {
					return
				}
				cells[i] = append(cells[i], runCell(ctx, p, l.cfg, sc, via, o))
			}
		}
	}
	slots := make(chan struct{}, max(o.Lanes, 1))
	for i, l := range lanes {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			runLane(i, l)
		})
	}
	wg.Wait()
	for _, c := range cells {
		m.Cells = append(m.Cells, c...)
	}
	order := func(names []string, n string) int { return slices.Index(names, n) }
	slices.SortStableFunc(m.Cells, func(a, b result.Cell) int {
		return cmp.Or(
			cmp.Compare(order(m.Configs, a.Config), order(m.Configs, b.Config)),
			cmp.Compare(order(m.Scenarios, a.Scenario), order(m.Scenarios, b.Scenario)),
			cmp.Compare(order(m.Vias, a.Via), order(m.Vias, b.Via)))
	})
	m.Wall = time.Since(m.Started)
	judge(m)
	return m, ctx.Err()
}

// runCell runs one scenario through one path, once or o.Trials times, and saves each run.
func runCell(ctx context.Context, p Platform, cfg *manifest.Config, sc Scenario, via string, o MatrixOptions) result.Cell {
	start := time.Now()
	cell := result.Cell{
		Config: cfg.Name, Scenario: sc.Name, Via: via,
		Dir:          filepath.Join(cfg.Name, sc.Name+"-"+via),
		PromisedZero: sc.PromisesZero(cfg),
		Expects:      expectations(cfg),
	}
	if len(cell.Expects) > 0 {
		cell.PromisedZero = slices.Contains(cell.Expects, result.ExpectZero)
	}
	n := max(o.Trials, 1)
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		dir := cell.Dir
		if n > 1 {
			dir = filepath.Join(cell.Dir, fmt.Sprintf("trial-%d", i+1))
		}
		cell.Trials = append(cell.Trials, runTrial(ctx, p, cfg, sc, via, dir, o))
	}
	cell.Wall = time.Since(start)
	worst := slices.MaxFunc(cell.Trials, func(a, b result.Trial) int {
		return cmp.Compare(a.Errors.Total(), b.Errors.Total())
	})
	cell.Requests, cell.Errors, cell.P99, cell.Error = worst.Requests, worst.Errors, worst.P99, worst.Error
	cell.Restarts = slices.MinFunc(cell.Trials, func(a, b result.Trial) int { return cmp.Compare(a.Restarts, b.Restarts) }).Restarts
	cell.Kills = slices.MinFunc(cell.Trials, func(a, b result.Trial) int { return cmp.Compare(a.Kills, b.Kills) }).Kills
	cell.Gates = worst.Gates
	for _, t := range cell.Trials {
		if t.Error != "" && cell.Error == "" {
			cell.Error = t.Error
		}
		if !gatesPassed(t.Gates) && gatesPassed(cell.Gates) {
			cell.Gates = t.Gates
		}
	}
	if n > 1 {
		cell.Dir = worst.Dir
	} else {
		cell.Trials = nil
	}
	cell.Overhead = worst.Overhead
	return cell
}

// runTrial runs the scenario once and saves the run into dir.
func runTrial(ctx context.Context, p Platform, cfg *manifest.Config, sc Scenario, via, dir string, o MatrixOptions) result.Trial {
	start := time.Now()
	so := o.Options
	so.Via = via
	t := result.Trial{Dir: dir}
	r, err := Run(ctx, p, cfg, sc, so)
	t.Wall = time.Since(start)
	if r != nil {
		t.Requests, t.Errors, t.P99 = r.Requests, r.Errors, r.Latency.P99
		t.Overhead = r.Elapsed - so.Lead - so.Tail - sc.Takes(cfg)
		if o.Gates != nil {
			attack.Judge(r, *o.Gates)
			t.Gates = r.Gates
		}
		marks := result.Marks(r.Events)
		t.Restarts, t.Kills = marks[result.MarkRestart], marks[result.MarkKill]
		if o.Save != nil {
			if serr := o.Save(dir, r); serr != nil && err == nil {
				err = serr
			}
		}
	}
	if err != nil {
		t.Error = err.Error()
	}
	return t
}

func failedCells(cfg *manifest.Config, scs []Scenario, vias []string, err error) []result.Cell {
	var out []result.Cell
	for _, sc := range scs {
		for _, via := range vias {
			out = append(out, result.Cell{Config: cfg.Name, Scenario: sc.Name, Via: via, Error: err.Error()})
		}
	}
	return out
}

// judge sets each cell's verdict and the matrix's problems. The control must lose requests
// in every scenario, on at least one path: a scenario where it loses nothing anywhere is
// one the testbed cannot see. One path alone may legitimately lose nothing — through a
// Service, keep-alive connections stay pinned to the old pods, so a scale-up sends the
// new pods no traffic at all. A configuration that states its own expectations
// (ExpectAnnotation) is judged by them instead, cell by cell.
func judge(m *result.Matrix) {
	controlLost := map[string]int{} // config/scenario → failed over all paths
	for _, c := range m.Cells {
		controlLost[c.Config+"/"+c.Scenario] += c.Errors.Total()
	}
	blind := map[string]bool{}
	for i := range m.Cells {
		c := &m.Cells[i]
		failed := c.Errors.Total()
		control := m.Promises[c.Config] == result.PromiseNothing
		switch why := unmet(*c); {
		case c.Error != "":
			c.Verdict = result.VerdictError
			m.Problems = append(m.Problems, fmt.Sprintf("%s/%s via %s could not run: %s", c.Config, c.Scenario, c.Via, c.Error))
		case len(c.Expects) > 0 && why != "":
			c.Verdict = result.VerdictNotAsExpected
			m.Problems = append(m.Problems, fmt.Sprintf("%s in %s via %s %s", c.Config, c.Scenario, c.Via, why))
		case len(c.Expects) > 0:
			c.Verdict = result.VerdictAsExpected
		case c.PromisedZero && len(c.Gates) > 0 && !gatesPassed(c.Gates):
			c.Verdict = result.VerdictBroken
			m.Problems = append(m.Problems, fmt.Sprintf("%s broke its budget in %s via %s: %s",
				c.Config, c.Scenario, c.Via, failedGates(c.Gates)))
		case c.PromisedZero && len(c.Gates) > 0:
			c.Verdict = result.VerdictKept
		case c.PromisedZero && failed > 0:
			c.Verdict = result.VerdictBroken
			m.Problems = append(m.Problems, fmt.Sprintf("%s promises zero but lost %d of %d requests in %s via %s",
				c.Config, failed, c.Requests, c.Scenario, c.Via))
		case control && controlLost[c.Config+"/"+c.Scenario] == 0:
			c.Verdict = result.VerdictBlind
			if key := c.Config + "/" + c.Scenario; !blind[key] {
				blind[key] = true
				m.Problems = append(m.Problems, fmt.Sprintf("the control %s lost nothing in %s on any path: the testbed cannot see the failure",
					c.Config, c.Scenario))
			}
		case c.PromisedZero:
			c.Verdict = result.VerdictKept
		case failed == 0:
			c.Verdict = result.VerdictNoLoss
		default:
			c.Verdict = result.VerdictLost
		}
	}
}

// gatesPassed says whether every gate held (true for none).
func gatesPassed(gs []result.Gate) bool {
	for _, g := range gs {
		if !g.OK {
			return false
		}
	}
	return true
}

// failedGates names each failed gate with what it measured: "budget 502: 10 (7 over), limit 3".
func failedGates(gs []result.Gate) string {
	var out []string
	for _, g := range gs {
		if !g.OK {
			out = append(out, fmt.Sprintf("%s: %s, limit %s", g.Name, g.Actual, g.Limit))
		}
	}
	return strings.Join(out, "; ")
}
