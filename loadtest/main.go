// Command loadtest sends load at a service while its pods scale or roll, and reports
// every request that failed. This package is its command line and nothing else: each
// cmd_*.go is one subcommand (its help, its flags, a short run function that hands plain
// values to the packages under loadtest/, which do the work); flags.go holds the flag
// groups scenario and matrix share (a value of a shape of its own is a flagvalue),
// check.go and resolve.go check them once, before any load, into a plan. Every command
// returns an error, and exit.go prints it once and maps it to the exit status: 0 when
// everything held, 1 when a gate or a promise failed or the work met an error, 2 for bad
// usage or a run that proves nothing (invalid), 130 or 143 when a signal cut a run short.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"scalelab/internal/version"
	"syscall"
)

// commands are the subcommands, in the order usage shows them.
var commands = []struct {
	name, summary string
	new           func(streams) command
}{
	{"attack", "send load at a URL, fire timed commands, report every failed request", attackCmd},
	{"report", "render a saved run again: loadtest report DIR", reportCmd},
	{"scenario", "deploy a configuration, load it while it scales or rolls, report", scenarioCmd},
	{"matrix", "every configuration × scenario × path, with a verdict", matrixCmd},
	{"compare", "two saved matrices side by side: the lab against a cluster", compareCmd},
	{"check", "lint an overlay against the zero-downtime rules: loadtest check OVERLAY", checkCmd},
	{"attacker", "one attacker of --from cluster: its share of the load, every result to stdout", attackerCmd},
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
	code := run(ctx, os.Args[1:], streams{os.Stdin, os.Stdout, os.Stderr})
	cancel(nil)
	os.Exit(code)
}

// streams are what a command reads and writes besides its files.
type streams struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// run dispatches args[0] to its subcommand and returns the exit status.
func run(ctx context.Context, args []string, s streams) int {
	if len(args) == 0 {
		usage(s.stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help":
		usage(s.stdout)
		return 0
	case "version", "--version":
		fmt.Fprintln(s.stdout, "loadtest", version.String())
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			cmd := c.new(s)
			return exit(ctx, s.stderr, c.name, cmd.help.synopsis, cmd.execute(ctx, args[1:], s.stdout))
		}
	}
	fmt.Fprintf(s.stderr, "loadtest: unknown command %q\n", args[0])
	usage(s.stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: loadtest COMMAND [flags]   (loadtest COMMAND --help: what it does, examples, flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-9s %s\n", "version", "print loadtest's version (make dist stamps the release's)")
}
