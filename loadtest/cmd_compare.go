package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"scalelab/loadtest/report"
)

var compareHelp = help{
	synopsis: "loadtest compare [flags] MATRIX_DIR_A MATRIX_DIR_B",
	about: `Reads matrix.json from two saved matrices, such as the local lab and a cluster,
prints their failed requests cell by cell side by side, and lists the cells where one
lost requests and the other lost none: where the lab does not predict the cluster.`,
	examples: []string{
		"loadtest compare results/lab-fast results/bare",
		"loadtest compare --out /tmp/compare.md results/lab-fast results/bare",
	},
	exit: [3]string{"the two agree on which cells lose requests", "they disagree", "bad usage, or a matrix that could not be read"},
}

// runCompare is `loadtest compare DIR_A DIR_B`: two saved matrices side by side. Exit 0
// when they agree on which cells lose requests, 1 when they disagree, 2 for bad usage.
func runCompare(_ context.Context, args []string, stdout, stderr io.Writer) int {
	c := newCmdline("compare", compareHelp, stdout, stderr)
	out := c.String("out", "", "also write the comparison to this markdown file")
	if code, done := c.parse(args); done {
		return code
	}
	if c.NArg() != 2 {
		return c.usage(fmt.Errorf("want two matrix directories, got %d", c.NArg()))
	}
	a, err := report.ReadMatrix(c.Arg(0))
	if err != nil {
		return c.fail(2, err)
	}
	b, err := report.ReadMatrix(c.Arg(1))
	if err != nil {
		return c.fail(2, err)
	}
	rep := report.CompareMarkdown(a, b, filepath.Base(c.Arg(0)), filepath.Base(c.Arg(1)))
	if err := rep(stdout); err != nil {
		return c.fail(2, err)
	}
	if *out != "" {
		if err := report.WriteFile(*out, rep); err != nil {
			return c.fail(2, err)
		}
	}
	if len(report.Disagreements(a, b)) > 0 {
		return 1
	}
	return 0
}
