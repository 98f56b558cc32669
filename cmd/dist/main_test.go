package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// inputs writes a binary and a README into a new directory, with the given modes and file
// times, and returns their paths: what make dist hands dist archive.
func inputs(t *testing.T, binMode, docMode os.FileMode, fileTime time.Time) []string {
	t.Helper()
	dir := t.TempDir()
	files := []string{filepath.Join(dir, "hello"), filepath.Join(dir, "README.md")}
	for i, f := range files {
		mode := []os.FileMode{binMode, docMode}[i]
		if err := os.WriteFile(f, []byte(strings.Repeat(filepath.Base(f)+" ", 1000)), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(f, mode); err != nil { // past the umask
			t.Fatal(err)
		}
		if err := os.Chtimes(f, fileTime, fileTime); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

func archive(t *testing.T, format Format, files []string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Archive(&b, format, "scalelab-v0.1.0-linux-amd64", time.Unix(1_800_000_000, 0), files); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Two archives of the same files are the same bytes, whatever the files' times, the
// umask's modes and the order they are named in; the -mtime changes them.
func TestArchiveReproducible(t *testing.T) {
	for _, format := range []Format{TarGz, Zip} {
		a := inputs(t, 0o755, 0o644, time.Now())
		b := inputs(t, 0o700, 0o600, time.Unix(0, 0)) // another umask, another day
		b[0], b[1] = b[1], b[0]
		first, second := archive(t, format, a), archive(t, format, b)
		if !bytes.Equal(first, second) {
			t.Errorf("format %d: two archives of the same files differ (%d and %d bytes)", format, len(first), len(second))
		}
		var other bytes.Buffer
		if err := Archive(&other, format, "scalelab-v0.1.0-linux-amd64", time.Unix(1_800_000_001, 0), a); err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(first, other.Bytes()) {
			t.Errorf("format %d: another -mtime, the same bytes", format)
		}
	}
}

// What tar and unzip see: the entries sorted under the prefix, their normalized modes,
// the fixed time, owner 0:0 without names, the content.
func TestArchiveEntries(t *testing.T) {
	files := inputs(t, 0o700, 0o600, time.Now())
	want := []struct {
		name string
		mode os.FileMode
	}{{"scalelab-v0.1.0-linux-amd64/README.md", 0o644}, {"scalelab-v0.1.0-linux-amd64/hello", 0o755}}
	mtime := time.Unix(1_800_000_000, 0).UTC()

	gz, err := gzip.NewReader(bytes.NewReader(archive(t, TarGz, files)))
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("gzip header: name %q, time %v; want none", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	for _, w := range want {
		h, err := tr.Next()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		if h.Name != w.name || h.FileInfo().Mode() != w.mode || !h.ModTime.Equal(mtime) || h.Uid != 0 || h.Gid != 0 ||
			h.Uname != "" || h.Gname != "" || !strings.HasPrefix(string(data), filepath.Base(w.name)+" ") {
			t.Errorf("tar entry %s %v %v %d:%d %q:%q, want %s %v %v 0:0 without names", h.Name, h.FileInfo().Mode(), h.ModTime,
				h.Uid, h.Gid, h.Uname, h.Gname, w.name, w.mode, mtime)
		}
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("tar: more than %d entries (%v)", len(want), err)
	}

	z := archive(t, Zip, files)
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != len(want) {
		t.Fatalf("zip: %d entries, want %d", len(zr.File), len(want))
	}
	for i, w := range want {
		f := zr.File[i]
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name != w.name || f.Mode() != w.mode || !f.Modified.Equal(mtime) || f.Method != zip.Deflate ||
			!strings.HasPrefix(string(data), filepath.Base(w.name)+" ") {
			t.Errorf("zip entry %s %v %v method %d, want %s %v %v deflated", f.Name, f.Mode(), f.Modified, f.Method, w.name, w.mode, mtime)
		}
	}
}

// sums writes what sha256sum -c reads, sorted by name, whatever order the files come in.
func TestSums(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"b.zip", "a.tar.gz"} {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var stderr bytes.Buffer
	out := filepath.Join(dir, "SHA256SUMS")
	if code := run([]string{"sums", out, filepath.Join(dir, "b.zip"), filepath.Join(dir, "a.tar.gz")}, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	got, _ := os.ReadFile(out)
	lines := strings.Split(string(got), "\n")
	if len(lines) != 3 || !strings.HasSuffix(lines[0], "  a.tar.gz") || !strings.HasSuffix(lines[1], "  b.zip") || len(lines[0]) != 64+2+len("a.tar.gz") {
		t.Fatalf("SHA256SUMS:\n%s", got)
	}
	if sha256sum, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sha256sum, "-c", "SHA256SUMS")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c: %v\n%s", err, out)
		}
	}
}

// Bad usage exits 2, a failure 1 and leaves no output behind.
func TestRunErrors(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.tar.gz")
	for _, tt := range []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"pack"}, 2},
		{[]string{"archive", out}, 2},
		{[]string{"sums", out}, 2},
		{[]string{"archive", out, filepath.Join(dir, "missing")}, 1},
		{[]string{"archive", out, dir}, 1},
	} {
		var stderr bytes.Buffer
		if code := run(tt.args, &stderr); code != tt.code || stderr.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q; want %d and a line", tt.args, code, &stderr, tt.code)
		}
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
}
