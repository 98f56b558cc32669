// Command image writes a container image tarball holding one static binary, without a
// Docker engine: the path the bare cluster uses for its pause and hello images, and one
// that works with kind too.
//
//	go run ./cmd/image -binary bin/hello -tag scalelab/hello:dev -entrypoint hello -user 65532 -o bin/hello-image.tar
//	ctr -n k8s.io images import bin/hello-image.tar    # or: kind load image-archive bin/hello-image.tar
//
// The image has a single layer with the binary at /<entrypoint> (a file name, or a path
// such as usr/local/bin/etcd for a command that is run by name), mode 0755, and nothing
// else: no shell, no libc (a dynamically linked binary is refused), like the Dockerfile's
// scratch stage. Its OS and architecture are read from the binary's ELF header.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses args, writes the image and returns the exit code: 0 done, 1 failed, 2 bad usage.
func run(args []string, stdout, stderr io.Writer) int {
	var spec Spec
	var out string
	fs := flag.NewFlagSet("image", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&spec.Binary, "binary", "", "static binary to put in the image (required)")
	fs.StringVar(&spec.Tag, "tag", "", "image name and tag, e.g. scalelab/hello:dev (required)")
	fs.StringVar(&spec.Entrypoint, "entrypoint", "", "path of the binary in the image, run as /PATH, e.g. usr/local/bin/etcd (default: the binary's base name)")
	fs.StringVar(&spec.User, "user", "65532", "user (uid or uid:gid) the entrypoint runs as")
	fs.Var((*listFlag)(&spec.Ports), "expose", "port/proto the image exposes, e.g. 8080/tcp (repeatable)")
	fs.StringVar(&out, "o", "", "output tarball path (required)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: image -binary FILE -tag NAME:TAG -o FILE.tar [-entrypoint PATH] [-user UID[:GID]] [-expose PORT/PROTO]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := usageError(fs, spec, out); err != nil {
		fmt.Fprintln(stderr, "image:", err)
		fs.Usage()
		return 2
	}
	digest, err := WriteFile(out, spec)
	if err != nil {
		fmt.Fprintln(stderr, "image:", err)
		return 1
	}
	fmt.Fprintf(stdout, "wrote %s: %s %s\n", out, spec.Tag, digest)
	return 0
}

func usageError(fs *flag.FlagSet, spec Spec, out string) error {
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	case spec.Binary == "":
		return errors.New("-binary is required")
	case spec.Tag == "":
		return errors.New("-tag is required")
	case out == "":
		return errors.New("-o is required")
	}
	return nil
}

// listFlag collects a repeated string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
