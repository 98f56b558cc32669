package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"
)

// command is one subcommand, made afresh for each use: its help, its flags, and what it
// does with the arguments the flags leave.
type command struct {
	help  help
	flags *pflag.FlagSet
	run   func(ctx context.Context, args []string) error
}

// newCommand is a command with an empty flag set, to which the caller adds its flags.
func newCommand(h help) command {
	fs := pflag.NewFlagSet("loadtest", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return command{help: h, flags: fs}
}

// execute parses args and runs the command. --help prints the help on stdout; a flag's
// bad value is a usage error in one line: `--at "soon=ls": time: invalid duration "soon"`.
func (c command) execute(ctx context.Context, args []string, stdout io.Writer) error {
	err := c.flags.Parse(args)
	var bad *pflag.InvalidValueError
	switch {
	case errors.Is(err, pflag.ErrHelp):
		fmt.Fprint(stdout, c.help.String()+c.flags.FlagUsages())
		return nil
	case errors.As(err, &bad):
		return usagef("--%s %q: %w", bad.GetFlag().Name, bad.GetValue(), errors.Unwrap(bad))
	case err != nil:
		return usageError{err}
	}
	return c.run(ctx, c.flags.Args())
}

// help is what `loadtest COMMAND --help` says before the flags, in this order.
type help struct {
	synopsis string    // "loadtest check [flags] DIR..."
	about    string    // what the command does: a paragraph, wrapped by hand
	examples []string  // real commands that work as shown; a long one continues with \
	exit     [3]string // what exit status 0, 1 and 2 mean
	signals  bool      // it runs load: a signal cuts the run short (130, 143)
}

func (h help) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s\n\nExamples:\n", h.synopsis, h.about)
	for _, e := range h.examples {
		fmt.Fprintf(&b, "  %s\n", e)
	}
	fmt.Fprintf(&b, "\nExit status:\n")
	for code, meaning := range h.exit {
		fmt.Fprintf(&b, "  %d  %s\n", code, meaning)
	}
	if h.signals {
		fmt.Fprintf(&b, "  130  SIGINT (Ctrl-C) cut the run short: INVALID, the report of what was measured written\n")
		fmt.Fprintf(&b, "  143  SIGTERM cut the run short: the same\n")
	}
	fmt.Fprintf(&b, "\nFlags:\n")
	return b.String()
}
