package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"scalelab/loadtest/manifest"
)

var checkHelp = help{
	synopsis: "loadtest check [flags] OVERLAY_DIR|OVERLAYS_ROOT...",
	about: `Renders each overlay with kustomize (or every overlay under a root such as
k8s/overlays) and checks it against the zero-downtime rules: readiness, startup,
propagation, grace period, drain, PodDisruptionBudget, resource requests, maxUnavailable.
One line per rule: ✓ or ✗, the rule, why it matters, what was found.`,
	examples: []string{
		"loadtest check k8s/overlays/graceful",
		"loadtest check k8s/overlays   # every overlay under it",
	},
	exit: [3]string{"every rule passed", "a rule failed", "bad usage, a missing path, or a manifest the lab refuses"},
}

// runCheck is `loadtest check [--propagation D] DIR...`: it renders each overlay (or every
// overlay under a root such as k8s/overlays) and prints one line per rule. Exit 0 when every
// rule passes, 1 when one fails, 2 for bad usage, a bad path or a manifest the lab refuses.
func runCheck(_ context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCmdline("check", checkHelp, stdout, stderr)
	propagation := c.Duration("propagation", manifest.DefaultPropagation,
		"how long proxies may keep routing to a terminating pod (the slowest: Skipper polls every 3s)")
	if code, done := c.parse(args); done {
		return code
	}
	if c.NArg() == 0 {
		return c.usage(errors.New("no overlay given"))
	}
	if *propagation < 0 {
		return c.usage(fmt.Errorf("--propagation %s is negative", *propagation))
	}
	var cfgs []*manifest.Config
	for _, dir := range c.Args() {
		cs, err := renderDir(dir)
		if err != nil {
			return c.fail(2, err)
		}
		cfgs = append(cfgs, cs...)
	}
	code := 0
	for i, cfg := range cfgs {
		if len(cfgs) > 1 {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			fmt.Fprintf(stdout, "%s (%s)\n", cfg.Name, cfg.Dir)
		}
		findings := manifest.Check(cfg, *propagation)
		writeFindings(stdout, findings)
		if !manifest.Passed(findings) {
			code = 1
		}
	}
	return code
}

// renderDir renders one overlay, or every overlay under a root directory.
func renderDir(dir string) ([]*manifest.Config, error) {
	if err := isDir(dir); err != nil {
		return nil, err
	}
	if manifest.IsOverlay(dir) {
		c, err := manifest.Render(dir)
		if err != nil {
			return nil, err
		}
		return []*manifest.Config{c}, nil
	}
	return manifest.RenderAll(dir)
}

// writeFindings prints one line per rule: ✓ or ✗, the rule, why it matters, what was found.
func writeFindings(w io.Writer, fs []manifest.Finding) {
	for _, f := range fs {
		mark := "✗"
		if f.OK {
			mark = "✓"
		}
		fmt.Fprintf(w, "%s %s — %s / %s\n", mark, f.Rule, f.Why, f.Detail)
	}
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
