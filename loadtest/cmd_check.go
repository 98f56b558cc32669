package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"scalelab/loadtest/lint"
	"scalelab/loadtest/manifest"
	"scalelab/loadtest/result"
)

var checkHelp = help{
	synopsis: "loadtest check [flags] PATH...",
	about: `Lints every container of every Deployment and StatefulSet against the zero-downtime
rules: readiness, startup, propagation, grace period, drain, resource requests, and per
workload the PodDisruptionBudget and maxUnavailable. Each container is judged by its role:
one with a port the Service targets (with no Service, one with a port) serves; a sidecar
is judged, instead of readiness, startup and propagation, by whether it outlives the app
when it carries traffic (it has a port): as a native sidecar, or by a preStop at least as
long as the app's preStop + shutdown delay. PATH is a kustomize directory, a directory of
overlays (k8s/overlays), a YAML or JSON file or a directory of them (as helm template
prints), or - for the standard input. One line per finding: ✓ or ✗, the object and
container, the rule, why it matters, what was found, the role assumed and why. An app that
is not hello declares its timing by pod-template annotations: scalelab.dev/startup-delay,
request-delay, shutdown-delay, drain-timeout (e.g. 5s); what nobody declares counts as 0.`,
	examples: []string{
		"loadtest check k8s/overlays/graceful",
		"loadtest check k8s/overlays   # every overlay under it",
		"helm template my-release ./chart | loadtest check --format json -",
	},
	exit: [3]string{"every rule passed", "a rule failed", "bad usage, a missing path or a bad file"},
}

// checkCmd is `loadtest check [--propagation D] [--format text|json] PATH...`, reading
// "-" from stdin.
func checkCmd(s streams) command {
	c := newCommand(checkHelp)
	propagation := c.flags.Duration("propagation", manifest.DefaultPropagation,
		"how long proxies may keep routing to a terminating pod (the slowest: Skipper polls every 3s)")
	format := c.flags.String("format", "text", "text: a line per finding; json: the findings as a JSON list")
	c.run = func(_ context.Context, args []string) error {
		switch {
		case len(args) == 0:
			return usagef("no path given")
		case *propagation < 0:
			return usagef("--propagation %s is negative", *propagation)
		case *format != "text" && *format != "json":
			return usagef("--format %q: want text or json", *format)
		case countOf(args, manifest.Stdin) > 1:
			return usagef("- (the standard input) given more than once")
		}
		return check(args, *propagation, *format == "json", s.stdin, s.stdout)
	}
	return c
}

// check reads each path (manifest.Sources, manifest.Load) and prints one line per
// finding, naming the workload and the container, grouped per workload; or, as JSON,
// the findings as one list. A missing path or a bad file is a setup error, before
// anything is printed; a rule that fails, the verdict.
func check(paths []string, propagation time.Duration, asJSON bool, stdin io.Reader, stdout io.Writer) error {
	var all []*manifest.Manifests
	for _, arg := range paths {
		srcs, err := manifest.Sources(arg)
		if err != nil {
			return setupError{err}
		}
		for _, src := range srcs {
			m, err := manifest.Load(src, stdin)
			if err != nil {
				return setupError{err}
			}
			all = append(all, m)
		}
	}
	var out []sourcedFinding
	failed := false
	for _, m := range all {
		for _, f := range lint.Manifests(m, propagation) {
			out = append(out, sourcedFinding{Source: m.Source, Finding: f})
			failed = failed || !f.OK
		}
	}
	if asJSON {
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		writeFindings(stdout, out, len(all) > 1)
	}
	if failed {
		return verdict{status: result.StatusFail}
	}
	return nil
}

// sourcedFinding is a finding and the path it was read from, as --format json prints it.
type sourcedFinding struct {
	Source string `json:"source"`
	lint.Finding
}

// writeFindings prints one line per finding: ✓ or ✗, the workload and the container
// (deployment/web[envoy]; the workload alone for its own rules), the rule, why it matters,
// what was found, and the container's role and why. A blank line separates the
// workloads, and a header names each source when there are several.
func writeFindings(w io.Writer, fs []sourcedFinding, headers bool) {
	for i, f := range fs {
		newSource := i == 0 || f.Source != fs[i-1].Source
		if i > 0 && (newSource || f.Object != fs[i-1].Object) {
			fmt.Fprintln(w)
		}
		if headers && newSource {
			fmt.Fprintf(w, "%s\n", f.Source)
		}
		mark := "✗"
		if f.OK {
			mark = "✓"
		}
		about := f.Object
		if f.Container != "" {
			about += "[" + f.Container + "]"
		}
		role := ""
		if f.Role != "" {
			role = " — " + f.Role
		}
		fmt.Fprintf(w, "%s %s %s — %s / %s%s\n", mark, about, f.Rule, f.Why, f.Detail, role)
	}
}

func countOf(ss []string, s string) int {
	return len(slices.DeleteFunc(slices.Clone(ss), func(x string) bool { return x != s }))
}
