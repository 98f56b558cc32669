package report

import (
	"fmt"
	"io"
	"path/filepath"

	"scalelab/loadtest/result"
)

// Why says why a judged run did not pass, a line each: the gates that failed, and why it
// proves nothing (INVALID).
func Why(r *result.Run) []string {
	var why []string
	for _, g := range r.Gates {
		if !g.OK {
			why = append(why, fmt.Sprintf("gate %s failed: %s, limit %s", g.Name, g.Actual, g.Limit))
		}
	}
	for _, w := range r.Invalid {
		why = append(why, "INVALID: "+w)
	}
	return why
}

// ScenarioOutcome is the outcome of a scenario's matrix, whose cells are its paths and
// trials, and a line for each cell that could not run or proves nothing: such a cell
// makes it invalid; a configuration that broke its promise, failed.
func ScenarioOutcome(m *result.Matrix) (result.Status, []string) {
	st, why := result.StatusPass, []string(nil)
	for _, cell := range m.Cells {
		switch cell.Verdict {
		case result.VerdictError:
			why = append(why, fmt.Sprintf("%s via %s could not run: %s", cell.Scenario, cell.Via, cell.Error))
			st = result.StatusInvalid
		case result.VerdictInvalid, result.VerdictInterrupted, result.VerdictNotRun:
			why = append(why, fmt.Sprintf("%s via %s: INVALID: %s", cell.Scenario, cell.Via, Invalidity(cell)))
			st = result.StatusInvalid
		case result.VerdictBroken, result.VerdictNotAsExpected:
			if st == result.StatusPass {
				st = result.StatusFail
			}
		}
	}
	return st, why
}

// CompareDirs reads the matrices saved in dirs a and b and renders their comparison
// in format, markdown or json, each named by its directory; parts says whether a cell's
// loss rates part (Disagreements). An error is a matrix that could not be read.
func CompareDirs(dirA, dirB, format string) (rep Reporter, parts bool, err error) {
	a, err := ReadMatrix(dirA)
	if err != nil {
		return nil, false, err
	}
	b, err := ReadMatrix(dirB)
	if err != nil {
		return nil, false, err
	}
	render := CompareMarkdown
	if format == "json" {
		render = CompareJSON
	}
	return render(a, b, filepath.Base(dirA), filepath.Base(dirB)), len(Disagreements(a, b)) > 0, nil
}

// Rerender reads the run saved in src, writes its reports into dst (src itself, to render
// it in place), and returns what prints it in format: text, markdown, json or none.
func Rerender(src, dst, format string) (Reporter, error) {
	r, err := RenderRun(src, dst)
	if err != nil {
		return nil, err
	}
	return map[string]Reporter{"text": Text(r), "markdown": Markdown(r), "json": JSON(r),
		"none": func(io.Writer) error { return nil }}[format], nil
}
