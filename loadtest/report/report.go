// Package report renders what a load run measured: a terminal table, markdown that
// fits a GitHub step summary, JSON for machines (summary.json), and an SVG timeline
// with an HTML page around it. Each rendering is a Reporter; WriteRun writes them all
// into a run directory atomically, ReadRun reads summary.json back, so a saved run can
// be rendered again (Rerender). verdict.go says why a run or a scenario did not pass, in
// the lines the commands print, and CompareDirs compares two saved matrices.
package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"scalelab/loadtest/explain"
	"scalelab/loadtest/result"
)

// Reporter writes one rendering to w.
type Reporter func(w io.Writer) error

// The files of a run directory.
const (
	SummaryFile  = "summary.json"
	MarkdownFile = "report.md"
	TextFile     = "report.txt"
	SVGFile      = "timeline.svg"
	HTMLFile     = "timeline.html"
)

// JSON renders v (a result.Run, a result.Matrix, ...) as indented JSON, for people.
func JSON(v any) Reporter {
	return func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
}

// compactJSON renders v as JSON on one line: summary.json, a file for machines, a third
// smaller so (`loadtest report --format json` prints it indented).
func compactJSON(v any) Reporter {
	return func(w io.Writer) error { return json.NewEncoder(w).Encode(v) }
}

// WriteFile writes what rep renders to path atomically: into a temporary file in the
// same directory, then renamed over path, so a reader never sees half a file.
func WriteFile(path string, rep Reporter) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	w := bufio.NewWriter(f)
	if err := rep(w); err != nil {
		return fmt.Errorf("render %s: %w", filepath.Base(path), err)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// WriteRun writes every rendering of r into dir, creating it. It sets r.Windows and
// r.Status first, so that summary.json carries the windows and their attribution, and
// the outcome, as the reports say them, in the current schema (a run read from an older one has been read into it).
func WriteRun(dir string, r *result.Run) error {
	result.ReadSteps(r.Events) // events that name no pod (a platform's own words) still get their rows
	r.Schema, r.Windows, r.Status = result.SchemaVersion, explain.Windows(r), r.Outcome()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := []struct {
		name string
		rep  Reporter
	}{
		{SummaryFile, compactJSON(r)}, {MarkdownFile, Markdown(r)}, {TextFile, Text(r)},
		{SVGFile, SVG(r)}, {HTMLFile, HTML(r)},
	}
	for _, f := range files {
		if err := WriteFile(filepath.Join(dir, f.name), f.rep); err != nil {
			return fmt.Errorf("write run %s: %w", dir, err)
		}
	}
	return nil
}

// ReadRun reads dir/summary.json, of any schema (result.DecodeRun).
func ReadRun(dir string) (*result.Run, error) {
	b, err := os.ReadFile(filepath.Join(dir, SummaryFile))
	if err != nil {
		return nil, err
	}
	return result.DecodeRun(b, filepath.Join(dir, SummaryFile))
}
