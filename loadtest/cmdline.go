package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
)

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

// cmdline is what every subcommand does before its own work: its flags, its usage, and
// the two ways to end early: --help (the usage on stdout, exit 0) and bad usage (one line
// naming the problem, then the synopsis, on stderr, exit 2).
type cmdline struct {
	*pflag.FlagSet
	name           string
	help           help
	stdout, stderr io.Writer
}

func newCmdline(name string, h help, stdout, stderr io.Writer) *cmdline {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &cmdline{FlagSet: fs, name: name, help: h, stdout: stdout, stderr: stderr}
}

// parse parses args; when done, the command ends at once with code. A flag's bad value
// is reported as `--at "soon=ls": time: invalid duration "soon"`.
func (c *cmdline) parse(args []string) (code int, done bool) {
	err := c.Parse(args)
	var bad *pflag.InvalidValueError
	switch {
	case errors.Is(err, pflag.ErrHelp):
		fmt.Fprint(c.stdout, c.help.String()+c.FlagUsages())
		return 0, true
	case errors.As(err, &bad):
		return c.usage(fmt.Errorf("--%s %q: %w", bad.GetFlag().Name, bad.GetValue(), errors.Unwrap(bad))), true
	case err != nil:
		return c.usage(err), true
	}
	return 0, false
}

// usage reports bad usage in one line, then the synopsis and where the rest is; it
// returns 2. (The whole usage screen would push the line that matters out of sight.)
func (c *cmdline) usage(err error) int {
	fmt.Fprintf(c.stderr, "loadtest %s: %v\nUsage: %s\nRun 'loadtest %s --help' for the flags, examples and exit status.\n",
		c.name, err, c.help.synopsis, c.name)
	return 2
}

// fail reports any other error in one line and returns code.
func (c *cmdline) fail(code int, err error) int {
	fmt.Fprintf(c.stderr, "loadtest %s: %v\n", c.name, err)
	return code
}

// outDir makes the directory of flag --NAME, where a run's reports go, and checks that
// a file can be written in it: before the run, for one that cannot keep its reports must
// not cost a measurement. An existing file there is refused.
func outDir(name, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return pathError(name, dir, err)
	}
	return writable(name, dir, dir)
}

// outFile makes the directory of flag --NAME's file, as outDir makes --out's (so that
// `--out DIR --junit DIR/junit.xml` works), and checks that the file can be written there
// as report.WriteFile writes it: not over a directory.
func outFile(name, path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("--%s %s: is a directory", name, path)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return pathError(name, path, err)
	}
	return writable(name, path, dir)
}

// writable writes and removes a file in dir.
func writable(name, path, dir string) error {
	f, err := os.CreateTemp(dir, ".loadtest-probe-*")
	if err != nil {
		return pathError(name, path, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// pathError names the flag and its value, and of err's path only what the value does not
// say: "--out x: not a directory", "--junit /no/dir/j.xml: stat /no/dir: no such file or
// directory".
func pathError(name, path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = pe.Err
	}
	return fmt.Errorf("--%s %s: %w", name, path, err)
}
