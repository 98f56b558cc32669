package report

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"scalelab/loadtest/result"
)

// Finish leaves matrix.md, matrix.json and the JUnit report, whose links to the cells'
// reports start from where the JUnit file is; the provenance names Go, the machine and
// what the caller adds, a later map's key over an earlier's.
func TestFinish(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "out", "matrix")
	junit := filepath.Join(filepath.Dir(dir), "junit.xml")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	m := failingMatrix()
	m.Schema = result.SchemaVersion
	if err := Finish(m, dir, junit, map[string]string{"set": "fast", "rate": "50"}, map[string]string{"rate": "100"}); err != nil {
		t.Fatal(err)
	}
	back, err := ReadMatrix(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Meta["go"] != runtime.Version() || back.Meta["set"] != "fast" || back.Meta["rate"] != "100" || back.Meta["machine"] == "" {
		t.Errorf("provenance %v", back.Meta)
	}
	x, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(x), filepath.Join("matrix", "naive")) {
		t.Errorf("the JUnit report does not link the cells under matrix/:\n%.600s", x)
	}
	if _, err := os.Stat(filepath.Join(dir, MatrixMarkdownFile)); err != nil {
		t.Error(err)
	}
	if err := Finish(m, filepath.Join(dir, MatrixMarkdownFile), ""); err == nil {
		t.Error("a matrix written into a file: no error")
	}
}

func TestInvalidity(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		cell result.Cell
		want string
	}{
		{result.Cell{NotRun: true, Interrupted: true}, "not run: interrupted first"},
		{result.Cell{Interrupted: true}, result.Reason},
		{result.Cell{Invalid: []string{"trial 1: the load fell short", "trial 2: exit 3"}}, "trial 1: the load fell short; trial 2: exit 3"},
	} {
		if got := Invalidity(tt.cell); got != tt.want {
			t.Errorf("Invalidity(%+v) = %q, want %q", tt.cell, got, tt.want)
		}
	}
}
