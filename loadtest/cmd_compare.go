package main

import (
	"context"

	"scalelab/loadtest/report"
	"scalelab/loadtest/result"
)

var compareHelp = help{
	synopsis: "loadtest compare [flags] MATRIX_DIR_A MATRIX_DIR_B",
	about: `Reads matrix.json from two saved matrices, such as the local lab and a cluster, and
compares them cell by cell, by loss rate: every lesson is a race, so a cell's outcome is
the trials that lost at least one request, of those that ran (k of n; a matrix run once
is 1 of 1 or 0 of 1), shown with its exact 95 % interval (Clopper–Pearson), what that
many trials allow: 3/3 is 29–100 %. Beside it, the failed requests, median / maximum
over the trials, by class.

Two cells disagree when Fisher's exact test (two-sided) on the table of trials, lost or
not × A or B, gives p < 0.05. Few trials cannot show that: one a side always gives p = 1,
0/3 against 3/3 gives 0.1, 0/4 against 4/4 gives 0.029. So a cell where one side lost
in every trial and the other in none also counts, as "apart": it is as far apart as its
trials can show, and with one trial a side it is what compare judged before trials, loss
against none. Run the matrices with --trials 4 or more to let the test decide. Trials
that could not run are no draws; cells only one matrix has are shown, not judged.`,
	examples: []string{
		"loadtest compare results/lab-fast results/bare",
		"loadtest compare --out /tmp/compare.md results/lab-fast results/bare",
		"loadtest compare --format json runs/lab runs/bare",
	},
	exit: [3]string{"the two agree on every cell they both ran", "some cell disagrees or is apart",
		"bad usage, or a matrix that could not be read"},
}

// compareCmd is `loadtest compare DIR_A DIR_B`: two saved matrices side by side, by
// each cell's loss rate over its trials.
func compareCmd(s streams) command {
	c := newCommand(compareHelp)
	format := c.flags.String("format", "markdown", "what to print: markdown, or json (every cell's rates, p-value and verdict)")
	out := c.flags.String("out", "", "also write the comparison to this file, in the same format")
	c.run = func(_ context.Context, args []string) error {
		if *format != "markdown" && *format != "json" {
			return usagef("--format %q: want markdown or json", *format)
		}
		if len(args) != 2 {
			return usagef("want two matrix directories, got %d", len(args))
		}
		if *out != "" { // before the matrices are read, as every output path
			if err := outFile("out", *out); err != nil {
				return usageError{err}
			}
		}
		rep, parts, err := report.CompareDirs(args[0], args[1], *format)
		if err != nil {
			return setupError{err}
		}
		if err := rep(s.stdout); err != nil {
			return err
		}
		if *out != "" {
			if err := report.WriteFile(*out, rep); err != nil {
				return err
			}
		}
		if parts { // the two disagree
			return verdict{status: result.StatusFail}
		}
		return nil
	}
	return c
}
