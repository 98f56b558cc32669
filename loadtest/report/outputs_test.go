package report

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestCheckDirAndFile(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckDir(filepath.Join(root, "a", "b")); err != nil {
		t.Errorf("a new directory: %v", err)
	}
	if err := CheckDir(file); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("a file: %v", err)
	}
	if err := CheckFile(filepath.Join(root, "c", "junit.xml")); err != nil {
		t.Errorf("a file in a new directory: %v", err)
	}
	if err := CheckFile(root); !errors.Is(err, syscall.EISDIR) {
		t.Errorf("a directory: %v", err)
	}
	if err := CheckFile(filepath.Join(file, "j.xml")); !errors.Is(err, syscall.ENOTDIR) {
		t.Errorf("under a file: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(root, "*", ".loadtest-probe-*")); len(left) > 0 {
		t.Errorf("probes left: %v", left)
	}
}
