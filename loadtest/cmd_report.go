package main

import (
	"cmp"
	"context"
	"os"
	"slices"

	"scalelab/loadtest/manifest"
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

// reportCmd is `loadtest report DIR`: it renders a saved run again.
func reportCmd(s streams) command {
	c := newCommand(reportHelp)
	format := c.flags.String("format", "text", "what to print: text, markdown, json or none")
	c.run = func(_ context.Context, args []string) error {
		if len(args) != 1 {
			return usagef("want one run directory")
		}
		if _, err := os.ReadDir(args[0]); err != nil { // missing, not a directory, or unreadable
			return usageError{cmp.Or(manifest.IsDir(args[0]), err)}
		}
		if !slices.Contains([]string{"text", "markdown", "json", "none"}, *format) {
			return usagef("--format %q: want text, markdown, json or none", *format)
		}
		print, err := report.Rerender(args[0], *format)
		if err != nil {
			return err
		}
		return print(s.stdout)
	}
	return c
}
