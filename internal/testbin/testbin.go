// Package testbin builds the project's commands for tests that run them as real
// processes — hello for its signals and probes, the pause binary for its signals and
// for an image — once per test process, and runs hello on loopback for the length of
// one test.
//
// A package whose tests use it makes its TestMain call Main, which removes the binaries
// once the tests are done:
//
//	func TestMain(m *testing.M) { os.Exit(testbin.Main(m)) }
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"scalelab/internal/loopback"
)

// Patience bounds each wait for an event in this package and in the tests that use it:
// long enough for a busy 2-core machine, short enough that a hung test still ends.
const Patience = 60 * time.Second

// Hello is the import path of the hello command.
const Hello = "scalelab"

var (
	mu     sync.Mutex
	dir    string // the binaries' directory, made by the first Build; "" before
	builds = map[string]*build{}
	inMain bool // Main runs the tests: Build may make binaries, Main removes them
)

// build is the one build of one package in this test process.
type build struct {
	once sync.Once
	bin  string
	err  error
}

// Main runs the tests and removes the binaries Build made; it returns the exit status.
func Main(m *testing.M) int {
	mu.Lock()
	inMain = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if dir != "" {
		os.RemoveAll(dir)
	}
	return code
}

// Build returns the path of the command of package pkg (an import path of this module:
// Hello, "scalelab/cmd/pause"), built once per test process as `make build` builds hello:
// static, as an image needs, and without file-system paths (CGO_ENABLED=0 go build
// -trimpath), by the go command of the toolchain that runs the tests (`go test` puts
// its GOROOT/bin first in the tests' PATH).
func Build(t testing.TB, pkg string) string {
	t.Helper()
	mu.Lock()
	if !inMain {
		mu.Unlock()
		t.Fatal("testbin: the package's TestMain must call testbin.Main, which removes the binaries")
	}
	if dir == "" {
		d, err := os.MkdirTemp("", "testbin-")
		if err != nil {
			mu.Unlock()
			t.Fatalf("testbin: %v", err)
		}
		dir = d
	}
	b := builds[pkg]
	if b == nil {
		name := path.Base(pkg)
		if pkg == Hello {
			name = "hello"
		}
		b = &build{bin: filepath.Join(dir, name)}
		builds[pkg] = b
	}
	mu.Unlock()
	b.once.Do(func() { b.err = compile(pkg, b.bin) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}

// compile builds the command of pkg into bin.
func compile(pkg, bin string) error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("testbin: no go command to build %s with: %w", pkg, err)
	}
	cmd := exec.Command(goBin, "build", "-trimpath", "-o", bin, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("testbin: go build %s: %v\n%s", pkg, err, out)
	}
	return nil
}

// Addr is a loopback address for a process the test starts to listen on itself (hello
// with --addr, Skipper): known before it listens, and taken by nothing else meanwhile
// (internal/loopback says why).
func Addr(t testing.TB) string {
	t.Helper()
	addr, err := loopback.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// Refused is a loopback address where a connect is refused: a socket bound there that
// never listens holds it until the test ends, so that nothing else can listen there.
func Refused(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", sa.(*syscall.SockaddrInet4).Port)
}
