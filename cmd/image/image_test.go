package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"scalelab/internal/testbin"
)

func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }

// staticBinary is the pause program: a real static binary.
func staticBinary(t *testing.T) string {
	t.Helper()
	return testbin.Build(t, "scalelab/cmd/pause")
}

func TestWriteFileReadsBack(t *testing.T) {
	bin := staticBinary(t)
	out := filepath.Join(t.TempDir(), "img.tar")
	spec := Spec{Binary: bin, Tag: "scalelab/hello:dev", Entrypoint: "hello", User: "65532:65532", Ports: []string{"8080/tcp"}}
	digest, err := WriteFile(out, spec)
	if err != nil {
		t.Fatal(err)
	}

	// The tarball names the tag as given, as `docker save` does: importers normalise it.
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	manifest := tarEntry(t, f, "manifest.json")
	var m []struct{ RepoTags []string }
	if err := json.Unmarshal(manifest, &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 1 || len(m[0].RepoTags) != 1 || m[0].RepoTags[0] != "scalelab/hello:dev" {
		t.Errorf("RepoTags = %+v, want [scalelab/hello:dev]", m)
	}

	tag, _ := name.NewTag("scalelab/hello:dev")
	img, err := tarball.ImageFromPath(out, &tag)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := img.Digest(); got != digest {
		t.Errorf("digest read back %v, WriteFile said %v", got, digest)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OS != "linux" || cfg.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s", cfg.OS, cfg.Architecture, runtime.GOARCH)
	}
	if got := strings.Join(cfg.Config.Entrypoint, " "); got != "/hello" {
		t.Errorf("entrypoint %q, want /hello", got)
	}
	if cfg.Config.User != "65532:65532" {
		t.Errorf("user %q", cfg.Config.User)
	}
	if _, ok := cfg.Config.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v, want 8080/tcp", cfg.Config.ExposedPorts)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers %d, %v; want 1", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Name != "hello" || hdr.Mode != 0o755 || hdr.Uid != 0 {
		t.Errorf("layer entry %s mode %o uid %d, want hello 755 0", hdr.Name, hdr.Mode, hdr.Uid)
	}
	got, _ := io.ReadAll(tr)
	want, _ := os.ReadFile(bin)
	if !bytes.Equal(got, want) {
		t.Errorf("layer holds %d bytes, not the binary's %d", len(got), len(want))
	}
	if _, err := tr.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("layer has more than one entry (%v)", err)
	}

	// Same input, same digest: nothing time-dependent goes in.
	again, err := WriteFile(filepath.Join(t.TempDir(), "again.tar"), spec)
	if err != nil || again != digest {
		t.Errorf("second write: %v, %v; want the same digest %v", again, err, digest)
	}
}

// A command run by name, as kubeadm's static pods run theirs, is found on the image's PATH.
func TestEntrypointInADirectoryOnThePath(t *testing.T) {
	img, err := Build(Spec{Binary: staticBinary(t), Tag: "scalelab/etcd:dev", Entrypoint: "usr/local/bin/etcd", User: "0"})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.Config.Entrypoint, " "); got != "/usr/local/bin/etcd" {
		t.Errorf("entrypoint %q, want /usr/local/bin/etcd", got)
	}
	if got := strings.Join(cfg.Config.Env, " "); !strings.Contains(got, ":/usr/local/bin:") {
		t.Errorf("env %q: no PATH with /usr/local/bin", got)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var names []string
	for tr := tar.NewReader(rc); ; {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
	}
	if got, want := strings.Join(names, " "), "usr/ usr/local/ usr/local/bin/ usr/local/bin/etcd"; got != want {
		t.Errorf("layer entries %q, want %q", got, want)
	}
}

func tarEntry(t *testing.T, r io.Reader, file string) []byte {
	t.Helper()
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err != nil {
			t.Fatalf("%s not in tarball: %v", file, err)
		}
		if hdr.Name == file {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
}

func TestRun(t *testing.T) {
	bin := staticBinary(t)
	dir := t.TempDir()
	type runCase struct {
		name    string
		args    []string
		code    int
		stderr  string
		written string // file the run must have written, under dir
	}
	tests := []runCase{
		{"ok", []string{"-binary", bin, "-tag", "scalelab/pause:dev", "-o", filepath.Join(dir, "p.tar")}, 0, "", "p.tar"},
		{"no binary flag", []string{"-tag", "a:b", "-o", filepath.Join(dir, "x.tar")}, 2, "-binary is required", ""},
		{"no output", []string{"-binary", bin, "-tag", "a:b"}, 2, "-o is required", ""},
		{"stray argument", []string{"-binary", bin, "-tag", "a:b", "-o", filepath.Join(dir, "y.tar"), "extra"}, 2, "unexpected arguments", ""},
		{"unknown flag", []string{"-bogus"}, 2, "flag provided but not defined", ""},
		{"bad tag", []string{"-binary", bin, "-tag", "UPPER/case:x", "-o", filepath.Join(dir, "z.tar")}, 1, "tag:", ""},
		{"missing binary", []string{"-binary", filepath.Join(dir, "nope"), "-tag", "a:b", "-o", filepath.Join(dir, "m.tar")}, 1, "read binary", ""},
		{"not an executable", []string{"-binary", "image.go", "-tag", "a:b", "-o", filepath.Join(dir, "n.tar")}, 1, "not an ELF executable", ""},
		{"path as entrypoint", []string{"-binary", bin, "-tag", "a:b", "-entrypoint", "usr/local/bin/x", "-o", filepath.Join(dir, "e.tar")}, 0, "", "e.tar"},
		{"entrypoint outside the image", []string{"-binary", bin, "-tag", "a:b", "-entrypoint", "../x", "-o", filepath.Join(dir, "o.tar")}, 1, "want a clean path inside the image", ""},
		{"absolute entrypoint", []string{"-binary", bin, "-tag", "a:b", "-entrypoint", "/usr/bin/x", "-o", filepath.Join(dir, "a.tar")}, 1, "want a clean path inside the image", ""},
	}
	if dyn, err := exec.LookPath("sh"); err == nil && isDynamic(dyn) {
		tests = append(tests, runCase{"dynamic binary", []string{"-binary", dyn, "-tag", "a:b", "-o", filepath.Join(dir, "d.tar")}, 1, "dynamically linked", ""})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tt.stderr)
			}
			if tt.code == 2 && !strings.Contains(stderr.String(), "usage:") {
				t.Errorf("usage error without usage: %q", stderr.String())
			}
			if tt.written != "" {
				if _, err := os.Stat(filepath.Join(dir, tt.written)); err != nil {
					t.Errorf("output: %v", err)
				}
				if !strings.Contains(stdout.String(), "sha256:") {
					t.Errorf("stdout %q, want the digest", stdout.String())
				}
			}
			if tt.code != 0 {
				leftovers, _ := filepath.Glob(filepath.Join(dir, ".image-*"))
				if len(leftovers) > 0 {
					t.Errorf("temporary files left: %v", leftovers)
				}
			}
		})
	}
}

func isDynamic(path string) bool {
	b, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	_, err = staticArch(b)
	return errors.Is(err, errDynamic)
}
