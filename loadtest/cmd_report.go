package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"scalelab/loadtest/report"
)

const reportUse = `Usage: loadtest report DIR [flags]

Reads DIR/summary.json, writes report.md, report.txt, timeline.svg and timeline.html
in DIR again, and prints the report.

Flags:
`

// runReport is `loadtest report DIR`: it re-renders a saved run.
func runReport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("report", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	format := fs.String("format", "text", "what to print: text, markdown, json or none")
	bad := func(err error) int {
		fmt.Fprintf(stderr, "loadtest report: %v\n\n%s%s", err, reportUse, fs.FlagUsages())
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, reportUse+fs.FlagUsages())
			return 0
		}
		return bad(err)
	}
	if fs.NArg() != 1 {
		return bad(errors.New("want one run directory"))
	}
	dir := fs.Arg(0)
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
		return bad(fmt.Errorf("--format %q: want text, markdown, json or none", *format))
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
