package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"scalelab/loadtest/report"
)

var runFiles = []string{report.SummaryFile, report.MarkdownFile, report.TextFile, report.SVGFile, report.HTMLFile}

// savedRun attacks a test server briefly and returns the directory of the saved run.
func savedRun(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	code, _, stderr := cli(context.Background(), "attack", "--target", server(t, http.StatusOK),
		"--rate", "20", "--duration", "300ms", "--out", dir, "--no-progress", "--meta", "scenario=test")
	if code != 0 {
		t.Fatalf("attack: exit %d: %s", code, stderr)
	}
	return dir
}

// sameFiles fails unless every file of names is in both a and b, with the same bytes.
func sameFiles(t *testing.T, a, b string, names ...string) {
	t.Helper()
	for _, f := range names {
		x, errA := os.ReadFile(filepath.Join(a, f))
		y, errB := os.ReadFile(filepath.Join(b, f))
		if errA != nil || errB != nil || !bytes.Equal(x, y) {
			t.Errorf("%s: %s and %s differ (%v, %v)", f, a, b, errA, errB)
		}
	}
}

// A run rendered with --out lands whole in that directory, the same files a render in
// place writes, and leaves the run's own directory as it was.
func TestReportOut(t *testing.T) {
	t.Parallel()
	src := savedRun(t)
	before, _ := os.ReadDir(src)
	out := filepath.Join(t.TempDir(), "new", "dir")
	code, stdout, stderr := cli(context.Background(), "report", "--out", out, "--format", "markdown", src)
	if md, _ := os.ReadFile(filepath.Join(src, report.MarkdownFile)); code != 0 || stdout != string(md) {
		t.Errorf("report --out: exit %d, stderr %q, printed\n%s\nwant\n%s", code, stderr, stdout, md)
	}
	sameFiles(t, src, out, runFiles...)
	if after, _ := os.ReadDir(src); len(after) != len(before) {
		t.Errorf("the run's directory went from %d to %d files", len(before), len(after))
	}
}

// A matrix directory renders every run under it, each to its place under --out, and its
// matrix.json and matrix.md beside them; only its summaries need be there. --format
// prints one run, so a matrix takes text (a line per run) or none.
func TestReportMatrix(t *testing.T) {
	t.Parallel()
	run := savedRun(t)
	src, out := t.TempDir(), t.TempDir()
	summary, _ := os.ReadFile(filepath.Join(run, report.SummaryFile))
	files := map[string]string{
		report.MatrixJSONFile:                          `{"schema":4,"cells":[]}` + "\n",
		report.MatrixMarkdownFile:                      "# a matrix\n\n[a run](naive/scale-up/trial-1/report.md)\n",
		"naive/scale-up/trial-1/" + report.SummaryFile: string(summary),
		"naive/scale-up/trial-2/" + report.SummaryFile: string(summary),
		"experiment/x/" + report.SummaryFile:           string(summary),
	}
	for name, body := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755)
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := cli(context.Background(), "report", "--out", out, src)
	runs := []string{"experiment/x", "naive/scale-up/trial-1", "naive/scale-up/trial-2"}
	var want []string
	for _, r := range runs {
		want = append(want, filepath.Join(out, r))
		sameFiles(t, run, filepath.Join(out, r), runFiles...)
	}
	if code != 0 || !slices.Equal(strings.Fields(stdout), want) {
		t.Errorf("report --out of a matrix: exit %d, stderr %q, printed %q, want %q", code, stderr, stdout, want)
	}
	sameFiles(t, src, out, report.MatrixJSONFile, report.MatrixMarkdownFile)
	if _, err := os.Stat(filepath.Join(src, runs[0], report.MarkdownFile)); err == nil {
		t.Error("report --out wrote into the matrix's own directory")
	}

	// In place, the same files beside each summary.
	if code, stdout, _ := cli(context.Background(), "report", "--format", "none", src); code != 0 || stdout != "" {
		t.Errorf("report --format none of a matrix in place: exit %d, printed %q", code, stdout)
	}
	for _, r := range runs {
		sameFiles(t, run, filepath.Join(src, r), runFiles...)
	}

	for _, f := range []string{"markdown", "json"} {
		if code, _, stderr := cli(context.Background(), "report", "--format", f, src); code != 2 || !strings.Contains(stderr, "is a matrix") {
			t.Errorf("--format %s of a matrix: exit %d, stderr %q; want 2, bad usage", f, code, stderr)
		}
	}

	// A run that cannot be read fails the command, naming it; the others are written.
	os.WriteFile(filepath.Join(src, "experiment/x", report.SummaryFile), []byte("{"), 0o644)
	out = t.TempDir()
	code, _, stderr = cli(context.Background(), "report", "--out", out, src)
	if code != 1 || !strings.Contains(stderr, filepath.Join(src, "experiment/x", report.SummaryFile)) {
		t.Errorf("a broken summary: exit %d, stderr %q; want 1, naming it", code, stderr)
	}
	sameFiles(t, run, filepath.Join(out, runs[1]), runFiles...)
}
