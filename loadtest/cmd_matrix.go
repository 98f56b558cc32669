package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"scalelab/loadtest/manifest"
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

// runMatrix is `loadtest matrix`: every configuration × scenario × path, the runs saved
// under --out with matrix.md and matrix.json beside them. The exit status is the verdict
// (exitStatus): 0 when every promise held and the control lost requests, 1 when one did
// not, 2 for bad usage or an invalid matrix, 130 or 143 when a signal cut it short.
func runMatrix(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCmdline("matrix", matrixHelp, stdout, stderr)
	var pf platformFlags
	var lf loadFlags
	var lv liveFlag
	pf.register(c.FlagSet)
	lf.register(c.FlagSet, result.ViaService, result.ViaIngress)
	lv.register(c.FlagSet)
	set := c.String("set", "fast", "the configurations: every overlay of this set, a name under k8s/ (fast, overlays, reliability) or a directory")
	c.StringVar(set, "root", "fast", "the old name of --set")
	_ = c.MarkDeprecated("root", "use --set")
	configs := c.StringSlice("configs", nil, "only these configurations of the set (default: all)")
	scenarios := c.StringSlice("scenarios", scenario.DefaultScenarios, "the scenarios, in order")
	out := c.String("out", "", "where the matrix goes (default: runs/<platform>)")
	var lanes int
	c.Var(intFlag{&lanes, 0, ""}, "lanes", "how many runs go on side by side, each in a lane of its own: on the lab a lab, on kube a namespace made for the run (0: as many as fit: the open-file limit on the lab, the cluster's free CPU and this machine's cores on kube)")
	meta := map[string]string{}
	c.Var((*metaFlag)(&meta), "meta", "key=value for the matrix's provenance, e.g. ingress=skipper-v0.23.0 (repeatable; the value may hold commas)")
	if code, done := c.parse(args); done {
		return code
	}
	if c.NArg() > 0 {
		return c.usage(fmt.Errorf("unexpected argument %q", c.Arg(0)))
	}
	vias, gates, err := lf.judged(&pf, c.Changed("via"))
	if err != nil {
		return c.usage(err)
	}
	var scs []scenario.Scenario
	for _, name := range *scenarios {
		sc, err := scenario.Lookup(name)
		if err != nil {
			return c.usage(err)
		}
		scs = append(scs, sc)
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("runs", pf.name)
	}
	// Before the cluster is asked anything: the outputs.
	if err := outDir("out", dir); err != nil {
		return c.usage(err)
	}
	watch, stopLive, err := lv.start(stdout)
	if err != nil {
		return c.usage(err)
	}
	defer stopLive()
	lf.Watch = watch
	rs, err := pf.configurations(ctx, *set, *configs, io.Discard)
	if err != nil {
		return c.fail(2, err)
	}

	jobs := 0
	for _, cfg := range rs.cfgs {
		jobs += len(scenario.Columns([]*manifest.Config{cfg}, scs)) * len(vias) * lf.trials
	}
	var shared string // a scenario that changes what the lanes on a cluster share
	for _, name := range scenario.Columns(rs.cfgs, scs) {
		if sc, err := scenario.Lookup(name); err == nil && sc.Needs.Shared() {
			shared = name
		}
	}
	n, newPlatform, err := matrixLanes(ctx, &pf, rs, lanes, lf.Rate, len(vias), jobs, shared, stdout)
	if err != nil {
		return c.usage(err)
	}
	fmt.Fprintf(stdout, "matrix: %d configurations × %d scenarios × %d paths × %d trials on %s, %d requests/s, %d lanes at once; runs in %s\n",
		len(rs.cfgs), len(scenario.Columns(rs.cfgs, scs)), len(vias), lf.trials, pf.name, lf.Rate, n, dir)
	m, err := scenario.RunMatrix(ctx, newPlatform, scenario.MatrixOptions{
		Options: lf.Options, Configs: rs.cfgs, Scenarios: scs, Vias: vias,
		Lanes: n, Trials: lf.trials, Gates: gates,
		Save: func(run string, r *result.Run) error {
			fmt.Fprintf(stdout, "  %-14s %-16s %-8s %6d requests, %d failed\n",
				r.Meta["config"], r.Meta["scenario"], r.Meta["via"], r.Requests, r.Failed())
			return report.WriteRun(filepath.Join(dir, run), r)
		},
	})
	if ferr := finish(m, dir, lf.junit, rs.meta, map[string]string{
		"set": *set, "rate": fmt.Sprint(lf.Rate), "keepalive": fmt.Sprint(lf.KeepAlive), "trials": fmt.Sprint(lf.trials),
	}, meta, lf.from.meta()); ferr != nil {
		return c.fail(2, ferr)
	}
	report.MatrixText(m)(stdout)
	fmt.Fprintf(stdout, "matrix in %s\n", filepath.Join(dir, "matrix.md"))
	if err != nil && !m.Interrupted {
		return c.fail(2, err)
	}
	return exitStatus(ctx, m.Outcome())
}
