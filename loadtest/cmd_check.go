package main

import (
	"context"
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

// check prints what lint found in the paths, a line per finding or, as JSON, one list. A
// missing path or a bad file is a setup error, before anything is printed; a rule that
// fails, the verdict.
func check(paths []string, propagation time.Duration, asJSON bool, stdin io.Reader, stdout io.Writer) error {
	r, err := lint.Paths(paths, propagation, stdin)
	if err != nil {
		return setupError{err}
	}
	if asJSON {
		if err := r.JSON(stdout); err != nil {
			return err
		}
	} else {
		r.Text(stdout)
	}
	if r.Failed() {
		return verdict{status: result.StatusFail}
	}
	return nil
}

func countOf(ss []string, s string) int {
	return len(slices.DeleteFunc(slices.Clone(ss), func(x string) bool { return x != s }))
}
