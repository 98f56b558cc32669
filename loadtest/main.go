// Command loadtest sends load at a service while its pods scale or roll, and reports
// every request that failed. Each subcommand is a function that takes its arguments
// and its output streams and returns the exit status: 0 when everything held, 1 when
// a gate or a promise failed, 2 for bad usage or a run that proves nothing (invalid),
// 128 + the signal's number (130, 143) when a signal cut a run short.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"scalelab/loadtest/result"
)

// command is one subcommand.
type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order usage shows them.
func commands() []command {
	return []command{
		{"attack", "send load at a URL, fire timed commands, report every failed request", runAttack},
		{"report", "render a saved run again: loadtest report DIR", runReport},
		{"scenario", "deploy a configuration, load it while it scales or rolls, report", runScenario},
		{"matrix", "every configuration × scenario × path, with a verdict", runMatrix},
		{"compare", "two saved matrices side by side: the lab against a cluster", runCompare},
		{"check", "lint an overlay against the zero-downtime rules: loadtest check OVERLAY", runCheck},
		{"attacker", "one attacker of --from cluster: its share of the load, every result to stdout", runAttacker},
	}
}

func main() {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		// The first signal stops the load and lets the report be written; with the
		// handler gone, a second one ends the process at once.
		signal.Stop(sigs)
		fmt.Fprintf(os.Stderr, "\nloadtest: %s: stopping, writing the report (again to quit at once)\n", s)
		cancel(signalled{s})
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel(nil)
	os.Exit(code)
}

// signalled is the cause of a context that a signal cancelled.
type signalled struct{ os.Signal }

func (s signalled) Error() string { return s.String() }

// exitStatus is the exit status of a run or a matrix whose outcome is st: 0 it passed
// (or was judged by nothing), 1 it failed, 2 it proves nothing, and when ctx ended it,
// interrupted's.
func exitStatus(ctx context.Context, st result.Status) int {
	switch {
	case st == result.StatusInvalid && ctx.Err() != nil:
		return interrupted(ctx)
	case st == result.StatusInvalid:
		return 2
	case st == result.StatusFail:
		return 1
	}
	return 0
}

// interrupted is the exit status of a run ctx cut short: 128 + the number of the signal
// that ended it, as a shell says it (130 for SIGINT, 143 for SIGTERM); 130 for a cancel
// without one.
func interrupted(ctx context.Context) int {
	var s signalled
	if errors.As(context.Cause(ctx), &s) {
		if n, ok := s.Signal.(syscall.Signal); ok {
			return 128 + int(n)
		}
	}
	return 130
}

// run dispatches args[0] to its subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "loadtest: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: loadtest COMMAND [flags]   (loadtest COMMAND --help: what it does, examples, flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
}
