// Command dist writes make dist's archives and their checksums, byte for byte the same
// from the same inputs: what make dist needs beyond `go build`, in Go so that it behaves
// alike wherever make runs (GNU or BSD tar, a zip tool or none).
//
//	dist archive [-mtime SECONDS] [-prefix DIR] OUT.tar.gz|OUT.zip FILE...
//	dist sums OUT FILE...
//
// archive writes FILE... under DIR/ (each by its base name) into a tar.gz or a zip, chosen
// by OUT's name. What a file system adds is left out: the entries are sorted by name, each
// is dated -mtime (SOURCE_DATE_EPOCH's convention: make dist passes the commit's time), owned
// by 0:0 with no user or group names, and its mode is 0755 if the file has any execute bit,
// else 0644 (not the umask's). The gzip header has no name and no time. A zip entry is
// deflated and dated -mtime in UTC both in the zip's own time field, which has no zone (the
// zip tool writes the local time there, so its bytes would follow TZ), and in the extended
// timestamp archive/zip adds; it has its Unix mode and nothing else of the file (no uid,
// gid or access time, which the zip tool adds). Both compressors are the Go standard
// library's, so the bytes are the same for the same Go release.
//
// sums writes sha256sum's format, "HASH  NAME" a line, sorted by name, for FILE... by base
// name: `sha256sum -c SHA256SUMS` (or `shasum -a 256 -c`) checks it in OUT's directory.
package main

import (
	"archive/tar"
	"archive/zip"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stderr))
}

const usageLine = "usage: dist archive [-mtime SECONDS] [-prefix DIR] OUT.tar.gz|OUT.zip FILE... | dist sums OUT FILE..."

// run is the command; it returns the exit status: 0 done, 1 failed, 2 bad usage.
func run(args []string, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usageLine)
		return 2
	}
	var err error
	switch args[0] {
	case "archive":
		fs := flag.NewFlagSet("dist archive", flag.ContinueOnError)
		fs.SetOutput(stderr)
		fs.Usage = func() { fmt.Fprintln(stderr, usageLine) }
		mtime := fs.Int64("mtime", 0, "every entry's time, in seconds since 1970 (SOURCE_DATE_EPOCH)")
		prefix := fs.String("prefix", "", "the directory the entries are under in the archive")
		if err := fs.Parse(args[1:]); err != nil {
			return 2
		}
		if fs.NArg() < 2 {
			fmt.Fprintln(stderr, usageLine)
			return 2
		}
		err = writeFile(fs.Arg(0), func(w io.Writer) error {
			return Archive(w, archiveFormat(fs.Arg(0)), *prefix, time.Unix(*mtime, 0), fs.Args()[1:])
		})
	case "sums":
		if len(args) < 3 {
			fmt.Fprintln(stderr, usageLine)
			return 2
		}
		err = writeFile(args[1], func(w io.Writer) error { return Sums(w, args[2:]) })
	default:
		fmt.Fprintln(stderr, usageLine)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "dist:", err)
		return 1
	}
	return 0
}

// writeFile writes name through a temporary file beside it, so a failure leaves no half
// of it behind.
func writeFile(name string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), name)
}

// Format is an archive's kind.
type Format int

const (
	TarGz Format = iota
	Zip
)

// archiveFormat is the kind name's extension asks for: .zip, else tar.gz.
func archiveFormat(name string) Format {
	if strings.HasSuffix(name, ".zip") {
		return Zip
	}
	return TarGz
}

// entry is one file of an archive: its name there, its normalized mode, its content.
type entry struct {
	name string
	mode os.FileMode
	data []byte
}

// entries reads files, named prefix/BASE, sorted by name; two files with one base name are
// an error.
func entries(prefix string, files []string) ([]entry, error) {
	var es []entry
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return nil, err
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: not a regular file", f)
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		mode := os.FileMode(0o644)
		if fi.Mode()&0o111 != 0 {
			mode = 0o755
		}
		es = append(es, entry{path.Join(prefix, filepath.Base(f)), mode, data})
	}
	slices.SortFunc(es, func(a, b entry) int { return strings.Compare(a.name, b.name) })
	for i := 1; i < len(es); i++ {
		if es[i].name == es[i-1].name {
			return nil, fmt.Errorf("%s twice", es[i].name)
		}
	}
	return es, nil
}

// Archive writes files into w as format, under prefix, every entry dated mtime.
func Archive(w io.Writer, format Format, prefix string, mtime time.Time, files []string) error {
	es, err := entries(prefix, files)
	if err != nil {
		return err
	}
	mtime = mtime.UTC()
	if format == Zip {
		// A zip's own time field starts in 1980.
		if min := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC); mtime.Before(min) {
			mtime = min
		}
		return writeZip(w, mtime, es)
	}
	return writeTarGz(w, mtime, es)
}

func writeTarGz(w io.Writer, mtime time.Time, es []entry) error {
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	// gzip's header: no name, no time (ModTime zero writes 0), OS "unknown".
	tw := tar.NewWriter(gz)
	for _, e := range es {
		h := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     e.name,
			Mode:     int64(e.mode),
			Size:     int64(len(e.data)),
			ModTime:  mtime,
			Format:   tar.FormatUSTAR,
		}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, mtime time.Time, es []entry) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	for _, e := range es {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(e.mode)
		f, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := f.Write(e.data); err != nil {
			return err
		}
	}
	return zw.Close()
}

// Sums writes the SHA-256 of files in sha256sum's format, sorted by base name.
func Sums(w io.Writer, files []string) error {
	var lines []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		lines = append(lines, hex.EncodeToString(sum[:])+"  "+filepath.Base(f)+"\n")
	}
	slices.SortFunc(lines, func(a, b string) int { return strings.Compare(a[66:], b[66:]) })
	for i := 1; i < len(lines); i++ {
		if lines[i][66:] == lines[i-1][66:] {
			return errors.New(strings.TrimSpace(lines[i][66:]) + " twice")
		}
	}
	_, err := io.WriteString(w, strings.Join(lines, ""))
	return err
}
