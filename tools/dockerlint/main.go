// Command dockerlint checks Dockerfiles offline with BuildKit's own parser and the lint
// rules of `docker build --check`, for machines that have no Docker engine.
//
//	dockerlint Dockerfile [...]
//
// It prints one line per finding and exits 1 when there is any, 2 when a file cannot be read.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(files []string, stdout, stderr io.Writer) int {
	if len(files) == 0 {
		fmt.Fprintln(stderr, "usage: dockerlint Dockerfile [...]")
		return 2
	}
	findings := 0
	for _, name := range files {
		n, err := lint(name, stdout)
		if err != nil {
			fmt.Fprintf(stderr, "dockerlint: %v\n", err)
			return 2
		}
		findings += n
	}
	if findings > 0 {
		return 1
	}
	return 0
}

// lint prints the findings of one Dockerfile and returns how many there were.
func lint(name string, out io.Writer) (int, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	res, err := parser.Parse(f)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	n := 0
	for _, w := range res.Warnings {
		fmt.Fprintf(out, "%s:%d: %s\n", name, w.Location.Start.Line, w.Short)
		n++
	}
	l := linter.New(&linter.Config{Warn: func(rule, _, _, msg string, loc []parser.Range) {
		line := 0
		if len(loc) > 0 {
			line = loc[0].Start.Line
		}
		fmt.Fprintf(out, "%s:%d: %s: %s\n", name, line, rule, msg)
		n++
	}})
	if _, _, err := instructions.Parse(res.AST, l); err != nil {
		return n, fmt.Errorf("%s: %w", name, err)
	}
	return n, nil
}
