package main

import (
	"context"
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

// scenarioCmd is `loadtest scenario NAME`: a matrix of one configuration and one
// scenario, its runs kept in --out itself.
func scenarioCmd(s streams) command {
	c := newCommand(scenarioHelp())
	var f runFlags
	f.register(c.flags, result.ViaService)
	config := c.flags.String("config", "graceful", "the configuration: a name in --set, or an overlay directory")
	set := c.flags.String("set", "overlays", "where --config is looked up: a name under k8s/ (overlays: the tutorial's timings; fast: short ones) or a directory")
	out := c.flags.String("out", "", "where the reports go (default: runs/<platform>/<config>/<scenario>)")
	c.run = func(ctx context.Context, args []string) error {
		if len(args) != 1 {
			return usagef("name one scenario")
		}
		sc, err := scenario.Lookup(args[0])
		if err != nil {
			return usageError{err}
		}
		p, err := resolve(ctx, &f, request{set: *set, configs: []string{*config}, scenarios: []scenario.Scenario{sc}, out: *out, viaSet: c.flags.Changed("via"),
			gatesRule: true, progress: s.stdout, defaultOut: func(platform, cfg string) string {
				return filepath.Join("runs", platform, cfg, sc.Name)
			}}, s.stdout)
		if err != nil {
			return err
		}
		defer p.stopLive()
		return runScenario(ctx, p, sc, s.stdout, s.stderr)
	}
	return c
}

// runScenario deploys (or adopts), loads, acts, settles and reports, for each path and
// trial, and judges the configuration by what it promises for this scenario.
func runScenario(ctx context.Context, p *plan, sc scenario.Scenario, stdout, stderr io.Writer) error {
	o := p.load
	o.Progress = stderr
	cfg := p.configs[0]
	fmt.Fprintf(stdout, "== %s: %s on %s via %s, %d requests/s, %d trial(s)\n", sc.Name, cfg.Name, p.platform.Name, strings.Join(p.vias, ", "), o.Rate, p.trials)
	m, err := scenario.RunMatrix(ctx, p.platform.New, scenario.MatrixOptions{
		Options: o, Configs: p.configs, Scenarios: []scenario.Scenario{sc}, Vias: p.vias,
		Trials: p.trials, Gates: p.gates, Dirs: scenario.ScenarioDirs(len(p.vias)),
		Save: func(run string, r *result.Run) error {
			run = filepath.Join(p.out, run)
			report.Text(r)(stdout)
			fmt.Fprintf(stdout, "reports in %s\n\n", run)
			return report.WriteRun(run, r)
		},
	})
	if ferr := report.Finish(m, p.out, p.junit, p.meta); ferr != nil {
		return ferr
	}
	if err != nil && !m.Interrupted {
		return err
	}
	st, why := report.ScenarioOutcome(m)
	if st == result.StatusFail { // else the problems can only be a blind control, no failure here
		for _, p := range m.Problems {
			fmt.Fprintln(stdout, p)
		}
	}
	return judged(st, why...)
}
