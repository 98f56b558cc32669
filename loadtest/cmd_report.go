package main

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"slices"

	"scalelab/loadtest/manifest"
	"scalelab/loadtest/report"
	"scalelab/loadtest/result"
)

var reportHelp = help{
	synopsis: "loadtest report [flags] RUN_DIR|MATRIX_DIR",
	about: `Reads RUN_DIR/summary.json, a run saved by attack, scenario or matrix, writes
summary.json, report.md, report.txt, timeline.svg and timeline.html into --out DIR, or
beside it again without --out (after an upgrade of loadtest, or to get them from a summary
alone), and prints the report.

A MATRIX_DIR (one with matrix.json) renders every run saved under it, each into the same
place under --out (or in place), copies matrix.json and matrix.md to --out so that the
write-up's links lead to the reports, and prints each run's directory; --format is text
(those lines) or none. The committed results/ keep the summaries only: render them with
--out.`,
	examples: []string{
		"loadtest report results/run-x",
		"loadtest report --out /tmp/bare results/bare",
		`loadtest report --format markdown results/run-x >> "$GITHUB_STEP_SUMMARY"`,
	},
	exit: [3]string{"the report is written", "a run could not be read or written", "bad usage, or the directory is missing or unreadable"},
}

// reportCmd is `loadtest report DIR`: it renders a saved run, or a matrix's, again.
func reportCmd(s streams) command {
	c := newCommand(reportHelp)
	format := c.flags.String("format", "text", "what to print: text, markdown, json or none")
	out := c.flags.String("out", "", "write the renderings into this directory, not beside summary.json")
	c.run = func(_ context.Context, args []string) error {
		if len(args) != 1 {
			return usagef("want one run or matrix directory")
		}
		if _, err := os.ReadDir(args[0]); err != nil { // missing, not a directory, or unreadable
			return usageError{cmp.Or(manifest.IsDir(args[0]), err)}
		}
		if !slices.Contains([]string{"text", "markdown", "json", "none"}, *format) {
			return usagef("--format %q: want text, markdown, json or none", *format)
		}
		dst := cmp.Or(*out, args[0])
		if !report.IsMatrix(args[0]) {
			print, err := report.Rerender(args[0], dst, *format)
			if err != nil {
				return err
			}
			return print(s.stdout)
		}
		if *format != "text" && *format != "none" {
			return usagef("--format %s prints one run; %s is a matrix: want text or none", *format, args[0])
		}
		return report.RenderMatrix(args[0], dst, func(dir string, _ *result.Run) {
			if *format == "text" {
				fmt.Fprintln(s.stdout, dir)
			}
		})
	}
	return c
}
