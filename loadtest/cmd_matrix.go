package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/report"
	"scalelab/loadtest/result"
	"scalelab/loadtest/scenario"
)

var matrixHelp = help{
	synopsis: "loadtest matrix [flags]",
	about: `Runs every configuration under --root (one overlay each) through every scenario
and every --via path, saves each run in --out with matrix.md and matrix.json beside
them, and judges each configuration by what it promises (annotation
scalelab.dev/promise): one promising zero must lose no request, and the control,
promising nothing, must lose some, or the testbed could not see a loss.`,
	examples: []string{
		"loadtest matrix --platform local --root k8s/fast --out results/local-fast",
		"loadtest matrix --platform kube --ingress-url http://127.0.0.1:30081/ --out results/kind",
	},
	exit: [3]string{"every promise held and the control lost requests", "a promise failed, or the control lost nothing", "bad usage, or a platform that could not run"},
}

// runMatrix is `loadtest matrix`: every configuration × scenario × path, the runs saved
// under --out with matrix.md and matrix.json beside them. The exit status is the verdict:
// 0 when every promise held and the control lost requests, 1 otherwise, 2 for bad usage.
func runMatrix(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCmdline("matrix", matrixHelp, stdout, stderr)
	var pf platformFlags
	var lf loadFlags
	pf.register(c.FlagSet)
	lf.register(c.FlagSet, result.ViaService, result.ViaIngress)
	root := c.String("root", "k8s/fast", "the configurations: every overlay under this directory (k8s/overlays: the tutorial's timings)")
	configs := c.StringSlice("configs", nil, "only these configurations (default: all under --root)")
	scenarios := c.StringSlice("scenarios", scenario.DefaultScenarios, "the scenarios, in order")
	out := c.String("out", "", "where the matrix goes (default: results/<platform>)")
	lanes := c.Int("lanes", 0, "local: how many configuration × path lanes run side by side, each in a lab of its own (0: as many as the open-file limit allows)")
	meta := c.StringToString("meta", nil, "key=value for the matrix's provenance, e.g. ingress=skipper-v0.23.0 (repeatable)")
	if code, done := c.parse(args); done {
		return code
	}
	if c.NArg() > 0 {
		return c.usage(fmt.Errorf("unexpected argument %q", c.Arg(0)))
	}
	if err := lf.check(); err != nil {
		return c.usage(err)
	}
	vias := lf.via.paths
	var scs []scenario.Scenario
	for _, name := range *scenarios {
		sc, err := scenario.Lookup(name)
		if err != nil {
			return c.usage(err)
		}
		scs = append(scs, sc)
	}
	cfgs, err := selectConfigs(*root, *configs)
	if err != nil {
		return c.fail(2, err)
	}
	newPlatform, platformMeta, err := pf.factory(ctx, io.Discard)
	if err != nil {
		return c.fail(2, err)
	}
	dir := *out
	if dir == "" {
		dir = filepath.Join("results", pf.name)
	}

	n := 1
	if pf.name == "local" {
		n = *lanes
		if n <= 0 {
			n = localLanes(cfgs, lf.Rate, len(cfgs)*len(vias))
		}
	}
	fmt.Fprintf(stdout, "matrix: %d configurations × %d scenarios × %d paths on %s, %d requests/s, %d lanes at once; runs in %s\n",
		len(cfgs), len(scs), len(vias), pf.name, lf.Rate, n, dir)
	m, err := scenario.RunMatrix(ctx, newPlatform, scenario.MatrixOptions{
		Options: lf.Options, Configs: cfgs, Scenarios: scs, Vias: vias,
		Lanes: n,
		Save: func(run string, r *result.Run) error {
			fmt.Fprintf(stdout, "  %-14s %-16s %-8s %6d requests, %d failed\n",
				r.Meta["config"], r.Meta["scenario"], r.Meta["via"], r.Requests, r.Failed())
			return report.WriteRun(filepath.Join(dir, run), r)
		},
	})
	m.Meta = map[string]string{
		"root": *root, "rate": fmt.Sprint(lf.Rate), "keepalive": fmt.Sprint(lf.KeepAlive),
		"go": runtime.Version(), "machine": fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()),
	}
	maps.Copy(m.Meta, platformMeta)
	maps.Copy(m.Meta, *meta)
	if werr := report.WriteMatrix(dir, m); werr != nil {
		return c.fail(2, werr)
	}
	report.MatrixText(m)(stdout)
	fmt.Fprintf(stdout, "matrix in %s\n", filepath.Join(dir, "matrix.md"))
	if err != nil {
		return c.fail(2, err)
	}
	if !m.Passed() {
		return 1
	}
	return 0
}

// selectConfigs renders every overlay under root, or only the named ones, in lesson order.
func selectConfigs(root string, names []string) ([]*manifest.Config, error) {
	if err := isDir(root); err != nil {
		return nil, err
	}
	all, err := manifest.RenderAll(root)
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return all, nil
	}
	var out []*manifest.Config
	for _, n := range names {
		i := slices.IndexFunc(all, func(c *manifest.Config) bool { return c.Name == n })
		if i < 0 {
			var known []string
			for _, c := range all {
				known = append(known, c.Name)
			}
			return nil, fmt.Errorf("no configuration %q under %s (known: %s)", n, root, strings.Join(known, ", "))
		}
		out = append(out, all[i])
	}
	return out, nil
}

// isDir says, naming the path, why path is not a directory: "k8s/nope: no such file or
// directory".
func isDir(path string) error {
	st, err := os.Stat(path)
	var pe *os.PathError
	switch {
	case errors.As(err, &pe):
		return fmt.Errorf("%s: %w", path, pe.Err)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s: not a directory", path)
	}
	return nil
}
