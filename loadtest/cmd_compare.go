package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/pflag"

	"scalelab/loadtest/report"
)

// runCompare is `loadtest compare DIR_A DIR_B`: two saved matrices side by side. Exit 0
// when they agree on which cells lose requests, 1 when they disagree, 2 for bad usage.
func runCompare(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("compare", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	out := fs.String("out", "", "also write the comparison to this markdown file")
	const use = "Usage: loadtest compare MATRIX_DIR_A MATRIX_DIR_B   (e.g. results/local results/bare)\n"
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, use+fs.FlagUsages())
			return 0
		}
		fmt.Fprintf(stderr, "loadtest compare: %v\n%s%s", err, use, fs.FlagUsages())
		return 2
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(stderr, "loadtest compare: want two matrix directories, got %d\n%s", fs.NArg(), use)
		return 2
	}
	a, err := report.ReadMatrix(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "loadtest compare: %v\n", err)
		return 2
	}
	b, err := report.ReadMatrix(fs.Arg(1))
	if err != nil {
		fmt.Fprintf(stderr, "loadtest compare: %v\n", err)
		return 2
	}
	rep := report.CompareMarkdown(a, b, filepath.Base(fs.Arg(0)), filepath.Base(fs.Arg(1)))
	if err := rep(stdout); err != nil {
		fmt.Fprintf(stderr, "loadtest compare: %v\n", err)
		return 2
	}
	if *out != "" {
		if err := report.WriteFile(*out, rep); err != nil {
			fmt.Fprintf(stderr, "loadtest compare: %v\n", err)
			return 2
		}
	}
	if len(report.Disagreements(a, b)) > 0 {
		return 1
	}
	return 0
}
