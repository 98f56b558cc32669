package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"scalelab/loadtest/attack"
	"scalelab/loadtest/kube"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/report"
	"scalelab/loadtest/result"
	"scalelab/loadtest/scenario"
)

// setDir is where a set of configurations lives: a directory as given, else the name of
// one under k8s/ (fast: k8s/fast).
func setDir(set string) string {
	if st, err := os.Stat(set); err == nil && st.IsDir() {
		return set
	}
	return filepath.Join("k8s", set)
}

// runs is what `scenario` and `matrix` share: the configurations to run and the platform
// that runs them, from the flags.
type runs struct {
	cfgs        []*manifest.Config
	newPlatform func() (scenario.Platform, error)
	meta        map[string]string
	cluster     *kube.Cluster // on kube: the cluster, for lanes of its own
}

// configurations renders the named configurations of the set (all of it when none is
// named); with --workload, the one configuration is the running workload, read from the
// cluster.
func (f *platformFlags) configurations(ctx context.Context, set string, names []string, out io.Writer) (*runs, error) {
	if f.kube.Workload != "" { // on kube: platformFlags.check
		f.kube.Out, f.kube.Targets = out, f.targets.urls
		c, err := kube.New(ctx, f.kube)
		if err != nil {
			return nil, err
		}
		cfg, err := c.Adopt(ctx)
		if err != nil {
			return nil, err
		}
		return &runs{cfgs: []*manifest.Config{cfg}, newPlatform: func() (scenario.Platform, error) { return c, nil },
			meta:    map[string]string{"kubernetes": c.Version(), "cluster": c.About(), "namespace": c.Namespace(), "workload": f.kube.Workload},
			cluster: c}, nil
	}
	cfgs, err := selectConfigs(setDir(set), names)
	if err != nil {
		return nil, err
	}
	rs := &runs{cfgs: cfgs}
	if rs.newPlatform, rs.cluster, rs.meta, err = f.factory(ctx, out); err != nil {
		return nil, err
	}
	rs.meta["set"] = set
	return rs, nil
}

// selectConfigs renders every overlay under root, or only the named ones (a name, or a
// directory of its own), in lesson order.
func selectConfigs(root string, names []string) ([]*manifest.Config, error) {
	var out []*manifest.Config
	var fromRoot []string
	for _, n := range names {
		if st, err := os.Stat(n); err == nil && st.IsDir() && manifest.IsOverlay(n) {
			cfg, err := manifest.Render(n)
			if err != nil {
				return nil, err
			}
			out = append(out, cfg)
			continue
		}
		fromRoot = append(fromRoot, n)
	}
	if len(names) > 0 && len(fromRoot) == 0 {
		return out, nil
	}
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
	for _, n := range fromRoot {
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
	switch {
	case os.IsNotExist(err):
		return fmt.Errorf("%s: no such file or directory", path)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s: not a directory", path)
	}
	return nil
}

// judged checks the load flags against each other and the platform's, and returns the
// paths to load and the gates to judge by (nil: the promises alone).
func (lf *loadFlags) judged(pf *platformFlags, viaSet bool) ([]string, *attack.Gates, error) {
	if err := pf.check(); err != nil {
		return nil, nil, err
	}
	if err := lf.check(); err != nil {
		return nil, nil, err
	}
	if lf.trials == 0 {
		lf.trials = trialsOn(pf.name)
	}
	if err := lf.from.apply(pf, lf, viaSet); err != nil { // cmd_from.go
		return nil, nil, err
	}
	gates, err := lf.gates.get()
	if err != nil {
		return nil, nil, err
	}
	vias, err := pf.paths(lf, viaSet)
	return vias, gates, err
}

// paths checks the --via paths against what the flags can reach: with --target, only the
// targets' names (and by default all of them).
func (f *platformFlags) paths(lf *loadFlags, viaSet bool) ([]string, error) {
	if len(f.targets.names) == 0 {
		for _, v := range lf.via.paths {
			if v != result.ViaService && v != result.ViaIngress && f.name != platformKube {
				return nil, fmt.Errorf("--via %s: the lab has the paths service and ingress", v)
			}
		}
		return lf.via.paths, nil
	}
	if !viaSet {
		return f.targets.names, nil
	}
	for _, v := range lf.via.paths {
		if _, ok := f.targets.urls[v]; !ok && v != result.ViaService && v != result.ViaIngress {
			return nil, fmt.Errorf("--via %s: no --target of that name (given: %s)", v, strings.Join(f.targets.names, ", "))
		}
	}
	return lf.via.paths, nil
}

// finish writes what every matrix run leaves behind — matrix.md, matrix.json and, when
// asked, the JUnit report — with the provenance of the run.
func finish(m *result.Matrix, dir, junit string, meta ...map[string]string) error {
	m.Meta = map[string]string{
		"go": runtime.Version(), "machine": fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()),
	}
	for _, mt := range meta {
		maps.Copy(m.Meta, mt)
	}
	if err := report.WriteMatrix(dir, m); err != nil {
		return err
	}
	if junit != "" {
		rel, err := filepath.Rel(filepath.Dir(junit), dir)
		if err != nil {
			rel = dir
		}
		if err := report.WriteFile(junit, report.MatrixJUnit(m, rel)); err != nil {
			return err
		}
	}
	return nil
}
