package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"maps"
	"path/filepath"

	"scalelab/loadtest/flagvalue"
	"scalelab/loadtest/report"
	"scalelab/loadtest/result"
	"scalelab/loadtest/scenario"
)

var matrixHelp = help{
	synopsis: "loadtest matrix [flags]",
	about: `Runs every configuration of --set (one overlay each) through every scenario and
every --via path, --trials times each, saves each run in --out with matrix.md and
matrix.json beside them, and judges each configuration by what it promises (annotation
scalelab.dev/promise): one promising zero must lose no request in any trial (or stay
within the --budget gates), and the control, promising nothing, must lose some, or the
testbed could not see a loss. With --workload, the one configuration is a workload
already running on the cluster, promising zero unless its annotation says otherwise.
A matrix with a cell that proves nothing (its load short of --min-rate, cut short by a
signal, or never run after one) is INVALID, never a pass.`,
	examples: []string{
		"loadtest matrix --platform lab --set fast --out runs/lab-fast",
		"loadtest matrix --platform kube --set fast --trials 3 --ingress-url http://127.0.0.1:30081/ --out runs/kind",
		"loadtest matrix --platform kube --workload deployment/web --namespace shop \\",
		"  --target http://127.0.0.1:30090/ --scenarios rollout-restart,scale-down --budget 502=0 --junit junit.xml",
	},
	exit: [3]string{"every promise held and the control lost requests", "a promise failed, the control lost nothing, or a cell could not run",
		"bad usage, a platform that could not run, or the matrix is INVALID: a cell's load fell short of --min-rate"},
	signals: true,
}

// matrixCmd is `loadtest matrix`: every configuration × scenario × path, the runs saved
// under --out with matrix.md and matrix.json beside them; the exit status is the verdict.
func matrixCmd(s streams) command {
	c := newCommand(matrixHelp)
	var f runFlags
	f.register(c.flags, result.ViaService, result.ViaIngress)
	set := c.flags.String("set", "fast", "the configurations: every overlay of this set, a name under k8s/ (fast, overlays, reliability) or a directory")
	configs := c.flags.StringSlice("configs", nil, "only these configurations of the set (default: all)")
	scenarios := c.flags.StringSlice("scenarios", scenario.DefaultScenarios, "the scenarios, in order")
	out := c.flags.String("out", "", "where the matrix goes (default: runs/<platform>)")
	var lanes int
	c.flags.Var(flagvalue.Int{N: &lanes, Min: 0}, "lanes", "how many runs go on side by side, each in a lane of its own: on the lab a lab, on kube a namespace made for the run (0: as many as fit: the open-file limit on the lab, the cluster's free CPU and this machine's cores on kube)")
	meta := map[string]string{}
	c.flags.Var((*flagvalue.Meta)(&meta), "meta", "key=value for the matrix's provenance, e.g. ingress=skipper-v0.23.0 (repeatable; the value may hold commas)")
	c.run = func(ctx context.Context, args []string) error {
		if len(args) > 0 {
			return usagef("unexpected argument %q", args[0])
		}
		var scs []scenario.Scenario
		for _, name := range *scenarios {
			sc, err := scenario.Lookup(name)
			if err != nil {
				return usageError{err}
			}
			scs = append(scs, sc)
		}
		p, err := resolve(ctx, &f, request{set: *set, configs: *configs, scenarios: scs, lanes: lanes,
			out: cmp.Or(*out, filepath.Join("runs", f.platform)), viaSet: c.flags.Changed("via"), progress: io.Discard}, s.stdout)
		if err != nil {
			return err
		}
		defer p.stopLive()
		given := map[string]string{"set": *set}
		maps.Copy(given, meta)
		return runMatrix(ctx, p, scs, given, s.stdout)
	}
	return c
}

// runMatrix runs the plan's matrix in as many lanes as fit, writes each run as it ends
// and the matrix with its provenance (the plan's, then meta's), prints it and judges it.
func runMatrix(ctx context.Context, p *plan, scs []scenario.Scenario, meta map[string]string, stdout io.Writer) error {
	mo := scenario.MatrixOptions{
		Options: p.load, Configs: p.configs, Scenarios: scs, Vias: p.vias, Lanes: p.lanes, Trials: p.trials, Gates: p.gates,
		Save: func(run string, r *result.Run) error {
			fmt.Fprintf(stdout, "  %-14s %-16s %-8s %6d requests, %d failed\n",
				r.Meta["config"], r.Meta["scenario"], r.Meta["via"], r.Requests, r.Failed())
			return report.WriteRun(filepath.Join(p.out, run), r)
		},
	}
	n, newPlatform, laneMeta, err := p.platform.Lanes(ctx, mo, stdout)
	if err != nil {
		return err
	}
	mo.Lanes = n
	fmt.Fprintf(stdout, "matrix: %d configurations × %d scenarios × %d paths × %d trials on %s, %d requests/s, %d lanes at once; runs in %s\n",
		len(p.configs), len(scenario.Columns(p.configs, scs)), len(p.vias), p.trials, p.platform.Name, p.load.Rate, n, p.out)
	m, err := scenario.RunMatrix(ctx, newPlatform, mo)
	load := map[string]string{"rate": fmt.Sprint(p.load.Rate), "keepalive": fmt.Sprint(p.load.KeepAlive), "trials": fmt.Sprint(p.trials)}
	if ferr := report.Finish(m, p.out, p.junit, p.meta, laneMeta, load, meta); ferr != nil {
		return ferr
	}
	report.MatrixText(m)(stdout)
	fmt.Fprintf(stdout, "matrix in %s\n", filepath.Join(p.out, "matrix.md"))
	if err != nil && !m.Interrupted {
		return err
	}
	return judged(m.Outcome())
}
