package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"scalelab/loadtest/manifest"
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
		about: `Deploys --config on --platform, sends load through each --via path, runs the
scenario's action after --lead, waits until the platform has settled, keeps the load
on for --tail, and writes the report of every failed request. The scenarios:` + list.String(),
		examples: []string{
			"loadtest scenario rollout-restart --platform local --root k8s/fast --config naive --via ingress",
			"loadtest scenario scale-down --platform kube --config graceful --via service,ingress \\",
			"  --ingress-url http://127.0.0.1:30081/",
		},
		exit: [3]string{"the configuration kept what it promises for this scenario", "it lost requests it promised not to lose", "bad usage, or a platform that could not run it"},
	}
}

// runScenario is `loadtest scenario NAME --config CONFIG`: deploy, load, act, settle, tail,
// report. Exit 0 when the configuration kept what it promises for this scenario, 1 when it
// lost requests it promised not to lose, 2 for bad usage or a platform that cannot run it.
func runScenario(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCmdline("scenario", scenarioHelp(), stdout, stderr)
	var pf platformFlags
	var lf loadFlags
	pf.register(c.FlagSet)
	lf.register(c.FlagSet, result.ViaService)
	config := c.String("config", "graceful", "the configuration: an overlay directory, or a name under --root")
	root := c.String("root", "k8s/overlays", "where configuration names are looked up (k8s/fast: short timings)")
	out := c.String("out", "", "where the reports go (default: results/<platform>/<config>/<scenario>-<via>)")
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
	if err := lf.check(); err != nil {
		return c.usage(err)
	}
	vias := lf.via.paths
	cfg, err := renderConfig(*config, *root)
	if err != nil {
		return c.fail(2, err)
	}
	newPlatform, _, err := pf.factory(ctx, stdout)
	if err != nil {
		return c.fail(2, err)
	}
	p, err := newPlatform()
	if err != nil {
		return c.fail(2, err)
	}
	defer p.Close()

	code := 0
	for _, via := range vias {
		o := lf.Options
		o.Via = via
		o.Progress = stderr
		fmt.Fprintf(stdout, "== %s: %s on %s via %s, %d requests/s\n", sc.Name, cfg.Name, p.Name(), via, o.Rate)
		r, err := scenario.Run(ctx, p, cfg, sc, o)
		if r != nil {
			dir := *out
			if dir == "" {
				dir = filepath.Join("results", p.Name(), cfg.Name, sc.Name+"-"+via)
			} else if len(vias) > 1 {
				dir = filepath.Join(dir, via)
			}
			if werr := report.WriteRun(dir, r); werr != nil {
				code = c.fail(2, werr)
			}
			report.Text(r)(stdout)
			fmt.Fprintf(stdout, "reports in %s\n", dir)
			if sc.PromisesZero(cfg) && r.Failed() > 0 && code == 0 {
				fmt.Fprintf(stdout, "%s promises zero failed requests in %s and lost %d\n", cfg.Name, sc.Name, r.Failed())
				code = 1
			}
		}
		if err != nil {
			return c.fail(2, err)
		}
		if ctx.Err() != nil {
			return 2
		}
	}
	return code
}

// renderConfig renders an overlay given as a directory, or as a name under root.
func renderConfig(config, root string) (*manifest.Config, error) {
	if st, err := os.Stat(config); err == nil && st.IsDir() {
		return manifest.Render(config)
	}
	dir := filepath.Join(root, config)
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("no configuration %q: neither a directory nor in %s", config, root)
	}
	return manifest.Render(dir)
}
