package main

import (
	"context"
	"io"
	"maps"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/kube"
	"scalelab/loadtest/live"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/platform"
	"scalelab/loadtest/result"
	"scalelab/loadtest/scenario"
)

// plan is what scenario and matrix run: their flags checked once (check.go), before any
// load and before the cluster is asked anything it could refuse. Nothing changes it
// afterwards.
type plan struct {
	configs  []*manifest.Config
	platform *platform.Platform
	vias     []string
	gates    *attack.Gates // nil: the promises alone judge
	trials   int
	load     scenario.Options // with --from cluster's Attack and --live's Watch
	out      string
	junit    string
	meta     map[string]string // provenance: the platform's, the set's, --from's
	lanes    int               // matrix: --lanes (0: as many as fit)
	stopLive func()
}

// request is what a command asks of resolve besides its runFlags.
type request struct {
	set        string
	configs    []string // the names; none: all of the set
	scenarios  []scenario.Scenario
	out        string                            // --out, or matrix's default
	defaultOut func(platform, cfg string) string // scenario's default: it names the configuration
	lanes      int                               // matrix's --lanes
	viaSet     bool                              // --via was given
	gatesRule  bool                              // gates, when given, replace every promise
	progress   io.Writer                         // where connecting to a cluster is told
}

// resolve checks every flag and returns the plan, or the first problem: a usage error, or
// a setup error when the platform or the configurations cannot be had.
func resolve(ctx context.Context, f *runFlags, r request, stdout io.Writer) (*plan, error) {
	vias, gates, err := f.check(r.viaSet, r.lanes)
	if err != nil {
		return nil, usageError{err}
	}
	if r.out != "" { // before the cluster is asked anything: the outputs
		if err := outDir("out", r.out); err != nil {
			return nil, usageError{err}
		}
	}
	watch, stopLive, err := live.Start(f.live, stdout)
	if err != nil {
		return nil, usageError{err}
	}
	p, err := f.plan(ctx, r)
	if err != nil {
		stopLive()
		return nil, err
	}
	p.vias, p.gates, p.stopLive, p.load.Watch = vias, gates, stopLive, watch
	if r.gatesRule && gates != nil { // the gates say what this run must keep
		for _, c := range p.configs {
			c.Promise = result.PromiseZero
		}
	}
	return p, nil
}

// plan has the platform render or adopt the configurations, and the outputs checked.
func (f *runFlags) plan(ctx context.Context, r request) (*plan, error) {
	pl, cfgs, err := f.setUp(ctx, r.set, r.configs, r.scenarios, r.progress)
	if err != nil {
		return nil, err
	}
	p := &plan{configs: cfgs, platform: pl, trials: f.trials, load: f.load, out: r.out, junit: f.junit,
		meta: maps.Clone(pl.Meta), lanes: r.lanes}
	if p.trials == 0 {
		p.trials = scenario.TrialsOn(pl.Name == platform.Kube)
	}
	if p.out == "" { // the default names the configuration, checked as soon as it is known
		p.out = r.defaultOut(pl.Name, cfgs[0].Name)
		if err := outDir("out", p.out); err != nil {
			return nil, usageError{err}
		}
	}
	if sc := scenario.Shared(cfgs, r.scenarios); sc != "" && pl.Cluster != nil && r.lanes > 1 {
		return nil, usagef("--lanes %d: %s cordons a node that every lane's pods may run on: run it with --lanes 1", r.lanes, sc)
	}
	p.load.Attack = f.from.attack()
	maps.Copy(p.meta, f.from.meta())
	return p, nil
}

// setUp has the platform, and the configurations: rendered from the set, or with
// --workload, the running workload read from the cluster, once the API server has said
// that the kubeconfig's user may do all the scenarios need (kube.Cluster.CheckAccess).
func (f *runFlags) setUp(ctx context.Context, set string, names []string, scenarios []scenario.Scenario,
	progress io.Writer) (*platform.Platform, []*manifest.Config, error) {
	var cfgs []*manifest.Config
	var err error
	if f.kube.Workload == "" {
		if cfgs, err = manifest.Select(manifest.SetDir(set), names); err != nil {
			return nil, nil, setupError{err}
		}
	}
	pl, err := platform.Open(ctx, f.platformOptions(progress))
	if err != nil {
		return nil, nil, setupError{err}
	}
	if f.kube.Workload == "" {
		pl.Meta["set"] = set
		return pl, cfgs, nil
	}
	use := kube.Use{FromCluster: f.from.from == fromCluster}
	for _, s := range scenarios {
		use.Scenarios = append(use.Scenarios, s.Name)
	}
	if err := pl.Cluster.CheckAccess(ctx, use); err != nil {
		return pl, nil, setupError{err}
	}
	cfg, err := pl.Cluster.Adopt(ctx)
	if err != nil {
		return pl, nil, setupError{err}
	}
	pl.Meta["workload"] = f.kube.Workload
	return pl, []*manifest.Config{cfg}, nil
}
