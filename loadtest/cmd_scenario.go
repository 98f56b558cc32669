package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"scalelab/loadtest/report"
	"scalelab/loadtest/result"
	"scalelab/loadtest/scenario"
)

// scenarioHelp lists the scenarios with what each one asks.
func scenarioHelp() help {
	var names []string
	var list strings.Builder
	for _, sc := range scenario.Scenarios() {
		names = append(names, sc.Name)
		fmt.Fprintf(&list, "\n  %-16s %s", sc.Name, sc.Doc)
	}
	return help{
		synopsis: "loadtest scenario " + strings.Join(names, "|") + " [flags]",
		about: `Deploys --config of --set on --platform (or, with --workload, takes a workload
already running on the cluster and applies nothing), sends load through each --via path,
runs the scenario's action after --lead, waits until the platform has settled, keeps the
load on for --tail, and writes the report of every failed request; --trials times over,
the worst trial counting. A configuration that promises zero here (and an adopted
workload) must lose nothing; with gates (--budget, --max-failed, --min-success,
--max-p99), any configuration must stay within them. A run that sends less than
--min-rate of the requests asked for, or that a signal cuts short, is INVALID: it
proves nothing, kept or not. The scenarios:` + list.String(),
		examples: []string{
			"loadtest scenario rollout-restart --platform lab --set fast --config naive --via ingress",
			"loadtest scenario scale-down --platform kube --config graceful --via service,ingress \\",
			"  --ingress-url http://127.0.0.1:30081/",
			"loadtest scenario rollout-restart --platform kube --workload deployment/web --namespace shop \\",
			"  --target ingress=http://127.0.0.1:18080/ --header 'Host: web.shop.test' --trials 3 --budget 502=0,timeout=0 --junit junit.xml",
		},
		exit: [3]string{"the configuration kept what it promises for this scenario (within its budgets)", "it lost requests it promised not to lose, or broke a budget",
			"bad usage, an unreachable cluster, a platform that could not run it, or a run that is INVALID: its load fell short of --min-rate"},
		signals: true,
	}
}

// runScenario is `loadtest scenario NAME`: deploy (or adopt), load, act, settle, tail,
// report, for each path and trial: a matrix of one configuration and one scenario. Exit 0
// when the configuration kept what it promises for this scenario, 1 when it lost requests
// it promised not to lose or broke a budget, 2 for bad usage, a platform that cannot run
// it or a run that proves nothing, 130 or 143 when a signal cut it short.
func runScenario(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCmdline("scenario", scenarioHelp(), stdout, stderr)
	var pf platformFlags
	var lf loadFlags
	var lv liveFlag
	pf.register(c.FlagSet)
	lf.register(c.FlagSet, result.ViaService)
	lv.register(c.FlagSet)
	config := c.String("config", "graceful", "the configuration: a name in --set, or an overlay directory")
	set := c.String("set", "overlays", "where --config is looked up: a name under k8s/ (overlays: the tutorial's timings; fast: short ones) or a directory")
	c.StringVar(set, "root", "overlays", "the old name of --set")
	_ = c.MarkDeprecated("root", "use --set")
	out := c.String("out", "", "where the reports go (default: runs/<platform>/<config>/<scenario>)")
	if code, done := c.parse(args); done {
		return code
	}
	if c.NArg() != 1 {
		return c.usage(errors.New("name one scenario"))
	}
	sc, err := scenario.Lookup(c.Arg(0))
	if err != nil {
		return c.usage(err)
	}
	vias, gates, err := lf.judged(&pf, c.Changed("via"))
	if err != nil {
		return c.usage(err)
	}
	// Before the cluster is asked anything: the outputs. (Without --out, the default names
	// the configuration, checked as soon as it is known.)
	if *out != "" {
		if err := outDir("out", *out); err != nil {
			return c.usage(err)
		}
	}
	watch, stopLive, err := lv.start(stdout)
	if err != nil {
		return c.usage(err)
	}
	defer stopLive()
	rs, err := pf.configurations(ctx, *set, []string{*config}, stdout)
	if err != nil {
		return c.fail(2, err)
	}
	cfg := rs.cfgs[0]
	if gates != nil { // the gates say what this run must keep, whatever the configuration promises
		cfg.Promise = result.PromiseZero
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("runs", pf.name, cfg.Name, sc.Name)
		if err := outDir("out", dir); err != nil {
			return c.usage(err)
		}
	}
	o := lf.Options
	o.Progress = stderr
	o.Watch = watch
	fmt.Fprintf(stdout, "== %s: %s on %s via %s, %d requests/s, %d trial(s)\n", sc.Name, cfg.Name, pf.name, strings.Join(vias, ", "), o.Rate, lf.trials)
	m, err := scenario.RunMatrix(ctx, rs.newPlatform, scenario.MatrixOptions{
		Options: o, Configs: rs.cfgs, Scenarios: []scenario.Scenario{sc}, Vias: vias,
		Trials: lf.trials, Gates: gates,
		Save: func(run string, r *result.Run) error {
			run = filepath.Join(dir, runDir(run, cfg.Name, sc.Name, r.Meta["via"], len(vias)))
			report.Text(r)(stdout)
			fmt.Fprintf(stdout, "reports in %s\n\n", run)
			return report.WriteRun(run, r)
		},
	})
	if m != nil {
		for i := range m.Cells { // the cells' reports are where Save put them
			m.Cells[i].Dir = runDir(m.Cells[i].Dir, cfg.Name, sc.Name, m.Cells[i].Via, len(vias))
			for j := range m.Cells[i].Trials {
				m.Cells[i].Trials[j].Dir = runDir(m.Cells[i].Trials[j].Dir, cfg.Name, sc.Name, m.Cells[i].Via, len(vias))
			}
		}
		if ferr := finish(m, dir, lf.junit, rs.meta, lf.from.meta()); ferr != nil {
			return c.fail(2, ferr)
		}
	}
	if err != nil && (m == nil || !m.Interrupted) {
		return c.fail(2, err)
	}
	code := 0
	for _, cell := range m.Cells {
		switch cell.Verdict {
		case result.VerdictError:
			fmt.Fprintf(stderr, "loadtest scenario: %s via %s could not run: %s\n", sc.Name, cell.Via, cell.Error)
			code = 2
		case result.VerdictInvalid, result.VerdictInterrupted, result.VerdictNotRun:
			fmt.Fprintf(stderr, "loadtest scenario: %s via %s: INVALID: %s\n", sc.Name, cell.Via, invalidity(cell))
			code = max(code, exitStatus(ctx, result.StatusInvalid))
		case result.VerdictBroken, result.VerdictNotAsExpected:
			code = max(code, 1)
		}
	}
	if code == 1 { // else the problems can only be a blind control, which is no failure here
		for _, p := range m.Problems {
			fmt.Fprintln(stdout, p)
		}
	}
	return code
}

// invalidity says why a cell proves nothing.
func invalidity(c result.Cell) string {
	switch {
	case c.NotRun:
		return "not run: interrupted first"
	case c.Interrupted:
		return result.Reason
	}
	return strings.Join(c.Invalid, "; ")
}

// runDir is where `scenario` keeps a run the matrix named config/scenario-via[/trial-N]:
// in via/ when there are several paths, in trial-N/ when there are several trials.
func runDir(matrixDir, config, scenarioName, via string, vias int) string {
	trial := strings.TrimPrefix(filepath.ToSlash(matrixDir), config+"/"+scenarioName+"-"+via)
	trial = strings.TrimPrefix(trial, "/")
	if vias > 1 {
		return filepath.Join(via, trial)
	}
	return filepath.FromSlash(trial)
}
