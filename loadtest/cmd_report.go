package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"scalelab/loadtest/report"
)

var reportHelp = help{
	synopsis: "loadtest report [flags] RUN_DIR",
	about: `Reads RUN_DIR/summary.json, a run saved by attack, scenario or matrix, writes
report.md, report.txt, timeline.svg and timeline.html beside it again (after an upgrade
of loadtest, or to get them from a summary alone), and prints the report.`,
	examples: []string{
		"loadtest report results/run-x",
		`loadtest report --format markdown results/run-x >> "$GITHUB_STEP_SUMMARY"`,
	},
	exit: [3]string{"the report is written", "the run could not be read or written", "bad usage, or RUN_DIR is missing or unreadable"},
}

// runReport is `loadtest report DIR`: it re-renders a saved run.
func runReport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCmdline("report", reportHelp, stdout, stderr)
	format := c.String("format", "text", "what to print: text, markdown, json or none")
	if code, done := c.parse(args); done {
		return code
	}
	if c.NArg() != 1 {
		return c.usage(errors.New("want one run directory"))
	}
	dir := c.Arg(0)
	if _, err := os.ReadDir(dir); err != nil { // missing, not a directory, or unreadable
		return c.usage(cmp.Or(isDir(dir), err))
	}
	r, err := report.ReadRun(dir)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest report: %v\n", err)
		return 1
	}
	var print report.Reporter
	switch *format {
	case "text":
		print = report.Text(r)
	case "markdown":
		print = report.Markdown(r)
	case "json":
		print = report.JSON(r)
	case "none":
		print = func(io.Writer) error { return nil }
	default:
		return c.usage(fmt.Errorf("--format %q: want text, markdown, json or none", *format))
	}
	if err := report.WriteRun(dir, r); err != nil {
		fmt.Fprintf(stderr, "loadtest report: %v\n", err)
		return 1
	}
	if err := print(stdout); err != nil {
		fmt.Fprintf(stderr, "loadtest report: %v\n", err)
		return 1
	}
	return 0
}
