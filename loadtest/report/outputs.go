package report

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// CheckDir makes dir, where a run's reports go, and checks that a file can be written in
// it: before the run, for one that cannot keep its reports must not cost a measurement.
// An existing file there is refused.
func CheckDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writable(dir)
}

// CheckFile makes the directory of the file path, as CheckDir does (so that a JUnit
// report may go into the run's directory), and checks that the file can be written
// there as WriteFile writes it: not over a directory.
func CheckFile(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return &fs.PathError{Op: "write", Path: path, Err: syscall.EISDIR}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return writable(filepath.Dir(path))
}

// writable writes and removes a file in dir.
func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".loadtest-probe-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}
