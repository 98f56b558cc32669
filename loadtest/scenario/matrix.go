package scenario

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

// ClusterTrials is how many times a cell runs on a cluster unless asked otherwise. A
// cluster's races are draws: a cell that loses in half its runs shows its loss in at
// least one of three with odds of 7 in 8, and lanes make three trials cost about what one
// did (README, "Races are draws").
const ClusterTrials = 3

// TrialsOn is how many trials a cell gets when none are asked for: one on the lab (the
// demo's single draw; ask for more), ClusterTrials on a cluster.
func TrialsOn(cluster bool) int {
	if cluster {
		return ClusterTrials
	}
	return 1
}

// MatrixOptions say what to run and where its runs go.
type MatrixOptions struct {
	Options
	Configs   []*manifest.Config
	Scenarios []Scenario
	Vias      []string
	// Lanes is how many runs go on side by side, each lane on a platform of its own (a lab
	// of its own; on a cluster, a namespace of its own). Every run of the matrix — one
	// trial of one configuration × scenario × path — is a job; each lane takes the next
	// job when it is free, so the trials of one cell may run in different lanes. 0 or 1:
	// one lane, every run one after the other, in order.
	Lanes int
	// Trials is how many times each cell runs (0 or 1: once); the cell is its worst trial.
	Trials int
	// Gates, when set, judge every run (attack.Judge); where a configuration promises
	// zero, a cell keeps its promise when every trial passed its gates (budgets).
	Gates *attack.Gates
	// Save writes one run into dir (report.WriteRun); dir is relative to the matrix's.
	Save func(dir string, r *result.Run) error
	// Dirs names each run's dir and each cell's; nil: MatrixDirs.
	Dirs Dirs
}

// DefaultScenarios are the three the matrix shows unless told otherwise.
var DefaultScenarios = []string{"scale-up", "scale-down", "rollout-restart"}

// RunMatrix runs every configuration × scenario × path and judges the promises: a
// configuration promising zero must lose nothing, and the control (promising nothing)
// must lose something in every cell, or the testbed is blind. newPlatform gives a fresh
// platform for each lane; a lane whose platform cannot be had runs nothing, and the runs
// no lane could take are errors of their cells.
func RunMatrix(ctx context.Context, newPlatform func() (Platform, error), o MatrixOptions) (*result.Matrix, error) {
	m := &result.Matrix{
		Schema:   result.SchemaVersion,
		Started:  time.Now(),
		Vias:     o.Vias,
		Promises: map[string]result.Promise{},
	}
	// Each configuration runs the matrix's scenarios, or those it declares; the columns
	// are all that run, in the order they first come.
	var cells []plannedCell
	for _, cfg := range o.Configs {
		m.Configs = append(m.Configs, cfg.Name)
		m.Promises[cfg.Name] = cfg.Promise
		scs, err := scenariosFor(cfg, o.Scenarios)
		for _, sc := range scs {
			for _, via := range o.Vias {
				cells = append(cells, plannedCell{cfg: cfg, sc: sc, via: via, err: err, dirs: o.dirs()})
			}
		}
	}
	m.Scenarios = Columns(o.Configs, o.Scenarios)

	n := max(o.Trials, 1)
	q := &queue{}
	for i, c := range cells {
		c.trials = make([]*result.Trial, n)
		cells[i] = c
		if c.err == nil {
			starts, leaves := standsOf(c.cfg, c.sc)
			for t := range n {
				q.jobs = append(q.jobs, job{cell: i, trial: t, cfg: c.cfg, starts: starts, leaves: leaves})
			}
		}
	}
	q.longestFirst(func(j job) time.Duration {
		c := cells[j.cell]
		return o.Lead + c.sc.Takes(c.cfg) + o.tailOn(nil).least
	})
	// No more lanes than runs: each lane's platform costs (a lab, a namespace).
	m.Lanes = min(max(o.Lanes, 1), len(q.jobs))

	var wg sync.WaitGroup
	var mu sync.Mutex // guards m.Platform and laneErr
	var laneErr error
	for range m.Lanes {
		wg.Go(func() {
			p, err := newPlatform()
			mu.Lock()
			if err != nil {
				laneErr = cmp.Or(laneErr, err)
			} else {
				m.Platform = p.Name()
			}
			mu.Unlock()
			if err != nil {
				return
			}
			defer p.Close()
			var at stand
			for ctx.Err() == nil {
				j, ok := q.next(at)
				if !ok {
					return
				}
				c := cells[j.cell]
				t := runTrial(ctx, p, c, j.trial, n, o)
				c.trials[j.trial], at = t, j.leaves
				if t.Error != "" { // who knows what it left
					at = stand{}
				}
			}
		})
	}
	wg.Wait()
	m.Interrupted = ctx.Err() != nil
	for _, c := range cells {
		m.Cells = append(m.Cells, c.result(laneErr, m.Interrupted))
	}
	m.Wall = time.Since(m.Started)
	judge(m)
	return m, ctx.Err()
}

// plannedCell is one configuration × scenario × path before and while it runs: a trial is
// nil until a lane has run it.
type plannedCell struct {
	cfg    *manifest.Config
	sc     Scenario
	via    string
	err    error // why it cannot run at all (its configuration's scenarios)
	trials []*result.Trial
	dirs   Dirs
}

// dir is where the cell's trial i (of n; 0: the cell) goes, relative to the matrix's.
func (c plannedCell) dir(i, n int) string { return c.dirs(c.cfg.Name, c.sc.Name, c.via, i, n) }

// result is the cell of its trials: the worst one counts; restarts and kills are the
// fewest any trial saw (what every trial shows); a trial that proves nothing or was cut
// short makes the cell so. A trial no lane ran is an error — no lane's platform could be
// had (laneErr) — or, when the matrix was interrupted, not run.
func (c plannedCell) result(laneErr error, interrupted bool) result.Cell {
	cell := result.Cell{Config: c.cfg.Name, Scenario: c.sc.Name, Via: c.via}
	if c.err != nil {
		cell.Error = c.err.Error()
		return cell
	}
	cell.Dir = c.dir(0, len(c.trials))
	cell.PromisedZero = c.sc.PromisesZero(c.cfg)
	cell.Expects = expectations(c.cfg)
	if len(cell.Expects) > 0 {
		cell.PromisedZero = slices.Contains(cell.Expects, result.ExpectZero)
	}
	for _, t := range c.trials {
		if t != nil {
			cell.Trials = append(cell.Trials, *t)
			cell.Wall += t.Wall
		}
	}
	if len(cell.Trials) == 0 {
		cell.Error = "did not run"
		if laneErr != nil {
			cell.Error = laneErr.Error()
		}
		cell.NotRun = interrupted && laneErr == nil
		return cell
	}
	worst := slices.MaxFunc(cell.Trials, func(a, b result.Trial) int {
		return cmp.Compare(a.Errors.Total(), b.Errors.Total())
	})
	cell.Requests, cell.Errors, cell.P99, cell.Error = worst.Requests, worst.Errors, worst.P99, worst.Error
	cell.Restarts = slices.MinFunc(cell.Trials, func(a, b result.Trial) int { return cmp.Compare(a.Restarts, b.Restarts) }).Restarts
	cell.Kills = slices.MinFunc(cell.Trials, func(a, b result.Trial) int { return cmp.Compare(a.Kills, b.Kills) }).Kills
	cell.Gates = worst.Gates
	for i, t := range cell.Trials {
		if t.Error != "" && cell.Error == "" {
			cell.Error = t.Error
		}
		cell.Interrupted = cell.Interrupted || t.Interrupted
		for _, why := range t.Invalid {
			if len(c.trials) > 1 {
				why = fmt.Sprintf("trial %d: %s", i+1, why)
			}
			cell.Invalid = append(cell.Invalid, why)
		}
		if !gatesPassed(t.Gates) && gatesPassed(cell.Gates) {
			cell.Gates = t.Gates
		}
	}
	if len(c.trials) > 1 {
		cell.Dir = worst.Dir
		switch missing := len(c.trials) - len(cell.Trials); {
		case missing > 0 && interrupted:
			cell.Interrupted = true
		case missing > 0 && cell.Error == "":
			cell.Error = fmt.Sprintf("%d of %d trials did not run", missing, len(c.trials))
		}
	} else {
		cell.Trials = nil
	}
	cell.Overhead = worst.Overhead
	return cell
}

// runTrial runs trial i (of n) of the cell once and saves the run.
func runTrial(ctx context.Context, p Platform, c plannedCell, i, n int, o MatrixOptions) *result.Trial {
	start := time.Now()
	so := o.Options
	so.Via = c.via
	t := result.Trial{Dir: c.dir(i+1, n)}
	r, err := Run(ctx, p, c.cfg, c.sc, so)
	t.Wall = time.Since(start)
	// Cut short before its load, or during it; a run that ended whole just before the
	// interruption is whole.
	t.Interrupted = ctx.Err() != nil && (r == nil || r.Interrupted || err != nil)
	if r != nil {
		t.Requests, t.Errors, t.P99, t.Invalid = r.Requests, r.Errors, r.Latency.P99, r.Invalid
		if !t.Interrupted { // else it ran less than it would have: no overhead to tell
			t.Overhead = r.Elapsed - so.Lead - so.tailOn(p).least - c.sc.Takes(c.cfg)
		}
		if o.Gates != nil {
			attack.Judge(r, *o.Gates)
			t.Gates = r.Gates
		}
		marks := result.Marks(r.Events)
		t.Restarts, t.Kills = marks[result.MarkRestart], marks[result.MarkKill]
		if o.Save != nil {
			if serr := o.Save(t.Dir, r); serr != nil && err == nil {
				err = serr
			}
		}
	}
	if err != nil {
		t.Error = err.Error()
	}
	return &t
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
		where := fmt.Sprintf("%s/%s via %s", c.Config, c.Scenario, c.Via)
		switch why := unmet(*c); {
		case c.NotRun:
			c.Verdict = result.VerdictNotRun
			m.Problems = append(m.Problems, where+" not run: the matrix was interrupted first")
		case c.Interrupted:
			c.Verdict = result.VerdictInterrupted
			m.Problems = append(m.Problems, where+" was interrupted: it proves nothing")
		case c.Error != "":
			c.Verdict = result.VerdictError
			m.Problems = append(m.Problems, fmt.Sprintf("%s could not run: %s", where, c.Error))
		case len(c.Invalid) > 0:
			c.Verdict = result.VerdictInvalid
			m.Problems = append(m.Problems, fmt.Sprintf("%s proves nothing (%d of %d requests failed): %s",
				where, failed, c.Requests, strings.Join(c.Invalid, "; ")))
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
