package main

import (
	"errors"
	"fmt"
	"os"

	"scalelab/loadtest/report"
)

// outDir makes the directory of flag --NAME, where reports go, and checks that they can
// be written there (report.CheckDir).
func outDir(name, dir string) error { return flagPath(name, dir, report.CheckDir(dir)) }

// outFile makes the directory of flag --NAME's file and checks that the file can be
// written there (report.CheckFile).
func outFile(name, path string) error { return flagPath(name, path, report.CheckFile(path)) }

// flagPath names the flag and its value, and of err's path only what the value does not
// say: "--out x: not a directory", "--junit /no/dir/j.xml: mkdir /no: permission denied".
func flagPath(name, path string, err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) && pe.Path == path {
		err = pe.Err
	}
	if err == nil {
		return nil
	}
	return fmt.Errorf("--%s %s: %w", name, path, err)
}
