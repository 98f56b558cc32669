package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Spec says what goes into a one-binary image.
type Spec struct {
	Binary     string   // path of a static executable on this machine
	Tag        string   // name:tag written into the tarball, as `docker save` would
	Entrypoint string   // path in the image, relative to its root; default: base name of Binary
	User       string   // uid or uid:gid
	Ports      []string // exposed ports, "8080/tcp"
}

// Build assembles the image described by spec. The layer has fixed timestamps and owner,
// so the same binary always gives the same digest.
func Build(spec Spec) (v1.Image, error) {
	entry := spec.Entrypoint
	if entry == "" {
		entry = filepath.Base(spec.Binary)
	}
	if !filepath.IsLocal(entry) || filepath.Clean(entry) != entry {
		return nil, fmt.Errorf("entrypoint %q: want a clean path inside the image, like usr/local/bin/NAME", entry)
	}
	bin, err := os.ReadFile(spec.Binary)
	if err != nil {
		return nil, fmt.Errorf("read binary: %w", err)
	}
	arch, err := staticArch(bin)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", spec.Binary, err)
	}
	layerTar, err := singleFileTar(entry, bin)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		return nil, fmt.Errorf("append layer: %w", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", arch
	cfg.Config.Entrypoint = []string{"/" + entry}
	// The PATH a runtime gives a process when the image names none: a command given by
	// name, as kubeadm's static pods give theirs, is found in usr/local/bin.
	cfg.Config.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cfg.Config.User = spec.User
	cfg.Config.StopSignal = "SIGTERM"
	if len(spec.Ports) > 0 {
		cfg.Config.ExposedPorts = map[string]struct{}{}
		for _, p := range spec.Ports {
			cfg.Config.ExposedPorts[p] = struct{}{}
		}
	}
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("set config: %w", err)
	}
	return img, nil
}

// WriteFile builds the image and writes it as a tarball (the `docker save` layout that
// `ctr images import` and `kind load image-archive` read) to path, atomically. It returns
// the image's digest.
func WriteFile(path string, spec Spec) (v1.Hash, error) {
	tag, err := name.NewTag(spec.Tag)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("tag: %w", err)
	}
	img, err := Build(spec)
	if err != nil {
		return v1.Hash{}, err
	}
	digest, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("digest: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".image-*.tar")
	if err != nil {
		return v1.Hash{}, fmt.Errorf("output: %w", err)
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if err := tarball.Write(tag, img, tmp); err != nil {
		tmp.Close()
		return v1.Hash{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return v1.Hash{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return v1.Hash{}, fmt.Errorf("output: %w", err)
	}
	return digest, nil
}

// singleFileTar returns a tar stream holding one root-owned executable file at file, a
// slash-separated path, and the directories above it.
func singleFileTar(file string, content []byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	var dirs []string
	for d := path.Dir(file); d != "."; d = path.Dir(d) {
		dirs = append([]string{d}, dirs...)
	}
	for _, d := range dirs {
		hdr := &tar.Header{Name: d + "/", Mode: 0o755, Typeflag: tar.TypeDir, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, fmt.Errorf("layer: %w", err)
		}
	}
	hdr := &tar.Header{Name: file, Mode: 0o755, Size: int64(len(content)), Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	if _, err := tw.Write(content); err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("layer: %w", err)
	}
	return buf.Bytes(), nil
}

// errDynamic is returned for a binary that needs a dynamic loader, which an image with
// nothing else in it cannot run.
var errDynamic = errors.New("dynamically linked (build it with CGO_ENABLED=0)")

// staticArch checks that bin is a statically linked Linux ELF executable and returns its
// architecture in the image config's terms.
func staticArch(bin []byte) (string, error) {
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		return "", fmt.Errorf("not an ELF executable: %w", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", errDynamic
		}
	}
	switch f.Machine {
	case elf.EM_X86_64:
		return "amd64", nil
	case elf.EM_AARCH64:
		return "arm64", nil
	default:
		return "", fmt.Errorf("unsupported machine %v", f.Machine)
	}
}
