package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// outDir makes the directory of flag --NAME, where a run's reports go, and checks that
// a file can be written in it: before the run, for one that cannot keep its reports must
// not cost a measurement. An existing file there is refused.
func outDir(name, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return pathError(name, dir, err)
	}
	return writable(name, dir, dir)
}

// outFile makes the directory of flag --NAME's file, as outDir makes --out's (so that
// `--out DIR --junit DIR/junit.xml` works), and checks that the file can be written there
// as report.WriteFile writes it: not over a directory.
func outFile(name, path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("--%s %s: is a directory", name, path)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return pathError(name, path, err)
	}
	return writable(name, path, dir)
}

// writable writes and removes a file in dir.
func writable(name, path, dir string) error {
	f, err := os.CreateTemp(dir, ".loadtest-probe-*")
	if err != nil {
		return pathError(name, path, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// pathError names the flag and its value, and of err's path only what the value does not
// say: "--out x: not a directory", "--junit /no/dir/j.xml: stat /no/dir: no such file or
// directory".
func pathError(name, path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = pe.Err
	}
	return fmt.Errorf("--%s %s: %w", name, path, err)
}

// isDir says, naming the path, why path is not a directory: "k8s/nope: no such file or
// directory".
func isDir(path string) error {
	st, err := os.Stat(path)
	switch {
	case os.IsNotExist(err):
		return fmt.Errorf("%s: no such file or directory", path)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s: not a directory", path)
	}
	return nil
}
