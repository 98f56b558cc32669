package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"
)

// cmdline is what every subcommand does before its own work: its flags, its usage, and
// the two ways to end early: --help (the usage on stdout, exit 0) and bad usage (one line
// naming the problem, then the usage, on stderr, exit 2).
type cmdline struct {
	*pflag.FlagSet
	name, use      string
	stdout, stderr io.Writer
}

func newCmdline(name, use string, stdout, stderr io.Writer) *cmdline {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &cmdline{FlagSet: fs, name: name, use: use, stdout: stdout, stderr: stderr}
}

// parse parses args; when done, the command ends at once with code.
func (c *cmdline) parse(args []string) (code int, done bool) {
	err := c.Parse(args)
	switch {
	case errors.Is(err, pflag.ErrHelp):
		fmt.Fprint(c.stdout, c.use+c.FlagUsages())
		return 0, true
	case err != nil:
		return c.usage(err), true
	}
	return 0, false
}

// usage reports bad usage, then the usage; it returns 2.
func (c *cmdline) usage(err error) int {
	fmt.Fprintf(c.stderr, "loadtest %s: %v\n%s%s", c.name, err, c.use, c.FlagUsages())
	return 2
}

// fail reports any other error in one line and returns code.
func (c *cmdline) fail(code int, err error) int {
	fmt.Fprintf(c.stderr, "loadtest %s: %v\n", c.name, err)
	return code
}
