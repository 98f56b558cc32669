package report

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"scalelab/loadtest/result"
)

// RenderRun reads the run saved in src and writes every rendering of it, summary.json
// in the current schema too, into dst: src itself, to render a run again in place, or
// another directory, which then holds the whole run.
func RenderRun(src, dst string) (*result.Run, error) {
	r, err := ReadRun(src)
	if err != nil {
		return nil, err
	}
	return r, WriteRun(dst, r)
}

// IsMatrix says whether dir holds a saved matrix (matrix.json) rather than one run.
func IsMatrix(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, MatrixJSONFile))
	return err == nil
}

// RunDirs lists the directories under dir, dir itself included, that hold a saved run
// (summary.json), relative to dir and in lexical order: every trial of a matrix's cells,
// and any run saved beside them (results/lab/experiment).
func RunDirs(dir string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != SummaryFile {
			return err
		}
		rel, err := filepath.Rel(dir, filepath.Dir(path))
		dirs = append(dirs, rel)
		return err
	})
	return dirs, err
}

// RenderMatrix renders every run saved under the matrix directory src (RunDirs) into the
// same place under dst, and, when dst is another directory, copies matrix.json and
// matrix.md there, so that the write-up's links lead to the reports. It calls done after
// each run written, and goes on past a run that cannot be read or written: the error
// names each.
func RenderMatrix(src, dst string, done func(dir string, r *result.Run)) error {
	dirs, err := RunDirs(src)
	if err != nil {
		return err
	}
	var errs []error
	for _, rel := range dirs {
		out := filepath.Join(dst, rel)
		r, err := RenderRun(filepath.Join(src, rel), out)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		done(out, r)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return errors.Join(append(errs, err)...)
	}
	if !same(src, dst) {
		for _, f := range []string{MatrixJSONFile, MatrixMarkdownFile} {
			if err := copyFile(filepath.Join(src, f), filepath.Join(dst, f)); err != nil && !(f == MatrixMarkdownFile && errors.Is(err, fs.ErrNotExist)) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// same says whether a and b are one directory.
func same(a, b string) bool {
	sa, err := os.Stat(a)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b)
	return err == nil && os.SameFile(sa, sb)
}

// copyFile copies the file src to dst, atomically as WriteFile writes.
func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return WriteFile(dst, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}
