package report

import (
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"scalelab/loadtest/explain"
	"scalelab/loadtest/lossrate"
	"scalelab/loadtest/result"
)

// The files of a matrix directory, beside one directory per run.
const (
	MatrixJSONFile     = "matrix.json"
	MatrixMarkdownFile = "matrix.md"
)

// WriteMatrix writes matrix.json and matrix.md into dir, creating it. Each losing cell
// whose run is saved in dir gets its attribution first (Cell.Blame).
func WriteMatrix(dir string, m *result.Matrix) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	attribute(dir, m)
	m.Status = m.Outcome()
	if err := WriteFile(filepath.Join(dir, MatrixJSONFile), JSON(m)); err != nil {
		return fmt.Errorf("write matrix %s: %w", dir, err)
	}
	if err := WriteFile(filepath.Join(dir, MatrixMarkdownFile), MatrixMarkdown(m)); err != nil {
		return fmt.Errorf("write matrix %s: %w", dir, err)
	}
	return nil
}

// ReadMatrix reads dir/matrix.json, of any schema (result.DecodeMatrix).
func ReadMatrix(dir string) (*result.Matrix, error) {
	path := filepath.Join(dir, MatrixJSONFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return result.DecodeMatrix(b, path)
}

// attribute sets the Blame of each cell that lost requests and has none yet from its
// run's summary.json under dir; a run that cannot be read leaves it "".
func attribute(dir string, m *result.Matrix) {
	for i := range m.Cells {
		c := &m.Cells[i]
		if c.Blame != "" || c.Errors.Total() == 0 || c.Dir == "" {
			continue
		}
		if r, err := ReadRun(filepath.Join(dir, c.Dir)); err == nil {
			c.Blame = Attribution(r)
		}
	}
}

// Attribution is a run's largest attribution in one line, as BlameLine says it, with how
// many more its report names: "0.250s–3.500s hello-a: SIGTERM at ...: 96 × 502 (+1 more
// in the report)"; "" when no window names a pod.
func Attribution(r *result.Run) string {
	var best, n int
	var line string
	for _, w := range explain.Windows(r) {
		for _, b := range w.Blame {
			if b.Pod == "" {
				continue
			}
			n++
			if t := b.Errors.Total(); t > best {
				best, line = t, BlameLine(w, b)
			}
		}
	}
	if n > 1 {
		line += fmt.Sprintf(" (+%d more in the report)", n-1)
	}
	return line
}

// MatrixVerdict is the matrix's headline: PASS, FAIL with how many problems, or INVALID
// with how many cells prove nothing and why.
func MatrixVerdict(m *result.Matrix) string {
	switch m.Outcome() {
	case result.StatusPass:
		if slices.ContainsFunc(m.Configs, func(cfg string) bool { return promise(m, cfg) == string(result.PromiseNothing) }) {
			return "PASS: every promise held, and the control lost requests in every scenario"
		}
		return "PASS: every promise and expectation held"
	case result.StatusFail:
		return fmt.Sprintf("FAIL: %d problem(s)", len(m.Problems))
	}
	var cut, notRun, invalid int
	for _, c := range m.Cells {
		switch {
		case c.NotRun:
			notRun++
		case c.Interrupted:
			cut++
		case len(c.Invalid) > 0:
			invalid++
		}
	}
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{cut, "cut short"}, {notRun, "not run"}, {invalid, "invalid"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	s := fmt.Sprintf("INVALID: %s of %d cells", strings.Join(parts, ", "), len(m.Cells))
	if m.Interrupted {
		s = "INVALID: interrupted, " + strings.TrimPrefix(s, "INVALID: ")
	}
	return s
}

// cell finds one cell of the matrix.
func cell(m *result.Matrix, config, scenario, via string) (result.Cell, bool) {
	i := slices.IndexFunc(m.Cells, func(c result.Cell) bool {
		return c.Config == config && c.Scenario == scenario && c.Via == via
	})
	if i < 0 {
		return result.Cell{}, false
	}
	return m.Cells[i], true
}

// cellSummary is a cell in a few characters: "0", "27 (502 25, 503 2)", "error", with the
// restarts and kills seen, if any: "0, 2 restarts".
func cellSummary(c result.Cell) string {
	var s string
	switch {
	case c.NotRun:
		return "not run"
	case c.Interrupted:
		return "interrupted"
	case c.Error != "" && c.Requests == 0:
		return "error"
	case len(c.Invalid) > 0:
		return fmt.Sprintf("invalid (%d failed)", c.Errors.Total())
	case c.Errors.Total() == 0:
		s = "0"
	default:
		s = fmt.Sprintf("%d (%s)", c.Errors.Total(), FormatCounts(c.Errors))
	}
	if c.Restarts > 0 {
		s += fmt.Sprintf(", %d restart(s)", c.Restarts)
	}
	if c.Kills > 0 {
		s += fmt.Sprintf(", %d kill(s)", c.Kills)
	}
	if r := lossrate.Of(c); len(c.Trials) > 1 {
		s += fmt.Sprintf("; lost in %d of %d trials", r.K, r.N)
	}
	return s
}

// promise is what a configuration promises, or the expectations it states instead.
func promise(m *result.Matrix, config string) string {
	for _, c := range m.Cells {
		if c.Config == config && len(c.Expects) > 0 {
			var es []string
			for _, e := range c.Expects {
				es = append(es, string(e))
			}
			return "expects " + strings.Join(es, ", ")
		}
	}
	return string(m.Promises[config])
}

// MatrixMarkdown renders the matrix for a README or a GitHub step summary: the verdict,
// failed requests per configuration × scenario × path (502 first), then every cell's
// details with links to its report and timeline.
func MatrixMarkdown(m *result.Matrix) Reporter {
	return func(w io.Writer) error {
		p := func(format string, args ...any) { fmt.Fprintf(w, format, args...) }
		p("# %s%s · scalelab matrix: %s\n\n**%s**\n\n", mark(m.Outcome()), m.Outcome().Word(), m.Platform, MatrixVerdict(m))
		for _, pr := range m.Problems {
			p("- %s\n", pr)
		}
		if len(m.Problems) > 0 {
			p("\n")
		}
		p("Failed requests per cell, with the container restarts and SIGKILLs seen; a ✓ marks a cell where the configuration promises zero and kept it; – a scenario the configuration does not run.\n\n")
		p("| configuration (promise) |")
		for _, sc := range m.Scenarios {
			for _, via := range m.Vias {
				p(" %s via %s |", sc, via)
			}
		}
		p("\n|---|%s\n", strings.Repeat("---|", len(m.Scenarios)*len(m.Vias)))
		for _, cfg := range m.Configs {
			p("| %s (%s) |", cfg, promise(m, cfg))
			for _, sc := range m.Scenarios {
				for _, via := range m.Vias {
					c, ok := cell(m, cfg, sc, via)
					if !ok {
						p(" – |")
						continue
					}
					kept := ""
					if c.PromisedZero && c.Errors.Total() == 0 && c.Error == "" && !c.Void() {
						kept = " ✓"
					}
					if c.Dir == "" || c.NotRun {
						p(" %s |", cellSummary(c))
						continue
					}
					p(" [%s](%s)%s |", cellSummary(c), filepath.ToSlash(filepath.Join(c.Dir, MarkdownFile)), kept)
				}
			}
			p("\n")
		}

		p("\n## Cells\n\n| configuration | scenario | via | requests | failed | restarts | kills | p99 | wall | overhead | verdict | timeline |\n")
		p("|---|---|---|---:|---|---:|---:|---:|---:|---:|---|---|\n")
		for _, c := range m.Cells {
			svg := fmt.Sprintf("[svg](%s)", filepath.ToSlash(filepath.Join(c.Dir, SVGFile)))
			if c.NotRun {
				svg = "–"
			}
			p("| %s | %s | %s | %d | %s | %d | %d | %s | %s | %s | %s | %s |\n", c.Config, c.Scenario, c.Via, c.Requests,
				FormatCounts(c.Errors), c.Restarts, c.Kills, Latency(c.P99), c.Wall.Round(100*time.Millisecond),
				overhead(c), c.Verdict, svg)
		}
		p("\n*overhead*: the wall time of the load beyond the lead, the tail and the delays the configuration itself asks for.\n")
		if slices.ContainsFunc(m.Cells, func(c result.Cell) bool { return c.Blame != "" }) {
			p("\n## Which came first\n\nFor each cell that lost requests, its largest attribution (its worst trial's): the pod(s) the failures went to and the two moments whose order lost them.\n\n")
			for _, c := range m.Cells {
				if c.Blame != "" {
					p("- %s %s via %s: %s\n", c.Config, c.Scenario, c.Via, c.Blame)
				}
			}
		}
		p("\n## Provenance\n\n- platform: %s\n- started: %s, took %s\n", m.Platform, m.Started.UTC().Format(time.RFC3339), m.Wall.Round(time.Second))
		if m.Lanes > 0 {
			p("- lanes: %d (runs side by side, each on a platform of its own)\n", m.Lanes)
		}
		for _, k := range slices.Sorted(maps.Keys(m.Meta)) {
			p("- %s: %s\n", k, m.Meta[k])
		}
		return nil
	}
}

// overhead is a cell's, "–" for one cut short or not run: it ran less than it would have.
func overhead(c result.Cell) string {
	if c.Interrupted || c.NotRun {
		return "–"
	}
	return c.Overhead.Round(100 * time.Millisecond).String()
}

// MatrixText renders the matrix as a terminal table.
func MatrixText(m *result.Matrix) Reporter {
	return func(w io.Writer) error {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprint(tw, "configuration\tpromise")
		for _, sc := range m.Scenarios {
			for _, via := range m.Vias {
				fmt.Fprintf(tw, "\t%s/%s", sc, via)
			}
		}
		fmt.Fprintln(tw)
		for _, cfg := range m.Configs {
			fmt.Fprintf(tw, "%s\t%s", cfg, promise(m, cfg))
			for _, sc := range m.Scenarios {
				for _, via := range m.Vias {
					summary := "–"
					if c, ok := cell(m, cfg, sc, via); ok {
						summary = cellSummary(c)
					}
					fmt.Fprintf(tw, "\t%s", summary)
				}
			}
			fmt.Fprintln(tw)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w, MatrixVerdict(m))
		for _, pr := range m.Problems {
			fmt.Fprintf(w, "  - %s\n", pr)
		}
		return nil
	}
}
