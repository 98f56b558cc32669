package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"scalelab/loadtest/report"
)

const reportUse = `Usage: loadtest report DIR [flags]

Reads DIR/summary.json, writes report.md, report.txt, timeline.svg and timeline.html
in DIR again, and prints the report.

Flags:
`

// runReport is `loadtest report DIR`: it re-renders a saved run.
func runReport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCmdline("report", reportUse, stdout, stderr)
	format := c.String("format", "text", "what to print: text, markdown, json or none")
	if code, done := c.parse(args); done {
		return code
	}
	if c.NArg() != 1 {
		return c.usage(errors.New("want one run directory"))
	}
	dir := c.Arg(0)
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
