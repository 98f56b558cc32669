package report

import (
	"fmt"
	"io"
	"strings"

	"scalelab/loadtest/result"
)

// Disagreement is a cell where two matrices part: one lost requests, the other none.
type Disagreement struct {
	Config, Scenario, Via string
	A, B                  result.Cell
}

// Disagreements lists the cells present in both matrices where one lost requests and the
// other lost none: the findings a comparison of the lab with a cluster exists to show.
func Disagreements(a, b *result.Matrix) []Disagreement {
	var out []Disagreement
	for _, ca := range a.Cells {
		cb, ok := cell(b, ca.Config, ca.Scenario, ca.Via)
		if !ok || ca.Error != "" || cb.Error != "" {
			continue
		}
		if (ca.Errors.Total() == 0) != (cb.Errors.Total() == 0) {
			out = append(out, Disagreement{ca.Config, ca.Scenario, ca.Via, ca, cb})
		}
	}
	return out
}

// CompareMarkdown puts two matrices side by side, cell by cell, and lists where they
// disagree. Cells only one of them has are shown with a dash for the other.
func CompareMarkdown(a, b *result.Matrix, nameA, nameB string) Reporter {
	return func(w io.Writer) error {
		p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
		p("# %s beside %s\n\n", nameA, nameB)
		p("| configuration | scenario | via | %s | %s |\n|---|---|---|---|---|\n", nameA, nameB)
		for _, ca := range a.Cells {
			right := "–"
			if cb, ok := cell(b, ca.Config, ca.Scenario, ca.Via); ok {
				right = cellSummary(cb)
			}
			p("| %s | %s | %s | %s | %s |\n", ca.Config, ca.Scenario, ca.Via, cellSummary(ca), right)
		}
		for _, cb := range b.Cells {
			if _, ok := cell(a, cb.Config, cb.Scenario, cb.Via); !ok {
				p("| %s | %s | %s | – | %s |\n", cb.Config, cb.Scenario, cb.Via, cellSummary(cb))
			}
		}
		ds := Disagreements(a, b)
		if len(ds) == 0 {
			p("\nThe two agree on every cell they share: where one lost requests, so did the other.\n")
			return nil
		}
		p("\n%d cell(s) where one lost requests and the other none:\n\n", len(ds))
		for _, d := range ds {
			p("- %s / %s via %s: %s %s, %s %s\n", d.Config, d.Scenario, d.Via,
				nameA, strings.ToLower(cellSummary(d.A)), nameB, strings.ToLower(cellSummary(d.B)))
		}
		return nil
	}
}
