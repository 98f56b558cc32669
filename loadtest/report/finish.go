package report

import (
	"fmt"
	"maps"
	"path/filepath"
	"runtime"
	"strings"

	"scalelab/loadtest/result"
)

// Finish writes what every matrix run leaves behind in dir — matrix.md, matrix.json and,
// when junit names a file, the JUnit report — with the provenance of the run: Go's
// version, the machine, and meta's keys, a later map's over an earlier's.
func Finish(m *result.Matrix, dir, junit string, meta ...map[string]string) error {
	m.Meta = map[string]string{
		"go": runtime.Version(), "machine": fmt.Sprintf("%s/%s, %d CPUs", runtime.GOOS, runtime.GOARCH, runtime.NumCPU()),
	}
	for _, mt := range meta {
		maps.Copy(m.Meta, mt)
	}
	if err := WriteMatrix(dir, m); err != nil || junit == "" {
		return err
	}
	rel, err := filepath.Rel(filepath.Dir(junit), dir)
	if err != nil {
		rel = dir
	}
	return WriteFile(junit, MatrixJUnit(m, rel))
}

// Invalidity says why a cell proves nothing.
func Invalidity(c result.Cell) string {
	switch {
	case c.NotRun:
		return "not run: interrupted first"
	case c.Interrupted:
		return result.Reason
	}
	return strings.Join(c.Invalid, "; ")
}
